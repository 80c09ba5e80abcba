"""The ``corridors rivers`` command: the river-connectivity graph and along-river distances between subpopulations."""

from __future__ import annotations

import math
from pathlib import Path

import click

from corridors.cli._options import outdir_option, sites_option


@click.command("rivers")
@outdir_option(Path("out"), "Output folder; writes river_graph.gpkg, river_distances.csv and river_graph_provenance.json there.")
@sites_option
@click.option(
    "--rivers",
    "rivers_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="River centrelines with 'river' and 'river_system' fields; default: the bundled data/rivers/rivers.geojson.",
)
@click.option(
    "--tolerance-km",
    type=click.FloatRange(min=0, max=1000),
    default=15.0,
    show_default=True,
    help="Sites farther than this from every river are reported, not snapped.",
)
@click.pass_context
def rivers_cmd(
    ctx: click.Context, outdir: Path, sites_path: Path | None, rivers_path: Path | None, tolerance_km: float
) -> None:
    """Build the river graph (confluences, river ends, snapped sites) and along-river distances.

    Writes OUTDIR/river_graph.gpkg (layers nodes, edges, and unsnapped when
    some site is too far from a river or unresolved) and
    OUTDIR/river_distances.csv (metres along the rivers between the
    subpopulations; 'inf' between different river systems), then prints a
    summary: components per river system, length per river, and which sites
    were snapped, left unsnapped or are unresolved.
    """
    from corridors import settings
    from corridors.io import provenance
    from corridors import rivers as rv
    from corridors.io import atomic_path
    from corridors.sites import load_sites

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    river_lines = rv.load_rivers(rivers_path)
    sites = load_sites(sites_path) if sites_path is not None else load_sites()
    graph = rv.build_river_graph(river_lines, sites, tolerance_m=tolerance_km * 1000.0)
    report = rv.snap_report(graph)

    subpops = sites.loc[sites["kind"].eq("subpopulation"), "id"].tolist() if "kind" in sites.columns else []
    snapped = set(graph.graph["site_nodes"])
    matrix_ids = [s for s in subpops if s in snapped] or list(graph.graph["site_nodes"])
    dist = rv.along_river_distances(graph, matrix_ids).round(0)

    gpkg = rv.river_graph_to_geopackage(graph, outdir / "river_graph.gpkg", sites=sites)
    csv = outdir / "river_distances.csv"
    with atomic_path(csv) as tmp:
        dist.to_csv(tmp, float_format="%.0f")
    prov = provenance.write(
        outdir / "river_graph_provenance.json",
        provenance.record(
            inputs={
                "rivers": rivers_path or rv.RIVERS_PATH,
                "sites": sites_path or settings.SITES_PATH,
            },
            parameters={
                "tolerance_m": tolerance_km * 1000.0,
                "join_m": graph.graph["join_m"],
                "crs": "corridors.settings.WORKING_CRS (Albers equal-area, Central Asia)",
            },
            command="corridors rivers",
        ),
    )
    if quiet:
        return

    s = rv.river_graph_summary(graph)
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
    missing = [x for x in subpops if x not in snapped]
    if missing:
        click.echo(f"  subpopulations left out of the distance matrix (not on a river): {', '.join(missing)}")
    finite = dist.where(dist.apply(lambda c: c.map(math.isfinite)))
    click.echo(f"along-river distances between {len(matrix_ids)} sites, up to {finite.max().max() / 1000:.0f} km")
    for p in (gpkg, csv, prov):
        click.echo(str(p))
