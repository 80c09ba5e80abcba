"""Habitat-network outputs: GeoPackage (nodes and links with every metric), CSV tables and provenance.

The network map is drawn by :func:`corridors.plot.plot_network` (engines do not draw).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from corridors import settings
from corridors.io import provenance, staged_folder, write_csv, write_geopackage
from corridors.network.conefor import write_conefor
from corridors.network.graph import HabitatGraph
from corridors.network.metrics import Connectivity


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
    g: HabitatGraph | str | os.PathLike,
    conn: Connectivity | HabitatGraph,
    outdir: str | os.PathLike | Connectivity,
    *,
    ranking: pd.DataFrame | None = None,
    borders: pd.DataFrame | None = None,
    systems: pd.DataFrame | None = None,
    extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    params: Mapping | None = None,
    stem: str = "network",
    inputs: Mapping[str, str | os.PathLike] | None = None,
    command: str = "corridors network",
    conefor: bool = False,
) -> dict[str, Path]:
    """Write a network analysis into a folder, all files or none.

    Files: ``<stem>.gpkg`` (layers ``nodes`` and ``links`` with every
    metric, plus ``extra_layers``), ``<stem>_nodes.csv``,
    ``<stem>_links.csv``, ``<stem>_summary.csv`` (one row for the graph,
    and one per river system when ``systems`` is given), and when given
    ``<stem>_whatif.csv`` (the candidates ranked by EC gain) and
    ``<stem>_borders.csv`` (fence losses), plus
    ``provenance.json`` (inputs with their SHA-256, parameters, the graph's
    settings, package versions, date). The
    files are built in a hidden folder beside the outputs and renamed into
    place once all are written (:func:`corridors.io.staged_folder`, which
    refuses a folder holding files corridors did not write); other outputs
    of corridors in the folder are left alone. Every table goes through
    :func:`corridors.io.write_csv` (list-valued columns as ``;``-joined text).

    Parameters
    ----------
    g : HabitatGraph
    conn : Connectivity
    outdir : path-like
        Data first, the folder last; the first release's order
        ``write_results(outdir, g, conn)`` works for one release with a
        DeprecationWarning.
    ranking, borders, systems : DataFrame, optional
    extra_layers : mapping of str to GeoDataFrame, optional
    params : mapping, optional
        Recorded in the provenance file.
    stem : str, default 'network'
    inputs : mapping of str to path, optional
        Input files, listed with their SHA-256 in the provenance file.
    command : str, default 'corridors network'
        What produced the folder.
    conefor : bool, default False
        Also ``conefor_nodes.txt`` and ``conefor_links.txt`` (key ``conefor``),
        the graph as a Conefor project (:func:`corridors.network.write_conefor`).

    Returns
    -------
    dict of str to pathlib.Path
    """
    if isinstance(g, (str, os.PathLike)):
        warnings.warn("write_results(outdir, g, conn) is deprecated and goes in the next release; write "
                      "write_results(g, conn, outdir) (data first).", DeprecationWarning, stacklevel=2)
        g, conn, outdir = conn, outdir, g
    out = Path(outdir)
    names = {"gpkg": f"{stem}.gpkg", "nodes": f"{stem}_nodes.csv", "links": f"{stem}_links.csv",
             "summary": f"{stem}_summary.csv", "provenance": "provenance.json"}
    if ranking is not None:
        names["whatif"] = f"{stem}_whatif.csv"
    if borders is not None:
        names["borders"] = f"{stem}_borders.csv"
    with staged_folder(out, name=stem) as tmp:
        nodes = node_layer(g, conn)
        links = link_layer(g, conn)
        if isinstance(nodes, gpd.GeoDataFrame):
            layers = {"nodes": nodes, "links": links}
            layers.update(extra_layers or {})
            write_geopackage(layers, tmp / names["gpkg"])
        else:
            names.pop("gpkg")
        write_csv(pd.DataFrame(nodes).drop(columns=["geometry"], errors="ignore"), tmp / names["nodes"])
        write_csv(pd.DataFrame(links).drop(columns=["geometry"], errors="ignore"), tmp / names["links"])
        summ = pd.DataFrame([conn.summary])
        if systems is not None:
            summ = pd.concat([summ, systems.reset_index(drop=True)], ignore_index=True)
        write_csv(summ, tmp / names["summary"])
        if ranking is not None:
            write_csv(ranking.reset_index(), tmp / names["whatif"])
        if borders is not None:
            write_csv(borders.reset_index(), tmp / names["borders"])
        meta = {k: v for k, v in g.meta.items() if k != "source_object"}
        prov = provenance.record(inputs=inputs, parameters=params, command=command)
        prov.update({
            "graph": g.name,
            "capacity": g.nodes.attrs.get("capacity_field", "capacity"),
            "landscape_area": g.area_l,
            "graph_meta": meta,
            "crs": settings.WORKING_CRS.to_wkt() if isinstance(g.nodes, gpd.GeoDataFrame) else None,
            "conventions": "Conefor: IIC, PC over ordered pairs with i = j; EC = sqrt(PCnum); dPC = intra + flux (both "
                           "directions) + connector, A_L fixed when a node is removed.",
        })
        provenance.write(prov, tmp / names["provenance"])
        if conefor:
            write_conefor(g, tmp / "conefor_nodes.txt", tmp / "conefor_links.txt")
            names["conefor"] = "conefor_links.txt"
    return {k: out / v for k, v in names.items()}
