"""The web map (issue 18): GeoJSON and raster overlays on the Python side, then the page itself in a real browser.

The browser tests drive the system Chromium (Debian's ``chromium``; ``.ci/run``
installs it) with playwright, never a downloaded browser. They are skipped,
saying why, when no Chromium or no playwright is found, except with
``CORRIDORS_REQUIRE_BROWSER=1`` (set by ``.ci/run``), where they fail: a CI
that skipped them in silence would prove nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from shapely.geometry import LineString, Point

from corridors import DataError, OutputError, settings
from corridors.io import staged_folder
from corridors.sites import load_sites
from corridors.web import output_kind, programme_html, write_web
from corridors.web.geo import raster_overlay, to_geojson, warp_to_web
from corridors.web.layers import base_layers, network_layers, sites_of
from corridors.web.page import STATIC

# ----------------------------------------------------------------------------- Python side


def test_geojson_is_lon_lat_rounded_with_json_values():
    to_albers = Transformer.from_crs("EPSG:4326", settings.WORKING_CRS, always_xy=True)
    x, y = to_albers.transform(64.123456789, 39.987654321)
    gdf = gpd.GeoDataFrame({"name": ["a", "b", "gone"], "p": [0.5, float("nan"), 1.0], "d": [float("inf"), 2.0, 3.0],
                            "n": [np.int64(3), np.int64(4), np.int64(5)]},
                           geometry=[Point(x, y), LineString([(x, y), (x + 1000, y)]), None], crs=settings.WORKING_CRS)
    gj = to_geojson(gdf)
    assert [f["properties"]["name"] for f in gj["features"]] == ["a", "b"]  # no geometry: listed elsewhere, not drawn
    assert gj["features"][0]["geometry"]["coordinates"] == [64.1235, 39.9877]  # longitude first, 4 decimals (11 m)
    assert gj["features"][0]["properties"] == {"name": "a", "p": 0.5, "d": "inf", "n": 3}
    assert gj["features"][1]["properties"]["p"] is None
    json.dumps(gj, allow_nan=False)  # strict JSON: a browser's JSON.parse takes it


def _utm_raster(path: Path) -> tuple[float, float]:
    """A 20 x 30 raster in UTM zone 33N (Austria, far from Central Asia) with one hot cell; the cell's centre (lon, lat)."""
    a = np.full((20, 30), 1.0, dtype="float32")
    a[0, :] = -9999.0  # no data: transparent
    a[12, 7] = 50.0
    t = Affine(1000.0, 0, 500_000.0, 0, -1000.0, 5_300_000.0)
    with rasterio.open(path, "w", driver="GTiff", width=30, height=20, count=1, dtype="float32", crs="EPSG:32633",
                       transform=t, nodata=-9999.0) as dst:
        dst.write(a, 1)
    cx, cy = t @ (7.5, 12.5)
    return Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True).transform(cx, cy)


def test_raster_overlay_is_warped_to_web_mercator_with_bounds_in_degrees(tmp_path):
    path = tmp_path / "utm.tif"
    lon, lat = _utm_raster(path)
    values, (south, west, north, east) = warp_to_web(path)
    with rasterio.open(path) as src:
        w, s, e, n = rasterio.warp.transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    assert (south, west, north, east) == pytest.approx((s, w, n, e), abs=0.01)  # about 15 degrees east, 47 north
    assert 14.9 < west < 15.1 and 47.5 < north < 47.9
    # the hot cell lands where it lies: find it in the Mercator image and turn its pixel back into degrees
    r, c = np.unravel_index(np.nanargmax(values), values.shape)
    to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, y1), (x1, y0) = to_merc.transform(west, north), to_merc.transform(east, south)
    px, py = (x1 - x0) / values.shape[1], (y1 - y0) / values.shape[0]
    x, y = x0 + (c + 0.5) * px, y1 - (r + 0.5) * py
    got = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(x, y)
    assert got == pytest.approx((lon, lat), abs=0.02)  # within about one 1 km cell
    ov = raster_overlay(path, "viridis")
    assert ov.png.startswith(b"\x89PNG") and ov.data_uri().startswith("data:image/png;base64,")
    assert ov.vmin == 1.0 and ov.vmax == 50.0 and len(ov.ramp()) == 6


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")  # the very point of the test
def test_raster_without_crs_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32") as dst:
        dst.write(np.ones((2, 2), "float32"), 1)
    with pytest.raises(DataError, match=r"nocrs\.tif: the raster has no CRS"):
        warp_to_web(path)


def test_network_links_are_wider_and_darker_the_likelier():
    pts = [Point(0, 0), Point(50_000, 0), Point(0, 50_000)]
    nodes = gpd.GeoDataFrame({"id": ["a", "b", "c"], "capacity": [10.0, 40.0, 0.0]}, geometry=pts, crs=settings.WORKING_CRS)
    links = gpd.GeoDataFrame({"i": ["a", "a"], "j": ["b", "c"], "probability": [0.9, 0.01]},
                             geometry=[LineString([pts[0], pts[1]]), LineString([pts[0], pts[2]])], crs=settings.WORKING_CRS)
    lk, nd = network_layers(nodes, links, "g", "x.gpkg")
    feats = lk.spec()["geojson"]["features"]
    by_p = {f["properties"]["probability"]: f["properties"]["_style"] for f in feats}
    assert by_p[0.9]["weight"] > by_p[0.01]["weight"]
    assert [f["properties"]["probability"] for f in feats] == [0.01, 0.9]  # the likeliest drawn on top
    radius = {f["properties"]["id"]: f["properties"]["_style"]["radius"] for f in nd.spec()["geojson"]["features"]}
    assert radius["b"] > radius["a"] > radius["c"] == 4


def test_base_layers_are_simplified_but_complete():
    layers = {lay.id: lay for lay in base_layers()}
    assert list(layers) == ["countries", "lakes", "rivers", "borders"]
    names = {f["properties"]["NAME"] for f in layers["countries"].geojson["features"]}
    assert {"Uzbekistan", "Tajikistan", "Turkmenistan", "Kazakhstan", "Afghanistan"} <= names
    size = len(json.dumps(layers["countries"].geojson))
    assert size < 150_000  # 371 KB of GeoJSON in data/base, simplified to 1 km for the web


def test_output_kind_refuses_with_the_folder_and_the_fix(tmp_path):
    with pytest.raises(OutputError, match="no such folder; run `corridors programme -o FOLDER`"):
        output_kind(tmp_path / "nowhere")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(OutputError, match=re.escape(f"{tmp_path}: not an output folder of corridors")):
        output_kind(tmp_path)


@pytest.fixture(scope="module")
def programme_out(web_scenario, tmp_path_factory) -> Path:
    """A main-job folder with only its baseline step (the scenario fixture) and its own provenance, then index.html."""
    out = tmp_path_factory.mktemp("prog") / "out"
    with staged_folder(out, name="programme") as tmp:
        (tmp / "provenance.json").write_text("{}")
    shutil.copytree(web_scenario, out / "baseline")
    write_web(out)
    return out


def test_the_scenario_writes_its_map_and_side_by_side_view(web_scenario):
    report = (web_scenario / "report.html").read_text(encoding="utf-8")
    assert 'href="map.html"' in report and 'href="compare.html"' in report
    assert "[Interactive map of this scenario" in (web_scenario / "report.md").read_text(encoding="utf-8")
    compare = (web_scenario / "compare.html").read_text(encoding="utf-8")
    assert compare.count('class="corridors-map" data-target="map') == 2 and "L.Sync" in compare


def test_index_html_holds_no_outside_reference(programme_out):
    page = (programme_out / "index.html").read_text(encoding="utf-8")
    assert output_kind(programme_out) == "programme"
    assert "index.html" in json.loads((programme_out / ".corridors-output.json").read_text())["files"]
    # nothing the browser would fetch: no src/href/url() to http(s) or protocol-relative (the browser test checks
    # requests); Leaflet's own code holds its attribution link as a string, which the page turns off (setPrefix(false))
    page = page.replace((STATIC / "leaflet.js").read_text(encoding="utf-8"), "")
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//|url\(\s*["']?(https?:)?//""", page)
    assert "<script src" not in page and "<link " not in page
    assert len(page.encode()) < 3_000_000
    assert 'href="baseline/report.html"' in page and 'href="baseline/scenario.gpkg"' in page
    everywhere = load_sites()  # the baseline's unresolved.csv lists those outside its units too, as its report does
    for place in everywhere.loc[everywhere.geometry.isna(), "id"]:
        assert f'data-id="{place}"' in page  # every unresolved place is listed


# ----------------------------------------------------------------------------- in a real browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    for name in (os.environ.get("CORRIDORS_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"):
        found = name and shutil.which(name)
        if found:
            return found
    return None


def _no_browser(reason: str) -> None:
    if os.environ.get("CORRIDORS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CORRIDORS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"{reason} (on Debian/Ubuntu: apt-get install chromium; pip install playwright)")


def test_a_missing_browser_skips_unless_ci_requires_it(monkeypatch):
    monkeypatch.delenv("CORRIDORS_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium.*apt-get install chromium"):
        _no_browser("no Chromium found")
    monkeypatch.setenv("CORRIDORS_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="CORRIDORS_REQUIRE_BROWSER=1 but no Chromium"):
        _no_browser("no Chromium found")


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        _no_browser("no Chromium found (chromium, chromium-browser, /usr/bin/chromium or $CORRIDORS_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright  # local: the test extra; absent, the browser tests skip
    except ImportError:
        _no_browser("playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Opened:
    """A page opened from a file, with every request and every console error it made."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.corridorsMaps && window.corridorsMaps.length > 0")

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]

    def shown(self, layer: str) -> int:
        return self.page.locator(f".layer-{layer}").count()


@pytest.fixture
def opened(browser):
    pages = []

    def open_(path: Path) -> Opened:
        pages.append(Opened(browser, path))
        return pages[-1]

    yield open_
    for o in pages:
        o.page.close()


def test_index_html_in_a_browser(opened, programme_out, tmp_path):
    o = opened(programme_out / "index.html")
    spec = json.loads(o.page.locator("script.corridors-map").first.text_content())
    ids = [lay["id"] for lay in spec["layers"]]
    for want in ("countries", "lakes", "rivers", "borders", "population_units", "subpopulations", "hotspots",
                 "candidate_sites", "scenario_corridors", "scenario_sites", "scenario_network_links",
                 "scenario_network_nodes", "scenario_current", "scenario_resistance", "interventions"):
        assert want in ids, want
    listed = o.page.locator(".switcher input[type=checkbox]").evaluate_all("els => els.map(e => e.dataset.layer)")
    assert listed == ids  # the switcher lists every layer
    # show every layer, rasters too: still nothing but the file and its data: URIs
    for lid in ids:
        o.page.locator(f".switcher input[data-layer={lid}]").check()
    o.page.wait_for_timeout(300)
    assert o.outside() == [], o.outside()
    assert o.errors == []
    assert o.page.locator("img.leaflet-image-layer").count() == sum("image" in lay for lay in spec["layers"])
    o.page.screenshot(path=tmp_path / "index.png")
    assert (tmp_path / "index.png").stat().st_size > 50_000


def test_clicking_a_site_opens_its_popup_with_its_measures(opened, programme_out):
    o = opened(programme_out / "index.html")
    o.page.locator(".switcher input[data-layer=scenario_sites]").uncheck()  # the scored twin lies on the same spot
    sites = sites_of(programme_out)[0].set_index("id")
    # a candidate site no other marker covers, found by asking the page what lies on each marker's centre
    site, x, y = o.page.evaluate("""() => {
        const m = window.corridorsMaps[0];
        let found = null;
        m.layers.candidate_sites.eachLayer(l => {
            const r = l._path.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (!found && document.elementFromPoint(x, y) === l._path) found = [l.feature.properties.id, x, y];
        });
        return found;
    }""")
    o.page.mouse.click(x, y)
    popup = o.page.locator(".leaflet-popup-content .corridors-popup")
    popup.wait_for()
    assert sites.loc[site, "name"] in popup.inner_text()
    measures = [str(m) for m in sites.loc[site, "measures"]]
    assert popup.locator("td[data-field=measures]").inner_text() == ", ".join(measures)
    for m in measures:
        assert f"{m}:" in popup.locator("td[data-field=measure_text]").inner_text()
    precision = sites.loc[site, "location_precision_km"]
    assert float(popup.locator("td[data-field=location_precision_km]").inner_text()) == pytest.approx(precision)
    assert popup.locator("td[data-field=source]").inner_text()[:20] == str(sites.loc[site, "source"])[:20]
    assert o.errors == []
    # a scored site of the baseline scenario (this one if it is scored): score and rank of site_scores.csv, precision
    scores = pd.read_csv(programme_out / "baseline" / "site_scores.csv", index_col=0)
    site = site if site in scores.index else scores.index[0]
    o.page.locator(".switcher input[data-layer=scenario_sites]").check()
    o.page.evaluate(f"() => window.corridorsMaps[0].layers.scenario_sites.eachLayer("
                    f"l => l.feature.properties.site === {site!r} && l.openPopup())")
    scored = o.page.locator(".leaflet-popup-content .corridors-popup[data-layer=scenario_sites]")
    scored.wait_for()
    assert int(scored.locator("td[data-field=rank]").inner_text()) == scores.loc[site, "rank"]
    assert float(scored.locator("td[data-field=score]").inner_text()) == pytest.approx(scores.loc[site, "score"], abs=5e-4)
    precision = sites.loc[site, "location_precision_km"]
    assert float(scored.locator("td[data-field=location_precision_km]").inner_text()) == pytest.approx(precision)


def test_toggling_a_layer_hides_it_and_its_legend(opened, programme_out):
    o = opened(programme_out / "index.html")
    assert o.shown("candidate_sites") > 0 and o.page.locator(".legend [data-layer=candidate_sites]").count() == 1
    o.page.locator(".switcher input[data-layer=candidate_sites]").uncheck()
    assert o.shown("candidate_sites") == 0 and o.page.locator(".legend [data-layer=candidate_sites]").count() == 0
    o.page.locator(".switcher input[data-layer=candidate_sites]").check()
    assert o.shown("candidate_sites") > 0


def test_side_by_side_maps_move_together(opened, web_scenario):
    o = opened(web_scenario / "compare.html")
    assert o.page.locator(".map").count() == 2 and o.outside() == [] and o.errors == []
    centre = o.page.evaluate("""() => {
        const [a, b] = window.corridorsMaps;
        a.map.setView([38.5, 64.0], 8, {animate: false});
        const c = b.map.getCenter();
        return [c.lat, c.lng, b.map.getZoom()];
    }""")
    assert centre == pytest.approx([38.5, 64.0, 8], abs=0.01)
    assert o.shown("baseline_network_links") > 0 and o.shown("scenario_network_links") > 0
