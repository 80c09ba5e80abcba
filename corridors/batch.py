"""Many scenarios in parallel on Dask distributed: an embedded LocalCluster by default, or an existing cluster."""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from distributed import Client, LocalCluster, as_completed
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from corridors import landscape
from corridors._errors import ConfigError, CorridorsError
from corridors.borders import load_borders
from corridors.cluster import worker_config
from corridors.io import encode_list, write_csv
from corridors.plot import plot_comparison
from corridors.rivers import load_rivers
from corridors.scenario import Scenario, load_scenario, run_scenario
from corridors.sites import load_sites

#: Columns of the summary table shown first (the rest follow in alphabetical order).
SUMMARY_FIRST = ("scenario", "status", "seconds", "measures", "n_interventions", "ec_ha", "ec_change_pct", "pc")


@dataclass
class BatchOutcome:
    """What one scenario of a batch gave.

    Attributes
    ----------
    name : str
        Scenario name (or the file name when the file did not validate).
    source : str
        The scenario file, or ``'<model>'``.
    ok : bool
    outdir : pathlib.Path or None
        Its output folder (None if it failed: nothing half-written is left).
    error : str
        One line: the error's sentence ('' when ok).
    seconds : float
    summary : dict
        Key metrics of the run (see :func:`corridors.scenario.run_scenario`).
    """

    name: str
    source: str
    ok: bool
    outdir: Path | None = None
    error: str = ""
    seconds: float = 0.0
    summary: dict = field(default_factory=dict)


@dataclass
class BatchResult:
    """All outcomes of a batch and the files summarising them."""

    outcomes: list[BatchOutcome]
    summary_csv: Path | None = None
    figure: Path | None = None
    startup_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def failed(self) -> list[BatchOutcome]:
        """Outcomes of the scenarios that failed."""
        return [o for o in self.outcomes if not o.ok]

    def table(self) -> pd.DataFrame:
        """Key metrics of every scenario side by side (one row each)."""
        return summary_table(self.outcomes)


def _run_one(spec: Any, outroot: str, runner: Callable | None, memory_limit: int | None = None) -> dict:
    """Run one scenario on a worker; never raises, so one failure cannot hurt the others.

    ``memory_limit`` goes to the runner only when given, so a runner without the keyword still works.
    """
    t0 = time.perf_counter()
    name = getattr(spec, "name", None) or Path(str(spec)).stem
    try:
        model = spec if isinstance(spec, Scenario) else load_scenario(spec)
        name = model.name
        outdir = Path(outroot) / model.name
        fn = runner or run_scenario
        kwargs: dict[str, Any] = {"quiet": True}
        if memory_limit is not None:
            kwargs["memory_limit"] = memory_limit
        res = fn(model, outdir, **kwargs)
        summary = dict(getattr(res, "summary", res) or {})
        return {"name": name, "ok": True, "outdir": str(outdir), "error": "", "summary": summary,
                "seconds": time.perf_counter() - t0}
    except CorridorsError as exc:
        err = str(exc)
    except Exception as exc:  # a bug or a library failure: keep its type and last frame in the line
        tb = traceback.extract_tb(exc.__traceback__)
        at = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        err = f"{type(exc).__name__}: {exc}{at}"
    return {"name": name, "ok": False, "outdir": None, "error": err, "summary": {},
            "seconds": time.perf_counter() - t0}


def _warm_up() -> int:
    """Load the bundled base layers and the font cache once per worker, before the first scenario.

    The engines (landscape, least-cost, network, plot, scenario) are imported
    with this module, which a worker imports to run this function.
    """
    matplotlib.use("Agg", force=False)  # a worker has no display
    landscape._layers()
    load_rivers()
    load_borders()
    load_sites()
    fig, ax = plt.subplots()
    ax.text(0, 0, "warm-up")  # loads the font cache once
    fig.canvas.draw()
    plt.close(fig)
    return os.getpid()


def relative_cost(model: Any) -> int:
    """How long a scenario takes, relative to the others of a batch on the same grid.

    A scenario runs one network analysis for its baseline, one for all its
    interventions and one per measure it touches (the per-measure effects);
    the baseline alone runs one. Measured at 5 km, the time grew by about
    0.85 s per measure from 6.8 s (one measure) to 12 s (seven), the
    baseline 4 s. Used as the Dask priority so the longest run first.

    Parameters
    ----------
    model : Scenario

    Returns
    -------
    int
        Number of network analyses the scenario runs.
    """
    interventions = getattr(model, "interventions", [])
    if not interventions:
        return 1
    return 2 + len({iv.measure for iv in interventions})


def _prepare(scenarios: Sequence[Any]) -> list[Any]:
    """Validate the scenario files on the client: a bad file fails alone, before any work is sent.

    Returns, in input order, the validated model or the failed outcome.
    """
    out: list[Any] = []
    names: dict[str, str] = {}
    for spec in scenarios:
        src = "<model>" if isinstance(spec, Scenario) else str(spec)
        try:
            model = spec if isinstance(spec, Scenario) else load_scenario(spec)
        except CorridorsError as exc:
            out.append(BatchOutcome(Path(src).stem, src, False, error=str(exc)))
            continue
        if model.name in names:
            raise ConfigError(
                f"{src}: scenario name {model.name!r} is also the name of {names[model.name]}; "
                "give each scenario of a batch its own name (it names the output folder)."
            )
        names[model.name] = src
        out.append(model)
    return out


def run_batch(
    scenarios: Sequence[str | os.PathLike | Any],
    outdir: str | os.PathLike,
    scheduler: str | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    quiet: bool = True,
    runner: Callable | None = None,
    connect_timeout: str = "10s",
    memory_limit: int | None = None,
) -> BatchResult:
    """Run scenarios in parallel on Dask distributed and summarise them.

    Parameters
    ----------
    scenarios : sequence of path-like or Scenario
        Scenario files (validated here first) or models.
    outdir : path-like
        Each scenario writes ``outdir/<name>/``; the batch writes
        ``outdir/batch_summary.csv`` and ``outdir/batch_comparison.png`` (and ``.svg``).
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``). Its workers
        must see the same file system (inputs and ``outdir``). Default: an
        embedded LocalCluster, started and stopped here. Start those workers
        with ``MALLOC_TRIM_THRESHOLD_`` unset and the worker profiler off
        (``distributed.worker.profile.enabled: false``); see :func:`corridors.cluster.worker_config`.
    workers : int, default 2
        Worker processes of the LocalCluster (ignored with ``scheduler``).
    threads_per_worker : int, default 1
        One thread per worker: the engines are numpy/scipy code that holds
        the GIL in places, so processes, not threads, give the speed-up.
    quiet : bool, default True
        No progress bar (a library is silent; ``corridors batch`` shows it unless ``-q``).
    runner : callable, optional
        ``runner(model, outdir, quiet=True)`` run per scenario (default
        :func:`corridors.scenario.run_scenario`); must be importable by the
        workers. It is also given ``memory_limit=`` when a limit is set.
    connect_timeout : str, default '10s'
        How long to try reaching ``scheduler`` before giving up.
    memory_limit : int, optional
        Bytes each scenario's cost-distance runs may use (``run_scenario(...,
        memory_limit=)``, on every worker); a limit too small for a
        scenario's grid fails that scenario with a message naming ``--memory-limit``.

    Returns
    -------
    BatchResult
        One outcome per scenario, in the order given. A failing scenario
        has ``ok=False`` and its one-line error; the others are unaffected.
        ``startup_seconds`` (cluster start, worker warm-up) and
        ``run_seconds`` (from the first submission to the last result) say
        where the wall time went.

    Raises
    ------
    ConfigError
        If two scenarios share a name, ``workers < 1``, or the scheduler
        cannot be reached.
    """
    if workers < 1:
        raise ConfigError(f"batch --workers {workers}: must be >= 1.")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    prepared = _prepare(scenarios)
    ready = [m for m in prepared if not isinstance(m, BatchOutcome)]
    results: dict[str, dict] = {}
    cluster = None
    t_start = time.perf_counter()
    t_submit = t_start
    if ready:
        try:
            if scheduler:
                try:
                    client = Client(scheduler, timeout=connect_timeout)
                except OSError as exc:
                    raise ConfigError(
                        f"batch --scheduler {scheduler}: cannot connect ({exc}); start `dask scheduler` "
                        "there or leave --scheduler out to use a local cluster."
                    ) from None
            else:
                with dask.config.set(worker_config()):
                    cluster = LocalCluster(
                        n_workers=workers,
                        threads_per_worker=threads_per_worker,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                client = Client(cluster)
            with client:
                # imports and base layers load on every worker at once, not inside the first scenario of each
                client.run(_warm_up)
                t_submit = time.perf_counter()
                # longest first (LPT): the last task to finish is then a short one and the workers end
                # close together; with worker-saturation 1.0 (see corridors.cluster.worker_config) a worker takes its next
                # scenario only when it is free, so the order holds to the end
                futures = {
                    client.submit(_run_one, m, str(out), runner, memory_limit, key=f"scenario-{m.name}", pure=False,
                                  priority=relative_cost(m)): m.name
                    for m in ready
                }
                _collect(futures, results, quiet)
        except BaseException:
            if cluster is not None:
                cluster.close()
            raise
    t_done = time.perf_counter()
    # the embedded cluster shuts down (about 0.4 s) while the summary table and figure are written
    closing = threading.Thread(target=cluster.close, name="corridors-batch-close") if cluster is not None else None
    if closing is not None:
        closing.start()
    try:
        return _summarise(scenarios, prepared, results, out, t_submit - t_start, t_done - t_submit)
    finally:
        if closing is not None:
            closing.join()


def _summarise(scenarios: Sequence[Any], prepared: list[Any], results: dict[str, dict], out: Path,
               startup: float, run: float) -> BatchResult:
    """Outcomes in input order, the summary table and the comparison figure."""
    outcomes: list[BatchOutcome] = []
    for spec, m in zip(scenarios, prepared):
        if isinstance(m, BatchOutcome):
            outcomes.append(m)
            continue
        r = results.get(m.name, {"ok": False, "error": "not run", "summary": {}, "seconds": 0.0})
        outcomes.append(
            BatchOutcome(
                name=m.name,
                source="<model>" if spec is m else str(spec),
                ok=r["ok"],
                outdir=Path(r["outdir"]) if r.get("outdir") else None,
                error=r["error"],
                seconds=float(r["seconds"]),
                summary=r["summary"],
            )
        )
    result = BatchResult(outcomes, startup_seconds=startup, run_seconds=run)
    table = summary_table(outcomes)
    csv_path = out / "batch_summary.csv"
    result.summary_csv = write_csv(table, csv_path, float_format="%.6g")
    if any(o.ok for o in outcomes):
        result.figure = plot_comparison(outcomes, out / "batch_comparison.png")
    return result


def _collect(futures: dict, results: dict, quiet: bool) -> None:
    """Gather futures as they finish, with a progress bar; a lost worker fails only its scenario."""
    with Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("", total=len(futures))
        for fut in as_completed(list(futures)):
            name = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # the worker died or the task could not be sent
                r = {"name": name, "ok": False, "outdir": None, "error": f"{type(exc).__name__}: {exc}",
                     "summary": {}, "seconds": 0.0}
            results[name] = r
            bar.update(task, advance=1, description=f"{name}: {'ok' if r['ok'] else 'FAILED'}")


def summary_table(outcomes: Sequence[BatchOutcome]) -> pd.DataFrame:
    """Key metrics of every scenario side by side.

    Parameters
    ----------
    outcomes : sequence of BatchOutcome

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``scenario``, ``status`` ('ok' or 'failed'),
        ``seconds``, ``error`` and every scalar of the run summaries (EC,
        PC, EC per river system, corridor counts, best options ...).
    """
    rows = []
    for o in outcomes:
        row: dict[str, Any] = {"scenario": o.name, "status": "ok" if o.ok else "failed", "seconds": round(o.seconds, 2)}
        for k, v in o.summary.items():
            if isinstance(v, (list, tuple)):
                v = encode_list(v)
            if isinstance(v, (int, float, str, bool)) or v is None:
                row[k] = v
        row["error"] = o.error
        rows.append(row)
    df = pd.DataFrame(rows)
    first = [c for c in SUMMARY_FIRST if c in df.columns]
    rest = sorted(c for c in df.columns if c not in first and c != "error")
    return df[first + rest + ["error"]]
