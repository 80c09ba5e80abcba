"""Circuitscape's four modes on a CircuitGraph: pairwise, one-to-all, all-to-one and advanced (sources and grounds)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from corridors._errors import ConfigError, DataError
from corridors.circuit.graph import CircuitGraph
from corridors.circuit.solve import DEFAULT_RTOL, GroundedSolver, SolveStats, SymbolicCache, node_currents

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
    currents: np.ndarray | None
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


class GroundedComponent:
    """One connected component grounded at a focal node, solved once per other focal node.

    Circuitscape solves ``L v = e_b - e_a`` for every pair (a, b) and shifts
    ``v`` so that ``v_a = 0``. With ``y_u`` the potential of 1 A from ``u``
    to the ground node ``g`` (``y_g = 0``), ``v = y_b - y_a`` shifted the
    same way: one solve per focal node instead of one per pair.

    Parameters
    ----------
    lap : scipy.sparse.csr_array
        Laplacian of the whole graph.
    nodes_c : numpy.ndarray
        The component's nodes.
    focal_local : list of int
        Focal nodes, as indices into ``nodes_c``; the first is the ground.
    keep_full : bool
        Keep whole voltage columns (for maps); otherwise only their focal entries.
    solver, rtol, stats, batch_size
        As in :class:`~corridors.circuit.solve.GroundedSolver`; a direct
        solver takes the right-hand sides in batches of ``batch_size``.
    step : callable, optional
        Called after each solved focal node.
    """

    def __init__(self, lap: sp.csr_array, nodes_c: np.ndarray, focal_local: list[int], keep_full: bool, *,
                 solver: str = "amg", rtol: float = DEFAULT_RTOL, stats: SolveStats | None = None, batch_size: int = 1000,
                 step: Callable[[], None] | None = None):
        step = step or (lambda: None)
        stats = stats if stats is not None else SolveStats()
        self.nodes_c = nodes_c
        self.lap_c = _submatrix(lap, nodes_c)
        self.ground = focal_local[0]
        self.focal = focal_local
        self.keep_full = keep_full
        self.pos = {u: k for k, u in enumerate(focal_local)}
        n = len(nodes_c)
        others = focal_local[1:]
        self.cols: dict[int, np.ndarray] = {}
        if not others:
            return
        sub = self.lap_c
        dpos = _diag_positions(sub, np.array([self.ground]))
        old = sub.data[dpos].copy()
        # Ground g through a resistor of the size of its own branches: x - x[g] is then exactly y. The diagonal
        # is changed in place and put back after the solves (a copy would cost a whole Laplacian of memory).
        sub.data[dpos] = old * 2.0
        try:
            solv = GroundedSolver(sub, solver=solver, rtol=rtol, stats=stats, expected_solves=len(others), batch_size=batch_size)
            fl = np.array(focal_local)
            if solver != "amg":  # a factorisation solves many right-hand sides at once
                for start in range(0, len(others), batch_size):
                    batch = others[start : start + batch_size]
                    rhs = np.zeros((n, len(batch)))
                    rhs[batch, np.arange(len(batch))] = 1.0
                    x = solv.solve(rhs)
                    x -= x[self.ground]
                    for k, u in enumerate(batch):
                        self.cols[u] = x[:, k].copy() if keep_full else x[fl, k].copy()
                        step()
                return
            for u in others:
                b = np.zeros(n)
                b[u] = 1.0
                x = solv.solve(b)
                x -= x[self.ground]
                self.cols[u] = x if keep_full else x[fl]
                step()
        finally:
            sub.data[dpos] = old

    def _col(self, u: int) -> np.ndarray | None:
        return None if u == self.ground else self.cols[u]

    def _entry(self, col: np.ndarray | None, w: int) -> float:
        if col is None:
            return 0.0
        return float(col[w] if self.keep_full else col[self.pos[w]])

    def resistance(self, a: int, b: int) -> float:
        ca, cb = self._col(a), self._col(b)
        return self._entry(ca, a) + self._entry(cb, b) - 2.0 * self._entry(cb, a)

    def voltages(self, a: int, b: int) -> np.ndarray:
        """Local voltages of pair (a, b): 1 A from b to a, ``v_a = 0`` (Circuitscape's orientation)."""
        n = len(self.nodes_c)
        ya = self._col(a)
        yb = self._col(b)
        v = (np.zeros(n) if yb is None else yb) - (np.zeros(n) if ya is None else ya)
        return v - v[a]


def solve_pairs(lap: sp.csr_array, components: np.ndarray, pnode: np.ndarray, pid: np.ndarray, *,
                exclude: set[tuple[int, int]] | None = None, keep_voltages: bool = False, on_pair: Callable | None = None,
                solver: str = "amg", rtol: float = DEFAULT_RTOL, stats: SolveStats | None = None, batch_size: int = 1000,
                step: Callable[[], None] | None = None) -> np.ndarray:
    """Circuitscape's ``single_ground_all_pairs``: the effective resistance of every pair of focal points on one graph.

    Rows on one node are 0 apart (Circuitscape's ``smash_repeats``); pairs in
    different components, off the graph or excluded are -1. Pair (a, b), a
    the earlier row, is solved with 1 A into b and out of a, ``v_a = 0``
    (Circuitscape's orientation), but each component is grounded once and
    solved once per focal node (:class:`GroundedComponent`).

    Parameters
    ----------
    lap : scipy.sparse.csr_array
        The graph Laplacian.
    components : numpy.ndarray
        Component label of every node.
    pnode : numpy.ndarray
        Node of every point row (-1: off the graph).
    pid : numpy.ndarray
        Id of every point row (several rows may share a node).
    exclude : set of (id, id), optional
        Pairs not to solve, in both orders.
    keep_voltages : bool
        Keep whole voltage columns and call ``on_pair`` for every solved combination of rows.
    on_pair : callable, optional
        ``on_pair(id_a, id_b, nodes_c, lap_c, v)``: the component's nodes, its
        Laplacian and the pair's voltages on them.
    solver, rtol, stats, batch_size, step
        See :class:`GroundedComponent`.

    Returns
    -------
    numpy.ndarray
        Resistances between the rows, 0 on the diagonal.
    """
    exclude = exclude or set()
    n = len(pnode)
    res = -np.ones((n, n))
    comp_of = np.where(pnode >= 0, components[np.maximum(pnode, 0)], -1)
    for comp in np.unique(comp_of[comp_of >= 0]):
        rows = np.nonzero(comp_of == comp)[0]
        csub = list(dict.fromkeys(pnode[rows].tolist()))  # unique nodes, in the order of the rows
        rows_of = {u: [int(k) for k in rows if pnode[k] == u] for u in csub}
        for u in csub:  # Circuitscape's smash_repeats: rows on one node are 0 apart
            for x in rows_of[u]:
                for y in rows_of[u]:
                    if x != y:
                        res[x, y] = 0.0
        todo = []
        for i in range(len(csub)):
            for j in range(i + 1, len(csub)):
                combos = [(x, y) for x in rows_of[csub[i]] for y in rows_of[csub[j]] if (int(pid[x]), int(pid[y])) not in exclude]
                if combos:
                    todo.append((csub[i], csub[j], combos))
        if not todo:
            continue
        nodes_c = np.nonzero(components == comp)[0]
        local = np.full(len(components), -1, dtype=np.int64)
        local[nodes_c] = np.arange(len(nodes_c))
        used = list(dict.fromkeys([u for a, b, _ in todo for u in (a, b)]))
        gc = GroundedComponent(lap, nodes_c, [int(local[u]) for u in used], keep_full=keep_voltages, solver=solver, rtol=rtol,
                               stats=stats, batch_size=batch_size, step=step)
        for a, b, combos in todo:
            la, lb = int(local[a]), int(local[b])
            r = gc.resistance(la, lb)
            v = gc.voltages(la, lb) if keep_voltages else None
            for x, y in combos:
                res[x, y] = res[y, x] = r
                if keep_voltages and on_pair is not None:
                    on_pair(int(pid[x]), int(pid[y]), nodes_c, gc.lap_c, v)
    np.fill_diagonal(res, 0.0)
    return res


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

    The kernel is :func:`solve_pairs`, the one Circuitscape INI jobs run:
    per connected component one setup and one solve per focal node, pair
    (i, j) with ``i < j`` solved as 1 A into ``j`` and out of ``i`` with
    ``v_i = 0``.

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
        Set the current of the pair's two focal nodes to 0.

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
    rows = np.arange(n)  # the kernel names rows by id; row numbers keep repeated ids apart
    exclude = {(int(i), int(j)) for i, j in zip(*np.nonzero(~inc)) if i != j}
    stats = SolveStats()
    cum = np.zeros(nn) if currents else None
    mx = np.zeros(nn) if currents else None

    def each(i: int, j: int, nodes_c: np.ndarray, lap_c: sp.csr_array, v_c: np.ndarray) -> None:
        v = np.zeros(nn)
        v[nodes_c] = v_c
        cur = node_currents(lap, v)
        if focal_currents_zero:
            cur[[focal[i], focal[j]]] = 0.0
        cum[:] += cur
        np.maximum(mx, cur, out=mx)
        if on_pair is not None:
            on_pair((i, j), v, cur)

    res = solve_pairs(lap, graph.components, focal, rows, exclude=exclude, keep_voltages=currents,
                      on_pair=each if currents else None, solver=solver, rtol=rtol, stats=stats)
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
    """Resolve places that are both a source and a ground (Circuitscape's ``remove_src_or_gnd``, ``resolve_conflicts``).

    After the policy, a directly grounded node (infinite conductance) that is
    also a source loses its ground whatever the policy, as in Circuitscape
    (``raster/advanced.jl``): a node held at 0 V cannot inject.

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
    grounds[np.isinf(grounds) & (sources > 0)] = 0.0
    return sources, grounds


def advanced(
    graph: CircuitGraph,
    sources: np.ndarray,
    grounds: np.ndarray,
    *,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    currents: bool = True,
    on_component: Callable[[np.ndarray, sp.csr_array, np.ndarray, np.ndarray], None] | None = None,
    pattern: SymbolicCache | None = None,
) -> AdvancedResult:
    """Circuitscape's advanced mode: current sources and grounds anywhere (``advanced_kernel``).

    Each node may inject a current (``sources``, amperes) and be tied to
    ground through a conductance (``grounds``; ``inf`` is a direct ground held
    at 0 V). Each connected component whose sources and grounds do not sum
    to 0 is solved once (one setup, one solve); others carry no current.

    Parameters
    ----------
    graph : CircuitGraph
    sources : numpy.ndarray
        Source current of every node.
    grounds : numpy.ndarray
        Ground conductance of every node (0 none, inf direct).
    solver, rtol
        See :func:`pairwise`.
    currents : bool, default True
        Compute the node currents of the whole graph (``AdvancedResult.currents``).
    on_component : callable, optional
        ``on_component(nodes_c, lap_c, v_c, finite_c)`` for each solved
        component: its nodes, Laplacian, voltages and finite ground conductances.
    pattern : SymbolicCache, optional
        'cholmod': reuse the symbolic analysis of an earlier matrix of the
        same pattern (Omniscape's windows).

    Returns
    -------
    AdvancedResult
        ``currents`` is None when not asked for.
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
    n_comp = labels.max() + 1
    src_sum = np.bincount(labels, weights=sources, minlength=n_comp)
    gnd_any = np.bincount(labels, weights=(grounds != 0).astype(float), minlength=n_comp) > 0
    for comp in np.nonzero((src_sum != 0) & gnd_any)[0]:
        nodes_c = np.nonzero(labels == comp)[0]
        lap_c = _submatrix(lap, nodes_c)
        free = ~direct[nodes_c]
        vc = np.zeros(len(nodes_c))
        if free.any():
            m = (lap_c + sp.diags_array(finite_g[nodes_c])).tocsr()
            m = m[free][:, free].tocsr() if not free.all() else m
            vc[free] = GroundedSolver(m, solver=solver, rtol=rtol, stats=stats, pattern=pattern).solve(sources[nodes_c][free])
        v[nodes_c] = vc
        if on_component is not None:
            on_component(nodes_c, lap_c, vc, finite_g[nodes_c])
    cur = node_currents(lap, v, finite_g) if currents else None
    return AdvancedResult(voltages=v, currents=cur, ground_conductance=finite_g, stats=stats)
