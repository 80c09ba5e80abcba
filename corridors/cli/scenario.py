"""The ``corridors run`` and ``corridors batch`` commands: one scenario, or many on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from corridors.scenario import ScenarioResult

from corridors.cli._options import memory_limit_opt, outdir_option


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@outdir_option(None, "Output folder (default: out/<scenario name>). Replaced as a whole when the run succeeds.", replace=True)
@memory_limit_opt
@click.pass_context
def run_cmd(ctx: click.Context, scenario: Path, outdir: Path | None, memory_limit: int | None = None) -> None:
    """Run one scenario: landscape, interventions, linkages, circuit, network, scoring, report.

    SCENARIO is a YAML file (see scenarios/ for the baseline and one file per
    programme measure). Writes one self-contained folder: GeoPackage,
    GeoTIFFs, CSV rankings, maps (PNG, SVG), provenance.json, report.md and
    report.html.
    """
    # Imported when the command runs, not with the CLI: corridors.scenario loads matplotlib and the landscape,
    # least-cost and network engines, which `corridors --help` and every other command would pay. Measured
    # (python -X importtime, and the wall time of `python -c "import ..."`, best of 5): corridors.cli 1.1 s
    # cumulative / 1.2 s wall without it, 3.0 s / 2.3 s with it.
    from corridors.scenario import load_scenario, run_scenario

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    model = load_scenario(scenario)
    out = outdir if outdir is not None else Path("out") / model.name
    result = run_scenario(model, out, quiet=quiet, memory_limit=memory_limit)
    if not quiet:
        print_scenario(result)


def print_scenario(result: "ScenarioResult") -> None:
    """One line on a scenario run: EC, its change against the baseline, linkages, the report (``run``, ``programme``)."""
    model, s = result.scenario, result.summary
    click.echo(
        f"{model.name}: EC {s.get('ec_ha', 0):,.0f} ha"
        + (f" ({s.get('ec_change_pct', 0):+.2f}% against the baseline), " if model.interventions else " (baseline), ")
        + f"{s.get('n_linkages', 0)} linkages, report {result.outdir / 'report.html'}"
    )


@click.command("batch")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@outdir_option(Path("out/batch"), "Each scenario writes <outdir>/<name>/; the summary table and figure go in <outdir>.")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Worker processes of the local cluster.")
@memory_limit_opt
@click.pass_context
def batch_cmd(ctx: click.Context, scenarios: tuple[Path, ...], outdir: Path, scheduler: str | None, workers: int,
              memory_limit: int | None = None) -> None:
    """Run many scenarios in parallel on Dask distributed.

    A failing scenario reports its error; the others finish with their
    outputs intact. Exit status 1 if any scenario failed.
    """
    # Imported when the command runs: corridors.batch loads Dask distributed and corridors.scenario (see run_cmd);
    # measured as there, corridors.cli with it 3.2 s cumulative / 3.0 s wall against 1.1 s / 1.2 s without.
    from corridors.batch import run_batch

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    result = run_batch(list(scenarios), outdir, scheduler=scheduler, workers=workers, quiet=quiet, memory_limit=memory_limit)
    for o in result.outcomes:
        if o.ok:
            if not quiet:
                click.echo(f"ok      {o.name} ({o.seconds:.1f} s) -> {o.outdir}")
        else:
            click.echo(f"FAILED  {o.name}: {o.error}", err=True)
    if not quiet:
        click.echo(f"summary: {result.summary_csv}" + (f", figure: {result.figure}" if result.figure else ""))
    if result.failed:
        ctx.exit(1)
