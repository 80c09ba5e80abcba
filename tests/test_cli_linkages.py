"""`corridors linkages`: least-cost linkages and corridors between your cores, the bundled sites or the programme's corridors."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner

from corridors import lcp, linkages
from corridors.cli import main
from corridors.raster import Raster

from _helpers import cores_at, error_line, far_strip, grid, invoke, usage_error


def test_help_names_the_three_kinds_of_run_and_the_memory_limit():
    result = invoke("linkages", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--resistance", "--cores", "--id-field", "--network", "--memory-limit", "cost-weighted", "linkages.gpkg"):
        assert word in result.output


def test_two_cores_on_a_flat_grid_by_hand(linkage_job, tmp_path):
    # the discs of 1.5 km cover the 3 x 3 cells around (5, 5) and (24, 24): 17 diagonal steps of 1 km at resistance 1
    out = tmp_path / "out"
    run = invoke("linkages", "--resistance", linkage_job.resistance, "--cores", linkage_job.cores_path, "--no-map", "-o", out)
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == [".corridors-output.json", "corridors.tif", "linkages.csv", "linkages.gpkg", "provenance.json"]
    paths = gpd.read_file(out / "linkages.gpkg", layer="paths")
    assert paths[["core_a", "core_b"]].values.tolist() == [["a", "b"]]
    assert paths["cwd_m"].iloc[0] == pytest.approx(17 * math.sqrt(2) * 1000, rel=1e-6)
    assert paths["cwd_to_path"].iloc[0] == pytest.approx(1.0)
    assert "least-cost linkages" in run.output and str(out / "linkages.gpkg") in run.output


def test_programme_corridors_on_a_coarse_surface(coarse_resistance, tmp_path):
    run = invoke("-q", "linkages", "--resistance", coarse_resistance, "--no-map", "-o", tmp_path / "out")
    assert run.exit_code == 0, run.output
    assert run.output == ""  # --quiet
    table = pd.read_csv(tmp_path / "out" / "linkages.csv")
    assert {"2.1a", "6.4", "7.4"} <= set(table["corridor"])
    assert (table["cwd_m"] >= table["euclid_m"] * (1 - 1e-9)).all()  # no resistance below 1


def test_missing_cores_file_is_named(tmp_path):
    line = error_line(invoke("linkages", "--cores", tmp_path / "nowhere.gpkg", "-o", tmp_path / "o"))
    assert "nowhere.gpkg: file not found" in line
    assert not (tmp_path / "o").exists()


def test_zero_resolution_is_a_usage_error(tmp_path):
    # 0 used to fall back to the default in silence ('resolution or 1000')
    usage_error(invoke("linkages", "--resolution", "0", "-o", tmp_path / "o"), "Invalid value for '--resolution'")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["4XB", "GB", "0", "-1GB"])
def test_cli_bad_memory_limit_names_the_option(value):
    run = CliRunner().invoke(main, ["linkages", "--memory-limit", value])
    assert run.exit_code == 2
    assert "--memory-limit" in run.output and "4GB" in run.output


def test_cli_linkages_with_a_memory_limit(linkage_job, tmp_path):
    r = grid(np.random.default_rng(8).uniform(1, 20, size=(30, 30)), 1000.0, x0=-15_000.0, y0=15_000.0, name="res",
             dtype="float32")
    rpath = r.write(tmp_path / "random.tif")
    cores = linkage_job.cores_path
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["-q", "linkages", "--resistance", str(rpath), "--cores", str(cores),
                                    "--core-radius-km", "0", "--no-map", "--memory-limit", "40KB", "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert lcp.cost_distance_engine(r.shape, 40 * 1024) == "sweep"
    got = gpd.read_file(out / "linkages.gpkg", layer="paths")
    want = linkages.build_linkages(Raster.read(rpath), linkages.cores_from_sites(linkage_job.cores, radius_m=0))
    assert float(got["cwd_m"].iloc[0]) == pytest.approx(float(want.linkages["cwd_m"].iloc[0]), rel=1e-9)
    tiny = CliRunner().invoke(main, ["linkages", "--resistance", str(rpath), "--cores", str(cores),
                                     "--no-map", "--memory-limit", "1KB", "-o", str(tmp_path / "o2")])
    assert tiny.exit_code == 1
    assert "--memory-limit" in tiny.output and "coarsen" in tiny.output


def test_network_on_your_cores_with_their_id_field(tmp_path):
    r = grid(np.ones((30, 30)), 1000.0, x0=-15_000.0, y0=15_000.0)
    rpath = r.write(tmp_path / "res.tif")
    cores = cores_at(r, {"a": (5, 5), "b": (24, 24)}, radius_cells=1.5).rename(columns={"core_id": "name_id"})
    cpath = tmp_path / "cores.gpkg"
    cores.to_file(cpath)
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["-q", "linkages", "--resistance", str(rpath), "--cores", str(cpath), "--id-field", "name_id",
                                    "--core-radius-km", "0", "--truncate", "3000", "--no-map", "-o", str(out)])
    assert run.exit_code == 0, run.output
    back = gpd.read_file(out / "linkages.gpkg", layer="paths")
    assert back[["core_a", "core_b"]].values.tolist() == [["a", "b"]]
    bad = CliRunner().invoke(main, ["linkages", "--resistance", str(rpath), "--cores", str(cpath), "-o", str(tmp_path / "o2")])
    assert bad.exit_code == 1
    assert "field 'id'" in bad.output and "no such column" in bad.output
    assert not (tmp_path / "o2").exists()


def test_bad_cores_file_names_the_file_and_field(tmp_path):
    r = grid(np.ones((30, 30)), 1000.0, x0=-15_000.0, y0=15_000.0)
    rpath = r.write(tmp_path / "res.tif")
    dup = cores_at(r, {"a": (5, 5), "b": (24, 24)}).rename(columns={"core_id": "id"})
    dup.loc[1, "id"] = "a"
    cpath = tmp_path / "dup.gpkg"
    dup.to_file(cpath)
    run = CliRunner().invoke(main, ["linkages", "--resistance", str(rpath), "--cores", str(cpath), "-o", str(tmp_path / "o")])
    assert run.exit_code == 1
    assert run.output.count("\n") == 1
    assert "dup.gpkg, feature 'a', field 'id'" in run.output and "not unique" in run.output
    run = CliRunner().invoke(main, ["linkages", "--resistance", str(rpath), "--cores", str(cpath), "--id-field", "name",
                                    "-o", str(tmp_path / "o")])
    assert run.exit_code == 1
    assert "dup.gpkg, field 'name'" in run.output and "--id-field" in run.output and "one of: id" in run.output
    # a core without a geometry used to be dropped in silence, leaving a run with one core fewer
    nogeom = cores_at(r, {"a": (5, 5), "b": (24, 24), "c": (5, 24)}).rename(columns={"core_id": "id"})
    nogeom.loc[2, "geometry"] = None
    npath = tmp_path / "nogeom.gpkg"
    nogeom.to_file(npath)
    run = CliRunner().invoke(main, ["linkages", "--resistance", str(rpath), "--cores", str(npath), "-o", str(tmp_path / "o")])
    assert run.exit_code == 1
    assert "nogeom.gpkg, feature 'c', field 'geometry': the core has no geometry" in run.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, words", [
    (["--adjacency", "cost"], "--adjacency: only for network runs"),
    (["--keep-through-cores", "--max-cwd", "5"], "--max-cwd, --keep-through-cores: only for network runs"),
    (["--id-field", "name"], "--id-field: names the id column of --cores"),
    (["--network", "subpopulation,foo"], "unknown kind 'foo'"),
    (["--network", ","], "no kind given"),
])
def test_refuses_options_it_would_ignore(tmp_path, args, words):
    # these used to be dropped in silence: the programme's corridors ran instead, or the kind 'foo' selected nothing
    run = CliRunner().invoke(main, ["linkages", *args, "-o", str(tmp_path / "o")])
    assert run.exit_code == 1
    assert run.output.count("\n") == 1 and words in run.output
    assert not (tmp_path / "o").exists()


def test_a_raster_without_crs_takes_the_crs_of_your_cores(tmp_path):
    tif, shp = far_strip(tmp_path)
    placed = Raster.read(tif)
    bare = Raster(placed.array, placed.transform, None, placed.nodata).write(tmp_path / "bare.tif")
    out = tmp_path / "out"
    run = invoke("-q", "linkages", "--resistance", bare, "--cores", shp, "--id-field", "Core_ID", "-o", out)
    assert run.exit_code == 0, run.output
    assert ("warning: bare.tif: the raster has no CRS, so it is taken to be in the CRS of the cores (WGS 84 / UTM zone 17N); "
            "set it with `gdal_edit.py -a_srs EPSG:32617 bare.tif`.") in run.output
    assert Raster.read(out / "corridors.tif").crs.to_epsg() == 32617
    assert pd.read_csv(out / "linkages.csv")["cwd_m"].iloc[0] == pytest.approx(700.0)


def test_every_float_grid_declares_the_no_data_it_holds(tmp_path):
    # The user's raster declares ArcGIS's -3.4e38; corridors.tif used to declare it too while holding NaN.
    tif, shp = far_strip(tmp_path)
    out = tmp_path / "out"
    assert invoke("-q", "linkages", "--resistance", tif, "--cores", shp, "--id-field", "Core_ID", "--no-map", "-o", out).exit_code == 0
    with rasterio.open(out / "corridors.tif") as src:
        a = src.read(1)
        assert src.nodata == -9999.0
    assert not np.isnan(a).any()
    assert (a[0] == -9999.0).all() and (a[1] >= 0).all()  # the no-data rows, and the corridor row
