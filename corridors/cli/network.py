"""The ``corridors network`` command: the habitat-connectivity graph, its Conefor metrics and what-if gains."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from corridors import programme
from corridors._errors import ConfigError
from corridors.borders import border_id
from corridors.cli._options import memory_limit_opt, outdir_option, resolution_option, sites_option
from corridors.cli.lcp import given_options

if TYPE_CHECKING:
    from corridors.analyses.network import NetworkRun

LINK_SOURCES, OLD_SOURCE_NAMES = programme.LINK_SOURCES, programme.OLD_SOURCE_NAMES


def _permeability(values: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values:
        key, sep, num = v.partition("=")
        parts = key.strip().upper().split("-")
        if not sep or len(parts) != 2 or not all(len(p) == 3 for p in parts):
            raise ConfigError(f"--permeability {v!r}: write BORDER=FACTOR with a border id of two ISO3 codes, e.g. TKM-UZB=0.3.")
        try:
            f = float(num)
        except ValueError:
            raise ConfigError(f"--permeability {v!r}: the factor must be a number in [0, 1], e.g. TKM-UZB=0.3.") from None
        out[border_id(*parts)] = f
    return out


@click.command("network")
@outdir_option(Path("out/network"), "Output folder: network.gpkg, network_*.csv, provenance.json, network_map.png/.svg.")
@sites_option
@click.option("--source", type=click.Choice([*LINK_SOURCES, *OLD_SOURCE_NAMES]), default=programme.DEFAULT_LINK_SOURCE,
              show_default=True,
              help="Link distances: least-cost distance between the nodes' habitat discs or effective resistance on the "
                   "bundled resistance surface, along the rivers (reach links), or the straight line. "
                   "(The first release's straight/lcp/circuit still work, with a warning.)")
@click.option("--capacity", default="habitat", show_default=True,
              help="Node capacity: 'habitat' (ha of suitability-weighted habitat within --reach-km, as in the scenarios), "
                   "'area' (ha: stated area, polygon, or precision circle - a placeholder), 'equal', or a numeric column of the sites.")
@click.option("--median-dispersal-km", type=click.FloatRange(min=0, min_open=True),
              default=programme.DEFAULT_MEDIAN_DISPERSAL_M / 1000.0, show_default=True,
              help="Distance at which the dispersal probability is 0.5 (p = exp(-k d)); in cost-km for least_cost, "
                   "scaled ohms for effective_resistance.")
@click.option("--reach-km", type=click.FloatRange(min=0, min_open=True), default=programme.DEFAULT_REACH_M / 1000.0,
              show_default=True, help="Radius of a node's habitat disc (capacity 'habitat', least-cost links).")
@click.option("--max-distance-km", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Drop links longer than this.")
@click.option("--permeability", multiple=True, metavar="BORDER=FACTOR",
              help="Multiply the probability of links crossing a border, e.g. TKM-UZB=0.3 (measure 1.3). Repeatable.")
@click.option("--landscape-area", type=click.FloatRange(min=0, min_open=True), default=None,
              help="A_L for PC and IIC, in capacity units (default: the total capacity).")
@click.option("--corridor-factor", type=click.FloatRange(min=0, max=1, min_open=True), default=0.5, show_default=True,
              help="A programme corridor multiplies the effective distance between its ends by this.")
@click.option("--fence-factor", type=click.FloatRange(min=0, max=1), default=0.0, show_default=True,
              help="Permeability of a fenced border in the border-loss table (0 closes it).")
@resolution_option(f"Cell size in metres of the resistance and suitability surfaces (capacity 'habitat', least_cost and "
                   f"effective_resistance links; default {programme.NETWORK_RESOLUTION_M:g}, the programme network's).")
@click.option("--resolution-km", type=click.FloatRange(min=0.1), default=None, hidden=True,
              help="The first release's spelling of --resolution, in km; goes in the next release.")
@memory_limit_opt
@click.option("--no-whatif", is_flag=True, help="Skip the ranking of candidate sites and corridors.")
@click.option("--no-map", is_flag=True, help="Skip the map.")
@click.option("--conefor-nodes", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Analyse a Conefor project instead: node file ('id attribute' per line).")
@click.option("--conefor-links", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Conefor connection file ('id id distance' or 'id id probability' per line).")
@click.option("--conefor-kind", type=click.Choice(["distance", "probability"]), default="distance", show_default=True,
              help="What the third column of the connection file holds (distances in the unit of --median-dispersal-km x 1000).")
@click.option("--export-conefor", is_flag=True, help="Also write the graph as Conefor node and connection files.")
@click.pass_context
def network_cmd(
    ctx: click.Context, outdir: Path, sites_path: Path | None, source: str, capacity: str, median_dispersal_km: float,
    max_distance_km: float | None, permeability: tuple[str, ...], landscape_area: float | None, corridor_factor: float,
    fence_factor: float, resolution: float | None, resolution_km: float | None, no_whatif: bool, no_map: bool, conefor_nodes: Path | None,
    conefor_links: Path | None, conefor_kind: str, export_conefor: bool, reach_km: float = programme.DEFAULT_REACH_M / 1000.0,
    memory_limit: int | None = None,
) -> None:
    """Habitat-connectivity graph and its metrics (Conefor's IIC, PC, EC, dPC fractions, BC/BCPC) with what-if gains.

    On the bundled data: the programme network of every scenario's baseline
    (nodes are the free-ranging populations, capacity their habitat within
    reach, least-cost links on the expert resistance surface at 5 km); metrics
    for the whole graph and per river system; candidate sites and the
    programme's corridors ranked by EC gain; EC loss per fenced border; a
    map (nodes sized by dPC, links shaded by probability). With
    --conefor-nodes/--conefor-links: the metrics of your Conefor project.
    """
    # Imported when the command runs: the network analysis loads geopandas, rasterio, matplotlib and the landscape
    # engine (import of corridors.cli 2.1 s with it at module level, 1.3 s without; python -X importtime).
    from corridors.analyses.network import run_network
    from corridors.network import connectivity, read_conefor, write_conefor
    from corridors.network.export import write_results

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    console = Console(quiet=quiet, width=None if sys.stdout.isatty() else 120)
    perm = _permeability(permeability)
    max_m = max_distance_km * 1000.0 if max_distance_km is not None else None
    if resolution_km is not None:
        if resolution is not None:
            raise click.UsageError("give --resolution (metres) or the old --resolution-km, not both.")
        click.echo("warning: --resolution-km is now --resolution in metres; the old option goes in the next release.", err=True)
        resolution = resolution_km * 1000.0
    resolution_m = resolution if resolution is not None else programme.NETWORK_RESOLUTION_M
    if (conefor_nodes is None) != (conefor_links is None):
        raise ConfigError("give both --conefor-nodes and --conefor-links (a Conefor project is a node file and a connection file).")
    given = given_options(ctx)
    if conefor_nodes is None and "conefor_kind" in given:
        raise ConfigError("--conefor-kind: only used with --conefor-nodes and --conefor-links; drop it or give the Conefor files.")
    if conefor_nodes is not None:
        # These shape the programme's graph; silently ignoring them would leave the user believing they were applied.
        ignored = sorted(given & set(_PROGRAMME_ONLY))
        if ignored:
            names = ", ".join(_PROGRAMME_ONLY[n] for n in ignored)
            raise ConfigError(f"{names}: not used with a Conefor project (--conefor-nodes/--conefor-links); drop it or analyse the programme data.")
        distance_only = [n for n in ("median_dispersal_km", "max_distance_km") if n in given]
        if conefor_kind == "probability" and distance_only:
            names = ", ".join("--" + n.replace("_", "-") for n in distance_only)
            raise ConfigError(f"{names}: turns distances into probabilities, but with --conefor-kind probability "
                              f"{conefor_links} holds probabilities already; drop it or use --conefor-kind distance.")
        kw = {"landscape_area": landscape_area}
        cparams = {"landscape_area": landscape_area}
        if conefor_kind == "distance":
            kw.update(median_dispersal_m=median_dispersal_km * 1000.0, max_distance_m=max_m)
            cparams.update(median_dispersal_m=median_dispersal_km * 1000.0, max_distance_m=max_m)
        g = read_conefor(conefor_nodes, conefor_links, kind=conefor_kind, **kw)
        conn = connectivity(g, links=True, quiet=quiet)
        files = write_results(g, conn, outdir, params={**cparams, "conefor_kind": conefor_kind},
                              inputs={"conefor_nodes": conefor_nodes, "conefor_links": conefor_links})
        if export_conefor:
            write_conefor(g, outdir / "conefor_nodes.txt", outdir / "conefor_links.txt")
            files["conefor"] = outdir / "conefor_links.txt"
        _print_summary(console, [conn.summary], Table)
        _print_top(console, conn.nodes, Table)
        console.print(f"wrote {', '.join(str(p) for p in files.values())}")
        return

    if source in OLD_SOURCE_NAMES:
        click.echo(f"warning: --source {source} is now called {OLD_SOURCE_NAMES[source]}; the old name goes in the next release.",
                   err=True)
        source = OLD_SOURCE_NAMES[source]
    run = run_network(
        sites_path, source=source, capacity=capacity, median_dispersal_m=median_dispersal_km * 1000.0,
        resolution_m=resolution_m, reach_m=reach_km * 1000.0, max_distance_m=max_m, permeability=perm,
        landscape_area=landscape_area, corridor_factor=corridor_factor, fence_factor=fence_factor, whatif=not no_whatif,
        memory_limit=memory_limit, quiet=quiet,
    )
    files = run.write(outdir, map=not no_map, export_conefor=export_conefor)
    print_network(run, files, console)


def print_network(run: "NetworkRun", files: dict, console: Console) -> None:
    """Print the network step's tables and notes (``corridors network``, ``corridors programme``)."""
    a = run.analysis
    _print_summary(console, [a.connectivity.summary, *a.systems.to_dict("records")], Table)
    _print_top(console, a.connectivity.nodes, Table)
    if a.ranking is not None:
        t = Table(title="What-if: candidate sites and programme corridors ranked by EC gain")
        for col in ("rank", "id", "kind", "measures", "dEC", "dEC %", "links"):
            t.add_column(col, justify="right" if col in ("rank", "dEC", "dEC %", "links") else "left")
        for cid, r in a.ranking.head(12).iterrows():
            nl, role = r.get("n_links"), r.get("role")
            kind = r["kind"] if not isinstance(role, str) else f"extension of {r['extends']}" if role == "extension" else role
            t.add_row(str(r["rank"]), str(cid), kind, ";".join(r["measures"]), f"{r['dEC']:,.0f}", f"{r['dEC_pct']:.2f}",
                      "" if nl is None or nl != nl else str(int(nl)))
        console.print(t)
    if a.unresolved:
        console.print(f"not ranked (no location, programme footnotes 4-6): {', '.join(a.unresolved)}")
    capacity = run.parameters["capacity"]
    if capacity == "habitat":
        console.print("note: capacity 'habitat' and least-cost distances rest on the expert resistance and suitability "
                      "table (data/resistance.yml) and on site locations of the stated precision, not on surveyed habitat.")
    if capacity == "area":
        console.print("note: capacity 'area' uses precision circles where no area is known: a placeholder; "
                      "use --capacity with surveyed areas or counts for decisions.")
    console.print(f"wrote {len(files)} files to {Path(next(iter(files.values()))).parent}")


#: Options that shape the programme's graph only, with their flag as the user typed it.
_PROGRAMME_ONLY = {
    "sites_path": "--sites", "source": "--source", "capacity": "--capacity", "permeability": "--permeability",
    "corridor_factor": "--corridor-factor", "fence_factor": "--fence-factor", "resolution": "--resolution", "resolution_km": "--resolution-km",
    "reach_km": "--reach-km", "memory_limit": "--memory-limit",
    "no_whatif": "--no-whatif",
}


def _print_summary(console, rows, Table) -> None:
    t = Table(title="Connectivity (Conefor definitions)")
    for col in ("graph", "nodes", "links", "components", "capacity", "EC(PC)", "PC", "IIC"):
        t.add_column(col, justify="left" if col == "graph" else "right")
    for s in rows:
        t.add_row(str(s.get("name") or "graph"), str(s["n_nodes"]), str(s["n_links"]), str(s["n_components"]),
                  f"{s['total_capacity']:,.0f}", f"{s['EC_PC']:,.0f}", f"{s['PC']:.4f}", f"{s.get('IIC', float('nan')):.4f}")
    console.print(t)


def _print_top(console, nodes, Table, n: int = 10) -> None:
    t = Table(title=f"Top {n} nodes by dPC (% loss of PC if removed)")
    for col in ("node", "dPC", "intra", "flux", "connector", "dIIC", "BCPC"):
        t.add_column(col, justify="left" if col == "node" else "right")
    for nid, r in nodes.sort_values("dPC", ascending=False).head(n).iterrows():
        t.add_row(str(nid), f"{r['dPC']:.2f}", f"{r['dPCintra']:.2f}", f"{r['dPCflux']:.2f}", f"{r['dPCconnector']:.2f}",
                  f"{r.get('dIIC', float('nan')):.2f}", f"{r.get('BCPC', float('nan')):.3g}")
    console.print(t)
