"""The efficient frontier (best EC gain at every budget) and how often each candidate is chosen under uncertainty."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from corridors._errors import ConfigError
from corridors.portfolio.options import TooManyOptions
from corridors.portfolio.problem import Problem
from corridors.portfolio.solve import ExactModel, InfeasibleBudget, Portfolio, cheapest_feasible_cost, greedy


def budget_levels(problem: Problem, levels: int = 20) -> list[float]:
    """Budgets from the cheapest portfolio that keeps the rules to the cost of every candidate, denser at the low end.

    The levels are ``low + (high - low) * (i / (levels - 1))**2``: gains
    rise fastest at small budgets (the cheap measures with large effects),
    and even spacing would put most levels where the frontier is flat.

    Parameters
    ----------
    problem : Problem
    levels : int, default 20

    Returns
    -------
    list of float

    Raises
    ------
    ConfigError
        If ``levels`` < 2, or the rules contradict each other.
    """
    if levels < 2:
        raise ConfigError(f"portfolio: --levels {levels}; give at least 2 budget levels for a frontier.")
    low = cheapest_feasible_cost(problem)
    if low is None:
        raise InfeasibleBudget("portfolio: the rules contradict each other (no set of candidates keeps them all); "
                               "check the exclusive groups, requires and at-least-one rules.")
    exc = set(problem.rules.exclude)
    high = sum(c.cost for c in problem.candidates if c.id not in exc)
    t = np.linspace(0.0, 1.0, levels) ** 2
    return [float(low + (max(high, low) - low) * f) for f in t]


def _model_or_none(problem: Problem, time_limit: float) -> ExactModel | None:
    try:
        return ExactModel(problem, time_limit=time_limit)
    except TooManyOptions:
        return None


def solve_budgets(problem: Problem, budgets: Sequence[float], *, time_limit: float = 60.0,
                  with_greedy: bool = True) -> list[tuple[Portfolio, Portfolio | None]]:
    """The best portfolio (and the greedy one) at each budget, the exact model built once.

    Parameters
    ----------
    problem : Problem
    budgets : sequence of float
    time_limit : float, default 60
        Seconds per exact solve.
    with_greedy : bool, default True
        Also the greedy portfolio, for comparison.

    Returns
    -------
    list of (Portfolio, Portfolio or None)
        The best (exact; greedy with its gap when the exact model is too
        large) and the greedy one, per budget.

    Raises
    ------
    InfeasibleBudget
        If a budget is below the cheapest portfolio that keeps the rules.
    """
    model = _model_or_none(problem, time_limit)
    states = model.states if model is not None else None
    out = []
    for b in budgets:
        best = model.solve(b) if model is not None else greedy(problem, b, states)
        g = greedy(problem, b, states) if with_greedy else None
        out.append((best, g))
    return out


def frontier(problem: Problem, budgets: Sequence[float] | None = None, *, levels: int = 20,
             time_limit: float = 60.0) -> pd.DataFrame:
    """The efficient frontier: the best EC gain and its portfolio at each budget, beside the greedy one.

    Parameters
    ----------
    problem : Problem
    budgets : sequence of float, optional
        Default :func:`budget_levels` (``levels`` of them).
    levels : int, default 20
    time_limit : float, default 60
        Seconds per exact solve.

    Returns
    -------
    pandas.DataFrame
        One row per budget: budget, cost, ec_ha, ec_gain_ha, ec_gain_pct,
        n_chosen, chosen (ids joined by ``;``), method, gap, greedy_ec_gain_ha,
        greedy_chosen, seconds.
    """
    budgets = budget_levels(problem, levels) if budgets is None else [float(b) for b in budgets]
    return frontier_rows(solve_budgets(problem, budgets, time_limit=time_limit))


def frontier_rows(best: list) -> pd.DataFrame:
    """The frontier's table for solved budgets: the output of :func:`solve_budgets`, one row per budget.

    Parameters
    ----------
    best : list of (Portfolio, Portfolio or None)

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`frontier`.
    """
    rows = []
    for b, g in best:
        rows.append({
            "budget": b.budget, "cost": b.cost, "ec_ha": b.ec, "ec_gain_ha": b.ec_gain,
            "ec_gain_pct": 100.0 * b.ec_gain / b.ec_base if b.ec_base > 0 else np.nan, "n_chosen": len(b.chosen),
            "chosen": ";".join(b.chosen), "method": b.method, "gap": b.gap,
            "greedy_ec_gain_ha": g.ec_gain if g is not None else np.nan,
            "greedy_chosen": ";".join(g.chosen) if g is not None else "", "seconds": b.seconds,
        })
    return pd.DataFrame(rows)


def selection_frequency(problem: Problem, budgets: Sequence[float], *, draws: int = 100, seed: int = 0,
                        dispersal_sd_log: float = 0.3, time_limit: float = 60.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How often each candidate is in the best portfolio when costs and dispersal are uncertain.

    Each draw takes every candidate's cost uniformly in its range and the
    median dispersal distance times ``exp(N(0, dispersal_sd_log))`` (one
    value for the whole network), and solves the exact model at each budget.
    A budget a draw cannot meet (its cheapest portfolio costs more) counts
    as a draw with nothing chosen, and is counted.

    Parameters
    ----------
    problem : Problem
    budgets : sequence of float
    draws : int, default 100
    seed : int, default 0
    dispersal_sd_log : float, default 0.3
        SD of log(median dispersal distance).
    time_limit : float, default 60
        Seconds per exact solve.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Share of draws (0-1) each candidate is chosen, index candidate id,
        one column per budget (``budget_<value>``); and one row per draw and
        budget: draw, budget, ec_gain_ha, cost, chosen, infeasible.
    """
    if draws < 1:
        raise ConfigError(f"portfolio: --draws {draws}; give at least 1.")
    rng = np.random.default_rng(seed)
    ids = [c.id for c in problem.candidates]
    counts = {b: dict.fromkeys(ids, 0) for b in budgets}
    runs = []
    for d in range(draws):
        costs = [rng.uniform(c.cost_low, c.cost_high) if c.cost_high > c.cost_low else c.cost for c in problem.candidates]
        median = problem.median_dispersal_m * float(np.exp(rng.normal(0.0, dispersal_sd_log)))
        drawn = problem.with_changes(costs=costs, median_dispersal_m=median)
        model = _model_or_none(drawn, time_limit)
        for b in budgets:
            try:
                best = model.solve(b) if model is not None else greedy(drawn, b)
            except InfeasibleBudget:
                runs.append({"draw": d, "budget": b, "ec_gain_ha": np.nan, "cost": np.nan, "chosen": "",
                             "infeasible": True, "median_dispersal_m": median})
                continue
            for cid in best.chosen:
                counts[b][cid] += 1
            runs.append({"draw": d, "budget": b, "ec_gain_ha": best.ec_gain, "cost": best.cost,
                         "chosen": ";".join(best.chosen), "infeasible": False, "median_dispersal_m": median})
    freq = pd.DataFrame({f"budget_{b:g}": [counts[b][c] / draws for c in ids] for b in budgets}, index=ids)
    freq.index.name = "candidate"
    return freq, pd.DataFrame(runs)
