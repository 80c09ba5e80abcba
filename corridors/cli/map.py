"""The ``corridors map`` commands: figures of the programme in the project's one visual style."""

from __future__ import annotations

from pathlib import Path

import click

from corridors.cli._options import outdir_option, sites_option

_FORMATS = ("png", "svg", "pdf")


@click.group("map")
def map_cmd() -> None:
    """Draw maps of the programme data (PNG, SVG, PDF)."""


@map_cmd.command("programme")
@outdir_option(Path("out"), "Output folder; writes programme_map.<format> there.")
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
@click.option("--no-title", is_flag=True, help="Leave the title off (for a caption in a document).")
@click.pass_context
def programme_cmd(
    ctx: click.Context, outdir: Path, sites_path: Path | None, formats: tuple[str, ...], dpi: int, no_title: bool
) -> None:
    """Redraw the programme's Figure 1: population units, subpopulations, hotspots, candidate sites.

    Every file is written atomically; places whose location is unresolved
    are listed under the map and printed here.
    """
    from corridors import plot
    from corridors.sites import load_sites, unresolved

    quiet = bool((ctx.find_root().obj or {}).get("quiet"))
    sites = load_sites(sites_path) if sites_path is not None else load_sites()
    kwargs = {"title": None} if no_title else {}
    fig = plot.programme_map(sites, **kwargs)
    paths = plot.save_figure(fig, outdir / "programme_map", formats=formats, dpi=dpi)
    if not quiet:
        for p in paths:
            click.echo(str(p))
        missing = unresolved(sites)
        if len(missing):
            click.echo(f"not mapped (location unresolved): {', '.join(missing['id'])}")
