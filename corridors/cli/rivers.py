"""The ``corridors rivers`` command: the river-connectivity graph and along-river distances between subpopulations."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import click

from corridors.cli._options import input_file_option, is_quiet, no_map_option, outdir_option, sites_option

if TYPE_CHECKING:  # the analyses load the heavy libraries; commands import them when they run
    from corridors.analyses.rivers import RiversAnalysis


@click.command("rivers")
@outdir_option(Path("out"), "Output folder; writes river_graph.gpkg, river_distances.csv, rivers_map.png/.svg and provenance.json there.")
@sites_option
@input_file_option(
    "--rivers", "rivers_path",
    "River centrelines with 'river' and 'river_system' fields; default: the bundled data/rivers/rivers.geojson.",
)
@click.option(
    "--tolerance-km",
    type=click.FloatRange(min=0, max=1000),
    default=15.0,
    show_default=True,
    help="Sites farther than this from every river are reported, not snapped.",
)
@no_map_option
@click.pass_context
def rivers_cmd(
    ctx: click.Context, outdir: Path, sites_path: Path | None, rivers_path: Path | None, tolerance_km: float,
    no_map: bool = False,
) -> None:
    """Build the river graph (confluences, river ends, snapped sites) and along-river distances.

    Writes OUTDIR/river_graph.gpkg (layers nodes, edges, and unsnapped when
    some site is too far from a river or unresolved),
    OUTDIR/river_distances.csv (metres along the rivers between the
    subpopulations; 'inf' between different river systems), the map
    OUTDIR/rivers_map.png/.svg and OUTDIR/provenance.json, then prints a summary: components per river
    system, length per river, and which sites were snapped, left unsnapped
    or are unresolved.
    """
    # Local: corridors.analyses.rivers (networkx and scipy's graph routines) adds 0.15 s on top of
    # `import corridors.cli` (best of 3; `corridors --help` takes about 1.0 s); only this command pays.
    from corridors.analyses.rivers import run_rivers

    quiet = is_quiet(ctx)
    result = run_rivers(rivers_path, sites_path, tolerance_m=tolerance_km * 1000.0)
    written = result.write(outdir, map=not no_map)
    if not quiet:
        print_rivers(result, written)


def print_rivers(result: RiversAnalysis, written: list[Path]) -> None:
    """Print the rivers step's summary and the files it wrote (``corridors rivers``, ``corridors programme``)."""
    tolerance_km = result.parameters["tolerance_m"] / 1000.0
    graph, dist, report, s = result.graph, result.distances, result.snap_report, result.summary
    kinds = s["nodes"]
    click.echo(
        f"river graph: {graph.number_of_nodes()} nodes ({kinds.get('confluence', 0)} confluences, "
        f"{kinds.get('end', 0)} river ends, {kinds.get('site', 0)} site points), {graph.number_of_edges()} reaches"
    )
    click.echo("components per river system: " + ", ".join(f"{k} {v}" for k, v in s["components"].items()))
    click.echo("length per river (km): " + ", ".join(f"{k} {v:.0f}" for k, v in s["length_km"].items()))
    n = s["sites"]
    click.echo(
        f"sites: {n['snapped']} snapped, {n['unsnapped']} unsnapped (farther than {tolerance_km:g} km from any river), "
        f"{n['unresolved']} unresolved"
    )
    for r in report[report["status"] == "unsnapped"].itertuples():
        click.echo(f"  unsnapped: {r.site_id} ({r.distance_m / 1000:.1f} km from the {r.river})")
    unresolved = report.loc[report["status"] == "unresolved", "site_id"].tolist()
    if unresolved:
        click.echo(f"  unresolved (no location): {', '.join(unresolved)}")
    missing = result.off_river
    if missing:
        click.echo(f"  subpopulations left out of the distance matrix (not on a river): {', '.join(missing)}")
    finite = dist.where(dist.apply(lambda c: c.map(math.isfinite)))
    click.echo(f"along-river distances between {len(result.matrix_ids)} sites, up to {finite.max().max() / 1000:.0f} km")
    for p in written:
        click.echo(str(p))
