"""Map of Barrier Mapper's improvement scores over the base map (:func:`plot_barriers`).

The engine (:mod:`corridors.restore.barriers`) computes; this only draws what
it returns, in the house style of :mod:`corridors.plot.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from corridors.plot.labels import place_labels
from corridors.plot.style import STYLE, base_map, frame_around, halo

#: Scores below this share of the map's highest are left off: the faint tail along every corridor hides the base map.
MIN_SHARE = 1e-3


def plot_barriers(result: Any, linkages: Any = None, ax: Axes | None = None, bounds: Sequence[float] | None = None,
                  title: str | None = None) -> tuple[Figure, Axes]:
    """Map the improvement-score mosaic over the programme base map, in the score raster's own CRS.

    Cells with no improvement (score 0) are left clear; each linkage's best
    circle is marked with a ring of its radius and labelled with the
    linkage's corridor key (or its two cores) and its score.

    Parameters
    ----------
    result : corridors.restore.barriers.BarrierResult
        Anything with ``score`` (a Raster), ``table`` (``x``, ``y``, ``radius_m``,
        ``score``, ``core_a``, ``core_b``), ``percent`` and ``units``.
    linkages : corridors.linkages.LinkageResult, optional
        Draws its cores and least-cost paths on top; a ``corridor`` column names the rings.
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Frame in the raster's CRS; default the extent of the scored cells and the cores plus 100 km
        (or a tenth of its larger side, if less: :func:`corridors.plot.style.frame_around`).
    title : str, optional

    Returns
    -------
    (Figure, Axes)
    """
    m = result.score
    arr = np.ma.masked_invalid(m.array)
    top = float(arr.max()) if arr.count() else 0.0
    if bounds is None:
        pos = np.isfinite(m.array) & (m.array > 0)
        if not pos.any():
            pos = np.isfinite(m.array)
        if pos.any():
            rr, cc = np.nonzero(pos)
            x0, y1 = m.transform @ (cc.min(), rr.min())
            x1, y0 = m.transform @ (cc.max() + 1, rr.max() + 1)
            if linkages is not None and len(linkages.cores):  # the cores too: the circles are read against them
                cx0, cy0, cx1, cy1 = linkages.cores.total_bounds
                x0, y0, x1, y1 = min(x0, cx0), min(y0, cy0), max(x1, cx1), max(y1, cy1)
            bounds = frame_around((x0, y0, x1, y1), 100_000.0)
        else:
            bounds = m.bounds
    fig, ax = base_map(ax=ax, bounds=bounds, crs=m.crs)
    left, bottom, right, t = m.bounds
    z = STYLE["z"]["overlay"]
    vmax = top if top > 0 else 1.0
    shown = np.ma.masked_less_equal(arr, vmax * MIN_SHARE)
    im = ax.imshow(shown, extent=(left, right, bottom, t), cmap="magma_r",
                   norm=mcolors.LogNorm(vmin=vmax * MIN_SHARE, vmax=vmax), zorder=z, interpolation="nearest", alpha=0.9)
    names: dict[tuple[str, str], str] = {}
    if linkages is not None:
        linkages.cores.plot(ax=ax, facecolor="#1b7837", edgecolor="#00441b", linewidth=0.6, alpha=0.8, zorder=z + 1)
        links = linkages.linkages
        if len(links):
            links.plot(ax=ax, color="#4eb3d3", linewidth=0.6, linestyle="--", zorder=z + 2)
            if "corridor" in links.columns:
                names = {(str(a), str(b)): str(k) for a, b, k in zip(links["core_a"], links["core_b"], links["corridor"])}
    best = result.table[result.table["score"] > 0]
    texts, anchors = [], []
    for _, r in best.iterrows():
        x, y = float(r["x"]), float(r["y"])
        ax.add_patch(_ring(x, y, float(r["radius_m"]), z + 3))
        name = names.get((str(r["core_a"]), str(r["core_b"])), f"{r['core_a']}-{r['core_b']}")
        value = f"{r['score']:.3g}{' %' if result.percent else ''}"
        anchors.append((x, y))
        texts.append(ax.text(x, y, f"{name} ({value})", fontsize=STYLE["font_size"], color=STYLE["text"], ha="center",
                             va="center", zorder=STYLE["z"]["labels"], path_effects=halo(), clip_on=True, gid=f"label:{name}"))
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    what = "% of the linkage's LCD saved" if result.percent else "LCD drop per metre restored"
    cb.set_label(f"improvement score\n({what}; ring: best circle)", fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    if texts:
        # Last: the colorbar changes the axes' size, and the placer measures the labels on the final frame.
        place_labels(ax, texts, anchors, sym_xy=anchors)
    return fig, ax


def _ring(x: float, y: float, radius: float, zorder: float) -> Circle:
    return Circle((x, y), radius, fill=False, edgecolor="#08519c", linewidth=1.2, zorder=zorder)
