"""Barrier Mapper (corridors.restore.barriers, corridors restore barriers) on corridors whose answers are known by hand.

The corridor of most tests: 15 x 31 cells of 100 m at resistance 1, core A the
two left columns, core B the two right ones, cut by a wall of columns 14-16 at
resistance 50. Every row is the same, so cost distances run along the rows:
CWD_A(col c) = (c - 1) x 100 left of the wall, and the least-cost distance is
28 steps of 100 m plus the wall's extra 3 x (50 - 1) x 100 = 14 700, so
LCD = 2 800 + 14 700 = 17 500 cost-weighted metres.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from shapely.geometry import box

from corridors import linkages
from corridors._errors import ConfigError
from corridors.analyses.barriers import run_barriers
from corridors.lcp import cost_distance
from corridors.raster import Raster
from corridors.restore import barrier_mapper, disc_minimum
from corridors.restore.barriers import disc_footprint

from _helpers import FAR_CRS, error_line, grid, invoke, toy_cores, usage_error

CELL = 100.0
ROWS, COLS = 15, 31
WALL = slice(14, 17)
WALL_R = 50.0
LCD = 28 * CELL + 3 * (WALL_R - 1) * CELL  # 17 500
GAIN = 3 * (WALL_R - 1) * CELL  # 14 700: the wall's extra cost, all of it saved by a circle that spans the wall


def _walled(wall: float = WALL_R) -> Raster:
    a = np.ones((ROWS, COLS))
    a[:, WALL] = wall
    return grid(a, CELL, crs=None)


def _links(res: Raster, **kw) -> linkages.LinkageResult:
    cores = toy_cores({"A": box(0, 0, 2 * CELL, ROWS * CELL), "B": box((COLS - 2) * CELL, 0, COLS * CELL, ROWS * CELL)})
    return linkages.build_linkages(res, cores, adjacency="all", **kw)


# ----------------------------------------------------------------------------- the moving-window minimum
@pytest.mark.parametrize("radius", [1.0, 1.5, 2.0, 2.9, 4.0, 6.3])
def test_disc_minimum_is_scipys_minimum_filter_with_a_circular_footprint(radius):
    rng = np.random.default_rng(int(radius * 10))
    a = rng.random((23, 31)).astype("float32") * 100
    a[rng.random(a.shape) < 0.2] = np.inf  # unreached cells
    want = ndimage.minimum_filter(a, footprint=disc_footprint(radius), mode="constant", cval=np.inf)
    assert np.array_equal(disc_minimum(a, radius), want)


def test_disc_footprint_holds_the_cells_whose_centres_lie_in_the_circle():
    assert disc_footprint(1.0).sum() == 5 and disc_footprint(1.5).sum() == 9 and disc_footprint(2.0).sum() == 13


# ----------------------------------------------------------------------------- one wall, by hand
def test_score_peaks_on_the_wall_and_its_drop_is_the_walls_extra_cost():
    links = _links(_walled())
    assert links.linkages["cwd_m"].iloc[0] == pytest.approx(LCD)
    res = barrier_mapper(links, [300.0])
    s = res.score.array
    # A circle of radius 300 m (3 cells) centred on any wall column spans the wall on its own row: into it from
    # A costs CWD_A(c - 3), out of it to B CWD_B(c + 3), across it 600: 2 800 in all, a drop of 14 700 over 600 m.
    assert np.allclose(s[:, WALL], GAIN / 600.0)
    assert np.nanmax(s) == pytest.approx(GAIN / 600.0)
    assert set(np.nonzero(np.isclose(s, np.nanmax(s)))[1]) == {14, 15, 16}
    # Centred on column 13 the circle ends inside the wall: out of it to B costs CWD_B(16) = 1 200 + 2 550.
    assert s[7, 13] == pytest.approx((LCD - 900 - 3750 - 600) / 600.0)
    assert s[7, 5] == 0.0 and s[7, 25] == 0.0  # far from the wall a circle saves nothing
    row = res.table.iloc[0]
    assert row["lcd"] == pytest.approx(LCD) and row["score"] == pytest.approx(GAIN / 600.0)
    assert row["lcd_drop"] == pytest.approx(GAIN) and row["lcd_after"] == pytest.approx(LCD - GAIN)
    assert row["radius_m"] == 300.0 and row["pct_drop"] == pytest.approx(100 * GAIN / LCD)
    assert 14 * CELL < row["x"] < 17 * CELL


def test_the_drop_equals_rerunning_the_least_cost_distance_with_the_circle_restored():
    res_raster = _walled()
    res = barrier_mapper(_links(res_raster), [300.0], restored_resistance=1.0)
    row = res.table.iloc[0]
    r, c = res_raster.rowcol(row["x"], row["y"])
    yy, xx = np.mgrid[0:ROWS, 0:COLS]
    restored = res_raster.array.copy()
    restored[(yy - r) ** 2 + (xx - c) ** 2 <= 9] = 1.0
    cores = toy_cores({"A": box(0, 0, 200, ROWS * CELL), "B": box((COLS - 2) * CELL, 0, COLS * CELL, ROWS * CELL)})
    cwd = cost_distance(res_raster.replace(restored), cores.geometry.iloc[0]).array
    after = float(cwd[:, COLS - 2].min())  # B's nearest cells
    assert LCD - after == pytest.approx(row["lcd_drop"])


def test_restored_resistance_prices_the_crossing():
    # Restored cells at resistance 5: crossing the 600 m circle costs 3 000, not 600; drop 14 700 - 2 400.
    res = barrier_mapper(_links(_walled()), [300.0], restored_resistance=5.0)
    assert res.table.iloc[0]["lcd_drop"] == pytest.approx(GAIN - 4 * 600)
    assert np.nanmax(res.score.array) == pytest.approx((GAIN - 2400) / 600)


def test_no_wall_no_improvement():
    res = barrier_mapper(_links(_walled(wall=1.0)), [100.0, 300.0, 500.0])
    assert np.nanmax(res.score.array) == 0.0 and np.nanmin(res.score.array) == 0.0
    assert np.isnan(res.best_radius.array).all()
    row = res.table.iloc[0]
    assert row["score"] == 0.0 and row["lcd_drop"] == 0.0 and math.isnan(row["radius_m"]) and math.isnan(row["x"])


def test_radii_combined_by_max_and_by_sum():
    links = _links(_walled())
    mx = barrier_mapper(links, [300.0, 500.0])
    sm = barrier_mapper(links, [500.0, 300.0], combine="sum")
    # Column 15: r = 300 saves 14 700 over 600 m (24.5), r = 500 the same over 1 000 m (14.7).
    assert mx.score.array[7, 15] == pytest.approx(24.5) and mx.best_radius.array[7, 15] == 300.0
    assert sm.score.array[7, 15] == pytest.approx(24.5 + 14.7)
    # Column 12: r = 300 ends inside the wall (CWD_B(15) = 8 750): (17 500 - 800 - 8 750 - 600) / 600 = 12.25;
    # r = 500 spans it: 14.7. The larger radius wins here.
    assert mx.score.array[7, 12] == pytest.approx(14.7) and mx.best_radius.array[7, 12] == 500.0
    assert sm.score.array[7, 12] == pytest.approx(14.7 + 12.25)
    assert sm.best_radius is None and mx.radii_m == sm.radii_m == (300.0, 500.0)
    assert np.array_equal(mx.radius_scores[300.0].array, barrier_mapper(links, [300.0]).score.array, equal_nan=True)


def test_percent_improvement():
    res = barrier_mapper(_links(_walled()), [300.0, 500.0], percent=True)
    # Both radii span the wall from column 15: 100 x 14 700 / 17 500 = 84 %, whatever the radius.
    assert res.score.array[7, 15] == pytest.approx(84.0)
    assert res.score.array[7, 12] == pytest.approx(84.0)  # r = 500 spans it from column 12 too
    assert res.score.array[7, 13] == pytest.approx(84.0)
    row = res.table.iloc[0]
    assert row["score"] == pytest.approx(84.0) and row["lcd_drop"] == pytest.approx(GAIN)
    assert "percent" in res.units


def test_several_linkages_mosaic_by_maximum_and_no_data_is_no_score():
    # Two corridors, one above the other, parted by a row of no data: A-B walled at 50, C-D at 20.
    a = np.ones((21, COLS))
    a[:10, WALL] = 50.0
    a[11:, WALL] = 20.0
    a[10, :] = np.nan
    res_raster = grid(a, CELL, crs=None)
    cores = toy_cores({"A": box(0, 1100, 200, 2100), "B": box(2900, 1100, 3100, 2100),
                       "C": box(0, 0, 200, 1000), "D": box(2900, 0, 3100, 1000)})
    links = linkages.build_linkages(res_raster, cores, pairs=[("A", "B"), ("C", "D")])
    res = barrier_mapper(links, [300.0])
    ab, cd = res.by_linkage("A", "B").array, res.by_linkage("D", "C").array
    assert np.array_equal(res.score.array, np.fmax(ab, cd), equal_nan=True)
    assert res.score.array[4, 15] == pytest.approx(GAIN / 600)
    assert res.score.array[16, 15] == pytest.approx(3 * 19 * CELL / 600)
    assert np.isnan(res.score.array[10]).all()  # no data: no score
    assert np.isnan(ab[16, 15]) and np.isnan(cd[4, 15])  # each corridor's runs never reach the other
    table = res.table.set_index("core_a")
    assert table.loc["A", "lcd_drop"] == pytest.approx(GAIN) and table.loc["C", "lcd_drop"] == pytest.approx(3 * 19 * CELL)
    with pytest.raises(ConfigError, match="A-C is not a linkage"):
        res.by_linkage("A", "C")


def test_no_data_inside_the_corridor_matches_a_cell_by_cell_reckoning():
    a = _walled().array.copy()
    a[2:4, 5:7] = np.nan
    a[11, 20] = np.nan
    res_raster = grid(a, CELL, crs=None)
    links = _links(res_raster)
    res = barrier_mapper(links, [200.0])
    lcd = float(links.linkages["cwd_m"].iloc[0])
    ca, cb = (np.where(np.isfinite(links._runs[k].cwd), links._runs[k].cwd, np.inf).astype(float) for k in ("A", "B"))
    want = np.full(a.shape, np.nan)
    for r in range(ROWS):
        for c in range(COLS):
            if np.isnan(a[r, c]):
                continue
            near = [(i, j) for i in range(ROWS) for j in range(COLS) if (i - r) ** 2 + (j - c) ** 2 <= 4]
            ma, mb = min(ca[i, j] for i, j in near), min(cb[i, j] for i, j in near)
            want[r, c] = max((lcd - ma - mb - 400.0) / 400.0, 0.0)
    assert np.allclose(res.score.array, want, equal_nan=True, rtol=1e-6, atol=1e-6)
    assert np.isnan(res.score.array[2:4, 5:7]).all() and np.isfinite(res.score.array[0]).all()


def test_a_window_too_small_for_the_circles_is_recomputed_on_the_whole_grid():
    links = _links(_walled())
    whole = barrier_mapper(links, [300.0])
    # Crop B's run to its own two columns: the least cost on the window's side is 0 < LCD, so it must be recomputed.
    run = links._runs["B"]
    links._runs["B"] = type(run)((slice(0, ROWS), slice(COLS - 2, COLS)), run.cwd[:, COLS - 2 :].copy())
    again = barrier_mapper(links, [300.0])
    assert again.parameters["cost_distance_runs"]["computed_on_the_whole_grid"] == ["B"]
    assert np.allclose(again.score.array, whole.score.array, equal_nan=True)


def test_windowed_runs_of_max_cwd_give_the_same_scores():
    # 200 rows x 61 columns, a wall of 5 across the middle, small cores: max_cwd_m = LCD bounds each run to about
    # LCD / 1 = 72 cells round its core, fewer rows than the grid, and the windows are enough (no run is redone).
    a = np.ones((200, 61))
    a[:, 29:32] = 5.0
    res_raster = grid(a, CELL, crs=None)
    cores = toy_cores({"A": box(0, 9500, 200, 10500), "B": box(5900, 9500, 6100, 10500)})
    lcd = 58 * CELL + 3 * 4 * CELL
    free = linkages.build_linkages(res_raster, cores, adjacency="all")
    bounded = linkages.build_linkages(res_raster, cores, adjacency="all", max_cwd_m=lcd, truncate_m=0.0)
    assert bounded.linkages["cwd_m"].iloc[0] == pytest.approx(lcd)
    win = bounded._runs["A"].window[0]
    assert win.start > 0 and win.stop < 200
    s1 = barrier_mapper(free, [300.0, 500.0])
    s2 = barrier_mapper(bounded, [300.0, 500.0])
    assert s2.parameters["cost_distance_runs"]["computed_on_the_whole_grid"] == []
    pos = s1.score.array > 0
    assert pos.any() and np.allclose(s1.score.array[pos], s2.score.array[pos])
    assert np.nanmax(s2.score.array) == pytest.approx(1200 / 600)
    assert not (s2.score.array[~pos] > 0).any()
    # Combined by max, one linkage: the maximum over the radii, cell by cell, even where only the larger circle reaches.
    both = np.fmax(s2.radius_scores[300.0].array, s2.radius_scores[500.0].array)
    assert np.array_equal(s2.score.array, both, equal_nan=True)
    assert (np.isnan(s2.radius_scores[300.0].array) & ~np.isnan(s2.radius_scores[500.0].array)).any()


# ----------------------------------------------------------------------------- bad options
@pytest.mark.parametrize("radii, words", [([0.0], "must be a number > 0"), ([-100.0], "must be a number > 0"),
                                          ([50.0], "smaller than one cell"), ([], "at least one search radius"),
                                          ([float("nan")], "must be a number > 0")])
def test_bad_radii_are_named(radii, words):
    with pytest.raises(ConfigError, match=words) as err:
        barrier_mapper(_links(_walled()), radii)
    assert "radius" in str(err.value)


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf")])
def test_restored_resistance_must_be_positive(value):
    with pytest.raises(ConfigError, match="restored_resistance"):
        barrier_mapper(_links(_walled()), [300.0], restored_resistance=value)


def test_unknown_combine_is_named():
    with pytest.raises(ConfigError, match="combine.*'mean'.*max, sum"):
        barrier_mapper(_links(_walled()), [300.0], combine="mean")


def test_bad_options_stop_run_barriers_before_any_least_cost_run():
    with pytest.raises(ConfigError, match="radius"):
        run_barriers(radii_m=[0.0])
    with pytest.raises(ConfigError, match="restored_resistance"):
        run_barriers(restored_resistance=0.0)


# ----------------------------------------------------------------------------- files and the command
def _far_files(folder):
    """A 5 x 12 grid of 100 m cells in UTM 17N (far from the programme), a wall of resistance 11 at column 6, two square cores.

    By hand: CWD from A (columns 0-1, rows 1-3) along row 2 is (c - 1) x 100;
    LCD = 9 steps of 100 + the wall's extra (11 - 1) x 100 = 1 900. A circle of
    100 m (the centre and its 4 neighbours) on the wall: into it 400, out of it
    300, across it 200: a drop of 1 000 over 200 m, score 5.
    """
    a = np.ones((5, 12), dtype="float32")
    a[:, 6] = 11.0
    x0, y0 = 600_000.0, 4_500_000.0
    tif = grid(a, CELL, x0=x0, y0=y0, crs=FAR_CRS, name="far.tif").write(folder / "far_wall.tif")
    cores = gpd.GeoDataFrame({"Core_ID": [1, 2]}, geometry=[box(x0 + 10, y0 - 390, x0 + 190, y0 - 110),
                                                            box(x0 + 1010, y0 - 390, x0 + 1190, y0 - 110)], crs=FAR_CRS)
    gpkg = folder / "far_cores.gpkg"
    cores.to_file(gpkg)
    return tif, gpkg, x0, y0


def test_cli_on_your_cores_in_utm_17n(tmp_path):
    tif, gpkg, x0, y0 = _far_files(tmp_path)
    out = tmp_path / "barriers"
    r = invoke("restore", "barriers", "--resistance", tif, "--cores", gpkg, "--id-field", "Core_ID", "--radius-km", "0.1",
               "--radius-km", "0.2,0.3", "--save-radius-rasters", "-o", out)
    assert r.exit_code == 0, r.output
    assert "Barrier Mapper" in r.output and "1,900" in r.output
    table = pd.read_csv(out / "barrier_linkages.csv")
    row = table.iloc[0]
    assert (row["core_a"], row["core_b"]) == (1, 2)
    assert row["lcd"] == pytest.approx(1900.0) and row["score"] == pytest.approx(5.0) and row["lcd_drop"] == pytest.approx(1000.0)
    assert row["radius_m"] == 100.0 and row["x"] == pytest.approx(x0 + 650.0) and y0 - 400 < row["y"] < y0 - 100
    score = Raster.read(out / "barriers.tif")
    assert score.crs.to_epsg() == 32617 and score.array[2, 6] == pytest.approx(5.0)
    assert Raster.read(out / "best_radius.tif").array[2, 6] == 100.0
    for name in ("barriers_r100m.tif", "barriers_r200m.tif", "barriers_r300m.tif", "barriers_map.png", "barriers_map.svg"):
        assert (out / name).exists(), name
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["command"] == "corridors restore barriers" and prov["parameters"]["radii_m"] == [100.0, 200.0, 300.0]
    assert prov["inputs"]["cores"]["path"].endswith("far_cores.gpkg") and "sha256" in json.dumps(prov["inputs"])
    assert "32617" in prov["parameters"]["crs"] and prov["parameters"]["cores"]["id_field"] == "Core_ID"


def test_cli_percent_and_sum(tmp_path):
    tif, gpkg, _, _ = _far_files(tmp_path)
    out = tmp_path / "pct"
    r = invoke("-q", "restore", "barriers", "--resistance", tif, "--cores", gpkg, "--id-field", "Core_ID",
               "--radius-km", "0.1", "--percent", "--combine", "sum", "--no-map", "-o", out)
    assert r.exit_code == 0, r.output
    row = pd.read_csv(out / "barrier_linkages.csv").iloc[0]
    assert row["score"] == pytest.approx(100 * 1000 / 1900)
    assert not (out / "best_radius.tif").exists() and not (out / "barriers_map.png").exists()


@pytest.mark.parametrize("args, words", [(["--radius-km", "0"], "'--radius-km'"), (["--radius-km", "abc"], "'--radius-km'"),
                                         (["--restored-resistance", "0"], "'--restored-resistance'"),
                                         (["--combine", "mean"], "'--combine'")])
def test_cli_bad_options_are_usage_errors(tmp_path, args, words):
    usage_error(invoke("restore", "barriers", *args, "-o", tmp_path / "o"), words)
    assert not (tmp_path / "o").exists()


def test_cli_radius_smaller_than_a_cell_is_named(tmp_path):
    tif, gpkg, _, _ = _far_files(tmp_path)
    line = error_line(invoke("restore", "barriers", "--resistance", tif, "--cores", gpkg, "--id-field", "Core_ID",
                             "--radius-km", "0.05", "-o", tmp_path / "o"))
    assert "radius" in line and "smaller than one cell (100 m)" in line
    assert not (tmp_path / "o").exists()


def test_cli_id_field_needs_cores(tmp_path):
    assert "--id-field" in error_line(invoke("restore", "barriers", "--id-field", "Core_ID", "-o", tmp_path / "o"))


def test_cli_on_the_programme_corridors(tmp_path, coarse_resistance):
    # A coarse (10 km) surface keeps the run short: radii of 10 and 20 km (the default 1 km is smaller than a cell).
    out = tmp_path / "prog"
    r = invoke("-q", "restore", "barriers", "--resistance", coarse_resistance, "--radius-km", "10,20", "-o", out)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "barrier_linkages.csv")
    assert {"2.1a", "6.4", "7.4"} <= set(table["corridor"])
    assert (table["score"] >= 0).all() and (table["lcd_drop"] <= table["lcd"] + 1e-6).all()
    assert (out / "barriers_map.png").stat().st_size > 10_000
    prov = json.loads((out / "provenance.json").read_text())
    assert "2.1a" in prov["parameters"]["corridors"] and prov["parameters"]["resolution_m"] == 10_000.0
