"""The ``corridors resistance`` and ``corridors linkages`` commands: landscape rasters and least-cost corridors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from corridors._errors import ConfigError
from corridors.cli._options import (
    core_radius_option,
    cores_option,
    format_number,
    id_field_option,
    input_file_option,
    is_quiet,
    memory_limit_opt,
    no_map_option,
    outdir_option,
    resistance_option,
    resolution_option,
    site_kinds_option,
    truncate_option,
)

if TYPE_CHECKING:
    from corridors.analyses.linkages import LinkagesRun

# corridors.analyses.linkages is imported inside the two commands: at module level it loads matplotlib and the
# plot package into every `corridors` command, --help included (measured, best of 3: +0.68 s on top of
# `import corridors.cli`, whose `corridors --help` takes about 1.0 s).


def _parse_sets(values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values:
        key, sep, num = v.partition("=")
        if not sep:
            raise ConfigError(f"--set {v!r}: write KEY=VALUE, e.g. --set desert=120 or --set TKM-UZB=50.")
        try:
            value = float(num)
        except ValueError:
            raise ConfigError(f"--set {v!r}: the value must be a number, e.g. --set TKM-UZB=50.") from None
        if not (0 < value < math.inf):
            # named here: the table's own check would blame "overrides, field 'resistance'" and the resistance table
            raise ConfigError(f"--set {v!r}: a resistance must be a finite number > 0 (cost per metre), e.g. "
                              f"--set {key.strip()}=120; for a nearly impassable class give a large one such as 10000.")
        out[key.strip()] = value
        # Local: corridors.landscape (geopandas) costs +0.6 s at the start of every command; only --set needs it.
        from corridors.landscape import CLASSES

        k = key.strip()
        if k not in CLASSES and k != "default" and not (len(k) == 7 and k[3] == "-" and k.replace("-", "").isalpha()):
            raise ConfigError(f"--set {v!r}: {k!r} is neither a class ({', '.join(CLASSES)}) nor a border id like TKM-UZB.")
    return out


def _parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """West,south,east,north in degrees -> working-CRS metres."""
    if bbox is None:
        return None
    try:
        w, s, e, n = (float(x) for x in bbox.split(","))
    except ValueError:
        raise ConfigError(f"--bbox {bbox!r}: give four numbers WEST,SOUTH,EAST,NORTH in degrees, e.g. 58,36,70,44.") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise ConfigError(f"--bbox {bbox!r}: need west < east and south < north, in degrees.")
    from corridors.raster import degree_bounds  # local: corridors.raster (rasterio) +0.07 s at every command's start

    return degree_bounds((w, s, e, n))


_table_opt = input_file_option(
    "--table", "table", "Resistance table (YAML like data/resistance.yml); default: the bundled expert table.")
_set_opt = click.option(
    "--set", "sets", multiple=True, metavar="KEY=VALUE",
    help="Replace one resistance of the table: a class (desert=120) or a border id (TKM-UZB=50). Repeatable.",
)
_bbox_opt = click.option("--bbox", default=None, metavar="W,S,E,N", help="Extent in degrees (default: the programme extent).")


@click.command("resistance")
@outdir_option(Path("out/landscape"), "Output folder.")
@_table_opt
@_set_opt
@resolution_option()
@_bbox_opt
@input_file_option("--landcover", "landcover", "Your land-cover GeoTIFF (a projected CRS is kept); needs --reclass.")
@input_file_option("--reclass", "reclass", "CSV (class,resistance) or YAML mapping for --landcover.")
@input_file_option("--raster", "raster", "Your resistance GeoTIFF or ASCII grid; a projected CRS and its cells are kept "
                   "(--resolution, --bbox resample it), one in degrees is reprojected onto the working grid.")
@click.option("--format", "fmt", type=click.Choice(["tif", "asc"]), default="tif", show_default=True,
              help="GeoTIFF or ESRI ASCII grid (Circuitscape reads both).")
@click.pass_context
def resistance_cmd(ctx: click.Context, outdir: Path, table: Path | None, sets: tuple[str, ...], resolution: float | None,
                   bbox: str | None, landcover: Path | None, reclass: Path | None, raster: Path | None, fmt: str) -> None:
    """Write the resistance, habitat-suitability and landscape-class rasters.

    By default they are built from the bundled vector layers with the expert
    table data/resistance.yml (riparian 1 ... lakes 800, one crossing value
    per national border). With --landcover and --reclass, or --raster, your
    own data are used instead: in a projected CRS they keep it, their extent
    and cell size (unless --bbox or --resolution); in degrees they are
    reprojected onto the working grid (Albers, metres), with a warning; a
    raster without a CRS is refused. No data stays impassable. Every file is
    written atomically, float grids with no data -9999.
    """
    if landcover is not None or raster is not None:
        if landcover is not None and raster is not None:
            raise ConfigError("--landcover and --raster: give one of them, not both.")
        if landcover is not None and reclass is None:
            raise ConfigError(f"--landcover {landcover}: needs --reclass, the table of class -> resistance.")
        if sets or table:
            raise ConfigError("--table/--set apply to the bundled model only; edit your reclass table instead.")
    elif reclass is not None:
        raise ConfigError("--reclass: only used with --landcover.")
    from corridors.analyses.linkages import run_resistance  # local: +0.68 s, see the note on imports above

    run = run_resistance(bounds=_parse_bbox(bbox), resolution_m=resolution, table=table, overrides=_parse_sets(sets),
                         landcover=landcover, reclass=reclass, raster=raster, fmt=fmt)
    paths = run.write(outdir)
    if not is_quiet(ctx):
        for p in paths.values():
            click.echo(str(p))


@click.command("linkages")
@outdir_option(Path("out/linkages"), "Output folder: linkages.gpkg (cores, linkages, paths), linkages.csv, corridors.tif, map, provenance.json.")
@resistance_option("A resistance GeoTIFF/ASCII grid to use as is (default: built from the table).")
@_table_opt
@_set_opt
@resolution_option()
@cores_option("Your core areas (GeoJSON/GPKG/SHP): a Linkage Mapper run between them instead of the programme's corridors.")
@id_field_option
@site_kinds_option(None, "A Linkage Mapper run between the bundled sites of these kinds, e.g. subpopulation,protected_area.")
@core_radius_option
@click.option("--max-euclid-km", type=float, default=None, help="Drop linkages longer than this, edge to edge (network runs).")
@click.option("--max-cwd", type=float, default=None, help="Drop linkages costlier than this, in cost-weighted metres (network runs).")
@truncate_option()
@click.option("--adjacency", type=click.Choice(["cost", "euclidean", "both", "all"]), default="both", show_default=True,
              help="Which core pairs are candidate linkages (network runs).")
@click.option("--keep-through-cores", is_flag=True, help="Keep linkages whose path crosses a third core (listed in through_cores).")
@no_map_option
@memory_limit_opt
@click.pass_context
def linkages_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, table: Path | None, sets: tuple[str, ...],
                 resolution: float | None, cores_path: Path | None, id_field: str, kinds: str | None, core_radius_km: float,
                 max_euclid_km: float | None, max_cwd: float | None, truncate: float, adjacency: str,
                 keep_through_cores: bool, no_map: bool, memory_limit: int | None = None) -> None:
    """Least-cost linkages and normalized corridors (Linkage Mapper parity).

    Without --cores or --network: the candidate corridors the work programme
    names (measures 2.1, 2.5, 2.9, 3.1, 4.2, 5.7, 6.4, 7.4), with their
    cost-weighted distance, path length, ratios, narrowest width and the
    borders they cross. Distances are in cost-weighted metres (resistance x
    metres), as Linkage Mapper reports them. --memory-limit bounds each
    cost-distance run (large rasters then take the lean row sweep).
    """
    quiet = is_quiet(ctx)
    if core_radius_km < 0:
        raise ConfigError(f"--core-radius-km {core_radius_km}: must be >= 0.")
    if cores_path is not None and kinds is not None:
        raise ConfigError("--cores and --network: give one of them, not both.")
    if resistance_path is not None and (table or sets or resolution):
        raise ConfigError("--resistance is used as is; drop --table/--set/--resolution or drop --resistance.")
    # Options of one kind of run given to the other used to be ignored in silence.
    given = given_options(ctx)
    if cores_path is None and kinds is None:
        network_only = [flag for name, flag in (("max_euclid_km", "--max-euclid-km"), ("max_cwd", "--max-cwd"),
                                                ("adjacency", "--adjacency"), ("keep_through_cores", "--keep-through-cores"))
                        if name in given]
        if network_only:
            raise ConfigError(f"{', '.join(network_only)}: only for network runs (--cores or --network); "
                              "the programme's corridors are always all mapped.")
    if cores_path is None and "id_field" in given:
        raise ConfigError("--id-field: names the id column of --cores; give --cores or drop --id-field.")
    kind_list = None
    if kinds is not None:
        from corridors.sites import KINDS  # local: corridors.sites (geopandas) +0.35 s at every command's start

        kind_list = [k.strip() for k in kinds.split(",") if k.strip()]
        unknown = [k for k in kind_list if k not in KINDS]
        if unknown or not kinds.strip(", "):
            raise ConfigError(f"--network {kinds!r}: {'unknown kind ' + repr(unknown[0]) if unknown else 'no kind given'}; "
                              f"give kinds of the sites, comma-separated, from {', '.join(KINDS)}.")
    from corridors.analyses.linkages import run_linkages  # local: +0.68 s, see the note on imports above

    run = run_linkages(
        resistance_path, cores=cores_path, id_field=id_field, kinds=kind_list, resolution_m=resolution, table=table,
        overrides=_parse_sets(sets), core_radius_km=core_radius_km, truncate_m=truncate, max_euclid_km=max_euclid_km,
        max_cwd_m=max_cwd, adjacency=adjacency, drop_through_cores=not keep_through_cores, draw_map=not no_map, quiet=quiet,
        memory_limit=memory_limit,
    )
    paths = run.write(outdir)
    if not quiet:
        print_linkages(run, paths)


def print_linkages(run: LinkagesRun, paths: dict) -> None:
    """Print the linkages table and the files written (``corridors linkages``, ``corridors programme``)."""
    _print_table(run)
    for p in paths.values():
        click.echo(str(p))


def given_options(ctx: click.Context) -> set[str]:
    """Names of the options the user typed (or set in the environment), not defaults.

    A step run by ``corridors programme`` through ``ctx.invoke`` has no parameter
    source at all and so counts as given nothing.

    Parameters
    ----------
    ctx : click.Context
        The context of the running command.

    Returns
    -------
    set of str
        Parameter names (``adjacency``, ``conefor_kind``, ...).
    """
    typed = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    return {name for name in ctx.params if ctx.get_parameter_source(name) in typed}


def _print_table(run: LinkagesRun) -> None:
    result = run.result
    links = result.linkages
    t = Table(title="least-cost linkages (distances in km; CWD in cost-weighted km)")
    has_key = "corridor" in links.columns
    cols = (["corridor", "measure"] if has_key else []) + ["from", "to", "euclid", "CWD", "path", "CWD:euclid", "CWD:path", "min width", "borders crossed"]
    for c in cols:
        t.add_column(c, justify="right" if c not in ("from", "to", "borders crossed", "corridor") else "left")
    for _, r in links.iterrows():
        vals = ([r["corridor"], r["measure"]] if has_key else []) + [
            r["core_a"], r["core_b"], *(format_number(r[c] / 1000) for c in ("euclid_m", "cwd_m", "lcp_length_m")),
            format_number(r["cwd_to_euclid"]), format_number(r["cwd_to_path"]), format_number(r["min_width_m"] / 1000),
            ", ".join(r["borders"]) or "-",
        ]
        t.add_row(*[str(v) for v in vals])
    console = Console(width=max(150, Console().width))
    console.print(t)
    if len(result.dropped):
        console.print(f"{len(result.dropped)} candidate linkage(s) dropped (see provenance.json):")
        for _, d in result.dropped.head(10).iterrows():
            console.print(f"  {d['core_a']} - {d['core_b']}: {d['reason']}")
