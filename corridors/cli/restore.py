"""``corridors restore``: where restoring cells would raise connectivity most (Barrier Mapper, circuit sensitivity, Linkage Priority)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from corridors._errors import ConfigError
from corridors.cli._options import (
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


@click.group("restore")
def restore_cmd() -> None:
    """Where to restore: score every cell by the connectivity its restoration would bring.

    barriers: Linkage Mapper's Barrier Mapper (drop in least-cost distance per
    unit restored); sensitivity: derivative of effective resistance (and EC)
    with respect to each cell's conductance; priority: Linkage Mapper 3's
    Linkage Priority; sites: ranked restoration sites with their exact gain
    (a step of the main job).
    """


# ----------------------------------------------------------------------------- restore priority (Linkage Mapper 3's Linkage Priority)

# corridors.restore.priority (WEIGHT_OPTIONS, PriorityWeights) loads the circuit and least-cost engines; the command imports it
# when it runs, so the option table below is spelled out here (tests/test_restore_priority.py checks it against the engine's).
_PRIORITY_WEIGHTS = (
    ("resistance", "--w-resistance", "CAV: resistance weight (RW), mean resistance inside the core, lower is better", 1.0),
    ("size", "--w-size", "CAV: size weight (SW), core area", 1.0),
    ("area_perimeter", "--w-area-perimeter", "CAV: area/perimeter weight (APW), core compactness", 1.0),
    ("expert_core", "--w-expert-core", "CAV: expert core area value weight (ECAVW), the values of --core-value-field "
     "[default: 1 with --core-value-field, else 0]", None),
    ("centrality", "--w-centrality", "CAV: current flow centrality weight (CFCW), the core's current-flow centrality "
     "in the linkage network", 1.0),
    ("closeness", "--w-closeness", "CSP: relative closeness weight, closeness of the cell to the corridor's least-cost path", 1.0),
    ("permeability", "--w-permeability", "CSP: relative permeability weight, the linkage's least-cost distance, lower is better", 1.0),
    ("core_value", "--w-core-value", "CSP: core area value weight, mean CAV of the linkage's two cores", 1.0),
    ("csp", "--w-csp", "blended priority: corridor-specific priority weight", 1.0),
    ("trunk", "--w-trunk", "blended priority: trunk priority weight (near the least-cost paths of the strongest linkages)", 1.0),
)


def _priority_weight_options(f):
    for name, flag, help_text, default in reversed(_PRIORITY_WEIGHTS):
        f = click.option(flag, f"w_{name}", type=click.FloatRange(min=0), default=default, show_default=default is not None,
                         help=f"Linkage Mapper 3 {help_text}; >= 0.")(f)
    return f


@restore_cmd.command("priority")
@outdir_option(Path("out/priority"), "Output folder: priority.tif, priority_csp.tif, priority_trunk.tif, priority_cores.csv, "
               "priority_linkages.csv, priority_map.png/.svg, provenance.json.")
@resistance_option()
@cores_option("Your core areas (GeoJSON/GPKG/SHP): the priority of the linkages between them instead of the programme's corridors.")
@id_field_option
@click.option("--core-value-field", default=None, help="Column of an expert core area value (Linkage Mapper 3's ECAV): in "
              "--cores, or in the sites for the programme's corridors.")
@_priority_weight_options
@truncate_option("Corridor width of the least-cost run and the distance at which relative closeness reaches 0, cost-weighted metres.")
@core_radius_option
@no_map_option
@memory_limit_opt
@click.pass_context
def priority_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, cores_path: Path | None, id_field: str,
                 core_value_field: str | None, truncate: float, core_radius_km: float, no_map: bool, memory_limit: int | None = None,
                 **weights: float | None) -> None:
    """Linkage Priority (Linkage Mapper 3): rank the corridors and score every corridor cell.

    Maps the least-cost corridors the work programme names, or with --cores
    the linkages between your cores, then scores each core (Core Area Value:
    resistance, size, area/perimeter, expert value, centrality), each linkage
    (relative permeability, its cores' value) and each corridor cell
    (relative closeness to the least-cost path), and blends the
    corridor-specific priority with the trunk priority into one 0-1 surface.
    Only the ratios of the weights within a group matter. The map is drawn in
    the resistance raster's own CRS.
    """
    # Local: corridors.analyses.priority (geopandas, rasterio, matplotlib, the engines) adds 2.0 s on top of
    # `import corridors.cli` (best of 3 on the shared machine, where corridors.analyses.pinch measured the same) to every command's start.
    from corridors.analyses.priority import run_priority
    from corridors.restore.priority import PriorityWeights

    if cores_path is None and ctx.get_parameter_source("id_field") == click.core.ParameterSource.COMMANDLINE:
        raise ConfigError("--id-field: names the id column of --cores; give --cores or drop --id-field.")
    w = PriorityWeights(**{k[2:]: v for k, v in weights.items()})
    quiet = is_quiet(ctx)
    result = run_priority(resistance_path, cores=cores_path, id_field=id_field, core_value_field=core_value_field, weights=w,
                          truncate_m=truncate, core_radius_m=core_radius_km * 1000, memory_limit=memory_limit, quiet=quiet)
    written = result.write(outdir, map=not no_map)
    if not quiet:
        print_priority(result, written)


def print_priority(result: Any, written: list[Path]) -> None:
    """Print the priority step's linkages, best first, and the files it wrote."""
    table = result.priority.linkages
    t = Table(title="Linkage Priority (Linkage Mapper 3): linkages best first, scores 0-1, cwd_m in cost-weighted metres")
    cols = [c for c in ("rank", "corridor", "core_a", "core_b", "cwd_m", "rel_permeability", "mean_cav", "priority") if c in table.columns]
    for c in cols:
        t.add_column(c)
    for _, r in table.iterrows():
        t.add_row(*[format_number(r[c]) if isinstance(r[c], float) else str(r[c]) for c in cols])
    Console(width=140).print(t)


# ----------------------------------------------------------------------------- restore sensitivity (issue 15, part 2)


@restore_cmd.command("sensitivity")
@outdir_option(Path("out/sensitivity"), "Output folder: sensitivity_<measure>.tif (summed over corridors; per corridor with "
               "--per-pair), sensitivity_corridors.csv, sensitivity_top_cells.csv, sensitivity_ec_links.csv, "
               "sensitivity_map.png/.svg, provenance.json.")
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
@no_map_option
@memory_limit_opt
@click.pass_context
def sensitivity_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, cores_path: Path | None, id_field: str,
                    measure: str, per_pair: bool, truncate: float, cutoff: float | None, core_radius_km: float,
                    median_dispersal_km: float, top: int, no_map: bool, memory_limit: int | None = None) -> None:
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
    written = result.write(outdir, map=not no_map)
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


# ----------------------------------------------------------------------------- restore barriers (Barrier Mapper)
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


# ----------------------------------------------------------------------------- restore sites (ranked restoration sites)
@restore_cmd.command("sites")
@outdir_option(Path("out/restoration"), "Output folder: restoration_sites.gpkg (sites, border_crossings, corridors), "
               "restoration_sites.csv, border_crossings.csv, barriers.tif, restoration_map.png/.svg, provenance.json "
               "(with --score: restoration_sites.gpkg/.csv and provenance.json).")
@resistance_option()
@cores_option("Your core areas (GeoJSON/GPKG/SHP): sites for the linkages between them instead of the programme's corridors.")
@id_field_option
@click.option("--score", "score_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Rank the patches of any score GeoTIFF instead (barriers.tif, a sensitivity or priority surface): "
                   "area and score only, no corridor or gain.")
@click.option("--radius-km", "radius_km", multiple=True, callback=_radii_km, metavar="KM[,KM]",
              help="Barrier Mapper's search radius, km (repeatable or a comma list); default 1,2,5.")
@click.option("--top-percent", type=click.FloatRange(min=0, max=100, min_open=True), default=5.0, show_default=True,
              help="The best this % of the improving cells (of each kind: habitat, border strip) make the candidate patches.")
@click.option("--max-sites", type=click.IntRange(min=1), default=10, show_default=True, help="Sites kept of each kind, best first.")
@click.option("--per-corridor", type=click.IntRange(min=1), default=2, show_default=True,
              help="At most this many sites of a kind for one corridor.")
@click.option("--robustness", "robustness", type=click.IntRange(min=0), default=0, show_default=True,
              help="Rerun this many times with every class and border resistance of data/resistance.yml times a factor "
                   "log-uniform in [1/2, 2], and write how often each of the best 5 sites holds (about 25 s a draw at 1 km).")
@truncate_option("Corridor width of the least-cost run, cost-weighted metres.")
@core_radius_option
@no_map_option
@memory_limit_opt
@click.pass_context
def sites_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, cores_path: Path | None, id_field: str,
              score_path: Path | None, radius_km: tuple[float, ...] | None, top_percent: float, max_sites: int,
              per_corridor: int, robustness: int, truncate: float, core_radius_km: float, no_map: bool,
              memory_limit: int | None = None) -> None:
    """Ranked restoration sites: where restoring a patch lowers a corridor's least-cost distance most.

    Barrier Mapper scores every cell of the corridors (default: the
    programme's candidate corridors on the bundled surface; with --cores,
    the linkages between your cores on your raster, in its own CRS). The
    best cells are joined into patches and each becomes the circles
    Barrier Mapper would restore round it. Sites whose circles hold a
    national border strip are listed apart as border crossings (their gain
    is the expert crossing cost: measure 1.3). Each site gets the corridor
    and measure it serves, its country, its area and the exact least-cost
    distance before and after it is restored, per hectare. A scenario
    restores the best k with `file: restoration_sites.gpkg` and `top: k`.
    """
    # Local: the analyses load the least-cost engine, geopandas and matplotlib (+0.9 s to every command's start otherwise).
    from corridors.analyses.barriers import DEFAULT_RADII_M, run_barriers
    from corridors.analyses.restoration import resistance_robustness, run_restoration
    from corridors.raster import Raster
    from corridors.restore.sites import restoration_sites, write_sites

    given = [o for o, v in (("--resistance", resistance_path), ("--cores", cores_path), ("--radius-km", radius_km),
                            ("--robustness", robustness)) if v]
    if score_path is not None and given:
        raise ConfigError(f"--score ranks a score raster as it is; {', '.join(given)} would be ignored: drop "
                          f"{'it' if len(given) == 1 else 'them'}, or drop --score to run Barrier Mapper.")
    if cores_path is None and ctx.get_parameter_source("id_field") == click.core.ParameterSource.COMMANDLINE:
        raise ConfigError("--id-field: names the id column of --cores; give --cores or drop --id-field.")
    quiet = is_quiet(ctx)
    if score_path is not None:
        sites = restoration_sites(Raster.read(score_path), top_percent=top_percent, max_sites=max_sites)
        params = {"top_percent": top_percent, "max_sites": max_sites}
        files = write_sites(sites, outdir, inputs={"score": score_path}, parameters=params,
                            rests_on=[f"the score surface {score_path.name}: see its own provenance.json for what it assumes"],
                            command=f"corridors restore sites --score {score_path}")
        if not quiet:
            click.echo(f"restore sites: {len(sites)} site(s) from {score_path.name}" if len(sites) else
                       f"restore sites: no cell of {score_path.name} scores above 0; no site.")
            for _, r in sites.iterrows():
                click.echo(f"  {r['site_id']:<4} {r['n_cells']:>6,} cells  {format_number(r['area_ha'])} ha  "
                           f"best {format_number(r['score_max'])}  at ({format_number(r['x'])}, {format_number(r['y'])})")
            for f in files:
                click.echo(f"  {f}")
        return
    if robustness and resistance_path is not None:
        raise ConfigError("--robustness perturbs the bundled expert table (data/resistance.yml), not a raster of yours: drop "
                          "--robustness or --resistance.")
    radii = DEFAULT_RADII_M if radius_km is None else tuple(k * 1000.0 for k in radius_km)
    barriers = run_barriers(resistance_path, cores=cores_path, id_field=id_field, radii_m=radii, truncate_m=truncate,
                            core_radius_m=core_radius_km * 1000, memory_limit=memory_limit, quiet=quiet)
    result = run_restoration(barriers=barriers, top_percent=top_percent, max_sites=max_sites, per_corridor=per_corridor)
    if robustness:
        result.robustness = resistance_robustness(result, draws=robustness)
        result.parameters["robustness"] = {"draws": robustness, "factor": 2.0, "top": 5, "same_site_m": 10_000.0}
    written = result.write(outdir, map=not no_map)
    if not quiet:
        print_restoration(result, written)


def print_restoration(result: Any, written: list[Path]) -> None:
    """Print the ranked sites and the files written (``corridors restore sites``, ``corridors programme``)."""
    radii = ", ".join(f"{r / 1000:g}" for r in result.barriers.barriers.radii_m)
    click.echo(f"restoration: Barrier Mapper on {len(result.barriers.linkages.linkages)} corridors (radii {radii} km); "
               "LCD in cost-weighted km, before -> after the site is restored")
    for title, table in (("habitat sites", result.sites), ("border crossings (measure 1.3)", result.crossings)):
        click.echo(f"  {title}: {len(table)}")
        for _, r in table.iterrows():
            click.echo(f"    {r['site_id']:<4} {r['corridor']:<6} {r['country']:<4} {format_number(r['area_ha'])} ha  "
                       f"LCD {format_number(r['lcd_before_km'])} -> {format_number(r['lcd_after_km'])} "
                       f"(-{format_number(r['lcd_drop_pct'])} %)  {format_number(r['gain_m_per_ha'])} m/ha")
    if result.robustness is not None:
        click.echo(f"  how often each holds among the best 5 of its kind, over {result.parameters['robustness']['draws']} "
                   "perturbed resistance tables:")
        for _, r in result.robustness.iterrows():
            click.echo(f"    {r['site_id']:<4} {r['corridor']:<6} {format_number(100 * r['p_top'])} %")
    for f in written:
        click.echo(f"  {f}")
