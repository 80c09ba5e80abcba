"""Building the river-connectivity graph: reaches between confluences, river ends and snapped sites."""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.ops import nearest_points, substring

from corridors import settings
from corridors._errors import ConfigError, DataError, where
from corridors.io import encode_list
from corridors.rivers.load import _check_rivers, load_rivers


#: Default distance within which a site is snapped to a river, in metres.
DEFAULT_TOLERANCE_M: float = 15_000.0

#: Line ends closer than this to another line of the same system join it (metres).
DEFAULT_JOIN_M: float = 50.0

#: Points along one line closer than this are one node (metres).
_SAME_POINT_M = 1.0

#: Site statuses in the snap report.
SNAP_STATUSES: tuple[str, ...] = ("snapped", "unsnapped", "unresolved")


class _Nodes:
    """Node store with union-find merging (for points that turn out to be the same place)."""

    def __init__(self) -> None:
        self.point: dict[int, Point] = {}
        self.system: dict[int, str] = {}
        self.sites: dict[int, list[str]] = {}
        self.parent: dict[int, int] = {}

    def add(self, point: Point, system: str) -> int:
        n = len(self.point)
        self.point[n], self.system[n], self.sites[n], self.parent[n] = point, system, [], n
        return n

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def union(self, keep: int, drop: int) -> int:
        keep, drop = self.find(keep), self.find(drop)
        if keep != drop:
            self.parent[drop] = keep
            self.sites[keep].extend(self.sites.pop(drop))
        return keep


def _explode_lines(rivers: gpd.GeoDataFrame) -> list[dict]:
    """One dict per LineString part, with the attributes of its feature."""
    parts = rivers.explode(index_parts=False, ignore_index=True)
    parts = parts[~parts.geometry.is_empty & (parts.geometry.length > 0)]
    return [
        {
            "geometry": geom,
            "river": river,
            "river_system": system,
            "name": name,
            "approximate": bool(approx),
            "precision_km": float(prec) if pd.notna(prec) else None,
            "cuts": [],  # (distance along, node)
        }
        for geom, river, system, name, approx, prec in zip(
            parts.geometry,
            parts["river"],
            parts["river_system"],
            parts["name"],
            parts["approximate"],
            parts["precision_km"],
        )
    ]


def _site_frame(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the fields the graph needs and return the sites in the working CRS."""
    if "id" not in sites.columns:
        raise DataError(f"{where(field='id')}: the sites have no 'id' field; give every site a unique id.")
    dup = sites["id"][sites["id"].duplicated()].tolist()
    if dup:
        raise DataError(f"{where(feature=dup[0], field='id')}: duplicate site id; make every id unique.")
    if sites.crs is None:
        raise DataError("the sites GeoDataFrame has no CRS; set one (e.g. EPSG:4326) before building the graph.")
    out = sites.to_crs(settings.WORKING_CRS) if not CRS(sites.crs).equals(settings.WORKING_CRS) else sites
    for col in ("name", "kind", "river", "river_system", "location_status"):
        if col not in out.columns:
            out = out.assign(**{col: None})
    return out


def _snap_site(
    geom: shapely.Geometry,
    lines: list[dict],
    tree: shapely.STRtree,
    stated: str | None,
    stated_system: str | None,
    tolerance_m: float,
) -> dict:
    """Where one site meets the rivers.

    Points snap to the nearest point of the nearest river. Polygons snap by
    their representative point: to the nearest river point that lies inside
    the polygon when the river crosses it (a population unit straddling its
    river snaps near its middle), else to the river point nearest the
    polygon. The distance compared with the tolerance is the geometry's own
    distance (0 for a polygon the river crosses). Among rivers within the
    tolerance, the site's stated ``river`` wins when it is one of them, else
    one of its stated ``river_system``.
    """
    within = tree.query(geom, predicate="dwithin", distance=tolerance_m)
    if within.size == 0:
        idx, dist = tree.query_nearest(geom, return_distance=True)
        return {"status": "unsnapped", "line": int(idx[0]), "distance_m": float(dist[0])}
    dists = {int(i): geom.distance(lines[i]["geometry"]) for i in within}
    candidates = sorted(dists)
    for key, value in (("river", stated), ("river_system", stated_system)):
        preferred = [i for i in candidates if value and lines[i][key] == value]
        if preferred:
            candidates = preferred
            break
    anchor = geom if geom.geom_type == "Point" else geom.representative_point()
    # The closest river; ties (several rivers crossing a polygon) go to the one nearest its anchor.
    best = min(candidates, key=lambda i: (round(dists[i], 3), anchor.distance(lines[i]["geometry"]), i))
    line = lines[best]["geometry"]
    if geom.geom_type == "Point":
        s = line.project(geom)
    else:
        inside = line.intersection(geom)
        on_river = nearest_points(inside, anchor)[0] if not inside.is_empty else nearest_points(line, geom)[0]
        s = line.project(on_river)
    return {"status": "snapped", "line": best, "s": float(s), "distance_m": float(dists[best])}


def build_river_graph(
    rivers: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None | bool = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    join_m: float = DEFAULT_JOIN_M,
) -> nx.MultiGraph:
    """Build the river-connectivity graph: reaches between confluences, ends and snapped sites.

    Parameters
    ----------
    rivers : GeoDataFrame, optional
        River centrelines as from :func:`load_rivers` (any CRS; reprojected).
        Default: the bundled rivers.
    sites : GeoDataFrame or False, optional
        Sites with at least ``id`` and a geometry (the sites schema; ``river``
        is used to prefer the stated river, ``location_status`` to report
        unresolved places). Default (``None``): the bundled programme sites
        (:func:`corridors.sites.load_sites`). ``False``: no sites.
    tolerance_m : float, default 15 000
        A site farther than this from every river is not snapped; it is
        listed in the snap report with its distance and nearest river.
    join_m : float, default 50
        A line end this close to another line of the same river system joins
        it (a tributary mouth drawn a little short or long). Lines of
        different systems are never joined, however close.

    Returns
    -------
    networkx.MultiGraph
        See the module docstring for node, edge and graph attributes.

    Raises
    ------
    ConfigError
        If ``tolerance_m`` or ``join_m`` is negative or not finite.
    DataError
        If the river layer or the sites are malformed (missing fields,
        duplicate site ids, no CRS).
    """
    for name, value in (("tolerance_m", tolerance_m), ("join_m", join_m)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(f"option {name!r}: {value!r} is not a distance; give a number of metres >= 0.")
    if rivers is not None and rivers.crs is None:
        raise DataError("the rivers GeoDataFrame has no CRS; set one (e.g. EPSG:4326) before building the graph.")
    rivers = load_rivers() if rivers is None else _check_rivers(rivers.to_crs(settings.WORKING_CRS))
    if sites is None:
        # Local: engines build river graphs (network's along-river links) and must not pull in
        # corridors.sites (the rule tests/test_circuit.py checks for circuit); only a graph of the
        # bundled sites needs it.
        from corridors.sites import load_sites

        sites = load_sites()
    lines = _explode_lines(rivers)
    if not lines:
        raise DataError("the river layer holds no line of non-zero length; give at least one river centreline.")
    nodes = _Nodes()

    geoms = np.array([ln["geometry"] for ln in lines], dtype=object)
    systems = np.array([ln["river_system"] for ln in lines], dtype=object)
    tree = shapely.STRtree(geoms)  # spatial index: keeps large river networks (10^4-10^5 reaches) fast

    # 1. Line ends: ends of one system closer than join_m are one node (KD-tree pairs, union-find).
    n_lines = len(lines)
    end_pts = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    end_xy = shapely.get_coordinates(end_pts)
    end_sys = np.concatenate([systems, systems])
    root = np.arange(len(end_pts))

    def _root(k: int) -> int:
        while root[k] != k:
            root[k] = root[root[k]]
            k = int(root[k])
        return k

    for i, j in sorted(cKDTree(end_xy).query_pairs(join_m)):
        if end_sys[i] == end_sys[j]:
            ri, rj = _root(i), _root(j)
            if ri != rj:
                root[max(ri, rj)] = min(ri, rj)
    node_of_end: dict[int, int] = {}
    for k in range(len(end_pts)):
        r = _root(k)
        if r not in node_of_end:
            node_of_end[r] = nodes.add(Point(end_xy[r]), str(end_sys[r]))
        i = k % n_lines
        lines[i]["cuts"].append((0.0 if k < n_lines else lines[i]["geometry"].length, node_of_end[r]))

    # 2. A line end on (or within join_m of) another line's interior is a confluence there.
    end_nodes = list(node_of_end.values())
    on_line = {i: {n for _, n in ln["cuts"]} for i, ln in enumerate(lines)}
    pts = np.array([nodes.point[n] for n in end_nodes], dtype=object)
    pairs = tree.query(pts, predicate="dwithin", distance=join_m) if len(pts) else np.empty((2, 0), int)
    for k, j in zip(*pairs):
        n = end_nodes[k]
        if systems[j] != nodes.system[n] or n in on_line[j]:
            continue
        other = lines[j]["geometry"]
        s = other.project(nodes.point[n])
        # The node moves onto the line it joins, so the reach meets it exactly.
        nodes.point[n] = other.interpolate(s)
        lines[j]["cuts"].append((s, n))
        on_line[j].add(n)

    # 3. Lines of one system that cross each other meet at a confluence too.
    for i, j in zip(*tree.query(geoms, predicate="crosses")):
        if i >= j or systems[i] != systems[j]:
            continue
        a, b = lines[i], lines[j]
        for p in shapely.get_parts(a["geometry"].intersection(b["geometry"])):
            if p.geom_type != "Point":
                continue
            known = [nodes.find(m) for _, m in a["cuts"] + b["cuts"]]
            if any(nodes.point[m].distance(p) <= join_m for m in known):
                continue
            n = nodes.add(p, a["river_system"])
            a["cuts"].append((a["geometry"].project(p), n))
            b["cuts"].append((b["geometry"].project(p), n))

    # 4. Sites.
    sites_w = _site_frame(sites) if sites is not False and sites is not None and len(sites) else None
    report_rows = []
    if sites_w is not None:
        for _, row in sites_w.iterrows():
            geom = row.geometry
            base = {
                "site_id": row["id"],
                "name": row["name"],
                "kind": row["kind"],
                "river_stated": row["river"] if isinstance(row["river"], str) and row["river"] else None,
            }
            if not isinstance(geom, shapely.Geometry) or geom.is_empty or row["location_status"] == "unresolved":
                missing = {"status": "unresolved", "distance_m": np.nan, "river": None, "river_system": None, "node": None}
                report_rows.append(base | missing)
                continue
            system = row["river_system"] if isinstance(row["river_system"], str) and row["river_system"] else None
            snap = _snap_site(geom, lines, tree, base["river_stated"], system, tolerance_m)
            ln = lines[snap["line"]]
            row_out = base | {
                "status": snap["status"],
                "distance_m": snap["distance_m"],
                "river": ln["river"],
                "river_system": ln["river_system"],
                "node": None,
            }
            if snap["status"] == "snapped":
                n = nodes.add(ln["geometry"].interpolate(snap["s"]), ln["river_system"])
                nodes.sites[n].append(row["id"])
                ln["cuts"].append((snap["s"], n))
                row_out["node"] = n
            report_rows.append(row_out)

    # 5. Cut every line at its nodes; points closer than _SAME_POINT_M along a line are one node.
    reaches = []
    for ln in lines:
        cuts = sorted(ln["cuts"], key=lambda c: c[0])
        merged: list[tuple[float, int]] = []
        for s, n in cuts:
            if merged and s - merged[-1][0] < _SAME_POINT_M:
                # Keep the node already on the line (a confluence or end) and fold the other into it.
                keep = nodes.union(merged[-1][1], n)
                merged[-1] = (merged[-1][0], keep)
            else:
                merged.append((s, n))
        for (s0, u), (s1, v) in zip(merged[:-1], merged[1:]):
            reaches.append((ln, s0, s1, u, v))

    graph = nx.MultiGraph(crs=settings.WORKING_CRS.to_wkt(), tolerance_m=float(tolerance_m), join_m=float(join_m))
    on_lines: dict[int, list[tuple[str, bool]]] = {}  # node -> (river, node is the line's downstream end)
    for ln, s0, s1, u, v in reaches:
        u, v = nodes.find(u), nodes.find(v)
        geom = substring(ln["geometry"], s0, s1)
        coords = list(geom.coords)
        # Pin the reach ends to the node points (moved by at most join_m in step 2) so that
        # reaches of a path meet exactly and shapely.line_merge can join them.
        coords[0] = nodes.point[u].coords[0]
        coords[-1] = nodes.point[v].coords[0]
        geom = LineString(coords)
        for n in (u, v):
            if n not in graph:
                graph.add_node(n)
        graph.add_edge(
            u,
            v,
            length_m=float(geom.length),
            geometry=geom,
            river=ln["river"],
            river_system=ln["river_system"],
            name=ln["name"],
            approximate=ln["approximate"],
            precision_km=ln["precision_km"],
        )
        on_lines.setdefault(u, []).append((ln["river"], False))
        on_lines.setdefault(v, []).append((ln["river"], s1 >= ln["geometry"].length - _SAME_POINT_M))

    for n in graph.nodes:
        site_ids = list(dict.fromkeys(nodes.sites.get(n, [])))
        rivers_here = sorted({r for r, _ in on_lines[n]})
        flowing_on = sorted({r for r, is_end in on_lines[n] if not is_end}) or rivers_here
        if site_ids:
            kind = "site"
        elif len(rivers_here) > 1 or graph.degree(n) >= 3:
            kind = "confluence"
        else:
            kind = "end"
        graph.nodes[n].update(
            x=float(nodes.point[n].x),
            y=float(nodes.point[n].y),
            kind=kind,
            site_id=encode_list(site_ids) if site_ids else None,
            site_ids=site_ids,
            river=flowing_on[0],
            rivers=rivers_here,
            river_system=nodes.system[n],
        )
    _dissolve_pass_through(graph)
    graph = nx.convert_node_labels_to_integers(graph, ordering="sorted", label_attribute="_old")
    old_to_new = {d["_old"]: n for n, d in graph.nodes(data=True)}
    for _, d in graph.nodes(data=True):
        del d["_old"]

    report = pd.DataFrame(
        report_rows,
        columns=["site_id", "name", "kind", "status", "distance_m", "river", "river_system", "river_stated", "node"],
    )
    report["node"] = [old_to_new.get(nodes.find(int(n))) if pd.notna(n) else None for n in report["node"]]
    report["node"] = report["node"].astype("Int64")
    graph.graph["snap_report"] = report
    graph.graph["site_nodes"] = {
        r.site_id: int(r.node) for r in report.itertuples() if r.status == "snapped"
    }
    return graph


def _dissolve_pass_through(graph: nx.MultiGraph) -> None:
    """Join the two reaches of a river at a node that is neither site, end nor confluence.

    Such nodes come from a river drawn as several features end to end; they
    carry no information and would only lengthen paths in the graph.
    """
    for n in list(graph.nodes):
        d = graph.nodes[n]
        if d["kind"] != "end" or graph.degree(n) != 2:
            continue
        if graph.has_edge(n, n):  # a closed loop on itself
            continue
        (_, u, _, ea), (_, v, _, ec) = list(graph.edges(n, keys=True, data=True))
        if ea["river"] != ec["river"]:
            continue
        pair = shapely.MultiLineString([ea["geometry"], ec["geometry"]])
        merged = shapely.line_merge(pair, directed=True)  # keeps the flow direction when both agree
        if merged.geom_type != "LineString":
            merged = shapely.line_merge(pair)
        if merged.geom_type != "LineString":
            continue
        attrs = dict(ea) | {"geometry": merged, "length_m": float(merged.length)}
        graph.remove_node(n)
        graph.add_edge(u, v, **attrs)
