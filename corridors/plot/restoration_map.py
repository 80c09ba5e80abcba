"""Map of where to restore: a score surface, the corridors it serves and the ranked restoration sites, over the base map.

The engines (:mod:`corridors.restore`) compute; this only draws what they
return, in the house style of :mod:`corridors.plot.style`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from corridors.plot.labels import place_labels
from corridors.plot.style import STYLE, base_map, frame_around, halo

#: Colour of the site outlines and their markers.
SITE_COLOUR = "#253494"
#: Colour of the border crossings (sites on a national border strip).
CROSSING_COLOUR = "#7a0177"


def plot_restoration(score: Any, sites: Any, linkages: Any = None, *, crossings: Any = None, score_label: str = "improvement score",
                     ax: Axes | None = None, bounds: Sequence[float] | None = None, title: str | None = None,
                     max_labels: int = 10, site_label: str = "restoration site (habitat), best first: R1 ...",
                     vmax_percentile: float = 100.0) -> tuple[Figure, Axes]:
    """Map a restoration score and the ranked sites over the programme base map, in the score's own CRS.

    Parameters
    ----------
    score : Raster
        Higher = better to restore; cells <= 0 or NaN are left clear.
    sites : GeoDataFrame
        :func:`corridors.restore.sites.restoration_sites`: each drawn as its
        outline and a marker (a site of a few cells is smaller than a line
        at the programme's scale), the best ``max_labels`` labelled by
        ``site_id``.
    linkages : corridors.linkages.LinkageResult, optional
        Draws its cores and least-cost paths underneath.
    crossings : GeoDataFrame, optional
        Sites on national border strips, drawn as squares in another colour
        (a legend tells the two kinds apart).
    score_label : str
        The colour bar's label (what the score is, in which unit).
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Default: the scored cells' extent plus 100 km (or a tenth of its
        larger side, if less).
    title : str, optional
    max_labels : int, default 10
    site_label : str
        The legend's entry for ``sites``.
    vmax_percentile : float, default 100
        The colour scale tops out at this percentile of the positive scores
        (below 100 when one cell would otherwise wash out the rest; the
        colour bar then extends beyond it).

    Returns
    -------
    (Figure, Axes)
    """
    a = np.asarray(score.array, dtype="float64")
    good = np.isfinite(a) & (a > 0)
    if bounds is None:
        if good.any():
            rr, cc = np.nonzero(good)
            x0, y1 = score.transform @ (cc.min(), rr.min())
            x1, y0 = score.transform @ (cc.max() + 1, rr.max() + 1)
            bounds = frame_around((x0, y0, x1, y1), 100_000.0)
        else:
            bounds = score.bounds
    fig, ax = base_map(ax=ax, bounds=bounds, crs=score.crs)
    z = STYLE["z"]["overlay"]
    if linkages is not None:
        linkages.cores.plot(ax=ax, facecolor="#1b7837", edgecolor="#00441b", linewidth=0.6, alpha=0.7, zorder=z)
        if len(linkages.linkages):
            linkages.linkages.plot(ax=ax, color="#4eb3d3", linewidth=0.6, linestyle="--", zorder=z + 1)
    left, bottom, right, top = score.bounds
    vmax = float(np.percentile(a[good], vmax_percentile)) if good.any() else 1.0
    im = ax.imshow(np.ma.masked_where(~good, a), extent=(left, right, bottom, top), cmap="YlOrRd", zorder=z + 2,
                   interpolation="nearest", alpha=0.9, vmin=0.0, vmax=vmax)
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01, extend="max" if vmax_percentile < 100 else "neither")
    cb.set_label(score_label, fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    texts, anchors, handles = [], [], []
    kinds = [(sites, SITE_COLOUR, "o", site_label)]
    if crossings is not None:
        kinds.append((crossings, CROSSING_COLOUR, "s", "border crossing (border strip), best first: B1 ..."))
    for table, colour, marker, label in kinds:
        if not len(table):
            continue
        table.boundary.plot(ax=ax, color=colour, linewidth=0.8, zorder=z + 3)
        handles.append(ax.scatter(table["x"], table["y"], s=28, marker=marker, facecolor="none", edgecolor=colour,
                                  linewidth=1.2, zorder=z + 4, label=label))
        for _, r in table.head(max_labels).iterrows():
            anchors.append((float(r["x"]), float(r["y"])))
            texts.append(ax.text(r["x"], r["y"], str(r["site_id"]), fontsize=STYLE["font_size"], color=colour,
                                 fontweight="bold", ha="center", va="center", zorder=STYLE["z"]["labels"], path_effects=halo(),
                                 clip_on=True, gid=f"label:{r['site_id']}"))
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=STYLE["font_size"], framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    if texts:
        # Last: the colorbar changes the axes' size, and the placer measures the labels on the final frame.
        place_labels(ax, texts, anchors, sym_xy=anchors)
    return fig, ax
