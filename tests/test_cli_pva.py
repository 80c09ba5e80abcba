"""`corridors pva`: the baseline viability of the programme's populations, and how the network becomes the model's arrays."""

from __future__ import annotations

import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from corridors.analyses.pva import programme_populations, run_programme_pva, stable_split
from corridors.network.graph import HabitatGraph
from corridors.pva import load_parameters, projection_matrix
from corridors.settings import WORKING_CRS

from _helpers import invoke

PARAMS = """
stages: [calf, yearling, adult]
survival:
  calf: {female: {mean: 0.7, sd: 0.05}, male: {mean: 0.6, sd: 0.05}, source: test, assumed: true}
  yearling: {female: {mean: 0.9, sd: 0.03}, male: {mean: 0.85, sd: 0.03}, source: test, assumed: true}
  adult: {female: {mean: 0.92, sd: 0.02}, male: {mean: 0.85, sd: 0.03}, source: test, assumed: true}
fecundity:
  yearling: {mean: 0.1, sd: 0.05, source: test, assumed: true}
  adult: {mean: 0.7, sd: 0.1, source: test, assumed: true}
male_share_at_birth: {value: 0.5, source: test}
environmental_correlation_km: {value: 100, source: test, assumed: true}
density_dependence:
  form: ceiling
  density_per_km2: {low: 2, high: 6, source: test, assumed: true}
catastrophes: []
dispersal:
  stages: [yearling]
  rate: {value: 0.1, source: test, assumed: true}
quasi_extinction: {value: 20, source: test}
populations:
  a: {count: 101, low: 80, high: 120, year: 2023, source: test}
  b: {count: 50, year: 2020, source: test}
"""


@pytest.fixture
def params(tmp_path):
    p = tmp_path / "pva.yml"
    p.write_text(textwrap.dedent(PARAMS))
    return load_parameters(p)


def _graph():
    nodes = gpd.GeoDataFrame({"capacity": [1_000.0, 2_500.0, 400.0], "name": ["A", "B", "C"]},
                             geometry=[Point(0, 0), Point(30_000, 40_000), Point(100_000, 0)],
                             index=pd.Index(["a", "b", "c"], name="id"), crs=WORKING_CRS)
    links = pd.DataFrame({"i": ["a", "a", "b"], "j": ["b", "c", "c"], "probability": [0.5, 0.8, 0.1]})
    return HabitatGraph(nodes, links, name="test")


def test_stable_split_keeps_the_count_and_the_stable_distribution(params):
    split = stable_split(params, 101)
    assert split.shape == (3, 2) and split.sum() == 101
    vals, vecs = np.linalg.eig(projection_matrix(params))
    w = np.abs(np.real(vecs[:, np.argmax(np.abs(vals))]))
    np.testing.assert_allclose(split.reshape(-1) / 101, w / w.sum(), atol=1 / 101)


def test_network_nodes_become_the_models_arrays(params):
    pops, info, left = programme_populations(params, _graph())
    assert pops.names == ("a", "b") and left["id"].tolist() == ["c"]  # c has no count: left out, never invented
    # K = habitat km2 x the middle of the density range (2-6 per km2): 10 km2 x 4, 25 km2 x 4
    assert pops.capacity.tolist() == [40.0, 100.0]
    assert pops.initial.sum(axis=(1, 2)).tolist() == [101, 50]
    assert pops.distance_km[0, 1] == pytest.approx(50.0)  # straight distance, 30-40-50 km
    # row a: p_ab = 0.5 (c is left out); a leaver reaches b with the link's probability, the rest die
    assert pops.dispersal[0, 1] == pytest.approx(0.5) and pops.dispersal[1, 0] == pytest.approx(0.5)
    assert info["count_year"].tolist() == [2023, 2020] and info["K"].tolist() == [40.0, 100.0]


def test_rows_above_one_are_shared_in_proportion(params):
    g = _graph()
    g.links.loc[:, "probability"] = [0.9, 0.8, 0.6]
    params.populations["c"] = params.populations["b"]
    pops, _, _ = programme_populations(params, g)
    np.testing.assert_allclose(pops.dispersal[0], [0, 0.9 / 1.7, 0.8 / 1.7])
    assert (pops.dispersal.sum(axis=1) <= 1 + 1e-12).all()


def test_run_is_reproducible_and_writes_its_files(params, tmp_path):
    a = run_programme_pva(replicates=50, seed=3, params=params, graph=_graph())
    b = run_programme_pva(replicates=50, seed=3, params=params, graph=_graph())
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["id"].tolist() == ["a", "b", "all"]
    assert ((a.table["p_quasi_extinct_2032"] >= 0) & (a.table["p_quasi_extinct_2050"] >= a.table["p_quasi_extinct_2032"])).all()
    files = a.write(tmp_path / "v")
    assert {p.name for p in files} >= {"viability.csv", "left_out.csv", "trajectories_map.png", "risk_map.png", "provenance.json"}


@pytest.mark.slow
def test_cli_on_the_bundled_data(tmp_path):
    out = tmp_path / "viability"
    r = invoke("pva", "--replicates", 200, "-o", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "viability.csv")
    assert table["id"].iloc[-1] == "all" and (out / "risk_map.png").is_file()


@pytest.mark.slow
def test_cli_on_a_scenario_writes_its_viability_against_the_baseline(tmp_path):
    from _helpers import REPO

    out = tmp_path / "v"
    r = invoke("pva", REPO / "scenarios" / "pva_translocation.yml", "-o", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "viability.csv")
    assert "p_quasi_extinct_2050_base" in table.columns and "cand-sudochye-akpetki" in set(table["id"])
    uz1 = table.set_index("id").loc["uz1"]
    assert uz1["median_2050"] < uz1["median_2050_base"]  # measure 2.2 takes 20 deer from uz1 and 2.3 culls it
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "provenance.json", "viability.csv", "viability_actions.csv", "viability_left_out.csv", "viability_risk.png",
        "viability_risk.svg", "viability_trajectories.png", "viability_trajectories.svg"]
    assert str(out / "viability_risk.png") in r.output


def test_cli_scenario_settings_come_from_its_file(tmp_path):
    from _helpers import REPO

    r = invoke("pva", REPO / "scenarios" / "baseline.yml", "--replicates", 50, "-o", tmp_path / "v")
    assert r.exit_code == 2 and "--replicates" in r.output and "pva: section" in r.output
