"""The ``corridors web`` command: an interactive map (``index.html``) of an output folder that opens offline."""

from __future__ import annotations

from pathlib import Path

import click

from corridors.cli._options import is_quiet
from corridors.settings import format_bytes


@click.command("web")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def web_cmd(ctx: click.Context, outdir: Path) -> None:
    """Write OUTDIR/index.html: an interactive map of an output of `corridors programme` or `corridors run`.

    One self-contained HTML file (Leaflet, the data and the rasters inlined;
    nothing is loaded from a CDN or a tile server), so it opens offline in any
    browser and can be emailed: the base map (countries, lakes, rivers,
    borders), the programme's places with their measures, every result layer
    the folder holds (least-cost corridors, pinch points, Omniscape, restoration
    sites, the habitat network with link probabilities, the scenario's scores),
    a layer switcher, legends, popups with each feature's numbers, precision
    and source, the places that could not be located, and links to the report
    and every file. index.html joins OUTDIR's list of corridors' outputs; a
    folder that is no output of corridors is refused.
    """
    # Local: corridors.web (geopandas, rasterio, matplotlib, the plot style) adds 0.98 s on top of
    # `import corridors.cli` (best of 3, measured); only this command pays.
    from corridors.web import output_kind, write_web

    kind = output_kind(outdir)
    page = write_web(outdir)
    if not is_quiet(ctx):
        click.echo(f"wrote {page} ({format_bytes(page.stat().st_size)}, map of the {kind} output); open it in a browser")
