"""`corridors circuit centrality`: current-flow centrality of the least-cost linkage network between cores."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from corridors.cli import main
from corridors.settings import WORKING_CRS

from _helpers import far_strip, invoke, toy_cores, uniform, walled

CS = 1000.0


def test_help_names_the_weights_and_the_outputs():
    result = invoke("circuit", "centrality", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--network", "--cores", "--id-field", "--weight", "eff_resist", "centrality_cores.csv"):
        assert word in result.output


def test_chain_of_three_cores_by_hand(tmp_path):
    # A - B - C in a row on a flat grid: B carries the A-C current and ends two pairs itself (1 + 2 A), A and C end two pairs
    r = uniform((10, 40), cell=CS)
    rpath = r.write(tmp_path / "flat.tif")
    cores = toy_cores({"A": box(1 * CS, 3 * CS, 4 * CS, 7 * CS), "B": box(18 * CS, 3 * CS, 22 * CS, 7 * CS),
                       "C": box(36 * CS, 3 * CS, 39 * CS, 7 * CS)}, crs=WORKING_CRS, id_field="id")
    cores.to_file(tmp_path / "chain.gpkg")
    out = tmp_path / "out"
    run = invoke("-q", "circuit", "centrality", "--cores", tmp_path / "chain.gpkg", "--resistance", rpath, "--truncate", "5000",
                 "--no-map", "-o", out)
    assert run.exit_code == 0, run.output
    by_core = pd.read_csv(out / "centrality_cores.csv").set_index("core_id")["cf_central"].to_dict()
    assert by_core == pytest.approx({"A": 2.0, "B": 3.0, "C": 2.0})
    links = pd.read_csv(out / "centrality_linkages.csv")
    assert links["cf_central"].tolist() == pytest.approx([2.0, 2.0])
    # lists ';'-joined as in linkages.csv; none is an empty cell, not "[]". The grid sits at 68.5-69.0 E, 41.04 N in the
    # working CRS, where the Kazakhstan-Uzbekistan border runs between A and B: borders count the whole path
    assert links["borders"].fillna("").tolist() == ["KAZ-UZB", ""] and links["through_cores"].isna().all()
    assert "[" not in (out / "centrality_linkages.csv").read_text()
    assert set(gpd.list_layers(out / "centrality.gpkg")["name"]) == {"cores", "linkages"}
    assert not (out / "centrality_map.png").exists()  # --no-map


def test_cli_centrality_bad_cores_name_the_file_and_field(tmp_path):
    r = walled(crs=WORKING_CRS)
    rpath = r.write(tmp_path / "res.tif")
    cores = toy_cores({"a": box(0, 0, 2000, 2000), "b": box(20_000, 0, 22_000, 2000)}, crs=r.crs, id_field="id")
    cores["id"] = ["a", "a"]
    cpath = tmp_path / "cores.gpkg"
    cores.to_file(cpath)
    run = CliRunner().invoke(main, ["circuit", "centrality", "--cores", str(cpath), "--resistance", str(rpath), "-o", str(tmp_path / "o")])
    assert run.exit_code == 1
    assert run.output.count("\n") == 1 and "cores.gpkg, feature 'a', field 'id': core id is not unique" in run.output
    run = CliRunner().invoke(main, ["circuit", "centrality", "--cores", str(cpath), "--id-field", "name", "-o", str(tmp_path / "o")])
    assert run.exit_code == 1 and "cores.gpkg, field 'name'" in run.output and "--id-field" in run.output
    assert not (tmp_path / "o").exists()


def test_unknown_weight_is_a_usage_error(tmp_path):
    run = invoke("circuit", "centrality", "--weight", "current", "-o", tmp_path / "o")
    assert run.exit_code == 2 and "'--weight'" in run.output and "'cwd'" in run.output


def test_centrality_of_your_cores_in_their_own_crs_draws_its_map(tmp_path):
    # two cores joined by one linkage of CWD 700 (far_strip): each core ends the one pair, 1 A; the link carries 1 A
    tif, shp = far_strip(tmp_path)
    out = tmp_path / "out"
    run = invoke("-q", "circuit", "centrality", "--cores", shp, "--id-field", "Core_ID", "--resistance", tif, "-o", out)
    assert run.exit_code == 0, run.output
    by_core = pd.read_csv(out / "centrality_cores.csv").set_index("core_id")["cf_central"].to_dict()
    assert by_core == pytest.approx({1: 1.0, 2: 1.0})
    assert (out / "centrality_map.png").stat().st_size > 10_000  # used to be skipped off the working CRS
    assert gpd.read_file(out / "centrality.gpkg", layer="cores").crs.to_epsg() == 32617
