"""Run a Circuitscape job as Circuitscape.jl runs it: read its inputs, solve its mode, hand every map to a writer.

:func:`compute_job` solves a :class:`~corridors.circuit.ini.CircuitscapeJob`
and returns a :class:`JobResult`; the maps it makes along the way go to a
``sink`` (:class:`~corridors.circuit.out.JobWriter` writes them, ``None``
drops them). :func:`run_job` reads the INI, computes and writes
Circuitscape's output files.

The steps follow Circuitscape.jl's source file by file (``raster/pairwise.jl``,
``raster/onetoall.jl``, ``raster/advanced.jl``, ``network/*.jl``, ``core.jl``,
``out.jl``); the README's "Circuitscape compatibility" section lists each
convention and where it comes from. What differs is how the linear systems
are solved: pairwise mode grounds each component once and solves one system
per focal node instead of one per pair, and one-to-all / all-to-one solve the
interior once per component; the numbers are the same.

>>> files = run_job("job.ini")                      # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from corridors._errors import DataError, MemoryLimitError
from corridors.circuit import inputs
from corridors.circuit.graph import CircuitGraph, circuitscape_graph
from corridors.circuit.ini import CircuitscapeJob, read_ini
from corridors.circuit.modes import _focal_setup, _submatrix, solve_pairs
from corridors.circuit.solve import (
    CIRCUITSCAPE_SOLVERS,
    DEFAULT_RTOL,
    GroundedSolver,
    SolveStats,
    check_memory,
    circuitscape_branch_currents,
    circuitscape_node_currents,
    resolve_memory_limit,
)
from corridors.raster import Raster
from corridors.settings import format_bytes

NODATA = inputs.NODATA

#: ``progress(done, total)`` after each solve of a pair or focal node.
Progress = Callable[[int, int], None]


class Sink(Protocol):
    """Where the maps of a job go (:class:`~corridors.circuit.out.JobWriter`)."""

    def grid(self, suffix: str, values: np.ndarray, template: Raster) -> None: ...

    def table(self, suffix: str, rows: list[tuple]) -> None: ...


@dataclass
class JobResult:
    """What a Circuitscape job computed.

    Attributes
    ----------
    job : CircuitscapeJob
        The job.
    ids : numpy.ndarray or None
        Focal ids (pairwise, one-to-all, all-to-one) in the order of ``resistances``.
    resistances : numpy.ndarray or None
        Pairwise: the square matrix (0 on the diagonal, -1 for pairs not
        connected, off the graph or excluded). One-to-all: the resistance
        between each focal node and all others grounded (-1 where not
        solved); all-to-one: 0 for each solved focal node, -1 otherwise, as
        Circuitscape reports them.
    voltages : numpy.ndarray or None
        Advanced mode: node voltages (raster jobs: a grid; network jobs: one per node id).
    cum_current, max_current : numpy.ndarray or None
        The cumulative and maximum current maps (raster) when the job writes them.
    template : Raster or None
        Raster jobs: the habitat grid.
    node_ids : numpy.ndarray or None
        Network jobs: the id of every node.
    stats : SolveStats
        Setups and solves done.
    """

    job: CircuitscapeJob
    ids: np.ndarray | None = None
    resistances: np.ndarray | None = None
    voltages: np.ndarray | None = None
    cum_current: np.ndarray | None = None
    max_current: np.ndarray | None = None
    template: Raster | None = None
    node_ids: np.ndarray | None = None
    stats: SolveStats = field(default_factory=SolveStats)


class _NullSink:
    def grid(self, suffix: str, values: np.ndarray, template: Raster) -> None:
        pass

    def table(self, suffix: str, rows: list[tuple]) -> None:
        pass


def run_job(
    job: CircuitscapeJob | str | os.PathLike,
    *,
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    max_memory: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Run a Circuitscape job and write its outputs next to ``output_file``.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual (solver cg+amg).
    memory_limit : int, optional
        Bytes the job may use (default: the available memory).
    max_memory : int, optional
        Deprecated spelling of ``memory_limit``; accepted with a DeprecationWarning for one release.
    progress : callable, optional
        ``progress(done, total)`` after each solve.

    Returns
    -------
    list of pathlib.Path
        The files written. Nothing is written if the job fails.

    Raises
    ------
    ConfigError, DataError, SolverError
        Bad INI, bad or missing input, problem too large.
    """
    # Imported here, not at the top: corridors.circuit.out imports JobResult from this module.
    from corridors.circuit.out import JobWriter

    memory_limit = resolve_memory_limit(memory_limit, max_memory)
    if not isinstance(job, CircuitscapeJob):
        job = read_ini(job)
    out = JobWriter(job)
    try:
        res = compute_job(job, rtol=rtol, memory_limit=memory_limit, sink=out, progress=progress)
        out.write_result(res)
        return out.commit()
    finally:
        out.cleanup()


def compute_job(
    job: CircuitscapeJob | str | os.PathLike,
    *,
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    sink: Sink | None = None,
    progress: Progress | None = None,
) -> JobResult:
    """Solve a Circuitscape job: read its inputs and run its mode; maps go to ``sink``.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual.
    memory_limit : int, optional
        Bytes the job may use (default: the available memory).
    sink : Sink, optional
        Receives every per-pair, per-node and final map as it is made.
    progress : callable, optional
        ``progress(done, total)`` after each solve.

    Returns
    -------
    JobResult

    Raises
    ------
    ConfigError, DataError, SolverError
        Bad INI, bad or missing input, problem too large.
    """
    if not isinstance(job, CircuitscapeJob):
        job = read_ini(job)
    ctx = _Context(job, CIRCUITSCAPE_SOLVERS[job.solver], rtol, memory_limit, sink or _NullSink(), progress)
    if job.data_type == "network":
        return _network_advanced(ctx) if job.scenario == "advanced" else _network_pairwise(ctx)
    if job.scenario == "advanced":
        return _raster_advanced(ctx)
    if job.scenario == "pairwise":
        return _raster_pairwise(ctx)
    return _raster_one_to_all(ctx)


@dataclass
class _Context:
    job: CircuitscapeJob
    solver: str
    rtol: float
    memory_limit: int | None
    sink: Sink
    progress: Progress | None
    stats: SolveStats = field(default_factory=SolveStats)
    template: Raster | None = None
    done: int = 0
    total: int = 0

    def grid(self, suffix: str, values: np.ndarray) -> None:
        self.sink.grid(suffix, values, self.template)

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def pairs(self, graph: CircuitGraph, pnode: np.ndarray, pid: np.ndarray, exclude: set, maps: bool,
              on_pair: Callable | None) -> np.ndarray:
        return solve_pairs(graph.laplacian, graph.components, pnode, pid, exclude=exclude, keep_voltages=maps,
                           on_pair=on_pair, solver=self.solver, rtol=self.rtol, stats=self.stats,
                           batch_size=self.job.cholmod_batch_size, step=self.step)

    def file(self, key: str) -> Path:
        return inputs.exists(getattr(self.job, key), key, self.job.source)


# ====================================================================== raster inputs
@dataclass
class _Raster:
    """A raster job's inputs: cell map (conductances after the mask), polygons, template."""

    cellmap: np.ndarray
    polymap: np.ndarray | None
    template: Raster


def _load_raster(ctx: _Context) -> _Raster:
    """Read the habitat grid, polygons and mask (Circuitscape's ``load_raster_data``)."""
    job = ctx.job
    cellmap, template = inputs.read_cellmap(ctx.file("habitat_file"), job.habitat_map_is_resistances)
    ctx.template = template
    polymap = inputs.read_id_grid(ctx.file("polygon_file"), "polygon_file", template) if job.use_polygons else None
    if job.use_mask:
        cellmap = inputs.apply_mask(cellmap, ctx.file("mask_file"), template)
    return _Raster(cellmap, polymap, template)


def _check_memory(ctx: _Context, data: _Raster, n_vectors: int = 0) -> None:
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


def _graph(ctx: _Context, data: _Raster, polymap: np.ndarray | None) -> CircuitGraph:
    return circuitscape_graph(data.cellmap, polymap, four_neighbors=ctx.job.connect_four_neighbors_only,
                              avg_resistances=ctx.job.connect_using_avg_resistances)


def _solves(graph: CircuitGraph, pnode: np.ndarray) -> int:
    """Solves the pairwise kernel will do: per component, one less than its distinct focal nodes."""
    nodes = np.unique(pnode[pnode >= 0])
    if not len(nodes):
        return 0
    per = np.bincount(graph.components[nodes])
    return int(np.maximum(per - 1, 0).sum())


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

    def __init__(self, ctx: _Context, data: _Raster):
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


def _pairs_of(ctx: _Context, pts: inputs.Points) -> tuple[inputs.Points, set[tuple[int, int]]]:
    """Prune the points (include mode) and list the excluded pairs (Circuitscape's ``generate_exclude_pairs``)."""
    if not ctx.job.use_included_pairs:
        return pts, set()
    pairs = inputs.read_included_pairs(ctx.file("included_pairs_file"))
    if pairs.mode == "include":
        pts = pts.keep(pairs.point_ids)
    return pts, pairs.excluded()


def _raster_pairwise(ctx: _Context) -> JobResult:
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
        ctx.total = _solves(graph, pnode)
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


def _raster_one_to_all(ctx: _Context) -> JobResult:
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
def _resolve(sources: np.ndarray, grounds: np.ndarray, policy: str) -> tuple[np.ndarray, np.ndarray]:
    """Circuitscape's ``resolve_conflicts``: a node that is both a source and a ground, by ``remove_src_or_gnd``.

    Then a directly grounded node (infinite conductance) that is also a
    source loses its ground, whatever the policy, as in Circuitscape.
    """
    sources, grounds = sources.copy(), grounds.copy()
    both = (sources != 0) & (grounds != 0)
    if policy in ("rmvsrc", "rmvall"):
        sources[both] = 0.0
    if policy in ("rmvgnd", "rmvall"):
        grounds[both] = 0.0
    grounds[np.isinf(grounds) & (sources > 0)] = 0.0
    return sources, grounds


def _advanced_solve(ctx: _Context, lap: sp.csr_array, labels: np.ndarray, sources: np.ndarray, grounds: np.ndarray,
                    on_component: Callable | None = None) -> np.ndarray:
    """Circuitscape's ``advanced_kernel``: each component with a source and a ground, solved once.

    Finite grounds join the diagonal; directly grounded nodes are held at 0 V.
    ``on_component(nodes_c, lap_c, v_c, finite_c)`` receives each solved component.
    """
    v = np.zeros(lap.shape[0])
    direct = np.isinf(grounds)
    finite = np.where(direct, 0.0, grounds)
    if np.any(finite < 0):
        raise DataError(f"{ctx.job.source}, key 'ground_file': negative ground conductances found; grounds must be >= 0.")
    for comp in np.unique(labels):
        nodes_c = np.nonzero(labels == comp)[0]
        if sources[nodes_c].sum() == 0 or grounds[nodes_c].sum() == 0:
            continue
        lap_c = _submatrix(lap, nodes_c)
        free = ~direct[nodes_c]
        m = (lap_c + sp.diags_array(finite[nodes_c])).tocsr()
        m = m[free][:, free].tocsr() if not free.all() else m
        vc = np.zeros(len(nodes_c))
        if free.any():
            vc[free] = GroundedSolver(m, solver=ctx.solver, rtol=ctx.rtol, stats=ctx.stats).solve(sources[nodes_c][free])
        v[nodes_c] = vc
        ctx.step()
        if on_component is not None:
            on_component(nodes_c, lap_c, vc, finite[nodes_c])
    return v


def _raster_advanced(ctx: _Context) -> JobResult:
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
    grounds = np.zeros(graph.n_nodes)
    np.add.at(grounds, nodes, g[on])
    sources, grounds = _resolve(sources, grounds, job.remove_src_or_gnd)
    want_cur = job.write_cur_maps or job.write_cum_cur_map_only
    curmap = np.zeros(graph.nodemap.shape)
    volt = np.zeros(graph.nodemap.shape)
    ctx.total = 1

    def each(nodes_c, lap_c, vc, finite_c):
        volt[:] += _component_grid(graph, nodes_c, vc)
        if want_cur:
            curmap[:] += _component_grid(graph, nodes_c, circuitscape_node_currents(lap_c, vc, finite_c))

    v = _advanced_solve(ctx, graph.laplacian, graph.components, sources, grounds, each)
    if not np.any(v) and not (sources.any() and grounds.any()):
        raise DataError(f"{job.source}: no component holds both a source and a ground; place them on habitat cells.")
    if job.write_volt_maps:
        ctx.grid("voltmap", volt)
    if want_cur:
        ctx.grid("curmap", curmap)
    return JobResult(job, voltages=volt, cum_current=curmap if want_cur else None, template=template, stats=ctx.stats)


# ====================================================================== networks
def _network_graph(net: inputs.Network) -> CircuitGraph:
    i, j = net.a - net.base, net.b - net.base
    keep = i != j
    i, j, g = i[keep], j[keep], net.conductance[keep]
    n = net.n_nodes
    adj = sp.coo_array((np.r_[g, g], (np.r_[i, j], np.r_[j, i])), shape=(n, n)).tocsr()
    adj.sum_duplicates()
    lap = (sp.diags_array(np.asarray(adj.sum(axis=1)).ravel()) - adj).tocsr()
    lap.sort_indices()
    return CircuitGraph(lap, names=net.ids())


def _branch_rows(names: np.ndarray, lap_c: sp.csr_array, v: np.ndarray) -> list[tuple]:
    """Branch currents ``(from id, to id, current)`` as Circuitscape writes them: currents of 1e-6 A or less left out."""
    r, c, cur = circuitscape_branch_currents(lap_c, v)
    keep = ~np.isclose(cur, 0.0, rtol=0.0, atol=1e-6)
    return [(int(names[a]), int(names[b]), float(x)) for a, b, x in zip(r[keep], c[keep], cur[keep])]


def _network_pairwise(ctx: _Context) -> JobResult:
    job = ctx.job
    net = inputs.read_network(ctx.file("habitat_file"), job.habitat_map_is_resistances)
    graph = _network_graph(net)
    names = graph.names
    fp = inputs.read_node_list(ctx.file("point_file"), "point_file")
    pnode = net.index(fp, "point_file", ctx.file("point_file"))
    cur_maps = job.write_cur_maps
    cum_node = np.zeros(graph.n_nodes)
    file_pairs = {}
    for k, (a, b) in enumerate(zip(net.a.tolist(), net.b.tolist())):
        file_pairs.setdefault((a, b), k)
    cum_branch = np.zeros(len(net.a))

    def on_pair(a, b, nodes_c, lap_c, v):
        name = f"{a}_{b}"
        cn = names[nodes_c]
        if job.write_volt_maps:
            ctx.sink.table(f"voltages_{name}.txt", [(int(x), float(y)) for x, y in zip(cn, v)])
        if not cur_maps:
            return
        cur = circuitscape_node_currents(lap_c, v)
        cum_node[nodes_c] += cur
        rows = _branch_rows(cn, lap_c, v)
        r, c, bc = circuitscape_branch_currents(lap_c, v)
        for x, y, z in zip(cn[r], cn[c], bc):
            k = file_pairs.get((int(x), int(y)), file_pairs.get((int(y), int(x))))
            if k is not None:
                cum_branch[k] += z
        if not job.write_cum_cur_map_only:
            ctx.sink.table(f"node_currents_{name}.txt", [(int(x), float(y)) for x, y in zip(cn, cur)])
            ctx.sink.table(f"branch_currents_{name}.txt", rows)

    maps = job.write_volt_maps or cur_maps
    ctx.total = _solves(graph, pnode)
    res = ctx.pairs(graph, pnode, fp, set(), maps, on_pair if maps else None)
    if cur_maps:
        ctx.sink.table("node_currents_cum.txt", [(int(x), float(y)) for x, y in zip(names, cum_node)])
        keep = ~np.isclose(cum_branch, 0.0, rtol=0.0, atol=1e-6)
        ctx.sink.table("branch_currents_cum.txt", [(int(a), int(b), float(c)) for a, b, c in
                                                   zip(net.a[keep], net.b[keep], cum_branch[keep])])
    return JobResult(job, ids=fp, resistances=res, node_ids=names, stats=ctx.stats)


def _network_advanced(ctx: _Context) -> JobResult:
    job = ctx.job
    net = inputs.read_network(ctx.file("habitat_file"), job.habitat_map_is_resistances)
    graph = _network_graph(net)
    names = graph.names
    s_ids, s_val = inputs.read_node_values(ctx.file("source_file"), "source_file")
    g_ids, g_val = inputs.read_node_values(ctx.file("ground_file"), "ground_file")
    sources = np.zeros(graph.n_nodes)
    grounds = np.zeros(graph.n_nodes)
    for key, ids_, store in (("source_file", s_ids, sources), ("ground_file", g_ids, grounds)):
        idx = net.index(ids_, key, ctx.file(key))
        if (idx < 0).any():
            raise DataError(f"{key}: {ctx.file(key)}: node {int(ids_[idx < 0][0])} is not in the network; list only its nodes.")
    if job.use_unit_currents:
        s_val = (s_val != 0).astype("float64")
    if job.ground_file_is_resistances:
        with np.errstate(divide="ignore"):
            g_val = 1.0 / g_val
    if job.use_direct_grounds:
        g_val = np.where(g_val != 0, np.inf, 0.0)
    sources[s_ids - net.base] = s_val  # a node listed twice keeps its last value, as in Circuitscape
    grounds[g_ids - net.base] = g_val
    sources, grounds = _resolve(sources, grounds, job.remove_src_or_gnd)
    ctx.total = 1
    v = _advanced_solve(ctx, graph.laplacian, graph.components, sources, grounds)
    if job.write_volt_maps:
        ctx.sink.table("voltages.txt", [(int(x), float(y)) for x, y in zip(names, v)])
    if job.write_cur_maps:
        finite = np.where(np.isinf(grounds), 0.0, grounds)
        cur = circuitscape_node_currents(graph.laplacian, v, finite)
        ctx.sink.table("node_currents.txt", [(int(x), float(y)) for x, y in zip(names, cur)])
        ctx.sink.table("branch_currents.txt", _branch_rows(names, graph.laplacian, v))
    return JobResult(job, voltages=v, node_ids=names, stats=ctx.stats)
