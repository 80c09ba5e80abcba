"""The ``corridors run`` and ``corridors batch`` commands: one scenario, or many on Dask."""

from __future__ import annotations

from pathlib import Path

import click

from corridors.cli._options import outdir_option


@click.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@outdir_option(None, "Output folder (default: out/<scenario name>). Replaced as a whole when the run succeeds.")
@click.pass_context
def run_cmd(ctx: click.Context, scenario: Path, outdir: Path | None) -> None:
    """Run one scenario: landscape, interventions, linkages, circuit, network, scoring, report.

    SCENARIO is a YAML file (see scenarios/ for the baseline and one file per
    programme measure). Writes one self-contained folder: GeoPackage,
    GeoTIFFs, CSV rankings, maps (PNG, SVG), provenance.json, report.md and
    report.html.
    """
    # Imported when the command runs, not with the CLI: corridors.scenario loads matplotlib and the landscape,
    # least-cost and network engines (import of corridors.cli 0.4 s without it, about 1.9 s with it, -X importtime),
    # which `corridors --help` and every other command would pay.
    from corridors.scenario import load_scenario, run_scenario

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    model = load_scenario(scenario)
    out = outdir if outdir is not None else Path("out") / model.name
    result = run_scenario(model, out, quiet=quiet)
    if not quiet:
        s = result.summary
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
@click.pass_context
def batch_cmd(ctx: click.Context, scenarios: tuple[Path, ...], outdir: Path, scheduler: str | None, workers: int) -> None:
    """Run many scenarios in parallel on Dask distributed.

    A failing scenario reports its error; the others finish with their
    outputs intact. Exit status 1 if any scenario failed.
    """
    # Imported when the command runs: corridors.batch loads pandas, and each worker corridors.scenario (run_cmd).
    from corridors.batch import run_batch

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    result = run_batch(list(scenarios), outdir, scheduler=scheduler, workers=workers, quiet=quiet)
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
