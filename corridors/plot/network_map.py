"""The habitat-network map: nodes sized by a node metric, links shaded by their dispersal probability."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import cm, colors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from corridors import settings
from corridors.network.export import link_layer, node_layer
from corridors.network.graph import HabitatGraph
from corridors.network.metrics import Connectivity
from corridors.plot.labels import place_labels
from corridors.plot.style import STYLE, add_north_arrow, add_scale_bar, base_map, halo


#: Links with a smaller dispersal probability are not drawn (the floor of the colour scale); the legend counts them.
MIN_DRAWN_P: float = 1e-3


def plot_network(
    g: HabitatGraph,
    conn: Connectivity,
    *,
    ax: Axes | None = None,
    bounds: Sequence[float] | None = None,
    metric: str = "dPC",
    candidates: gpd.GeoDataFrame | None = None,
    corridors: gpd.GeoDataFrame | None = None,
    labels: int = 10,
    title: str | None = None,
) -> Figure:
    """Map of the habitat network over the base map: nodes sized by a node metric, links shaded by probability.

    Parameters
    ----------
    g : HabitatGraph
        Nodes with a geometry (working CRS).
    conn : Connectivity
    ax : matplotlib Axes, optional
    bounds : (xmin, ymin, xmax, ymax), optional
        Default: the nodes' extent plus a margin.
    metric : str, default 'dPC'
        Node column of ``conn.nodes`` that sets the marker area.
    candidates : GeoDataFrame, optional
        Candidate sites to show (hollow diamonds), e.g. with a ``rank`` column.
    corridors : GeoDataFrame, optional
        Candidate corridors (lines, e.g. ``ProgrammeAnalysis.corridors``),
        drawn dashed (straight between their ends) and labelled with their key.
    labels : int, default 10
        Label the nodes with the largest ``metric`` (0: none).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    nodes = node_layer(g, conn)
    links = link_layer(g, conn)
    if bounds is None:
        xmin, ymin, xmax, ymax = nodes.total_bounds
        if candidates is not None and len(candidates):
            cx = candidates.to_crs(settings.WORKING_CRS).total_bounds
            xmin, ymin, xmax, ymax = min(xmin, cx[0]), min(ymin, cx[1]), max(xmax, cx[2]), max(ymax, cx[3])
        pad = 0.08 * max(xmax - xmin, ymax - ymin, 200_000.0)
        bounds = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    fig, ax = base_map(ax=ax, bounds=bounds)
    z = STYLE["z"]["overlay"]
    cmap = matplotlib.colormaps["viridis_r"]
    norm = colors.LogNorm(vmin=MIN_DRAWN_P, vmax=1.0)
    hidden = 0
    if len(links):
        # A link below the colour scale's floor carries next to no dispersal; drawn, the dozens of such links of an
        # all-pairs network (least-cost links between every pair) would hide the few that matter. They are counted
        # in the legend instead.
        shown = links["probability"].to_numpy(dtype=float) >= MIN_DRAWN_P
        hidden = int((~shown).sum())
        order = [r for r in np.argsort(links["probability"].to_numpy()) if shown[r]]
        for r in order:
            p = float(links["probability"].iloc[r])
            geom = links.geometry.iloc[r]
            for part in getattr(geom, "geoms", [geom]):
                x, y = part.xy
                ax.plot(x, y, color=cmap(norm(p)), linewidth=0.8 + 2.4 * p, alpha=0.9, zorder=z,
                        solid_capstyle="round")
        sm = cm.ScalarMappable(norm=norm, cmap=cmap)
        cb = fig.colorbar(sm, ax=ax, shrink=0.5, pad=0.01, aspect=25)
        cb.set_label("link dispersal probability p", fontsize=7)
        cb.ax.tick_params(labelsize=6)
    vals = nodes[metric].fillna(0.0).to_numpy(dtype=float) if metric in nodes.columns else np.ones(len(nodes))
    vmax = max(float(vals.max()) if len(vals) else 1.0, 1e-9)
    size = 12 + 400 * vals / vmax
    pts = nodes.geometry.representative_point()
    units = nodes["population_unit"] if "population_unit" in nodes.columns else pd.Series([[None]] * len(nodes))
    fc = [STYLE["unit_colours"].get((u[0] if isinstance(u, (list, tuple)) and u else None), "#444444") for u in units]
    ax.scatter(pts.x, pts.y, s=size, c=fc, edgecolors="black", linewidths=0.6, zorder=z + 1, alpha=0.9)
    if candidates is not None and len(candidates):
        cp = candidates.to_crs(settings.WORKING_CRS).geometry.representative_point()
        ax.scatter(cp.x, cp.y, s=40, marker="D", facecolors="none", edgecolors="#b2182b", linewidths=1.0, zorder=z + 1)
    texts, anchors = [], []
    if labels:
        ring = halo()
        for r in np.argsort(-vals)[:labels]:
            if vals[r] <= 0:
                continue
            nm = nodes["code"].iloc[r] if "code" in nodes.columns and isinstance(nodes["code"].iloc[r], str) else nodes["id"].iloc[r]
            x, y = float(pts.x.iloc[r]), float(pts.y.iloc[r])
            texts.append(ax.text(x, y, f"{nm} {vals[r]:.1f}", fontsize=6, ha="left", va="bottom", path_effects=ring,
                                 zorder=STYLE["z"]["labels"] + 1))
            anchors.append((x, y))
    if corridors is not None and len(corridors):
        cg = corridors.to_crs(settings.WORKING_CRS)
        ring = halo(1.8)
        for _, row in cg.iterrows():
            x, y = row.geometry.xy
            ax.plot(x, y, color="#b2182b", linewidth=1.0, linestyle=(0, (3, 2)), zorder=z - 0.5)
            if "key" in cg.columns:
                mid = row.geometry.interpolate(0.5, normalized=True)
                texts.append(ax.text(mid.x, mid.y, str(row["key"]), fontsize=5.5, color="#b2182b", ha="center",
                                     va="center", path_effects=ring, zorder=STYLE["z"]["labels"]))
                anchors.append((mid.x, mid.y))
    ref = [v for v in (vmax, vmax / 4) if v > 0]
    handles = [Line2D([], [], marker="o", linestyle="", markersize=np.sqrt(12 + 400 * v / vmax), markerfacecolor="white",
                      markeredgecolor="black", label=f"{metric} {v:.1f} %") for v in ref]
    if candidates is not None and len(candidates):
        handles.append(Line2D([], [], marker="D", linestyle="", markerfacecolor="none", markeredgecolor="#b2182b",
                              label="candidate site"))
    if corridors is not None and len(corridors):
        handles.append(Line2D([], [], color="#b2182b", linewidth=1.0, linestyle=(0, (3, 2)),
                              label="programme corridor (measure key; straight between its ends)"))
    if hidden:
        handles.append(Line2D([], [], color="none", label=f"{hidden} of {len(links)} links have p < {MIN_DRAWN_P:g}: not drawn"))
    # below the frame, so it hides no node (save_figure keeps everything drawn)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=len(handles), fontsize=6.5,
              frameon=False, handlelength=3.2, handletextpad=0.9, columnspacing=1.5)
    add_scale_bar(ax)
    add_north_arrow(ax)
    if title is None:
        s = conn.summary
        title = (f"Habitat network '{g.name}': {s['n_nodes']} nodes, {s['n_links']} links, EC(PC) = {s['EC_PC']:,.0f} "
                 f"of {s['total_capacity']:,.0f} capacity units,\nPC = {s['PC']:.3g}; nodes sized by {metric} (%), links shaded by probability")
    ax.set_title(title, fontsize=8)
    # node and corridor labels clear each other, the node and candidate markers and the country names
    # (the programme map's placement: adjustText, then a free-spot search, then leader lines)
    symbols = list(zip(pts.x.astype(float), pts.y.astype(float)))
    if candidates is not None and len(candidates):
        symbols += list(zip(cp.x.astype(float), cp.y.astype(float)))
    place_labels(ax, texts, anchors, symbols)
    return fig
