"""Named exceptions of corridors: one sentence that says what is wrong and how to fix it."""

from __future__ import annotations

import warnings


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


class MemoryLimitError(SolverError):
    """A problem would not fit in the memory allowed (``memory_limit`` / ``--memory-limit``) or available."""


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


def shown(value: object) -> str:
    """A value as an error message shows it: ``0.0``, ``'desert'``, ``5``, never ``np.float32(0.0)``.

    NumPy 2 writes its scalars' type into their repr; a message quotes the
    value a user wrote or a cell holds, so a NumPy scalar is shown as the
    Python number it equals (``repr`` of everything else).

    Parameters
    ----------
    value : object

    Returns
    -------
    str
    """
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    return repr(value)


def renamed(new: str, new_value: object, old: str, old_value: object, *, unit: str = "", stacklevel: int = 3) -> object:
    """The value of an argument that may still come under its old name (deprecated for one release).

    Parameters
    ----------
    new, old : str
        The current and the old keyword, e.g. ``'memory_limit'`` and ``'max_memory'``.
    new_value, old_value : object
        What the caller gave under each (None: not given).
    unit : str, optional
        Said in the warning after the new name, e.g. ``'bytes'``.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` (3: the caller of the function that calls this one).

    Returns
    -------
    object
        ``new_value``, or ``old_value`` with a DeprecationWarning naming ``new``.

    Raises
    ------
    ConfigError
        If both are given with different values.
    """
    if old_value is None:
        return new_value
    if new_value is not None and new_value != old_value:
        raise ConfigError(f"{new}={new_value} and {old}={old_value} disagree; give {new} only ({old} is its old name).")
    warnings.warn(f"{old}= is deprecated and goes in the next release; write {new}=" + (f" ({unit})" if unit else "")
                  + " instead.", DeprecationWarning, stacklevel=stacklevel + 1)
    return old_value


class OutputError(CorridorsError):
    """An output location cannot take the output: it holds files corridors did not write, or cannot be written."""
