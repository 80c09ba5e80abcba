"""Tests of corridors.sites: the bundled programme places, the schema checks and the file round trips."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from corridors import io, settings
from corridors import programme as P
from corridors import sites as S
from corridors._errors import ConfigError, DataError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sites() -> gpd.GeoDataFrame:
    return S.load_sites()


@pytest.fixture(scope="module")
def measures():
    return P.load_measures()


def _codes(sites, unit):
    sub = S.by_kind(S.by_unit(sites, unit), "subpopulation")
    return sorted(sub["code"])


# --- the bundled data ---------------------------------------------------------


@pytest.mark.parametrize(
    "unit, codes",
    [
        (1, ["Tj1", "Tj4", "Tm2", "Uz3"]),
        (2, ["Tm1", "Uz2"]),
        (3, ["Uz1"]),
        (4, ["Tj5", "Uz4"]),
        (5, ["Kz2"]),
        (6, ["Kz1", "Kz3", "Kz4"]),
        (7, []),
        (8, []),
    ],
)
def test_subpopulations_per_unit(sites, unit, codes):
    assert _codes(sites, unit) == codes


def test_thirteen_subpopulations_with_their_units(sites):
    sub = S.by_kind(sites, "subpopulation")
    assert len(sub) == 13
    assert all(len(u) == 1 for u in sub["population_unit"])
    # every subpopulation's parent is the outline of its own unit
    assert all(p == f"unit-{u[0]}" for p, u in zip(sub["parent"], sub["population_unit"]))


def test_six_population_units_are_approximate_polygons(sites):
    units = S.by_kind(sites, "population_unit")
    assert sorted(u[0] for u in units["population_unit"]) == [1, 2, 3, 4, 5, 6]
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(units["location_status"]) == {"approximate"}
    # each outline holds the points of its subpopulations
    for unit in units.itertuples():
        sub = S.by_kind(S.by_unit(sites, unit.population_unit[0]), "subpopulation")
        assert sub.within(unit.geometry).all(), unit.id


def test_hotspots_and_their_units(sites):
    hs = S.by_kind(sites, "hotspot")
    assert dict(zip(hs["code"], hs["population_unit"])) == {
        "HS5": [1],
        "HS6": [1],
        "HS7": [1],
        "HS35": [4],
        "HS38": [2, 3],
    }
    # transboundary: every hotspot lies in at least two countries
    assert (hs["countries"].map(len) >= 2).all()
    assert "hotspot-38" in set(S.by_unit(sites, 2)["id"]) & set(S.by_unit(sites, 3)["id"])


def test_planning_units_7_and_8(sites):
    out = S.by_kind(sites, "outside_range")
    assert sorted(out["id"]) == ["dashtijum", "khutalon"]
    assert all(u == [7] for u in out["population_unit"])
    cap = S.by_kind(sites, "captive")
    assert len(cap) == 8
    assert all(u == [8] for u in cap["population_unit"])
    per_country = cap["countries"].map(lambda c: c[0]).value_counts().to_dict()
    assert per_country == {"UZB": 3, "KAZ": 2, "TJK": 3}
    assert set(cap["status"]) == {"captive"}


def test_unresolved_places_have_no_geometry(sites):
    un = S.unresolved(sites)
    assert sorted(un["id"]) == [
        "cand-kyzyltau-baijurkum",
        "cand-rakhmankel",
        "cand-ulyshor",
        "cand-yeraji-wetlands",
        "cand-zhanadarya",
    ]
    assert un.geometry.isna().all()
    assert un["location_precision_km"].isna().all()
    placed = S.located(sites)
    assert len(placed) + len(un) == len(sites)
    assert placed.geometry.notna().all() and (placed["location_precision_km"] > 0).all()


def test_areas_stated_by_the_programme(sites):
    area = dict(zip(sites["id"], sites["area_ha"]))
    assert area["cand-sudochye-akpetki"] == 280507
    assert area["yeraji-sr"] == 30000
    assert sum(not math.isnan(a) for a in area.values()) == 2


def test_ids_are_unique_lowercase_slugs(sites):
    assert sites["id"].is_unique
    assert all(i == i.lower() and " " not in i for i in sites["id"])
    assert set(sites["parent"].dropna()) <= set(sites["id"])


def test_points_lie_in_their_countries(sites):
    countries = io.load_base("countries").set_index("ISO_A3").geometry
    placed = S.located(sites)
    for row in placed.itertuples():
        shapes = [countries[c] for c in row.countries]
        if row.geometry.geom_type == "Point":
            assert any(s.contains(row.geometry) for s in shapes), f"{row.id} outside {row.countries}"
        else:
            assert all(s.intersects(row.geometry) for s in shapes), f"{row.id} misses one of {row.countries}"
    # the check can fail: a point moved 50 km south of Termez falls in Afghanistan
    termez = placed.loc[placed["id"] == "cand-termez-pa"].geometry.iloc[0]
    assert not countries["UZB"].contains(shapely.affinity.translate(termez, 0, -50_000))


def test_points_lie_near_their_river(sites):
    rivers = gpd.read_file(settings.RIVERS_DIR / "rivers.geojson").to_crs(settings.WORKING_CRS)
    lines = rivers.dissolve("river")
    placed = S.located(sites)
    points = placed[(placed.geom_type == "Point") & placed["river"].notna()]
    assert len(points) >= 50
    for row in points.itertuples():
        assert row.river in lines.index, f"{row.id}: river {row.river!r} not in data/rivers/rivers.geojson"
        slack = float(lines.loc[row.river, "precision_km"]) if lines.loc[row.river, "approximate"] else 0.0
        d_km = lines.loc[row.river].geometry.distance(row.geometry) / 1000
        assert d_km <= 15 + slack, f"{row.id} is {d_km:.1f} km from the {row.river}"
    # the river systems are consistent with the rivers
    system = dict(zip(rivers["river"], rivers["river_system"]))
    for row in points.itertuples():
        assert row.river_system == system[row.river], row.id


def test_every_site_and_measure_agree(sites, measures):
    assert P.cross_check(sites, measures) == []
    named = {(m, s) for m, ss in zip(measures["id"], measures["site_ids"]) for s in ss}
    listed = {(m, s) for s, ms in zip(sites["id"], sites["measures"]) for m in ms}
    assert named == listed and len(named) > 100


def test_cross_check_reports_a_disagreement(sites, measures):
    broken = sites.copy()
    broken["measures"] = [ms if i != "tj1" else [*ms, "7.7"] for i, ms in zip(broken["id"], broken["measures"])]
    problems = P.cross_check(broken, measures)
    assert problems == ["site 'tj1' lists measure 7.7, which does not name the site."]


@pytest.mark.parametrize(
    "measure, site",
    [
        ("2.5", "cand-sudochye-akpetki"),
        ("2.10", "cand-khorezm-urgench"),
        ("2.10", "cand-khorezm-yangibozor"),
        ("3.2", "cand-kyzylkum-ssnr-extension"),
        ("3.6", "yeraji-sr"),
        ("4.1", "cand-darqad"),
        ("4.6", "parkhar-district"),
        ("4.6", "hamadoni-district"),
        ("4.7", "cand-termez-pa"),
        ("5.1", "cand-zarafshon-nnp-extension"),
        ("6.3", "cand-kyzyltau-baijurkum"),
        ("6.3", "cand-arys-district"),
        ("6.6", "cand-zhanadarya"),
        ("7.3", "cand-ile-balkhash-extension"),
        ("7.4", "end-kapchagai"),
        ("7.5", "cand-altyn-emel"),
        ("7.9", "cand-upper-ile"),
        ("8.3", "cand-ulyshor"),
        ("2.1", "nazarkhan"),
        ("6.4", "end-aral"),
        ("4.9", "maimun-tugay"),
        ("7.7", "karachingil"),
    ],
)
def test_measures_name_their_sites(sites, measure, site):
    row = sites.loc[sites["id"] == site].iloc[0]
    assert measure in row["measures"]


def test_selections(sites):
    assert set(S.by_river_system(sites, "ile")["id"]) >= {"kz1", "kz3", "kz4", "end-kapchagai"}
    assert set(S.by_river_system(sites, "ile")["population_unit"].map(tuple)) <= {(6,), (8,)}
    assert len(S.by_kind(sites, ["hotspot", "outside_range"])) == 7
    with pytest.raises(ConfigError, match="kind 'reserve'"):
        S.by_kind(sites, "reserve")
    with pytest.raises(ConfigError, match="population unit 9"):
        S.by_unit(sites, 9)
    with pytest.raises(ConfigError, match="river system 'indus'"):
        S.by_river_system(sites, "indus")


def test_constants_cover_the_data(sites):
    assert set(sites["kind"]) == set(S.KINDS)
    assert set(sites["status"]) == set(S.STATUSES)
    assert set(sites["location_status"]) == {"approximate", "unresolved"}
    assert set(sites["river_system"].dropna()) == set(S.RIVER_SYSTEMS)
    assert S.POPULATION_UNITS[3] == "Lower Amu Darya"


def test_loaded_in_working_crs_with_metres(sites):
    assert sites.crs.equals(settings.WORKING_CRS)
    wgs = S.load_sites(to_crs=None)
    assert wgs.crs.equals("EPSG:4326")
    tj1 = wgs.loc[wgs["id"] == "tj1"].geometry.iloc[0]
    assert (round(tj1.x, 2), round(tj1.y, 2)) == (68.33, 37.2)


def test_precision_areas(sites):
    areas = S.precision_areas(sites)
    assert len(areas) == len(S.located(sites))
    row = areas.loc[areas["id"] == "beshai-palangon"].iloc[0]
    r = 12_000.0
    assert row.geometry.area == pytest.approx(math.pi * r * r, rel=0.01)
    unit = sites.loc[sites["id"] == "unit-4"].geometry.iloc[0]
    assert areas.loc[areas["id"] == "unit-4"].geometry.iloc[0].equals(unit)
    # in WGS84 in, WGS84 out (buffered in metres, not degrees)
    wgs = S.precision_areas(S.load_sites(to_crs=None))
    assert wgs.crs.equals("EPSG:4326")
    back = wgs.loc[wgs["id"] == "beshai-palangon"].to_crs(settings.WORKING_CRS).geometry.iloc[0]
    assert back.area == pytest.approx(math.pi * r * r, rel=0.02)


def test_build_script_reproduces_the_bundled_file(tmp_path):
    spec = importlib.util.spec_from_file_location("build_sites", REPO / "scripts" / "build_sites.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "sites.geojson"
    assert mod.main(["--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(settings.SITES_PATH.read_text())


# --- files of the same schema -------------------------------------------------


def _equal(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, cut_text: int | None = None) -> None:
    assert list(a["id"]) == list(b["id"])
    for field in S.FIELDS:
        for x, y in zip(a[field], b[field]):
            if cut_text and field == "source":
                assert x[:cut_text].rstrip() == y.rstrip()
            elif isinstance(x, float) and math.isnan(x):
                assert isinstance(y, float) and math.isnan(y), field
            else:
                assert x == y, (field, x, y)
    for g, h in zip(a.geometry, b.geometry):
        assert (g is None and h is None) or g.equals_exact(h, 1e-3)


def test_round_trip_geopackage(sites, tmp_path):
    path = S.write_sites(sites, tmp_path / "sites.gpkg")
    back = S.load_sites(path)
    assert list(back["id"]) == list(sites["id"])
    _equal(sites, back)


def test_round_trip_shapefile(sites, tmp_path):
    points = sites[sites["kind"] != "population_unit"]
    with pytest.warns(UserWarning, match=r"sites\.shp: \d+ text value\(s\) longer than 254 characters were cut"):
        path = S.write_sites(points, tmp_path / "sites.shp")
    assert {p.suffix for p in tmp_path.iterdir()} >= {".shp", ".dbf", ".shx", ".prj"}
    raw = gpd.read_file(path)
    assert "location_s" in raw.columns  # the Shapefile did cut the names ...
    back = S.load_sites(path)  # ... and the loader maps them back
    _equal(points.reset_index(drop=True), back, cut_text=254)


def test_shapefile_refuses_mixed_geometry_types(sites, tmp_path):
    with pytest.raises(ConfigError, match="one geometry type"):
        S.write_sites(sites, tmp_path / "sites.shp")
    assert list(tmp_path.iterdir()) == []


def test_other_crs_is_reprojected_on_load(sites, tmp_path):
    utm = S.load_sites(to_crs="EPSG:32642")
    path = S.write_sites(utm, tmp_path / "utm.gpkg")
    back = S.load_sites(path)
    assert back.crs.equals(settings.WORKING_CRS)
    a = sites.loc[sites["id"] == "kz2"].geometry.iloc[0]
    b = back.loc[back["id"] == "kz2"].geometry.iloc[0]
    assert a.distance(b) < 1.0  # metres


# --- bad inputs ---------------------------------------------------------------


def _feature(**props):
    base = {
        "id": "x1",
        "name": "Test place",
        "kind": "subpopulation",
        "population_unit": [1],
        "countries": ["UZB"],
        "status": "native",
        "location_status": "approximate",
        "location_precision_km": 5,
    }
    geom = props.pop("geometry", {"type": "Point", "coordinates": [67.3, 37.3]})
    base.update(props)
    return {"type": "Feature", "properties": {k: v for k, v in base.items() if v is not ...}, "geometry": geom}


def _write(tmp_path, *features, name="bad.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


@pytest.mark.filterwarnings("ignore:Could not parse column")
def test_a_minimal_user_file_loads_with_defaults(tmp_path):
    path = _write(tmp_path, _feature(), _feature(id="x2", population_unit="1;2", countries="TJK;UZB"))
    got = S.load_sites(path)
    assert list(got["population_unit"]) == [[1], [1, 2]]
    assert list(got["countries"]) == [["UZB"], ["TJK", "UZB"]]
    assert list(got["measures"]) == [[], []] and got["code"].isna().all()


@pytest.mark.parametrize(
    "feature, field, words",
    [
        (_feature(kind=...), "kind", "required field missing"),
        (_feature(kind="reserve"), "kind", "unknown value 'reserve'"),
        (_feature(status="wild"), "status", "unknown value 'wild'"),
        (_feature(location_status="guessed"), "location_status", "unknown value 'guessed'"),
        (_feature(population_unit=[9]), "population_unit", "unknown unit 9"),
        (_feature(countries=["Uzbekistan"]), "countries", "not an ISO3 code"),
        (_feature(location_precision_km="far"), "location_precision_km", "not a number"),
        (_feature(location_precision_km=None), "location_precision_km", "no precision on a placed site"),
        (_feature(location_precision_km=-3), "location_precision_km", "not a non-negative number"),
        (_feature(geometry=None), "geometry", "no geometry on a place that is 'approximate'"),
        (_feature(location_status="unresolved"), "geometry", "an unresolved place has a geometry"),
        (
            _feature(geometry={"type": "Polygon", "coordinates": [[[67, 37], [68, 38], [68, 37], [67, 38], [67, 37]]]}),
            "geometry",
            "invalid geometry",
        ),
    ],
)
def test_bad_field_names_file_feature_and_field(tmp_path, feature, field, words):
    path = _write(tmp_path, feature)
    with pytest.raises(DataError) as err:
        S.load_sites(path)
    msg = str(err.value)
    assert str(path) in msg and f"field '{field}'" in msg and words in msg
    if "required" not in words:
        assert "feature 'x1'" in msg


def test_duplicate_ids(tmp_path):
    path = _write(tmp_path, _feature(), _feature(name="Other"))
    with pytest.raises(DataError, match=r"bad\.geojson, feature 'x1', field 'id': duplicate id"):
        S.load_sites(path)


def test_empty_geometry(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["x1"], "name": ["n"], "kind": ["hotspot"], "population_unit": ["1"], "countries": ["UZB"],
         "status": ["native"], "location_status": ["approximate"], "location_precision_km": [5.0]},
        geometry=[Polygon()],
        crs="EPSG:4326",
    )
    path = tmp_path / "empty_geom.gpkg"
    gdf.to_file(path, driver="GPKG")
    with pytest.raises(DataError, match=r"empty_geom\.gpkg, feature 'x1', field 'geometry'"):
        S.load_sites(path)
    with pytest.raises(DataError, match="field 'geometry': empty geometry"):
        S.validate_sites(gdf, "in-memory")


def test_empty_file(tmp_path):
    path = _write(tmp_path)
    with pytest.raises(DataError, match=r"bad\.geojson: the file holds no feature"):
        S.load_sites(path)


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.geojson: file not found"):
        S.load_sites(tmp_path / "nowhere.geojson")


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
@pytest.mark.filterwarnings("ignore:Column names longer than 10 characters")
def test_no_crs(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["x1"], "name": ["n"], "kind": ["hotspot"], "population_unit": ["1"], "countries": ["UZB"],
         "status": ["native"], "location_status": ["approximate"], "location_precision_km": [5.0]},
        geometry=[Point(67.3, 37.3)],
        crs="EPSG:4326",
    )
    path = tmp_path / "nocrs.shp"
    gdf.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(DataError, match=r"nocrs\.shp: the file has no CRS"):
        S.load_sites(path)


def test_write_unknown_format(sites, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown sites format '\.kml'"):
        S.write_sites(sites, tmp_path / "sites.kml")


# --- command line -------------------------------------------------------------


def test_cli_check_counts_and_exit_codes(tmp_path):
    from click.testing import CliRunner

    from corridors.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["sites", "check"])
    assert res.exit_code == 0, res.output
    assert "73 places" in res.output and "unresolved: 5" in res.output
    assert "cand-zhanadarya" in res.output and "92 measures agree" in res.output
    bad = _write(tmp_path, _feature(kind="reserve"))
    res = runner.invoke(main, ["sites", "check", "--sites", str(bad)])
    assert res.exit_code == 1
    assert "feature 'x1', field 'kind': unknown value 'reserve'" in res.output
    assert "Traceback" not in res.output


def test_cli_export_and_list(tmp_path):
    from click.testing import CliRunner

    from corridors.cli import main

    runner = CliRunner()
    out = tmp_path / "hs.gpkg"
    res = runner.invoke(main, ["sites", "export", str(out), "--kind", "hotspot"])
    assert res.exit_code == 0, res.output
    assert sorted(S.load_sites(out)["code"]) == ["HS35", "HS38", "HS5", "HS6", "HS7"]
    res = runner.invoke(main, ["sites", "list", "--unit", "3", "--kind", "subpopulation"])
    assert res.exit_code == 0 and "uz1" in res.output and "tj1" not in res.output
    res = runner.invoke(main, ["sites", "export", str(tmp_path / "all.shp")])
    assert res.exit_code == 1 and "one geometry type" in res.output


def test_coordinates_that_cannot_be_reprojected(tmp_path):
    # Longitude and latitude swapped past 90 degrees: PROJ returns inf, which used to pass `sites check` silently.
    path = _write(tmp_path, _feature(), _feature(id="x2", geometry={"type": "Point", "coordinates": [39.8, 164.4]}))
    with pytest.raises(DataError, match=r"bad\.geojson, feature 'x2', field 'geometry': coordinates outside"):
        S.load_sites(path)
    assert len(S.load_sites(path, to_crs=None)) == 2
