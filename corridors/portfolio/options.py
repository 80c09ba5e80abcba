"""Every way a pair of nodes can be connected: the Pareto set of (best path probability, candidates it needs).

For PC only the best path between two nodes counts, and which path is best
depends on which candidates are chosen. For one pair, an *option* is a path
probability ``v`` and the set ``R`` of candidates its links need; the pair's
``p*`` under a chosen set ``S`` is the largest ``v`` of the options with
``R`` inside ``S``. Only options no other beats with a smaller or equal set
are kept (a multi-criteria label-setting search from each node: labels are
(value, set), a label is dropped when a settled one at the same node has a
value at least as high and a set inside its own).

Hand-written because no library of the stack does multi-criteria shortest
paths with set-valued labels (networkx and scipy.sparse.csgraph find one
best path per pair for fixed weights).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from corridors._errors import ConfigError


@dataclass
class PairOptions:
    """The connection options of every pair.

    Attributes
    ----------
    options : dict of (int, int) to list of (float, frozenset of int)
        Pair (i < j) -> options (value, candidate positions needed), the
        first one the base option (no candidate) when the pair is connected
        without any.
    n_options : int
        Options in all.
    pruned_below : float
        Path probabilities below this were not followed.
    """

    options: dict
    n_options: int
    pruned_below: float


class TooManyOptions(ConfigError):
    """The exact model would be too large: some pair has more options than allowed."""


def pair_options(
    n: int, states: dict, *, min_probability: float = 1e-12, max_per_pair: int = 5000, forbidden: list | None = None
) -> PairOptions:
    """Pareto sets of (path probability, candidates needed) for every pair.

    Parameters
    ----------
    n : int
        Number of nodes.
    states : dict
        :func:`corridors.portfolio.problem.link_states`.
    min_probability : float, default 1e-12
        Paths of lower probability are not followed (their PC terms are below
        ``min_probability * a_i * a_j``).
    max_per_pair : int, default 5000
        More labels than this at one node of one search raise :class:`TooManyOptions`.
    forbidden : list of frozenset, optional
        Sets of candidates that may not be chosen together (mutually exclusive
        groups): options needing two of one set are dropped.

    Returns
    -------
    PairOptions

    Raises
    ------
    TooManyOptions
    """
    adj: list[list[tuple[int, list[tuple[float, frozenset]]]]] = [[] for _ in range(n)]
    for (u, v), (base, opts) in states.items():
        st = ([(base, frozenset())] if base > 0 else []) + [(p, frozenset([ci])) for ci, p in opts.items()]
        if st:
            adj[u].append((v, st))
            adj[v].append((u, st))
    forbidden = [frozenset(f) for f in (forbidden or []) if len(f) > 1]

    def allowed(r: frozenset) -> bool:
        return not any(len(r & f) > 1 for f in forbidden)

    out: dict = {}
    total = 0
    for s in range(n):
        settled: list[list[tuple[float, frozenset]]] = [[] for _ in range(n)]
        heap: list = [(-1.0, 0, frozenset(), s)]
        tie = 1
        while heap:
            negv, _, r, node = heapq.heappop(heap)
            v = -negv
            here = settled[node]
            if any(v2 >= v and r2 <= r for v2, r2 in here):
                continue
            here.append((v, r))
            if len(here) > max_per_pair:
                raise TooManyOptions(
                    f"portfolio: more than {max_per_pair} ways to connect two nodes; the exact model would be too "
                    "large (use the bounded method, or fewer candidates)."
                )
            for nb, st in adj[node]:
                for p, req in st:
                    nv = v * p
                    if nv < min_probability:
                        continue
                    nr = r | req
                    if req and not allowed(nr):
                        continue
                    if any(v2 >= nv and r2 <= nr for v2, r2 in settled[nb]):
                        continue
                    heapq.heappush(heap, (-nv, tie, nr, nb))
                    tie += 1
        for t in range(s + 1, n):
            if settled[t]:
                opts = sorted(settled[t], key=lambda x: (len(x[1]), -x[0]))
                out[(s, t)] = opts
                total += len(opts)
    return PairOptions(out, total, min_probability)
