"""Raster Circuitscape jobs, as Circuitscape.jl's ``raster/pairwise.jl``, ``raster/onetoall.jl`` and ``raster/advanced.jl`` run them.

Each mode reads its inputs (:mod:`corridors.circuit.inputs`), builds
Circuitscape's graph, solves and hands every map to the job's sink. The
README's "Circuitscape compatibility" section lists each convention and the
source file it comes from.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from corridors._errors import DataError, MemoryLimitError
from corridors.circuit import inputs
from corridors.circuit.graph import CircuitGraph, circuitscape_graph
from corridors.circuit.job import NODATA, JobContext, JobResult, pair_solves
from corridors.circuit.modes import _focal_setup, _submatrix, apply_ground_policy
from corridors.circuit.solve import check_memory, circuitscape_node_currents
from corridors.raster import Raster
from corridors.settings import format_bytes


# ====================================================================== raster inputs
@dataclass
class _Raster:
    """A raster job's inputs: cell map (conductances after the mask), polygons, template."""

    cellmap: np.ndarray
    polymap: np.ndarray | None
    template: Raster


def _load_raster(ctx: JobContext) -> _Raster:
    """Read the habitat grid, polygons and mask (Circuitscape's ``load_raster_data``)."""
    job = ctx.job
    cellmap, template = inputs.read_cellmap(ctx.file("habitat_file"), job.habitat_map_is_resistances)
    ctx.template = template
    polymap = inputs.read_id_grid(ctx.file("polygon_file"), "polygon_file", template) if job.use_polygons else None
    if job.use_mask:
        cellmap = inputs.apply_mask(cellmap, ctx.file("mask_file"), template)
    return _Raster(cellmap, polymap, template)


def _check_memory(ctx: JobContext, data: _Raster, n_vectors: int = 0) -> None:
    """Refuse a grid too large for the memory allowed before building its graph (kept voltage columns included).

    A direct solver (cholmod) whose factor would not fit falls back to
    cg+amg, with a warning naming the sizes, when that fits; otherwise the
    job is refused with the cell count and the memory needed.
    """
    n_nodes = int(np.count_nonzero(data.cellmap))
    neighbours = 4 if ctx.job.connect_four_neighbors_only else 8
    try:
        check_memory(data.cellmap.size, n_nodes, neighbours, ctx.solver, n_vectors, ctx.memory_limit)
    except MemoryLimitError as exc:
        if ctx.solver == "amg":
            raise
        need = check_memory(data.cellmap.size, n_nodes, neighbours, "amg", n_vectors, ctx.memory_limit)
        warnings.warn(f"{ctx.job.source}, key 'solver': {exc} Solving with cg+amg instead (about {format_bytes(need)}).",
                      stacklevel=3)
        ctx.solver = "amg"


def _graph(ctx: JobContext, data: _Raster, polymap: np.ndarray | None) -> CircuitGraph:
    return circuitscape_graph(data.cellmap, polymap, four_neighbors=ctx.job.connect_four_neighbors_only,
                              avg_resistances=ctx.job.connect_using_avg_resistances)


def _component_grid(graph: CircuitGraph, nodes_c: np.ndarray, local_values: np.ndarray) -> np.ndarray:
    """A grid holding the values of one component's nodes on their cells, 0 elsewhere (Circuitscape's local node map)."""
    full = np.zeros(graph.n_nodes)
    full[nodes_c] = local_values
    inside = np.zeros(graph.n_nodes, dtype=bool)
    inside[nodes_c] = True
    on = graph.nodemap >= 0
    grid = np.zeros(graph.nodemap.shape)
    idx = graph.nodemap[on]
    grid[on] = np.where(inside[idx], full[idx], 0.0)
    return grid


# ====================================================================== raster pairwise
class _PairMaps:
    """The per-pair maps of raster pairwise mode and their cumulative / maximum (Circuitscape's ``postprocess``)."""

    def __init__(self, ctx: JobContext, data: _Raster):
        job = ctx.job
        self.ctx, self.data = ctx, data
        self.currents = job.write_cur_maps or job.write_cum_cur_map_only
        self.any = job.write_volt_maps or self.currents or job.write_max_cur_maps
        self.cum = np.zeros(data.cellmap.shape) if self.currents else None
        self.max = np.full(data.cellmap.shape, NODATA) if self.currents and job.write_max_cur_maps else None
        self.null = data.cellmap == 0

    def __call__(self, graph: CircuitGraph, a: int, b: int, nodes_c: np.ndarray, lap_c: sp.csr_array, v: np.ndarray) -> None:
        job, ctx = self.ctx.job, self.ctx
        name = f"{a}_{b}"
        if job.write_volt_maps:
            vm = _component_grid(graph, nodes_c, v)
            if job.set_null_voltages_to_nodata:
                vm[self.null] = NODATA
            ctx.grid(f"voltmap_{name}", vm)
        if not self.currents:
            return
        cm = _component_grid(graph, nodes_c, circuitscape_node_currents(lap_c, v))
        if job.log_transform_maps:
            pos = cm > 0
            cm = np.where(pos, np.log10(np.where(pos, cm, 1.0)), NODATA)
        if job.set_null_currents_to_nodata:
            cm[self.null] = NODATA
        # Circuitscape sums the maps as written (log-transformed, nulls as -9999) and clips the sum at -9999.
        self.cum += cm
        if self.max is not None:
            np.maximum(self.max, cm, out=self.max)
        if job.write_cur_maps and not job.write_cum_cur_map_only:
            ctx.grid(f"curmap_{name}", cm)

    def finish(self, res: JobResult) -> None:
        if not self.currents:
            return
        res.cum_current = np.maximum(self.cum, NODATA)
        self.ctx.grid("cum_curmap", res.cum_current)
        if self.max is not None:
            res.max_current = np.maximum(self.max, NODATA)
            self.ctx.grid("max_curmap", res.max_current)


def _pairs_of(ctx: JobContext, pts: inputs.Points) -> tuple[inputs.Points, set[tuple[int, int]]]:
    """Prune the points (include mode) and list the excluded pairs (Circuitscape's ``generate_exclude_pairs``)."""
    if not ctx.job.use_included_pairs:
        return pts, set()
    pairs = inputs.read_included_pairs(ctx.file("included_pairs_file"))
    if pairs.mode == "include":
        pts = pts.keep(pairs.point_ids)
    return pts, pairs.excluded()


def raster_pairwise(ctx: JobContext) -> JobResult:
    job = ctx.job
    data = _load_raster(ctx)
    cellmap, template = data.cellmap, data.template
    pts0 = inputs.read_points(ctx.file("point_file"), template)
    maps_wanted = job.write_volt_maps or job.write_cur_maps or job.write_cum_cur_map_only or job.write_max_cur_maps
    _check_memory(ctx, data, n_vectors=len(pts0.unique_ids) if maps_wanted else 0)
    pts, exclude = _pairs_of(ctx, pts0)
    maps = _PairMaps(ctx, data)
    res = JobResult(job, template=template, stats=ctx.stats)
    if not pts0.has_regions:
        graph = _graph(ctx, data, data.polymap)
        pnode = graph.nodemap[pts.rows, pts.cols]
        ctx.total = pair_solves(graph, pnode)
        on_pair = (lambda a, b, nodes_c, lap_c, v: maps(graph, a, b, nodes_c, lap_c, v)) if maps.any else None
        res.resistances = ctx.pairs(graph, pnode, pts.ids, exclude, maps.any, on_pair)
        res.ids = pts.ids
    else:
        ids = pts.unique_ids
        n = len(ids)
        r = -np.ones((n, n))
        todo = [(i, j) for i in range(n) for j in range(i + 1, n)
                if (int(ids[i]), int(ids[j])) not in exclude and (int(ids[j]), int(ids[i])) not in exclude]
        ctx.total = len(todo)
        for i, j in todo:
            p1, p2 = int(ids[i]), int(ids[j])
            graph = _graph(ctx, data, _pair_polymap(data.polymap, pts, p1, p2, cellmap.shape))
            k1, k2 = pts.first_row(p1), pts.first_row(p2)
            pnode = graph.nodemap[[pts.rows[k1], pts.rows[k2]], [pts.cols[k1], pts.cols[k2]]]
            on_pair = (lambda a, b, nodes_c, lap_c, v, g=graph: maps(g, a, b, nodes_c, lap_c, v)) if maps.any else None
            rr = ctx.pairs(graph, pnode, np.array([p1, p2]), set(), maps.any, on_pair)
            r[i, j] = r[j, i] = rr[0, 1]
            if pnode[0] < 0 or pnode[1] < 0 or pnode[0] == pnode[1]:
                ctx.step()  # no solve, but the pair is done
        np.fill_diagonal(r, 0.0)
        res.ids, res.resistances = ids, r
    maps.finish(res)
    return res


def _pair_polymap(polymap: np.ndarray | None, pts: inputs.Points, p1: int, p2: int, shape: tuple[int, int]) -> np.ndarray:
    """The short-circuit map of one pair: the polygons plus the pair's two focal regions (Circuitscape's ``create_new_polymap``).

    Without polygons the two regions are the map. With polygons, a region of
    one cell changes nothing; a region touching no polygon becomes a new one;
    a region touching one polygon joins it; a region touching several merges
    those polygons into a new one. (Circuitscape.jl stops with an error on the
    one-polygon case; its evident intent, the region joining the polygon, is
    what is done here.)
    """
    if polymap is None:
        new = np.zeros(shape, dtype=np.int64)
        for p in (p1, p2):
            k = pts.ids == p
            new[pts.rows[k], pts.cols[k]] = p
        return new
    new = polymap.copy()
    top = int(polymap.max())
    for p in (p1, p2):
        k = np.nonzero(pts.ids == p)[0]
        if len(k) == 1:
            continue
        r, c = pts.rows[k], pts.cols[k]
        under = polymap[r, c]
        if not under.any():
            top += 1
            new[r, c] = top
        elif np.count_nonzero(under) == 1:
            new[r, c] = under[under != 0][0]
        else:
            top += 1
            new[np.isin(polymap, under[under != 0])] = top
    return new


# ====================================================================== one-to-all and all-to-one
def _combined_polymap(polymap: np.ndarray | None, pts: inputs.Points, point_map: np.ndarray) -> np.ndarray:
    """Polygons and every focal region together (``create_new_polymap`` with a point map, one-to-all / all-to-one)."""
    if polymap is None:
        return point_map.copy()
    new = polymap.copy()
    if not pts.has_regions:
        top = int(polymap.max())
        free = (point_map != 0) & (polymap == 0)
        new[free] = point_map[free] + top
        return new
    top = max(int(polymap.max()), int(point_map.max()))
    c, r = np.nonzero(point_map.T)  # column-major, as Circuitscape walks the cells
    for i, j in zip(r, c):
        v1, v2 = int(point_map[i, j]), int(new[i, j])
        if v2 == 0:
            new[i, j] = top + v1
        elif v1 != v2:
            new[new == v2] = v1
    return new


def raster_one_to_all(ctx: JobContext) -> JobResult:
    job = ctx.job
    all_to_one = job.scenario == "all-to-one"
    data = _load_raster(ctx)
    cellmap, template = data.cellmap, data.template
    pts = inputs.read_points(ctx.file("point_file"), template)
    _check_memory(ctx, data, n_vectors=len(pts.unique_ids))
    pairs = inputs.read_included_pairs(ctx.file("included_pairs_file")) if job.use_included_pairs else None
    if pairs is not None:
        pts = pts.keep(pairs.point_ids)
    strengths = inputs.read_strengths(ctx.file("variable_source_file")) if job.use_variable_source_strengths else {}
    ids = pts.unique_ids
    point_map = np.zeros(cellmap.shape, dtype=np.int64)
    point_map[pts.rows, pts.cols] = pts.ids  # a later (larger) id wins a shared cell, as in Circuitscape
    graph = _graph(ctx, data, _combined_polymap(data.polymap, pts, point_map))
    lap, labels, nodemap = graph.laplacian, graph.components, graph.nodemap
    first_node = {int(i): int(nodemap[pts.rows[pts.first_row(i)], pts.cols[pts.first_row(i)]]) for i in ids}
    cell_nodes = {int(i): np.unique(nodemap[point_map == i]) for i in ids}
    cell_nodes = {i: v[v >= 0] for i, v in cell_nodes.items()}
    want_cur = job.write_cur_maps or job.write_cum_cur_map_only
    cum = np.zeros(cellmap.shape) if want_cur else None
    mx = np.full(cellmap.shape, NODATA) if want_cur and job.write_max_cur_maps else None
    res = -np.ones(len(ids))
    ctx.total = len(ids)
    setups: dict[int, tuple] = {}

    def setup(comp: int):
        if comp not in setups:
            nodes_c = np.nonzero(labels == comp)[0]
            fnodes = np.unique(np.concatenate([v for v in cell_nodes.values() if len(v)] + [np.zeros(0, np.int64)]))
            fnodes = fnodes[labels[fnodes] == comp]
            interior, h, q = _focal_setup(lap, nodes_c, fnodes, ctx.solver, ctx.rtol, ctx.stats)
            setups[comp] = (nodes_c, fnodes, interior, h, q)
        return setups[comp]

    for k, n in enumerate(ids):
        n = int(n)
        active = [int(i) for i in ids]
        if pairs is not None:
            row = int(np.nonzero(pairs.point_ids == n)[0][0]) if n in pairs.point_ids else None
            want = 0 if pairs.mode == "include" else 1
            if row is not None:
                active = [int(pairs.point_ids[j]) for j in range(len(pairs.point_ids))
                          if j == row or pairs.matrix[row, j] != want]
                active = [i for i in active if i in first_node]
        others = [i for i in active if i != n]
        if not others:  # nothing left to ground or source (Circuitscape reports -1 and writes no map)
            ctx.step()
            continue
        src = np.zeros(lap.shape[0])
        gnd = np.zeros(lap.shape[0], dtype=bool)
        if not all_to_one:
            if first_node[n] >= 0:
                src[first_node[n]] += strengths.get(n, 1.0)
            for i in others:
                gnd[cell_nodes[i]] = True
            gnd[src != 0] = False  # rmvgnd: a source node is not grounded
        else:
            for i in ids:
                i = int(i)
                if i != n and first_node[i] >= 0:
                    src[first_node[i]] += strengths.get(i, 1.0) if i in others else 1.0
            gnd[cell_nodes[n]] = True
            src[gnd] = 0.0  # rmvsrc: a ground node does not inject
        v = np.zeros(lap.shape[0])
        check = first_node[n]
        solved_comp = None
        if check >= 0:
            comp = int(labels[check])
            in_c = labels == comp
            if src[in_c].sum() != 0 and gnd[in_c].any():
                nodes_c, fnodes, interior, h, q = setup(comp)
                free = ~gnd[fnodes]
                vf = np.zeros(len(fnodes))
                if free.any():
                    vf[free] = np.linalg.solve(q[np.ix_(free, free)], src[fnodes][free])
                v[fnodes] = vf
                if len(interior):
                    v[interior] = h @ vf
                solved_comp = nodes_c
        if solved_comp is not None:
            res[k] = 0.0 if all_to_one else (v[first_node[n]] / strengths.get(n, 1.0) if v[first_node[n]] != 0 else -1.0)
        curmap = np.zeros(cellmap.shape)
        if solved_comp is not None:
            lap_c = _submatrix(lap, solved_comp)
            if job.write_volt_maps:
                ctx.grid(f"voltmap_{n}", _component_grid(graph, solved_comp, v[solved_comp]))
            if want_cur:
                curmap = _component_grid(graph, solved_comp, circuitscape_node_currents(lap_c, v[solved_comp]))
        elif job.write_volt_maps:
            ctx.grid(f"voltmap_{n}", np.zeros(cellmap.shape))
        if want_cur:
            cum += curmap
            if mx is not None:
                np.maximum(mx, curmap, out=mx)
            if job.write_cur_maps and not job.write_cum_cur_map_only:
                ctx.grid(f"curmap_{n}", curmap)
        ctx.step()
    out = JobResult(job, ids=ids, resistances=res, template=template, stats=ctx.stats)
    if want_cur:
        out.cum_current = cum
        ctx.grid("cum_curmap", cum)
        if mx is not None:
            out.max_current = mx
            ctx.grid("max_curmap", mx)
    return out


# ====================================================================== advanced
def raster_advanced(ctx: JobContext) -> JobResult:
    job = ctx.job
    data = _load_raster(ctx)
    _check_memory(ctx, data)
    template = data.template
    graph = _graph(ctx, data, data.polymap)
    src = np.nan_to_num(inputs.read_source_or_ground(ctx.file("source_file"), "source_file", template), nan=0.0)
    g = inputs.read_source_or_ground(ctx.file("ground_file"), "ground_file", template)
    present = np.isfinite(g)
    if job.ground_file_is_resistances:
        with np.errstate(divide="ignore"):
            g = np.where(present, 1.0 / np.where(present, g, 1.0), 0.0)
    else:
        g = np.where(present, g, 0.0)
    if job.use_unit_currents:
        src = (src != 0).astype("float64")
    if job.use_direct_grounds:
        g = np.where(g != 0, np.inf, 0.0)
    on = graph.nodemap >= 0
    nodes = graph.nodemap[on]
    sources = np.bincount(nodes, weights=src[on], minlength=graph.n_nodes)
    grounds = np.bincount(nodes, weights=g[on], minlength=graph.n_nodes)
    sources, grounds = apply_ground_policy(sources, grounds, job.remove_src_or_gnd)
    want_cur = job.write_cur_maps or job.write_cum_cur_map_only
    curmap = np.zeros(graph.nodemap.shape)
    volt = np.zeros(graph.nodemap.shape)
    def each(nodes_c, lap_c, vc, finite_c):
        volt[:] += _component_grid(graph, nodes_c, vc)
        if want_cur:
            curmap[:] += _component_grid(graph, nodes_c, circuitscape_node_currents(lap_c, vc, finite_c))

    v = ctx.advanced(graph, sources, grounds, each)
    if not np.any(v) and not (sources.any() and grounds.any()):
        raise DataError(f"{job.source}: no component holds both a source and a ground; place them on habitat cells.")
    if job.write_volt_maps:
        ctx.grid("voltmap", volt)
    if want_cur:
        ctx.grid("curmap", curmap)
    return JobResult(job, voltages=volt, cum_current=curmap if want_cur else None, template=template, stats=ctx.stats)


