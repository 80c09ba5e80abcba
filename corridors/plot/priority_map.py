"""Map of Linkage Priority (Linkage Mapper 3) over the base map: the blended priority surface, cores and least-cost paths.

The engine (:mod:`corridors.restore.priority`) computes; this function only
draws what it returns, in the house style of :mod:`corridors.plot.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from corridors.plot.labels import place_labels
from corridors.plot.style import STYLE, base_map, frame_around, halo


def plot_priority(result: Any, linkages: Any = None, ax: Axes | None = None, bounds: Sequence[float] | None = None,
                  title: str | None = None, label_top: int = 5) -> tuple[Figure, Axes]:
    """Map the blended linkage priority over the programme base map, in the surface's own CRS.

    Parameters
    ----------
    result : corridors.restore.priority.PriorityResult
        Anything with ``surface`` (a Raster, 0-1, NaN off the corridors) and
        ``linkages`` (``core_a``, ``core_b``, ``priority``, ``rank`` and
        optionally ``corridor``).
    linkages : corridors.linkages.LinkageResult, optional
        Draws its cores and least-cost paths on top, and labels the
        ``label_top`` best linkages with their rank and priority.
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Frame in the raster's CRS; default the corridors' extent plus 100 km
        (or a tenth of its larger side, if less).
    title : str, optional
    label_top : int, default 5
        How many of the best linkages to label.

    Returns
    -------
    (Figure, Axes)
    """
    m = result.surface
    fin = np.isfinite(m.array)
    if bounds is None:
        if fin.any():
            rr, cc = np.nonzero(fin)
            x0, y1 = m.transform @ (cc.min(), rr.min())
            x1, y0 = m.transform @ (cc.max() + 1, rr.max() + 1)
            bounds = frame_around((x0, y0, x1, y1), 100_000.0)
        else:
            bounds = m.bounds
    fig, ax = base_map(ax=ax, bounds=bounds, crs=m.crs)
    left, bottom, right, top = m.bounds
    z = STYLE["z"]["overlay"]
    im = ax.imshow(np.ma.masked_invalid(m.array), extent=(left, right, bottom, top), cmap="YlOrRd",
                   norm=mcolors.Normalize(vmin=0.0, vmax=1.0), zorder=z, interpolation="nearest", alpha=0.9)
    texts, anchors = [], []
    if linkages is not None:
        linkages.cores.plot(ax=ax, facecolor="#1b7837", edgecolor="#00441b", linewidth=0.6, alpha=0.8, zorder=z + 1)
        paths = linkages.linkages
        if len(paths):
            paths.plot(ax=ax, color="#253494", linewidth=0.7, linestyle="--", zorder=z + 2)
            geo = {(str(a), str(b)): g for a, b, g in zip(paths["core_a"], paths["core_b"], paths.geometry)}
            best = result.linkages.sort_values("rank").head(label_top)
            for _, r in best.iterrows():
                g = geo.get((str(r["core_a"]), str(r["core_b"])))
                if g is None or g.is_empty:
                    continue
                p = g.interpolate(0.5, normalized=True)
                name = r["corridor"] if "corridor" in best.columns else f"{r['core_a']}-{r['core_b']}"
                anchors.append((float(p.x), float(p.y)))
                texts.append(ax.text(p.x, p.y, f"#{int(r['rank'])} {name} ({r['priority']:.2f})", fontsize=STYLE["font_size"],
                                     color=STYLE["text"], ha="center", va="center", zorder=STYLE["z"]["labels"],
                                     path_effects=halo(), clip_on=True, gid=f"label:{name}"))
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("blended linkage priority (0-1; 1 = the top cell)", fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    if texts:
        # Last: the colorbar changes the axes' size, and the placer measures the labels on the final frame.
        place_labels(ax, texts, anchors, sym_xy=anchors)
    return fig, ax


__all__ = ["plot_priority"]
