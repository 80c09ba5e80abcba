"""Conefor-compatible connectivity metrics: IIC, PC, EC, dIIC/dPC with intra/flux/connector fractions, link importance, BC and BCPC.

Definitions (Pascual-Hortal & Saura 2006; Saura & Pascual-Hortal 2007;
Saura & Rubio 2010; Bodin & Saura 2010), with a_i the node capacity and A_L
the landscape area:

- ``IIC = sum_i sum_j a_i a_j / (1 + nl_ij) / A_L^2``, nl_ij the number of
  links on the shortest topological path (nl_ii = 0; no path: term 0).
- ``PC = sum_i sum_j a_i a_j p*_ij / A_L^2``, p*_ij the maximum product of
  link probabilities over all paths (p*_ii = 1). Both sums run over ordered
  pairs and include i = j, as in Conefor.
- ``EC(PC) = sqrt(PCnum)`` with ``PCnum = PC * A_L^2`` (capacity units); the
  same for EC(IIC).
- ``dI_k = 100 (I - I'_k) / I``, I'_k the index once node k and its links
  are gone and A_L unchanged, so the loss includes k's own intra term a_k^2.
- ``dI_k = dIintra_k + dIflux_k + dIconnector_k``: intra is the i = j = k
  term ``100 a_k^2 / Inum``; flux is every ordered pair with k at one end
  (both directions, ``100 * 2 a_k sum_{j != k} a_j p*_kj / Inum``); connector
  is the rest, the loss in pairs i, j != k whose best path ran through k.
  Connector is 0 for a node that is no stepping stone.

Maximum-product paths are shortest paths on ``w = -ln p`` (scipy.sparse.csgraph
Dijkstra). Removing node k changes only the pairs whose best path runs
through k; those are found in the baseline shortest-path trees (k has
descendants in the tree of source i), and only the rows of those sources are
recomputed, on the graph without k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, depth_first_order, dijkstra, shortest_path

from corridors._errors import ConfigError
from corridors.network.graph import HabitatGraph

_NO = -9999  # scipy.sparse.csgraph's "no predecessor"


# ----------------------------------------------------------------- array core
def _weight_matrix(n: int, u: np.ndarray, v: np.ndarray, p: np.ndarray, unweighted: bool = False) -> sp.csr_array:
    """Symmetric CSR matrix of -ln p (or 1 for binary links); links with p = 0 are absent.

    Explicit zeros (p = 1) are kept: scipy.sparse.csgraph reads them as
    zero-cost edges.
    """
    keep = p > 0
    u, v, p = u[keep], v[keep], p[keep]
    w = np.ones(len(p)) if unweighted else -np.log(p)
    w = np.maximum(w, 0.0)  # -log(1) can round to -0.0
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    data = np.concatenate([w, w])
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


def _solve(w: sp.csr_array, indices: np.ndarray | None, unweighted: bool, limit: float) -> tuple[np.ndarray, np.ndarray]:
    if unweighted:
        d, pred = shortest_path(w, method="D", directed=True, unweighted=True, return_predecessors=True, indices=indices)
    else:
        d, pred = dijkstra(w, directed=True, return_predecessors=True, indices=indices, limit=limit)
    return np.atleast_2d(d), np.atleast_2d(pred)


def _pair_values(d: np.ndarray, unweighted: bool) -> np.ndarray:
    """p*_ij = exp(-d_ij) for PC; 1 / (1 + nl_ij) for IIC; 0 where unreachable."""
    if unweighted:
        with np.errstate(divide="ignore"):
            return np.where(np.isfinite(d), 1.0 / (1.0 + d), 0.0)
    return np.exp(-d)


@dataclass
class _Baseline:
    """All-pairs solution of one metric (PC or IIC) on one graph."""

    a: np.ndarray
    u: np.ndarray
    v: np.ndarray
    p: np.ndarray
    unweighted: bool
    limit: float
    w: sp.csr_array = field(repr=False)
    d: np.ndarray = field(repr=False)
    pred: np.ndarray = field(repr=False)
    val: np.ndarray = field(repr=False)  # p*_ij or 1/(1+nl_ij)
    num: float = 0.0


def _baseline(a: np.ndarray, u: np.ndarray, v: np.ndarray, p: np.ndarray, unweighted: bool, limit: float) -> _Baseline:
    n = len(a)
    w = _weight_matrix(n, u, v, p, unweighted)
    if n == 0:
        z = np.zeros((0, 0))
        return _Baseline(a, u, v, p, unweighted, limit, w, z, z.astype(np.int32), z, 0.0)
    d, pred = _solve(w, None, unweighted, limit)
    val = _pair_values(d, unweighted)
    num = float(a @ val @ a)
    return _Baseline(a, u, v, p, unweighted, limit, w, d, pred, val, num)


def _pc_baseline(g: HabitatGraph, p_min: float = 0.0) -> _Baseline:
    """The PC baseline of a graph: maximum-product paths over its links, p* below ``p_min`` cut (see :func:`probability_matrix`)."""
    u, v, p = g.edge_arrays()
    return _baseline(g.capacity, u, v, p, False, _limit(p_min))


@dataclass
class _Trees:
    """The baseline shortest-path trees indexed for subtree look-ups.

    ``order[i]`` is the depth-first preorder of the tree of source i (padded
    with -1), ``pos[i, v]`` the place of v in it and ``size[i, v]`` the size
    of v's subtree (v included), so the subtree of v is the contiguous slice
    ``order[i, pos[i, v] : pos[i, v] + size[i, v]]``.
    """

    order: np.ndarray
    pos: np.ndarray
    size: np.ndarray
    slot: np.ndarray  # scratch n x n lookup, kept at -1 between uses


def _index_trees(pred: np.ndarray) -> _Trees:
    n = pred.shape[0]
    order = np.full((n, n), -1, dtype=np.int32)
    pos = np.full((n, n), -1, dtype=np.int32)
    for i in range(n):
        par = pred[i]
        kids = np.flatnonzero(par >= 0)
        tree = sp.csr_array((np.ones(len(kids)), (par[kids], kids)), shape=(n, n))
        pre = depth_first_order(tree, i, directed=True, return_predecessors=False)
        order[i, : len(pre)] = pre
        pos[i, pre] = np.arange(len(pre), dtype=np.int32)
    # Subtree sizes: every node adds 1 to itself and to each ancestor. Walk all
    # tree paths upwards at once (numpy), a block of sources at a time; the
    # cost is the total number of nodes on all best paths.
    size = np.zeros((n, n), dtype=np.int32)
    block = max(1, 4_000_000 // max(n, 1))
    for start in range(0, n, block):
        rows = np.arange(start, min(n, start + block))
        ii, cur = np.nonzero(pos[rows] >= 0)
        acc = np.zeros(len(rows) * n, dtype=np.int64)
        while len(cur):
            acc += np.bincount(ii * n + cur, minlength=len(rows) * n)
            cur = pred[rows[ii], cur].astype(np.int64)
            live = cur >= 0
            ii, cur = ii[live], cur[live]
        size[rows] = acc.reshape(len(rows), n)
    return _Trees(order, pos, size, np.full((n, n), -1, dtype=np.int32))


def _subtree_loss(
    b: _Baseline,
    t: _Trees,
    src: np.ndarray,
    roots: np.ndarray,
    include_root: bool,
    ban_node: int = -1,
    ban_edge: tuple[int, int] = (-1, -1),
) -> float:
    """Loss of the index numerator over the pairs (src[q], j), j in the subtree of roots[q].

    Only those pairs can change when node ``ban_node`` (the roots, not
    themselves included) or link ``ban_edge`` (the root below it, included)
    goes: every other node keeps a best path that avoids it. Their new
    distances are found in one Dijkstra run on a small graph: a copy of each
    affected subtree (its nodes and the links among them) fed from a virtual
    source by the cheapest link entering it from outside, whose far end keeps
    its baseline distance. scipy has no such "repair the tree" routine, so
    the small graph is built here with numpy; the search itself runs in
    scipy.sparse.csgraph.
    """
    if len(src) == 0:
        return 0.0
    n = len(b.a)
    starts = t.pos[src, roots].astype(np.int64) + (0 if include_root else 1)
    lens = t.size[src, roots].astype(np.int64) - (0 if include_root else 1)
    keep = lens > 0
    src, starts, lens = src[keep], starts[keep], lens[keep]
    if len(src) == 0:
        return 0.0
    total = int(lens.sum())
    owner = np.repeat(np.arange(len(src)), lens)
    offs = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    s_src = src[owner]
    # flat indices into the n x n arrays: np.take on a flat view is faster than 2-D fancy indexing
    members = np.take(t.order.reshape(-1), s_src * n + starts[owner] + offs).astype(np.int64)
    flat_sm = s_src * n + members
    slot = t.slot.reshape(-1)
    slot[flat_sm] = np.arange(total, dtype=np.int32)
    try:
        w = b.w
        deg = (w.indptr[members + 1] - w.indptr[members]).astype(np.int64)
        e_from = np.repeat(np.arange(total), deg)
        e_idx = np.repeat(w.indptr[members].astype(np.int64), deg) + (np.arange(int(deg.sum())) - np.repeat(np.cumsum(deg) - deg, deg))
        nb = w.indices[e_idx].astype(np.int64)
        wt = w.data[e_idx]
        e_flat = s_src[e_from] * n + nb
        nb_slot = np.take(slot, e_flat)
        inside = nb_slot >= 0
        banned = nb == ban_node
        if ban_edge[0] >= 0:
            x, y = ban_edge
            m = members[e_from]
            banned |= ((m == x) & (nb == y)) | ((m == y) & (nb == x))
        enter = ~inside & ~banned
        ef = e_from[enter]
        base = np.take(b.d.reshape(-1), e_flat[enter]) + wt[enter]
        entry = np.full(total, np.inf)
        if len(ef):
            # e_from is sorted, so the entries of one member are contiguous: a segmented minimum
            first = np.flatnonzero(np.r_[True, ef[1:] != ef[:-1]])
            entry[ef[first]] = np.minimum.reduceat(base, first)
        inner = inside & ~banned
        has = np.flatnonzero(np.isfinite(entry))
        # The links inside the subtrees are symmetric (each is scanned from both ends), so the
        # member -> neighbour rows are already sorted by row: build the CSR arrays directly,
        # with the virtual source as the last row.
        rows = e_from[inner]
        counts = np.bincount(rows, minlength=total + 1)
        counts[total] = len(has)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        indices = np.concatenate([nb_slot[inner].astype(np.int64), has])
        data = np.concatenate([wt[inner], entry[has]])
        small = sp.csr_array((data, indices, indptr), shape=(total + 1, total + 1))
        if b.unweighted:
            dist = dijkstra(small, directed=True, indices=total)
        else:
            dist = dijkstra(small, directed=True, indices=total, limit=b.limit)
        newv = _pair_values(dist[:total], b.unweighted)
        oldv = np.take(b.val.reshape(-1), flat_sm)
        return float(np.sum(b.a[s_src] * b.a[members] * (oldv - newv)))
    finally:
        slot[flat_sm] = -1


def _node_losses(b: _Baseline, t: _Trees, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intra, flux and connector parts of the loss of the index numerator when each node is removed.

    Cost: the baseline is one all-pairs solution, ``O(n (m + n log n))``;
    indexing its n trees costs the total number of nodes on all best paths,
    ``O(n^2 h)`` with h the mean number of links on a best path. Removing k
    then touches only the subtrees below k, in the trees where k is a
    stepping stone; summed over all k this is again ``O(n^2 h)`` nodes
    (each node j in tree i is below each of its h ancestors), times the mean
    degree for the links scanned, plus a log factor for the heap. So
    all-node dPC costs about h * degree times one PC, against n times one
    PC for the naive remove-and-recompute: O(n^2 h d log n) against
    O(n^2 (m + n log n)). Memory: a few n x n arrays (about 30 bytes per
    pair: 750 MB at 5000 nodes).
    """
    a, n = b.a, len(b.a)
    intra = a * a
    flux = 2.0 * a * (b.val @ a - a)  # val_kk = 1 (p*_kk = 1, 1/(1 + nl_kk) = 1): drop the diagonal without a copy
    conn = np.zeros(n)
    for kk in range(n):
        src = np.flatnonzero((t.size[:, kk] > 1) & (t.pos[:, kk] >= 0))
        src = src[src != kk]
        conn[kk] = _subtree_loss(b, t, src, np.full(len(src), kk), include_root=False, ban_node=kk)
        if progress is not None:
            progress()
    conn = np.maximum(conn, 0.0)  # rounding can give -1e-17
    return intra, flux, conn


def _link_losses(b: _Baseline, t: _Trees, progress=None) -> np.ndarray:
    """Loss of the index numerator when each link alone is removed (the subtree below the link, in each tree using it)."""
    m = len(b.u)
    loss = np.zeros(m)
    for e in range(m):
        x, y = int(b.u[e]), int(b.v[e])
        if b.p[e] > 0:
            s1 = np.flatnonzero(b.pred[:, y] == x)
            s2 = np.flatnonzero(b.pred[:, x] == y)
            src = np.concatenate([s1, s2])
            roots = np.concatenate([np.full(len(s1), y), np.full(len(s2), x)])
            loss[e] = _subtree_loss(b, t, src, roots, include_root=True, ban_edge=(x, y))
        if progress is not None:
            progress()
    return np.maximum(loss, 0.0)


def _bc_weighted(b: _Baseline) -> np.ndarray:
    """Sum over ordered pairs (i != j, both != k) whose tree path runs through k of a_i a_j val_ij.

    With the IIC values this is BCIIC, with p* it is BCPC (Bodin & Saura 2010).
    Walks every tree path upwards, all pairs of a block of sources at once
    (numpy), so the cost is the total number of inner nodes on all best paths.
    """
    n = len(b.a)
    out = np.zeros(n)
    block = max(1, 2_000_000 // max(n, 1))
    for start in range(0, n, block):
        srcs = np.arange(start, min(n, start + block))
        pred = b.pred[srcs]
        ii, jj = np.nonzero(pred >= 0)
        wgt = b.a[srcs[ii]] * b.a[jj] * b.val[srcs[ii], jj]
        cur = pred[ii, jj].astype(np.int64)
        live = cur != srcs[ii]
        ii, cur, wgt = ii[live], cur[live], wgt[live]
        while len(cur):
            np.add.at(out, cur, wgt)
            cur = pred[ii, cur].astype(np.int64)
            live = cur != srcs[ii]
            ii, cur, wgt = ii[live], cur[live], wgt[live]
    return out


# ----------------------------------------------------------------- public API
@dataclass
class Connectivity:
    """Everything :func:`connectivity` computes on one graph.

    Attributes
    ----------
    summary : dict
        ``n_nodes``, ``n_links``, ``n_components``, ``total_capacity``,
        ``landscape_area`` (A_L), ``PCnum``, ``PC``, ``EC_PC``, ``IICnum``,
        ``IIC``, ``EC_IIC``.
    nodes : pandas.DataFrame
        Indexed by node id: ``capacity``, ``component``, ``dPC``,
        ``dPCintra``, ``dPCflux``, ``dPCconnector``, ``dIIC``, ``dIICintra``,
        ``dIICflux``, ``dIICconnector``, ``BC``, ``BCIIC``, ``BCPC``
        (the columns asked for).
    links : pandas.DataFrame
        The graph's links with ``dPC`` and ``dIIC`` (percent loss when that
        link alone is removed) when asked for.
    """

    summary: dict
    nodes: pd.DataFrame
    links: pd.DataFrame


def _ratio(num: float, den: float) -> float:
    """num / den, NaN when the graph holds no capacity at all (PC is undefined then)."""
    return num / den if den > 0 else float("nan")


def _limit(p_min: float) -> float:
    if not (0 <= p_min < 1):
        raise ConfigError(f"option 'p_min' is {p_min!r}; give a probability in [0, 1) (0 = exact).")
    return math.inf if p_min == 0 else -math.log(p_min)


def probability_matrix(g: HabitatGraph, p_min: float = 0.0) -> np.ndarray:
    """p*_ij: the maximum-product dispersal probability between every pair of nodes.

    Parameters
    ----------
    g : HabitatGraph
    p_min : float, default 0
        Pairs whose p* would fall below this are set to 0 (Dijkstra stops
        at ``-ln p_min``); 0 keeps the computation exact.

    Returns
    -------
    numpy.ndarray
        n x n, symmetric, ones on the diagonal, in the order of ``g.ids``.
    """
    return _pc_baseline(g, p_min).val


def pc(g: HabitatGraph, p_min: float = 0.0) -> float:
    """The probability of connectivity PC (Saura & Pascual-Hortal 2007).

    Parameters
    ----------
    g : HabitatGraph
    p_min : float, default 0
        See :func:`probability_matrix`.

    Returns
    -------
    float
        ``sum_i sum_j a_i a_j p*_ij / A_L^2``, in [0, 1].
    """
    return _ratio(_pc_baseline(g, p_min).num, g.area_l**2)


def equivalent_connected_area(g: HabitatGraph, p_min: float = 0.0) -> float:
    """EC(PC) = sqrt(sum_i sum_j a_i a_j p*_ij), in capacity units (Saura et al. 2011).

    Parameters
    ----------
    g : HabitatGraph
    p_min : float, default 0
        See :func:`probability_matrix`.

    Returns
    -------
    float
        The capacity of one patch that would give the same PC; never more
        than the total capacity, equal to it when every p* is 1.
    """
    return math.sqrt(_pc_baseline(g, p_min).num)


def iic(g: HabitatGraph) -> float:
    """The integral index of connectivity IIC (Pascual-Hortal & Saura 2006).

    Links are binary: every link of the graph (after the cut-off) with
    p > 0 counts as a connection; nl_ij is the number of links on the
    shortest topological path.

    Parameters
    ----------
    g : HabitatGraph

    Returns
    -------
    float
        ``sum_i sum_j a_i a_j / (1 + nl_ij) / A_L^2``.
    """
    u, v, p = g.edge_arrays()
    return _ratio(_baseline(g.capacity, u, v, p, True, math.inf).num, g.area_l**2)


def connectivity(
    g: HabitatGraph,
    *,
    nodes: bool = True,
    links: bool = False,
    betweenness: bool = True,
    iic_metrics: bool = True,
    p_min: float = 0.0,
    quiet: bool = True,
) -> Connectivity:
    """All metrics of a habitat graph: the landscape indices, node importance, link importance, betweenness.

    The numbers are Conefor's (see the module docstring for the exact
    definitions and conventions). Cost: one all-pairs Dijkstra for PC (and
    one breadth-first all-pairs for IIC), ``O(n (m + n log n))`` time and
    ``O(n^2)`` memory. Node importance repairs, for each removed node k,
    only the subtrees below k in the baseline shortest-path trees (one small
    Dijkstra per k): ``O(n^2 h d log n)`` in all, h the mean number of links
    on a best path and d the mean degree, against ``O(n^2 (m + n log n))``
    for the naive remove-and-recompute; about 55-70 times one PC at 1000
    nodes (``benchmarks/bench_network.py``). Memory: about 40 bytes per
    node pair and metric (1 GB at 5000 nodes for PC alone). Link importance
    is the same per link (the subtree below the link). BC uses networkx
    (Brandes, pure Python): skip it (``betweenness=False``) past a few
    thousand nodes.

    Parameters
    ----------
    g : HabitatGraph
    nodes : bool, default True
        Compute dPC / dIIC and their fractions per node.
    links : bool, default False
        Compute dPC / dIIC per link (loss when one link alone is removed).
    betweenness : bool, default True
        Compute BC (networkx, on the maximum-product paths, unordered pairs,
        ties shared), BCIIC and BCPC (Bodin & Saura 2010, ordered pairs, on
        the one best path of each pair found by Dijkstra).
    iic_metrics : bool, default True
        Compute IIC and dIIC too (binary links).
    p_min : float, default 0
        Truncate p* below this (faster on huge graphs; 0 is exact).
    quiet : bool, default True
        No progress bar.

    Returns
    -------
    Connectivity
    """
    limit = _limit(p_min)
    a = g.capacity
    u, v, p = g.edge_arrays()
    al2 = g.area_l**2
    n = g.n
    bpc = _baseline(a, u, v, p, False, limit)
    biic = _baseline(a, u, v, p, True, math.inf) if iic_metrics else None
    ncomp, comp = connected_components(bpc.w, directed=False) if n else (0, np.zeros(0, dtype=int))
    summary = {
        "name": g.name,
        "n_nodes": n,
        "n_links": int((p > 0).sum()),
        "n_components": int(ncomp),
        "total_capacity": g.total_capacity,
        "landscape_area": g.area_l,
        "PCnum": bpc.num,
        "PC": _ratio(bpc.num, al2),
        "EC_PC": math.sqrt(bpc.num),
    }
    if biic is not None:
        summary.update({"IICnum": biic.num, "IIC": _ratio(biic.num, al2), "EC_IIC": math.sqrt(biic.num)})
    tab = pd.DataFrame({"capacity": a, "component": comp.astype(int)}, index=pd.Index(g.ids, name="id"))
    steps = (n * (1 + (biic is not None)) if nodes else 0) + (len(u) * (1 + (biic is not None)) if links else 0)
    trees = {}
    if n and (nodes or links):
        trees["PC"] = _index_trees(bpc.pred)
        if biic is not None:
            trees["IIC"] = _index_trees(biic.pred)
    with _Progress(steps, quiet, f"metrics of {g.name or 'graph'}") as tick:
        if nodes:
            for label, b in (("PC", bpc), ("IIC", biic)):
                if b is None:
                    continue
                intra, flux, conn = _node_losses(b, trees[label], tick)
                scale = 100.0 / b.num if b.num > 0 else float("nan")
                tab[f"d{label}intra"] = intra * scale
                tab[f"d{label}flux"] = flux * scale
                tab[f"d{label}connector"] = conn * scale
                tab[f"d{label}"] = (intra + flux + conn) * scale
            order = ["capacity", "component", "dPC", "dPCintra", "dPCflux", "dPCconnector"]
            if biic is not None:
                order += ["dIIC", "dIICintra", "dIICflux", "dIICconnector"]
            tab = tab[order]
        lk = g.links.copy()
        if links:
            for label, b in (("PC", bpc), ("IIC", biic)):
                if b is None:
                    continue
                loss = _link_losses(b, trees[label], tick)
                lk[f"d{label}"] = loss * (100.0 / b.num if b.num > 0 else float("nan"))
    if betweenness and n:
        tab["BC"] = pd.Series(
            nx.betweenness_centrality(g.to_networkx(), weight="weight", normalized=False), dtype=float
        ).reindex(tab.index).fillna(0.0).to_numpy()
        if biic is not None:
            tab["BCIIC"] = _bc_weighted(biic)
        tab["BCPC"] = _bc_weighted(bpc)
    return Connectivity(summary, tab, lk)


class _Progress:
    """A rich progress bar that ``quiet=True`` silences (a no-op callable then)."""

    def __init__(self, total: int, quiet: bool, label: str) -> None:
        self.total, self.quiet, self.label = total, quiet or total == 0, label
        self._bar = None

    def __enter__(self):
        if self.quiet:
            return None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.__enter__()
        task = self._bar.add_task(self.label, total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False
