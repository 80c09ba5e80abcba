"""Tests of the base map, its furniture, figure files and the programme map (Figure 1)."""

from __future__ import annotations

import math
import struct
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure
from matplotlib.text import Text
from pyproj import Transformer
from shapely.geometry import Point

from corridors import plot, raster, settings
from corridors.plot import labels as plot_labels
from corridors.plot.figure1 import _unit_area
from corridors.plot.style import add_north_arrow, axes_crs, base_map, frame_around
from corridors._errors import ConfigError

TO_WORK = Transformer.from_crs("EPSG:4326", settings.WORKING_CRS, always_xy=True)
TO_GEO = Transformer.from_crs(settings.WORKING_CRS, "EPSG:4326", always_xy=True)

# A small programme of the sites schema: (id, kind, unit, code, lon, lat, measures, precision_km).
# Coordinates are rough; the tests only need realistic crowding.
_ROWS = [
    ("tj1", "subpopulation", [1], "Tj1", 68.45, 37.25, [], 10),
    ("tj4", "subpopulation", [1], "Tj4", 69.6, 37.45, [], 20),
    ("uz3", "subpopulation", [1], "Uz3", 67.2, 37.25, [], 20),
    ("tm2", "subpopulation", [1], "Tm2", 66.0, 37.65, [], 10),
    ("uz2", "subpopulation", [2], "Uz2", 62.35, 40.95, [], 10),
    ("tm1", "subpopulation", [2], "Tm1", 62.0, 40.55, [], 20),
    ("uz1", "subpopulation", [3], "Uz1", 60.6, 42.2, [], 15),
    ("tj5", "subpopulation", [4], "Tj5", 67.7, 39.45, [], 10),
    ("uz4", "subpopulation", [4], "Uz4", 66.9, 39.65, [], 10),
    ("kz2", "subpopulation", [5], "Kz2", 67.6, 43.5, [], 40),
    ("kz3", "subpopulation", [6], "Kz3", 75.3, 45.2, [], 30),
    ("kz4", "subpopulation", [6], "Kz4", 76.2, 44.4, [], 20),
    ("kz1", "subpopulation", [6], "Kz1", 78.2, 43.6, [], 10),
    ("hotspot-6", "hotspot", [1], "HS6", 67.6, 37.2, [], 30),
    ("hotspot-38", "hotspot", [2, 3], "HS38", 61.3, 41.6, [], 40),
    ("khutalon", "outside_range", [7], None, 69.5, 38.0, [], 20),
    ("cap-romit", "captive", [8], None, 69.3, 38.7, [], 10),
    ("cand-sudochye", "candidate_reintroduction", [3], None, 58.9, 43.3, ["2.5"], 30),
    ("cand-darqad", "candidate_protected_area", [1], None, 69.5, 37.5, ["4.1"], 20),
    ("end-a", "corridor_end", [6], None, 77.2, 43.9, ["7.4"], 20),
    ("end-b", "corridor_end", [6], None, 76.0, 44.6, ["7.4"], 20),
    ("cand-kyzyltau", "candidate_reintroduction", [5], None, None, None, ["6.3"], None),
    ("cand-zhanadarya", "candidate_reintroduction", [5], None, None, None, ["6.6"], None),
]
CODES = [r[3] for r in _ROWS if r[1] == "subpopulation"]


def _sites(rows=_ROWS) -> gpd.GeoDataFrame:
    recs = []
    for sid, kind, unit, code, lon, lat, measures, prec in rows:
        recs.append(
            dict(
                id=sid, name=sid.replace("-", " ").title(), alt_names=[], kind=kind, population_unit=unit, code=code,
                countries=["UZB"], river=None, river_system=None, status="native", measures=measures, parent=None,
                area_ha=None, location_status="unresolved" if lon is None else "approximate",
                location_precision_km=prec, source="test fixture",
                geometry=None if lon is None else Point(lon, lat),
            )
        )
    return gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")


def _pairwise_overlaps(texts: list[Text]) -> list[tuple[str, str]]:
    # Independent of plot.label_overlaps: a plain double loop over the drawn boxes.
    renderer = texts[0].figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer=renderer) for t in texts]
    out = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1:
                out.append((texts[i].get_text(), texts[j].get_text()))
    return out


@pytest.fixture(scope="module")
def fig():
    return plot.programme_map(_sites())


# --- base map and furniture ---------------------------------------------------


def test_the_default_map_frame_holds_the_programme_corners_and_touches_the_frame():
    # base_map's default frame: the programme extent through raster.degree_bounds, 50 points per edge.
    xmin, ymin, xmax, ymax = raster.degree_bounds(settings.PROGRAMME_BOUNDS_DEG, densify_pts=plot.FRAME_DENSIFY_PTS)
    west, south, east, north = settings.PROGRAMME_BOUNDS_DEG
    lons = np.r_[np.linspace(west, east, 200), np.full(200, east), np.linspace(west, east, 200), np.full(200, west)]
    lats = np.r_[np.full(200, south), np.linspace(south, north, 200), np.full(200, north), np.linspace(south, north, 200)]
    x, y = TO_WORK.transform(lons, lats)
    assert x.min() == pytest.approx(xmin, abs=1000) and x.max() == pytest.approx(xmax, abs=1000)
    assert y.min() == pytest.approx(ymin, abs=1000) and y.max() == pytest.approx(ymax, abs=1000)
    # 27 degrees of longitude at ~41 N is about 2270 km; the conic fan makes the frame a bit wider.
    assert 2200e3 < xmax - xmin < 2600e3


def test_graticule_labels_sit_where_their_meridian_and_parallel_cross_the_frame():
    fig, ax = plot.base_map(rivers=False, country_labels=False)
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    ylabels = [t.get_text() for t in ax.get_yticklabels()]
    assert xlabels == ["60°E", "65°E", "70°E", "75°E", "80°E"]
    assert ylabels == ["35°N", "40°N", "45°N"]
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    for x, lon in zip(ax.get_xticks(), (60, 65, 70, 75, 80)):
        assert TO_GEO.transform(x, ymin)[0] == pytest.approx(lon, abs=0.01)
    for y, lat in zip(ax.get_yticks(), (35, 40, 45)):
        assert TO_GEO.transform(xmin, y)[1] == pytest.approx(lat, abs=0.01)


def test_base_map_draws_into_a_given_axes_and_rejects_bad_bounds():
    fig, ax = plot.base_map(bounds=(-300e3, -300e3, 300e3, 200e3), graticule=False)
    assert ax.get_xlim() == (-300e3, 300e3) and ax.get_ylim() == (-300e3, 200e3)
    fig2, ax2 = plot.base_map(ax=ax, rivers=False)
    assert fig2 is fig and ax2 is ax
    with pytest.raises(ConfigError, match="bounds"):
        plot.base_map(bounds=(10, 0, 5, 1))
    with pytest.raises(ConfigError, match="bounds"):
        plot.base_map(bounds=(0, 0, 1))


def test_base_map_inside_the_range_states_draws_without_warning():
    # A frame around Bukhara touches no country outside the Range States; plotting that empty
    # selection made geopandas warn, and every user map of a small area printed the warning.
    import warnings

    x, y = Transformer.from_crs("EPSG:4326", settings.WORKING_CRS, always_xy=True).transform(64.4, 39.8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = plot.base_map(bounds=(x - 20e3, y - 20e3, x + 20e3, y + 20e3), graticule=False)
    assert len(ax.collections) > 0


def test_north_arrow_turns_by_the_meridian_convergence():
    # Albers: the angle between grid north and true north is n * (lon - lon0),
    # n = (sin 36 + sin 46) / 2 = 0.6536 on the sphere (the ellipsoid changes it by < 0.5 %).
    n = (math.sin(math.radians(36)) + math.sin(math.radians(46))) / 2
    fig, ax = plot.base_map(rivers=False, country_labels=False, graticule=False)
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    for fx in (0.05, 0.5, 0.95):
        angle = plot.add_north_arrow(ax, loc=(fx, 0.5))
        lon, _ = TO_GEO.transform(xmin + fx * (xmax - xmin), ymin + 0.5 * (ymax - ymin))
        assert angle == pytest.approx(-n * (lon - 68.5), abs=0.1)


def test_scale_bar_segments_add_up_to_its_length():
    fig, ax = plot.base_map(rivers=False, country_labels=False, graticule=False)
    before = len(ax.patches)
    km = plot.add_scale_bar(ax, length_km=300)
    bars = ax.patches[before:]
    assert km == 300
    assert len(bars) == 4 and sum(p.get_width() for p in bars) == pytest.approx(300e3)
    auto = plot.add_scale_bar(ax)
    width_km = (ax.get_xlim()[1] - ax.get_xlim()[0]) / 1000
    assert width_km / 10 <= auto <= width_km / 3
    with pytest.raises(ConfigError, match="length_km"):
        plot.add_scale_bar(ax, length_km=-5)


# --- figure files -------------------------------------------------------------


def _png_size_and_dpi(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    i = data.find(b"pHYs")
    ppm_x = struct.unpack(">I", data[i + 4 : i + 8])[0]
    return width, height, ppm_x * 0.0254


def test_save_figure_writes_readable_png_svg_pdf(tmp_path):
    fig, ax = plot.base_map(rivers=False, country_labels=False)
    paths = plot.save_figure(fig, tmp_path / "sub" / "m", formats=("png", "svg", "pdf"), dpi=120)
    assert [p.name for p in paths] == ["m.png", "m.svg", "m.pdf"]
    w, h, dpi = _png_size_and_dpi(paths[0])
    assert dpi == pytest.approx(120, abs=0.5)
    # Tight bounding box: no wider than the figure, and most of it.
    fw, fh = fig.get_size_inches()
    assert 0.8 * fw * 120 < w <= fw * 120 + 2 and 0.7 * fh * 120 < h <= fh * 120 + 2
    root = ET.parse(paths[1]).getroot()
    assert root.tag.endswith("svg")
    assert paths[2].read_bytes()[:5] == b"%PDF-"
    # Twice the resolution, twice the pixels.
    w2, h2, _ = _png_size_and_dpi(plot.save_figure(fig, tmp_path / "m2", formats=("png",), dpi=240)[0])
    assert w2 == pytest.approx(2 * w, abs=3) and h2 == pytest.approx(2 * h, abs=3)


def test_svg_and_pdf_are_byte_identical_when_saved_twice(tmp_path):
    fig, ax = plot.base_map(rivers=False, country_labels=False)
    a = plot.save_figure(fig, tmp_path / "a", formats=("svg", "pdf"))
    b = plot.save_figure(fig, tmp_path / "b", formats=("svg", "pdf"))
    assert a[0].read_bytes() == b[0].read_bytes()
    assert a[1].read_bytes() == b[1].read_bytes()


def test_save_figure_leaves_nothing_behind_on_failure(tmp_path):
    fig, ax = plot.base_map(rivers=False, country_labels=False, graticule=False)
    good = plot.save_figure(fig, tmp_path / "m", formats=("png",), dpi=50)[0]
    before = good.read_bytes()

    class Boom(Text):
        def draw(self, renderer):
            raise RuntimeError("drawing failed")

    ax.add_artist(Boom(0, 0, "x"))
    with pytest.raises(RuntimeError):
        plot.save_figure(fig, tmp_path / "m", formats=("png",), dpi=50)
    assert good.read_bytes() == before  # the earlier good file is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png"]  # no temporary left


def test_save_figure_rejects_unknown_format(tmp_path):
    fig, ax = plot.base_map(rivers=False, country_labels=False, graticule=False)
    with pytest.raises(ConfigError, match="'tiff'"):
        plot.save_figure(fig, tmp_path / "m", formats=("png", "tiff"))
    assert list(tmp_path.iterdir()) == []


def _png_text_keys(path):
    data = path.read_bytes()
    keys, i = [], data.find(b"tEXt")
    while i >= 0:
        keys.append(data[i + 4 : data.index(b"\0", i + 4)].decode())
        i = data.find(b"tEXt", i + 4)
    return keys


def test_save_figure_chart_way_writes_the_whole_canvas_with_outlined_glyphs(tmp_path):
    fig = Figure(figsize=(4, 3))
    fig.add_subplot(1, 1, 1).set_title("a chart")
    png, svg = plot.save_figure(fig, tmp_path / "c", **plot.CHART_SAVE, tight=False)
    w, h, dpi = _png_size_and_dpi(png)
    assert (w, h) == (600, 450) and dpi == pytest.approx(150, abs=0.5)  # 4 x 3 in at 150 dpi, uncropped
    assert "Software" not in _png_text_keys(png)
    assert "<text" not in svg.read_text()  # glyphs as outlines
    house_png, house_svg = plot.save_figure(fig, tmp_path / "h")
    assert "Software" in _png_text_keys(house_png)
    assert "a chart" in house_svg.read_text()  # the house way keeps text editable


def test_save_figure_per_format_tight_frame_and_padding(tmp_path):
    fig = Figure(figsize=(4, 3))
    fig.add_subplot(1, 1, 1).plot([0, 1], [0, 1])
    small = plot.save_figure(fig, tmp_path / "a", ("png",), dpi=100, measure="per_format", pad_inches=0.0)[0]
    big = plot.save_figure(fig, tmp_path / "b", ("png",), dpi=100, measure="per_format", pad_inches=0.5)[0]
    (w0, h0, _), (w1, h1, _) = _png_size_and_dpi(small), _png_size_and_dpi(big)
    assert w0 < 400 and (w1 - w0, h1 - h0) == (pytest.approx(100, abs=2), pytest.approx(100, abs=2))


def test_save_figure_closes_a_pyplot_figure_when_asked(tmp_path):
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    plot.save_figure(fig, tmp_path / "kept", ("png",), dpi=20)
    assert plt.fignum_exists(fig.number)
    plot.save_figure(fig, tmp_path / "closed", ("png",), dpi=20, close=True)
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize(
    "kw, word",
    [({"measure": "twice"}, "measure"), ({"svg_text": "glyphs"}, "svg_text"), ({"pad_inches": -1}, "pad_inches"),
     ({"vector_dpi": 0}, "vector_dpi")],
)
def test_save_figure_rejects_bad_options(tmp_path, kw, word):
    with pytest.raises(ConfigError, match=word):
        plot.save_figure(Figure(), tmp_path / "m", **kw)
    assert list(tmp_path.iterdir()) == []


# --- programme map --------------------------------------------------------------


def test_label_overlaps_finds_overlapping_pairs_only():
    fig, ax = plot.base_map(rivers=False, country_labels=False, graticule=False)
    a = ax.text(0, 0, "Alpha")
    b = ax.text(0, 0, "Beta")
    c = ax.text(800e3, 400e3, "Gamma")
    assert plot.label_overlaps([a, b, c]) == [(0, 1)]
    assert plot.label_overlaps([a, c]) == []


def test_programme_map_labels_do_not_overlap(fig):
    labels = plot.map_labels(fig)
    assert len(labels) >= len(_ROWS) - 2  # every located labelled site, plus rivers and countries
    assert _pairwise_overlaps(labels) == []
    assert plot.label_overlaps(labels) == []


def test_programme_map_labels_every_code_unit_and_hotspot(fig):
    texts = [t.get_text() for t in plot.map_labels(fig)]
    for code in CODES:
        assert texts.count(code) == 1, code
    for unit in range(1, 7):
        assert str(unit) in texts
    assert "HS 38" in texts and "HS 6" in texts
    assert {"2.5", "4.1"} <= set(texts) and "7.4" not in texts
    # the two ends of measure 7.4 are told apart, west to east: end-b (76.0 E) is a, end-a (77.2 E) is b
    where = {t.get_gid(): t.get_text() for t in plot.map_labels(fig)}
    assert where["label:end-b"] == "7.4a" and where["label:end-a"] == "7.4b"
    note = next(t.get_text() for t in fig.texts if t.get_gid() == "unresolved-note").replace("\n", " ")
    assert "Labels told apart: 7.4a End B; 7.4b End A." in note


def test_programme_map_labels_keep_clear_of_country_and_river_names(fig):
    # A measure label touching a country name read as one word ("2.1UZBEKISTAN"): 3 pt at least between them.
    renderer = fig.canvas.get_renderer()
    gap = 3.0 * fig.dpi / 72.0 - 0.5
    for ax in fig.axes:
        names = [t.get_window_extent(renderer=renderer) for t in ax.texts
                 if (t.get_gid() or "").startswith(("country-", "river:"))]
        for t in ax.texts:
            if (t.get_gid() or "").startswith("label:"):
                box = t.get_window_extent(renderer=renderer)
                assert not any(box.overlaps(n.padded(gap)) for n in names), t.get_text()


def test_programme_map_legend_and_label_styles(fig):
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    # the dotted line between the two ends of 7.4 is drawn and explained
    assert any(line.get_gid() == "corridor-line" for line in fig.axes[0].lines)
    assert "Candidate corridor between its ends (measure)" in legend
    # unit-7 names are upright and bold; river names are italic
    labels = {t.get_gid(): t for t in plot.map_labels(fig)}
    khutalon = labels["label:khutalon"]
    rivers = [t for gid, t in labels.items() if gid.startswith("river:")]
    assert rivers and all(t.get_fontstyle() == "italic" for t in rivers)
    assert khutalon.get_fontstyle() == "normal" and khutalon.get_fontweight() == "bold"


def test_programme_map_labels_stay_inside_their_map(fig):
    renderer = fig.canvas.get_renderer()
    assert len(fig.axes) == 2  # overview and inset
    for t in plot.map_labels(fig):
        frame = t.axes.patch.get_window_extent(renderer=renderer)
        box = t.get_window_extent(renderer=renderer)
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1, t.get_text()


def test_programme_map_notes_the_unresolved_places(fig):
    note = [t for t in fig.texts if t.get_gid() == "unresolved-note"]
    assert len(note) == 1
    text = note[0].get_text().replace("\n", " ")
    assert "cand-kyzyltau" in text and "cand-zhanadarya" in text and "6.3" in text


def test_programme_map_without_unresolved_places_says_so():
    rows = [r for r in _ROWS if r[4] is not None]
    fig = plot.programme_map(_sites(rows), title=None, label_iterations=50)
    note = [t.get_text() for t in fig.texts if t.get_gid() == "unresolved-note"]
    assert note and "none unresolved" in note[0]


def test_crowded_labels_are_still_separated():
    # Twelve subpopulations within 6 km of each other: the fallback must clear them.
    rows = [(f"s{i}", "subpopulation", [1], f"Xx{i}", 68.0 + 0.005 * i, 37.5, [], 5) for i in range(12)]
    fig = plot.programme_map(_sites(rows), title=None, label_iterations=30)
    labels = plot.map_labels(fig)
    assert _pairwise_overlaps(labels) == []
    assert sum(t.get_text().startswith("Xx") for t in labels) == 12


def test_unit_area_without_polygon_is_the_grown_hull_of_its_places():
    # One place with a 25 km precision: the unit is the 25 km disc round it.
    sites = _sites([("a", "subpopulation", [4], "Aa1", 67.0, 39.5, [], 25)]).to_crs(settings.WORKING_CRS)
    area = _unit_area(sites, 4)
    assert area.area == pytest.approx(math.pi * 25e3**2, rel=0.01)
    assert _unit_area(sites, 5) is None


def test_programme_map_rejects_sites_without_schema_fields():
    bad = _sites().drop(columns=["kind"])
    with pytest.raises(ConfigError, match="kind"):
        plot.programme_map(bad)


# --- the bundled programme and the command line (slow: the map of the bundled data, every label placed) ---


@pytest.fixture(scope="module")
def bundled_fig():
    from corridors.sites import load_sites

    sites = load_sites()
    return sites, plot.programme_map(sites)


@pytest.mark.slow
def test_bundled_map_labels_every_subpopulation_code_once_without_overlap(bundled_fig):
    sites, fig = bundled_fig
    labels = plot.map_labels(fig)
    texts = [t.get_text() for t in labels]
    codes = sorted(sites.loc[sites["kind"].eq("subpopulation"), "code"])
    assert len(codes) == 13
    for code in codes:
        assert texts.count(code) == 1, code
    assert _pairwise_overlaps(labels) == []


@pytest.mark.slow
def test_bundled_map_notes_every_unresolved_id(bundled_fig):
    from corridors.sites import unresolved

    sites, fig = bundled_fig
    note = next(t.get_text() for t in fig.texts if t.get_gid() == "unresolved-note").replace("\n", " ")
    ids = list(unresolved(sites)["id"])
    assert len(ids) >= 3  # the programme's footnotes 4, 5 and 6
    for sid in ids:
        assert f"[{sid}]" in note


@pytest.mark.slow  # the programme map of the bundled data, every label placed (about 5 s)
def test_cli_map_programme_writes_three_files_and_provenance(tmp_path):
    from corridors.cli import main

    result = CliRunner().invoke(main, ["map", "programme", "-o", str(tmp_path / "out"), "--dpi", "60"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [".corridors-output.json", "programme_map.pdf", "programme_map.png", "programme_map.svg", "provenance.json"]  # issue 11: provenance in every folder
    w, h, dpi = _png_size_and_dpi(tmp_path / "out" / "programme_map.png")
    assert dpi == pytest.approx(60, abs=0.5) and w > 300 and h > 300
    assert "not mapped (location unresolved)" in result.output


def test_inset_takes_the_labels_of_the_places_it_shows(fig):
    overview, inset = fig.axes
    where = {t.get_text(): t.axes for t in plot.map_labels(fig)}
    west, south, east, north = plot.INSET_BOUNDS_DEG
    for sid, kind, unit, code, lon, lat, *_ in _ROWS:
        if kind != "subpopulation":
            continue
        inside = west < lon < east and south < lat < north
        assert where[code] is (inset if inside else overview), code
    # Captive groups are named on the inset only (fixture: Romit at 69.3 E 38.7 N).
    assert where["Cap Romit"] is inset
    # The overview marks the inset's frame.
    frames = [p for p in overview.patches if p.get_gid() == "inset-frame"]
    assert len(frames) == 1
    x0, y0, x1, y1 = TO_WORK.transform_bounds(*plot.INSET_BOUNDS_DEG, densify_pts=50)
    assert frames[0].get_x() == pytest.approx(x0) and frames[0].get_width() == pytest.approx(x1 - x0)
    assert inset.get_xlim() == pytest.approx((x0, x1)) and inset.get_ylim() == pytest.approx((y0, y1))


def test_programme_map_without_inset_labels_everything_on_one_map():
    fig = plot.programme_map(_sites(), inset=False, title=None, label_iterations=50)
    assert len(fig.axes) == 1
    labels = plot.map_labels(fig)
    texts = [t.get_text() for t in labels]
    for code in CODES:
        assert texts.count(code) == 1
    assert "Cap Romit" not in texts  # named places are left to the inset
    assert _pairwise_overlaps(labels) == []


def test_overview_framed_elsewhere_gets_no_inset():
    # Frame round the Ile-Balkhash (about 73-80 E, 43-46 N): the Upper Amu Darya inset would show nothing of it.
    x0, y0, x1, y1 = TO_WORK.transform_bounds(73.0, 43.0, 80.0, 46.5, densify_pts=20)
    fig = plot.programme_map(_sites(), bounds=(x0, y0, x1, y1), title=None, label_iterations=50)
    assert len(fig.axes) == 1
    texts = [t.get_text() for t in plot.map_labels(fig)]
    assert {"Kz1", "Kz3", "Kz4", "6"} <= set(texts)
    assert "Tj1" not in texts  # outside the frame: no label pushed into view


def test_same_sites_give_the_same_label_positions_and_text_fields_work(fig):
    # The GeoPackage/Shapefile form: list fields as ';'-joined text.
    flat = _sites()
    for col in ("population_unit", "countries", "measures", "alt_names"):
        flat[col] = flat[col].map(lambda v: ";".join(map(str, v)))
    again = plot.programme_map(flat)
    first = {t.get_gid(): t.get_position() for t in plot.map_labels(fig)}
    second = {t.get_gid(): t.get_position() for t in plot.map_labels(again)}
    assert first.keys() == second.keys()
    for gid, xy in first.items():
        assert second[gid] == pytest.approx(xy, abs=1.0), gid  # metres


def test_map_title_of_your_own_file_and_of_your_own_text(tmp_path):
    from corridors.analyses.programme_map import run_programme_map
    from corridors.sites import write_sites

    path = write_sites(_sites([r for r in _ROWS if r[0] in ("uz4", "tj5")]), tmp_path / "my_sites.geojson")
    titles = lambda result: [t.get_text() for t in result.figure.texts if t.get_gid() != "unresolved-note"]  # noqa: E731
    assert titles(run_programme_map(path)) == ["Bukhara deer: places of my_sites.geojson"]
    mine = run_programme_map(path, title="Zarafshon 2026")
    assert titles(mine) == ["Zarafshon 2026"] and mine.parameters["title"] == "Zarafshon 2026"
    assert titles(run_programme_map(path, title=False)) == []


def test_cli_title_options_that_contradict_are_usage_errors():
    from corridors.cli import main

    both = CliRunner().invoke(main, ["map", "programme", "--title", "X", "--no-title"])
    assert both.exit_code == 2 and "--title and --no-title" in both.output
    empty = CliRunner().invoke(main, ["map", "programme", "--title", " "])
    assert empty.exit_code == 2 and "'--title'" in empty.output


# --- the label placer -----------------------------------------------------------


def test_place_labels_without_anchors_keeps_labels_apart_and_joins_the_moved_ones():
    # The lcp / pinch use: labels drawn at their feature, no anchors given, no overlaps left.
    fig, ax = plot.base_map(bounds=(-300e3, -300e3, 300e3, 300e3), rivers=False, graticule=False)
    texts = [ax.text(1e3 * i, 1e3 * i, f"corridor {i}", fontsize=7) for i in range(6)]
    lines = plot.place_labels(ax, texts, leader_style={"color": "#555555", "linewidth": 0.5})
    assert plot.label_overlaps(texts) == []
    assert lines and all(ln.get_linewidth() == 0.5 for ln in lines)


def test_place_labels_is_reproducible():
    def placed():
        fig, ax = plot.base_map(bounds=(-300e3, -300e3, 300e3, 300e3), rivers=False, graticule=False)
        texts = [ax.text(2e3 * i, 0, f"site {i}") for i in range(5)]
        plot.place_labels(ax, texts, sym_xy=[(0.0, 0.0)])
        return [t.get_position() for t in texts]

    assert placed() == placed()


def test_place_labels_checks_anchors_and_can_be_lenient(monkeypatch):
    fig, ax = plot.base_map(bounds=(-300e3, -300e3, 300e3, 300e3), rivers=False, graticule=False)
    texts = [ax.text(0, 0, "a"), ax.text(0, 0, "b")]
    with pytest.raises(ConfigError, match="anchor"):
        plot.place_labels(ax, texts, [(0.0, 0.0)])
    def fail(*args, **kwargs):
        raise RuntimeError("placement failed")

    monkeypatch.setattr(plot_labels, "_place", fail)
    assert plot.place_labels(ax, texts, strict=False) == []  # cosmetic labels never fail a run
    with pytest.raises(RuntimeError):
        plot.place_labels(ax, texts)


def test_a_map_is_drawn_in_the_data_own_crs():
    # A user's grid in UTM 17N (West Virginia): the graticule is in that projection, labelled in west longitudes.
    fig, ax = base_map(bounds=(500_000, 4_199_700, 501_000, 4_200_000), crs="EPSG:32617")
    assert axes_crs(ax).to_epsg() == 32617
    lons = [t.get_text() for t in ax.get_xticklabels()]
    assert lons and all(t.endswith("°W") for t in lons)
    assert len(ax.collections) == 0  # the bundled layers (Central Asia) do not reach West Virginia


def test_a_map_in_another_crs_over_central_asia_keeps_the_base_layers():
    # UTM 41N round Bukhara: countries, rivers and borders are reprojected into the map's CRS.
    fig, ax = base_map(bounds=(500_000, 4_300_000, 700_000, 4_500_000), crs="EPSG:32641")
    assert len(ax.collections) >= 3
    x0, x1 = ax.get_xlim()
    assert (x0, x1) == (500_000, 700_000)
    assert [t.get_text() for t in ax.get_xticklabels()][0].endswith("°E")


def test_a_map_of_a_grid_without_a_crs_has_no_degrees():
    fig, ax = base_map(bounds=(0, 0, 10, 5), crs=None)
    assert axes_crs(ax) is None
    assert not any("°" in t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels())
    assert add_north_arrow(ax) == 0.0  # grid north


def test_the_frame_of_a_small_grid_is_not_lost_in_the_margin():
    assert frame_around((0, 0, 1000, 500), 100_000) == (-100, -100, 1100, 600)  # a tenth of the larger side
    assert frame_around((0, 0, 2_000_000, 10), 100_000) == (-100_000, -100_000, 2_100_000, 100_010)  # the full margin
