"""`corridors circuit pinch`: pinch points and effective resistance of the programme's candidate corridors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from corridors._errors import ConfigError
from corridors.analyses.pinch import run_pinch
from corridors.circuit.pinch import check_cutoff
from corridors.cli import main
from corridors.raster import Raster

from _helpers import error_line, far_strip, invoke, usage_error


def test_help_names_the_cutoff_and_the_outputs():
    result = invoke("circuit", "pinch", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--resistance", "--cutoff", "--truncate", "--memory-limit", "pinchpoints.tif", "pinch_linkages.csv"):
        assert word in result.output


def test_cli_pinch_on_the_programme_corridors(tmp_path, coarse_resistance):
    # A coarse (10 km) resistance keeps the run short; the command is the same at 1 km.
    r = CliRunner().invoke(main, ["-q", "circuit", "pinch", "-o", str(tmp_path / "pinch"), "--resistance", str(coarse_resistance)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "pinch" / "pinch_linkages.csv")
    assert {"2.1a", "6.4", "7.4"} <= set(table["corridor"])
    joined = table[table["eff_resist"] > 0]
    assert len(joined) >= 8 and (joined["cwd_to_eff_resist"] > 0).all()
    assert (joined["max_current"] <= 1.0 + 1e-6).all()
    cur = Raster.read(tmp_path / "pinch" / "pinchpoints.tif")
    assert np.nanmax(cur.masked()) <= 1.0 + 1e-6
    assert (tmp_path / "pinch" / "pinch_map.png").stat().st_size > 10_000
    prov = json.loads((tmp_path / "pinch" / "provenance.json").read_text())
    assert prov["command"] == "corridors circuit pinch" and prov["inputs"]["resistance"]["path"].endswith(coarse_resistance.name)
    assert prov["parameters"]["resolution_m"] == 10_000.0 and "2.1a" in prov["parameters"]["corridors"]


def test_missing_resistance_is_named(tmp_path):
    line = error_line(invoke("circuit", "pinch", "--resistance", tmp_path / "nowhere.tif", "-o", tmp_path / "o"))
    assert "nowhere.tif: raster file not found" in line
    assert not (tmp_path / "o").exists()


def test_memory_limit_must_be_a_size(tmp_path):
    assert "'--memory-limit'" in usage_error(invoke("circuit", "pinch", "--memory-limit", "lots", "-o", tmp_path / "o"))


def test_pinch_between_your_cores_in_their_own_crs(tmp_path):
    # A Linkage Mapper user's data in UTM 17N: a one-row corridor of unit resistances between two cores.
    tif, shp = far_strip(tmp_path)
    out = tmp_path / "pinch"
    r = invoke("-q", "circuit", "pinch", "--resistance", tif, "--cores", shp, "--id-field", "Core_ID", "-o", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "pinch_linkages.csv")
    assert list(zip(table["core_a"], table["core_b"])) == [(1, 2)]
    assert table["eff_resist"].iloc[0] == pytest.approx(7.0, rel=1e-6)  # seven unit links in series, core cell 1 to 8
    assert table["cwd_m"].iloc[0] == pytest.approx(700.0)  # seven 100 m steps at resistance 1
    assert table["max_current"].iloc[0] == pytest.approx(1.0, rel=1e-6)  # the whole 1 A passes the one-cell corridor
    cur = Raster.read(out / "pinchpoints.tif")
    assert cur.crs.to_epsg() == 32617
    assert np.allclose(cur.masked()[1, 2:8], 1.0) and np.isnan(cur.masked()[0]).all()
    assert (out / "pinch_map.png").stat().st_size > 10_000  # drawn in the raster's own CRS, no longer skipped
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["parameters"]["cores"]["id_field"] == "Core_ID" and prov["inputs"]["cores"]["path"].endswith("far_cores.shp")
    assert "32617" in prov["parameters"]["crs"]


def test_pinch_names_the_id_field_of_your_cores(tmp_path):
    tif, shp = far_strip(tmp_path)
    line = error_line(invoke("circuit", "pinch", "--resistance", tif, "--cores", shp, "-o", tmp_path / "o"))
    assert "far_cores.shp, field 'id': the cores have no such column" in line and "--id-field" in line and "Core_ID" in line
    assert "--id-field" in error_line(invoke("circuit", "pinch", "--id-field", "Core_ID", "-o", tmp_path / "o"))


@pytest.mark.parametrize("cutoff", ["-5", "0"])
def test_a_cutoff_that_is_no_width_is_refused(tmp_path, cutoff):
    usage_error(invoke("circuit", "pinch", "--cutoff", cutoff, "-o", tmp_path / "o"), "'--cutoff'")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("cutoff", [-5.0, 0.0, float("nan"), float("inf")])
def test_the_library_refuses_a_cutoff_that_is_no_width(cutoff):
    with pytest.raises(ConfigError, match=r"field 'cutoff_m' \(--cutoff\): .* is not a corridor width"):
        check_cutoff(cutoff)
    assert check_cutoff(5) == 5.0


def test_pinch_result_writes_its_own_files(tmp_path):
    tif, shp = far_strip(tmp_path)
    run = run_pinch(tif, cores=shp, id_field="Core_ID")
    written = run.pinch.write(tmp_path / "engine")
    assert sorted(p.name for p in written.values()) == ["pinch_linkages.csv", "pinchpoints.tif", "provenance.json"]
    assert pd.read_csv(written["csv"])["eff_resist"].iloc[0] == pytest.approx(7.0, rel=1e-6)
    assert Raster.read(written["current"]).crs.to_epsg() == 32617
