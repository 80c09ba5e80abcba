"""Queries of the river graph: the snap report and along-river distances and paths between sites."""

from __future__ import annotations

import math
from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

from corridors._errors import DataError, where


def snap_report(graph: nx.MultiGraph) -> pd.DataFrame:
    """How every site met the rivers.

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.

    Returns
    -------
    pandas.DataFrame
        One row per site: ``site_id``, ``name``, ``kind``, ``status``
        (``snapped``, ``unsnapped``: farther than the tolerance from every
        river, ``unresolved``: no location), ``distance_m`` (to the river it
        snapped to, or to the nearest river when unsnapped), ``river`` and
        ``river_system`` (snapped or nearest), ``river_stated`` (the site's own
        ``river`` field) and ``node`` (graph node, snapped sites only).
    """
    return graph.graph.get("snap_report", pd.DataFrame(columns=["site_id", "status"])).copy()


def _site_node(graph: nx.MultiGraph, site_id: str) -> int:
    """The node of a snapped site, or a DataError saying why there is none."""
    nodes = graph.graph.get("site_nodes", {})
    if site_id in nodes:
        return nodes[site_id]
    report = graph.graph.get("snap_report")
    if report is not None and (report["site_id"] == site_id).any():
        row = report[report["site_id"] == site_id].iloc[0]
        if row["status"] == "unresolved":
            raise DataError(
                f"{where(feature=site_id, field='geometry')}: the site is unresolved (no location), so it has no "
                "river distance; locate it first."
            )
        raise DataError(
            f"{where(feature=site_id, field='geometry')}: the site is {row['distance_m'] / 1000:.1f} km from the "
            f"nearest river ({row['river']}), beyond the {graph.graph['tolerance_m'] / 1000:g} km tolerance, so it "
            "is not on the river graph; raise the tolerance if it belongs to that river."
        )
    raise DataError(f"{where(feature=site_id)}: no such site in the river graph; check the id against the sites file.")


def _offset(graph: nx.MultiGraph, site_id: str) -> float:
    report = graph.graph["snap_report"]
    return float(report.loc[report["site_id"] == site_id, "distance_m"].iloc[0])


def along_river_distance(graph: nx.MultiGraph, site_a: str, site_b: str, add_offsets: bool = False) -> float:
    """Distance in metres between two sites along the rivers.

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.
    site_a, site_b : str
        Site ids (snapped sites).
    add_offsets : bool, default False
        Add each site's distance to its river point (the snap distance), so
        the result runs from site to river, along it, and back to the site.

    Returns
    -------
    float
        Metres; ``0.0`` for a site with itself (offsets or not); ``math.inf`` when the two sites
        lie on different river systems (no water connects them), so that a
        matrix of these values can feed a connectivity graph directly.

    Raises
    ------
    DataError
        If a site id is unknown, unresolved, or too far from any river to be
        snapped (the message gives its distance and the tolerance).
    """
    a, b = sorted((_site_node(graph, site_a), _site_node(graph, site_b)))  # same sum order both ways
    if site_a == site_b:
        return 0.0
    try:
        d = float(nx.dijkstra_path_length(graph, a, b, weight="length_m"))
    except nx.NetworkXNoPath:
        return math.inf
    if add_offsets:
        d += _offset(graph, site_a) + _offset(graph, site_b)
    return d


def along_river_distances(
    graph: nx.MultiGraph, site_ids: Iterable[str] | None = None, add_offsets: bool = False
) -> pd.DataFrame:
    """Matrix of along-river distances between sites (one Dijkstra per site).

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.
    site_ids : iterable of str, optional
        The sites, in the order wanted. Default: every snapped site.
    add_offsets : bool, default False
        As in :func:`along_river_distance`.

    Returns
    -------
    pandas.DataFrame
        Square, symmetric, metres; index and columns are the site ids;
        ``inf`` between sites on different river systems.

    Raises
    ------
    DataError
        If a site id is unknown, unresolved or unsnapped.
    """
    ids = list(graph.graph.get("site_nodes", {})) if site_ids is None else list(site_ids)
    node_of = {s: _site_node(graph, s) for s in ids}
    offsets = np.array([_offset(graph, s) if add_offsets else 0.0 for s in ids])
    # scipy's compiled Dijkstra, one run per distinct source node (networkx's pure-Python
    # Dijkstra is ~100x slower for a few hundred sites on a detailed network).
    order = list(graph.nodes)
    index = {n: i for i, n in enumerate(order)}
    edges = pd.DataFrame(
        [(min(index[u], index[v]), max(index[u], index[v]), w) for u, v, w in graph.edges(data="length_m") if u != v],
        columns=["a", "b", "w"],
    )
    edges = edges.groupby(["a", "b"], as_index=False)["w"].min()  # parallel reaches: the shorter one
    # csgraph drops explicit zeros as non-edges; a reach is never shorter than 1e-9 m in practice.
    weights = np.maximum(edges["w"].to_numpy(), 1e-9)
    adj = coo_matrix((weights, (edges["a"], edges["b"])), shape=(len(order), len(order))).tocsr()
    sources = sorted({index[n] for n in node_of.values()})
    dist = dijkstra(adj, directed=False, indices=sources) if sources else np.empty((0, len(order)))
    row_of = {src: k for k, src in enumerate(sources)}
    rows = np.array([row_of[index[node_of[s]]] for s in ids], dtype=int)
    cols = np.array([index[node_of[s]] for s in ids], dtype=int)
    out = dist[np.ix_(rows, cols)] if len(ids) else np.empty((0, 0))
    out = out + offsets[:, None] + offsets[None, :]
    np.fill_diagonal(out, 0.0)
    # Sums along a path in the two directions can differ in the last bit; keep the matrix exactly symmetric.
    out = np.minimum(out, out.T)
    return pd.DataFrame(out, index=pd.Index(ids, name="site_id"), columns=ids)


def along_river_path(graph: nx.MultiGraph, site_a: str, site_b: str) -> LineString:
    """The river course between two sites, as one line from ``site_a`` to ``site_b``.

    Parameters
    ----------
    graph : networkx.MultiGraph
        From :func:`build_river_graph`.
    site_a, site_b : str
        Site ids (snapped sites).

    Returns
    -------
    shapely.LineString
        In the working CRS; its length equals :func:`along_river_distance`.
        For a site with itself, a zero-length line at its river point.

    Raises
    ------
    DataError
        If a site is unknown, unresolved or unsnapped, or if the two sites
        lie on different river systems (no river path exists).
    """
    a, b = _site_node(graph, site_a), _site_node(graph, site_b)
    pa = Point(graph.nodes[a]["x"], graph.nodes[a]["y"])
    if a == b:
        return LineString([pa, pa])
    try:
        path = nx.dijkstra_path(graph, a, b, weight="length_m")
    except nx.NetworkXNoPath as exc:
        sa, sb = graph.nodes[a]["river_system"], graph.nodes[b]["river_system"]
        raise DataError(
            f"{where(feature=f'{site_a} -> {site_b}')}: the sites lie on different river systems ({sa}, {sb}), "
            "so no river path joins them; use a least-cost path instead."
        ) from exc
    parts = []
    for u, v in zip(path[:-1], path[1:]):
        edge = min(graph[u][v].values(), key=lambda e: e["length_m"])
        parts.append(edge["geometry"])
    line = shapely.line_merge(shapely.MultiLineString(parts))
    if line.geom_type != "LineString":  # reaches meet exactly (pinned ends), so this does not happen
        raise DataError(
            f"{where(feature=f'{site_a} -> {site_b}')}: the river path is not continuous; rebuild the graph."
        )
    if Point(line.coords[0]).distance(pa) > Point(line.coords[-1]).distance(pa):
        line = line.reverse()
    return line
