"""`corridors rivers`: the river graph and along-river distances between subpopulations."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from corridors.cli import main
from corridors.settings import WORKING_CRS

from _helpers import error_line, invoke, usage_error, write_features


def test_help_names_the_tolerance_and_the_outputs():
    result = invoke("rivers", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--sites", "--rivers", "--tolerance-km", "river_graph.gpkg", "river_distances.csv"):
        assert word in result.output


def test_two_sites_on_one_river_by_hand(tmp_path, toy_sites_file, toy_rivers_file):
    # both sites lie about 2.6 km off the line: snapped, and apart by the distance between their projections on it
    out = tmp_path / "out"
    run = invoke("rivers", "-o", out, "--sites", toy_sites_file, "--rivers", toy_rivers_file)
    assert run.exit_code == 0, run.output
    assert "sites: 2 snapped, 0 unsnapped" in run.output and "components per river system: zarafshon 1" in run.output
    assert {"nodes", "edges"} <= set(dict(pyogrio.list_layers(out / "river_graph.gpkg")))
    west, east = gpd.read_file(toy_sites_file).to_crs(WORKING_CRS).geometry
    line = gpd.read_file(toy_rivers_file).to_crs(WORKING_CRS).geometry.iloc[0]
    m = pd.read_csv(out / "river_distances.csv", index_col=0)
    assert list(m.index) == ["west", "east"]
    assert m.loc["west", "east"] == m.loc["east", "west"] == pytest.approx(abs(line.project(west) - line.project(east)), abs=1.0)
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["parameters"]["tolerance_m"] == 15_000.0
    assert (out / "rivers_map.png").stat().st_size > 10_000 and (out / "rivers_map.svg").exists()
    bare = invoke("-q", "rivers", "-o", tmp_path / "bare", "--sites", toy_sites_file, "--rivers", toy_rivers_file, "--no-map")
    assert bare.exit_code == 0 and not (tmp_path / "bare" / "rivers_map.png").exists()


def test_a_tighter_tolerance_leaves_the_sites_unsnapped(tmp_path, toy_sites_file, toy_rivers_file):
    run = invoke("rivers", "-o", tmp_path / "out", "--sites", toy_sites_file, "--rivers", toy_rivers_file, "--tolerance-km", "1")
    assert run.exit_code == 0, run.output
    assert "sites: 0 snapped, 2 unsnapped (farther than 1 km from any river)" in run.output
    assert "unsnapped: west (2.7 km from the zarafshon)" in run.output


def test_river_file_without_river_system_names_the_field(tmp_path, toy_sites_file):
    rivers = write_features(tmp_path, {"type": "Feature", "properties": {"river": "zarafshon"},
                                       "geometry": {"type": "LineString", "coordinates": [[64.3, 39.8], [64.7, 39.9]]}},
                            name="lines.geojson")
    line = error_line(invoke("rivers", "-o", tmp_path / "o", "--sites", toy_sites_file, "--rivers", rivers))
    assert "lines.geojson, field 'river_system'" in line
    assert not (tmp_path / "o").exists()


def test_negative_tolerance_is_a_usage_error(tmp_path):
    assert "'--tolerance-km'" in usage_error(invoke("rivers", "-o", tmp_path / "o", "--tolerance-km", "-3"))


def test_bundled_graph_and_distance_matrix(tmp_path):
    res = CliRunner().invoke(main, ["rivers", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "components per river system: amu_darya 1, ile 1, syr_darya 1, zarafshon 1" in res.output
    assert "unresolved" in res.output
    gpkg = tmp_path / "out" / "river_graph.gpkg"
    assert {"nodes", "edges"} <= set(dict(pyogrio.list_layers(gpkg)))
    m = pd.read_csv(tmp_path / "out" / "river_distances.csv", index_col=0)
    assert m.shape == (13, 13) and "tj1" in m.index
    assert m.loc["tj1", "uz4"] == math.inf


def test_missing_rivers_file_and_bad_options_exit_codes(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["rivers", "-o", str(tmp_path), "--rivers", str(tmp_path / "missing.geojson")])
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "missing.geojson" in lines[0]
    assert not (tmp_path / "river_graph.gpkg").exists()
    res = runner.invoke(main, ["rivers", "--tolerance-km", "-3"])
    assert res.exit_code == 2
    res = runner.invoke(main, ["rivers", "--no-such-option"])
    assert res.exit_code == 2
