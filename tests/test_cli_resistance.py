"""`corridors resistance`: resistance, suitability and class rasters from the bundled model or your own grids."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from corridors.cli import main
from corridors.raster import Raster
from corridors.settings import WORKING_CRS

from _helpers import error_line, far_strip, grid, invoke


@pytest.fixture
def landcover(tmp_path):
    """A land-cover GeoTIFF of 20 x 20 cells of 500 m: class 1 (west half), 2 (east half), no data 0 in a corner."""
    a = np.ones((20, 20), dtype="uint8")
    a[:, 10:] = 2
    a[:4, :4] = 0
    return grid(a, 500.0, y0=10_000.0, nodata=0).write(tmp_path / "lc.tif")


def test_help_names_the_sources_and_formats():
    result = invoke("resistance", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--table", "--set", "--resolution", "--bbox", "--landcover", "--reclass", "--raster", "asc"):
        assert word in result.output


@pytest.mark.parametrize("fmt", ["tif", "asc"])
def test_your_raster_resampled_to_coarser_cells(linkage_job, tmp_path, fmt):
    # 30 x 30 cells of 1 km, all 1, on 5 km cells: a 6 x 6 grid of 1 over the same extent
    out = tmp_path / "out"
    run = invoke("resistance", "--raster", linkage_job.resistance, "--resolution", "5000", "--format", fmt, "-o", out)
    assert run.exit_code == 0, run.output
    # an ASCII grid keeps its CRS in a .prj; every step writes its map and provenance.json (issue 11)
    written = sorted({"tif": ["resistance.tif"], "asc": ["resistance.asc", "resistance.prj"]}[fmt]
                     + [".corridors-output.json", "provenance.json", "resistance_map.png"])
    assert sorted(p.name for p in out.iterdir()) == written and str(out / f"resistance.{fmt}") in run.output
    r = Raster.read(out / f"resistance.{fmt}")
    assert r.shape == (6, 6) and r.res == (5000.0, 5000.0)
    assert np.allclose(r.masked(), 1.0)
    assert r.bounds == pytest.approx(linkage_job.raster.bounds)


def test_the_bundled_model_on_a_small_box(tmp_path):
    out = tmp_path / "out"
    run = invoke("-q", "resistance", "--bbox", "64,39,65,40", "--resolution", "10000", "-o", out)
    assert run.exit_code == 0, run.output
    assert {"resistance.tif", "suitability.tif"} <= {p.name for p in out.iterdir()}
    r = Raster.read(out / "resistance.tif")
    assert r.res == (10000.0, 10000.0) and np.nanmin(r.masked()) >= 1.0


@pytest.mark.parametrize("value, words", [
    ("desert", "--set 'desert': write KEY=VALUE"),
    ("desert=lots", "--set 'desert=lots': the value must be a number"),
    ("swamp=5", "'swamp' is neither a class"),
    # these reached the table's check, which said "overrides, field 'resistance' ... fix the value in the resistance table"
    ("desert=0", "--set 'desert=0': a resistance must be a finite number > 0"),
    ("desert=nan", "--set 'desert=nan': a resistance must be a finite number > 0"),
    ("desert=-3", "--set 'desert=-3': a resistance must be a finite number > 0"),
    ("TKM-UZB=inf", "--set 'TKM-UZB=inf': a resistance must be a finite number > 0"),
])
def test_bad_set_names_the_option(tmp_path, value, words):
    line = error_line(invoke("resistance", "--set", value, "-o", tmp_path / "o"))
    assert words in line
    assert not (tmp_path / "o").exists()


def test_negative_resolution_is_a_usage_error(tmp_path):
    # negatives used to reach the engines
    result = CliRunner().invoke(main, ["resistance", "--resolution", "-5", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--resolution'" in result.output
    assert not (tmp_path / "o").exists()


def test_asc_with_a_set_and_your_landcover_with_its_reclass_table(tmp_path, landcover):
    out = tmp_path / "land"
    run = CliRunner().invoke(main, ["-q", "resistance", "--bbox", "62,37,66,40", "--resolution", "8000", "--set", "desert=123",
                                    "--format", "asc", "-o", str(out)])
    assert run.exit_code == 0, run.output
    r = Raster.read(out / "resistance.asc")
    assert r.res == (8000.0, 8000.0) and (r.masked() == 123).any()
    bad = CliRunner().invoke(main, ["resistance", "--landcover", str(landcover), "-o", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "--reclass" in bad.output
    assert not (tmp_path / "x").exists()
    rc = tmp_path / "rc.csv"
    rc.write_text("class,resistance\n1,3\n2,30\n", encoding="utf-8")
    ok = CliRunner().invoke(main, ["-q", "resistance", "--landcover", str(landcover), "--reclass", str(rc), "--resolution", "1000",
                                   "-o", str(tmp_path / "lc")])
    assert ok.exit_code == 0, ok.output
    lc = Raster.read(tmp_path / "lc" / "resistance.tif")
    assert sorted(np.unique(lc.masked()[lc.valid]).tolist()) == [3.0, 30.0]


def test_your_raster_without_crs_asks_for_a_crs_only(tmp_path):
    # --bbox cannot help a raster without a CRS: the message must not suggest it.
    nocrs = grid(np.ones((5, 5), dtype="float32"), 1000.0, crs=None).write(tmp_path / "nocrs.tif")
    for extra in ([], ["--bbox", "62,37,66,40"]):
        run = CliRunner().invoke(main, ["resistance", "--raster", str(nocrs), *extra, "-o", str(tmp_path / "x")])
        assert run.exit_code == 1
        assert run.output.count("\n") == 1 and "nocrs.tif" in run.output and "no CRS" in run.output
        assert "--bbox" not in run.output and "gdal_edit.py -a_srs EPSG:<code> nocrs.tif" in run.output
    assert not (tmp_path / "x").exists()


def test_your_raster_far_from_central_asia_keeps_its_crs_and_cells(tmp_path):
    # UTM 17N, 100 m cells: it used to be reprojected into the programme's Albers at 1 km without a word.
    tif, _ = far_strip(tmp_path)
    out = tmp_path / "out"
    run = invoke("resistance", "--raster", tif, "-o", out)
    assert run.exit_code == 0, run.output
    assert "warning" not in run.output
    r = Raster.read(out / "resistance.tif")
    assert r.crs.to_epsg() == 32617 and r.res == (100.0, 100.0) and r.shape == (3, 10)
    assert np.allclose(r.masked()[1], 1.0) and not r.valid[0].any()  # the ArcGIS no data stays no data
    assert (out / "resistance_map.png").exists()
    finer = invoke("-q", "resistance", "--raster", tif, "--resolution", "50", "-o", tmp_path / "finer")
    assert finer.exit_code == 0, finer.output
    assert Raster.read(tmp_path / "finer" / "resistance.tif").res == (50.0, 50.0)  # --resolution still rules


def test_your_raster_in_degrees_is_reprojected_and_says_so(tmp_path):
    deg = grid(np.ones((10, 10), dtype="float32"), 0.05, x0=64.0, y0=40.0, crs="EPSG:4326").write(tmp_path / "deg.tif")
    run = invoke("-q", "resistance", "--raster", deg, "--resolution", "5000", "-o", tmp_path / "out")
    assert run.exit_code == 0, run.output
    assert "warning: deg.tif: the raster is in degrees (WGS 84), so it is reprojected onto the working grid" in run.output
    assert Raster.read(tmp_path / "out" / "resistance.tif").crs == WORKING_CRS
