"""`corridors circuit run`: a Circuitscape INI job, its outputs under Circuitscape's names."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from corridors.cli import main

from _helpers import error_line, invoke, strip_job_keys, write_ini


def test_help_names_the_ini_and_the_solver_options():
    result = invoke("circuit", "run", "--help")
    assert result.exit_code == 0, result.output
    for word in ("INI", "--rtol", "--memory-limit", "pairwise", "output_file"):
        assert word in result.output


def test_pairwise_job_on_the_strip_by_hand(strip_job):
    # focal points 1 and 2 are 4 cells of 1 ohm apart; 3 lies beyond the no-data gap
    write_ini(strip_job / "job.ini", **strip_job_keys())
    run = invoke("circuit", "run", "job.ini")
    assert run.exit_code == 0, run.output
    assert "pairwise (raster): wrote" in run.output and "strip_resistances.out" in run.output
    three = np.loadtxt(strip_job / "out" / "strip_resistances_3columns.out")
    assert np.allclose(three, [[1, 2, 4], [1, 3, -1], [2, 3, -1]], rtol=1e-8)
    quiet = invoke("-q", "circuit", "run", "job.ini")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_habitat_file_missing_is_named(strip_job):
    write_ini(strip_job / "job.ini", **strip_job_keys(habitat_file="nowhere.asc"))
    line = error_line(invoke("circuit", "run", "job.ini"))
    assert "nowhere.asc" in line
    assert list((strip_job / "out").glob("*")) == []  # the output folder is made, but nothing is written in it


def test_unknown_scenario_runs_pairwise_with_a_warning_naming_the_key(strip_job):
    # Circuitscape reads a scenario it does not know as pairwise; the warning names the key and the fallback
    write_ini(strip_job / "job.ini", **strip_job_keys(scenario="sideways"))
    run = invoke("circuit", "run", "job.ini")
    assert run.exit_code == 0, run.output
    assert "warning:" in run.output and "key 'scenario': 'sideways' is not one of" in run.output and "read as 'pairwise'" in run.output


@pytest.mark.parametrize("args", [
    # 0 used to fall back to the default in silence ('rtol or 1e-9'); negatives reached the engines
    ["circuit", "run", "job.ini", "--rtol", "0"],
    ["circuit", "run", "job.ini", "--rtol", "-1"],
    ["circuit", "run", "job.ini", "--max-memory-gb", "-1"],
])
def test_out_of_range_numbers_are_usage_errors(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[-2]}'" in result.output


def test_an_omniscape_config_is_named_as_one(tmp_path):
    # the keys of Omniscape.jl's own test config: it used to fail with "key 'habitat_file' is missing or empty"
    ini = tmp_path / "omni.ini"
    ini.write_text("[Input files]\nresistance_file = input/resistance.asc\n\n[Options]\nblock_size = 3\nradius = 5\n"
                   "project_name = test6\nsource_from_resistance = true\n")
    line = error_line(invoke("circuit", "run", ini))
    assert "omni.ini: this is an Omniscape.jl config (keys resistance_file, radius, block_size, project_name)" in line
    assert "corridors omniscape run" in line and "not a Circuitscape INI" in line


def test_a_circuitscape_ini_with_a_stray_omniscape_key_is_still_circuitscape(strip_job):
    # one such key with a habitat_file is a Circuitscape job (the key is reported as unknown and ignored)
    write_ini(strip_job / "job.ini", **strip_job_keys(radius="5"))
    run = invoke("-q", "circuit", "run", "job.ini")
    assert run.exit_code == 0, run.output
    assert "unknown key 'radius' ignored" in run.output
