"""Named exceptions of corridors: one sentence that says what is wrong and how to fix it."""

from __future__ import annotations


class CorridorsError(Exception):
    """Base class of every error corridors raises on purpose.

    The message is one sentence that names the file, the feature or the
    option at fault and what would fix it. The command line prints it and
    exits with status 1 (``--debug`` shows the traceback).
    """


class DataError(CorridorsError):
    """An input file or its content is wrong (missing, unreadable, bad field, bad geometry)."""


class ConfigError(CorridorsError):
    """An option, parameter, scenario key or INI key is wrong."""


class SolverError(CorridorsError):
    """A numerical engine cannot solve the problem it was given (too large, singular, not converged)."""


def where(path: object = None, feature: object = None, field: object = None) -> str:
    """Format the location part of an error message.

    Parameters
    ----------
    path : path-like, optional
        The file at fault.
    feature : object, optional
        The feature (an id or a row number).
    field : str, optional
        The field or option.

    Returns
    -------
    str
        For example ``"data/sites.geojson, feature 'tj1', field 'kind'"``.
    """
    parts = []
    if path is not None:
        parts.append(str(path))
    if feature is not None:
        parts.append(f"feature {feature!r}")
    if field is not None:
        parts.append(f"field {field!r}")
    return ", ".join(parts)
