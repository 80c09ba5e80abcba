"""``corridors restore``: where restoring cells would raise connectivity most (Barrier Mapper, circuit sensitivity, Linkage Priority)."""

from __future__ import annotations

from pathlib import Path

import click

from corridors.cli._options import format_number, is_quiet, outdir_option


@click.group("restore")
def restore_cmd() -> None:
    """Where to restore: score every cell by the connectivity its restoration would bring.

    barriers: Linkage Mapper's Barrier Mapper (drop in least-cost distance per
    unit restored); sensitivity: derivative of effective resistance (and EC)
    with respect to each cell's conductance; priority: Linkage Mapper 3's
    Linkage Priority; sites: ranked restoration sites from a score surface.
    """


@restore_cmd.command("sites")
@click.argument("score", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@outdir_option(Path("out/restoration_sites"), "Output folder: restoration_sites.gpkg, restoration_sites.csv, provenance.json.")
@click.option("--top-percent", type=click.FloatRange(min=0, max=100, min_open=True), default=1.0, show_default=True,
              help="Keep the best this % of the cells scoring above 0.")
@click.option("--min-score", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Keep the cells scoring at least this instead of --top-percent.")
@click.option("--min-cells", type=click.IntRange(min=1), default=1, show_default=True, help="Drop patches of fewer cells.")
@click.option("--max-sites", type=click.IntRange(min=1), default=20, show_default=True, help="Keep the best this many sites.")
@click.pass_context
def sites_cmd(ctx: click.Context, score: Path, outdir: Path, top_percent: float, min_score: float | None, min_cells: int,
              max_sites: int) -> None:
    """Ranked restoration sites from a score GeoTIFF (barriers.tif, a sensitivity or priority surface).

    The cells at or above the cut are joined into connected patches
    (8 neighbours) and ranked by their best cell; each site gets its area,
    best and mean score and the polygon of its cells, in the raster's CRS.
    A scenario restores the best k with `file: restoration_sites.gpkg` and
    `top: k`.
    """
    # Local: the restore engine loads the least-cost engine and geopandas (+0.5 s to every command's start otherwise).
    from corridors.raster import Raster
    from corridors.restore.sites import restoration_sites, write_sites

    raster = Raster.read(score)
    sites = restoration_sites(raster, top_percent=None if min_score is not None else top_percent, min_score=min_score,
                              min_cells=min_cells, max_sites=max_sites)
    params = {"top_percent": None if min_score is not None else top_percent, "min_score": min_score,
              "min_cells": min_cells, "max_sites": max_sites}
    files = write_sites(sites, outdir, inputs={"score": score}, parameters=params,
                        rests_on=[f"the score surface {score.name}: see its own provenance.json for what it assumes"],
                        command=f"corridors restore sites {score}")
    if is_quiet(ctx):
        return
    if not len(sites):
        click.echo(f"restore sites: no cell of {score.name} scores above 0 at this cut; no site.")
    else:
        click.echo(f"restore sites: {len(sites)} site(s) from {score.name}")
        for _, r in sites.head(10).iterrows():
            click.echo(f"  {r['site_id']:<4} {r['n_cells']:>6,} cells  {format_number(r['area_ha'])} ha  "
                       f"best {format_number(r['score_max'])}  at ({format_number(r['x'])}, {format_number(r['y'])})")
    for f in files:
        click.echo(f"  {f}")
