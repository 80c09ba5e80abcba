"""River centrelines and the river-connectivity graph: reaches, confluences, snapped sites and along-river distances.

The graph is a :class:`networkx.MultiGraph` (two reaches may join the same
two nodes, e.g. around an island), undirected, in the working CRS (metres):

- **nodes** are confluences, river ends and the river points of snapped
  sites. Attributes: ``x``, ``y`` (working CRS), ``kind`` (``'confluence'``,
  ``'end'`` or ``'site'``), ``site_id`` (``None``, or the site ids joined by
  ``';'`` when several sites snap to one point), ``site_ids`` (list),
  ``river`` (the river the node lies on; at a confluence the one that flows
  on), ``rivers`` (every river meeting there), ``river_system``.
- **edges** are reaches between two nodes. Attributes: ``length_m``,
  ``geometry`` (LineString, working CRS, in the digitised direction of
  its source line: downstream for the bundled rivers), ``river``, ``river_system``, ``name``, ``approximate``,
  ``precision_km``.
- ``graph.graph`` holds ``crs``, ``tolerance_m``, ``site_nodes`` (site id to
  node) and ``snap_report`` (one row per site: snapped, unsnapped or
  unresolved; see :func:`snap_report`).

Along-river distances are measured between the river points of two sites
(the points their geometries snap to), along the centrelines; sites on
different river systems are not connected and their distance is ``inf``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.ops import nearest_points, substring

from corridors import settings
from corridors._errors import ConfigError, DataError, where
from corridors.io import read_vector, write_geopackage

#: The project's river layer (built by ``scripts/build_rivers.py``).
RIVERS_PATH: Path = settings.RIVERS_DIR / "rivers.geojson"

#: Fields every river layer must have.
RIVER_FIELDS: tuple[str, ...] = ("river", "river_system")

#: Default distance within which a site is snapped to a river, in metres.
DEFAULT_TOLERANCE_M: float = 15_000.0

#: Line ends closer than this to another line of the same system join it (metres).
DEFAULT_JOIN_M: float = 50.0

#: Points along one line closer than this are one node (metres).
_SAME_POINT_M = 1.0

#: Site statuses in the snap report.
SNAP_STATUSES: tuple[str, ...] = ("snapped", "unsnapped", "unresolved")


# --------------------------------------------------------------------------- loading


def load_rivers(
    path: str | os.PathLike | None = None, to_crs: CRS | str | None = settings.WORKING_CRS
) -> gpd.GeoDataFrame:
    """Load river centrelines, checked, in the working CRS.

    Parameters
    ----------
    path : path-like, optional
        A GeoJSON, GeoPackage or Shapefile of (Multi)LineStrings with the
        fields ``river`` (slug, e.g. ``'amu_darya'``) and ``river_system``
        (the system the river drains to, e.g. ``'amu_darya'`` for the Panj).
        Default: the bundled ``data/rivers/rivers.geojson``.
    to_crs : pyproj.CRS or str or None, default the working CRS
        Reproject to this CRS; ``None`` keeps the file's CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature with ``name``, ``river``, ``river_system``,
        ``source``, ``approximate``, ``precision_km`` (filled with ``name`` =
        ``river``, ``approximate`` = False and ``precision_km`` = NaN where the
        file lacks them) and the geometry.

    Raises
    ------
    DataError
        If the file is missing or unreadable, lacks a field, or holds a
        feature whose geometry is not a non-empty line.
    """
    p = Path(path) if path is not None else RIVERS_PATH
    gdf = read_vector(p, to_crs=to_crs)
    return _check_rivers(gdf, p)


def _check_rivers(gdf: gpd.GeoDataFrame, path: object = None) -> gpd.GeoDataFrame:
    """Validate a river layer and fill the optional fields (see :func:`load_rivers`)."""
    for field in RIVER_FIELDS:
        if field not in gdf.columns:
            raise DataError(
                f"{where(path, field=field)}: the river layer has no {field!r} field; add it "
                "(a slug such as 'amu_darya') to every line."
            )
    gdf = gdf.reset_index(drop=True)

    def label(i: int) -> str:
        river = gdf.at[i, "river"]
        return river if isinstance(river, str) and river else f"row {i}"

    for field in RIVER_FIELDS:
        bad = np.flatnonzero(~gdf[field].map(lambda v: isinstance(v, str) and bool(v.strip())).to_numpy())
        if bad.size:
            raise DataError(f"{where(path, label(int(bad[0])), field)}: empty value; give every line a {field} slug.")
    geom = gdf.geometry
    empty = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if empty.size:
        raise DataError(
            f"{where(path, label(int(empty[0])), 'geometry')}: empty geometry; remove the feature or draw its line."
        )
    not_line = np.flatnonzero(~geom.geom_type.isin(["LineString", "MultiLineString"]).to_numpy())
    if not_line.size:
        i = int(not_line[0])
        raise DataError(
            f"{where(path, label(i), 'geometry')}: a {geom.iloc[i].geom_type}, not a line; river centrelines "
            "must be LineStrings or MultiLineStrings."
        )
    if "name" not in gdf.columns:
        gdf["name"] = gdf["river"]
    gdf["name"] = gdf["name"].fillna(gdf["river"])
    if "source" not in gdf.columns:
        gdf["source"] = None
    if "approximate" not in gdf.columns:
        gdf["approximate"] = False
    gdf["approximate"] = gdf["approximate"].fillna(False).astype(bool)
    if "precision_km" not in gdf.columns:
        gdf["precision_km"] = np.nan
    gdf["precision_km"] = pd.to_numeric(gdf["precision_km"], errors="coerce")
    cols = ["name", "river", "river_system", "source", "approximate", "precision_km"]
    return gdf[cols + [gdf.geometry.name]].reset_index(drop=True)


def _default_sites() -> gpd.GeoDataFrame:
    """The bundled programme sites, via corridors.sites."""
    try:
        from corridors.sites import load_sites
    except ImportError as exc:  # corridors.sites ships with the package; guard a broken install
        raise DataError(
            "corridors.sites cannot be imported, so the bundled sites are unavailable; pass sites= "
            "explicitly or reinstall corridors."
        ) from exc
    return load_sites()


# --------------------------------------------------------------------------- graph building


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
        sites = _default_sites()
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
            site_id=";".join(site_ids) if site_ids else None,
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


# --------------------------------------------------------------------------- queries


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


# --------------------------------------------------------------------------- export and summary


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
            "rivers": ";".join(d["rivers"]),
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
    return write_geopackage(path, layers)


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


__all__: Sequence[str] = (
    "RIVERS_PATH",
    "DEFAULT_TOLERANCE_M",
    "load_rivers",
    "build_river_graph",
    "snap_report",
    "along_river_distance",
    "along_river_distances",
    "along_river_path",
    "river_graph_nodes",
    "river_graph_edges",
    "river_graph_to_geopackage",
    "river_graph_summary",
    "system_components",
)
