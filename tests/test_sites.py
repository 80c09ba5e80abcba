"""Tests of corridors.sites: the loader, the schema checks, the selectors and the file round trips.

The facts of the bundled places (counts, units, measures, locations) are in test_data_sites.py.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from corridors import settings
from corridors import programme as P
from corridors import sites as S
from corridors._errors import ConfigError, DataError

from _helpers import site_feature, write_features


def test_cross_check_reports_a_disagreement(sites, measures):
    broken = sites.copy()
    broken["measures"] = [ms if i != "tj1" else [*ms, "7.7"] for i, ms in zip(broken["id"], broken["measures"])]
    problems = P.cross_check(broken, measures)
    assert problems == ["site 'tj1' lists measure 7.7, which does not name the site."]


def test_selection_errors(sites):
    with pytest.raises(ConfigError, match="kind 'reserve'"):
        S.by_kind(sites, "reserve")
    with pytest.raises(ConfigError, match="population unit 9"):
        S.by_unit(sites, 9)
    with pytest.raises(ConfigError, match="river system 'indus'"):
        S.by_river_system(sites, "indus")


def test_loaded_in_working_crs_with_metres(sites):
    assert sites.crs.equals(settings.WORKING_CRS)
    wgs = S.load_sites(to_crs=None)
    assert wgs.crs.equals("EPSG:4326")
    # the file's degrees, which the default load puts in metres
    first = (wgs.geom_type == "Point").idxmax()
    back = gpd.GeoSeries([wgs.geometry[first]], crs="EPSG:4326").to_crs(settings.WORKING_CRS).iloc[0]
    assert back.distance(sites.geometry[first]) < 1e-6


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


@pytest.mark.filterwarnings("ignore:Could not parse column")
def test_a_minimal_user_file_loads_with_defaults(tmp_path):
    path = write_features(tmp_path, site_feature(), site_feature(id="x2", population_unit="1;2", countries="TJK;UZB"))
    got = S.load_sites(path)
    assert list(got["population_unit"]) == [[1], [1, 2]]
    assert list(got["countries"]) == [["UZB"], ["TJK", "UZB"]]
    assert list(got["measures"]) == [[], []] and got["code"].isna().all()


@pytest.mark.parametrize(
    "feature, field, words",
    [
        (site_feature(kind=...), "kind", "required field missing"),
        (site_feature(kind="reserve"), "kind", "unknown value 'reserve'"),
        (site_feature(status="wild"), "status", "unknown value 'wild'"),
        (site_feature(location_status="guessed"), "location_status", "unknown value 'guessed'"),
        (site_feature(population_unit=[9]), "population_unit", "unknown unit 9"),
        (site_feature(countries=["Uzbekistan"]), "countries", "not an ISO3 code"),
        (site_feature(location_precision_km="far"), "location_precision_km", "not a number"),
        (site_feature(location_precision_km=None), "location_precision_km", "no precision on a placed site"),
        (site_feature(location_precision_km=-3), "location_precision_km", "not a non-negative number"),
        (site_feature(geometry=None), "geometry", "no geometry on a place that is 'approximate'"),
        (site_feature(location_status="unresolved"), "geometry", "an unresolved place has a geometry"),
        (
            site_feature(geometry={"type": "Polygon", "coordinates": [[[67, 37], [68, 38], [68, 37], [67, 38], [67, 37]]]}),
            "geometry",
            "invalid geometry",
        ),
    ],
)
def test_bad_field_names_file_feature_and_field(tmp_path, feature, field, words):
    path = write_features(tmp_path, feature)
    with pytest.raises(DataError) as err:
        S.load_sites(path)
    msg = str(err.value)
    assert str(path) in msg and f"field '{field}'" in msg and words in msg
    if "required" not in words:
        assert "feature 'x1'" in msg


def test_duplicate_ids(tmp_path):
    path = write_features(tmp_path, site_feature(), site_feature(name="Other"))
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
    path = write_features(tmp_path)
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


def test_coordinates_that_cannot_be_reprojected(tmp_path):
    # Longitude and latitude swapped past 90 degrees: PROJ returns inf, which used to pass `sites check` silently.
    path = write_features(tmp_path, site_feature(), site_feature(id="x2", geometry={"type": "Point", "coordinates": [39.8, 164.4]}))
    with pytest.raises(DataError, match=r"bad\.geojson, feature 'x2', field 'geometry': coordinates outside"):
        S.load_sites(path)
    with pytest.warns(UserWarning, match="'x2'; check their coordinates"):  # kept as given: far outside the Range States
        assert len(S.load_sites(path, to_crs=None)) == 2


# --- places outside the Range States ---------------------------------------------


def test_no_bundled_place_lies_outside_the_range_states(sites):
    assert S.outside_range_states(sites).empty


def test_places_outside_the_range_states_and_swapped_coordinates(tmp_path):
    feats = [
        site_feature(id="inside"),  # [67.3, 37.3]: Surkhandarya, Uzbekistan
        site_feature(id="swapped", geometry={"type": "Point", "coordinates": [37.3, 67.3]}),  # the same, lat/lon: Kola
        site_feature(id="paris", geometry={"type": "Point", "coordinates": [2.35, 48.85]}),  # swapped: the Gulf of Aden
        # Paris again, but placed to within 6000 km: inside the tolerance, so not reported
        site_feature(id="vague", location_precision_km=6000, geometry={"type": "Point", "coordinates": [2.35, 48.85]}),
    ]
    path = write_features(tmp_path, *feats)
    with pytest.warns(UserWarning) as caught:
        got = S.load_sites(path)
    far = S.outside_range_states(got)
    assert list(far["id"]) == ["swapped", "paris"]
    assert list(far["swapped_inside"]) == [True, False]
    assert (far["distance_km"] > 1000).all()  # the Kola peninsula and Paris are thousands of km away
    msg = str(caught[0].message)
    assert msg.startswith(f"{path}: 2 of 4 placed sites lie more than 25 km"), msg
    assert "longitude and latitude may be swapped for 'swapped'" in msg


def test_a_file_in_latitude_longitude_order_says_so(tmp_path):
    path = write_features(tmp_path, site_feature(geometry={"type": "Point", "coordinates": [37.3, 67.3]}))
    with pytest.warns(UserWarning, match=r"probably gives \[latitude, longitude\]"):
        S.load_sites(path)
