"""Multi-criteria scores and their robustness, on tables whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from corridors._errors import ConfigError, DataError
from corridors.plot import plot_robustness
from corridors.scoring import (
    Criterion,
    dirichlet_weights,
    normalize,
    rank_stability,
    robustness,
    weighted_score,
)

CRIT = {"x": Criterion("x", "benefit"), "y": Criterion("y", "cost")}


def _table() -> pd.DataFrame:
    # x: benefit, y: cost
    return pd.DataFrame({"x": [10.0, 20.0, 30.0], "y": [5.0, 1.0, 3.0]}, index=["A", "B", "C"])


def test_normalize_directions_by_hand():
    np.testing.assert_allclose(normalize([1, 2, 3], "benefit"), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(normalize([1, 2, 3], "cost"), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(normalize([2, 4, 10], "cost"), [1.0, 0.75, 0.0])


def test_normalize_constant_and_missing():
    np.testing.assert_allclose(normalize([7, 7, 7], "benefit"), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(normalize([1, np.nan, 3], "benefit"), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(normalize([np.nan, np.nan], "cost"), [0.0, 0.0])


def test_normalize_bad_direction():
    with pytest.raises(ConfigError, match="'up'"):
        normalize([1, 2], "up")  # type: ignore[arg-type]


def test_weighted_score_equal_weights_by_hand():
    # x_norm = [0, .5, 1]; y_norm = [(5-5)/4, (5-1)/4, (5-3)/4] = [0, 1, .5]
    # score = mean = [0, .75, .75]; B and C tie -> B (listed first) ranks 1.
    s = weighted_score(_table(), {"x": 1, "y": 1}, CRIT)
    assert list(s.index) == ["B", "C", "A"]
    np.testing.assert_allclose(s.loc[["A", "B", "C"], "score"], [0.0, 0.75, 0.75])
    assert s.loc["B", "rank"] == 1 and s.loc["C", "rank"] == 2 and s.loc["A", "rank"] == 3
    np.testing.assert_allclose(s.loc[["A", "B", "C"], "y_norm"], [0.0, 1.0, 0.5])


def test_weighted_score_only_ratios_matter():
    # weights 3:1 -> score = .75 x_norm + .25 y_norm = [0, .625, .875]
    s = weighted_score(_table(), {"x": 3, "y": 1}, CRIT)
    np.testing.assert_allclose(s.loc[["A", "B", "C"], "score"], [0.0, 0.625, 0.875])
    s2 = weighted_score(_table(), {"x": 0.3, "y": 0.1}, CRIT)
    np.testing.assert_allclose(s2["score"], s["score"])
    assert list(s.index) == ["C", "B", "A"]


def test_weighted_score_errors():
    with pytest.raises(ConfigError, match="'y'"):
        weighted_score(_table(), {"x": 1, "y": -1}, CRIT)
    with pytest.raises(ConfigError, match="all are 0"):
        weighted_score(_table(), {"x": 0, "y": 0}, CRIT)
    with pytest.raises(DataError, match="'z'"):
        weighted_score(_table(), {"x": 1, "z": 1}, {**CRIT, "z": Criterion("z", "cost")})
    with pytest.raises(ConfigError, match="'w'"):
        weighted_score(_table(), {"w": 1}, CRIT)


def test_default_catalogue_directions():
    t = pd.DataFrame({"cwd": [100.0, 200.0], "ec_gain": [5.0, 5.0]}, index=["L1", "L2"])
    s = weighted_score(t, {"cwd": 1, "ec_gain": 1})
    assert s.index[0] == "L1"  # cheaper corridor wins when EC gain is equal
    assert s.loc["L1", "score"] == pytest.approx(1.0)
    assert s.loc["L2", "score"] == pytest.approx(0.5)


def test_dirichlet_moments_and_zero_weights():
    rng = np.random.default_rng(1)
    w = {"a": 0.5, "b": 0.3, "c": 0.2, "d": 0.0}
    W = dirichlet_weights(w, 20000, 50.0, rng)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    assert (W[:, 3] == 0).all()
    np.testing.assert_allclose(W[:, :3].mean(axis=0), [0.5, 0.3, 0.2], atol=0.005)
    # Dirichlet variance w (1 - w) / (c + 1)
    np.testing.assert_allclose(W[:, 0].var(), 0.5 * 0.5 / 51, rtol=0.05)


def test_dominant_option_always_first_and_seeded():
    t = pd.DataFrame({"x": [1.0, 5.0, 3.0, 2.0], "y": [9.0, 1.0, 4.0, 8.0]}, index=list("PQRS"))
    r = robustness(t, {"x": 1, "y": 2}, CRIT, draws=500, seed=7, top_k=2)
    tab = r.table()
    assert tab.loc["Q", "p_best"] == 1.0  # Q is best on both criteria
    assert tab.loc["Q", "p_top2"] == 1.0
    assert tab.loc["P", "p_top2"] == 0.0  # P is worst on both
    assert tab.loc["P", "median_rank"] == 4
    counts = r.rank_counts()
    assert (counts.sum(axis=1) == 500).all() and (counts.sum(axis=0) == 500).all()
    r2 = robustness(t, {"x": 1, "y": 2}, CRIT, draws=500, seed=7, top_k=2)
    np.testing.assert_array_equal(r.ranks, r2.ranks)
    assert rank_stability(r) <= 1.0


def test_weights_decide_a_tradeoff():
    # A is best on x, B on y; with weights 1:1 each scores 0.5 and A wins the tie.
    # Weight draws push either way about half of the time.
    t = pd.DataFrame({"x": [1.0, 0.0], "y": [1.0, 0.0]}, index=["A", "B"])
    r = robustness(t, {"x": 1, "y": 1}, CRIT, draws=4000, seed=3, top_k=1)
    p = r.table().loc["A", "p_top1"]
    assert 0.45 < p < 0.55


def test_dispersal_callback_levels():
    base = 20000.0
    calls: list[float] = []

    def recompute(d: float) -> pd.DataFrame:
        calls.append(d)
        # A gains only when dispersal exceeds the base distance; at the base both tie (A listed first).
        return pd.DataFrame({"ec_gain": [math.log(d / base), 0.0]}, index=["A", "B"])

    r = robustness(
        recompute(base),
        {"ec_gain": 1.0},
        draws=9000,
        seed=11,
        top_k=1,
        dispersal_m=base,
        dispersal_levels=9,
        recompute=recompute,
    )
    assert len(calls) == 1 + 9
    levels = sorted(set(np.round(r.dispersal_m, 6)))
    assert len(levels) == 9
    assert levels[4] == pytest.approx(base)  # middle level is the median itself
    # 5 of 9 equally likely levels put A first (4 above the base and the tie at it)
    assert r.table().loc["A", "p_best"] == pytest.approx(5 / 9, abs=0.02)


def test_robustness_errors():
    with pytest.raises(ConfigError, match="dispersal_m"):
        robustness(_table(), {"x": 1}, CRIT, recompute=lambda d: _table())
    with pytest.raises(ConfigError, match="draws"):
        robustness(_table(), {"x": 1}, CRIT, draws=0)


def test_plot_robustness(tmp_path):
    r = robustness(_table(), {"x": 1, "y": 1}, CRIT, draws=200, seed=1, top_k=2)
    fig = plot_robustness(r, title="test")
    out = tmp_path / "rob.png"
    fig.savefig(out)
    assert out.stat().st_size > 1000
    assert len(fig.axes[0].texts) == 3


def test_plot_robustness_rows_carry_the_names_given():
    r = robustness(_table(), {"x": 1, "y": 1}, CRIT, draws=50, seed=1, top_k=2)
    fig = plot_robustness(r, labels={"A": "Alpha reserve", "C": "Gamma reserve"})
    shown = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert shown == {"Alpha reserve", "B", "Gamma reserve"}  # an option without a name keeps its id
