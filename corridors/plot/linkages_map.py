"""The map of a linkage run: normalized corridors, least-cost paths and cores over the house base map."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from corridors.plot.labels import place_labels
from corridors.plot.save import save_figure
from corridors.plot.style import STYLE, base_map, frame_around, halo

#: Margin of the default frame around the cores, in metres.
FRAME_MARGIN_M: float = 150_000.0


def plot_linkages(result: Any, ax: Any = None, bounds: Sequence[float] | None = None, title: str | None = None,
                  label: str = "auto") -> tuple[Any, Any]:
    """Draw corridors, least-cost paths and cores over the programme base map, in the resistance raster's own CRS.

    Parameters
    ----------
    result : corridors.linkages.LinkageResult
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Map frame in the raster's CRS; default the cores' extent plus 150 km
        (or a tenth of its larger side, if less: :func:`corridors.plot.style.frame_around`).
    title : str, optional
    label : {'auto', 'corridor', 'pair', 'none'}
        Path labels: programme corridor keys, the core pair (the cores are then
        labelled with their ids too), or none; ``auto`` picks corridor keys when
        present, pairs for up to 12 linkages, else none. Labels are placed by
        :func:`corridors.plot.place_labels`.

    Returns
    -------
    (Figure, Axes)
    """
    b = tuple(bounds) if bounds is not None else frame_around(result.cores.total_bounds, FRAME_MARGIN_M)
    fig, ax = base_map(ax=ax, bounds=b, crs=result.resistance.crs)
    m = result.corridor_mosaic
    arr = np.ma.masked_invalid(m.array.astype(float))
    left, bottom, right, top = m.bounds
    vmax = result.truncate_m or float(np.nanmax(m.array)) if np.isfinite(m.array).any() else 1.0
    cmap = mcolors.LinearSegmentedColormap.from_list("corr", ["#7a0177", "#f768a1", "#fde0dd"])
    im = ax.imshow(arr, extent=(left, right, bottom, top), cmap=cmap, vmin=0, vmax=vmax, alpha=0.75,
                   zorder=STYLE["z"]["overlay"], interpolation="nearest")
    result.cores.plot(ax=ax, facecolor="#1b7837", edgecolor="#00441b", linewidth=0.6, alpha=0.8, zorder=STYLE["z"]["overlay"] + 1)
    texts, anchors = [], []
    links = result.linkages
    if len(links):
        links.plot(ax=ax, color="#08306b", linewidth=1.2, zorder=STYLE["z"]["overlay"] + 2)
        if label == "auto":
            mode = "corridor" if "corridor" in links.columns else ("pair" if len(links) <= 12 else "none")
        else:
            mode = label
        if mode == "pair":
            # the pair labels 'a-b' say nothing unless the cores carry their ids too
            for cid, geom in zip(result.cores["core_id"], result.cores.geometry):
                pt = geom.representative_point()
                texts.append(ax.text(pt.x, pt.y, str(cid), fontsize=STYLE["font_size"], color="#00441b",
                                     fontweight="bold", zorder=STYLE["z"]["labels"], path_effects=halo()))
                anchors.append((pt.x, pt.y))
        if mode != "none":
            for _, r in links.iterrows():
                pt = r.geometry.interpolate(0.5, normalized=True)
                txt = r["corridor"] if mode == "corridor" else f"{r['core_a']}-{r['core_b']}"
                texts.append(ax.text(pt.x, pt.y, txt, fontsize=STYLE["font_size"], color="#08306b", fontweight="bold",
                                     zorder=STYLE["z"]["labels"], path_effects=halo()))
                anchors.append((pt.x, pt.y))
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("normalized corridor cost (cost-weighted m above the least-cost path)", fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    handles = [Patch(facecolor="#1b7837", edgecolor="#00441b", label="core area / corridor end"),
               Line2D([], [], color="#08306b", lw=1.2, label="least-cost path")]
    ax.legend(handles=handles, loc="lower left", fontsize=STYLE["font_size"], framealpha=0.85).set_zorder(STYLE["z"]["labels"])
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2)
    if texts:
        place_labels(ax, texts, anchors)  # last: the colorbar and legend change the axes' size
    return fig, ax


def write_linkages_map(result: Any, stem: str | os.PathLike, title: str | None = None, bounds: Sequence[float] | None = None,
                       formats: Sequence[str] = ("png", "svg"), dpi: int = 200) -> list[Path]:
    """Draw :func:`plot_linkages` and write it with :func:`corridors.plot.save_figure`.

    Fits :meth:`corridors.linkages.LinkageResult.write`'s ``figure`` argument
    (``functools.partial(write_linkages_map, title=...)``).

    Parameters
    ----------
    result : corridors.linkages.LinkageResult
    stem : path-like
        Output path without suffix, e.g. ``out/linkages/linkages_map``.
    title : str, optional
    bounds : (left, bottom, right, top), optional
        As for :func:`plot_linkages`.
    formats : sequence of str, default ('png', 'svg')
    dpi : int, default 200

    Returns
    -------
    list of pathlib.Path
    """
    fig, _ = plot_linkages(result, bounds=bounds, title=title)
    return save_figure(fig, stem, formats=formats, dpi=dpi)


__all__ = ["FRAME_MARGIN_M", "plot_linkages", "write_linkages_map"]
