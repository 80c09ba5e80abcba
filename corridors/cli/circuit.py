"""``corridors circuit``: run Circuitscape INI jobs, pinch points and centrality of the programme's linkages."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from corridors._errors import ConfigError
from corridors.cli._options import (
    CIRCUIT_MEMORY_HELP,
    core_radius_option,
    cores_option,
    format_number,
    id_field_option,
    is_quiet,
    memory_limit_opt,
    memory_limit_option,
    no_map_option,
    outdir_option,
    resistance_option,
    site_kinds_option,
    truncate_option,
)

if TYPE_CHECKING:  # the analyses load the heavy libraries; commands import them when they run
    from corridors.analyses.centrality import CentralityAnalysis
    from corridors.analyses.pinch import PinchAnalysis

# Imported inside the command that uses them, each with its measured cost on top of `import corridors.cli`
# (best of 3; `corridors --help` takes about 1.0 s): corridors.circuit (scipy.sparse, pyamg) +0.18 s,
# corridors.analyses.pinch +0.81 s, corridors.analyses.centrality +0.80 s (geopandas layers, rasterio, matplotlib).


@click.group("circuit")
def circuit_cmd() -> None:
    """Circuit theory (Circuitscape-compatible): INI jobs, pinch points, centrality."""


@circuit_cmd.command("run")
@click.argument("ini", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rtol", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Relative residual of the AMG-preconditioned CG (default 1e-9).")
@memory_limit_option(CIRCUIT_MEMORY_HELP)
@click.option("--max-memory-gb", type=click.FloatRange(min=0, min_open=True), default=None, hidden=True,
              help="Deprecated spelling of --memory-limit (in GiB); goes in the next release.")
@click.pass_context
def run_cmd(ctx: click.Context, ini: Path, rtol: float | None, memory_limit: int | None, max_memory_gb: float | None) -> None:
    """Run a Circuitscape INI job (raster or network; pairwise, one-to-all, all-to-one, advanced).

    The INI is read as Circuitscape.jl reads it and the job solved as it
    solves it (its verification jobs give its numbers). Paths inside the INI
    are relative to the current directory, as in Circuitscape. Outputs carry
    Circuitscape's names and formats and are written next to output_file only
    when the whole job succeeded. A progress bar counts the solves (-q hides it).
    """
    # Local: corridors.circuit (scipy.sparse, pyamg) +0.18 s to every command's start (see the note above).
    from corridors.circuit import read_ini, run_job
    from corridors.circuit.solve import DEFAULT_RTOL

    if max_memory_gb is not None:
        if memory_limit is not None:
            raise click.UsageError("--max-memory-gb is the old spelling of --memory-limit; give --memory-limit only.", ctx)
        click.echo(f"warning: --max-memory-gb is deprecated and goes in the next release; write --memory-limit {max_memory_gb:g}GB.",
                   err=True)
        memory_limit = int(max_memory_gb * 2**30)
    quiet = is_quiet(ctx)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job = read_ini(ini)
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    with warnings.catch_warnings(record=True) as caught_run:
        warnings.simplefilter("always")
        if quiet:
            files = run_job(job, rtol=rtol or DEFAULT_RTOL, memory_limit=memory_limit)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            what = "solves"
            console = Console(stderr=True)
            # no bar (and no blank line left behind) when stderr is a file or a pipe
            with Progress(TextColumn(f"[bold]{job.scenario} ({job.data_type})"), BarColumn(), MofNCompleteColumn(),
                          TextColumn(what), TimeElapsedColumn(), console=console, transient=True,
                          disable=not console.is_terminal) as bar:
                task = bar.add_task("", total=None)
                files = run_job(job, rtol=rtol or DEFAULT_RTOL, memory_limit=memory_limit,
                                progress=lambda done, total: bar.update(task, completed=done, total=total))
    for w in caught_run:
        click.echo(f"warning: {w.message}", err=True)
    if not quiet:
        click.echo(f"{job.scenario} ({job.data_type}): wrote {len(files)} file(s) to {job.output_file.parent or Path('.')}")
        for f in files:
            click.echo(f"  {f}")


_truncate_opt = truncate_option("Corridor width of the least-cost run, cost-weighted metres.")


@circuit_cmd.command("pinch")
@outdir_option(Path("out/pinch"), "Output folder: pinchpoints.tif, pinch_linkages.csv, pinch.gpkg, pinch_map.png/.svg, provenance.json.")
@resistance_option()
@cores_option("Your core areas (GeoJSON/GPKG/SHP): pinch points of the linkages between them instead of the programme's corridors.")
@id_field_option
@_truncate_opt
@click.option("--cutoff", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Corridor width for the circuit run (Linkage Mapper's CWD cutoff), cost-weighted metres, > 0; default --truncate.")
@core_radius_option
@no_map_option
@memory_limit_opt
@click.pass_context
def pinch_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, cores_path: Path | None, id_field: str,
              truncate: float, cutoff: float | None, core_radius_km: float, no_map: bool, memory_limit: int | None = None) -> None:
    """Pinch points of the programme's candidate corridors, or of the linkages between your cores (Linkage Mapper's Pinchpoint Mapper).

    Maps the least-cost corridors the work programme names (corridors
    linkages), or with --cores the least-cost linkages between your cores
    (as corridors linkages --cores), then drives 1 A between the two ends of
    each corridor through the corridor alone (Circuitscape pairwise, ends as
    focal regions). Bright cells on the map are pinch points: the current has
    no way around them. The table gives each corridor's effective resistance
    and Linkage Mapper's CWD : effective-resistance ratio. The map is drawn in
    the resistance raster's own CRS.
    """
    from corridors.analyses.pinch import run_pinch  # local: +0.81 s to every command's start (see the note above)

    if cores_path is None and ctx.get_parameter_source("id_field") == click.core.ParameterSource.COMMANDLINE:
        raise ConfigError("--id-field: names the id column of --cores; give --cores or drop --id-field.")
    quiet = is_quiet(ctx)
    result = run_pinch(resistance_path, cores=cores_path, id_field=id_field, truncate_m=truncate, cutoff_m=cutoff,
                       core_radius_m=core_radius_km * 1000, memory_limit=memory_limit, quiet=quiet)
    written = result.write(outdir, map=not no_map)
    if not quiet:
        print_pinch(result, written)


def print_pinch(result: PinchAnalysis, written: list[Path]) -> None:
    """Print the pinch step's table and the files it wrote (``corridors circuit pinch``, ``corridors programme``)."""
    _print(result.table, ["corridor", "core_a", "core_b", "cwd_m", "eff_resist", "cwd_to_eff_resist", "max_current"],
           "pinch points (eff_resist in cell-resistance units; max_current in A of 1 A)")
    for p in written:
        click.echo(str(p))


@circuit_cmd.command("centrality")
@outdir_option(Path("out/centrality"), "Output folder: centrality.gpkg, centrality_cores.csv, centrality_linkages.csv, centrality_map.png/.svg, provenance.json.")
@site_kinds_option("subpopulation", "Cores: the bundled sites of these kinds.")
@cores_option()
@id_field_option
@click.option("--weight", type=click.Choice(["cwd", "eff_resist"]), default="cwd", show_default=True,
              help="Link resistance: cost-weighted distance (Linkage Mapper's default) or the corridor's effective resistance.")
@resistance_option()
@_truncate_opt
@core_radius_option
@click.option("--max-exchange-km", type=click.FloatRange(min=0), default=None,
              help="Link populations on different river systems only within this least-cost distance (cost-weighted "
              "km; default 300, corridors.programme.MAX_EXCHANGE_CWD_M); one river system is always linked.")
@click.option("--all-linkages", is_flag=True, help="Link every pair of the least-cost network, however far (Linkage Mapper's network as built).")
@no_map_option
@memory_limit_opt
@click.pass_context
def centrality_cmd(ctx: click.Context, outdir: Path, kinds: str, cores_path: Path | None, id_field: str, weight: str,
                   resistance_path: Path | None, truncate: float, core_radius_km: float, max_exchange_km: float | None,
                   all_linkages: bool, no_map: bool, memory_limit: int | None = None) -> None:
    """Current-flow centrality of the linkage network (Linkage Mapper's Centrality Mapper).

    Builds the least-cost linkage network between the cores (by default the
    13 coded subpopulations), then runs Circuitscape's network pairwise mode
    with every core as a focal node and each linkage a resistor (its
    cost-weighted distance). cf_central is the cumulative current through
    each core and linkage (Linkage Mapper's CF_Central); cf_betweenness
    leaves out the current a core carries as a source or ground itself.
    Only populations that can exchange deer are linked: one river system,
    or within --max-exchange-km of least-cost distance.
    """
    # Local: +0.80 s to every command's start (see the note above).
    from corridors.analyses.centrality import run_centrality
    from corridors.programme import MAX_EXCHANGE_CWD_M

    quiet = is_quiet(ctx)
    result = run_centrality(cores_path, id_field=id_field, kinds=[k.strip() for k in kinds.split(",") if k.strip()],
                            resistance=resistance_path, weight=weight, truncate_m=truncate, core_radius_m=core_radius_km * 1000,
                            max_exchange_cwd_m=None if all_linkages else MAX_EXCHANGE_CWD_M if max_exchange_km is None
                            else max_exchange_km * 1000.0,
                            memory_limit=memory_limit, quiet=quiet)
    written = result.write(outdir, map=not no_map)
    if not quiet:
        print_centrality(result, written)


def print_centrality(result: CentralityAnalysis, written: list[Path]) -> None:
    """Print the centrality step's cores and the files it wrote (``corridors circuit centrality``, ``corridors programme``)."""
    _print(result.cores.sort_values("cf_central", ascending=False), ["core_id", "cf_central", "cf_betweenness", "component"],
           "current-flow centrality of the cores (cumulative A)")
    for p in written:
        click.echo(str(p))


def _print(df, cols: list[str], title: str) -> None:
    t = Table(title=title)
    cols = [c for c in cols if c in df.columns]
    for c in cols:
        t.add_column(c)
    for _, r in df.iterrows():
        t.add_row(*[format_number(r[c]) if isinstance(r[c], float) else str(r[c]) for c in cols])
    Console(width=140).print(t)
