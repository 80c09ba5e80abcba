"""The one figure writer of corridors: :func:`save_figure`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from corridors._errors import ConfigError
from corridors.io import atomic_path
from corridors.plot.style import _renderer

_FIGURE_FORMATS = ("png", "svg", "pdf")


def save_figure(
    fig: Figure,
    stem: str | os.PathLike,
    formats: Iterable[str] = ("png", "svg"),
    dpi: int = 300,
) -> list[Path]:
    """Write a figure in several formats, each file atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : path-like
        Output path without suffix, e.g. ``out/programme_map``; folders are created.
    formats : iterable of {'png', 'svg', 'pdf'}, default ('png', 'svg')
    dpi : int, default 300
        Resolution of raster formats.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of ``formats``.

    Raises
    ------
    ConfigError
        If a format is not png, svg or pdf, or dpi is not positive.

    Notes
    -----
    Titles, legend, notes and tick labels stay text in SVG (editable in
    Inkscape/Illustrator); map labels drawn with a white halo are written as
    outlines, which is how matplotlib renders path effects. Fonts are
    embedded as TrueType in PDF. Dates are left out of the file metadata so
    the same figure gives byte-identical SVG and PDF files.
    """
    fmts = [str(f).lower().lstrip(".") for f in formats]
    for f in fmts:
        if f not in _FIGURE_FORMATS:
            raise ConfigError(f"save_figure option 'formats' holds {f!r}; choose from {', '.join(_FIGURE_FORMATS)}.")
    if not (isinstance(dpi, (int, float)) and dpi > 0):
        raise ConfigError(f"save_figure option 'dpi' is {dpi!r}; give a positive number such as 300.")
    stem = Path(stem)
    written = []
    rc = {"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "corridors"}
    # The tight frame is measured once, not once per format (each measure is a full draw).
    with matplotlib.rc_context(rc):
        bbox = fig.get_tightbbox(_renderer(fig)).padded(0.05)
    for f in fmts:
        final = stem.with_name(f"{stem.name}.{f}")
        metadata = {"png": {"Software": "corridors"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[f]
        with matplotlib.rc_context(rc), atomic_path(final) as tmp:
            fig.savefig(tmp, format=f, dpi=dpi, bbox_inches=bbox, metadata=metadata)
        written.append(final)
    return written
