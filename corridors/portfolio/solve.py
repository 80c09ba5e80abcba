"""The best portfolio under a budget: an exact mixed-integer model (HiGHS), a greedy baseline, brute force for checks.

The exact model (maximise the PC numerator ``N = sum_i sum_j a_i a_j p*_ij``,
which is EC squared, so the same portfolio maximises EC):

* ``x_c`` in {0, 1}: candidate ``c`` is funded;
* capacities are linear: ``a_i = a0_i + sum_c delta_ic x_c``, so ``a_i a_j``
  is a sum of terms ``alpha alpha' x_c x_d``; every product ``x_c x_d`` of
  two candidates is a variable ``m_cd`` with ``m <= x_c``, ``m <= x_d``,
  ``m >= x_c + x_d - 1`` (exact for binaries, whatever the sign); the
  diagonal terms ``a_i^2`` go straight into the objective;
* for a pair ``i < j`` with connection options ``o`` (value ``v_o``,
  candidates needed ``R_o``: :mod:`corridors.portfolio.options`), variables
  ``q_o >= 0`` with ``sum_o q_o <= a_i a_j`` (the linear expression above)
  and ``q_o <= Amax_ij x_c`` for each ``c`` in ``R_o``; the objective gains
  ``2 sum_o v_o q_o``. As every ``v_o > 0``, the solver puts all of
  ``a_i a_j`` on the best option whose candidates are funded: the term is
  ``2 a_i a_j p*_ij`` exactly;
* budget ``sum_c cost_c x_c <= B``; rules: ``sum x <= 1`` over an exclusive
  group, ``x_c <= x_d`` when ``c`` requires ``d``, ``sum x >= 1`` over the
  candidates of each group of an "at least one per ..." rule; forced in/out
  as bounds.

Exact for the composition model of :mod:`corridors.portfolio.problem`
(paths below ``min_probability`` aside); every answer is re-evaluated with
:func:`corridors.portfolio.problem.evaluate` and the two must agree.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from corridors._errors import ConfigError
from corridors.portfolio.options import TooManyOptions, pair_options
from corridors.portfolio.problem import Problem, evaluate, feasible, group_names, link_states


_BANNER_SHOWN = False

#: Share of the base PC numerator one whole budget's cost is worth in the tie-break (see ExactModel).
TIE_BREAK = 1e-7


def _new_highs():  # noqa: ANN202 - a highspy.Highs
    """A silent HiGHS instance.

    HiGHS prints its banner on the C-level standard output when the first
    instance of a process is made, before any option can be set; it would
    land in the middle of the command's output (and of a table piped to
    another program), so that first construction runs with file descriptor
    1 pointed at the null device.
    """
    import highspy  # noqa: PLC0415 - 0.1 s import; only the portfolio solvers need it

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


class InfeasibleBudget(ConfigError):
    """No portfolio keeps the budget and the rules."""


@dataclass
class Portfolio:
    """One chosen set of interventions.

    Attributes
    ----------
    budget : float
    chosen : list of str
        Candidate ids, in the problem's order.
    cost : float
    ec : float
        EC (ha) with the portfolio, under the composition model.
    ec_base : float
        EC with nothing funded.
    method : str
        ``"exact"`` (HiGHS MIP), ``"greedy"`` or ``"enumeration"``.
    gap : float
        Relative gap of the result to the best bound on EC (0 when proven optimal).
    seconds : float
    """

    budget: float
    chosen: list
    cost: float
    ec: float
    ec_base: float
    method: str
    gap: float = 0.0
    seconds: float = 0.0
    bound: float = field(default=float("nan"))

    @property
    def ec_gain(self) -> float:
        """EC gain (ha) over funding nothing."""
        return self.ec - self.ec_base


def _chosen_ids(problem: Problem, pos: Sequence[int]) -> list[str]:
    return [problem.candidates[i].id for i in sorted(pos)]


def _no_portfolio(problem: Problem, budget: float) -> InfeasibleBudget:
    """The error for a budget no portfolio fits, with the cheapest portfolio that keeps the rules."""
    need = cheapest_feasible_cost(problem)
    if need is None:
        return InfeasibleBudget("portfolio: the rules contradict each other (no set of candidates keeps them all, "
                                "whatever the budget); check the exclusive groups, requires and at-least-one rules.")
    return InfeasibleBudget(
        f"portfolio: no portfolio fits a budget of {budget:g} {problem.unit}".rstrip()
        + f"; the cheapest that keeps the rules costs {need:g}: raise --budget to at least that, or relax the rules."
    )


class ExactModel:
    """The mixed-integer model of one problem, built once and solved for any budget.

    Parameters
    ----------
    problem : Problem
    min_probability : float, default 1e-12
        Paths below this probability are left out of the options.
    max_options_per_pair : int, default 5000
        Above this the model is refused (:class:`TooManyOptions`).
    time_limit : float, default 60
        Seconds HiGHS may take per solve; the gap is reported when it stops early.
    """

    def __init__(self, problem: Problem, *, min_probability: float = 1e-12, max_options_per_pair: int = 5000,
                 time_limit: float = 60.0) -> None:
        import highspy  # noqa: PLC0415 - 0.1 s import; only the portfolio solvers need it

        self.problem = problem
        self.states = link_states(problem)
        r = problem.rules
        self.options = pair_options(len(problem.ids), self.states, min_probability=min_probability,
                                    max_per_pair=max_options_per_pair,
                                    forbidden=[frozenset(problem.index(c) for c in g) for g in r.exclusive])
        self.time_limit = time_limit
        self.ec_base = evaluate(problem, [], self.states)
        self._highs = highspy
        self._build()

    # -- model building
    def _build(self) -> None:
        hs = self._highs
        p = self.problem
        nc = len(p.candidates)
        cost: list[float] = []
        lower: list[float] = []
        upper: list[float] = []
        integer: list[int] = []
        rows: list[tuple[float, float, dict]] = []

        def col(c: float, lo: float, hi: float, is_int: bool = False) -> int:
            cost.append(c)
            lower.append(lo)
            upper.append(hi)
            integer.append(1 if is_int else 0)
            return len(cost) - 1

        inc, exc = set(r for r in p.rules.include), set(p.rules.exclude)
        x = [col(0.0, 1.0 if c.id in inc else 0.0, 0.0 if c.id in exc else 1.0, True) for c in p.candidates]
        products: dict[tuple[int, int], int] = {}

        def prod(c: int, d: int) -> int:
            key = (min(c, d), max(c, d))
            if key not in products:
                m = col(0.0, 0.0, 1.0)
                products[key] = m
                rows.append((-math.inf, 0.0, {m: 1.0, x[key[0]]: -1.0}))
                rows.append((-math.inf, 0.0, {m: 1.0, x[key[1]]: -1.0}))
                rows.append((-1.0, math.inf, {m: 1.0, x[key[0]]: -1.0, x[key[1]]: -1.0}))
            return products[key]

        # capacity terms per node: (candidate or None, alpha)
        terms: list[list[tuple[int | None, float]]] = [[(None, float(a))] for a in p.capacity]
        for ci, c in enumerate(p.candidates):
            for pos, delta in c.capacity.items():
                terms[int(pos)].append((ci, float(delta)))
        for i, t in enumerate(terms):
            if sum(a for c, a in t if c is None or a < 0) < -1e-9:
                raise ConfigError(f"portfolio: node {p.ids[i]!r} could fall below zero capacity with the candidates' "
                                  "losses together; give capacity changes that keep it at 0 or above.")
        amax = np.array([sum(a for c, a in t if c is None or a > 0) for t in terms])

        def expand(ti: list, tj: list) -> tuple[float, dict]:
            """a_i a_j as a constant plus a linear expression in x and the products m."""
            const, lin = 0.0, {}
            for (c, a), (d, b) in itertools.product(ti, tj):
                coef = a * b
                if coef == 0:
                    continue
                if c is None and d is None:
                    const += coef
                    continue
                if c is None or d is None or c == d:
                    var = x[c if c is not None else d]
                else:
                    var = prod(c, d)
                lin[var] = lin.get(var, 0.0) + coef
            return const, lin

        offset = 0.0
        for i, t in enumerate(terms):  # the diagonal: a_i^2 (p*_ii = 1)
            const, lin = expand(t, t)
            offset += const
            for var, coef in lin.items():
                cost[var] += coef
        for (i, j), opts in self.options.options.items():
            const, lin = expand(terms[i], terms[j])
            if const == 0 and not lin:
                continue
            qs = []
            for v, req in opts:
                q = col(2.0 * v, 0.0, math.inf)
                qs.append(q)
                for ci in req:
                    rows.append((-math.inf, 0.0, {q: 1.0, x[ci]: -float(amax[i] * amax[j])}))
            # sum_o q_o - a_i a_j <= 0, i.e. sum q - lin <= const
            row = {q: 1.0 for q in qs}
            for var, coef in lin.items():
                row[var] = row.get(var, 0.0) - coef
            rows.append((-math.inf, const, row))
        # Ties go to the cheaper portfolio: each unit of cost takes TIE_BREAK of the base PC numerator per
        # total cost off the objective, so a measure whose gain is below that (a few hundredths of a hectare
        # of EC on the programme) is not funded only because the budget allows it.
        total = sum(c.cost for c in p.candidates) or 1.0
        self._eps = TIE_BREAK * max(self.ec_base**2, 1.0) / total
        for ci, c in enumerate(p.candidates):
            cost[x[ci]] -= self._eps * float(c.cost)
        self._budget_row = len(rows)
        rows.append((-math.inf, math.inf, {x[ci]: float(c.cost) for ci, c in enumerate(p.candidates)}))
        for g in p.rules.exclusive:
            rows.append((-math.inf, 1.0, {x[p.index(cid)]: 1.0 for cid in g}))
        for cid, needs in p.rules.requires.items():
            for d in needs:
                rows.append((-math.inf, 0.0, {x[p.index(cid)]: 1.0, x[p.index(d)]: -1.0}))
        for kind in p.rules.at_least_one:
            for name in group_names(p, kind):
                members = [ci for ci, c in enumerate(p.candidates) if name in c.groups.get(kind, ())]
                rows.append((1.0, math.inf, {x[ci]: 1.0 for ci in members}))

        h = _new_highs()
        h.setOptionValue("time_limit", float(self.time_limit))
        h.setOptionValue("mip_rel_gap", 1e-9)
        inf = h.getInfinity()
        n = len(cost)
        h.addCols(n, np.array(cost), np.array(lower), np.array([min(u, inf) for u in upper]), 0,
                  np.zeros(n, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        starts, idx, val = [], [], []
        for _lo, _hi, coefs in rows:
            starts.append(len(idx))
            idx.extend(coefs.keys())
            val.extend(coefs.values())
        lo = np.array([max(r[0], -inf) for r in rows])
        hi = np.array([min(r[1], inf) for r in rows])
        h.addRows(len(rows), lo, hi, len(idx), np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32),
                  np.array(val, dtype=float))
        h.changeColsIntegrality(nc, np.array(x, dtype=np.int32), np.array([hs.HighsVarType.kInteger] * nc))
        h.changeObjectiveOffset(offset)
        h.changeObjectiveSense(hs.ObjSense.kMaximize)
        self._h, self._x, self.n_columns, self.n_rows = h, x, n, len(rows)

    # -- solving
    def solve(self, budget: float) -> Portfolio:
        """The best portfolio within ``budget``.

        Parameters
        ----------
        budget : float
            In the problem's cost unit.

        Returns
        -------
        Portfolio

        Raises
        ------
        InfeasibleBudget
            If no portfolio keeps the budget and the rules.
        """
        hs = self._highs
        h = self._h
        t0 = time.perf_counter()
        h.changeRowBounds(self._budget_row, -h.getInfinity(), float(budget))
        # A fresh solve: after a change of the budget row, HiGHS 1.16 has reported the objective of a stale
        # solution beside the new one (seen: objective 1,223,056 for a solution worth 1,219,071).
        h.clearSolver()
        h.run()
        status = h.getModelStatus()
        if status == hs.HighsModelStatus.kInfeasible:
            raise _no_portfolio(self.problem, budget)
        sol = np.asarray(h.getSolution().col_value)
        if len(sol) == 0 or status not in (hs.HighsModelStatus.kOptimal, hs.HighsModelStatus.kTimeLimit):
            raise ConfigError(f"portfolio: the solver stopped with {h.modelStatusToString(status)} at budget {budget:g}.")
        chosen = [ci for ci, xi in enumerate(self._x) if sol[xi] > 0.5]
        ec = evaluate(self.problem, chosen, self.states)
        info = h.getInfo()
        bound = math.sqrt(max(float(info.mip_dual_bound) + self._eps * sum(c.cost for c in self.problem.candidates), 0.0))
        cost = sum(self.problem.candidates[i].cost for i in chosen)
        mip_ec = math.sqrt(max(float(info.objective_function_value) + self._eps * cost, 0.0))
        if abs(mip_ec - ec) > 1e-6 * max(ec, 1.0) + 1e-6:  # the model and the evaluation must be the same function
            raise AssertionError(f"portfolio model EC {mip_ec} differs from its evaluation {ec}")
        gap = 0.0 if status == hs.HighsModelStatus.kOptimal else max(bound - ec, 0.0) / max(bound, 1e-12)
        return Portfolio(float(budget), _chosen_ids(self.problem, chosen), cost, ec, self.ec_base, "exact", gap,
                         time.perf_counter() - t0, bound)


def greedy(problem: Problem, budget: float, states: dict | None = None) -> Portfolio:
    """The greedy portfolio: repeatedly fund the candidate with the largest EC gain per unit cost that still fits.

    What Graphab's "add patch" and most planning tools do; used as the
    baseline the exact model is compared with, and as the fallback when the
    exact model is too large. Rules: a candidate is only added when it keeps
    the exclusive groups and its requirements are funded; forced ones come
    first. The better of the greedy set and the best single affordable
    candidate is returned (the usual budgeted-greedy guard). Its ``bound``
    is the EC with every affordable candidate of positive effect funded
    (valid as adding a candidate never lowers EC in the composition model
    unless it lowers a capacity, and those are left out of the bound);
    ``gap`` is measured to it.

    Parameters
    ----------
    problem : Problem
    budget : float
    states : dict, optional
        :func:`corridors.portfolio.problem.link_states`.

    Returns
    -------
    Portfolio

    Raises
    ------
    InfeasibleBudget
        If the forced candidates alone exceed the budget or the "at least one" rules cannot be met greedily.
    """
    t0 = time.perf_counter()
    states = link_states(problem) if states is None else states
    cands = problem.candidates
    base = evaluate(problem, [], states)
    chosen = [problem.index(c) for c in problem.rules.include]
    if feasible(problem, chosen, budget, partial=True) is not None:
        raise _no_portfolio(problem, budget)
    value = evaluate(problem, chosen, states)

    def unmet(s: list[int]) -> set[int]:
        """Candidates that would meet an unmet "at least one" group."""
        out: set[int] = set()
        for kind in problem.rules.at_least_one:
            for name in group_names(problem, kind):
                members = {ci for ci, c in enumerate(cands) if name in c.groups.get(kind, ())}
                if not members & set(s):
                    out |= members
        return out

    while True:
        need = unmet(chosen)
        best, best_ratio, best_val = None, -math.inf, value
        for ci in range(len(cands)):
            if ci in chosen or feasible(problem, chosen + [ci], budget, partial=True) is not None:
                continue
            v = evaluate(problem, chosen + [ci], states)
            # while a group is unmet, only its members; after that, only gains
            if (need and ci not in need) or (not need and v <= value + 1e-12):
                continue
            ratio = (v - value) / max(cands[ci].cost, 1e-12)
            if ratio > best_ratio:
                best, best_ratio, best_val = ci, ratio, v
        if best is None:
            break
        chosen.append(best)
        value = best_val
    if feasible(problem, chosen, budget) is not None:
        raise _no_portfolio(problem, budget)
    singles = [ci for ci in range(len(cands)) if feasible(problem, [ci], budget) is None]
    if singles:
        one = max(singles, key=lambda ci: evaluate(problem, [ci], states))
        if evaluate(problem, [one], states) > value:
            chosen, value = [one], evaluate(problem, [one], states)
    exc = set(problem.rules.exclude)
    helpful = [ci for ci, c in enumerate(cands) if c.id not in exc and c.cost <= budget
               and all(d >= 0 for d in c.capacity.values())]
    bound = evaluate(problem, helpful, states)
    gap = max(bound - value, 0.0) / max(bound, 1e-12)
    cost = sum(cands[i].cost for i in chosen)
    return Portfolio(float(budget), _chosen_ids(problem, chosen), cost, value, base, "greedy", gap,
                     time.perf_counter() - t0, bound)


def enumerate_best(problem: Problem, budget: float, max_candidates: int = 16) -> Portfolio:
    """The best portfolio by trying every subset (checks; small problems only).

    Parameters
    ----------
    problem : Problem
    budget : float
    max_candidates : int, default 16
        Refused above this (2**n subsets).

    Returns
    -------
    Portfolio

    Raises
    ------
    ConfigError
        Too many candidates.
    InfeasibleBudget
        No subset keeps the budget and the rules.
    """
    n = len(problem.candidates)
    if n > max_candidates:
        raise ConfigError(f"portfolio: enumeration of {n} candidates means 2^{n} subsets; use the exact model.")
    t0 = time.perf_counter()
    states = link_states(problem)
    best, best_v = None, -math.inf
    for mask in range(1 << n):
        s = [i for i in range(n) if mask >> i & 1]
        if feasible(problem, s, budget) is not None:
            continue
        v = evaluate(problem, s, states)
        if v > best_v + 1e-12:
            best, best_v = s, v
    if best is None:
        raise _no_portfolio(problem, budget)
    cost = sum(problem.candidates[i].cost for i in best)
    return Portfolio(float(budget), _chosen_ids(problem, best), cost, best_v, evaluate(problem, [], states),
                     "enumeration", 0.0, time.perf_counter() - t0, best_v)


def cheapest_feasible_cost(problem: Problem) -> float | None:
    """The lowest cost of a set that keeps every rule (a small MIP), or None if the rules contradict each other."""
    import highspy  # noqa: PLC0415 - 0.1 s import; only the portfolio solvers need it

    p = problem
    h = _new_highs()
    nc = len(p.candidates)
    inf = h.getInfinity()
    if nc == 0:
        return 0.0
    inc, exc = set(p.rules.include), set(p.rules.exclude)
    lo = np.array([1.0 if c.id in inc else 0.0 for c in p.candidates])
    hi = np.array([0.0 if c.id in exc else 1.0 for c in p.candidates])
    h.addCols(nc, np.array([c.cost for c in p.candidates], dtype=float), lo, hi, 0, np.zeros(nc, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    h.changeColsIntegrality(nc, np.arange(nc, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * nc))

    def row(lo_: float, hi_: float, coefs: dict) -> None:
        h.addRow(max(lo_, -inf), min(hi_, inf), len(coefs), np.array(list(coefs), dtype=np.int32),
                 np.array(list(coefs.values()), dtype=float))

    for g in p.rules.exclusive:
        row(-inf, 1.0, {p.index(c): 1.0 for c in g})
    for cid, needs in p.rules.requires.items():
        for d in needs:
            row(-inf, 0.0, {p.index(cid): 1.0, p.index(d): -1.0})
    for kind in p.rules.at_least_one:
        for name in group_names(p, kind):
            row(1.0, inf, {ci: 1.0 for ci, c in enumerate(p.candidates) if name in c.groups.get(kind, ())})
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)


def best_portfolio(problem: Problem, budget: float, *, model: ExactModel | None = None, time_limit: float = 60.0) -> Portfolio:
    """The best portfolio within a budget: the exact model, or greedy with its gap when the exact one is too large.

    Parameters
    ----------
    problem : Problem
    budget : float
    model : ExactModel, optional
        A model already built for ``problem`` (frontiers reuse one).
    time_limit : float, default 60
        Seconds per exact solve.

    Returns
    -------
    Portfolio
    """
    if model is None:
        try:
            model = ExactModel(problem, time_limit=time_limit)
        except TooManyOptions:
            return greedy(problem, budget)
    return model.solve(budget)
