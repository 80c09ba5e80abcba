"""``corridors circuit``: run Circuitscape INI jobs, pinch points and centrality of the programme's linkages."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from corridors.cli._options import CIRCUIT_MEMORY_HELP, memory_limit_opt, memory_limit_option, outdir_option


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

    Paths inside the INI are relative to the current directory, as in
    Circuitscape. Outputs carry Circuitscape's names and formats and are
    written next to output_file only when the whole job succeeded.
    """
    # Imported when the command runs: corridors.circuit (scipy.sparse, pyamg) adds about 0.2 s
    # to the start-up of every corridors command (measured), and this is the only one using it.
    from corridors.circuit import read_ini, run_job
    from corridors.circuit.solve import DEFAULT_RTOL

    if max_memory_gb is not None:
        if memory_limit is not None:
            raise click.UsageError("--max-memory-gb is the old spelling of --memory-limit; give --memory-limit only.", ctx)
        click.echo(f"warning: --max-memory-gb is deprecated and goes in the next release; write --memory-limit {max_memory_gb:g}GB.",
                   err=True)
        memory_limit = int(max_memory_gb * 2**30)
    quiet = _quiet(ctx)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        job = read_ini(ini)
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    if quiet:
        files = run_job(job, rtol=rtol or DEFAULT_RTOL, memory_limit=memory_limit)
    else:
        from rich.console import Console

        with Console(stderr=True).status(f"{job.scenario} ({job.data_type}): solving {job.habitat_file} ..."):
            files = run_job(job, rtol=rtol or DEFAULT_RTOL, memory_limit=memory_limit)
    if not quiet:
        click.echo(f"{job.scenario} ({job.data_type}): wrote {len(files)} file(s) to {job.output_file.parent or Path('.')}")
        for f in files:
            click.echo(f"  {f}")


def _quiet(ctx: click.Context) -> bool:
    return bool((ctx.find_root().obj or {}).get("quiet"))


def _write_csv(df, path: Path) -> Path:
    from corridors.io import atomic_path

    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


_resistance_opt = click.option("--resistance", "resistance_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                               help="A resistance GeoTIFF/ASCII grid in the working CRS (default: built from data/resistance.yml at 1 km).")
_truncate_opt = click.option("--truncate", type=float, default=200_000.0, show_default=True,
                             help="Corridor width of the least-cost run, cost-weighted metres.")
_radius_opt = click.option("--core-radius-km", type=float, default=5.0, show_default=True, help="Radius of the core around a point site.")


@circuit_cmd.command("pinch")
@outdir_option(Path("out/pinch"), "Output folder: pinchpoints.tif, pinch_linkages.csv, pinch.gpkg, pinch_map.png/.svg.")
@_resistance_opt
@_truncate_opt
@click.option("--cutoff", type=float, default=None,
              help="Corridor width for the circuit run (Linkage Mapper's CWD cutoff), cost-weighted metres; default --truncate.")
@_radius_opt
@click.option("--no-map", is_flag=True, help="Skip the map.")
@memory_limit_opt
@click.pass_context
def pinch_cmd(ctx: click.Context, outdir: Path, resistance_path: Path | None, truncate: float, cutoff: float | None,
              core_radius_km: float, no_map: bool, memory_limit: int | None = None) -> None:
    """Pinch points of the programme's candidate corridors (Linkage Mapper's Pinchpoint Mapper).

    Maps the least-cost corridors the work programme names (corridors
    linkages), then drives 1 A between the two ends of each corridor
    through the corridor alone (Circuitscape pairwise, ends as focal
    regions). Bright cells on the map are pinch points: the current has no
    way around them. The table gives each corridor's effective resistance
    and Linkage Mapper's CWD : effective-resistance ratio.
    """
    from corridors import lcp, settings
    from corridors.circuit.pinch import pinch_points, plot_pinch_points
    from corridors.io import write_geopackage
    from corridors.raster import Raster

    quiet = _quiet(ctx)
    resistance = Raster.read(resistance_path) if resistance_path is not None else None
    links = lcp.programme_corridors(resistance, core_radius_m=core_radius_km * 1000, truncate_m=truncate, quiet=quiet,
                                    memory_limit=memory_limit)
    result = pinch_points(links, cutoff_m=cutoff if cutoff is not None else truncate)
    table = result.table
    extra = [c for c in ("corridor", "measure", "name") if c in links.linkages.columns]
    if extra:
        table = links.linkages[extra].reset_index(drop=True).join(table)
    gdf = links.linkages.reset_index(drop=True).copy()
    for col in ("eff_resist", "cwd_to_eff_resist", "max_current"):
        gdf[col] = result.table[col].to_numpy()
    written = [
        result.current.write(outdir / "pinchpoints.tif", dtype="float32"),
        _write_csv(table, outdir / "pinch_linkages.csv"),
        write_geopackage(outdir / "pinch.gpkg", {"linkages": gdf, "cores": links.cores}),
    ]
    if not no_map and result.current.crs is not None and result.current.crs == settings.WORKING_CRS:
        from corridors import plot

        fig, _ = plot_pinch_points(result, links, title="Pinch points of the programme's candidate corridors (1 A per corridor)")
        written.extend(plot.save_figure(fig, outdir / "pinch_map", formats=("png", "svg"), dpi=200))
    if not quiet:
        _print(table, ["corridor", "core_a", "core_b", "cwd_m", "eff_resist", "cwd_to_eff_resist", "max_current"],
               "pinch points (eff_resist in cell-resistance units; max_current in A of 1 A)")
        for p in written:
            click.echo(str(p))


@circuit_cmd.command("centrality")
@outdir_option(Path("out/centrality"), "Output folder: centrality.gpkg, centrality_cores.csv, centrality_linkages.csv, centrality_map.png/.svg.")
@click.option("--network", "kinds", default="subpopulation", show_default=True, metavar="KIND[,KIND]",
              help="Cores: the bundled sites of these kinds.")
@click.option("--cores", "cores_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Your core areas (GeoJSON/GPKG/SHP) instead of the bundled sites.")
@click.option("--id-field", default="id", show_default=True, help="Column of core ids in --cores.")
@click.option("--weight", type=click.Choice(["cwd", "eff_resist"]), default="cwd", show_default=True,
              help="Link resistance: cost-weighted distance (Linkage Mapper's default) or the corridor's effective resistance.")
@_resistance_opt
@_truncate_opt
@_radius_opt
@click.option("--no-map", is_flag=True, help="Skip the map.")
@memory_limit_opt
@click.pass_context
def centrality_cmd(ctx: click.Context, outdir: Path, kinds: str, cores_path: Path | None, id_field: str, weight: str,
                   resistance_path: Path | None, truncate: float, core_radius_km: float, no_map: bool,
                   memory_limit: int | None = None) -> None:
    """Current-flow centrality of the linkage network (Linkage Mapper's Centrality Mapper).

    Builds the least-cost linkage network between the cores (by default the
    13 coded subpopulations), then runs Circuitscape's network pairwise mode
    with every core as a focal node and each linkage a resistor (its
    cost-weighted distance). cf_central is the cumulative current through
    each core and linkage (Linkage Mapper's CF_Central); cf_betweenness
    leaves out the current a core carries as a source or ground itself.
    """
    from corridors import landscape, lcp, settings
    from corridors.circuit.pinch import (
        linkage_centrality,
        pinch_points,
        plot_centrality,
    )
    from corridors.io import write_geopackage
    from corridors.raster import Raster

    quiet = _quiet(ctx)
    if cores_path is not None:
        from corridors.cli.lcp import read_cores

        cores = read_cores(cores_path, id_field, core_radius_km)
    else:
        from corridors.sites import load_sites

        cores = lcp.cores_from_sites(load_sites(), radius_m=core_radius_km * 1000, kinds=[k.strip() for k in kinds.split(",") if k.strip()])
    if resistance_path is not None:
        resistance = Raster.read(resistance_path)
    else:
        resistance = landscape.build_resistance(bounds=landscape.bounds_around(cores, 150_000.0), resolution=settings.DEFAULT_RESOLUTION_M)
    links = lcp.build_linkages(resistance, cores, truncate_m=truncate, quiet=quiet, memory_limit=memory_limit)
    col = "cwd_m"
    if weight == "eff_resist":
        pp = pinch_points(links)
        links.linkages = links.linkages.reset_index(drop=True)
        links.linkages["eff_resist"] = pp.table["eff_resist"].to_numpy()
        col = "eff_resist"
    core_out, link_out = linkage_centrality(links, weight=col)
    written = [
        write_geopackage(outdir / "centrality.gpkg", {"cores": core_out, "linkages": link_out}),
        _write_csv(core_out.drop(columns=core_out.geometry.name), outdir / "centrality_cores.csv"),
        _write_csv(link_out.drop(columns=link_out.geometry.name), outdir / "centrality_linkages.csv"),
    ]
    if not no_map and resistance.crs is not None and resistance.crs == settings.WORKING_CRS:
        from corridors import plot

        fig, _ = plot_centrality(core_out, link_out, title=f"Current-flow centrality of {len(core_out)} cores and {len(link_out)} linkages")
        written.extend(plot.save_figure(fig, outdir / "centrality_map", formats=("png", "svg"), dpi=200))
    if not quiet:
        _print(core_out.sort_values("cf_central", ascending=False), ["core_id", "cf_central", "cf_betweenness", "component"],
               "current-flow centrality of the cores (cumulative A)")
        for p in written:
            click.echo(str(p))


def _print(df, cols: list[str], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    cols = [c for c in cols if c in df.columns]
    for c in cols:
        t.add_column(c)
    for _, r in df.iterrows():
        t.add_row(*[f"{r[c]:,.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols])
    Console(width=140).print(t)
