"""``corridors circuit``: run Circuitscape INI jobs, pinch points and centrality of the programme's linkages."""

from __future__ import annotations

import warnings
from pathlib import Path

import click


@click.group("circuit")
def circuit_cmd() -> None:
    """Circuit theory (Circuitscape-compatible): INI jobs, pinch points, centrality."""


@circuit_cmd.command("run")
@click.argument("ini", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rtol", type=float, default=None, help="Relative residual of the AMG-preconditioned CG (default 1e-9).")
@click.pass_context
def run_cmd(ctx: click.Context, ini: Path, rtol: float | None) -> None:
    """Run a Circuitscape INI job (raster or network; pairwise, one-to-all, all-to-one, advanced).

    Paths inside the INI are relative to the current directory, as in
    Circuitscape. Outputs carry Circuitscape's names and formats and are
    written next to output_file only when the whole job succeeded.
    """
    from corridors.circuit.ini import read_ini, run_job
    from corridors.circuit.solve import DEFAULT_RTOL

    quiet = (ctx.find_root().obj or {}).get("quiet", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job = read_ini(ini)
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    files = run_job(job, rtol=rtol or DEFAULT_RTOL)
    if not quiet:
        click.echo(f"{job.scenario} ({job.data_type}): wrote {len(files)} file(s) to {job.output_file.parent or Path('.')}")
        for f in files:
            click.echo(f"  {f}")
