"""A portfolio problem: a habitat network, candidate interventions with their effects and costs, and the planner's rules.

The network is the one PC is computed on (Saura & Pascual-Hortal 2007):
nodes with capacities ``a_i`` and links with a distance and a permeability;
a link's probability is ``exp(-k d) * permeability`` (zero beyond the
cut-off) and ``p*_ij`` the best product over paths. A candidate's effect is
what it does *alone* to that network: capacity changes of nodes (a new node
for a reintroduction, a loss for population control) and better links
(a shorter distance or a higher permeability on some pairs).

How effects combine (the composition model, the one assumption of the
optimiser): capacity changes add up; a link takes the best probability any
chosen candidate gives it; paths then compose through the network as PC
does. Two restorations on the same pair are therefore worth what the better
one is worth (a conservative rule: two strips of restored habitat on one
path could together shorten it more); :func:`evaluate` computes EC under
this model for any set, and the optimisers maximise exactly this.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from corridors._errors import ConfigError
from corridors.network.graph import dispersal_k, link_probability


@dataclass(frozen=True)
class Candidate:
    """One intervention a planner can fund.

    Attributes
    ----------
    id : str
        Key (the costs table's key).
    cost : float
        Central cost (the unit of the costs table), >= 0.
    cost_low, cost_high : float
        The cost range Monte Carlo draws from (``cost_low <= cost <= cost_high``).
    capacity : dict of int to float
        Node position -> capacity change (ha) when chosen, alone.
    links : tuple of (int, int, float, float)
        Improved links when chosen: (u, v, distance, permeability); the link
        takes this distance and permeability if they give a higher probability.
    label, measure, kind : str
        What it is: its name, the programme measure, the intervention type.
    groups : dict of str to tuple of str
        Memberships for "at least one per ..." rules, e.g.
        ``{"country": ("UZB",), "unit": ("2",)}``.
    """

    id: str
    cost: float
    cost_low: float
    cost_high: float
    capacity: dict = field(default_factory=dict)
    links: tuple = ()
    label: str = ""
    measure: str = ""
    kind: str = ""
    groups: dict = field(default_factory=dict)


@dataclass
class Rules:
    """The planner's side constraints.

    Attributes
    ----------
    exclusive : list of tuple of str
        Groups of candidate ids of which at most one may be chosen.
    requires : dict of str to tuple of str
        Candidate id -> ids it needs (chosen only with all of them).
    at_least_one : list of str
        Group kinds (keys of :attr:`Candidate.groups`, e.g. ``"country"``):
        every group of that kind that some candidate belongs to gets at least
        one chosen candidate.
    include, exclude : tuple of str
        Candidates forced in or kept out.
    """

    exclusive: list = field(default_factory=list)
    requires: dict = field(default_factory=dict)
    at_least_one: list = field(default_factory=list)
    include: tuple = ()
    exclude: tuple = ()


@dataclass
class Problem:
    """A network and its candidates.

    Attributes
    ----------
    ids : list of str
        Node ids, in position order; nodes a candidate creates are here with base capacity 0.
    capacity : numpy.ndarray
        Base capacity per node (ha).
    links : numpy.ndarray
        Base links, shape (m, 4): u, v, distance, permeability.
    median_dispersal_m : float
        Distance at which a link's probability is 0.5 (before permeability).
    candidates : list of Candidate
    cutoff_m : float or None
        Links longer than this have probability 0.
    landscape_area : float or None
        A_L for PC (reported only; the optimum does not depend on it).
    rules : Rules
    unit : str
        The cost unit (e.g. "thousand USD").
    """

    ids: list
    capacity: np.ndarray
    links: np.ndarray
    median_dispersal_m: float
    candidates: list
    cutoff_m: float | None = None
    landscape_area: float | None = None
    rules: Rules = field(default_factory=Rules)
    unit: str = ""

    def __post_init__(self) -> None:
        self.capacity = np.asarray(self.capacity, dtype=float)
        self.links = np.asarray(self.links, dtype=float).reshape(-1, 4)
        n = len(self.ids)
        if len(self.capacity) != n:
            raise ConfigError(f"portfolio: {len(self.capacity)} capacities for {n} nodes; give one per node.")
        seen: set[str] = set()
        for c in self.candidates:
            if c.id in seen:
                raise ConfigError(f"portfolio: candidate {c.id!r} is given twice; give each intervention once.")
            seen.add(c.id)
            if not (0 <= c.cost_low <= c.cost <= c.cost_high) or not math.isfinite(c.cost_high):
                raise ConfigError(
                    f"portfolio: candidate {c.id!r} has cost {c.cost} outside its range [{c.cost_low}, {c.cost_high}]; "
                    "give 0 <= low <= cost <= high in the costs table."
                )
            for pos in list(c.capacity) + [x for lk in c.links for x in lk[:2]]:
                if not 0 <= int(pos) < n:
                    raise ConfigError(f"portfolio: candidate {c.id!r} refers to node position {pos}, not in 0..{n - 1}.")
        self._check_rules(seen)

    def _check_rules(self, known: set[str]) -> None:
        r = self.rules
        named = [i for g in r.exclusive for i in g] + list(r.requires) + [i for v in r.requires.values() for i in v]
        for cid in named + list(r.include) + list(r.exclude):
            if cid not in known:
                raise ConfigError(
                    f"portfolio rules: {cid!r} is not a candidate; use one of {', '.join(sorted(known))}."
                )
        kinds = {k for c in self.candidates for k in c.groups}
        for kind in r.at_least_one:
            if kind not in kinds:
                raise ConfigError(
                    f"portfolio rules: at least one per {kind!r}, but no candidate names a {kind!r}; "
                    f"use one of {', '.join(sorted(kinds)) or '(none)'}."
                )

    @property
    def k(self) -> float:
        """Decay constant of the link probabilities."""
        return dispersal_k(self.median_dispersal_m)

    def index(self, cid: str) -> int:
        """Position of a candidate id."""
        for i, c in enumerate(self.candidates):
            if c.id == cid:
                return i
        raise ConfigError(f"portfolio: {cid!r} is not a candidate.")

    def with_changes(self, *, costs: Sequence[float] | None = None, median_dispersal_m: float | None = None) -> "Problem":
        """The same problem with other central costs or another median dispersal distance (Monte Carlo draws)."""
        cands = self.candidates
        if costs is not None:
            cands = [
                Candidate(c.id, float(x), min(c.cost_low, float(x)), max(c.cost_high, float(x)), c.capacity, c.links,
                          c.label, c.measure, c.kind, c.groups)
                for c, x in zip(self.candidates, costs)
            ]
        return Problem(list(self.ids), self.capacity.copy(), self.links.copy(),
                       median_dispersal_m or self.median_dispersal_m, list(cands), self.cutoff_m, self.landscape_area,
                       self.rules, self.unit)

    def probability(self, distance: np.ndarray, permeability: np.ndarray) -> np.ndarray:
        """Link probabilities: exp(-k d) x permeability, 0 beyond the cut-off."""
        p = link_probability(np.asarray(distance, dtype=float), self.k) * np.asarray(permeability, dtype=float)
        if self.cutoff_m is not None:
            p = np.where(np.asarray(distance) > self.cutoff_m, 0.0, p)
        return p


def _pair_key(u: int, v: int) -> tuple[int, int]:
    return (u, v) if u < v else (v, u)


def link_states(problem: Problem, rtol: float = 0.0) -> dict:
    """Every link's possible probabilities: its base one and each candidate's better one.

    Parameters
    ----------
    problem : Problem
    rtol : float, default 0
        A candidate's probability counts only if it beats the base one by more than this fraction.

    Returns
    -------
    dict of (int, int) to (float, dict of int to float)
        Link (u < v) -> (base probability, candidate position -> probability).
    """
    out: dict = {}
    if len(problem.links):
        p0 = problem.probability(problem.links[:, 2], problem.links[:, 3])
        for (u, v, _d, _perm), p in zip(problem.links, p0):
            key = _pair_key(int(u), int(v))
            base = out.get(key, (0.0, {}))[0]
            out[key] = (max(base, float(p)), {})
    for ci, c in enumerate(problem.candidates):
        if not c.links:
            continue
        arr = np.asarray(c.links, dtype=float).reshape(-1, 4)
        ps = problem.probability(arr[:, 2], arr[:, 3])
        for (u, v, _d, _perm), p in zip(arr, ps):
            key = _pair_key(int(u), int(v))
            base, opts = out.setdefault(key, (0.0, {}))
            if p > base * (1.0 + rtol) and p > opts.get(ci, 0.0):
                opts[ci] = float(p)
    return out


def capacities(problem: Problem, chosen: Iterable[int]) -> np.ndarray:
    """Node capacities with these candidates (positions) chosen: base plus their changes, never below 0."""
    a = problem.capacity.copy()
    for ci in chosen:
        for pos, delta in problem.candidates[ci].capacity.items():
            a[int(pos)] += float(delta)
    return np.maximum(a, 0.0)


def pc_numerator(problem: Problem, chosen: Iterable[int], states: dict | None = None) -> float:
    """``sum_i sum_j a_i a_j p*_ij`` of the network with these candidates chosen (the composition model).

    Parameters
    ----------
    problem : Problem
    chosen : iterable of int
        Candidate positions.
    states : dict, optional
        :func:`link_states` of the problem (computed when not given).

    Returns
    -------
    float
    """
    chosen = set(int(c) for c in chosen)
    states = link_states(problem) if states is None else states
    a = capacities(problem, chosen)
    n = len(a)
    if n == 0:
        return 0.0
    rows, cols, w = [], [], []
    for (u, v), (base, opts) in states.items():
        p = max([base] + [q for ci, q in opts.items() if ci in chosen])
        if p > 0:
            rows.append(u)
            cols.append(v)
            w.append(max(-math.log(p), 0.0))
    if rows:
        m = sp.csr_array((w, (rows, cols)), shape=(n, n))
        d = dijkstra(m, directed=False)
        pstar = np.exp(-d)
    else:
        pstar = np.eye(n)
    return float(a @ pstar @ a)


def evaluate(problem: Problem, chosen: Iterable[int], states: dict | None = None) -> float:
    """EC (ha) of the network with these candidates chosen, under the composition model.

    Parameters
    ----------
    problem : Problem
    chosen : iterable of int
        Candidate positions.
    states : dict, optional
        :func:`link_states` of the problem.

    Returns
    -------
    float
        ``sqrt(sum_i sum_j a_i a_j p*_ij)``.
    """
    return math.sqrt(max(pc_numerator(problem, chosen, states), 0.0))


def feasible(problem: Problem, chosen: Iterable[int], budget: float, partial: bool = False) -> str | None:
    """Why a set breaks the budget or a rule, or None if it keeps them all.

    Parameters
    ----------
    problem : Problem
    chosen : iterable of int
    budget : float
    partial : bool, default False
        Only the rules a set can still meet by growing are skipped (forced
        candidates and "at least one per ..."): for building a set step by step.

    Returns
    -------
    str or None
        The first rule broken, in words.
    """
    chosen = set(int(c) for c in chosen)
    cands = problem.candidates
    ids = {cands[i].id for i in chosen}
    cost = sum(cands[i].cost for i in chosen)
    if cost > budget * (1 + 1e-12) + 1e-9:
        return f"costs {cost:g}, over the budget {budget:g}"
    r = problem.rules
    for g in r.exclusive:
        if len(ids & set(g)) > 1:
            return f"more than one of the exclusive group {', '.join(g)}"
    for cid, needs in r.requires.items():
        if cid in ids and not set(needs) <= ids:
            return f"{cid} without {', '.join(sorted(set(needs) - ids))}"
    for cid in r.exclude:
        if cid in ids:
            return f"{cid} is excluded"
    if partial:
        return None
    for cid in r.include:
        if cid not in ids:
            return f"{cid} is required but not chosen"
    for kind in r.at_least_one:
        for name in group_names(problem, kind):
            if not any(name in cands[i].groups.get(kind, ()) for i in chosen):
                return f"no measure in {kind} {name}"
    return None


def group_names(problem: Problem, kind: str) -> list[str]:
    """The groups of one kind (e.g. every country some candidate names), sorted."""
    return sorted({g for c in problem.candidates for g in c.groups.get(kind, ())})
