"""`corridors circuit pinch`: pinch points and effective resistance of the programme's candidate corridors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

from corridors.cli import main
from corridors.raster import Raster

from _helpers import error_line, invoke, usage_error


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
