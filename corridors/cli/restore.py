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


# ----------------------------------------------------------------------------- restore barriers (Barrier Mapper)
from pathlib import Path  # noqa: E402  (this block is the barriers command's own; the group above stays as it was)
from typing import TYPE_CHECKING  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from corridors._errors import ConfigError  # noqa: E402
from corridors.cli._options import (  # noqa: E402
    core_radius_option,
    cores_option,
    format_number,
    id_field_option,
    is_quiet,
    memory_limit_opt,
    no_map_option,
    outdir_option,
    resistance_option,
    truncate_option,
)

if TYPE_CHECKING:  # the analysis loads the heavy libraries; the command imports it when it runs
    from corridors.analyses.barriers import BarrierAnalysis


def _radii_km(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[float, ...] | None:
    """``--radius-km 1,2 --radius-km 5`` as (1.0, 2.0, 5.0); a usage error naming the option for a bad value."""
    if not values:
        return None
    out = []
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                f = float(part)
            except ValueError:
                raise click.BadParameter(f"{part!r} is not a number of kilometres; write e.g. --radius-km 1,2,5.", ctx, param) from None
            if not f > 0 or f == float("inf"):
                raise click.BadParameter(f"a search radius must be > 0 km, got {part!r}.", ctx, param)
            out.append(f)
    if not out:
        raise click.BadParameter("give at least one radius, e.g. --radius-km 1,2,5.", ctx, param)
    return tuple(out)


@restore_cmd.command("barriers")
@outdir_option(Path("out/barriers"), "Output folder: barriers.tif, best_radius.tif, barrier_linkages.csv, barriers_map.png/.svg, "
               "provenance.json (and barriers_r<radius>m.tif with --save-radius-rasters).")
@resistance_option()
@cores_option("Your core areas (GeoJSON/GPKG/SHP): Barrier Mapper on the linkages between them instead of the programme's corridors.")
@id_field_option
@click.option("--radius-km", "radius_km", multiple=True, callback=_radii_km, metavar="KM[,KM]",
              help="Search radius of the moving circle, km (repeatable or a comma list), each at least one cell; "
              "default 1,2,5 (on your raster too: give radii that suit its cells).")
@click.option("--restored-resistance", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Resistance of restored cells (the cost per metre of crossing the restored circle), > 0.")
@click.option("--percent", is_flag=True, help="Score as the percentage of the linkage's least-cost distance saved "
              "(Linkage Mapper's percent improvement) instead of the drop per metre restored.")
@click.option("--combine", type=click.Choice(["max", "sum"]), default="max", show_default=True,
              help="How the radii are combined at each cell (max also writes best_radius.tif).")
@click.option("--save-radius-rasters", is_flag=True, help="Also write one score raster per radius (Linkage Mapper's option).")
@truncate_option("Corridor width of the least-cost run, cost-weighted metres.")
@core_radius_option
@no_map_option
@memory_limit_opt
@click.pass_context
def barriers_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, cores_path: Path | None, id_field: str,
                 radius_km: tuple[float, ...] | None, restored_resistance: float, percent: bool, combine: str,
                 save_radius_rasters: bool, truncate: float, core_radius_km: float, no_map: bool,
                 memory_limit: int | None = None) -> None:
    """Barrier Mapper (Linkage Mapper): where restoring a circle of cells lowers a linkage's least-cost distance most.

    For each linkage A-B and radius r, every cell x scores (LCD - min CWD_A
    within r of x - min CWD_B within r of x - 2r x restored resistance) / 2r:
    the drop in least-cost distance per metre restored (--percent: as a
    percentage of LCD). No improvement is 0. Radii are combined by maximum
    (or sum), linkages by maximum. Default: the programme's candidate
    corridors on the bundled surface; with --cores, the linkages between your
    cores on your raster, in its own CRS. The table gives each linkage's best
    circle: its score, the LCD drop, radius and centre.
    """
    # Local: corridors.analyses.barriers (geopandas, rasterio, matplotlib) adds 0.88 s (best of 3) to `import corridors.cli`.
    from corridors.analyses.barriers import DEFAULT_RADII_M, run_barriers

    if cores_path is None and ctx.get_parameter_source("id_field") == click.core.ParameterSource.COMMANDLINE:
        raise ConfigError("--id-field: names the id column of --cores; give --cores or drop --id-field.")
    quiet = is_quiet(ctx)
    radii = DEFAULT_RADII_M if radius_km is None else tuple(k * 1000.0 for k in radius_km)
    result = run_barriers(resistance_path, cores=cores_path, id_field=id_field, radii_m=radii,
                          restored_resistance=restored_resistance, percent=percent, combine=combine, truncate_m=truncate,
                          core_radius_m=core_radius_km * 1000, memory_limit=memory_limit, quiet=quiet)
    written = result.write(outdir, map=not no_map, radius_rasters=save_radius_rasters)
    if not quiet:
        print_barriers(result, written)


def print_barriers(result: BarrierAnalysis, written: list[Path]) -> None:
    """Print the barrier step's table (each linkage's best circle) and the files it wrote."""
    unit = "% of LCD" if result.barriers.percent else "LCD drop per m restored"
    t = Table(title=f"Barrier Mapper: each linkage's best circle (score in {unit}; lcd, lcd_drop in cost-weighted m)")
    cols = [c for c in ("corridor", "core_a", "core_b", "lcd", "score", "lcd_drop", "pct_drop", "radius_m")
            if c in result.table.columns]
    for c in cols:
        t.add_column(c)
    for _, r in result.table.sort_values("score", ascending=False).iterrows():
        t.add_row(*[format_number(r[c]) if isinstance(r[c], float) else str(r[c]) for c in cols])
    Console(width=140).print(t)
    for p in written:
        click.echo(str(p))
