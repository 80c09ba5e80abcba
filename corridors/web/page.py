"""One self-contained HTML page per web map: Leaflet, its stylesheet and images, the data and the script inlined.

Plain Leaflet rather than folium (tried: folium 0.20): folium's page loads ten
assets from CDNs (Leaflet, jQuery, Bootstrap JS and CSS, Glyphicons, Font
Awesome, Leaflet.awesome-markers ...), each of which would have to be vendored
and swapped in by hand to work offline, its side-by-side view (DualMap) pulls
Leaflet.Sync from a CDN too, and its popups and legends are HTML strings
anyway. Leaflet 1.9.4 (BSD-2-Clause, 147 KB) and Leaflet.Sync (BSD-3-Clause,
10 KB) from their npm packages are the whole of it (``static/SOURCE.md``),
and the page can be emailed as one file.
"""

from __future__ import annotations

import base64
import datetime
import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from corridors.web.layers import Layer

STATIC = Path(__file__).resolve().parent / "static"


@cache
def _asset(name: str) -> str:
    """The text of a file of ``static/`` (read once per process)."""
    return (STATIC / name).read_text(encoding="utf-8")


@cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its ``url(images/...)`` replaced by data URIs (the page needs no file beside it)."""
    def inline(m: re.Match) -> str:
        """The data URI of the image a ``url(images/NAME.png)`` names."""
        data = base64.b64encode((STATIC / "images" / m.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, _asset("leaflet.css"))


def _json_script(obj: Any) -> str:
    """JSON safe inside ``<script>``: ``</`` written as ``<\\/`` so no text of the data closes the element."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


def map_spec(layers: list[Layer], title: str) -> dict[str, Any]:
    """The JSON one map of the page draws: its title, a first view and its layers (bottom first)."""
    return {"title": title, "center": [40.5, 66.5], "zoom": 5, "layers": [lay.spec() for lay in layers]}


def _links_html(links: list[tuple[str, str]]) -> str:
    """A list of links from (text, relative link) pairs."""
    return "<ul>" + "".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>' for t, h in links) + "</ul>"


def _unresolved_html(places: list[dict[str, str]]) -> str:
    """The note of the places that could not be located, one item each with its id, measures and source."""
    if not places:
        return "<p>Every place of the sites file has a location.</p>"
    items = "".join(
        f'<li data-id="{html.escape(p["id"])}"><b>{html.escape(p["name"])}</b> ({html.escape(p["id"])}'
        + (f", measure {html.escape(p['measures'])}" if p["measures"] else "") + f"): {html.escape(p['source'])}</li>"
        for p in places)
    return ("<p>The programme names these places but they could not be identified; they have no geometry, "
            f'are not on the map and take no part in the analysis:</p><ul class="unresolved">{items}</ul>')


def render(maps: list[tuple[str, list[Layer]]], title: str, subtitle: str, *, report: str | None = None,
           files: list[tuple[str, str]] | None = None, unresolved: list[dict[str, str]] | None = None,
           notes: list[str] | None = None) -> str:
    """The HTML of a page with one map, or two side by side (synchronised), and a side panel.

    Parameters
    ----------
    maps : list of (str, list of Layer)
        One or two maps: a heading (shown above each of two maps) and its layers, bottom first.
    title, subtitle : str
        The page's heading and the line under it.
    report : str, optional
        Relative link to the static report.
    files : list of (str, str), optional
        (text, relative link) of every output file, listed in the panel.
    unresolved : list of dict, optional
        Places with no geometry (:func:`corridors.web.layers.unresolved_places`).
    notes : list of str, optional
        What the results rest on, one paragraph each.

    Returns
    -------
    str
        A standalone page: nothing is loaded from outside it except the links the user follows.
    """
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    boxes, specs = [], []
    for k, (heading, layers) in enumerate(maps):
        div = f'<div class="map" id="map{k}"></div>'
        boxes.append(f'<div class="pair"><h2>{html.escape(heading)}</h2>{div}</div>' if len(maps) > 1 else div)
        specs.append(f'<script type="application/json" class="corridors-map" data-target="map{k}">'
                     f"{_json_script(map_spec(layers, heading))}</script>")
    panel = [f'<div class="controls" id="controls-map{k}"><h2>Layers'
             + (f": {html.escape(heading)}" if len(maps) > 1 else "") + '</h2><div class="switcher"></div>'
             '<h2>Legend</h2><div class="legend"></div></div>' for k, (heading, _) in enumerate(maps)]
    if report:
        panel.append(f'<h2>Report</h2><p><a id="report-link" href="{html.escape(report)}">Static report '
                     f"({html.escape(report)})</a>: every table, figure and caveat.</p>")
    for n in notes or []:
        panel.append(f"<p>{html.escape(n)}</p>")
    if unresolved is not None:
        panel.append('<h2>Places that could not be located</h2>' + _unresolved_html(unresolved))
    if files:
        panel.append('<h2>Files</h2><div id="files">' + _links_html(files) + "</div>")
    sync = f"<script>{_asset('L.Map.Sync.js')}</script>" if len(maps) > 1 else ""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{leaflet_css()}</style><style>{_asset('map.css')}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)} Written {stamp} by corridors; "
        "works offline (no tile server: the base map is the programme's own vector layers).</p></header>",
        f'<main>{"".join(boxes)}<aside id="panel">{"".join(panel)}</aside></main>',
        *specs,
        f"<script>{_asset('leaflet.js')}</script>",
        sync,
        f"<script>{_asset('map.js')}</script>",
        "</body></html>",
    ]) + "\n"
