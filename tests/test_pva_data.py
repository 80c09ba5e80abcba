"""Facts of the bundled PVA parameter file (data/pva.yml, issue 16): its schema, checked by hand, and its sources.

The checks here do not use the engine's loader (corridors.pva.params), so a
mistake in the file is found even where the loader would let it through; the
last test also reads the file with the loader when the engine is installed.
"""

from __future__ import annotations

import datetime
import json
import math

import numpy as np
import pytest
import yaml

from corridors import settings

PATH = settings.DATA_DIR / "pva.yml"
STAGES = ["calf", "yearling", "adult"]
SEXES = ["female", "male"]
REQUIRED = {
    "stages", "survival", "fecundity", "male_share_at_birth", "environmental_correlation_km",
    "density_dependence", "catastrophes", "dispersal", "quasi_extinction", "populations",
}
OPTIONAL = {"notes", "unresolved"}
POPULATION_KINDS = {"subpopulation", "outside_range"}


@pytest.fixture(scope="module")
def pva() -> dict:
    with open(PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def site_kinds() -> dict[str, str]:
    with open(settings.SITES_PATH, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    return {f["properties"]["id"]: f["properties"]["kind"] for f in features}


def _sourced(entry: dict, where: str, assumed: bool = True) -> None:
    assert isinstance(entry.get("source"), str) and len(entry["source"]) > 20, f"{where}: no source text"
    if assumed:
        assert entry.get("assumed") is True, f"{where}: a red deer value taken from elsewhere must say assumed: true"


def _is_multiple(x: float, step: float) -> bool:
    return math.isclose(round(x / step) * step, x, abs_tol=1e-9)


def test_top_level_keys(pva):
    keys = set(pva)
    assert REQUIRED <= keys, f"missing: {sorted(REQUIRED - keys)}"
    assert keys <= REQUIRED | OPTIONAL, f"unknown keys: {sorted(keys - REQUIRED - OPTIONAL)}"
    assert pva["stages"] == STAGES


@pytest.mark.parametrize("stage", STAGES)
def test_survival_entries(pva, stage):
    entry = pva["survival"][stage]
    assert set(entry) == {"female", "male", "source", "assumed"}
    _sourced(entry, f"survival.{stage}")
    for sex in SEXES:
        rate = entry[sex]
        assert set(rate) == {"mean", "sd"}
        m, sd = rate["mean"], rate["sd"]
        assert 0 < m < 1 and sd >= 0
        # a beta distribution with this mean and sd must exist (the engine draws survival from one)
        assert sd**2 < m * (1 - m)
        # never more precision than the sources give: the file says means are rounded to 0.05
        assert _is_multiple(m, 0.05), f"survival.{stage}.{sex}.mean {m} is not rounded to 0.05"
    # red deer: males survive less than females at every age (Clutton-Brock et al. 1982/1985, Catchpole et al. 2004)
    assert entry["male"]["mean"] < entry["female"]["mean"]


def test_survival_rises_with_age_in_females(pva):
    # juvenile survival is the lowest and most variable rate of ungulates (Gaillard et al. 1998, 2000)
    s = pva["survival"]
    assert s["calf"]["female"]["mean"] < s["yearling"]["female"]["mean"] <= s["adult"]["female"]["mean"] + 1e-9
    assert s["calf"]["female"]["sd"] > s["adult"]["female"]["sd"]


def test_fecundity_entries(pva):
    fec = pva["fecundity"]
    assert set(fec) == {"yearling", "adult"}
    for stage, entry in fec.items():
        assert set(entry) == {"mean", "sd", "source", "assumed"}
        _sourced(entry, f"fecundity.{stage}")
        assert entry["mean"] >= 0 and entry["sd"] >= 0
        assert _is_multiple(entry["mean"], 0.05)
    # twins are very rare in red deer: at most one calf per hind and year; first breeders calve less often
    assert fec["yearling"]["mean"] < fec["adult"]["mean"] <= 1


def test_single_values(pva):
    share = pva["male_share_at_birth"]
    _sourced(share, "male_share_at_birth")
    assert 0 <= share["value"] <= 1
    corr = pva["environmental_correlation_km"]
    _sourced(corr, "environmental_correlation_km")
    assert corr["value"] > 0
    qe = pva["quasi_extinction"]
    assert isinstance(qe["source"], str) and qe["source"]
    assert qe["value"] > 0


def test_density_dependence(pva):
    dd = pva["density_dependence"]
    assert dd["form"] in {"ceiling", "beverton_holt"}
    dens = dd["density_per_km2"]
    _sourced(dens, "density_dependence.density_per_km2")
    assert 0 < dens["low"] <= dens["high"]


def test_catastrophes(pva):
    cats = pva["catastrophes"]
    names = [c["name"] for c in cats]
    assert sorted(names) == ["drought", "flood", "severe_winter"]
    for c in cats:
        assert set(c) == {"name", "probability", "survival", "fecundity", "source", "assumed"}
        _sourced(c, f"catastrophe {c['name']}")
        assert 0 <= c["probability"] <= 1
        # a catastrophe lowers the rates: multipliers within [0, 1]
        assert 0 <= c["survival"] <= 1 and 0 <= c["fecundity"] <= 1
        assert c["survival"] < 1 or c["fecundity"] < 1, f"{c['name']} has no effect"


def test_dispersal(pva):
    d = pva["dispersal"]
    assert set(d) == {"stages", "rate", "density_dependent"}
    assert d["stages"] and set(d["stages"]) <= set(STAGES)
    _sourced(d["rate"], "dispersal.rate")
    assert 0 <= d["rate"]["value"] <= 1
    assert isinstance(d["density_dependent"], bool)


def test_populations_are_sites_of_the_right_kind(pva, site_kinds):
    for pid in pva["populations"]:
        assert pid in site_kinds, f"population {pid!r} is not a site id of data/sites.geojson"
        assert site_kinds[pid] in POPULATION_KINDS, f"{pid} is a {site_kinds[pid]}, not a population"


def test_every_population_site_is_given_or_listed(pva, site_kinds):
    """No subpopulation or outside-range group is left out silently: each has a count or is listed as unresolved."""
    listed = {u["id"] for u in pva.get("unresolved") or []}
    given = set(pva["populations"])
    assert not listed & given
    expected = {sid for sid, kind in site_kinds.items() if kind in POPULATION_KINDS}
    assert given | listed == expected
    for u in pva.get("unresolved") or []:
        assert u.get("reason"), f"unresolved {u['id']}: say why it has no count"


def test_starting_counts(pva):
    for pid, p in pva["populations"].items():
        assert {"count", "low", "high", "year", "source"} <= set(p) <= {"count", "low", "high", "year", "source", "note"}
        for key in ("count", "low", "high", "year"):
            assert isinstance(p[key], int) and not isinstance(p[key], bool), f"{pid}.{key} must be a whole number"
        assert 0 <= p["low"] <= p["count"] <= p["high"], pid
        assert 1990 <= p["year"] <= datetime.date.today().year, pid
        assert p["source"].strip(), pid
        if "order of magnitude" in p["source"]:
            # an order-of-magnitude value holds one significant figure and a wide range
            assert p["count"] == 0 or p["count"] == float(f"{p['count']:.0e}"), f"{pid}: {p['count']} is too precise"
            assert p["high"] >= 3 * p["low"], f"{pid}: an order-of-magnitude range must be wide"
            assert "assumption" in p["source"]


def _range_wide(pva) -> list[dict]:
    for note in pva.get("notes") or []:
        if isinstance(note, dict) and "range_wide" in note:
            return note["range_wide"]
    raise AssertionError("data/pva.yml cites no range-wide total under notes: range_wide")


def test_range_wide_figures_are_sourced(pva):
    figures = _range_wide(pva)
    years = [f["year"] for f in figures]
    assert years == sorted(years)
    for f in figures:
        assert f.get("source") and ("count" in f or "below" in f)


def test_counts_do_not_exceed_the_range_wide_total(pva):
    latest = _range_wide(pva)[-1]
    bound = latest.get("below", latest.get("count"))
    counts = [p["count"] for p in pva["populations"].values()]
    lows = [p["low"] for p in pva["populations"].values()]
    assert sum(counts) <= bound, f"the starting counts sum to {sum(counts)}, over the range-wide {bound}"
    assert sum(lows) <= bound
    # and the file's total is above the last counted figure before it (the deer have been increasing since 2011)
    earlier = [f["count"] for f in _range_wide(pva) if "count" in f]
    assert sum(counts) >= earlier[-1]


def test_mean_rates_give_a_growth_rate_red_deer_can_have(pva):
    """Female Lefkovitch matrix of the mean rates (post-breeding census), built by hand here.

    A recovering red deer population grows by at most about 20-30 % a year; the
    range-wide count went from ~350 (1999) to ~1,900 (2011), about 15 % a year,
    helped by reintroductions. The file's means must let a population grow (a
    dominant eigenvalue above 1) and stay below that ceiling.
    """
    s = {st: pva["survival"][st]["female"]["mean"] for st in STAGES}
    f_y, f_a = pva["fecundity"]["yearling"]["mean"], pva["fecundity"]["adult"]["mean"]
    daughters = 1 - pva["male_share_at_birth"]["value"]
    A = np.array([
        [0.0, daughters * s["yearling"] * f_y, daughters * s["adult"] * f_a],
        [s["calf"], 0.0, 0.0],
        [0.0, s["yearling"], s["adult"]],
    ])
    lam = max(abs(np.linalg.eigvals(A)))
    assert 1.0 < lam < 1.3, lam


def test_the_engine_loader_reads_the_file(pva):
    params = pytest.importorskip("corridors.pva.params", reason="the PVA engine (issue 16) is not in this tree")
    loaded = params.load_parameters()
    assert sorted(loaded.populations) == sorted(pva["populations"])
    assert loaded.survival.adult.female.mean == pva["survival"]["adult"]["female"]["mean"]
