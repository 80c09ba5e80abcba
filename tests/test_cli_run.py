"""`corridors run`: one scenario YAML into one self-contained folder."""

from __future__ import annotations

import pytest

from _helpers import error_line, invoke, usage_error, write_scenario


def test_help_names_the_scenario_and_the_folder():
    result = invoke("run", "--help")
    assert result.exit_code == 0, result.output
    for word in ("SCENARIO", "scenarios/", "out/<scenario name>", "report.html", "provenance.json"):
        assert word in result.output


@pytest.mark.slow
def test_a_small_baseline_scenario(tmp_path):
    scenario = write_scenario(tmp_path, "tiny")
    out = tmp_path / "out"
    run = invoke("run", scenario, "-o", out)
    assert run.exit_code == 0, run.output
    assert run.output.startswith("tiny: EC ") and "(baseline)" in run.output and str(out / "report.html") in run.output
    for name in ("report.html", "report.md", "provenance.json", "scenario.gpkg", "ec_by_system.csv"):
        assert (out / name).is_file(), name


def test_missing_scenario_file_is_named(tmp_path):
    line = error_line(invoke("run", tmp_path / "nowhere.yml", "-o", tmp_path / "o"))
    assert "nowhere.yml: scenario file not found" in line
    assert not (tmp_path / "o").exists()


def test_bad_value_names_the_line_and_key(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\nlandscape:\n  resolution_m: -5\n")
    line = error_line(invoke("run", bad, "-o", tmp_path / "o"))
    assert "bad.yml, line 3, key 'landscape.resolution_m'" in line
    assert not (tmp_path / "o").exists()


def test_scenario_is_required():
    usage_error(invoke("run"), "Missing argument 'SCENARIO'")
