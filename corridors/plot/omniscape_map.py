"""Maps of an Omniscape run over the base map: the flow classes of the normalized current, and the cumulative current.

The engine (:mod:`corridors.omniscape`) computes; this module draws what it
returns, in the house style of :mod:`corridors.plot.style`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from corridors.plot.style import STYLE, base_map
from corridors.raster import Raster

#: Colours of the flow classes, from impeded to channelized (a diverging scheme: blue below the null model, red above).
CLASS_COLOURS = ("#4575b4", "#e0e0d1", "#fdae61", "#d73027")


def classify_flow(normalized: np.ndarray, classes: Sequence[tuple[str, float]]) -> np.ndarray:
    """The class of every cell's normalized current: 1 for the first of ``classes`` ... n for the last, 0 where no data.

    Parameters
    ----------
    normalized : numpy.ndarray
        Cumulative current over flow potential; NaN where no data.
    classes : sequence of (name, upper bound)
        Ascending upper bounds; the last is usually ``inf``.

    Returns
    -------
    numpy.ndarray of uint8
    """
    bounds = np.array([b for _, b in classes], dtype="float64")
    out = np.searchsorted(bounds, np.nan_to_num(normalized, nan=0.0), side="right") + 1
    out = np.minimum(out, len(classes))
    return np.where(np.isfinite(normalized), out, 0).astype("uint8")


def plot_flow_classes(classes_raster: Raster, cum_current: Raster, class_names: Sequence[tuple[str, float]],
                      ax: Axes | None = None, bounds: Sequence[float] | None = None, title: str | None = None,
                      note: str | None = None) -> tuple[Figure, Axes]:
    """Map Omniscape's flow classes (impeded / diffuse / intensified / channelized) over the base map.

    Cells carrying little current are drawn faint, so the map shows where
    movement is concentrated rather than every cell of open desert: the
    opacity of a cell grows with its cumulative current (square root,
    relative to the 99th percentile).

    Parameters
    ----------
    classes_raster : Raster
        From :func:`classify_flow` (0 = no data).
    cum_current : Raster
        The cumulative current of the same grid.
    class_names : sequence of (name, upper bound)
        The classes, for the legend.
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Frame in working-CRS metres; default the raster's extent.
    title, note : str, optional
        Title, and a line of text under the map (what the map rests on).

    Returns
    -------
    (Figure, Axes)
    """
    fig, ax = base_map(ax=ax, bounds=bounds or classes_raster.bounds)
    left, bottom, right, top = classes_raster.bounds
    cls = classes_raster.array
    cur = np.nan_to_num(cum_current.array, nan=0.0)
    ref = float(np.percentile(cur[cur > 0], 99)) if (cur > 0).any() else 1.0
    alpha = np.clip(np.sqrt(cur / ref), 0.15, 1.0)
    cmap = mcolors.ListedColormap(CLASS_COLOURS[:len(class_names)])
    rgba = cmap(np.clip(cls.astype(int) - 1, 0, len(class_names) - 1))
    rgba[..., 3] = np.where(cls > 0, alpha, 0.0)
    ax.imshow(rgba, extent=(left, right, bottom, top), zorder=STYLE["z"]["overlay"], interpolation="nearest")
    lows = [0.0] + [b for _, b in class_names[:-1]]
    handles = [Patch(facecolor=c, edgecolor="none",
                     label=f"{name} ({lo:g}-{hi:g})" if np.isfinite(hi) else f"{name} (>= {lo:g})")
               for (name, hi), lo, c in zip(class_names, lows, CLASS_COLOURS)]
    ax.legend(handles=handles, title="normalized current\n(current / flow potential)", loc="lower left", bbox_to_anchor=(1.01, 0.0),
              fontsize=STYLE["font_size"], title_fontsize=STYLE["font_size"], framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    if note:
        # below the graticule's degree labels, wrapped to the map's width
        width_chars = int((STYLE["figure_width_in"] - 0.5) * 72 / ((STYLE["font_size"] - 1) * 0.62))
        ax.annotate(textwrap.fill(note, width=width_chars), xy=(0.0, -0.07), xycoords="axes fraction", va="top", ha="left",
                    fontsize=STYLE["font_size"] - 1, color=STYLE["text"])
    return fig, ax
