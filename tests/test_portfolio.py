"""The portfolio engine on cases whose answers are known: hand-computed EC, brute force, a greedy trap, rules, errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from corridors._errors import ConfigError
from corridors.portfolio import (
    Candidate,
    ExactModel,
    InfeasibleBudget,
    Problem,
    Rules,
    best_portfolio,
    enumerate_best,
    evaluate,
    feasible,
    greedy,
)
from corridors.portfolio.frontier import budget_levels, frontier, selection_frequency
from corridors.portfolio.options import pair_options
from corridors.portfolio.problem import link_states
from corridors.network.graph import dispersal_k

MEDIAN = 30_000.0


def _dist(p: float) -> float:
    """The distance whose link probability is ``p`` at the test's median dispersal distance."""
    return -math.log(p) / dispersal_k(MEDIAN)


def _cand(cid: str, cost: float, capacity: dict | None = None, links: list | None = None, **kw) -> Candidate:
    return Candidate(cid, cost, cost, cost, capacity or {}, tuple(links or ()), **kw)


def test_evaluate_equals_the_pc_sum_by_hand():
    # two patches of 100 ha at p = 0.5: N = 100^2 + 100^2 + 2 * 100 * 100 * 0.5 = 30,000
    p = Problem(["a", "b"], [100.0, 100.0], [(0, 1, _dist(0.5), 1.0)], MEDIAN,
                [_cand("restore", 1.0, links=[(0, 1, _dist(1.0), 1.0)]),
                 _cand("grow", 1.0, capacity={0: 50.0})])
    assert evaluate(p, []) == pytest.approx(math.sqrt(30_000))
    assert evaluate(p, [0]) == pytest.approx(200.0)  # p = 1: one patch of 200 ha
    # a = 150, 100: 150^2 + 100^2 + 2 * 150 * 100 * 0.5
    assert evaluate(p, [1]) == pytest.approx(math.sqrt(22_500 + 10_000 + 15_000))
    assert evaluate(p, [0, 1]) == pytest.approx(250.0)


def test_permeability_and_cutoff_act_on_the_probability():
    p = Problem(["a", "b"], [100.0, 100.0], [(0, 1, _dist(0.5), 0.5)], MEDIAN, [], cutoff_m=None)
    assert evaluate(p, []) == pytest.approx(math.sqrt(20_000 + 2 * 10_000 * 0.25))
    far = Problem(["a", "b"], [100.0, 100.0], [(0, 1, 50_000.0, 1.0)], MEDIAN, [], cutoff_m=40_000.0)
    assert evaluate(far, []) == pytest.approx(math.sqrt(20_000))


def _series_trap() -> Problem:
    """X and Z (100 ha) joined only through a stepping stone M (0 ha) whose two links each need their own candidate.

    Each link alone gains nothing, so greedy never funds them; together they
    give p*_XZ = 0.8 x 0.8 = 0.64. A cheap capacity gain on X has the best
    ratio. Budget 10: exact funds B + C, greedy A.
    """
    return Problem(
        ["X", "M", "Z"], [100.0, 0.0, 100.0], np.zeros((0, 4)), MEDIAN,
        [_cand("A", 1.0, capacity={0: 10.0}),
         _cand("B", 5.0, links=[(0, 1, _dist(0.8), 1.0)]),
         _cand("C", 5.0, links=[(1, 2, _dist(0.8), 1.0)])],
    )


def test_exact_beats_greedy_where_measures_only_pay_together():
    p = _series_trap()
    exact, g = best_portfolio(p, 10.0), greedy(p, 10.0)
    assert exact.chosen == ["B", "C"]
    assert exact.ec == pytest.approx(math.sqrt(20_000 + 2 * 100 * 100 * 0.64))  # 181.108
    assert g.chosen == ["A"]
    assert g.ec == pytest.approx(math.sqrt(110**2 + 100**2))  # 148.66
    assert exact.ec_gain > g.ec_gain * 4
    assert exact.method == "exact" and exact.gap == 0.0
    # the greedy bound (every affordable candidate) is above what greedy found, so its gap is positive
    assert g.bound >= exact.ec - 1e-9 and g.gap > 0


def test_options_of_the_trap_are_the_two_paths():
    p = _series_trap()
    opts = pair_options(3, link_states(p)).options
    assert opts[(0, 2)] == [(pytest.approx(0.64), frozenset({1, 2}))]
    assert (0, 1) in opts and opts[(0, 1)][0][1] == frozenset({1})


def _random_problem(seed: int, n_nodes: int = 7, n_cands: int = 10) -> Problem:
    """Random networks with every kind of effect: better links, capacity gains and losses, new nodes with links."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100_000, (n_nodes, 2))
    cap = rng.uniform(50, 500, n_nodes)
    cap[-2:] = 0.0  # two places only a reintroduction fills
    links = [(i, j, float(np.hypot(*(xy[i] - xy[j])) * rng.uniform(1, 3)), float(rng.choice([1.0, 0.5])))
             for i, j in itertools.combinations(range(n_nodes - 2), 2)]
    cands = []
    for c in range(n_cands):
        kind = c % 4
        capd, lk = {}, []
        if kind == 0:
            i, j = (int(v) for v in rng.choice(n_nodes - 2, 2, replace=False))
            lk = [(i, j, float(np.hypot(*(xy[i] - xy[j])) * rng.uniform(0.5, 1.2)), 1.0)]
        elif kind == 1:
            i = int(rng.integers(n_nodes - 2))
            capd = {i: float(rng.uniform(-0.3, 1.0) * cap[i])}
        elif kind == 2:
            new = n_nodes - 1 - int(rng.integers(2))
            capd = {new: float(rng.uniform(50, 300))}
            lk = [(new, j, float(np.hypot(*(xy[new] - xy[j])) * 1.5), 1.0) for j in range(n_nodes - 2)]
        else:  # a border agreement: every link between two groups more permeable
            lk = [(i, j, d, 1.0) for (i, j, d, perm) in links if perm < 1]
        cost = float(rng.uniform(1, 10))
        cands.append(Candidate(f"c{c}", cost, cost * 0.7, cost * 1.3, capd, tuple(lk),
                               groups={"country": (str(int(rng.integers(3))),)}))
    return Problem([f"n{i}" for i in range(n_nodes)], cap, links, MEDIAN, cands, cutoff_m=250_000.0)


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force(seed):
    p = _random_problem(seed, n_cands=8 + seed % 5)  # 8 to 12 candidates
    model = ExactModel(p)
    for budget in (4.0, 12.0, 25.0, 1e9):
        brute, exact = enumerate_best(p, budget), model.solve(budget)
        assert exact.ec == pytest.approx(brute.ec, rel=1e-9)
        assert exact.cost <= budget + 1e-9
        assert exact.ec >= greedy(p, budget, model.states).ec - 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_rules_are_kept_and_the_optimum_is_still_exact(seed):
    p = _random_problem(seed + 100, n_cands=10)
    p.rules = Rules(exclusive=[("c0", "c4")], requires={"c2": ("c1",)}, at_least_one=["country"],
                    exclude=("c9",), include=("c3",))
    p.__post_init__()
    model = ExactModel(p)
    for budget in (20.0, 40.0):
        try:
            brute = enumerate_best(p, budget)
        except InfeasibleBudget:
            with pytest.raises(InfeasibleBudget):
                model.solve(budget)
            continue
        exact = model.solve(budget)
        assert feasible(p, [p.index(c) for c in exact.chosen], budget) is None
        assert exact.ec == pytest.approx(brute.ec, rel=1e-9)
        assert "c3" in exact.chosen and "c9" not in exact.chosen
        assert not {"c0", "c4"} <= set(exact.chosen)
        if "c2" in exact.chosen:
            assert "c1" in exact.chosen
        g = greedy(p, budget, model.states)
        assert feasible(p, [p.index(c) for c in g.chosen], budget) is None


def test_a_loss_of_capacity_is_funded_only_when_forced():
    p = Problem(["a", "b"], [100.0, 100.0], [(0, 1, _dist(0.5), 1.0)], MEDIAN,
                [_cand("cull", 1.0, capacity={0: -30.0}), _cand("link", 1.0, links=[(0, 1, _dist(0.9), 1.0)])])
    assert best_portfolio(p, 10.0).chosen == ["link"]
    p.rules = Rules(include=("cull",))
    forced = best_portfolio(p, 10.0)
    assert forced.chosen == ["cull", "link"]
    assert forced.ec == pytest.approx(math.sqrt(70**2 + 100**2 + 2 * 70 * 100 * 0.9))


def test_an_infeasible_budget_names_the_cheapest_portfolio():
    p = _series_trap()
    p.rules = Rules(include=("B",))
    with pytest.raises(InfeasibleBudget, match=r"no portfolio fits a budget of 3.*the cheapest that keeps the rules costs 5"):
        best_portfolio(p, 3.0)
    with pytest.raises(InfeasibleBudget, match="cheapest"):
        greedy(p, 3.0)


def test_contradicting_rules_are_named():
    p = _series_trap()
    p.rules = Rules(include=("B",), exclusive=[("B", "C")], requires={"B": ("C",)})
    with pytest.raises(InfeasibleBudget, match="rules contradict each other"):
        best_portfolio(p, 100.0)


def test_bad_problems_are_refused_with_the_fix():
    with pytest.raises(ConfigError, match="'x' has cost 5.0 outside its range"):
        Problem(["a"], [1.0], [], MEDIAN, [Candidate("x", 5.0, 6.0, 7.0)])
    with pytest.raises(ConfigError, match="'nope' is not a candidate; use one of A, B, C"):
        Problem(["X", "M", "Z"], [1.0, 0.0, 1.0], [], MEDIAN, _series_trap().candidates, rules=Rules(include=("nope",)))
    with pytest.raises(ConfigError, match="no candidate names a 'unit'"):
        Problem(["X", "M", "Z"], [1.0, 0.0, 1.0], [], MEDIAN, _series_trap().candidates, rules=Rules(at_least_one=["unit"]))
    with pytest.raises(ConfigError, match="given twice"):
        Problem(["a"], [1.0], [], MEDIAN, [_cand("x", 1.0), _cand("x", 2.0)])


def test_a_model_too_large_falls_back_to_greedy_with_its_gap(monkeypatch):
    p = _series_trap()
    import corridors.portfolio.solve as solve

    real = solve.ExactModel
    monkeypatch.setattr(solve, "ExactModel", lambda prob, **kw: real(prob, max_options_per_pair=0, **kw))
    out = solve.best_portfolio(p, 10.0)
    assert out.method == "greedy" and out.chosen == ["A"] and out.gap > 0.15  # bound 190.2 ha (everything) over 148.7


def test_frontier_rises_with_the_budget_and_ends_with_everything_useful():
    p = _random_problem(7, n_cands=10)
    levels = budget_levels(p, 8)
    assert levels[0] == 0.0 and levels[-1] == pytest.approx(sum(c.cost for c in p.candidates))
    assert np.all(np.diff(levels) > 0) and levels[1] - levels[0] < levels[-1] - levels[-2]  # denser at the low end
    fr = frontier(p, levels=8)
    assert list(fr["budget"]) == pytest.approx(levels)
    assert np.all(np.diff(fr["ec_gain_ha"]) >= -1e-9)
    assert np.all(fr["ec_gain_ha"] >= fr["greedy_ec_gain_ha"] - 1e-9)
    assert np.all(fr["cost"] <= fr["budget"] + 1e-9)
    assert fr["ec_gain_ha"].iloc[-1] == pytest.approx(enumerate_best(p, 1e9).ec_gain)


def test_selection_frequency_is_a_share_and_reproducible():
    p = _random_problem(3, n_cands=8)
    f1, runs = selection_frequency(p, [10.0, 30.0], draws=6, seed=4)
    f2, _ = selection_frequency(p, [10.0, 30.0], draws=6, seed=4)
    assert f1.equals(f2)
    assert f1.to_numpy().min() >= 0 and f1.to_numpy().max() <= 1
    assert list(f1.columns) == ["budget_10", "budget_30"]
    assert len(runs) == 12 and runs["median_dispersal_m"].nunique() == 6
    # a shifted cost range changes nothing when the range is a point
    fixed = Problem(p.ids, p.capacity, p.links, MEDIAN,
                    [Candidate(c.id, c.cost, c.cost, c.cost, c.capacity, c.links, groups=c.groups) for c in p.candidates],
                    cutoff_m=p.cutoff_m)
    f3, _ = selection_frequency(fixed, [30.0], draws=3, seed=1, dispersal_sd_log=0.0)
    best = set(best_portfolio(fixed, 30.0).chosen)
    assert set(f3.index[f3["budget_30"] == 1.0]) == best
