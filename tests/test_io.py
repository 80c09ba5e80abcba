"""Vector reading checks, base layers, borders and atomic outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from corridors import DataError, OutputError, WORKING_CRS
from corridors.borders import border_id, border_lines, borders_crossed, load_borders
from corridors.io import files
from corridors.io.files import MANIFEST, STAGING_MARK, check_output_folder, recover_interrupted
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


def _visible(folder):
    return sorted(p.name for p in folder.iterdir())


def test_staged_folder_joins_an_output_folder_and_lists_its_files(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out, name="rivers") as tmp:
        (tmp / "a.csv").write_text("old")
    with staged_folder(out, name="linkages") as tmp:
        assert tmp.parent == out and tmp.name.startswith(".linkages.")
        (tmp / "a.csv").write_text("new")
        (tmp / "b.tif").write_text("raster")
        (tmp / ".scratch.asc").write_text("not an output")
    assert _visible(out) == [MANIFEST, "a.csv", "b.tif"] and (out / "a.csv").read_text() == "new"
    assert json.loads((out / MANIFEST).read_text())["files"] == ["a.csv", "b.tif"]


def test_staged_folder_refuses_a_folder_with_files_corridors_did_not_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("user's")
    (out / "deer.shp").write_text("user's")
    (out / "old").mkdir()
    for replace in (False, True):
        with pytest.raises(OutputError, match=r"out: the folder holds files corridors did not write \(deer.shp, notes.txt, "
                                              r"old/\); .* choose a new or empty folder, e.g. .*out/out"):
            with staged_folder(out, replace=replace):
                pass
    assert _visible(out) == ["deer.shp", "notes.txt", "old"] and (out / "notes.txt").read_text() == "user's"
    assert _visible(tmp_path) == ["out"]


def test_staged_folder_checks_again_before_moving_in(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(OutputError, match="notes.txt"):
        with staged_folder(out, replace=True) as tmp:
            (tmp / "a.csv").write_text("1")
            out.mkdir()
            (out / "notes.txt").write_text("written by the user during the run")
    assert _visible(out) == ["notes.txt"] and _visible(tmp_path) == ["run"]


def test_staged_folder_keeps_the_old_output_on_failure_and_interrupt(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as tmp:
        (tmp / "a.csv").write_text("old")
    for error in (RuntimeError, KeyboardInterrupt):
        with pytest.raises(error):
            with staged_folder(out) as tmp:
                (tmp / "a.csv").write_text("half")
                raise error("boom")
        assert _visible(out) == [MANIFEST, "a.csv"] and (out / "a.csv").read_text() == "old"
        with pytest.raises(error):
            with staged_folder(out, replace=True) as tmp:
                (tmp / "b.csv").write_text("half")
                raise error("boom")
        assert _visible(tmp_path) == ["out"] and _visible(out) == [MANIFEST, "a.csv"]


def test_staged_folder_replace_into_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with staged_folder(".", replace=True) as tmp:
        (tmp / "first.csv").write_text("1")
        (tmp / "sub").mkdir()
    assert _visible(tmp_path) == [MANIFEST, "first.csv", "sub"]
    with staged_folder(".", replace=True) as tmp:
        (tmp / "second.csv").write_text("2")
    assert _visible(tmp_path) == [MANIFEST, "second.csv"]  # the previous output's entries are gone
    (tmp_path / "notes.txt").write_text("user's")
    with pytest.raises(OutputError, match=r"^\.: the folder holds files corridors did not write \(notes.txt\).*e.g. out"):
        with staged_folder(".", replace=True):
            pass


def test_staged_folder_shared_replaces_only_its_own_files(tmp_path):
    (tmp_path / "h.asc").write_text("user's input")
    with staged_folder(tmp_path, name="job", shared=True) as tmp:
        (tmp / "job_curmap.asc").write_text("1")
    assert _visible(tmp_path) == [MANIFEST, "h.asc", "job_curmap.asc"]
    with staged_folder(tmp_path, name="job", shared=True) as tmp:
        (tmp / "job_curmap.asc").write_text("2")
    assert (tmp_path / "job_curmap.asc").read_text() == "2"
    with pytest.raises(OutputError, match=r"h.asc would be replaced but corridors did not write it"):
        with staged_folder(tmp_path, name="job", shared=True) as tmp:
            (tmp / "h.asc").write_text("would clobber the input")
    assert (tmp_path / "h.asc").read_text() == "user's input"


def test_check_output_folder_names_a_file_and_an_unwritable_place(tmp_path, monkeypatch):
    (tmp_path / "f").write_text("")
    with pytest.raises(OutputError, match=r"f: this is a file, not a folder"):
        check_output_folder(tmp_path / "f")
    with pytest.raises(OutputError, match=r"f/sub: .*/f is a file where a folder is needed"):
        check_output_folder(tmp_path / "f" / "sub")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a user without write permission
    with pytest.raises(OutputError, match=r"new/run: cannot write into .* \(no permission, or a read-only disk\)"):
        check_output_folder(tmp_path / "new" / "run", replace=True)


def _kill_marker(folder, pid):
    """Mark a temporary folder as left by process ``pid`` (one that is gone)."""
    mark = json.loads((folder / STAGING_MARK).read_text())
    (folder / STAGING_MARK).write_text(json.dumps({**mark, "pid": pid}))


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_killed_swap_is_restored_and_leftovers_removed(tmp_path):
    out = tmp_path / "run"
    with staged_folder(out, replace=True) as tmp:
        (tmp / "old.csv").write_text("old")
    # a run killed between the two renames of a swap without RENAME_EXCHANGE: the old folder waits beside
    holder = files._staging_dir(tmp_path, "run", target="run")
    os.replace(out, holder / (files._ASIDE + "run"))
    (holder / "run").mkdir()
    (holder / "run" / "half.csv").write_text("half")
    _kill_marker(holder, _dead_pid())
    with pytest.warns(UserWarning, match=r"restored .*run \(the previous output\) from an interrupted run"):
        check_output_folder(out, replace=True)
    assert _visible(tmp_path) == ["run"] and (out / "old.csv").read_text() == "old"
    live = files._staging_dir(tmp_path, "run", target="run")  # a run still going (this process): left alone
    assert recover_interrupted(out) == [] and live.is_dir()


def test_swap_without_exchange_keeps_the_old_folder_recoverable(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_renameat2", lambda: None)  # a system without renameat2
    out = tmp_path / "run"
    for text in ("1", "2"):
        with staged_folder(out, replace=True) as tmp:
            (tmp / "a.csv").write_text(text)
    assert (out / "a.csv").read_text() == "2" and _visible(tmp_path) == ["run"]