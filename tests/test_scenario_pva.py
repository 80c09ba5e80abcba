"""The pva: section of a scenario (issue 16): its schema, its actions on the numbers, the report's Viability section, batch runs."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from corridors._errors import ConfigError
from corridors.analyses.pva import START_YEAR
from corridors.batch import run_batch
from corridors.scenario import load_scenario, run_scenario, scenario_from_dict
from corridors.scenario.context import _context
from corridors.scenario.viability_findings import viability_caveats
from corridors.scenario.interventions import _apply
from corridors.scenario.network import _analyse
from corridors.scenario.schema import PVA_START_YEAR
from corridors.scenario.viability import scenario_viability

from _helpers import REPO

#: Units 2 and 3 (uz2, tm1, uz1: all counted in data/pva.yml) at 20 km cells: a network in about a second.
SMALL = {"name": "p", "base": {"population_units": [2, 3]}, "landscape": {"resolution_m": 20000},
         "scoring": {"robustness": {"draws": 10, "landscapes": 0, "dispersal_sd_log": 0}}, "seed": 11}


def _file(tmp_path, text: str):
    p = tmp_path / "s.yml"
    p.write_text(textwrap.dedent(text).lstrip())
    return p


# ----------------------------------------------------------------------------- schema


def test_the_model_starts_where_the_schema_counts_calendar_years_from():
    assert PVA_START_YEAR == START_YEAR


def test_defaults_and_the_scenarios_seed():
    m = scenario_from_dict({"name": "x", "seed": 4, "pva": {}})
    assert (m.pva.replicates, m.pva.years, m.pva.seed, m.pva.actions) == (1000, 2050, None, [])
    assert scenario_from_dict({"name": "x"}).pva is None


@pytest.mark.parametrize("body, expected", [
    ("""\
     name: x
     pva:
       actions:
         - {type: cull, measure: "2.3", population: uz1, rate: 0.1}
     """, "line 4, key 'pva.actions[0]': unknown pva action type 'cull'; use one of translocation, reintroduction"),
    ("""\
     name: x
     pva:
       actions:
         - type: harvest
           measure: "2.3"
           population: uz1
           rate: 1.5
     """, "line 7, key 'pva.actions[0].rate': input should be less than or equal to 1"),
    ("""\
     name: x
     pva:
       actions:
         - type: harvest
           measure: "2.3"
           population: uz1
           rate: 0.1
           number: 5
     """, "line 4, key 'pva.actions[0]': give exactly one of number or rate"),
    ("""\
     name: x
     pva:
       actions:
         - type: translocation
           measure: "2.2"
           from: uz1
           to: uz2
           number: 5
           sexx: male
     """, "line 9, key 'pva.actions[0].sexx': unknown key; remove it or fix its spelling (allowed here: measure, "
          "label, stage, sex, years, type, from, to, number)"),
    ("""\
     name: x
     pva:
       actions:
         - {type: release, measure: "2.5", to: uz1, number: 5, years: [2026, 2019]}
     """, "key 'pva.actions[0].years': year 2019 is before the model's start (2025)"),
    ("""\
     name: x
     pva:
       replicates: 0
     """, "line 3, key 'pva.replicates': input should be greater than or equal to 1"),
    ("""\
     name: x
     pva:
       years: 2040
       actions:
         - {type: release, measure: "2.5", to: uz1, number: 5, years: 2045}
     """, "line 2, key 'pva': actions[0] is taken in 2045, at or after the last year simulated (2040)"),
    ("""\
     name: x
     pva:
       actions:
         - {type: release, measure: "9.9", to: uz1, number: 5}
     """, "line 4, key 'pva.actions[0].measure': unknown measure '9.9'"),
])
def test_schema_errors_name_the_line_and_key(tmp_path, body, expected):
    p = _file(tmp_path, body)
    with pytest.raises(ConfigError) as e:
        load_scenario(p)
    assert str(e.value).startswith(f"{p}, ") and expected in str(e.value), str(e.value)


def test_an_unquoted_measure_2_10_is_read_as_written(tmp_path):
    p = _file(tmp_path, """\
        name: x
        pva:
          actions:
            - {type: release, measure: 2.10, to: uz1, number: 5}
        """)
    assert load_scenario(p).pva.actions[0].measure == "2.10"


def test_every_shipped_pva_scenario_validates():
    base = load_scenario(REPO / "scenarios" / "baseline.yml")
    ex = load_scenario(REPO / "scenarios" / "pva_translocation.yml")
    assert base.pva is not None and base.pva.actions == []
    assert ex.pva_measures == ["2.2", "2.5", "2.3"]
    assert ex.measures == ["2.5", "2.3"]  # the interventions' measures stay the network's


# ----------------------------------------------------------------------------- actions move the numbers they say


@pytest.fixture(scope="module")
def network():
    model = scenario_from_dict(SMALL)
    ctx = _context(model)
    return ctx, _analyse(ctx, _apply(ctx, []))


def _viability(network, pva: dict):
    ctx, an = network
    model = scenario_from_dict({**SMALL, "pva": pva})
    ctx.model = model
    return scenario_viability(ctx, model, an, an)


def test_a_translocation_moves_exactly_its_animals_and_conserves_the_total(network):
    v = _viability(network, {"replicates": 200, "years": 2035, "actions": [
        {"type": "translocation", "measure": "2.2", "from": "uz1", "to": "uz2", "number": 30, "years": 2025}]})
    names = list(v.scenario.names)
    a, b = v.scenario.abundance.astype(int), v.baseline.abundance.astype(int)
    src, dst = names.index("uz1"), names.index("uz2")
    # the same seed draws the same first year in both runs; the move is the year's last step (before the census)
    assert (a[:, 0] == b[:, 0]).all()
    assert (a[:, 1, src] == b[:, 1, src] - 30).all()
    assert (a[:, 1, dst] == b[:, 1, dst] + 30).all()
    assert (a[:, 1].sum(axis=1) == b[:, 1].sum(axis=1)).all()
    others = [k for k in range(len(names)) if k not in (src, dst)]
    assert (a[:, 1, others] == b[:, 1, others]).all()
    # afterwards the source stays below and the target above the baseline, on average
    assert a[:, 2, src].mean() < b[:, 2, src].mean() and a[:, 2, dst].mean() > b[:, 2, dst].mean()
    row = v.actions.iloc[0]
    assert (row["type"], row["measure"], row["from"], row["to"], row["number"], row["years"]) == (
        "translocation", "2.2", "uz1", "uz2", 30, "2025")


def test_a_harvest_by_number_named_by_a_site_of_the_population_removes_that_many(network):
    # baday-tugay is a site of uz1: the action acts on uz1, as the population_control intervention does
    v = _viability(network, {"replicates": 100, "years": 2030, "actions": [
        {"type": "harvest", "measure": "2.3", "population": "baday-tugay", "number": 40, "years": [2025]}]})
    k = list(v.scenario.names).index("uz1")
    assert (v.scenario.abundance[:, 1, k] == v.baseline.abundance[:, 1, k] - 40).all()
    assert v.actions.iloc[0]["from"] == "uz1"


def test_no_action_gives_the_baseline_itself(network):
    v = _viability(network, {"replicates": 50, "years": 2032})
    assert np.array_equal(v.scenario.abundance, v.baseline.abundance)
    t = v.table.set_index("id")
    assert (t["p_quasi_extinct_2032"] == t["p_quasi_extinct_2032_base"]).all()
    assert list(v.horizons) == [2032]


def test_an_unknown_population_is_named_with_its_key(network):
    with pytest.raises(ConfigError, match=r"key 'pva.actions\[0\].to': 'nowhere' is no population of the viability "
                                          r"model; use one of uz2, tm1, uz1"):
        _viability(network, {"replicates": 5, "actions": [
            {"type": "release", "measure": "2.5", "to": "nowhere", "number": 5}]})
    with pytest.raises(ConfigError, match=r"pva.actions\[0\].to': site 'cand-sudochye-akpetki' is part of no population.*add a reintroduction "
                                          r"intervention"):
        _viability(network, {"replicates": 5, "actions": [
            {"type": "release", "measure": "2.5", "to": "cand-sudochye-akpetki", "number": 5}]})


def test_the_caveats_follow_the_parameter_file(network):
    v = _viability(network, {"replicates": 20, "years": 2030})
    first, *rest = viability_caveats(v)
    dens = v.params.density_dependence.density_per_km2
    assert f"{(dens.low + dens.high) / 2:g} deer per km2" in " ".join(rest) and "fewer than 20 animals" in " ".join(rest)
    k, n = (int(w) for w in first.split()[0:4:3])  # "<k> of the <n> sourced values ..."
    q = v.params.quasi_extinction.model_copy(update={"value": 50.0, "assumed": False})
    v.params = v.params.model_copy(update={"quasi_extinction": q})
    first, *rest = viability_caveats(v)
    assert first.startswith(f"{k - 1} of the {n} sourced values") and "fewer than 50 animals." in " ".join(rest)


# ----------------------------------------------------------------------------- the run and its report

EXAMPLE = {**SMALL, "interventions": [
    {"type": "reintroduction", "measure": "2.5", "site": "cand-sudochye-akpetki", "capacity": 40}],
    "pva": {"replicates": 100, "years": 2050, "actions": [
        {"type": "translocation", "measure": "2.2", "from": "uz1", "to": "cand-sudochye-akpetki", "number": 12,
         "years": 2026},
        {"type": "harvest", "measure": "2.3", "population": "uz1", "rate": 0.05, "years": [2026, 2027]}]}}


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pva") / "run"
    return run_scenario(scenario_from_dict(EXAMPLE), out, per_measure=False), out


def test_the_run_writes_viability_and_the_report_has_its_section(example_run):
    res, out = example_run
    for f in ("viability.csv", "viability_actions.csv", "viability_left_out.csv", "viability_trajectories.png",
              "viability_trajectories.svg", "viability_risk.png", "viability_risk.svg"):
        assert (out / f).is_file(), f
    t = pd.read_csv(out / "viability.csv").set_index("id")
    assert list(t.index) == ["uz2", "tm1", "uz1", "cand-sudochye-akpetki", "all"]
    new = t.loc["cand-sudochye-akpetki"]
    assert (new["count"], new["K"]) == (0, 40) and np.isnan(new["p_quasi_extinct_2050_base"])
    assert t.loc["all", "count"] == t.drop(index="all")["count"].sum()
    md = (out / "report.md").read_text()
    sec = md.split("## Viability", 1)[1].split("\n## ", 1)[0]
    assert "100 replicates from 2025 to 2050, seed 11, 2 management action(s)" in sec
    assert "| uz1 | Lower Amu Darya Biosphere Reserve | 600 |" in sec
    assert "### What the viability figures rest on" in sec and "marked assumed" in sec
    assert "Sudochye-Akpetki Special Reserve is a population of this scenario only" in sec
    assert md.index("## Viability") < md.index("## Places of the programme")
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["viability"]["replicates"] == 100 and prov["viability"]["seed"] == 11
    assert "pva_parameters" in prov["inputs"] and prov["parameters"]["pva"]["actions"][0]["from"] == "uz1"
    assert res.summary["pva_median_2050"] == t.loc["all", "median_2050"]


def test_without_a_pva_section_no_viability_is_run(network):
    ctx, an = network
    model = scenario_from_dict(SMALL)
    assert scenario_viability(ctx, model, an, an) is None


def test_a_batch_of_two_pva_scenarios(tmp_path):
    files = []
    for name, pva in (("pa", {"replicates": 50, "years": 2032}), ("pb", EXAMPLE["pva"])):
        p = tmp_path / f"{name}.yml"
        p.write_text(yaml.safe_dump({**EXAMPLE, "name": name, "pva": pva}, sort_keys=False))
        files.append(p)
    result = run_batch(files, tmp_path / "out", workers=2, quiet=True)
    assert not result.failed, [o.error for o in result.failed]
    for name in ("pa", "pb"):
        assert (tmp_path / "out" / name / "viability.csv").is_file()
    summary = pd.read_csv(tmp_path / "out" / "batch_summary.csv")
    assert len(summary) == 2 and summary["pva_median_2032"].notna().all()
