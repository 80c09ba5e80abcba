"""One visual style for every corridors figure: the base map, its furniture, the label placer, the figures, the writer.

Modules: ``style`` (STYLE, base map, graticule, scale bar, north arrow),
``labels`` (the one label placer), ``figure1`` (the programme map),
``network_map``, ``linkages_map``, ``pinch_map``, ``scenario_map`` (result
maps), ``charts`` (robustness, batch comparison), ``save`` (the one figure
writer). The names below are importable from ``corridors.plot`` itself.
Extents, rivers and borders come from their one place:
:func:`corridors.raster.degree_bounds` / :func:`corridors.raster.bounds_around`,
:func:`corridors.rivers.load_rivers`, :func:`corridors.borders.border_lines`.

Public names other modules draw with
------------------------------------
STYLE
    Colours (``STYLE["unit_colours"][1..8]`` for the population units, land,
    water, rivers, borders, graticule) and font sizes. Use these instead of
    picking colours so every figure of the project looks alike.
base_map(ax=None, bounds=None, *, rivers=True, borders=True, lakes=True, country_labels=True, graticule=True)
    Countries, lakes, rivers, national borders, country names and a degree
    graticule in :data:`corridors.settings.WORKING_CRS` (metres). Returns
    ``(fig, ax)``; draw your own layers over it in the same CRS (z-orders
    above ``STYLE["z"]["labels"]`` stay on top of everything it draws).
FRAME_DENSIFY_PTS
    Points a map frame samples along each edge of a degree extent
    (``corridors.raster.degree_bounds(bounds_deg, densify_pts=FRAME_DENSIFY_PTS)``
    is the default frame of base_map for the programme, 55-82 E, 34-48 N).
halo(width=2.0)
    The white halo of map text, as path effects (``path_effects=plot.halo()``).
add_scale_bar(ax), add_north_arrow(ax)
    Map furniture; the arrow points to true north at its own position.
save_figure(fig, stem, formats=("png", "svg"), dpi=300, *, tight=True, ..., close=False)
    Write ``stem.png``, ``stem.svg`` ... atomically; returns the paths. The
    one figure writer: maps and charts alike.
add_graticule(ax, step=None)
    Degree lines (curved in the conic projection) labelled on the frame;
    base_map calls it, call it yourself on an axes you framed by hand.
clear_caches()
    Forget the base layers read for drawing (for benchmarks of a cold map).
programme_map(sites=None, rivers=None, *, bounds=None, inset=True, ...)
    The programme's Figure 1 redrawn from ``data/sites.geojson``: overview
    plus an inset of the Upper Amu Darya and Zarafshon (INSET_BOUNDS_DEG).
SITE_SYMBOLS
    Marker, size and legend text per site kind, for overlays that show sites.
map_labels(fig), label_overlaps(texts)
    The labels a map placed, and the pairs of them whose drawn boxes overlap
    (empty when placement worked).
place_labels(ax, texts, anchors=None, sym_xy=(), iterations=200, ...)
    Move the labels of a map so none overlaps another, a symbol or a static
    name; the one label placer (nothing else calls adjustText).
plot_network(g, conn, ...), plot_robustness(result), plot_comparison(outcomes, path)
    The habitat-network map, the rank-robustness chart, the batch comparison.

Example
-------
>>> from corridors import plot
>>> fig, ax = plot.base_map()
>>> my_corridors.plot(ax=ax, color=plot.STYLE["unit_colours"][1], zorder=plot.STYLE["z"]["overlay"])
>>> plot.save_figure(fig, "out/my_corridors")
"""

from corridors.plot.charts import plot_comparison, plot_robustness
from corridors.plot.figure1 import INSET_BOUNDS_DEG, SITE_SYMBOLS, programme_map
from corridors.plot.labels import label_overlaps, map_labels, place_labels
from corridors.plot.linkages_map import plot_linkages, write_linkages_map
from corridors.plot.network_map import plot_network
from corridors.plot.save import CHART_SAVE, save_figure
from corridors.plot.style import (
    FRAME_DENSIFY_PTS,
    RANGE_STATES,
    STYLE,
    add_graticule,
    add_north_arrow,
    add_scale_bar,
    base_map,
    clear_caches,
    halo,
)

__all__ = [
    "CHART_SAVE",
    "FRAME_DENSIFY_PTS",
    "INSET_BOUNDS_DEG",
    "RANGE_STATES",
    "SITE_SYMBOLS",
    "STYLE",
    "add_graticule",
    "add_north_arrow",
    "add_scale_bar",
    "base_map",
    "clear_caches",
    "halo",
    "label_overlaps",
    "map_labels",
    "place_labels",
    "plot_comparison",
    "plot_linkages",
    "plot_network",
    "plot_robustness",
    "programme_map",
    "save_figure",
    "write_linkages_map",
]

