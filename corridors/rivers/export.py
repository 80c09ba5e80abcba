"""The river graph as GeoDataFrames and a GeoPackage, and its summary counts."""

from __future__ import annotations

import math
import os
from pathlib import Path

import geopandas as gpd
import networkx as nx
from shapely.geometry import LineString, Point

from corridors import settings
from corridors.io import encode_list, write_geopackage
from corridors.rivers.distances import snap_report
from corridors.rivers.graph import _SAME_POINT_M, SNAP_STATUSES


def river_graph_nodes(graph: nx.MultiGraph) -> gpd.GeoDataFrame:
    """The graph's nodes as points (working CRS).

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``node``, ``kind``, ``site_id``, ``river``, ``rivers`` (``;``-joined),
        ``river_system``, ``degree`` and the point.
    """
    rows = [
        {
            "node": n,
            "kind": d["kind"],
            "site_id": d["site_id"],
            "river": d["river"],
            "rivers": encode_list(d["rivers"]),
            "river_system": d["river_system"],
            "degree": graph.degree(n),
            "geometry": Point(d["x"], d["y"]),
        }
        for n, d in graph.nodes(data=True)
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.WORKING_CRS)


def river_graph_edges(graph: nx.MultiGraph) -> gpd.GeoDataFrame:
    """The graph's reaches as lines (working CRS).

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``from_node`` and ``to_node`` (the nodes at the line's first and last
        vertex), ``key`` (among parallel reaches), ``river``,
        ``river_system``, ``name``, ``length_m``, ``approximate``,
        ``precision_km`` and the line.
    """

    def starts_at(n: int, line: LineString) -> bool:
        x, y = line.coords[0]
        return math.hypot(x - graph.nodes[n]["x"], y - graph.nodes[n]["y"]) < _SAME_POINT_M

    rows = [
        {
            "from_node": u if starts_at(u, d["geometry"]) else v,
            "to_node": v if starts_at(u, d["geometry"]) else u,
            "key": k,
            "river": d["river"],
            "river_system": d["river_system"],
            "name": d["name"],
            "length_m": d["length_m"],
            "approximate": d["approximate"],
            "precision_km": d["precision_km"],
            "geometry": d["geometry"],
        }
        for u, v, k, d in graph.edges(keys=True, data=True)
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.WORKING_CRS)


def river_graph_to_geopackage(
    graph: nx.MultiGraph, path: str | os.PathLike, sites: gpd.GeoDataFrame | None = None
) -> Path:
    """Write the graph to a GeoPackage (atomically), in the working CRS.

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.
    path : path-like
        The ``.gpkg`` file; replaced as a whole.
    sites : GeoDataFrame, optional
        The sites the graph was built with; when given, the ``unsnapped``
        layer carries their geometry (null for unresolved sites).

    Returns
    -------
    pathlib.Path
        The written file, with layers ``nodes``, ``edges`` and, when some
        site was not snapped, ``unsnapped`` (the snap-report rows of the
        unsnapped and unresolved sites).
    """
    layers = {"nodes": river_graph_nodes(graph), "edges": river_graph_edges(graph)}
    report = snap_report(graph)
    missing = report[report["status"] != "snapped"].drop(columns=["node"])
    if len(missing):
        geoms = [None] * len(missing)
        if sites is not None and "id" in sites.columns:
            by_id = sites.to_crs(settings.WORKING_CRS).set_index("id").geometry
            geoms = [by_id.get(s) for s in missing["site_id"]]
        layers["unsnapped"] = gpd.GeoDataFrame(missing, geometry=geoms, crs=settings.WORKING_CRS)
    return write_geopackage(layers, path)


def river_graph_summary(graph: nx.MultiGraph) -> dict:
    """Counts and lengths that describe a river graph.

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.

    Returns
    -------
    dict
        ``components`` (river system to number of connected components; 1
        each when every tributary joins its main river), ``length_km`` (river
        to total reach length), ``nodes`` (kind to count) and ``sites``
        (status to count).
    """
    components: dict[str, int] = {}
    for comp in nx.connected_components(graph):
        systems = {graph.nodes[n]["river_system"] for n in comp}
        for s in systems:
            components[s] = components.get(s, 0) + 1
    length: dict[str, float] = {}
    for _, _, d in graph.edges(data=True):
        length[d["river"]] = length.get(d["river"], 0.0) + d["length_m"] / 1000
    kinds: dict[str, int] = {}
    for _, d in graph.nodes(data=True):
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    report = snap_report(graph)
    sites = {s: int((report["status"] == s).sum()) for s in SNAP_STATUSES}
    return {
        "components": dict(sorted(components.items())),
        "length_km": dict(sorted(length.items())),
        "nodes": dict(sorted(kinds.items())),
        "sites": sites,
    }


def system_components(graph: nx.MultiGraph) -> list[set[str]]:
    """The river systems of each connected component of the graph.

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.

    Returns
    -------
    list of set of str
        One set per component; a well-formed graph has one system per set and
        one set per system.
    """
    return [{graph.nodes[n]["river_system"] for n in comp} for comp in nx.connected_components(graph)]
