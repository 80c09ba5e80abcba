"""The ``corridors map`` commands: figures of the programme in the project's one visual style."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from corridors.cli._options import is_quiet, outdir_option, sites_option

if TYPE_CHECKING:  # the analyses load the heavy libraries; commands import them when they run
    from corridors.analyses.programme_map import ProgrammeMap

_FORMATS = ("png", "svg", "pdf")


@click.group("map")
def map_cmd() -> None:
    """Draw maps of the programme data (PNG, SVG, PDF)."""


@map_cmd.command("programme")
@outdir_option(Path("out"), "Output folder; writes programme_map.<format> and provenance.json there.")
@sites_option
@click.option(
    "--format",
    "formats",
    type=click.Choice(_FORMATS),
    multiple=True,
    default=_FORMATS,
    show_default=True,
    help="Output format; repeat for several.",
)
@click.option("--dpi", type=click.IntRange(min=50, max=1200), default=300, show_default=True, help="Resolution of the PNG.")
@click.option(
    "--title", default=None, metavar="TEXT",
    help="Title of the map; default: the programme's title for the bundled sites, 'Bukhara deer: places of FILE' "
         "for --sites FILE.",
)
@click.option("--no-title", is_flag=True, help="Leave the title off (for a caption in a document).")
@click.pass_context
def programme_cmd(
    ctx: click.Context, outdir: Path, sites_path: Path | None, formats: tuple[str, ...], dpi: int, title: str | None,
    no_title: bool,
) -> None:
    """Redraw the programme's Figure 1: population units, subpopulations, hotspots, candidate sites.

    Every file is written atomically, with OUTDIR/provenance.json; places
    whose location is unresolved are listed under the map and printed here.
    """
    # Local: corridors.analyses.programme_map (matplotlib, the plot package) adds 0.69 s on top of
    # `import corridors.cli` (best of 3; `corridors --help` takes about 1.0 s); only this command pays.
    from corridors.analyses.programme_map import run_programme_map

    quiet = is_quiet(ctx)
    if no_title and title is not None:
        raise click.UsageError("--title and --no-title contradict each other; give one.")
    if title is not None and not title.strip():
        raise click.BadParameter("is empty; give a text, or --no-title for no title.", param_hint="'--title'")
    result = run_programme_map(sites_path, title=False if no_title else (title or True))
    paths = result.write(outdir, formats=formats, dpi=dpi)
    if not quiet:
        print_programme_map(result, paths)


def print_programme_map(result: ProgrammeMap, written: list[Path]) -> None:
    """Print the files of the map step and the places it could not map (``corridors map programme``, ``corridors programme``)."""
    for p in written:
        click.echo(str(p))
    if result.unresolved:
        click.echo(f"not mapped (location unresolved): {', '.join(result.unresolved)}")
