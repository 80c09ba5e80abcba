"""The one figure writer of corridors: :func:`save_figure`.

Every figure of the package is written through it: maps (the house way: a
tight frame measured once, text kept as text in SVG, 300 dpi) and charts
(the scenario and batch figures: the whole canvas or matplotlib's own tight
frame, glyphs as outlines, 150 dpi). Both ways write each file atomically
and leave dates and random ids out, so a rerun writes identical bytes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import matplotlib
from matplotlib.figure import Figure

from corridors._errors import ConfigError
from corridors.io import atomic_path
from corridors.plot.style import _renderer

_FIGURE_FORMATS = ("png", "svg", "pdf")

#: File metadata written by default: no dates (byte-identical reruns), the PNG names its writer.
_METADATA: dict[str, dict[str, str | None]] = {
    "png": {"Software": "corridors"},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None},
}

#: The chart way of writing (the scenario and batch charts, as they always were): a 150 dpi PNG
#: without a Software tag, glyphs as outlines in SVG, images in SVG at the figure's own dpi.
#: ``save_figure(fig, stem, **CHART_SAVE, tight=False)`` writes the whole canvas;
#: ``save_figure(fig, stem, **CHART_SAVE, measure="per_format", pad_inches=0.15)`` matplotlib's tight frame.
CHART_SAVE: Mapping[str, Any] = MappingProxyType(
    {"dpi": 150, "svg_text": "path", "vector_dpi": "figure", "metadata": MappingProxyType({"png": {"Software": None}})}
)


def save_figure(
    fig: Figure,
    stem: str | os.PathLike,
    formats: Iterable[str] = ("png", "svg"),
    dpi: float = 300,
    *,
    tight: bool = True,
    pad_inches: float = 0.05,
    measure: Literal["once", "per_format"] = "once",
    svg_text: Literal["text", "path"] = "text",
    vector_dpi: float | Literal["figure"] | None = None,
    metadata: Mapping[str, Mapping[str, str | None]] | None = None,
    close: bool = False,
) -> list[Path]:
    """Write a figure in several formats, each file atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : path-like
        Output path without suffix, e.g. ``out/programme_map``; folders are created.
    formats : iterable of {'png', 'svg', 'pdf'}, default ('png', 'svg')
    dpi : float, default 300
        Resolution of the PNG (and, unless ``vector_dpi`` says otherwise, of
        raster images such as an ``imshow`` embedded in SVG and PDF).
    tight : bool, default True
        Crop the page to what is drawn plus ``pad_inches``; ``False`` writes
        the whole figure canvas.
    pad_inches : float, default 0.05
        Margin round the tight frame, inches.
    measure : {'once', 'per_format'}, default 'once'
        How the tight frame is found. ``'once'``: measured a single time with
        the Agg renderer and used for every format (each measure is a full
        draw, so this is the fast way for big maps). ``'per_format'``:
        matplotlib's ``bbox_inches='tight'``, measured by each format's own
        renderer (what the scenario map uses).
    svg_text : {'text', 'path'}, default 'text'
        ``'text'``: titles, legends and tick labels stay editable text in SVG
        (fonts embedded as TrueType in PDF). ``'path'``: glyphs are written
        as outlines (matplotlib's default; the scenario and batch charts).
    vector_dpi : float or 'figure', optional
        Resolution of raster images inside SVG and PDF; default: ``dpi``.
        ``'figure'`` uses the figure's own dpi (matplotlib's default).
    metadata : mapping of format -> mapping, optional
        File metadata merged over the defaults (PNG ``Software: corridors``,
        no SVG ``Date``, no PDF ``CreationDate``); a value of ``None``
        leaves that key out, e.g. ``{"png": {"Software": None}}``.
    close : bool, default False
        Close the figure after writing (releases a pyplot figure; a figure
        pyplot does not manage needs no closing).

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of ``formats``: ``stem.png``, ``stem.svg`` ...

    Raises
    ------
    ConfigError
        If a format is not png, svg or pdf, dpi or pad_inches is not a
        positive (non-negative) number, or measure or svg_text is unknown.

    Notes
    -----
    Map labels drawn with a white halo are written as outlines even with
    ``svg_text='text'``, which is how matplotlib renders path effects. Dates
    are left out of the file metadata and SVG ids are salted with a fixed
    string, so the same figure gives byte-identical files.
    """
    fmts = [str(f).lower().lstrip(".") for f in formats]
    for f in fmts:
        if f not in _FIGURE_FORMATS:
            raise ConfigError(f"save_figure option 'formats' holds {f!r}; choose from {', '.join(_FIGURE_FORMATS)}.")
    if not (isinstance(dpi, (int, float)) and dpi > 0):
        raise ConfigError(f"save_figure option 'dpi' is {dpi!r}; give a positive number such as 300.")
    if not (vector_dpi is None or vector_dpi == "figure" or (isinstance(vector_dpi, (int, float)) and vector_dpi > 0)):
        raise ConfigError(f"save_figure option 'vector_dpi' is {vector_dpi!r}; give a positive number, 'figure' or None.")
    if not (isinstance(pad_inches, (int, float)) and pad_inches >= 0):
        raise ConfigError(f"save_figure option 'pad_inches' is {pad_inches!r}; give a number of inches >= 0 such as 0.05.")
    if measure not in ("once", "per_format"):
        raise ConfigError(f"save_figure option 'measure' is {measure!r}; choose 'once' or 'per_format'.")
    if svg_text not in ("text", "path"):
        raise ConfigError(f"save_figure option 'svg_text' is {svg_text!r}; choose 'text' or 'path'.")
    stem = Path(stem)
    rc = {"svg.fonttype": "none" if svg_text == "text" else "path", "pdf.fonttype": 42, "svg.hashsalt": "corridors"}
    frame: dict = {}
    if tight and measure == "once":
        # The tight frame is measured once, not once per format (each measure is a full draw). A figure with a
        # layout engine (constrained layout) places its axes only when drawn: lay it out first, or the frame
        # measured would crop titles and axis labels.
        if fig.get_layout_engine() is not None:
            fig.draw_without_rendering()
        with matplotlib.rc_context(rc):
            frame = {"bbox_inches": fig.get_tightbbox(_renderer(fig)).padded(pad_inches)}
    elif tight:
        frame = {"bbox_inches": "tight", "pad_inches": pad_inches}
    written = []
    for f in fmts:
        final = stem.with_name(f"{stem.name}.{f}")
        meta = {**_METADATA[f], **((metadata or {}).get(f) or {})}
        res = dpi if f == "png" or vector_dpi is None else vector_dpi
        with matplotlib.rc_context(rc), atomic_path(final) as tmp:
            fig.savefig(tmp, format=f, dpi=res, metadata=meta, **frame)
        written.append(final)
    if close and "matplotlib.pyplot" in sys.modules:
        # Only pyplot keeps figures alive; without it imported there is nothing to release.
        sys.modules["matplotlib.pyplot"].close(fig)
    return written
