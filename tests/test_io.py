"""Vector reading checks, base layers, borders and atomic outputs."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point

from corridors import DataError, WORKING_CRS
from corridors.borders import border_id, borders_crossed, load_borders
from corridors.io import BASE_LAYERS, atomic_path, load_base, read_vector, write_geopackage


def test_read_vector_errors_name_the_file(tmp_path):
    with pytest.raises(DataError, match="nope.geojson: file not found"):
        read_vector(tmp_path / "nope.geojson")
    gpd.GeoDataFrame({"a": []}, geometry=[], crs="EPSG:4326").to_file(tmp_path / "empty.gpkg")
    with pytest.raises(DataError, match="empty.gpkg: the file holds no feature"):
        read_vector(tmp_path / "empty.gpkg")
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(66, 40)]).to_file(tmp_path / "nocrs.shp")
    with pytest.raises(DataError, match="nocrs.shp: the file has no CRS"):
        read_vector(tmp_path / "nocrs.shp")


def test_read_vector_reprojects_to_working_crs(tmp_path):
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(68.5, 41.0)], crs="EPSG:4326").to_file(tmp_path / "p.geojson")
    g = read_vector(tmp_path / "p.geojson")
    assert g.crs == WORKING_CRS
    # the projection's origin is at 68.5 E, 41 N
    assert abs(g.geometry.x[0]) < 1e-6 and abs(g.geometry.y[0]) < 1e-6


@pytest.mark.parametrize("name", BASE_LAYERS)
def test_base_layers_load(name):
    g = load_base(name)
    assert len(g) > 0 and g.crs == WORKING_CRS


def test_border_ids_and_crossings():
    assert border_id("UZB", "tjk") == "TJK-UZB"
    borders = load_borders()
    assert {"AFG-TJK", "AFG-UZB", "TKM-UZB", "TJK-UZB", "KAZ-UZB"} <= set(borders["border_id"])
    # Termez (UZB, 67.28 E 37.22 N) straight south into Afghanistan crosses AFG-UZB only
    line = gpd.GeoSeries([LineString([(67.28, 37.30), (67.28, 36.90)])], crs="EPSG:4326").to_crs(WORKING_CRS)
    inside = gpd.GeoSeries([LineString([(64.0, 40.5), (64.5, 40.6)])], crs="EPSG:4326").to_crs(WORKING_CRS)
    assert borders_crossed([line[0], inside[0]], borders) == [["AFG-UZB"], []]


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("good")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["result.txt"]


def test_write_geopackage_layers_and_lists(tmp_path):
    g = gpd.GeoDataFrame({"id": ["a"], "countries": [["TJK", "UZB"]]}, geometry=[Point(0, 0)], crs=WORKING_CRS)
    path = write_geopackage(tmp_path / "x.gpkg", {"one": g, "two": g})
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(path)] == ["one", "two"]
    assert gpd.read_file(path, layer="one")["countries"][0] == "TJK;UZB"


def test_provenance_record_hashes_inputs(tmp_path):
    import hashlib
    import json

    from corridors import provenance

    f = tmp_path / "in.txt"
    f.write_bytes(b"bukhara deer")
    d = tmp_path / "folder"
    d.mkdir()
    (d / "a.csv").write_bytes(b"1,2\n")
    rec = provenance.record({"table": f, "data": d}, {"resolution_m": 1000}, command="test")
    assert rec["inputs"]["table"]["sha256"] == hashlib.sha256(b"bukhara deer").hexdigest()
    assert rec["inputs"]["data"]["files"] == {"a.csv": hashlib.sha256(b"1,2\n").hexdigest()}
    assert rec["parameters"] == {"resolution_m": 1000}
    assert rec["versions"]["numpy"] != "not installed"
    out = provenance.write(tmp_path / "p" / "provenance.json", rec)
    assert json.loads(out.read_text())["command"] == "test"


def test_lease_limit_is_no_national_border():
    ids = set(load_borders()["border_id"])
    assert "KAB-KAZ" not in ids  # Baikonur lease limit
    assert all(len(i) == 7 and i[3] == "-" for i in ids)


def test_borders_are_read_once_but_each_caller_gets_its_own_copy(tmp_path, monkeypatch):
    import shutil

    from corridors import settings

    a = load_borders()
    a.loc[0, "border_id"] = "changed"
    a.drop(a.index[1:], inplace=True)
    b = load_borders()
    assert b.loc[0, "border_id"] != "changed" and len(b) > 1
    # a different or rewritten file is read again, not served from the cache
    for name in ("borders", "countries"):
        shutil.copy(settings.BASE_DIR / f"{name}.geojson", tmp_path / f"{name}.geojson")
    monkeypatch.setattr(settings, "BASE_DIR", tmp_path)
    raw = gpd.read_file(tmp_path / "borders.geojson")
    raw[raw["adm0_a3_l"].eq("TJK") | raw["adm0_a3_r"].eq("TJK")].to_file(tmp_path / "borders.geojson", driver="GeoJSON")
    tjk = load_borders()
    assert len(tjk) < len(b) and tjk["border_id"].str.contains("TJK").all()


def test_coordinates_that_cannot_be_reprojected_are_refused(tmp_path):
    # Metres in a file declared WGS84 reproject to inf without a PROJ error: every distance would be meaningless.
    path = tmp_path / "cores.geojson"
    gpd.GeoDataFrame({"id": ["ok", "metres"]}, geometry=[Point(64.4, 39.8), Point(500_000, 4_400_000)],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(DataError, match=r"cores\.geojson, feature 'metres', field 'geometry': coordinates outside"):
        read_vector(path)
    assert len(read_vector(path, to_crs=None)) == 2  # kept as is when not reprojected
