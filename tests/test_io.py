"""Vector reading checks, base layers, borders and atomic outputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from corridors import DataError, WORKING_CRS
from corridors.borders import border_id, border_lines, borders_crossed, load_borders
from corridors.io import (
    BASE_LAYERS,
    atomic_path,
    decode_list,
    encode_list,
    encode_list_columns,
    load_base,
    read_vector,
    staged_folder,
    write_csv,
    write_geopackage,
)


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
    path = write_geopackage({"one": g, "two": g}, tmp_path / "x.gpkg")
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(path)] == ["one", "two"]
    assert gpd.read_file(path, layer="one")["countries"][0] == "TJK;UZB"


def test_provenance_record_hashes_inputs(tmp_path):
    import hashlib
    import json

    from corridors.io import provenance

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
    out = provenance.write(rec, tmp_path / "p" / "provenance.json")
    assert json.loads(out.read_text())["command"] == "test"
    old_order = provenance.write(tmp_path / "q.json", rec)  # the order before data-first writers
    assert old_order.read_bytes() == out.read_bytes()


def test_lease_limit_is_no_national_border():
    ids = set(load_borders()["border_id"])
    assert "KAB-KAZ" not in ids  # Baikonur lease limit
    assert all(len(i) == 7 and i[3] == "-" for i in ids)
    lines = border_lines()  # the lines maps draw: the same filter
    raw = load_base("borders")
    assert len(lines) == len(raw) - 1 and not lines["featurecla"].str.contains("Lease").any()
    assert {border_id(a, b) for a, b in zip(lines["adm0_a3_l"], lines["adm0_a3_r"])} == ids
    lines["featurecla"] = "changed"
    assert not border_lines()["featurecla"].eq("changed").any()  # each caller gets its own copy


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


def test_write_geopackage_still_takes_the_path_first(tmp_path):
    g = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(0, 0)], crs=WORKING_CRS)
    assert write_geopackage(tmp_path / "old.gpkg", {"one": g}) == tmp_path / "old.gpkg"
    assert gpd.read_file(tmp_path / "old.gpkg", layer="one")["id"][0] == "a"


@pytest.mark.parametrize(
    "value, items",
    [
        ("TJK;UZB", ["TJK", "UZB"]),
        (" TJK ; UZB ;", ["TJK", "UZB"]),
        (["TJK", "UZB;AFG"], ["TJK", "UZB", "AFG"]),  # a file mixing both forms
        (("a", None, float("nan"), ""), ["a"]),
        (np.array([1, 2]), ["1", "2"]),
        ({"b", "a"}, ["a", "b"]),
        ('["x", "y"]', ["x", "y"]),  # a JSON array kept as text by some GDAL drivers
        (3, ["3"]),
        (None, []),
        (float("nan"), []),
        (pd.NA, []),
        ("  ", []),
    ],
)
def test_decode_list_reads_every_form_of_list_field(value, items):
    assert decode_list(value) == items


def test_encode_list_round_trips_and_encodes_list_columns_only():
    assert encode_list(["TJK", "UZB"]) == "TJK;UZB"
    assert encode_list([1, 2]) == "1;2"
    assert encode_list([]) == "" and encode_list(None) == ""
    assert decode_list(encode_list(["a", "b"])) == ["a", "b"]
    df = pd.DataFrame({"ids": [["a", "b"], "c", None], "n": [1, 2, 3], "arr": [np.zeros(1)] * 3})
    flat = encode_list_columns(df)
    assert flat["ids"].tolist()[:2] == ["a;b", "c"] and pd.isna(flat["ids"][2])
    assert flat["n"].tolist() == [1, 2, 3] and flat["arr"][0] is df["arr"][0]
    assert df["ids"][0] == ["a", "b"]  # the input is not modified
    g = gpd.GeoDataFrame({"ids": [("a",)]}, geometry=[Point(0, 0)], crs=WORKING_CRS)
    out = encode_list_columns(g)
    assert isinstance(out, gpd.GeoDataFrame) and out["ids"][0] == "a" and out.crs == WORKING_CRS


def test_write_csv_is_atomic_and_encodes_lists(tmp_path):
    df = pd.DataFrame({"id": ["x", "y"], "borders": [["AFG-UZB", "TJK-UZB"], []], "d": [1.25, 2.0]})
    path = write_csv(df, tmp_path / "sub" / "t.csv")
    assert path.read_text() == "id,borders,d\nx,AFG-UZB;TJK-UZB,1.25\ny,,2.0\n"
    write_csv(df.set_index("id"), path, index=True, float_format="%.0f")
    assert path.read_text() == "id,borders,d\nx,AFG-UZB;TJK-UZB,1\ny,,2\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["t.csv"]


def test_staged_folder_merges_files_and_leaves_others_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user's")
    (out / "a.csv").write_text("old")
    with staged_folder(out, name="linkages") as tmp:
        assert tmp.parent == out and tmp.name.startswith(".linkages.")
        (tmp / "a.csv").write_text("new")
        (tmp / "b.tif").write_text("raster")
        (tmp / ".scratch.asc").write_text("not an output")
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "b.tif", "mine.txt"]
    assert (out / "a.csv").read_text() == "new" and (out / "mine.txt").read_text() == "user's"


def test_staged_folder_keeps_the_old_output_on_failure(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(out) as tmp:
            (tmp / "a.csv").write_text("half")
            raise RuntimeError("boom")
    assert [p.name for p in out.iterdir()] == ["a.csv"] and (out / "a.csv").read_text() == "old"
    with pytest.raises(RuntimeError):
        with staged_folder(out, replace=True) as tmp:
            (tmp / "b.csv").write_text("half")
            raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and [p.name for p in out.iterdir()] == ["a.csv"]


def test_staged_folder_replace_swaps_the_whole_folder(tmp_path):
    out = tmp_path / "run"
    with staged_folder(out, replace=True) as tmp:
        assert tmp.is_dir() and not out.exists() and tmp.parent.parent == tmp_path
        (tmp / "first.csv").write_text("1")
    assert [p.name for p in out.iterdir()] == ["first.csv"]
    with staged_folder(out, replace=True) as tmp:
        (tmp / "second.csv").write_text("2")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "x").write_text("x")
    assert sorted(p.name for p in out.iterdir()) == ["second.csv", "sub"]  # the old run is gone as a whole
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
