"""``corridors omniscape``: omnidirectional moving-window connectivity, Omniscape.jl config files unchanged."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from corridors.cli._options import is_quiet


@click.group("omniscape")
def omniscape_cmd() -> None:
    """Omniscape (omnidirectional circuit connectivity): run Omniscape.jl config files."""


@omniscape_cmd.command("run")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of an embedded Dask cluster; 1 solves in this process. "
                   "Default: every core when the config says parallelize = true (Omniscape's default), else 1.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Address of a running Dask scheduler (tcp://host:8786): the tiles of targets run on its workers.")
@click.pass_context
def run_cmd(ctx: click.Context, config: Path, workers: int | None, scheduler: str | None) -> None:
    """Run an Omniscape.jl config (INI) unchanged and write Omniscape's maps.

    Every target on the block_size lattice is grounded in turn and the
    sources within radius of it inject current; the currents are summed
    into cum_currmap, with flow_potential and normalized_cum_currmap when
    asked. Paths in the config are relative to the current directory, as in
    Omniscape.jl. The maps go to the folder project_name, or project_name_1,
    _2... when it exists (nothing is overwritten), with config.ini and
    provenance.json. A progress bar counts the targets (corridors -q hides it).
    """
    # Local: corridors.omniscape loads scipy.sparse, pyamg and rasterio (+0.3 s to every command's start otherwise).
    from corridors.omniscape import compute, prepare_inputs, read_config
    from corridors.omniscape.run import project_folder, write_result

    quiet = is_quiet(ctx)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfg = read_config(config)
        inputs = prepare_inputs(cfg)
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    outdir = project_folder(cfg.project_name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if quiet:
            result = compute(cfg, inputs, workers=workers, scheduler=scheduler)
        else:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            console = Console(stderr=True)
            with Progress(TextColumn("[bold]omniscape"), BarColumn(), MofNCompleteColumn(), TextColumn("targets"),
                          TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True,
                          disable=not console.is_terminal) as bar:
                task = bar.add_task("", total=None)
                result = compute(cfg, inputs, workers=workers, scheduler=scheduler,
                                 on_targets=lambda n: bar.update(task, total=n),
                                 progress=lambda k: bar.advance(task, k))
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    if outdir != Path(cfg.project_name):
        click.echo(f"warning: the project folder {cfg.project_name} exists; writing to {outdir}, as Omniscape does.", err=True)
    files = write_result(result, cfg, outdir, inputs)
    if not quiet:
        click.echo(f"omniscape: {result.targets:,} targets solved; wrote {len(files)} file(s) to {outdir}")
        for f in files:
            click.echo(f"  {f}")
