"""`corridors run`: one scenario YAML into one self-contained folder."""

from __future__ import annotations

from pathlib import Path

import pytest

import corridors.lcp as lcp
from _helpers import error_line, invoke, usage_error, write_scenario


def _unit6(folder: Path) -> Path:
    """A small scenario of population unit 6 at 20 km cells (21 x 36): three wild populations, three candidate sites, one corridor.

    So a run computes cost distance for all three: the network's links, the candidate sites and a programme corridor.
    """
    p = write_scenario(folder, "unit6")
    p.write_text(p.read_text().replace("population_units: [4]", "population_units: [6]"))
    return p


def test_help_names_the_scenario_and_the_folder():
    result = invoke("run", "--help")
    assert result.exit_code == 0, result.output
    for word in ("SCENARIO", "scenarios/", "out/<scenario name>", "report.html", "provenance.json", "--memory-limit"):
        assert word in result.output


def test_a_tiny_memory_limit_is_refused_naming_the_option(tmp_path):
    # 21 x 36 cells need about 13 KiB even with the row sweep
    line = error_line(invoke("run", _unit6(tmp_path), "--memory-limit", "1KB", "-o", tmp_path / "o"))
    assert "--memory-limit" in line and "coarsen" in line
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_a_memory_limit_reaches_every_cost_distance_run_and_keeps_the_tables(tmp_path, monkeypatch):
    scenario = _unit6(tmp_path)
    # one landscape: perturbed ones (robustness draws of places and resistances) widen the corridor circuits past 16 KiB
    scenario.write_text(scenario.read_text().replace("dispersal_levels: 2", "dispersal_levels: 2, landscapes: 0"))
    assert invoke("-q", "run", scenario, "-o", tmp_path / "free").exit_code == 0
    seen = []
    real = lcp.cost_distance_engine

    def spy(shape, memory_limit=None):
        seen.append((tuple(shape), memory_limit, real(shape, memory_limit)))
        return seen[-1][2]

    monkeypatch.setattr(lcp, "cost_distance_engine", spy)
    # 16 KiB: too little for MCP (about 67 KiB on this grid), enough for the exact row sweep
    run = invoke("-q", "run", scenario, "--memory-limit", "16KB", "-o", tmp_path / "limited")
    assert run.exit_code == 0, run.output
    assert {(limit, engine) for _, limit, engine in seen} == {(16 * 1024, "sweep")}
    full = [shape for shape, _, _ in seen if shape == (21, 36)]
    assert len(full) == 6  # the network's three nodes and the three candidate sites
    assert len(seen) > len(full)  # and the programme corridor, in its own window
    csvs = sorted(p.name for p in (tmp_path / "free").glob("*.csv"))
    assert len(csvs) >= 8
    for name in csvs:
        assert (tmp_path / "limited" / name).read_bytes() == (tmp_path / "free" / name).read_bytes(), name


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
    assert "Missing argument 'SCENARIO'" in usage_error(invoke("run"))
