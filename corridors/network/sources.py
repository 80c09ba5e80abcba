"""Link sources of the habitat graph: straight line, along the rivers, least-cost distance, effective resistance.

A link source is any callable that takes the nodes (a GeoDataFrame in the
working CRS, indexed by node id) and returns a links table with columns
``i``, ``j``, ``distance_m`` and, when it knows them, ``borders`` (list of
border ids the link crosses) and ``geometry`` (the link's course). Each
engine of corridors plugs in through one class here; your own function with
the same signature works too.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from corridors import settings
from corridors._errors import ConfigError, DataError
from corridors.borders import borders_crossed, load_borders
from corridors.io import decode_list
from corridors.raster import Raster, geometry_mask


@runtime_checkable
class LinkSource(Protocol):
    """What :func:`corridors.analyses.programme_network.graph_from_nodes` and friends call to get link distances."""

    name: str

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """Links between the nodes: ``i``, ``j``, ``distance_m`` [, ``borders``, ``geometry``]."""


def _nodes_in_working_crs(nodes: gpd.GeoDataFrame, who: str) -> gpd.GeoDataFrame:
    if not isinstance(nodes, gpd.GeoDataFrame) or nodes.crs is None:
        raise DataError(f"link source {who!r}: the nodes need a geometry with a CRS; give a GeoDataFrame (e.g. from load_sites()).")
    missing = nodes.geometry.isna() | nodes.geometry.is_empty
    if missing.any():
        raise DataError(
            f"link source {who!r}, node {str(nodes.index[np.flatnonzero(missing.to_numpy())[0]])!r}: no geometry "
            "(an unresolved place); drop it or give it a location."
        )
    return nodes.to_crs(settings.WORKING_CRS)


def _links_frame(rows: list[dict], crs, with_geometry: bool) -> pd.DataFrame:
    cols = ["i", "j", "distance_m", "borders"]
    if with_geometry:
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols + ["geometry"]), geometry="geometry", crs=crs)
    return pd.DataFrame(rows, columns=cols)


def _add_borders(links: pd.DataFrame, borders: gpd.GeoDataFrame | None) -> pd.DataFrame:
    if len(links) and "geometry" in links.columns:
        links["borders"] = borders_crossed(links.geometry.values, borders)
    return links


class StraightLine:
    """Straight-line (Euclidean) distance between node geometries, edge to edge for polygons.

    Parameters
    ----------
    max_distance_m : float, optional
        Pairs farther apart are not linked (saves memory on big graphs; the
        graph's own cut-off applies as well).
    borders : GeoDataFrame, optional
        Borders for the ``borders`` column (default the bundled ones).
    """

    name = "straight"
    #: The distance of a pair does not depend on the other nodes, so links computed once on a
    #: superset of nodes can be reused (what-if candidates do).
    pairwise_independent = True

    def __init__(self, max_distance_m: float | None = None, borders: gpd.GeoDataFrame | None = None) -> None:
        if max_distance_m is not None and not max_distance_m > 0:
            raise ConfigError(f"option 'max_distance_m' is {max_distance_m!r}; give a positive distance in metres or none.")
        self.max_distance_m = max_distance_m
        self.borders = borders

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """Links between every pair (within ``max_distance_m``), with the segment joining the closest points."""
        w = _nodes_in_working_crs(nodes, self.name)
        geoms = w.geometry.values
        ids = [str(x) for x in w.index]
        tree = shapely.STRtree(geoms)
        if self.max_distance_m is None:
            a, b = np.triu_indices(len(ids), k=1)
        else:
            a, b = tree.query(geoms, predicate="dwithin", distance=self.max_distance_m)
            keep = a < b
            a, b = a[keep], b[keep]
        d = shapely.distance(geoms[a], geoms[b])
        lines = shapely.shortest_line(geoms[a], geoms[b])
        rows = [{"i": ids[x], "j": ids[y], "distance_m": float(dd), "borders": [], "geometry": ln} for x, y, dd, ln in zip(a, b, d, lines)]
        return _add_borders(_links_frame(rows, settings.WORKING_CRS, True), self.borders)


class AlongRiver:
    """Distance along the river graph (:mod:`corridors.rivers`) between the points where the nodes meet the rivers.

    Parameters
    ----------
    rivers : GeoDataFrame, optional
        River centrelines (default the bundled ones).
    tolerance_m : float, optional
        Nodes farther than this from every river are not snapped and get no
        river link (default that of ``build_river_graph``).
    adjacent_only : bool, default True
        Link only nodes with no other node between them on the river: a deer
        going from A to C along the river passes through B's reach, so B is a
        stepping stone (dPCconnector) rather than bypassed by a direct A-C
        link of the same length. False links every pair on one river system.
    add_offsets : bool, default False
        Add each node's distance to its river point.
    borders : GeoDataFrame, optional
        Borders for the ``borders`` column, taken from the river course
        between the two nodes (a course running along a border river counts
        as crossing it: deer use both banks).
    """

    name = "river"

    def __init__(
        self,
        rivers: gpd.GeoDataFrame | None = None,
        tolerance_m: float | None = None,
        adjacent_only: bool = True,
        add_offsets: bool = False,
        borders: gpd.GeoDataFrame | None = None,
    ) -> None:
        self.rivers = rivers
        self.tolerance_m = tolerance_m
        self.adjacent_only = adjacent_only
        self.add_offsets = add_offsets
        self.borders = borders
        self.graph = None
        self.unsnapped: list[str] = []

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """Links between nodes on one river system (the river graph is kept in ``self.graph``)."""
        # Local: each engine a source plugs in loads its own libraries, which a network of other links never
        # needs (rivers 0.36 s, python -X importtime).
        from corridors import rivers as rv

        w = _nodes_in_working_crs(nodes, self.name)
        sites = w.assign(id=[str(x) for x in w.index]).reset_index(drop=True)
        kw = {} if self.tolerance_m is None else {"tolerance_m": self.tolerance_m}
        self.graph = rv.build_river_graph(self.rivers, sites, **kw)
        snapped = set(self.graph.graph.get("site_nodes", {}))
        ids = [str(x) for x in w.index if str(x) in snapped]
        self.unsnapped = [str(x) for x in w.index if str(x) not in snapped]
        rows: list[dict] = []
        if len(ids) >= 2:
            dm = rv.along_river_distances(self.graph, ids, add_offsets=self.add_offsets).to_numpy()
            n = len(ids)
            for x in range(n):
                for y in range(x + 1, n):
                    d = dm[x, y]
                    if not math.isfinite(d):
                        continue
                    if self.adjacent_only:
                        # another node strictly between them on the river (1 m slack); nodes at the
                        # same river point as x or y are not "between" (else co-located nodes cut each other off)
                        via = dm[x, :] + dm[:, y]
                        between = (via <= d * (1 + 1e-9) + 1.0) & (dm[x, :] > 1.0) & (dm[:, y] > 1.0)
                        between[[x, y]] = False
                        if between.any():
                            continue
                    rows.append({"i": ids[x], "j": ids[y], "distance_m": float(d), "borders": [],
                                 "geometry": rv.along_river_path(self.graph, ids[x], ids[y])})
        return _add_borders(_links_frame(rows, settings.WORKING_CRS, True), self.borders)


class LeastCost:
    """Least-cost (cost-weighted) distance between nodes, from :func:`corridors.linkages.build_linkages` (Linkage Mapper's rules).

    Parameters
    ----------
    resistance : Raster
        Cost per metre (see :mod:`corridors.landscape`), in the working CRS.
    core_radius_m : float or 'precision', default 5000
        Points become cores of this radius (see ``linkages.cores_from_sites``).
    adjacency : str, default 'all'
        Which pairs get a linkage (``linkages.build_linkages``). ``'all'`` (every
        pair) suits PC, which follows the best path through stepping stones
        anyway; ``'both'`` is Linkage Mapper's neighbours-only network.
    max_cwd_m : float, optional
        Drop linkages costlier than this (cost-weighted metres).
    drop_through_cores : bool, default False
        Drop linkages whose path runs through a third node (Linkage Mapper's
        default), making that node a stepping stone.

    With ``adjacency='all'`` and ``drop_through_cores=False`` the distance
    of a pair does not depend on the other nodes, so the what-if ranking
    computes the links once for every node (``pairwise_independent``).
    Overlapping cores get distance 0 (p = 1), not dropped.

    Notes
    -----
    ``distance_m`` is the cost-weighted distance (resistance x metres), so
    choose ``median_dispersal_m`` in the same cost units.
    """

    name = "lcp"

    def __init__(
        self,
        resistance: Raster,
        core_radius_m: float | str = 5000.0,
        adjacency: str = "all",
        max_cwd_m: float | None = None,
        drop_through_cores: bool = False,
    ) -> None:
        if not isinstance(resistance, Raster):
            raise ConfigError("link source 'lcp' needs a resistance Raster (e.g. corridors.landscape.build_resistance()).")
        self.resistance = resistance
        self.core_radius_m = core_radius_m
        self.adjacency = adjacency
        self.max_cwd_m = max_cwd_m
        self.drop_through_cores = drop_through_cores
        self.pairwise_independent = adjacency == "all" and not drop_through_cores
        self.result = None

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """Linkages between the nodes' cores, with their least-cost paths and the borders they cross."""
        # Local: the linkages engine loads scikit-image and rasterio features (0.73 s, python -X importtime).
        from corridors import linkages

        w = _nodes_in_working_crs(nodes, self.name)
        sites = w.assign(id=[str(x) for x in w.index]).reset_index(drop=True)
        cores = linkages.cores_from_sites(sites, radius_m=self.core_radius_m)
        self.result = linkages.build_linkages(
            self.resistance, cores, max_cwd_m=self.max_cwd_m, truncate_m=None, adjacency=self.adjacency,
            drop_through_cores=self.drop_through_cores, drop_overlapping=False, quiet=True,
        )
        lk = self.result.linkages
        out = gpd.GeoDataFrame(
            {"i": lk["core_a"].astype(str), "j": lk["core_b"].astype(str), "distance_m": lk["cwd_m"].astype(float),
             "borders": [list(b) if isinstance(b, (list, tuple)) else decode_list(b) for b in lk["borders"]]},
            geometry=lk.geometry.values, crs=lk.crs,
        )
        return out.to_crs(settings.WORKING_CRS) if out.crs is not None else out


def habitat_disc(grid: Raster, geom: shapely.Geometry, reach_m: float) -> np.ndarray:
    """Valid cells of ``grid`` within ``reach_m`` of a site (cell centres inside; touched cells if none is).

    Parameters
    ----------
    grid : Raster
    geom : shapely.Geometry
        In the grid's CRS.
    reach_m : float
        Buffer radius, metres (0: the geometry itself).

    Returns
    -------
    numpy.ndarray of bool
    """
    area = geom.buffer(reach_m) if reach_m > 0 else geom
    return geometry_mask(grid, area, all_touched=False) & grid.valid


def accumulated_cost(resistance: Raster, cells: np.ndarray, memory_limit: int | None = None) -> np.ndarray:
    """Accumulated cost (cost-weighted metres) from a mask of source cells; inf where unreachable.

    Parameters
    ----------
    resistance : Raster
    cells : numpy.ndarray of bool
        Source cells (e.g. a habitat disc).
    memory_limit : int, optional
        Bytes the cost-distance engine may use (:func:`corridors.lcp.cost_distance`).

    Returns
    -------
    numpy.ndarray of float
    """
    # Local: corridors.lcp loads scikit-image, which a network of river or straight links never needs
    # (import corridors.network 0.78 s; with lcp at module level about 1.0 s, python -X importtime).
    from corridors.lcp import cost_distance

    cum = cost_distance(resistance, cells, memory_limit=memory_limit).array
    return np.where(np.isnan(cum), np.inf, cum)


class HabitatLeastCost:
    """Least-cost distance between the nodes' habitat discs: the programme network's default link source.

    Each node's disc is its valid cells within ``reach_m`` (:func:`habitat_disc`);
    the distance of a pair is the smallest accumulated cost from one disc to
    any cell of the other (cost-weighted metres, :func:`corridors.lcp.cost_distance`,
    8 neighbours), for every pair rather than Linkage Mapper's neighbours only:
    PC follows the best path anyway, and a restoration can then only shorten
    distances, so EC never falls when resistance falls. The borders a link
    crosses are those of the straight segment between the two nodes.

    Parameters
    ----------
    resistance : Raster
        Cost per metre, working CRS.
    reach_m : float, default 15 km
        Disc radius (the programme network's default, :data:`corridors.programme.DEFAULT_REACH_M`).
    memory_limit : int, optional
        Bytes the cost-distance engine may use (see :func:`corridors.lcp.cost_distance`).

    Attributes
    ----------
    cores : dict of str to numpy.ndarray
        Each node's disc, by node id (filled as nodes are seen).
    costs : dict of str to numpy.ndarray
        Accumulated cost from each node's disc (inf where unreachable).
    """

    name = "least_cost"
    #: The distance of a pair does not depend on the other nodes.
    pairwise_independent = True

    def __init__(self, resistance: Raster, reach_m: float = 15_000.0, memory_limit: int | None = None) -> None:
        if not isinstance(resistance, Raster):
            raise ConfigError("link source 'least_cost' needs a resistance Raster (e.g. corridors.landscape.build_resistance()).")
        self.resistance = resistance
        self.reach_m = float(reach_m)
        self.memory_limit = memory_limit
        self.cores: dict[str, np.ndarray] = {}
        self.costs: dict[str, np.ndarray] = {}

    def core(self, nid: str, geom: shapely.Geometry) -> np.ndarray:
        """The habitat disc of node ``nid`` (cached)."""
        if nid not in self.cores:
            self.cores[nid] = habitat_disc(self.resistance, geom, self.reach_m)
        return self.cores[nid]

    def cost_from(self, nid: str, geom: shapely.Geometry) -> np.ndarray:
        """Accumulated cost from the disc of node ``nid`` (cached; inf where unreachable)."""
        if nid not in self.costs:
            self.costs[nid] = accumulated_cost(self.resistance, self.core(nid, geom), self.memory_limit)
        return self.costs[nid]

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """Links ``i``, ``j``, ``distance_m`` (cost-weighted m), ``borders`` between every reachable pair."""
        ids = [str(x) for x in (nodes["id"] if "id" in nodes.columns else nodes.index)]
        geoms = dict(zip(ids, nodes.geometry))
        rows = []
        for a_i, a in enumerate(ids):
            cost = self.cost_from(a, geoms[a])
            for b in ids[a_i + 1:]:
                vals = cost[self.core(b, geoms[b])]
                d = float(vals.min()) if vals.size else float("inf")
                if np.isfinite(d):
                    rows.append({"i": a, "j": b, "distance_m": d, "line": LineString([geoms[a].centroid, geoms[b].centroid])})
        links = pd.DataFrame(rows, columns=["i", "j", "distance_m", "line"])
        links["borders"] = borders_crossed(list(links["line"]), load_borders()) if len(links) else []
        return links.drop(columns="line")


class EffectiveResistance:
    """Effective resistance between nodes (Circuitscape pairwise mode, :mod:`corridors.circuit`), as a distance.

    Parameters
    ----------
    resistance : Raster
        Cell resistances, in the working CRS.
    scale_m : float, optional
        Metres per ohm: ``distance_m = R_eff * scale_m``; default the cell
        size (so a one-cell-wide strip of resistance-1 cells gives its
        length). Effective resistance grows with distance but also falls
        with corridor width, so set ``median_dispersal_m`` in these units.
    max_resistance : float, optional
        Pairs with a larger effective resistance get no link.
    memory_limit : int, optional
        Bytes the circuit solve may use (:func:`corridors.circuit.pairwise_raster`).

    Notes
    -----
    Links are straight segments between the nodes (for maps and borders);
    the circuit has no single path.
    """

    name = "circuit"
    #: Pairwise mode: the effective resistance of a pair does not depend on the other focal nodes.
    pairwise_independent = True

    def __init__(self, resistance: Raster, scale_m: float | None = None, max_resistance: float | None = None,
                 memory_limit: int | None = None) -> None:
        if not isinstance(resistance, Raster):
            raise ConfigError("link source 'circuit' needs a resistance Raster (e.g. corridors.landscape.build_resistance()).")
        self.resistance = resistance
        self.memory_limit = memory_limit
        self.scale_m = float(scale_m) if scale_m is not None else float(max(resistance.res))
        self.max_resistance = max_resistance
        self.result = None

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """Pairwise effective resistances between the nodes' cells, times ``scale_m``."""
        # Local: the circuit engine loads pyamg and scipy.sparse solvers (0.56 s, python -X importtime).
        from corridors import circuit

        w = _nodes_in_working_crs(nodes, self.name)
        ids = [str(x) for x in w.index]
        pts = w.geometry.representative_point()
        # Nodes in one cell are one focal node of the circuit (distance 0 between them).
        rr, cc = self.resistance.rowcol(pts.x.to_numpy(), pts.y.to_numpy())
        cells: dict[tuple[int, int], int] = {}
        group = np.array([cells.setdefault((int(r), int(c)), len(cells) + 1) for r, c in zip(rr, cc)])
        first = {g: k for k, g in reversed(list(enumerate(group)))}
        gid = np.array(sorted(first))
        focal = circuit.focal_grid_from_points(
            self.resistance, gid, pts.x.to_numpy()[[first[g] for g in gid]], pts.y.to_numpy()[[first[g] for g in gid]],
            label="network nodes",
        )
        self.result = circuit.pairwise_raster(self.resistance, focal, currents=False, memory_limit=self.memory_limit)
        row_of = {int(f): k for k, f in enumerate(self.result.ids)}
        r = self.result.resistances
        rows = []
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                gx, gy = int(group[x]), int(group[y])
                if gx == gy:
                    rx = 0.0
                elif gx in row_of and gy in row_of:
                    rx = float(r[row_of[gx], row_of[gy]])
                else:
                    continue
                if rx < 0 or (self.max_resistance is not None and rx > self.max_resistance):
                    continue
                rows.append({"i": ids[x], "j": ids[y], "distance_m": rx * self.scale_m, "borders": [],
                             "geometry": shapely.LineString([pts.iloc[x].coords[0], pts.iloc[y].coords[0]])})
        return _add_borders(_links_frame(rows, settings.WORKING_CRS, True), None)


class FromTable:
    """Links given as a table (e.g. read from CSV): columns ``i``, ``j`` and ``distance_m`` or ``probability``.

    Parameters
    ----------
    table : DataFrame
    """

    name = "table"

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table

    def __call__(self, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
        """The table's rows whose two ends are among the nodes."""
        ids = {str(x) for x in nodes.index}
        t = self.table.copy()
        t["i"] = t["i"].astype(str)
        t["j"] = t["j"].astype(str)
        return t[t["i"].isin(ids) & t["j"].isin(ids)].reset_index(drop=True)


#: The link sources by the names the CLI uses.
SOURCES = {"straight": StraightLine, "river": AlongRiver, "lcp": LeastCost, "circuit": EffectiveResistance}
