"""The river-graph map: river reaches by river system, the sites snapped onto them, and the places left off."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import networkx as nx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from corridors import rivers as rv
from corridors.plot.style import STYLE, add_north_arrow, add_scale_bar, base_map

#: One colour per river system (the four systems of the programme).
SYSTEM_COLOURS: dict[str, str] = {
    "amu_darya": "#1f78b4",
    "zarafshon": "#33a02c",
    "syr_darya": "#e31a1c",
    "ile": "#6a3d9a",
}
_OTHER = "#666666"


def plot_river_graph(
    graph: nx.MultiGraph,
    sites: gpd.GeoDataFrame | None = None,
    *,
    ax: Axes | None = None,
    bounds: Sequence[float] | None = None,
    title: str | None = "River-connectivity graph: reaches by river system, sites snapped to them",
) -> Figure:
    """Map of a river graph (:func:`corridors.rivers.build_river_graph`) over the base map.

    Reaches are drawn in the colour of their river system, approximate
    (hand-traced) reaches dashed; snapped sites are dots on the river, and
    sites too far from any river are crosses where they lie.

    Parameters
    ----------
    graph : networkx.MultiGraph
    sites : GeoDataFrame, optional
        The sites the graph was built with (``id``, geometry), to place the
        sites left off every river; without them those are not drawn.
    ax : matplotlib Axes, optional
    bounds : (xmin, ymin, xmax, ymax), optional
        Working-CRS metres; default the graph's extent plus a margin.
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure
    """
    edges = rv.river_graph_edges(graph)
    nodes = rv.river_graph_nodes(graph)
    if bounds is None:
        xmin, ymin, xmax, ymax = edges.total_bounds
        pad = 0.06 * max(xmax - xmin, ymax - ymin)
        bounds = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    # the reaches themselves are the subject: no second drawing of the bundled rivers underneath
    fig, ax = base_map(ax=ax, bounds=bounds, rivers=False)
    z = STYLE["z"]["overlay"]
    for system, part in edges.groupby("river_system", sort=True):
        colour = SYSTEM_COLOURS.get(str(system), _OTHER)
        approx = part["approximate"].astype(bool) if "approximate" in part.columns else False
        for dashed, sub in ((False, part[~approx]), (True, part[approx])):
            if len(sub):
                sub.plot(ax=ax, color=colour, linewidth=1.6, linestyle=(0, (4, 2)) if dashed else "-", zorder=z)
    on_river = nodes[nodes["kind"] == "site"]
    if len(on_river):
        ax.scatter(on_river.geometry.x, on_river.geometry.y, s=14, color="black", edgecolor="white", linewidth=0.5, zorder=z + 1)
    report = rv.snap_report(graph)
    off_ids = set(report.loc[report["status"] == "unsnapped", "site_id"].astype(str))
    off_pts = gpd.GeoSeries([], crs=edges.crs)
    if sites is not None and off_ids:
        off_pts = sites[sites["id"].astype(str).isin(off_ids)].to_crs(edges.crs).geometry.dropna()
        off_pts = off_pts[~off_pts.is_empty].representative_point()
    if len(off_pts):
        ax.scatter(off_pts.x, off_pts.y, s=22, marker="x", color="#b2182b", linewidth=1.2, zorder=z + 1)
    handles = [Line2D([], [], color=SYSTEM_COLOURS.get(s, _OTHER), linewidth=1.6, label=s.replace("_", " ").title())
               for s in sorted(edges["river_system"].dropna().unique())]
    if "approximate" in edges.columns and edges["approximate"].astype(bool).any():
        handles.append(Line2D([], [], color=_OTHER, linewidth=1.6, linestyle=(0, (4, 2)), label="approximate reach"))
    handles.append(Line2D([], [], marker="o", linestyle="", color="black", markeredgecolor="white", label="site on a river"))
    if len(off_pts):
        handles.append(Line2D([], [], marker="x", linestyle="", color="#b2182b", label="site off every river"))
    ax.legend(handles=handles, loc="lower right", fontsize=STYLE["font_size"], frameon=True)
    add_scale_bar(ax)
    add_north_arrow(ax)
    if title:
        ax.set_title(title, fontsize=STYLE["font_size"] + 2, color=STYLE["text"])
    return fig
