"""``corridors omniscape``: omnidirectional moving-window connectivity, Omniscape.jl config files unchanged."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from corridors.cli._options import is_quiet, no_map_option, outdir_option


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
    if outdir != Path(cfg.project_name):
        click.echo(f"warning: the project folder {cfg.project_name} exists; writing to {outdir}, as Omniscape does.", err=True)
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
    files = write_result(result, cfg, outdir, inputs)
    if not quiet:
        click.echo(f"omniscape: {result.targets:,} targets solved; wrote {len(files)} file(s) to {outdir}")
        for f in files:
            click.echo(f"  {f}")


@omniscape_cmd.command("programme")
@outdir_option(Path("out/omniscape"), "Output folder: cum_currmap.tif, flow_potential.tif, normalized_cum_currmap.tif, "
               "flow_classes.tif/.csv, omniscape_map.png/.svg, provenance.json.")
@click.option("--resolution-km", type=click.FloatRange(min=1.0), default=None,
              help="Cell size of the programme's surfaces, km (default 5, the habitat network's).")
@click.option("--radius-km", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Window radius, km (default 60: twice the assumed 30 km median dispersal).")
@click.option("--block-size", type=click.IntRange(min=1), default=None, help="Targets in blocks of N x N cells (odd; default 3).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes of an embedded Dask cluster (1: this process).")
@no_map_option
@click.pass_context
def programme_cmd(ctx: click.Context, outdir: Path, resolution_km: float | None, radius_km: float | None,
                  block_size: int | None, workers: int, no_map: bool) -> None:
    """Omniscape on the programme landscape: where the whole landscape channels or impedes deer movement.

    Sources are the cells of suitability >= 0.5 of the bundled expert table
    (tugay, riparian and floodplain), each of its suitability; resistance is
    the same table's. The map classes the normalized current (current over
    flow potential) as impeded, diffuse, intensified or channelized.
    """
    # Local: the analysis loads the landscape builders, geopandas and matplotlib (+0.8 s, as the other analyses).
    from corridors import programme
    from corridors.analyses.omniscape import run_programme_omniscape

    if block_size is not None and block_size % 2 == 0:
        raise click.BadParameter(f"{block_size} is even; a block has a centre cell, give an odd number.", param_hint="--block-size")
    result = run_programme_omniscape(
        resolution_m=(resolution_km or programme.NETWORK_RESOLUTION_M / 1000) * 1000,
        radius_m=(radius_km or programme.OMNISCAPE_RADIUS_M / 1000) * 1000,
        block_size=block_size or programme.OMNISCAPE_BLOCK_SIZE, workers=workers)
    written = result.write(outdir, map=not no_map)
    if not is_quiet(ctx):
        print_programme_omniscape(result, written)


def print_programme_omniscape(result, written: list[Path]) -> None:
    """Print the flow classes and the files written (``corridors omniscape programme``, ``corridors programme``)."""
    p = result.parameters
    click.echo(f"omniscape on the programme landscape: {result.targets:,} targets, radius {p['radius_m'] / 1000:g} km, "
               f"blocks of {p['block_size']}, cells of {p['resolution_m'] / 1000:g} km")
    for _, r in result.class_table.iterrows():
        click.echo(f"  {r['class']:<12} {r['land_pct']:6.2f} % of land  {r['current_pct']:6.2f} % of current")
    for f in written:
        click.echo(f"  {f}")
