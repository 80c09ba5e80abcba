"""Run a Circuitscape job: read its inputs, dispatch to the modes, return the results (Circuitscape.jl's ``run``).

:func:`compute_job` solves a :class:`~corridors.circuit.ini.CircuitscapeJob`
and returns a :class:`JobResult` without writing anything; :func:`run_job`
reads the INI, computes and writes Circuitscape's output files through
:class:`~corridors.circuit.out.JobWriter`.

>>> files = run_job("job.ini")                      # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corridors._errors import DataError
from corridors.circuit.graph import CircuitGraph
from corridors.circuit.grid import GridCircuit, _read_table, build_grid_circuit, read_point_file
from corridors.circuit.ini import (
    CircuitscapeJob,
    need_input,
    read_included_pairs,
    read_ini,
    read_input_raster,
    read_network,
    read_source_strengths,
)
from corridors.circuit.modes import AdvancedResult, FocalResult, PairwiseResult, advanced, apply_ground_policy, one_to_all, pairwise
from corridors.circuit.out import JobWriter
from corridors.circuit.solve import CIRCUITSCAPE_SOLVERS, DEFAULT_RTOL, branch_currents, resolve_memory_limit
from corridors.raster import Raster


@dataclass
class JobResult:
    """What a Circuitscape job computed, as node values of its circuit.

    Attributes
    ----------
    job : CircuitscapeJob
        The job.
    graph : CircuitGraph
        Its circuit (raster jobs: the graph of the habitat grid, with its node map).
    result : PairwiseResult, FocalResult or AdvancedResult
        The mode's result (resistances, cumulative and maximum current, or
        the voltages and currents of advanced mode); ``None`` only while the
        job is being solved.
    habitat : Raster or None
        Raster jobs: the habitat grid, the template of every map.
    ids : numpy.ndarray or None
        Focal ids (pairwise, one-to-all, all-to-one), in the order of ``result``.
    branch_ends : (numpy.ndarray, numpy.ndarray) or None
        Network jobs: the node indices at the ends of every branch.
    branch_current : numpy.ndarray or None
        Network jobs with current maps: the current of each branch (summed over
        the pairs in pairwise mode).
    """

    job: CircuitscapeJob
    graph: CircuitGraph
    result: PairwiseResult | FocalResult | AdvancedResult | None = None
    habitat: Raster | None = None
    ids: np.ndarray | None = None
    branch_ends: tuple[np.ndarray, np.ndarray] | None = None
    branch_current: np.ndarray | None = None


#: Called after each solve that has maps with (the result being built, the focal ids of the
#: solve: ``(a, b)`` or ``(a,)``, node voltages, node currents, branch currents or None).
SolveCallback = Callable[[JobResult, tuple, np.ndarray, np.ndarray, "np.ndarray | None"], None]


def run_job(
    job: CircuitscapeJob | str | os.PathLike,
    *,
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    max_memory: int | None = None,
) -> list[Path]:
    """Run a Circuitscape job and write its outputs next to ``output_file``.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual.
    memory_limit : int, optional
        Bytes a raster job may use (default: the available memory).
    max_memory : int, optional
        Deprecated spelling of ``memory_limit``; accepted with a DeprecationWarning for one release.

    Returns
    -------
    list of pathlib.Path
        The files written. Nothing is written if the job fails.

    Raises
    ------
    ConfigError, DataError, SolverError
        Bad INI, bad or missing input, problem too large.
    """
    memory_limit = resolve_memory_limit(memory_limit, max_memory)
    if not isinstance(job, CircuitscapeJob):
        job = read_ini(job)
    out = JobWriter(job)
    try:
        res = compute_job(job, rtol=rtol, memory_limit=memory_limit, on_solve=out.write_solve)
        out.write_result(res)
        return out.commit()
    finally:
        out.cleanup()


def compute_job(
    job: CircuitscapeJob | str | os.PathLike,
    *,
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    on_solve: SolveCallback | None = None,
) -> JobResult:
    """Solve a Circuitscape job without writing anything: read its inputs and run its mode.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual.
    memory_limit : int, optional
        Bytes a raster job may use (default: the available memory).
    on_solve : callable, optional
        Called after each solve of a pair or focal node when the job asks for
        per-solve maps (see :data:`SolveCallback`); :meth:`JobWriter.write_solve
        <corridors.circuit.out.JobWriter.write_solve>` writes them.

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
    if job.data_type == "network":
        return _run_network(job, rtol, on_solve)
    return _run_raster(job, rtol, memory_limit, on_solve)


def _run_raster(job: CircuitscapeJob, rtol: float, memory_limit: int | None, on_solve: SolveCallback | None) -> JobResult:
    solver = CIRCUITSCAPE_SOLVERS[job.solver]
    habitat = read_input_raster(job.habitat_file, "habitat_file", job)
    mask = read_input_raster(job.mask_file, "mask_file", job, habitat) if job.use_mask else None
    polygons = read_input_raster(job.polygon_file, "polygon_file", job, habitat) if job.use_polygons else None
    focal = None
    if job.scenario != "advanced":
        focal = read_point_file(need_input(job.point_file, "point_file", job), habitat)
    n_focal = 0 if focal is None else len(np.unique(focal[focal > 0]))
    maps = job.write_cur_maps or job.write_volt_maps or job.write_max_cur_maps
    gc = build_grid_circuit(
        habitat, focal, is_resistance=job.habitat_map_is_resistances, four_neighbors=job.connect_four_neighbors_only,
        avg_resistances=job.connect_using_avg_resistances, polygons=polygons, mask=mask, solver=solver,
        # pairwise keeps one voltage column per focal node only for maps; one-to-all and
        # all-to-one always hold the harmonic extension of every focal node.
        n_vectors=(n_focal if maps else 0) if job.scenario == "pairwise" else n_focal, memory_limit=memory_limit,
    )
    out = JobResult(job, gc.graph, habitat=habitat)
    if job.scenario == "advanced":
        out.result = _run_advanced_raster(job, gc, habitat, solver, rtol)
        return out
    if n_focal < 2:
        raise DataError(f"{job.point_file}: {n_focal} focal node(s) found; {job.scenario} mode needs at least two.")
    ids = out.ids = gc.focal_ids

    def solved(idx, v, cur):
        on_solve(out, tuple(ids[k] for k in idx), v, cur, None)

    callback = solved if maps and on_solve is not None else None
    if job.scenario == "pairwise":
        pairs = None
        if job.use_included_pairs:
            pairs = read_included_pairs(need_input(job.included_pairs_file, "included_pairs_file", job), ids)
        out.result = pairwise(gc.graph, gc.focal_nodes, ids, pairs=pairs, solver=solver, rtol=rtol, currents=maps,
                              on_pair=callback, focal_currents_zero=job.set_focal_node_currents_to_zero)
    else:
        strengths = None
        if job.use_variable_source_strengths:
            strengths = read_source_strengths(need_input(job.variable_source_file, "variable_source_file", job), ids)
        out.result = one_to_all(gc.graph, gc.focal_nodes, ids, strengths=strengths, reverse=job.scenario == "all-to-one",
                                solver=solver, rtol=rtol, currents=maps, on_focal=callback,
                                focal_currents_zero=job.set_focal_node_currents_to_zero)
    return out


def _ground_conductance(values: np.ndarray, valid: np.ndarray, job: CircuitscapeJob, label: str) -> np.ndarray:
    v = np.where(valid, values.astype("float64"), np.nan)
    present = valid & np.isfinite(v)
    if np.any(present & (v < 0)):
        raise DataError(f"{label}, key 'ground_file': negative ground values found; grounds must be >= 0 (no data = no ground).")
    g = np.zeros(v.shape)
    if job.use_direct_grounds:
        g[present] = np.inf
    elif job.ground_file_is_resistances:
        g[present & (v == 0)] = np.inf
        pos = present & (v > 0)
        g[pos] = 1.0 / v[pos]
    else:
        g[present] = v[present]
    return g


def _run_advanced_raster(job: CircuitscapeJob, gc: GridCircuit, habitat: Raster, solver: str, rtol: float) -> AdvancedResult:
    src_r = read_input_raster(job.source_file, "source_file", job, habitat)
    gnd_r = read_input_raster(job.ground_file, "ground_file", job, habitat)
    src = np.where(src_r.valid, np.nan_to_num(src_r.array.astype("float64")), 0.0)
    if job.use_unit_currents:
        src = (src != 0).astype("float64")
    gnd = _ground_conductance(gnd_r.array, gnd_r.valid, job, str(job.ground_file))
    src, gnd = apply_ground_policy(src, gnd, job.remove_src_or_gnd)
    on = gc.graph.nodemap >= 0
    nn = gc.graph.n_nodes
    nodes = gc.graph.nodemap[on]
    s_node = np.bincount(nodes, weights=src[on], minlength=nn)
    g_node = np.zeros(nn)
    np.add.at(g_node, nodes, gnd[on])
    if not np.any(s_node):
        raise DataError(f"{job.source_file}: no source lies on a habitat cell; place sources on cells with data.")
    if not np.any(g_node):
        raise DataError(f"{job.ground_file}: no ground lies on a habitat cell; place grounds on cells with data.")
    return advanced(gc.graph, s_node, g_node, solver=solver, rtol=rtol)


# ------------------------------------------------------------------ networks
def _node_index(graph: CircuitGraph, node_ids: np.ndarray, label: str) -> np.ndarray:
    pos = {int(n): k for k, n in enumerate(graph.names)}
    missing = [int(i) for i in node_ids if int(i) not in pos]
    if missing:
        raise DataError(f"{label}: node {missing[0]} is not in the network; list only nodes that have a branch.")
    return np.array([pos[int(i)] for i in node_ids], dtype=np.int64)


def _run_network(job: CircuitscapeJob, rtol: float, on_solve: SolveCallback | None) -> JobResult:
    solver = CIRCUITSCAPE_SOLVERS[job.solver]
    graph = read_network(need_input(job.habitat_file, "habitat_file", job), job.habitat_map_is_resistances)
    out = JobResult(job, graph)
    if job.scenario == "advanced":
        src_rows = _read_table(need_input(job.source_file, "source_file", job), 2, "node current")
        gnd_rows = _read_table(need_input(job.ground_file, "ground_file", job), 2, "node value")
        s = np.zeros(graph.n_nodes)
        g = np.zeros(graph.n_nodes)
        si = _node_index(graph, np.array([int(float(r[0])) for r in src_rows]), str(job.source_file))
        gi = _node_index(graph, np.array([int(float(r[0])) for r in gnd_rows]), str(job.ground_file))
        sv = np.array([float(r[1]) for r in src_rows])
        gv = np.array([float(r[1]) for r in gnd_rows])
        np.add.at(s, si, 1.0 if job.use_unit_currents else sv)
        gcell = _ground_conductance(gv, np.ones(len(gv), bool), job, str(job.ground_file))
        np.add.at(g, gi, gcell)
        s, g = apply_ground_policy(s, g, job.remove_src_or_gnd)
        out.result = advanced(graph, s, g, solver=solver, rtol=rtol)
        if job.write_cur_maps:
            a, b, c = branch_currents(graph.laplacian, out.result.voltages)
            out.branch_ends, out.branch_current = (a, b), c
        return out
    focal_ids = np.unique(np.array([int(float(r[0])) for r in _read_table(need_input(job.point_file, "point_file", job), 1, "node")]))
    fnodes = _node_index(graph, focal_ids, str(job.point_file))
    pairs = None
    if job.use_included_pairs:
        pairs = read_included_pairs(need_input(job.included_pairs_file, "included_pairs_file", job), focal_ids)
    bi, bj, g_br = graph.branches()
    cum_branch = np.zeros(len(bi))
    maps = job.write_cur_maps or job.write_volt_maps
    out.ids, out.branch_ends, out.branch_current = focal_ids, (bi, bj), cum_branch

    def on_pair(ij, v, cur):
        br = np.abs(g_br * (v[bi] - v[bj]))
        cum_branch[:] += br
        if on_solve is not None:
            on_solve(out, (focal_ids[ij[0]], focal_ids[ij[1]]), v, cur, br)

    out.result = pairwise(graph, fnodes, focal_ids, pairs=pairs, solver=solver, rtol=rtol, currents=maps,
                          on_pair=on_pair if maps else None, focal_currents_zero=job.set_focal_node_currents_to_zero)
    return out
