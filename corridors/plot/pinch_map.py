"""Maps of circuit results over the base map: pinch points of corridors, and current-flow centrality of a linkage network.

The engines (:mod:`corridors.circuit.pinch`) compute; these functions only
draw what they return, in the house style of :mod:`corridors.plot.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.cm as cm
import matplotlib.colors as mcolors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from corridors.plot.labels import place_labels
from corridors.plot.style import STYLE, base_map, frame_around, halo

#: Current below this (A, of the 1 A driven through a corridor) is left off the pinch map:
#: dead ends beyond the cores carry next to nothing.
MIN_CURRENT_A = 1e-3


def plot_pinch_points(result: Any, linkages: Any = None, ax: Axes | None = None, bounds: Sequence[float] | None = None,
                      title: str | None = None) -> tuple[Figure, Axes]:
    """Map the pinch-point current over the programme base map, in the current raster's own CRS.

    Parameters
    ----------
    result : corridors.circuit.pinch.PinchResult
        Anything with ``current`` (a Raster of amperes, NaN off the corridors).
    linkages : corridors.lcp.LinkageResult, optional
        Draws its cores and least-cost paths on top.
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Frame in the raster's CRS; default the corridors' extent plus 100 km
        (or a tenth of its larger side, if less: :func:`corridors.plot.style.frame_around`).
    title : str, optional

    Returns
    -------
    (Figure, Axes)
    """
    m = result.current
    arr = np.ma.masked_invalid(m.array)
    if bounds is None:
        fin = np.isfinite(m.array)
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
    arr = np.ma.masked_less(arr, MIN_CURRENT_A)
    im = ax.imshow(arr, extent=(left, right, bottom, top), cmap="inferno", norm=mcolors.LogNorm(vmin=MIN_CURRENT_A, vmax=1.0),
                   zorder=z, interpolation="nearest", alpha=0.9)
    if linkages is not None:
        linkages.cores.plot(ax=ax, facecolor="#1b7837", edgecolor="#00441b", linewidth=0.6, alpha=0.8, zorder=z + 1)
        if len(linkages.linkages):
            linkages.linkages.plot(ax=ax, color="#4eb3d3", linewidth=0.6, linestyle="--", zorder=z + 2)
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("current (A) with 1 A between the corridor's two cores; bright = pinch point", fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    return fig, ax


def plot_centrality(cores: Any, links: Any, ax: Axes | None = None, bounds: Sequence[float] | None = None,
                    title: str | None = None) -> tuple[Figure, Axes]:
    """Map current-flow centrality over the programme base map (in the cores' CRS): link width and core size by ``cf_central``.

    Core labels (``id (cf_central)``) are placed by :func:`corridors.plot.labels.place_labels`,
    clear of each other, the core symbols and the base map's names.

    Parameters
    ----------
    cores, links : GeoDataFrame
        The outputs of :func:`corridors.circuit.pinch.linkage_centrality` (links
        drawn as their geometry, e.g. least-cost paths).
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Default: the cores' extent plus 150 km (or a tenth of its larger side, if less).
    title : str, optional

    Returns
    -------
    (Figure, Axes)
    """
    if bounds is None:
        bounds = frame_around(cores.total_bounds, 150_000.0)
    fig, ax = base_map(ax=ax, bounds=bounds, crs=cores.crs)
    z = STYLE["z"]["overlay"]
    vmax = float(max(links["cf_central"].max() if len(links) else 1.0, 1e-9))
    norm = mcolors.Normalize(vmin=0, vmax=vmax)
    cmap = matplotlib.colormaps["viridis"]
    for _, r in links.iterrows():
        w = 0.6 + 3.4 * r["cf_central"] / vmax
        ax.plot(*r.geometry.xy, color=cmap(norm(r["cf_central"])), linewidth=w, zorder=z + 1, solid_capstyle="round")
    cent = cores.geometry.representative_point()
    size = 15 + 120 * cores["cf_central"].fillna(0) / max(float(cores["cf_central"].max()), 1e-9)
    ax.scatter(cent.x, cent.y, s=size, c="#d95f0e", edgecolor="#7f2704", linewidth=0.6, zorder=z + 2)
    anchors = [(float(x), float(y)) for x, y in zip(cent.x, cent.y)]
    # Drawn on the symbol, centred, as Figure 1's labels: the placer moves each clear of every symbol.
    texts = [ax.text(x, y, f"{name} ({v:.1f})", fontsize=STYLE["font_size"], color=STYLE["text"], ha="center", va="center",
                     zorder=STYLE["z"]["labels"], path_effects=halo(), clip_on=True, gid=f"label:{name}")
             for (x, y), name, v in zip(anchors, cores["core_id"], cores["cf_central"])]
    sm = cm.ScalarMappable(norm=norm, cmap=cmap)
    cb = fig.colorbar(sm, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("link current-flow centrality (cumulative A, 1 A between every pair of cores)", fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    # Last: the colorbar changes the axes' size, and the placer measures the labels on the final frame.
    place_labels(ax, texts, anchors, sym_xy=anchors)
    return fig, ax
