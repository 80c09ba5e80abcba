"""Batch runs on a real Dask LocalCluster (2 worker processes on loopback, marked slow): one scenario fails, the others finish."""

from __future__ import annotations

import pandas as pd
import pytest

from corridors._errors import ConfigError
from corridors.batch import _run_one, relative_cost, run_batch
from corridors.scenario import scenario_from_dict

from _helpers import write_scenario


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    files = [
        write_scenario(folder, "zar-base", "  []"),
        write_scenario(
            folder,
            "zar-corridor",
            "  - type: corridor_restoration\n    measure: '5.7'\n    between: [zarafshon-sr, zarafshon-nnp]\n"
            "    resistance_multiplier: 0.1\n    buffer_m: 20000\n",
        ),
        # fails on the worker: the site id exists in no sites file
        write_scenario(folder, "zar-broken", "  - type: reintroduction\n    measure: '2.5'\n    site: nowhere\n    capacity: 20\n"),
    ]
    out = folder / "out"
    return run_batch(files, out, workers=2, quiet=True), out


@pytest.mark.slow
def test_failing_scenario_reports_and_others_finish(batch):
    result, out = batch
    by = {o.name: o for o in result.outcomes}
    assert [o.name for o in result.outcomes] == ["zar-base", "zar-corridor", "zar-broken"]
    assert by["zar-base"].ok and by["zar-corridor"].ok
    assert not by["zar-broken"].ok
    assert "site 'nowhere' is not in the sites file" in by["zar-broken"].error
    assert not (out / "zar-broken").exists()  # no half folder
    for name in ("zar-base", "zar-corridor"):
        folder = out / name
        assert (folder / "report.html").stat().st_size > 10_000
        assert (folder / "scenario.gpkg").exists() and (folder / "ec_by_system.csv").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".corridors-output.json"]  # no temporary folder left


@pytest.mark.slow
def test_summary_table_and_figure(batch):
    result, out = batch
    table = pd.read_csv(out / "batch_summary.csv")
    assert list(table["scenario"]) == ["zar-base", "zar-corridor", "zar-broken"]
    assert list(table["status"]) == ["ok", "ok", "failed"]
    ok = table[table["status"] == "ok"].set_index("scenario")
    # both run the same baseline landscape: same baseline EC
    assert ok.loc["zar-base", "ec_base_ha"] == pytest.approx(ok.loc["zar-corridor", "ec_base_ha"])
    assert ok.loc["zar-base", "ec_change_pct"] == 0
    assert ok.loc["zar-corridor", "ec_ha"] >= ok.loc["zar-corridor", "ec_base_ha"]
    assert "nowhere" in table.set_index("scenario").loc["zar-broken", "error"]
    assert result.figure is not None and result.figure.stat().st_size > 5_000
    assert result.figure.with_suffix(".svg").exists()


def test_invalid_file_fails_alone_without_cluster(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\nlandscape:\n  resolution_m: -5\n")
    result = run_batch([bad], tmp_path / "out", quiet=True)
    assert len(result.failed) == 1
    assert "line 3, key 'landscape.resolution_m'" in result.failed[0].error


def test_duplicate_names_and_bad_scheduler(tmp_path):
    a = write_scenario(tmp_path, "same", "  []")
    b = tmp_path / "other.yml"
    b.write_text(a.read_text())
    with pytest.raises(ConfigError, match="also the name of"):
        run_batch([a, b], tmp_path / "out", quiet=True)
    with pytest.raises(ConfigError, match="cannot connect"):
        run_batch([a], tmp_path / "out", scheduler="tcp://127.0.0.1:9", quiet=True, connect_timeout="1s")


PROBE = '''
import os


def probe(model, outdir, quiet=True):
    import dask

    return {
        "malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_", "unset"),
        "omp_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "profiler": dask.config.get("distributed.worker.profile.enabled"),
    }
'''


@pytest.mark.slow
def test_workers_run_without_malloc_trim_and_profiler(tmp_path, monkeypatch):
    # Dask's worker defaults (MALLOC_TRIM_THRESHOLD_=65536, a 10 ms stack profiler) slowed scenarios
    # on the workers; the embedded cluster must start its workers without them, keeping one BLAS thread
    (tmp_path / "corridors_probe.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers inherit sys.path
    from corridors_probe import probe

    a = write_scenario(tmp_path, "probe-a", "  []")
    result = run_batch([a], tmp_path / "out", workers=1, quiet=True, runner=probe)
    (o,) = result.outcomes
    assert o.ok, o.error
    assert o.summary == {"malloc_trim": "unset", "omp_threads": "1", "profiler": False}


def test_relative_cost_counts_network_analyses():
    def model(interventions):
        return scenario_from_dict({"name": "x", "interventions": interventions}, source="x.yml")

    pc = {"type": "population_control", "measure": "2.3", "site": "tigrovaya-balka", "capacity_multiplier": 0.5}
    re = {"type": "reintroduction", "measure": "2.5", "site": "sudochye", "capacity": 20}
    assert relative_cost(model([])) == 1  # the baseline alone
    assert relative_cost(model([pc])) == 3  # baseline, scenario, one measure
    assert relative_cost(model([pc, pc])) == 3  # the same measure twice: still one per-measure run
    assert relative_cost(model([pc, re])) == 4


def test_the_memory_limit_goes_to_the_runner_only_when_given(tmp_path):
    model = scenario_from_dict({"name": "m", "base": {"population_units": [4]}, "landscape": {"resolution_m": 20000}})
    calls = []

    def runner(model, outdir, quiet=True):  # an older runner without memory_limit
        calls.append(quiet)
        return {"ec_ha": 1.0}

    assert _run_one(model, str(tmp_path), runner)["ok"] and calls == [True]
    # the default runner, run_scenario, takes it: a limit too small for the grid fails the scenario, naming the option
    r = _run_one(model, str(tmp_path), None, 1024)
    assert not r["ok"] and "--memory-limit" in r["error"] and "coarsen" in r["error"]
    assert not (tmp_path / "m").exists()
