"""``corridors restore``: where restoring cells would raise connectivity most (Barrier Mapper, circuit sensitivity, Linkage Priority)."""

from __future__ import annotations

import click


@click.group("restore")
def restore_cmd() -> None:
    """Where to restore: score every cell by the connectivity its restoration would bring.

    barriers: Linkage Mapper's Barrier Mapper (drop in least-cost distance per
    unit restored); sensitivity: derivative of effective resistance (and EC)
    with respect to each cell's conductance; priority: Linkage Mapper 3's
    Linkage Priority; sites: ranked restoration sites from a score surface.
    """



# ----------------------------------------------------------------------------- restore sensitivity (issue 15, part 2)
from pathlib import Path  # noqa: E402  (the sensitivity command's block; the group above stays as written)

from corridors.cli._options import (  # noqa: E402
    core_radius_option,
    cores_option,
    id_field_option,
    memory_limit_opt,
    outdir_option,
    resistance_option,
    truncate_option,
)


@restore_cmd.command("sensitivity")
@outdir_option(Path("out/sensitivity"), "Output folder: sensitivity_<measure>.tif (summed over corridors; per corridor with "
               "--per-pair), sensitivity_corridors.csv, sensitivity_top_cells.csv, sensitivity_ec_links.csv, provenance.json.")
@resistance_option()
@cores_option("Your core areas (GeoJSON/GPKG/SHP): the linkages between them instead of the programme's corridors.")
@id_field_option
@click.option("--measure", type=click.Choice(["resistance", "lcd", "ec", "all"]), default="all", show_default=True,
              help="Gain of effective resistance (-dR/dc), least-cost distance (-dLCD/dc) or the network's EC (dEC/dc); all: each.")
@click.option("--per-pair", is_flag=True, help="Also write one GeoTIFF per corridor and measure.")
@truncate_option("Corridor width of the least-cost run, cost-weighted metres.")
@click.option("--cutoff", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Corridor width of the circuit run (Linkage Mapper's CWD cutoff), cost-weighted metres; default --truncate.")
@core_radius_option
@click.option("--median-dispersal-km", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Distance at which a link's probability is 0.5 (measure ec).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Cells of highest summed gain to print.")
@memory_limit_opt
@click.pass_context
def sensitivity_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, cores_path: Path | None, id_field: str,
                    measure: str, per_pair: bool, truncate: float, cutoff: float | None, core_radius_km: float,
                    median_dispersal_km: float, top: int, memory_limit: int | None = None) -> None:
    """Per-cell sensitivity: where raising conductance lowers each corridor's resistance, or raises EC, most.

    Maps the least-cost corridors (the programme's, or with --cores the
    linkages between your cores, as corridors circuit pinch), drives 1 A
    through each, and from those voltages alone (the adjoint, no solve per
    cell) gives each cell's gain from raising its conductance 1/r: -dR/dc of
    the corridor's effective resistance, -dLCD/dc along its least-cost path,
    dEC/dc of the network of cores joined by the corridors. Higher = a better
    place to restore. Sums over the corridors, with the corridor that gives
    each top cell most of its gain.
    """
    # Local: corridors.analyses.sensitivity loads geopandas, rasterio, scipy and the circuit engine (about +0.8 s to every
    # command's start, as corridors.analyses.pinch; see corridors/cli/circuit.py).
    from corridors._errors import ConfigError
    from corridors.analyses.sensitivity import run_sensitivity
    from corridors.cli._options import is_quiet

    if cores_path is None and ctx.get_parameter_source("id_field") == click.core.ParameterSource.COMMANDLINE:
        raise ConfigError("--id-field: names the id column of --cores; give --cores or drop --id-field.")
    quiet = is_quiet(ctx)
    result = run_sensitivity(resistance_path, cores=cores_path, id_field=id_field, measures=measure, per_pair=per_pair,
                             truncate_m=truncate, cutoff_m=cutoff, core_radius_m=core_radius_km * 1000,
                             median_dispersal_m=median_dispersal_km * 1000, memory_limit=memory_limit, quiet=quiet)
    written = result.write(outdir)
    if not quiet:
        print_sensitivity(result, written, top)


def print_sensitivity(result, written, top: int = 10) -> None:
    """Print the corridors' gains, the top cells and the files written (``corridors restore sensitivity``)."""
    # Local: rich's tables are only needed once a command has run (as in corridors/cli/circuit.py).
    from rich.console import Console
    from rich.table import Table

    from corridors.cli._options import format_number

    def show(df, cols, title):
        t = Table(title=title)
        cols = [c for c in cols if c in df.columns]
        for c in cols:
            t.add_column(c)
        for _, r in df.iterrows():
            t.add_row(*[format_number(r[c]) if isinstance(r[c], float) else str(r[c]) for c in cols])
        Console(width=160).print(t)

    table = result.table
    cols = ["corridor", "core_a", "core_b", "eff_resist", "cwd_m"] + [f"{m}_max_gain" for m in result.results]
    show(table, cols, "largest gain per corridor (gain from raising conductance 1/r: higher = better to restore)")
    for m in result.results:
        show(result.top_cells(top, m), ["rank", "lon", "lat", "gain", "corridor"], f"top cells, {m}")
    for p in written:
        click.echo(str(p))
