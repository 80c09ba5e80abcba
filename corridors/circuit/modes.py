"""Circuitscape's four modes on a CircuitGraph: pairwise, one-to-all, all-to-one and advanced (sources and grounds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from corridors._errors import ConfigError, DataError
from corridors.circuit.graph import CircuitGraph
from corridors.circuit.solve import DEFAULT_RTOL, GroundedSolver, SolveStats, node_currents

#: Circuitscape's ``remove_src_or_gnd`` policies for a node that is both a source and a ground.
GROUND_POLICIES = ("keepall", "rmvsrc", "rmvgnd", "rmvall")

#: Called once per solved pair / focal node with (index or pair of indices, node voltages, node currents).
MapCallback = Callable[[tuple[int, ...], np.ndarray, np.ndarray], None]


@dataclass
class _FocalNodeResult:
    """The fields shared by the pairwise and the one-to-all / all-to-one results (see each for their meaning)."""

    ids: np.ndarray
    resistances: np.ndarray
    cum_current: np.ndarray | None = None
    max_current: np.ndarray | None = None
    stats: SolveStats = field(default_factory=SolveStats)


@dataclass
class PairwiseResult(_FocalNodeResult):
    """Effective resistances of focal-node pairs, and the cumulative and maximum current.

    Attributes
    ----------
    ids : numpy.ndarray
        Focal ids, in the order of the matrix rows.
    resistances : numpy.ndarray
        Square matrix of effective resistances; 0 on the diagonal, -1 for
        pairs in different components and for pairs left out by the
        include/exclude list (as Circuitscape writes them).
    cum_current, max_current : numpy.ndarray or None
        Node currents summed / maximised over the solved pairs (1 A each),
        when currents were asked for.
    stats : SolveStats
        Setups and solves done.
    """


@dataclass
class FocalResult(_FocalNodeResult):
    """Result of one-to-all or all-to-one: per focal node, the cumulative and maximum current.

    Attributes
    ----------
    ids : numpy.ndarray
        Focal ids.
    resistances : numpy.ndarray
        Effective resistance between each focal node and all other focal
        nodes of its component tied together (the source voltage per ampere
        of one-to-all); -1 where the node is alone in its component.
    cum_current, max_current : numpy.ndarray or None
    stats : SolveStats
    """


@dataclass
class AdvancedResult:
    """Node voltages and currents of an advanced-mode run.

    Attributes
    ----------
    voltages, currents : numpy.ndarray
        One value per node (0 in components without both a source and a ground).
    ground_conductance : numpy.ndarray
        The finite ground conductance used at each node (for branch/ground currents).
    stats : SolveStats
    """

    voltages: np.ndarray
    currents: np.ndarray
    ground_conductance: np.ndarray
    stats: SolveStats = field(default_factory=SolveStats)


def _submatrix(lap: sp.csr_array, nodes: np.ndarray) -> sp.csr_array:
    if len(nodes) == lap.shape[0]:
        return lap
    return lap[nodes][:, nodes].tocsr()


def _diag_positions(m: sp.csr_array, rows: np.ndarray) -> np.ndarray:
    """Positions in ``m.data`` of the diagonal entries of ``rows``."""
    pos = np.empty(len(rows), dtype=np.int64)
    for k, r in enumerate(rows):
        lo, hi = m.indptr[r], m.indptr[r + 1]
        hit = np.nonzero(m.indices[lo:hi] == r)[0]
        if len(hit) == 0:
            raise DataError(f"node {r} has no diagonal entry; it is an isolated node and cannot be grounded.")
        pos[k] = lo + hit[0]
    return pos


def _included(n: int, pairs: np.ndarray | None) -> np.ndarray:
    inc = np.ones((n, n), dtype=bool) if pairs is None else np.asarray(pairs, dtype=bool).copy()
    if inc.shape != (n, n):
        raise ConfigError(f"included pairs matrix is {inc.shape}, expected ({n}, {n}) for {n} focal nodes.")
    inc = inc | inc.T
    np.fill_diagonal(inc, False)
    return inc


def pairwise(
    graph: CircuitGraph,
    focal_nodes: Sequence[int],
    ids: Sequence | None = None,
    *,
    pairs: np.ndarray | None = None,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    currents: bool = False,
    on_pair: MapCallback | None = None,
    focal_currents_zero: bool = False,
) -> PairwiseResult:
    """Effective resistance between every pair of focal nodes (Circuitscape's pairwise mode).

    Per connected component holding focal nodes the component is grounded
    at one focal node ``g`` and one solver is set up; each other focal node
    ``u`` gets one solve with 1 A injected at ``u``, which gives the column
    ``G e_u`` of the grounded Green's function. Then
    ``R_ab = G_aa + G_bb - 2 G_ab`` for every pair, and the voltages of pair
    (a, b) are ``G e_a - G e_b`` shifted so that ``v_b = 0`` (``a`` is the
    source at ``R_ab`` volts, ``b`` the ground). So n focal nodes cost one
    setup and n - 1 solves per component instead of Circuitscape.jl's
    n (n - 1) / 2 solves; the numbers are the same.

    Parameters
    ----------
    graph : CircuitGraph
        The circuit.
    focal_nodes : sequence of int
        The node of each focal id (-1: not in the graph; its pairs get -1).
    ids : sequence, optional
        The focal ids (default 1..n).
    pairs : numpy.ndarray of bool, optional
        n x n matrix of the pairs to solve (include list); default all.
    solver : {'amg', 'direct', 'cholmod'}
        See :class:`~corridors.circuit.solve.GroundedSolver`.
    rtol : float
        CG relative residual.
    currents : bool, default False
        Compute node currents of each pair (for cumulative / maximum maps
        and ``on_pair``). Keeps one voltage vector per focal node in memory.
    on_pair : callable, optional
        ``on_pair((i, j), voltages, currents)`` for each solved pair (i < j
        index into ``ids``); needs ``currents=True``.
    focal_currents_zero : bool, default False
        Set the current of the pair's two focal nodes to 0
        (``set_focal_node_currents_to_zero``).

    Returns
    -------
    PairwiseResult
    """
    focal = np.asarray(focal_nodes, dtype=np.int64)
    n = len(focal)
    ids = np.arange(1, n + 1) if ids is None else np.asarray(ids)
    lap = graph.laplacian
    nn = lap.shape[0]
    if np.any(focal >= nn):
        raise DataError(f"focal node index {int(focal.max())} is outside the graph of {nn} nodes.")
    inc = _included(n, pairs)
    inc[focal < 0, :] = False
    inc[:, focal < 0] = False
    res = -np.ones((n, n))
    np.fill_diagonal(res, 0.0)
    stats = SolveStats()
    cum = np.zeros(nn) if currents else None
    mx = np.zeros(nn) if currents else None
    labels = graph.components
    comp_of = np.where(focal >= 0, labels[np.maximum(focal, 0)], -1)
    for comp in np.unique(comp_of[comp_of >= 0]):
        members = np.nonzero(comp_of == comp)[0]
        sub_inc = inc[np.ix_(members, members)]
        if not sub_inc.any():
            continue
        used = members[sub_inc.any(axis=1)]
        unodes = list(dict.fromkeys(focal[used].tolist()))  # unique, in order
        nodes_c = np.nonzero(labels == comp)[0]
        local = np.full(nn, -1, dtype=np.int64)
        local[nodes_c] = np.arange(len(nodes_c))
        green: dict[int, np.ndarray] = {}  # node -> local voltage column (maps) or focal entries
        if len(unodes) > 1:
            sub = _submatrix(lap, nodes_c)
            g = unodes[0]
            gl = int(local[g])
            dpos = _diag_positions(sub, np.array([gl]))
            old = sub.data[dpos].copy()
            # Ground g through a resistor of the size of its own branches: the
            # grounded Green's function is then x - x[g] exactly.
            sub.data[dpos] = old * 2.0
            try:
                solv = GroundedSolver(sub, solver=solver, rtol=rtol, stats=stats, expected_solves=len(unodes) - 1)
                ul = local[np.array(unodes)]
                for u in unodes[1:]:
                    b = np.zeros(len(nodes_c))
                    b[local[u]] = 1.0
                    x = solv.solve(b)
                    x -= x[gl]
                    green[u] = x if currents else x[ul]
            finally:
                sub.data[dpos] = old
            gidx = {u: k for k, u in enumerate(unodes)}

            def gval(a: int, b: int) -> float:
                if a == g or b == g:
                    return 0.0
                col = green[b]
                return float(col[local[a]] if currents else col[gidx[a]])

        for ii in range(len(members)):
            for jj in range(ii + 1, len(members)):
                if not sub_inc[ii, jj]:
                    continue
                i, j = members[ii], members[jj]
                a, b = int(focal[i]), int(focal[j])
                if a == b:
                    r = 0.0
                else:
                    r = gval(a, a) + gval(b, b) - 2.0 * gval(a, b)
                res[i, j] = res[j, i] = r
                if currents:
                    v = np.zeros(nn)
                    if a != b:
                        va = green[a] if a != unodes[0] else 0.0
                        vb = green[b] if b != unodes[0] else 0.0
                        vl = va - vb
                        vl = vl - vl[local[b]] if np.ndim(vl) else np.zeros(len(nodes_c))
                        v[nodes_c] = vl
                    cur = node_currents(lap, v)
                    if focal_currents_zero:
                        cur[[a, b]] = 0.0
                    cum += cur
                    np.maximum(mx, cur, out=mx)
                    if on_pair is not None:
                        on_pair((int(i), int(j)), v, cur)
    return PairwiseResult(ids=ids, resistances=res, cum_current=cum, max_current=mx, stats=stats)


def _focal_setup(lap: sp.csr_array, nodes_c: np.ndarray, fnodes: np.ndarray, solver: str, rtol: float, stats: SolveStats):
    """Harmonic extensions H (interior x focal) and the Dirichlet-to-Neumann matrix Q of a component.

    With every focal node held at a fixed voltage, one setup of the interior
    block ``L_II`` and one solve per focal node give ``H``; the current out
    of the focal nodes for focal voltages ``vF`` is ``Q vF`` with
    ``Q = L_FF + L_FI H``. One-to-all and all-to-one are then small dense
    problems on ``Q``.
    """
    interior = np.setdiff1d(nodes_c, fnodes, assume_unique=False)
    lff = lap[fnodes][:, fnodes].toarray()
    if len(interior) == 0:
        return interior, np.zeros((0, len(fnodes))), lff
    lii = lap[interior][:, interior].tocsr()
    lif = lap[interior][:, fnodes].toarray()
    solv = GroundedSolver(lii, solver=solver, rtol=rtol, stats=stats, expected_solves=len(fnodes))
    h = np.column_stack([solv.solve(-lif[:, k]) for k in range(len(fnodes))])
    q = lff + lif.T @ h
    return interior, h, q


def one_to_all(
    graph: CircuitGraph,
    focal_nodes: Sequence[int],
    ids: Sequence | None = None,
    *,
    strengths: Sequence[float] | None = None,
    reverse: bool = False,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    currents: bool = True,
    on_focal: MapCallback | None = None,
    focal_currents_zero: bool = False,
) -> FocalResult:
    """Circuitscape's one-to-all (and, with ``reverse``, all-to-one) mode.

    one-to-all: each focal node in turn injects its source strength (1 A by
    default) while all other focal nodes of its component are tied to
    ground. all-to-one: each focal node in turn is the ground while all
    others inject their strengths. One setup per component and one solve per
    focal node (see :func:`_focal_setup`).

    Parameters
    ----------
    graph : CircuitGraph
    focal_nodes : sequence of int
        Node of each focal id.
    ids : sequence, optional
        Focal ids (default 1..n).
    strengths : sequence of float, optional
        Source strength of each focal id, amperes (``variable_source_file``).
    reverse : bool, default False
        all-to-one instead of one-to-all.
    solver, rtol
        See :func:`pairwise`.
    currents : bool, default True
        Compute node currents (cumulative and maximum) and call ``on_focal``.
    on_focal : callable, optional
        ``on_focal((i,), voltages, currents)`` for each focal node.
    focal_currents_zero : bool, default False
        Set the current of every focal node to 0 in the maps.

    Returns
    -------
    FocalResult
    """
    focal = np.asarray(focal_nodes, dtype=np.int64)
    n = len(focal)
    ids = np.arange(1, n + 1) if ids is None else np.asarray(ids)
    s = np.ones(n) if strengths is None else np.asarray(strengths, dtype="float64")
    if s.shape != (n,):
        raise ConfigError(f"source strengths: {s.shape[0]} given for {n} focal nodes; give one per focal id.")
    lap = graph.laplacian
    nn = lap.shape[0]
    labels = graph.components
    stats = SolveStats()
    res = -np.ones(n)
    cum = np.zeros(nn) if currents else None
    mx = np.zeros(nn) if currents else None
    comp_of = np.where(focal >= 0, labels[np.maximum(focal, 0)], -1)
    done: set[int] = set()

    def emit(i: int, v: np.ndarray) -> None:
        cur = node_currents(lap, v)
        if focal_currents_zero:
            cur[focal[focal >= 0]] = 0.0
        np.add(cum, cur, out=cum)
        np.maximum(mx, cur, out=mx)
        done.add(i)
        if on_focal is not None:
            on_focal((i,), v, cur)

    for comp in np.unique(comp_of[comp_of >= 0]):
        members = np.nonzero(comp_of == comp)[0]
        fnodes = np.array(sorted(set(focal[members].tolist())))
        if len(fnodes) < 2:
            continue
        nodes_c = np.nonzero(labels == comp)[0]
        interior, h, q = _focal_setup(lap, nodes_c, fnodes, solver, rtol, stats)
        fidx = {int(u): k for k, u in enumerate(fnodes)}
        node_strength = np.zeros(len(fnodes))
        for i in members:
            node_strength[fidx[int(focal[i])]] += s[i]
        for i in members:
            k = fidx[int(focal[i])]
            res[i] = 1.0 / q[k, k]
            vf = np.zeros(len(fnodes))
            if not reverse:
                vf[k] = s[i] / q[k, k]
            else:
                keep = np.arange(len(fnodes)) != k
                src = node_strength.copy()
                # The ground node's own strength does not inject.
                vf[keep] = np.linalg.solve(q[np.ix_(keep, keep)], src[keep])
            if currents:
                v = np.zeros(nn)
                v[fnodes] = vf
                if len(interior):
                    v[interior] = h @ vf
                emit(int(i), v)
    if currents:
        for i in range(n):
            if i not in done:
                emit(i, np.zeros(nn))
    return FocalResult(ids=ids, resistances=res, cum_current=cum, max_current=mx, stats=stats)


def apply_ground_policy(sources: np.ndarray, grounds: np.ndarray, policy: str = "keepall") -> tuple[np.ndarray, np.ndarray]:
    """Resolve places that are both a source and a ground (Circuitscape's ``remove_src_or_gnd``).

    Parameters
    ----------
    sources : numpy.ndarray
        Source current (0 = none).
    grounds : numpy.ndarray
        Ground conductance (0 = none, inf = direct ground).
    policy : {'keepall', 'rmvsrc', 'rmvgnd', 'rmvall'}
        Keep both, remove the source, remove the ground, or remove both.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        New sources and grounds.
    """
    if policy not in GROUND_POLICIES:
        raise ConfigError(f"remove_src_or_gnd = {policy!r} is unknown; choose one of {', '.join(GROUND_POLICIES)}.")
    sources = np.array(sources, dtype="float64")
    grounds = np.array(grounds, dtype="float64")
    both = (sources != 0) & (grounds != 0)
    if policy in ("rmvsrc", "rmvall"):
        sources[both] = 0.0
    if policy in ("rmvgnd", "rmvall"):
        grounds[both] = 0.0
    return sources, grounds


def advanced(
    graph: CircuitGraph,
    sources: np.ndarray,
    grounds: np.ndarray,
    *,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
) -> AdvancedResult:
    """Circuitscape's advanced mode: current sources and grounds anywhere.

    Each node may inject a current (``sources``, amperes) and be tied to
    ground through a conductance (``grounds``; ``inf`` is a direct ground held
    at 0 V). Each connected component with at least one source and one
    ground is solved once (one setup, one solve); others carry no current.

    Parameters
    ----------
    graph : CircuitGraph
    sources : numpy.ndarray
        Source current of every node.
    grounds : numpy.ndarray
        Ground conductance of every node (0 none, inf direct).
    solver, rtol
        See :func:`pairwise`.

    Returns
    -------
    AdvancedResult
    """
    lap = graph.laplacian
    nn = lap.shape[0]
    sources = np.asarray(sources, dtype="float64")
    grounds = np.asarray(grounds, dtype="float64")
    if sources.shape != (nn,) or grounds.shape != (nn,):
        raise DataError(f"sources and grounds must have one value per node ({nn}); got {sources.shape} and {grounds.shape}.")
    if np.any(grounds < 0):
        raise DataError("ground conductances must be >= 0; a negative ground resistance or conductance was given.")
    direct = np.isinf(grounds)
    finite_g = np.where(direct, 0.0, grounds)
    labels = graph.components
    stats = SolveStats()
    v = np.zeros(nn)
    has_src = np.bincount(labels, weights=(sources != 0).astype(float), minlength=labels.max() + 1) > 0
    has_gnd = np.bincount(labels, weights=(grounds != 0).astype(float), minlength=labels.max() + 1) > 0
    for comp in np.nonzero(has_src & has_gnd)[0]:
        nodes_c = np.nonzero(labels == comp)[0]
        free = nodes_c[~direct[nodes_c]]
        if len(free) == 0:
            continue
        m = _submatrix(lap, free)
        m = (m + sp.diags_array(finite_g[free])).tocsr()
        solv = GroundedSolver(m, solver=solver, rtol=rtol, stats=stats)
        v[free] = solv.solve(sources[free])
    cur = node_currents(lap, v, finite_g)
    return AdvancedResult(voltages=v, currents=cur, ground_conductance=finite_g, stats=stats)
