"""The shared Raster type: geometry, alignment checks and file round trips."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from affine import Affine

from corridors import DataError, Raster, WORKING_CRS


def make(shape=(4, 5), res=1000.0, x0=0.0, y0=4000.0, crs=WORKING_CRS, fill=1.0):
    return Raster(np.full(shape, fill), Affine(res, 0, x0, 0, -res, y0), crs, -9999.0, "test.tif")


def test_bounds_res_and_cell_centres():
    r = make()
    assert r.bounds == (0.0, 0.0, 5000.0, 4000.0)
    assert r.res == (1000.0, 1000.0)
    x, y = r.xy(0, 0)
    assert (float(x), float(y)) == (500.0, 3500.0)
    row, col = r.rowcol(4999.0, 1.0)
    assert (int(row), int(col)) == (3, 4)
    assert not r.contains(*r.rowcol(5001.0, 1.0))


def test_from_bounds_snaps_outwards():
    r = Raster.from_bounds((10.0, 20.0, 2050.0, 990.0), 1000.0, WORKING_CRS)
    assert r.bounds == (0.0, 0.0, 3000.0, 1000.0)
    assert r.shape == (1, 3)


def test_valid_mask_counts_nodata_and_nan():
    r = make()
    r.array[0, 0] = -9999.0
    r.array[1, 1] = np.nan
    assert r.valid.sum() == 18


def test_alignment_checks_name_both_rasters():
    a = make()
    b = make(x0=500.0)
    b.name = "shifted.tif"
    with pytest.raises(DataError, match="shifted.tif.*test.tif"):
        a.check_aligned(b)
    c = make(crs="EPSG:4326")
    c.name = "wgs84.tif"
    with pytest.raises(DataError, match="wgs84.tif: CRS differs"):
        a.check_aligned(c)
    a.check_aligned(make())


@pytest.mark.parametrize("suffix", [".tif", ".asc"])
def test_round_trip(tmp_path, suffix):
    r = make()
    r.array[2, 3] = 7.5
    r.array[0, 0] = -9999.0
    path = r.write(tmp_path / f"grid{suffix}")
    back = Raster.read(path)
    assert back.is_aligned(r)
    assert back.nodata == -9999.0
    np.testing.assert_allclose(back.masked(), r.masked())
    assert back.crs == WORKING_CRS
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["grid.tif"] if suffix == ".tif" else ["grid.asc", "grid.prj"]
    )


def test_reads_gzip_ascii(tmp_path):
    r = make(crs=None)
    plain = r.write(tmp_path / "g.asc")
    with open(plain, "rb") as src, gzip.open(tmp_path / "g.asc.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    back = Raster.read(tmp_path / "g.asc.gz")
    assert back.shape == (4, 5)
    assert back.crs is None


def test_read_errors(tmp_path):
    with pytest.raises(DataError, match="missing.tif: raster file not found"):
        Raster.read(tmp_path / "missing.tif")
    (tmp_path / "junk.tif").write_text("not a raster")
    with pytest.raises(DataError, match="junk.tif: cannot be read as a raster"):
        Raster.read(tmp_path / "junk.tif")
    empty = make(fill=-9999.0)
    empty.write(tmp_path / "empty.tif")
    with pytest.raises(DataError, match="empty.tif: every cell is no data"):
        Raster.read(tmp_path / "empty.tif")


def test_failed_write_leaves_nothing(tmp_path):
    r = make()
    with pytest.raises(Exception):
        r.write(tmp_path / "bad.tif", dtype="not-a-dtype")
    assert list(tmp_path.iterdir()) == []
