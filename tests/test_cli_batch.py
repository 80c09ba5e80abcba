"""`corridors batch`: many scenarios in parallel on Dask; a failing one is reported, the others finish.

The batch itself (failures, summary table, worker settings) is tested in test_batch.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from _helpers import invoke, usage_error, write_scenario


def test_help_names_the_scheduler_and_workers():
    result = invoke("batch", "--help")
    assert result.exit_code == 0, result.output
    for word in ("SCENARIOS", "--scheduler", "--workers", "--memory-limit", "Exit status 1"):
        assert word in result.output


@pytest.mark.slow
def test_one_small_scenario_on_one_worker(tmp_path):
    scenario = write_scenario(tmp_path, "tiny")
    out = tmp_path / "out"
    run = invoke("batch", scenario, "--workers", "1", "-o", out)
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()  # after the progress bar
    assert any(ln.startswith("ok      tiny (") for ln in lines) and f"summary: {out / 'batch_summary.csv'}" in run.output
    table = pd.read_csv(out / "batch_summary.csv")
    assert list(table["scenario"]) == ["tiny"] and list(table["status"]) == ["ok"]
    assert (out / "tiny" / "report.html").is_file()


@pytest.mark.slow
def test_a_tiny_memory_limit_fails_the_scenario_naming_the_option(tmp_path):
    scenario = write_scenario(tmp_path, "tiny")
    run = invoke("-q", "batch", scenario, "--workers", "1", "--memory-limit", "1KB", "-o", tmp_path / "out")
    assert run.exit_code == 1
    assert "FAILED  tiny: " in run.output and "--memory-limit" in run.output and "coarsen" in run.output
    assert not (tmp_path / "out" / "tiny").exists()


def test_an_invalid_file_fails_alone_and_exits_1(tmp_path):
    # checked before any cluster starts
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\nlandscape:\n  resolution_m: -5\n")
    run = invoke("batch", bad, "-o", tmp_path / "out")
    assert run.exit_code == 1
    assert "FAILED  bad: " in run.output and "bad.yml, line 3, key 'landscape.resolution_m'" in run.output
    assert list(pd.read_csv(tmp_path / "out" / "batch_summary.csv")["status"]) == ["failed"]


def test_no_scenario_and_no_worker_are_usage_errors(tmp_path):
    assert "Missing argument 'SCENARIOS...'" in usage_error(invoke("batch"))
    assert "'--workers'" in usage_error(invoke("batch", tmp_path / "a.yml", "--workers", "0"))
