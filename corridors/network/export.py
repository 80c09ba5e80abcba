"""Habitat-network outputs: GeoPackage (nodes and links with every metric), CSV tables, provenance, and the network map."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors.io import write_geopackage
from corridors.io.provenance import package_versions
from corridors.network.graph import HabitatGraph
from corridors.network.metrics import Connectivity


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].map(lambda v: isinstance(v, (list, tuple, set))).any():
            out[col] = out[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, set)) else v)
    return out


def node_layer(g: HabitatGraph, conn: Connectivity) -> gpd.GeoDataFrame:
    """Nodes with their attributes and every node metric, in the working CRS.

    Parameters
    ----------
    g : HabitatGraph
        Nodes must have a geometry.
    conn : Connectivity
        From :func:`corridors.network.connectivity` on ``g``.

    Returns
    -------
    GeoDataFrame
        Index reset to an ``id`` column.
    """
    attrs = g.nodes.drop(columns=[c for c in ("capacity",) if c in g.nodes.columns])
    geom = attrs.geometry if isinstance(attrs, gpd.GeoDataFrame) else None
    table = pd.concat([conn.nodes, attrs.drop(columns=[geom.name]) if geom is not None else attrs], axis=1)
    table = table.reset_index(names="id")
    if geom is None:
        return table
    return gpd.GeoDataFrame(table, geometry=list(geom.to_numpy()), crs=attrs.crs)


def link_layer(g: HabitatGraph, conn: Connectivity) -> gpd.GeoDataFrame | pd.DataFrame:
    """Links with every link attribute and metric; a straight segment where the source drew no course.

    Parameters
    ----------
    g : HabitatGraph
    conn : Connectivity

    Returns
    -------
    GeoDataFrame (or DataFrame if the nodes have no geometry)
    """
    lk = conn.links.copy()
    if not isinstance(g.nodes, gpd.GeoDataFrame):
        return pd.DataFrame(lk.drop(columns=["geometry"], errors="ignore"))
    pts = g.nodes.geometry.representative_point()
    straight = [shapely.LineString([pts.loc[a].coords[0], pts.loc[b].coords[0]]) for a, b in zip(lk["i"], lk["j"])]
    if "geometry" in lk.columns:
        geoms = [s if (x is None or (hasattr(x, "is_empty") and x.is_empty)) else x for x, s in zip(lk["geometry"], straight)]
        lk = lk.drop(columns=["geometry"])
    else:
        geoms = straight
    return gpd.GeoDataFrame(pd.DataFrame(lk), geometry=geoms, crs=g.nodes.crs)


def write_results(
    outdir: str | os.PathLike,
    g: HabitatGraph,
    conn: Connectivity,
    *,
    ranking: pd.DataFrame | None = None,
    borders: pd.DataFrame | None = None,
    systems: pd.DataFrame | None = None,
    extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    params: Mapping | None = None,
    stem: str = "network",
) -> dict[str, Path]:
    """Write a network analysis into a folder, all files or none.

    Files: ``<stem>.gpkg`` (layers ``nodes`` and ``links`` with every
    metric, plus ``extra_layers``), ``<stem>_nodes.csv``,
    ``<stem>_links.csv``, ``<stem>_summary.csv`` (one row for the graph,
    and one per river system when ``systems`` is given), and when given
    ``<stem>_whatif.csv`` (the candidates ranked by EC gain) and
    ``<stem>_borders.csv`` (fence losses), plus
    ``<stem>_provenance.json`` (parameters, package versions, date). The
    files are built in a hidden folder beside the outputs and renamed into
    place once all are written; other files in the folder are left alone.

    Parameters
    ----------
    outdir : path-like
    g : HabitatGraph
    conn : Connectivity
    ranking, borders, systems : DataFrame, optional
    extra_layers : mapping of str to GeoDataFrame, optional
    params : mapping, optional
        Recorded in the provenance file.
    stem : str, default 'network'

    Returns
    -------
    dict of str to pathlib.Path
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    names = {"gpkg": f"{stem}.gpkg", "nodes": f"{stem}_nodes.csv", "links": f"{stem}_links.csv",
             "summary": f"{stem}_summary.csv", "provenance": f"{stem}_provenance.json"}
    if ranking is not None:
        names["whatif"] = f"{stem}_whatif.csv"
    if borders is not None:
        names["borders"] = f"{stem}_borders.csv"
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=out))
    try:
        nodes = node_layer(g, conn)
        links = link_layer(g, conn)
        if isinstance(nodes, gpd.GeoDataFrame):
            layers = {"nodes": nodes, "links": links}
            layers.update(extra_layers or {})
            write_geopackage(tmp / names["gpkg"], layers)
        else:
            names.pop("gpkg")
        _flat(pd.DataFrame(nodes).drop(columns=["geometry"], errors="ignore")).to_csv(tmp / names["nodes"], index=False)
        _flat(pd.DataFrame(links).drop(columns=["geometry"], errors="ignore")).to_csv(tmp / names["links"], index=False)
        summ = pd.DataFrame([conn.summary])
        if systems is not None:
            summ = pd.concat([summ, systems.reset_index(drop=True)], ignore_index=True)
        summ.to_csv(tmp / names["summary"], index=False)
        if ranking is not None:
            _flat(ranking.reset_index()).to_csv(tmp / names["whatif"], index=False)
        if borders is not None:
            borders.reset_index().to_csv(tmp / names["borders"], index=False)
        meta = {k: v for k, v in g.meta.items() if k != "source_object"}
        prov = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tool": "corridors.network",
            "graph": g.name,
            "capacity": g.nodes.attrs.get("capacity_field", "capacity"),
            "landscape_area": g.area_l,
            "graph_meta": meta,
            "params": dict(params or {}),
            "crs": settings.WORKING_CRS.to_wkt() if isinstance(g.nodes, gpd.GeoDataFrame) else None,
            "versions": package_versions(),
            "conventions": "Conefor: IIC, PC over ordered pairs with i = j; EC = sqrt(PCnum); dPC = intra + flux (both "
                           "directions) + connector, A_L fixed when a node is removed.",
        }
        (tmp / names["provenance"]).write_text(json.dumps(prov, indent=2, default=str) + "\n", encoding="utf-8")
        for name in names.values():
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {k: out / v for k, v in names.items()}


def plot_network(
    g: HabitatGraph,
    conn: Connectivity,
    *,
    ax=None,
    bounds=None,
    metric: str = "dPC",
    candidates: gpd.GeoDataFrame | None = None,
    corridors: gpd.GeoDataFrame | None = None,
    labels: int = 10,
    title: str | None = None,
):
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
    import matplotlib
    from matplotlib import cm, colors
    from matplotlib.lines import Line2D

    from corridors import plot

    nodes = node_layer(g, conn)
    links = link_layer(g, conn)
    if bounds is None:
        xmin, ymin, xmax, ymax = nodes.total_bounds
        if candidates is not None and len(candidates):
            cx = candidates.to_crs(settings.WORKING_CRS).total_bounds
            xmin, ymin, xmax, ymax = min(xmin, cx[0]), min(ymin, cx[1]), max(xmax, cx[2]), max(ymax, cx[3])
        pad = 0.08 * max(xmax - xmin, ymax - ymin, 200_000.0)
        bounds = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    fig, ax = plot.base_map(ax=ax, bounds=bounds)
    z = plot.STYLE["z"]["overlay"]
    cmap = matplotlib.colormaps["viridis_r"]
    norm = colors.LogNorm(vmin=1e-3, vmax=1.0)
    if len(links):
        order = np.argsort(links["probability"].to_numpy())
        for r in order:
            p = float(links["probability"].iloc[r])
            geom = links.geometry.iloc[r]
            for part in getattr(geom, "geoms", [geom]):
                x, y = part.xy
                ax.plot(x, y, color=cmap(norm(max(p, 1e-3))), linewidth=0.8 + 2.4 * p, alpha=0.9, zorder=z,
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
    fc = [plot.STYLE["unit_colours"].get((u[0] if isinstance(u, (list, tuple)) and u else None), "#444444") for u in units]
    ax.scatter(pts.x, pts.y, s=size, c=fc, edgecolors="black", linewidths=0.6, zorder=z + 1, alpha=0.9)
    if candidates is not None and len(candidates):
        cp = candidates.to_crs(settings.WORKING_CRS).geometry.representative_point()
        ax.scatter(cp.x, cp.y, s=40, marker="D", facecolors="none", edgecolors="#b2182b", linewidths=1.0, zorder=z + 1)
    import matplotlib.patheffects as pe

    texts, anchors = [], []
    if labels:
        halo = [pe.withStroke(linewidth=2.0, foreground="white")]
        for r in np.argsort(-vals)[:labels]:
            if vals[r] <= 0:
                continue
            nm = nodes["code"].iloc[r] if "code" in nodes.columns and isinstance(nodes["code"].iloc[r], str) else nodes["id"].iloc[r]
            x, y = float(pts.x.iloc[r]), float(pts.y.iloc[r])
            texts.append(ax.text(x, y, f"{nm} {vals[r]:.1f}", fontsize=6, ha="left", va="bottom", path_effects=halo,
                                 zorder=plot.STYLE["z"]["labels"] + 1))
            anchors.append((x, y))
    if corridors is not None and len(corridors):
        cg = corridors.to_crs(settings.WORKING_CRS)
        halo = [pe.withStroke(linewidth=1.8, foreground="white")]
        for _, row in cg.iterrows():
            x, y = row.geometry.xy
            ax.plot(x, y, color="#b2182b", linewidth=1.0, linestyle=(0, (3, 2)), zorder=z - 0.5)
            if "key" in cg.columns:
                mid = row.geometry.interpolate(0.5, normalized=True)
                texts.append(ax.text(mid.x, mid.y, str(row["key"]), fontsize=5.5, color="#b2182b", ha="center",
                                     va="center", path_effects=halo, zorder=plot.STYLE["z"]["labels"]))
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
    # below the frame, so it hides no node (save_figure keeps everything drawn)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=len(handles), fontsize=6.5,
              frameon=False, handlelength=3.2, handletextpad=0.9, columnspacing=1.5)
    plot.add_scale_bar(ax)
    plot.add_north_arrow(ax)
    if title is None:
        s = conn.summary
        title = (f"Habitat network '{g.name}': {s['n_nodes']} nodes, {s['n_links']} links, EC(PC) = {s['EC_PC']:,.0f} "
                 f"of {s['total_capacity']:,.0f} capacity units,\nPC = {s['PC']:.3f}; nodes sized by {metric} (%), links shaded by probability")
    ax.set_title(title, fontsize=8)
    # node and corridor labels clear each other, the node and candidate markers and the country names
    # (the programme map's placement: adjustText, then a free-spot search, then leader lines)
    symbols = list(zip(pts.x.astype(float), pts.y.astype(float)))
    if candidates is not None and len(candidates):
        symbols += list(zip(cp.x.astype(float), cp.y.astype(float)))
    plot.place_labels(ax, texts, anchors, symbols)
    return fig
