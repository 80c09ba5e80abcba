"""The shared Raster type: geometry, alignment checks and file round trips."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from affine import Affine

import geopandas as gpd
import shapely
from pyproj import CRS

from corridors import ConfigError, DataError, Raster, WORKING_CRS
from corridors import raster as R


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


# ----------------------------------------------------------------------------- grids and extents
def test_programme_bounds_hold_the_whole_programme_extent():
    left, bottom, right, top = R.programme_bounds()
    assert left == -right  # the projection is centred on 68.5 E, the middle of 55-82 E
    assert left == pytest.approx(-1_246_385.24, abs=0.01) and bottom == pytest.approx(-777_930.66, abs=0.01)
    assert top == pytest.approx(856_615.66, abs=0.01)
    assert R.degree_bounds((55.0, 34.0, 82.0, 48.0)) == R.programme_bounds()
    # the conic's origin (68.5 E, 41 N) maps to (0, 0)
    assert R.degree_bounds((68.5, 41.0, 68.5, 41.0)) == pytest.approx((0.0, 0.0, 0.0, 0.0), abs=1e-6)


def test_bounds_around_grows_the_features_and_skips_missing_geometries():
    g = gpd.GeoSeries([shapely.Point(0, 0), None, shapely.Point(10_000, 5_000)], crs=WORKING_CRS)
    assert R.bounds_around(g, 1000.0) == (-1000.0, -1000.0, 11_000.0, 6_000.0)
    assert R.bounds_around(gpd.GeoDataFrame(geometry=g), 0.0) == (0.0, 0.0, 10_000.0, 5_000.0)
    with pytest.raises(DataError, match="no feature has a geometry"):
        R.bounds_around(gpd.GeoSeries([None], crs=WORKING_CRS))


def test_make_grid_snaps_to_whole_cells_in_the_working_crs():
    g = R.make_grid((10.0, 20.0, 2050.0, 990.0), 1000.0)
    assert g.bounds == (0.0, 0.0, 3000.0, 1000.0) and g.crs == WORKING_CRS
    assert g.array.dtype == np.float32 and np.isnan(g.array).all()
    assert R.make_grid(resolution_m=50_000.0).bounds[0] == -1_250_000.0  # default: the programme extent


def test_bad_grid_options():
    window = (0.0, 0.0, 100_000.0, 100_000.0)
    with pytest.raises(ConfigError, match="resolution"):
        R.make_grid(window, 0)
    with pytest.raises(ConfigError, match="bounds"):
        R.make_grid((10, 10, 5, 20), 1000)
    with pytest.raises(ConfigError, match="cells"):
        R.make_grid(R.programme_bounds(), 50.0)


def test_windows_and_crop():
    r = make()  # 4 x 5 cells of 1 km, top-left at (0, 4000)
    assert R.bounds_window(r, (1500.0, 500.0, 2500.0, 2500.0)) == (slice(1, 4), slice(1, 3))
    assert R.bounds_window(r, (-9000.0, -9000.0, 9000.0, 9000.0)) == (slice(0, 4), slice(0, 5))
    assert R.bounds_window(r, (6000.0, 0.0, 7000.0, 1000.0)) is None
    sub, (r0, c0) = R.crop(r, (1500.0, 500.0, 2500.0, 2500.0))
    assert (r0, c0) == (1, 1) and sub.shape == (3, 2) and sub.bounds == (1000.0, 0.0, 3000.0, 3000.0)
    with pytest.raises(DataError, match=r"test.tif: the area \(6000, 0, 7000, 1000\) lies outside"):
        R.crop(r, (6000.0, 0.0, 7000.0, 1000.0))


def test_rasterize_burns_one_value_per_geometry():
    r = make()
    geoms = [shapely.box(0, 3000, 2000, 4000), None, shapely.box(4000, 0, 5000, 1000)]
    a = R.rasterize(geoms, [5, 6, 7], r)
    assert a[0, :2].tolist() == [5, 5] and a[3, 4] == 7 and (a > 0).sum() == 3
    assert R.rasterize([], 1, r).sum() == 0 and R.rasterize(geoms, 1, r).max() == 1


def test_geometry_cells_rules():
    r = make()  # cell (row, col) has flat index row * 5 + col
    # a point takes the cell it falls in; outside points are dropped
    assert R.geometry_cells(r, shapely.MultiPoint([(500, 3500), (4999, 1), (9000, 0)])).tolist() == [0, 19]
    # a polygon takes the cells whose centre it covers
    assert R.geometry_cells(r, shapely.box(0, 2000, 2000, 4000)).tolist() == [0, 1, 5, 6]
    # ... or, if it covers none, every cell it touches
    assert R.geometry_cells(r, shapely.box(900, 3100, 1100, 3200)).tolist() == [0, 1]
    # a line every cell it touches
    assert R.geometry_cells(r, shapely.LineString([(100, 3900), (2900, 3900)])).tolist() == [0, 1, 2]
    assert R.geometry_cells(r, shapely.box(9000, 9000, 9500, 9500)).size == 0
    assert R.geometry_cells(r, None).size == 0 and R.geometry_cells(r, shapely.Polygon()).size == 0
    # all_touched=True: every touched cell, even of a polygon covering centres
    assert R.geometry_cells(r, shapely.box(400, 3400, 1600, 3600), all_touched=True).tolist() == [0, 1]
    mask = R.geometry_mask(r, shapely.box(0, 2000, 2000, 4000), all_touched=False)
    assert mask.shape == r.shape and mask.dtype == bool and np.flatnonzero(mask).tolist() == [0, 1, 5, 6]


def test_geometry_mask_matches_rasterio_for_scenario_areas():
    # all_touched=False is rasterio's own rule (with the touched fallback): a windowed burn gives the same cells
    from rasterio.features import geometry_mask

    r = R.make_grid((-300_000.0, -200_000.0, 0.0, 100_000.0), 5000.0)
    rng = np.random.default_rng(7)
    for k in range(60):
        x, y = rng.uniform(-320_000, 20_000, 2)
        geom = (shapely.Point(x, y).buffer(rng.uniform(500, 40_000)) if k % 2 else
                shapely.LineString([(x, y), (x + rng.normal(0, 50_000), y + rng.normal(0, 50_000))]))
        want = geometry_mask([geom], out_shape=r.shape, transform=r.transform, invert=True)
        if not want.any():
            want = geometry_mask([geom], out_shape=r.shape, transform=r.transform, invert=True, all_touched=True)
        assert np.array_equal(R.geometry_mask(r, geom, all_touched=False), want)


def test_warp_to_other_crs_and_check_aligned():
    target = R.make_grid((0.0, 0.0, 10_000.0, 10_000.0), 1000.0)
    utm = Raster(np.ones((5, 5), dtype="float32"), Affine(1000, 0, 0, 0, -1000, 5000), CRS.from_epsg(32642), None, "utm.tif")
    with pytest.raises(DataError, match="CRS differs"):
        target.check_aligned(utm)
    with pytest.raises(DataError, match="grid does not match"):
        target.check_aligned(R.make_grid((0.0, 0.0, 5000.0, 5000.0), 1000.0))


def test_warp_to_onto_the_same_grid_without_crs_and_errors():
    target = R.make_grid((0.0, 0.0, 4000.0, 4000.0), 1000.0)
    plain = Raster(np.arange(16, dtype="float64").reshape(4, 4), target.transform, None, None, "plain.asc")
    out = R.warp_to(plain, target)
    assert out.crs == WORKING_CRS and out.array.dtype == np.float32 and out.array[3, 3] == 15
    with pytest.raises(DataError, match="plain.asc: the raster has no CRS"):
        R.warp_to(plain, R.make_grid((0.0, 0.0, 8000.0, 8000.0), 1000.0))
    with pytest.raises(ConfigError, match="unknown method 'cubicle'"):
        R.warp_to(out, target, "cubicle")
    far = Raster(np.ones((2, 2)), Affine(1000, 0, 900_000, 0, -1000, 900_000), WORKING_CRS, None, "far.tif")
    with pytest.raises(DataError, match="far.tif: does not overlap"):
        R.warp_to(far, target)
