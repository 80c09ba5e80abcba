"""`corridors portfolio`: candidates from scenario files, costs from a table, the frontier, the check, the errors."""

from __future__ import annotations

import glob
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from corridors import settings
from corridors.scenario.portfolio import intervention_key, load_costs, run_portfolio
from corridors.scenario.yamlerrors import load_scenario

from _helpers import error_line, invoke

SCENARIO = """
name: three_measures
landscape: {resolution_m: 5000}
links: {median_dispersal_m: 30000}
interventions:
  - {type: corridor_restoration, measure: "5.7", label: Zarafshon SR - Zarafshon NNP, between: [zarafshon-sr, zarafshon-nnp], buffer_m: 3000}
  - {type: protected_area, measure: "4.7", label: Termez protected area, sites: [cand-termez-pa], buffer_m: 8000}
  - {type: reintroduction, measure: "6.3", site: cand-arys-district, capacity: 40}
"""

COSTS = """
unit: thousand USD
interventions:
  zarafshon-sr-zarafshon-nnp: {measure: "5.7", cost: [1000, 2000], source: "placeholder: replace with national estimates"}
  termez-protected-area: {measure: "4.7", cost: [200, 300], source: "placeholder: replace with national estimates"}
  reintroduction-cand-arys-district: {measure: "6.3", cost: [400, 400], source: "Kazakhstan project budget 2024 (test)"}
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("portfolio_in")
    (d / "three.yml").write_text(textwrap.dedent(SCENARIO))
    (d / "costs.yml").write_text(textwrap.dedent(COSTS))
    return d / "three.yml", d / "costs.yml"


@pytest.fixture(scope="module")
def done(inputs, tmp_path_factory) -> tuple[object, Path]:
    scen, costs = inputs
    out = tmp_path_factory.mktemp("portfolio_out") / "pf"
    result = invoke("portfolio", scen, "--costs", costs, "-o", out, "--budget", 700, "--budget", 5000,
                    "--draws", 4, "--levels", 5)
    return result, out


def test_the_command_writes_every_table_figure_and_report(done):
    result, out = done
    assert result.exit_code == 0, result.output
    for name in ("candidates.csv", "frontier.csv", "portfolios.csv", "checks.csv", "selection_frequency.csv",
                 "draws.csv", "frontier.png", "frontier.svg", "selection.png", "portfolio_map.png", "portfolio.gpkg",
                 "report.md", "report.html", "provenance.json"):
        assert (out / name).is_file(), name
    assert "budget 700:" in result.output and "budget 5,000:" in result.output
    assert "2 placeholders" in result.output


def test_each_candidate_alone_gives_its_own_networks_gain(done):
    _, out = done
    c = pd.read_csv(out / "candidates.csv", index_col="candidate")
    assert list(c.index) == ["zarafshon-sr-zarafshon-nnp", "termez-protected-area", "reintroduction-cand-arys-district"]
    assert list(c["cost"]) == [1500, 250, 400]  # the middle of each range
    assert list(c["placeholder"]) == [True, True, False]
    clean = c["links_worse"] == 0
    # with no link made worse, the composition model of one candidate is its own network exactly
    assert np.allclose(c.loc[clean, "ec_gain_model_ha"], c.loc[clean, "ec_gain_alone_ha"], rtol=1e-6, atol=1e-6)
    assert c.loc["reintroduction-cand-arys-district", "capacity_change_ha"] > 0
    assert c.loc["reintroduction-cand-arys-district", "countries"] == "KAZ"


def test_portfolios_keep_their_budget_and_are_the_best_subset(done):
    _, out = done
    c = pd.read_csv(out / "candidates.csv", index_col="candidate")
    fr = pd.read_csv(out / "frontier.csv")
    ports = pd.read_csv(out / "portfolios.csv")
    for b in (700, 5000):
        chosen = ports.loc[ports["budget"] == b, "candidate"].tolist()
        assert c.loc[chosen, "cost"].sum() <= b
    # 700 affords one or two of the two cheap ones: the three candidates all gain, so both cheap ones are bought
    assert set(ports.loc[ports["budget"] == 700, "candidate"]) == {"termez-protected-area",
                                                                   "reintroduction-cand-arys-district"}
    assert set(ports.loc[ports["budget"] == 5000, "candidate"]) == set(c.index[c["ec_gain_model_ha"] > 0.01])
    levels = fr[~fr["requested"]].sort_values("budget")
    assert np.all(np.diff(levels["ec_gain_ha"]) >= -1e-9)
    assert len(levels) == 5


def test_the_check_runs_the_interventions_together(done):
    _, out = done
    checks = pd.read_csv(out / "checks.csv")
    assert list(checks["budget"]) == [700, 5000]
    # different places (Zarafshon, Termez, Arys): the composition model is exact up to rounding
    assert np.allclose(checks["ec_full_ha"], checks["ec_model_ha"], rtol=2e-3)


def test_the_report_says_what_it_rests_on(done):
    _, out = done
    html = (out / "report.html").read_text()
    assert "What these results rest on" in html
    assert "2 of 3 costs are placeholders" in html
    assert "composition model" in html
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["budgets"] == [700.0, 5000.0]
    assert any("placeholders" in s for s in prov["rests_on"])
    assert prov["inputs"]["costs"]["sha256"]


def test_a_candidate_without_a_cost_is_named(inputs, tmp_path):
    scen, _ = inputs
    costs = tmp_path / "costs.yml"
    costs.write_text("unit: USD\ninterventions:\n  termez-protected-area: {cost: [1, 2], source: x}\n")
    line = error_line(invoke("portfolio", scen, "--costs", costs, "-o", tmp_path / "o"))
    assert "no cost for 'zarafshon-sr-zarafshon-nnp', 'reintroduction-cand-arys-district'" in line
    assert str(costs) in line and "cost: [low, high]" in line
    assert not (tmp_path / "o").exists()


def test_a_bad_cost_range_names_the_line(inputs, tmp_path):
    scen, _ = inputs
    costs = tmp_path / "costs.yml"
    costs.write_text("unit: USD\ninterventions:\n  a:\n    cost: [5, 2]\n    source: x\n")
    line = error_line(invoke("portfolio", scen, "--costs", costs, "-o", tmp_path / "o"))
    assert "line 3" in line and "interventions.a" in line and "low <= high" in line


def test_a_threat_is_not_a_candidate(tmp_path):
    line = error_line(invoke("portfolio", settings.DATA_DIR.parent / "scenarios" / "habitat_loss.yml", "-o", tmp_path / "o"))
    assert "habitat_loss is a threat, not a measure one funds" in line


def test_a_budget_below_what_the_rules_need_is_refused(inputs, tmp_path):
    scen, costs = inputs
    line = error_line(invoke("-q", "portfolio", scen, "--costs", costs, "-o", tmp_path / "o", "--budget", 100,
                             "--include", "zarafshon-sr-zarafshon-nnp", "--draws", 0, "--levels", 2, "--no-map"))
    assert "no portfolio fits a budget of 100" in line and "costs 1500" in line and "--budget" in line
    assert not (tmp_path / "o").exists()


def test_an_unknown_key_in_the_rules_is_named(inputs, tmp_path):
    scen, costs = inputs
    line = error_line(invoke("-q", "portfolio", scen, "--costs", costs, "-o", tmp_path / "o", "--exclude", "termez",
                             "--draws", 0))
    assert "'termez' is not a candidate; use one of" in line and "termez-protected-area" in line


def test_a_folder_of_the_users_files_is_refused(inputs, tmp_path):
    scen, costs = inputs
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    line = error_line(invoke("portfolio", scen, "--costs", costs, "-o", mine))
    assert "notes.txt" in line
    assert (mine / "notes.txt").read_text() == "keep me"


def test_at_least_one_per_country(inputs):
    scen, costs = inputs
    run = run_portfolio([scen], None, budgets=[2500.0], levels=2, draws=0, costs=costs, at_least_one=["country"])
    chosen = run.portfolios["candidate"].tolist()
    c = run.programme.candidates
    countries = {x for v in c["countries"] for x in v.split(";") if x}
    assert countries == {"UZB", "TJK", "KAZ"}  # Zarafshon SR (UZB) - Zarafshon NNP (TJK); Termez; Arys
    got = {x for v in c.loc[chosen, "countries"] for x in v.split(";")}
    assert got == countries


def test_the_shipped_costs_cover_every_shipped_measure():
    table, path, _ = load_costs()
    assert path.name == "costs.yml"
    keys = set()
    for f in sorted(glob.glob(str(settings.DATA_DIR.parent / "scenarios" / "*.yml"))):
        m = load_scenario(f)
        for iv in m.interventions:
            if iv.type == "habitat_loss":
                continue
            k = intervention_key(iv)
            keys.add(k)
            assert k in table.interventions, f"{f}: {k}"
            assert table.interventions[k].measure == iv.measure
    assert keys == set(table.interventions)
    assert all(e.placeholder for e in table.interventions.values())  # none is a real estimate yet: say so
