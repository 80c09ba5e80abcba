"""Budgeted portfolios of interventions: the set that gives the most connectivity (EC) for the money.

:mod:`~corridors.portfolio.problem` holds a network, the candidates' effects
and costs and the planner's rules; :mod:`~corridors.portfolio.solve` finds
the best set exactly (a mixed-integer model solved by HiGHS), greedily, or by
enumeration (checks); :mod:`~corridors.portfolio.frontier` gives the
efficient frontier and how often each candidate is chosen under uncertain
costs and dispersal. An engine: it knows nothing of the programme's data.
"""

from corridors.portfolio.problem import Candidate, Problem, Rules, evaluate, feasible, link_states
from corridors.portfolio.solve import (
    ExactModel,
    InfeasibleBudget,
    Portfolio,
    best_portfolio,
    cheapest_feasible_cost,
    enumerate_best,
    greedy,
)

__all__ = [
    "Candidate", "Problem", "Rules", "evaluate", "feasible", "link_states", "ExactModel", "InfeasibleBudget",
    "Portfolio", "best_portfolio", "cheapest_feasible_cost", "enumerate_best", "greedy",
]
