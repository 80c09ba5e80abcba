"""corridors.pva: known answers of the viability model (issue 16).

The parameter file is written here (the rates of data/pva.yml may change);
data/pva.yml itself is only loaded, in one test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from corridors import settings
from corridors._errors import ConfigError
from corridors.pva import (
    Harvest,
    Population,
    Reintroduction,
    Release,
    Trajectories,
    Translocation,
    bands,
    expected_minimum_abundance,
    extinction_risk,
    growth_rate,
    lhs_sensitivity,
    load_parameters,
    probability_of_reaching,
    projection_matrix,
    risk_curve,
    simulate,
    summary_table,
    time_to_quasi_extinction,
)
from corridors.pva.draws import binomial as _binomial, poisson as _poisson
from corridors.pva.model import _correlation_factor

PARAMS = """\
stages: [calf, yearling, adult]
survival:
  calf:     {female: {mean: 0.6, sd: 0.1}, male: {mean: 0.55, sd: 0.1}, source: "test", assumed: true}
  yearling: {female: {mean: 0.85, sd: 0.05}, male: {mean: 0.8, sd: 0.05}, source: "test", assumed: true}
  adult:    {female: {mean: 0.9, sd: 0.04}, male: {mean: 0.85, sd: 0.05}, source: "test", assumed: true}
fecundity:
  yearling: {mean: 0.3, sd: 0.1, source: "test", assumed: true}
  adult:    {mean: 0.7, sd: 0.1, source: "test", assumed: true}
male_share_at_birth: {value: 0.5, source: "test"}
environmental_correlation_km: {value: 50, source: "test", assumed: true}
density_dependence:
  form: ceiling
  density_per_km2: {low: 1, high: 3, source: "test", assumed: true}
catastrophes:
  - {name: drought, probability: 0.05, survival: 0.8, fecundity: 0.5, source: "test", assumed: true}
  - {name: flood, probability: 0.03, survival: 0.9, fecundity: 0.8, source: "test", assumed: true}
  - {name: severe_winter, probability: 0.04, survival: 0.7, fecundity: 0.9, source: "test", assumed: true}
dispersal:
  stages: [yearling]
  rate: {value: 0.1, source: "test", assumed: true}
  density_dependent: false
quasi_extinction: {value: 20, source: "test"}
populations:
  a: {count: 100, low: 80, high: 130, year: 2023, source: "test"}
  b: {count: 60, low: 50, high: 70, year: 2023, source: "test"}
"""


def _write(tmp_path, text: str, name: str = "pva.yml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def params(tmp_path):
    return load_parameters(_write(tmp_path, PARAMS))


def _pops(n=2, adults=40, K=np.inf, dispersal=None, distance=None, names=None):
    init = np.zeros((n, 3, 2), dtype=int)
    init[:, 2] = adults // 2
    init[:, 1] = 5
    init[:, 0] = 8
    return Population(names or [f"p{i}" for i in range(n)], init, np.full(n, K), distance, dispersal)


def _closed(params):
    """No dispersal: the test file's yearlings leave at 0.1 and, with no dispersal matrix, die on the way."""
    params.dispersal.rate.value = 0.0
    return params


def _deterministic(**kw):
    return dict(demographic=False, environmental=False, catastrophes=False, **kw)


def _hand_matrix():
    """The test file's Lefkovitch matrix written out: (calf F, calf M, yearling F, yearling M, adult F, adult M)."""
    sy, sa = 0.85, 0.9  # surviving yearling / adult females give birth
    births = np.array([sy * 0.3, sa * 0.7])
    return np.array([
        [0, 0, 0.5 * births[0], 0, 0.5 * births[1], 0],
        [0, 0, 0.5 * births[0], 0, 0.5 * births[1], 0],
        [0.6, 0, 0, 0, 0, 0],
        [0, 0.55, 0, 0, 0, 0],
        [0, 0, 0.85, 0, 0.9, 0],
        [0, 0, 0, 0.8, 0, 0.85],
    ])


# ---------------------------------------------------------------------------- the deterministic model


def test_deterministic_runs_are_the_projection_matrix_powers(params):
    _closed(params)
    A = _hand_matrix()
    np.testing.assert_allclose(projection_matrix(params), A, rtol=0, atol=1e-15)
    pops = _pops(2)
    tr = simulate(params, pops, years=30, replicates=2, keep_stages=True, **_deterministic())
    n0 = pops.initial[0].reshape(6).astype(float)
    for t in range(31):
        expect = np.linalg.matrix_power(A, t) @ n0
        np.testing.assert_allclose(tr.by_stage[0, t, 0].reshape(6), expect, rtol=1e-12)
        assert tr.abundance[1, t, 1] == np.rint(expect.sum())


def test_growth_rate_is_the_dominant_eigenvalue(params):
    _closed(params)
    lam = max(abs(np.linalg.eig(_hand_matrix())[0]))
    assert growth_rate(params) == pytest.approx(lam, rel=1e-12)
    tr = simulate(params, _pops(1), years=200, replicates=1, keep_stages=True, **_deterministic())
    tot = tr.by_stage[0, :, 0].sum(axis=(1, 2))
    assert tot[-1] / tot[-2] == pytest.approx(lam, rel=1e-9)
    assert lam > 1  # the test rates grow, so the ceiling tests below mean something


def test_ceiling_settles_at_k(params):
    _closed(params)
    tr = simulate(params, _pops(2, K=500.0), years=100, replicates=3, **_deterministic())
    assert (tr.abundance[:, -20:] == 500).all()
    assert tr.abundance[0, 1, 0] < 500  # it starts below and grows to K


def test_beverton_holt_settles_at_k(params):
    _closed(params)
    params.density_dependence.form = "beverton_holt"
    tr = simulate(params, _pops(1, K=500.0), years=400, replicates=1, keep_stages=True, **_deterministic())
    assert tr.by_stage[0, -1, 0].sum() == pytest.approx(500.0, rel=1e-6)
    # a population started above K comes down to it
    big = Population(["x"], np.full((1, 3, 2), 200), [500.0])
    tr = simulate(params, big, years=400, replicates=1, keep_stages=True, **_deterministic())
    assert tr.by_stage[0, -1, 0].sum() == pytest.approx(500.0, rel=1e-6)


# ---------------------------------------------------------------------------- demographic stochasticity


def test_extinction_probability_is_the_branching_process_value(params):
    # A females-only birth-death model: every animal survives a year with s; a surviving yearling or adult
    # then has Poisson(f) calves. Two types: calves (C) and breeders (B).
    s, f, founders, T = 0.8, 0.4, 3, 30
    for stage in ("calf", "yearling", "adult"):
        for sex in ("female", "male"):
            r = getattr(getattr(params.survival, stage), sex)
            r.mean, r.sd = s, 0.0
    params.fecundity.yearling.mean = params.fecundity.adult.mean = f
    params.male_share_at_birth.value = 0.0
    params.dispersal.rate.value = 0.0
    # P(extinct by year t) from the generating functions, iterated from 0 (nobody at the start is "extinct"):
    #   q_C(t+1) = (1 - s) + s q_B(t),   q_B(t+1) = (1 - s) + s q_B(t) exp(-f (1 - q_C(t)))
    qc = qb = 0.0
    for _ in range(T):
        qc, qb = (1 - s) + s * qb, (1 - s) + s * qb * math.exp(-f * (1 - qc))
    expected = qb**founders
    init = np.zeros((1, 3, 2), dtype=int)
    init[0, 2, 0] = founders
    n = 40_000
    tr = simulate(params, Population(["x"], init, [np.inf]), years=T, replicates=n, seed=7,
                  environmental=False, catastrophes=False)
    got = extinction_risk(tr)["x"].iloc[-1]
    se = math.sqrt(expected * (1 - expected) / n)
    assert 0.2 < expected < 0.9  # a case where the answer is neither 0 nor 1
    assert abs(got - expected) < 4 * se, (got, expected, se)


# ---------------------------------------------------------------------------- management


@pytest.mark.parametrize("number,sex", [(6, None), (4, "female"), (500, None)])
def test_translocation_conserves_animals(params, number, sex):
    pops = _pops(2, adults=40)
    kw = dict(years=1, replicates=300, seed=11, keep_stages=True)
    base = simulate(params, pops, **kw)
    moved = simulate(params, pops, actions=[Translocation("p0", "p1", number, "adult", sex, years=1)], **kw)
    lost = base.by_stage[:, 1, 0] - moved.by_stage[:, 1, 0]  # (replicates, stage, sex)
    gained = moved.by_stage[:, 1, 1] - base.by_stage[:, 1, 1]
    np.testing.assert_array_equal(lost, gained)  # same animals, same stage and sex
    assert (lost[:, :2] == 0).all()  # only adults move
    if sex == "female":
        assert (lost[:, 2, 1] == 0).all()
    available = base.by_stage[:, 1, 0, 2].sum(axis=1) if sex is None else base.by_stage[:, 1, 0, 2, 0]
    np.testing.assert_array_equal(lost.sum(axis=(1, 2)), np.minimum(number, available))
    np.testing.assert_array_equal(moved.total, base.total)


def test_release_reintroduction_and_harvest_add_and_remove_exactly(params):
    _closed(params)
    pops = Population(["a", "b"], np.array([np.full((3, 2), 10), np.zeros((3, 2))]), [np.inf, np.inf])
    kw = dict(years=2, replicates=1, keep_stages=True, **_deterministic())
    base = simulate(params, pops, **kw)
    acts = [Release("a", 5, "yearling", None, years=1), Reintroduction("b", {("adult", "female"): 7, ("adult", "male"): 3}, year=2),
            Harvest("a", rate=1.0, stage="calf", years=(1,))]
    run = simulate(params, pops, actions=acts, **kw)
    d1 = run.by_stage[0, 1, 0] - base.by_stage[0, 1, 0]
    np.testing.assert_allclose(d1[1], [3, 2])  # 5 released yearlings: 3 females, 2 males
    np.testing.assert_allclose(run.by_stage[0, 1, 0, 0], [0, 0])  # all calves harvested
    np.testing.assert_allclose(run.by_stage[0, 2, 1, 2], [7, 3])  # the founders, in year 2
    np.testing.assert_allclose(run.by_stage[0, 1, 1], 0)


def test_harvest_by_number_never_takes_more_than_there_is(params):
    pops = _pops(1, adults=10)
    kw = dict(years=3, replicates=200, seed=3, keep_stages=True)
    run = simulate(params, pops, actions=[Harvest("p0", number=1000, stage="adult", years=(1, 2, 3))], **kw)
    assert (run.by_stage[:, 1:, 0, 2] == 0).all()
    assert (run.by_stage >= 0).all()


def test_actions_naming_unknown_populations_or_years_are_refused(params):
    with pytest.raises(ConfigError, match="unknown population 'zz'"):
        simulate(params, _pops(2), years=5, replicates=2, actions=[Translocation("p0", "zz", 3)])
    with pytest.raises(ConfigError, match=r"year 9 is outside the run \(1..5\)"):
        simulate(params, _pops(2), years=5, replicates=2, actions=[Release("p1", 3, years=9)])
    with pytest.raises(ConfigError, match="either number or rate"):
        Harvest("p0", number=3, rate=0.1)
    with pytest.raises(ConfigError, match="unknown stage 'fawn'"):
        Release("p0", 3, stage="fawn")


# ---------------------------------------------------------------------------- dispersal and streams


def test_zero_dispersal_decouples_populations_exactly(params):
    # per-population random streams: with no dispersal and uncorrelated environments (far apart), each
    # population's trajectory is its run alone, draw for draw (demographic, environmental, catastrophes on)
    far = np.full((3, 3), 1e6)
    pops = Population(["a", "b", "c"], np.stack([np.full((3, 2), k) for k in (5, 12, 30)]), [80.0, 150.0, np.inf],
                      far, np.zeros((3, 3)))
    joint = simulate(params, pops, years=25, replicates=500, seed=5)
    for k, name in enumerate(pops.names):
        alone = simulate(params, pops.subset([name]), years=25, replicates=500, seed=5)
        np.testing.assert_array_equal(joint.abundance[:, :, k], alone.abundance[:, :, 0])


def test_an_action_leaves_the_populations_it_does_not_reach_unchanged(params):
    # Each population's weather (catastrophes and the correlated environmental deviates) comes from a stream of
    # its own with a fixed number of draws a year, apart from the stream of its animals (whose number of draws
    # depends on how many animals there are). So an action on p0 changes nothing in p2, whose environment is
    # correlated with p0's (20-40 km apart) but which exchanges no animals with p0 or p1: the scenario and its
    # baseline differ by the action, not by other weather. (With one stream per population, p0's deviates were
    # drawn after a state-dependent number of draws and reached p2 through the Cholesky factor.)
    dist = np.array([[0, 20, 40], [20, 0, 30], [40, 30, 0]], dtype=float)
    D = np.zeros((3, 3))
    D[0, 1] = D[1, 0] = 0.3
    pops = _pops(3, K=300.0, dispersal=D, distance=dist)
    kw = dict(years=20, replicates=400, seed=3)
    base = simulate(params, pops, **kw)
    run = simulate(params, pops, actions=[Harvest("p0", rate=0.3, years=(1, 2, 3)), Release("p1", 5, years=2)], **kw)
    np.testing.assert_array_equal(run.abundance[:, :, 2], base.abundance[:, :, 2])
    assert (run.abundance[:, 1:, 0] != base.abundance[:, 1:, 0]).any()  # the harvested population does change
    # and with p2 first in the order (its deviates then enter p0's and p1's), still unchanged
    order = ["p2", "p0", "p1"]
    first = pops.subset(order)
    base = simulate(params, first, **kw)
    run = simulate(params, first, actions=[Harvest("p0", rate=0.3, years=(1, 2, 3))], **kw)
    np.testing.assert_array_equal(run.abundance[:, :, 0], base.abundance[:, :, 0])


def test_dispersal_moves_animals_where_the_matrix_says(params):
    # deterministic: yearlings leave p0 at rate 0.1; 60 % of them reach p1, the rest die; p1's leavers all die
    D = np.array([[0.0, 0.6], [0.0, 0.0]])
    pops = _pops(2, dispersal=D)
    none = simulate(params, _pops(2), years=1, replicates=1, keep_stages=True, **_deterministic())
    run = simulate(params, pops, years=1, replicates=1, keep_stages=True, **_deterministic())
    params.dispersal.rate.value = 0.0
    stay = simulate(params, _pops(2), years=1, replicates=1, keep_stages=True, **_deterministic())
    yearlings = stay.by_stage[0, 1, :, 1]  # (pop, sex) after ageing, before dispersal
    np.testing.assert_allclose(run.by_stage[0, 1, 0, 1], 0.9 * yearlings[0])
    np.testing.assert_allclose(run.by_stage[0, 1, 1, 1], 0.9 * yearlings[1] + 0.6 * 0.1 * yearlings[0])
    np.testing.assert_allclose(none.by_stage[0, 1, :, 1], 0.9 * yearlings)
    np.testing.assert_allclose(run.by_stage[0, 1, :, 2], stay.by_stage[0, 1, :, 2])  # adults stay


def test_stochastic_dispersal_conserves_what_arrives(params):
    # every leaver of p0 reaches p1 (row sums to 1) and p1's leavers reach p0: no animal is lost on the way
    params.dispersal.rate.value = 0.5
    D = np.array([[0.0, 1.0], [1.0, 0.0]])
    kw = dict(years=1, replicates=400, seed=2, keep_stages=True, environmental=False, catastrophes=False)
    params.dispersal.stages = ["yearling"]
    run = simulate(params, _pops(2, dispersal=D), **kw)
    params.dispersal.rate.value = 0.0
    base = simulate(params, _pops(2, dispersal=D), **kw)
    np.testing.assert_array_equal(run.by_stage[:, 1, :, 1].sum(axis=1), base.by_stage[:, 1, :, 1].sum(axis=1))
    assert (run.by_stage[:, 1, 0, 1] != base.by_stage[:, 1, 0, 1]).any()


def _chi2_p(draws: np.ndarray, pmf: np.ndarray) -> float:
    """Chi-square goodness of fit of integer draws to a pmf over 0..len(pmf)-1 (classes of expectation >= 5)."""
    from scipy import stats

    seen = np.bincount(draws, minlength=pmf.size)[: pmf.size]
    assert draws.min() >= 0 and draws.max() < pmf.size + 200  # never negative, never far out
    expect = pmf * draws.size
    ok = expect >= 5
    chi = float(((seen[ok] - expect[ok]) ** 2 / expect[ok]).sum())
    return float(stats.chi2.sf(chi, max(int(ok.sum()) - 1, 1)))


@pytest.mark.parametrize("n, p", [(1, 0.5), (10, 0.3), (19, 0.6), (60, 0.9), (141, 0.85), (5, 0.999), (3, 1e-4),
                                  (300, 0.5), (2000, 0.37), (40_000, 0.5)])
def test_binomial_draws_follow_the_binomial_law(n, p):
    # the survival draws (an inversion search out from the mode, numpy for the largest variances): exact law
    from scipy import stats

    x = _binomial(np.random.default_rng(n), np.full(200_000, n), p)
    assert x.max() <= n
    assert _chi2_p(x, stats.binom.pmf(np.arange(n + 1), n, p)) > 1e-4


@pytest.mark.parametrize("lam", [0.01, 0.5, 3.3, 21.0, 150.0, 2400.0, 9000.0])
def test_poisson_draws_follow_the_poisson_law(lam):
    from scipy import stats

    x = _poisson(np.random.default_rng(int(lam * 100)), np.full(200_000, lam))
    assert _chi2_p(x, stats.poisson.pmf(np.arange(int(lam + 12 * math.sqrt(lam) + 12)), lam)) > 1e-4


def test_binomial_and_poisson_draws_edge_cases():
    rng = np.random.default_rng(0)
    n = np.array([[0, 7, 7, 7], [3, 0, 12, 5]])
    p = np.array([[0.5, 0.0, 1.0, 0.3], [1.0, 1.0, 0.0, 0.999999]])
    x = _binomial(rng, n, p)
    assert x.shape == n.shape and x.dtype == np.int64
    np.testing.assert_array_equal(x[:, :3], [[0, 0, 7], [3, 0, 0]])
    assert 0 <= x[0, 3] <= 7 and 0 <= x[1, 3] <= 5
    np.testing.assert_array_equal(_binomial(rng, np.zeros((0, 3), dtype=int), 0.5), np.zeros((0, 3)))
    np.testing.assert_array_equal(_poisson(rng, np.array([0.0, 0.0])), [0, 0])
    # draws come from the stream given, one uniform per element: the same stream state gives the same draws
    a = _binomial(np.random.default_rng(4), np.full(50_000, 30), np.linspace(0.01, 0.99, 50_000))
    b = _binomial(np.random.default_rng(4), np.full(50_000, 30), np.linspace(0.01, 0.99, 50_000))
    assert a.tobytes() == b.tobytes()
    assert abs(a.mean() - 15.0) < 0.1


def test_environmental_correlation_factor_reproduces_the_distance_correlation():
    d = np.array([[0, 10, 40], [10, 0, 30], [40, 30, 0]], dtype=float)
    L = _correlation_factor(d, 20.0)
    np.testing.assert_allclose(L @ L.T, np.exp(-d / 20.0), atol=1e-12)
    same = _correlation_factor(np.zeros((2, 2)), 20.0)  # two populations at one place: singular, still a factor
    np.testing.assert_allclose(same @ same.T, np.ones((2, 2)), atol=1e-12)


def test_same_seed_gives_byte_identical_tables_and_other_seeds_differ(params):
    D = np.array([[0, 0.5, 0], [0.3, 0, 0.3], [0, 0.5, 0]])
    dist = np.array([[0, 20, 60], [20, 0, 30], [60, 30, 0]], dtype=float)
    pops = _pops(3, K=120.0, dispersal=D, distance=dist)
    acts = [Translocation("p0", "p2", 3, "yearling", None, years=(2, 4))]
    a = simulate(params, pops, years=15, replicates=300, seed=1, actions=acts)
    b = simulate(params, pops, years=15, replicates=300, seed=1, actions=acts)
    c = simulate(params, pops, years=15, replicates=300, seed=2, actions=acts)
    assert a.abundance.tobytes() == b.abundance.tobytes()
    assert summary_table(a, years=[5, 15]).to_csv() == summary_table(b, years=[5, 15]).to_csv()
    assert a.abundance.tobytes() != c.abundance.tobytes()
    assert summary_table(a).to_csv() != summary_table(c).to_csv()


# ---------------------------------------------------------------------------- results on a hand-made run


def _hand_trajectories():
    # 4 replicates, years 0..3, populations a and b
    a = np.array([[30, 25, 18, 22], [30, 10, 0, 0], [30, 40, 50, 60], [30, 19, 21, 0]])
    b = np.array([[5, 5, 5, 5], [5, 0, 0, 0], [5, 8, 9, 9], [5, 5, 0, 3]])
    return Trajectories(("a", "b"), np.stack([a, b], axis=2).astype(np.int32), None, quasi_extinction=20)


def test_risk_curves_ema_and_times_by_hand():
    tr = _hand_trajectories()
    qe = risk_curve(tr)
    # a below 20 at some census up to year t: year 1 -> replicates 2 and 4; year 2 -> also 1
    assert qe["a"].tolist() == [0, 0.5, 0.75, 0.75]
    assert qe["b"].tolist() == [1, 1, 1, 1]
    # total: 35, (30, 10, 48, 24), (23, 0, 59, 21), (27, 0, 69, 3)
    assert qe["total"].tolist() == [0, 0.25, 0.25, 0.5]
    ext = extinction_risk(tr)
    assert ext["a"].tolist() == [0, 0, 0.25, 0.5]
    assert ext["b"].tolist() == [0, 0.25, 0.5, 0.5]
    ema = expected_minimum_abundance(tr)
    assert ema["a"] == pytest.approx((18 + 0 + 30 + 0) / 4)
    assert ema["total"] == pytest.approx((23 + 0 + 35 + 3) / 4)
    t = time_to_quasi_extinction(tr)
    assert t.loc["a", "share"] == 0.75 and t.loc["a", "median_year"] == 1 and t.loc["a", "mean_year"] == pytest.approx(4 / 3)
    assert t.loc["total", "median_year"] == 2  # replicates 2 (year 1) and 4 (year 3)


def test_bands_and_targets_by_hand():
    tr = _hand_trajectories()
    b = bands(tr, quantiles=(0.5,))
    row = b[(b.population == "a") & (b.year == 3)].iloc[0]
    assert row["q50"] == 0.0  # of 0, 0, 22, 60: the smallest count at or above which half the runs end (inverted CDF)
    assert row["mean"] == pytest.approx(20.5)
    p = probability_of_reaching(tr, {"a": 40, "total": 30})
    assert p["a"] == 0.25 and p["total"] == 0.25 and "b" not in p
    assert probability_of_reaching(tr, {"a": 40}, year=1)["a"] == 0.25
    assert probability_of_reaching(tr, 30, year=3, ever=True)["a"] == 1.0
    with pytest.raises(ConfigError, match="unknown population 'zz'"):
        probability_of_reaching(tr, {"zz": 3})
    s = summary_table(tr, years=[3])
    assert s.loc["a", "p_quasi_y3"] == 0.75 and s.loc["b", "start"] == 5
    assert s.loc["total", "median_y3"] == 3.0  # of 27, 0, 69, 3: a count a run reached, not 15 between two runs


def test_lhs_sensitivity_ranks_adult_female_survival_first(params):
    params.catastrophes = []
    params.populations = {}
    ranking, draws = lhs_sensitivity(params, _pops(1, K=np.inf), n=24, years=25, replicates=60, seed=4)
    assert len(draws) == 24 and "mean_final" in draws
    assert ranking.iloc[0]["parameter"] == "survival.adult.female"
    assert ranking.iloc[0]["spearman"] > 0.5
    # each varied parameter stays within its range and the hypercube puts one draw in each of n strata
    k = "survival.adult.female"
    lo, hi = 0.9 - 2 * 0.04, 0.9 + 2 * 0.04
    strata = np.floor((draws[k] - lo) / (hi - lo) * 24).astype(int)
    assert sorted(strata) == list(range(24))


# ---------------------------------------------------------------------------- the parameter file


@pytest.mark.parametrize("old,new,line,key,says", [
    ("adult:    {female: {mean: 0.9,", "adult:    {female: {mean: 1.2,", 5, "survival.adult", "within 0-1"),
    ("  yearling: {mean: 0.3,", "  yearling: {mena: 0.3,", 7, "fecundity.yearling.mena", "unknown key"),
    ("male_share_at_birth: {value: 0.5, source: \"test\"}\n", "", None, "male_share_at_birth", "required key missing"),
    ("form: ceiling", "form: logistic", 12, "density_dependence.form", "'ceiling' or 'beverton_holt'"),
    ("{mean: 0.55, sd: 0.1}", "{mean: 0.55, sd: 0.6}", 3, "survival.calf", "too large for mean 0.55"),
    ("{low: 1, high: 3,", "{low: 3, high: 1,", 13, "density_dependence.density_per_km2", "swap them"),
    ("  b: {count: 60,", "  b: {count: 90,", 25, "populations.b", "within low-high (50-70)"),
    ("  - {name: flood,", "  - {name: drought,", None, "(top level)", "'drought' is given twice"),
])
def test_bad_parameter_files_name_file_line_and_key(tmp_path, old, new, line, key, says):
    assert old in PARAMS
    path = _write(tmp_path, PARAMS.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_parameters(path)
    msg = str(err.value)
    assert str(path) in msg and f"key '{key}'" in msg and says in msg, msg
    if line is not None:
        assert f", line {line}," in msg, msg


def test_duplicate_keys_bad_yaml_and_missing_files_are_named(tmp_path):
    dup = _write(tmp_path, PARAMS + "quasi_extinction: {value: 30, source: test}\n", "dup.yml")
    with pytest.raises(ConfigError, match=r"dup.yml, line 26, key 'quasi_extinction': given twice \(first on line 22\)"):
        load_parameters(dup)
    bad = _write(tmp_path, PARAMS.replace("adult:    {mean: 0.7", "adult:    {mean: [0.7", 1), "bad.yml")
    with pytest.raises(ConfigError, match="bad.yml, line 8: not valid YAML"):
        load_parameters(bad)
    with pytest.raises(ConfigError, match="nowhere.yml: PVA parameter file not found"):
        load_parameters(tmp_path / "nowhere.yml")


def test_population_arrays_are_checked():
    with pytest.raises(ConfigError, match=r"shape \(2, 3\), expected \(1, 3, 2\)"):
        Population(["a"], np.zeros((2, 3)), [10])
    with pytest.raises(ConfigError, match="row 'a' sums to 1.2 > 1"):
        Population(["a", "b"], np.zeros((2, 3, 2)), [10, 10], None, [[0, 1.2], [0, 0]])
    with pytest.raises(ConfigError, match="name 'a' is given twice"):
        Population(["a", "a"], np.zeros((2, 3, 2)), [10, 10])


def test_the_bundled_parameter_file_loads():
    path = settings.DATA_DIR / "pva.yml"
    if not path.exists():
        pytest.skip("data/pva.yml is not written yet (another part of issue 16)")
    p = load_parameters(path)
    assert p.stages == ["calf", "yearling", "adult"]
    assert 0 < growth_rate(p) < 2
    assert isinstance(pd.Series({k: v.count for k, v in p.populations.items()}).sum(), (int, np.integer))


def test_a_survival_mean_near_one_with_a_wide_sd_is_drawn_not_nan():
    # the Latin-hypercube sensitivity draws survival means up to mean + 2 sd (clipped below 1) and keeps the sd:
    # 0.99 with sd 0.12 has no beta distribution (sd must be < sqrt(0.99 x 0.01) ~ 0.0995); the sd is capped
    from corridors.pva.model import _beta_table

    t = _beta_table(0.99, 0.12)
    assert np.isfinite(t).all() and ((t >= 0) & (t <= 1)).all()
    assert t[len(t) // 2] > 0.95  # the median of a beta of mean 0.99 and the capped sd 0.0896
