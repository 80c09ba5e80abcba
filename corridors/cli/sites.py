"""The ``corridors sites`` commands: check, list and export the programme's places (or your own of the same schema)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from corridors import programme as P
from corridors import sites as S
from corridors._errors import DataError
from corridors.cli._options import input_file_option, sites_option


def _console() -> Console:
    """A rich console; wide enough for the tables when the output is a file or a pipe."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _select(sites, kinds: tuple[str, ...], unit: int | None, system: str | None):
    if kinds:
        sites = S.by_kind(sites, kinds)
    if unit is not None:
        sites = S.by_unit(sites, unit)
    if system is not None:
        sites = S.by_river_system(sites, system)
    return sites


def _filters(f):
    f = click.option(
        "--kind", "kinds", type=click.Choice(S.KINDS), multiple=True, help="Keep these kinds; repeat for several."
    )(f)
    f = click.option("--unit", type=click.IntRange(1, 8), default=None, help="Keep the places of this population unit.")(f)
    f = click.option(
        "--river-system", "system", type=click.Choice(S.RIVER_SYSTEMS), default=None, help="Keep this river system."
    )(f)
    return f


@click.group("sites")
def sites_cmd() -> None:
    """Check, list and export the programme's places and measures."""


@sites_cmd.command("check")
@sites_option
@input_file_option(
    "--measures", "measures_path",
    "Measures CSV to cross-check against the sites; default: the bundled table when the sites are bundled.",
)
def check_cmd(sites_path: Path | None, measures_path: Path | None) -> None:
    """Validate a sites file and print its counts by kind, status and location status.

    Exits 1 with one line naming the file, feature and field at the first
    schema error, or when sites and measures disagree. Unresolved places are
    listed, since no map or analysis can show them.
    """
    sites = S.load_sites(sites_path)
    console = _console()
    name = sites_path or "bundled data/sites.geojson"
    table = Table(title=f"{name}: {len(sites)} places")
    table.add_column("kind", no_wrap=True)
    for status in S.STATUSES:
        table.add_column(status, justify="right")
    table.add_column("total", justify="right")
    counts = sites.groupby(["kind", "status"]).size()
    for kind in S.KINDS:
        if kind not in counts.index.get_level_values(0):
            continue
        row = [str(counts.get((kind, s), 0) or "") for s in S.STATUSES]
        table.add_row(kind, *row, str(int(counts[kind].sum())))
    console.print(table)
    by_loc = sites["location_status"].value_counts()
    console.print(", ".join(f"{s}: {int(by_loc.get(s, 0))}" for s in S.LOCATION_STATUSES))
    un = S.unresolved(sites)
    if len(un):
        console.print("unresolved (no geometry): " + "; ".join(f"{i} ({n})" for i, n in zip(un["id"], un["name"])))
    if measures_path is not None or sites_path is None:
        measures = P.load_measures(measures_path)
        problems = P.cross_check(sites, measures)
        if problems:
            raise DataError(f"{measures_path or 'data/programme/measures.csv'} and the sites disagree: {problems[0]}")
        console.print(f"{len(measures)} measures agree with the sites.")


@sites_cmd.command("list")
@sites_option
@_filters
def list_cmd(sites_path: Path | None, kinds: tuple[str, ...], unit: int | None, system: str | None) -> None:
    """Print a table of places: id, code, kind, units, countries, status, location and measures."""
    sites = _select(S.load_sites(sites_path), kinds, unit, system)
    table = Table(show_lines=False)
    for col in ("id", "code", "kind", "unit", "countries", "status", "location", "±km"):
        table.add_column(col, no_wrap=True)
    table.add_column("measures", overflow="fold")
    for r in sites.itertuples():
        prec = "" if r.location_precision_km != r.location_precision_km else f"{r.location_precision_km:g}"
        table.add_row(
            r.id,
            r.code or "",
            r.kind,
            ",".join(map(str, r.population_unit)),
            ",".join(r.countries),
            r.status,
            r.location_status,
            prec,
            ", ".join(r.measures),
        )
    _console().print(table)


@sites_cmd.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@sites_option
@_filters
def export_cmd(
    out: Path, sites_path: Path | None, kinds: tuple[str, ...], unit: int | None, system: str | None
) -> None:
    """Write the (selected) places to OUT: .gpkg, .geojson or .shp (points only; list fields ';'-joined).

    A Shapefile holds one geometry type: select with --kind, e.g. everything
    but population_unit, to export the points.
    """
    sites = _select(S.load_sites(sites_path), kinds, unit, system)
    path = S.write_sites(sites, out)
    click.echo(f"wrote {len(sites)} places to {path}")
