"""The report's summary and caveats: every sentence follows the data (change the table, the sentence changes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridors.report import Block, to_html
from corridors.scenario.findings import (
    capacity_caveat,
    change_sentence,
    corridor_change_sentence,
    precision_caveat,
    ranking_sentence,
    resistance_caveat,
    robustness_caveat,
    saturated_caveat,
    unresolved_caveat,
    width_caveat,
)
from corridors.scenario.schema import Robustness
from corridors.scoring import CORRIDOR_CRITERIA, robustness, weighted_score

NAMES = {"A": "Alpha corridor", "B": "Beta corridor", "C": "Gamma corridor"}


def _rob(p_best=(0.7, 0.2, 0.1), p_top=(1.0, 0.9, 0.5)):
    return pd.DataFrame({"score": [0.9, 0.6, 0.2], "rank": [1, 2, 3], "p_best": list(p_best), "p_top2": list(p_top)},
                        index=pd.Index(["A", "B", "C"], name="corridor"))


def test_ranking_names_the_first_its_lead_and_its_share_of_draws():
    s = ranking_sentence("candidate corridors", _rob(), NAMES, 2, 400)
    assert s.startswith("Of the 3 candidate corridors scored, Alpha corridor ranks first with a score of 0.900, "
                        "0.300 ahead of Beta corridor (0.600).")
    assert "Across 400 robustness draws it is first in 70 % of them and in the top 2 in 100 %." in s
    assert "first more often" not in s
    # another option first more often in the draws: the sentence says so
    s2 = ranking_sentence("candidate corridors", _rob(p_best=(0.3, 0.6, 0.1)), NAMES, 2, 400)
    assert "first in 30 %" in s2 and "; Beta corridor is first more often (60 %)." in s2
    # ids without a name stay ids; the rows change, the sentence follows
    r = _rob().assign(score=[0.2, 0.6, 0.9], rank=[3, 2, 1])
    assert "Gamma corridor ranks first with a score of 0.900" in ranking_sentence("x", r, NAMES, 2, 10)


def test_ranking_names_the_criterion_that_decides():
    t = pd.DataFrame({"cwd": [1.0, 2.0, 3.0], "ec_gain": [10.0, 10.0, 0.0]}, index=["A", "B", "C"])
    w = {"cwd": 1.0, "ec_gain": 1.0}
    sc = weighted_score(t, w, CORRIDOR_CRITERIA)
    rr = robustness(t, w, CORRIDOR_CRITERIA, draws=50, top_k=2).table()
    s = ranking_sentence("candidate corridors", rr, NAMES, 2, 50, sc, w, CORRIDOR_CRITERIA)
    # A and B tie on ec_gain; A is ahead on the cost-weighted distance only
    assert "mostly on cost-weighted distance of the least-cost path (cwd)." in s
    t2 = t.assign(cwd=[2.0, 1.0, 3.0], ec_gain=[30.0, 10.0, 0.0])  # now B is cheaper: A leads on EC gain
    sc2, rr2 = weighted_score(t2, w, CORRIDOR_CRITERIA), robustness(t2, w, CORRIDOR_CRITERIA, draws=50, top_k=2).table()
    first = str(rr2.sort_values("rank").index[0])
    s2 = ranking_sentence("candidate corridors", rr2, NAMES, 2, 50, sc2, w, CORRIDOR_CRITERIA)
    assert first == "A" and "(ec_gain)." in s2


def test_width_caveat_counts_one_cell_corridors():
    corr = pd.DataFrame({"min_width_m": [5000.0] * 7 + [17361.0, 17361.0, 15000.0]},
                        index=[f"c{i}" for i in range(10)])
    s = width_caveat(corr, {}, 5000.0)
    assert s.startswith("7 of the 10 measured candidate corridors report min_width_m = 5,000 m, one 5 km cell (")
    corr.iloc[0, 0] = 10000.0
    assert width_caveat(corr, {}, 5000.0).startswith("6 of the 10")
    assert width_caveat(corr, {}, 2000.0) is None  # at 2 km cells none is one cell wide
    corr.loc["c9", "min_width_m"] = np.nan  # not measured: not counted
    assert "of the 9 measured" in width_caveat(corr, {}, 5000.0)


def test_precision_caveat_follows_the_sites_fields():
    places = pd.DataFrame({"name": ["P", "Q", "R", "S"], "location_precision_km": [10.0, 30.0, 130.0, 60.0],
                           "location_status": ["approximate"] * 4})
    s = precision_caveat(places, 5000.0)
    assert "The 4 places this run uses (4 approximate) lie within 10-130 km" in s
    assert "median 45 km" in s and "9 cells of 5 km" in s
    assert "2 are known only to 50 km or worse: R (130 km) and S (60 km)" in s
    places.loc[2, "location_precision_km"] = 20.0
    places.loc[0, "location_status"] = "located"
    s2 = precision_caveat(places, 5000.0)
    assert "(3 approximate, 1 located) lie within 10-60 km" in s2 and "1 are known only to 50 km or worse: S" in s2
    assert precision_caveat(places.assign(location_precision_km=np.nan), 5000.0) is None


def test_capacity_resistance_and_unresolved_caveats():
    s = capacity_caveat(15, 0, 15000.0, 2.0, 8)
    assert s.startswith("The capacity of all 15 populations is modelled, not surveyed")
    assert "within 15 km" in s and "2 deer per km2" in s and "(the default, an assumption" in s
    s2 = capacity_caveat(15, 2, 20000.0, 3.0, 0)
    assert "13 of the 15" in s2 and "sets 2 itself" in s2 and "within 20 km" in s2 and "candidate" not in s2
    assert "bundled expert-opinion table data/resistance.yml" in resistance_caveat(None, None, None)
    mine = resistance_caveat("elsewhere/my_table.yml", None, "my_rivers.gpkg")
    assert "my_table.yml" in mine and "bundled expert" not in mine and "my_rivers.gpkg" in mine
    assert "raster r.tif" in resistance_caveat(None, "data/r.tif", None)
    un = pd.DataFrame({"name": ["Ulyshor wetland", "Zhanadarya estuary"]}, index=["u", "z"])
    assert unresolved_caveat(un).startswith("2 place(s) the programme names could not be located")
    assert unresolved_caveat(un.iloc[:0]) is None


def test_robustness_caveat_states_the_ranges_and_what_is_fixed():
    d = np.array([20400.0, 30000.0, 44100.0])
    s = robustness_caveat(Robustness(), 500, d, 3)
    assert "The 500 robustness draws behind P(top 3) vary the weights (Dirichlet, concentration 50)" in s
    assert "from 20.4 km to 44.1 km" in s and "within its precision radius" in s
    assert "log-uniform in [0.5, 2]" in s and "over 4 perturbed landscapes." in s and "fixed" not in s
    s3 = robustness_caveat(Robustness(resistance_factor=3.0, location_scale=0.5), 100, None, 2, habitat_threshold=0.4)
    assert "[0.33, 3]" in s3 and "within 0.5 x its precision radius, on habitat of suitability >= 0.4)" in s3
    assert "dispersal" not in s3
    s0 = robustness_caveat(Robustness(landscapes=0), 500, d, 3)
    assert "keep where the places lie and the resistances fixed, so the ranks are less certain" in s0


def test_change_sentences_follow_the_baseline():
    eb = pd.DataFrame({"ec_base_ha": [100.0, 60.0, 40.0], "ec_ha": [110.0, 60.0, 50.0],
                       "ec_change_pct": [10.0, 0.0, 25.0]}, index=["all", "amu_darya", "ile"])
    s = change_sentence(eb, 2)
    assert s == ("Against the baseline, EC rises: 100 ha -> 110 ha (+10.00 %) with 2 intervention(s); "
                 "the largest change is in the Ile system (+25.00 %).")
    assert "falls" in change_sentence(eb.assign(ec_ha=[90.0, 60.0, 30.0], ec_change_pct=[-10.0, 0.0, -25.0]), 1)
    assert "no change to report" in change_sentence(eb, 0)
    corr = pd.DataFrame({"cwd_change_pct": [0.0, -40.0, -5.0]}, index=["A", "B", "C"])
    assert corridor_change_sentence(corr, NAMES) == ("The interventions change the cost-weighted distance of 2 of 3 "
                                                     "candidate corridors; most that of Beta corridor (-40.0 %).")
    assert corridor_change_sentence(pd.DataFrame({"cwd": [1.0]}), NAMES) is None


def test_html_tables_wrap_and_scroll_instead_of_being_cut():
    df = pd.DataFrame({"from": ["Lower Amu Darya Biosphere Reserve"], "effective_resistance": [6.44]},
                      index=pd.Index(["2.1a Amu Darya SSNR - Kyzylkum SSNR"], name="corridor"))
    page = to_html([Block("table", table=df)], "t")
    assert '<div class="table-wrap"><table>' in page and ".table-wrap{max-width:100%;overflow-x:auto" in page
    assert "<th>effective_<wbr>resistance</th>" in page  # long headers break at '_'
    assert '<td class="text">Lower Amu Darya Biosphere Reserve</td>' in page and "<td>6.44</td>" in page


def test_a_place_named_twice_is_named_once():
    places = pd.DataFrame({"name": ["LABR", "LABR", "Q"], "location_precision_km": [50.0, 50.0, 10.0],
                           "location_status": ["approximate"] * 3})
    assert "1 are known only to 50 km or worse: LABR (50 km)." in precision_caveat(places, 5000.0)


# ----------------------------------------------------------------------------- a whole run's report


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from corridors.scenario import run_scenario, scenario_from_dict

    model = scenario_from_dict({"name": "f", "base": {"population_units": [2, 3]}, "landscape": {"resolution_m": 20000},
                                "scoring": {"robustness": {"draws": 30, "dispersal_levels": 2, "landscapes": 1}}})
    return run_scenario(model, tmp_path_factory.mktemp("f") / "out")


def _table_rows(md: str, header: str) -> list[list[str]]:
    lines = md.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(header))
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip("|").split("|")])
    return rows


@pytest.mark.slow
def test_baseline_report_opens_with_findings_and_caveats_of_its_own_data(small_run):
    md = (small_run.outdir / "report.md").read_text()
    heads = [ln for ln in md.splitlines() if ln.startswith("## ")]
    assert heads[:3] == ["## Summary of findings", "## Caveats: what these results rest on", "## Settings"]
    top = small_run.tables["corridor_scores"].index[0]
    name = small_run.tables["corridors"].loc[top, "name"]
    assert f"ranks first with a score of {small_run.tables['corridor_scores'].loc[top, 'score']:.3f}" in md
    assert f"{top} {name} ranks first" in md
    n_one = int((small_run.tables["corridors"]["min_width_m"] <= 20000).sum())
    assert f"{n_one} of the " in md and "one 20 km cell" in md
    assert "over 1 perturbed landscape." in md


@pytest.mark.slow
def test_baseline_report_has_no_zero_comparison_columns_and_names_in_rows(small_run):
    md = (small_run.outdir / "report.md").read_text()
    eb = _table_rows(md, "| river system")
    assert eb[0] == ["river system", "n_nodes", "capacity_ha", "ec_ha", "pc"]  # no *_base, no *_change_pct
    assert [r[0] for r in eb[2:]][0] == "all river systems" and "Amu Darya" in [r[0] for r in eb[2:]]
    sites = small_run.tables["site_scores"]
    rows = _table_rows(md, "| site | score")
    names = dict(zip(small_run.tables["sites"].index, small_run.tables["sites"]["name"]))
    assert [r[0] for r in rows[2:]] == [names[i] for i in sites.index]
    assert not any(r[0] in sites.index for r in rows[2:])  # ids stay in the CSVs, the report shows names
    corr = _table_rows(md, "| corridor | from")
    ends = {small_run.tables["corridors"].loc[k, "a"] for k in small_run.tables["corridors"].index}
    assert not any(r[1] in ends for r in corr[2:])


def test_saturated_caveat_names_the_restorations_that_add_no_habitat():
    log = pd.DataFrame({"type": ["riparian_reforestation", "corridor_restoration", "habitat_loss"],
                        "measure": ["6.2", "2.1", "2.8"], "label": ["Syr Darya reforestation", "", "mine"],
                        "cells": [31, 10, 5], "habitat_change_ha": [0.0, 2500.0, -900.0], "at_cap_cells": [31, 4, 5]})
    text = saturated_caveat(log, None)
    assert text.startswith("1 restoration intervention(s)")
    assert "6.2 (Syr Darya reforestation): 31 of 31 cells, 0 ha of habitat added" in text
    assert "2.1" not in text and "2.8" not in text  # under half its cells at the cap; a loss is no restoration
    assert "resistance table" in text and "resistance raster whose" in text
    assert "lowest cells" in saturated_caveat(log, "mine.tif")
    assert saturated_caveat(log.iloc[1:], None) is None
    assert saturated_caveat(log.iloc[:0], None) is None
