"""Cost distance, least-cost paths and Linkage-Mapper-style linkages on grids whose answers are known by hand."""

from __future__ import annotations

import math
import os

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from corridors import lcp, linkages, programme
from corridors._errors import ConfigError, DataError
from corridors.analyses.linkages import programme_corridors
from corridors.raster import crop
from corridors.plot.linkages_map import plot_linkages
from corridors.raster import Raster
from corridors.settings import WORKING_CRS

SQ2 = math.sqrt(2.0)


def grid(array, cell=100.0, crs=WORKING_CRS, x0=0.0, y0=None):
    a = np.asarray(array, dtype="float32")
    top = a.shape[0] * cell if y0 is None else y0
    return Raster(a, Affine(cell, 0, x0, 0, -cell, top), crs, None, "test resistance")


def centre(r: Raster, row: int, col: int) -> shapely.Point:
    x, y = r.xy(row, col)
    return shapely.Point(float(x), float(y))


def cores_at(r: Raster, cells: dict[str, tuple[int, int]], radius_cells: float = 0.0) -> gpd.GeoDataFrame:
    geoms = [centre(r, *rc).buffer(radius_cells * r.res[0]) if radius_cells else centre(r, *rc) for rc in cells.values()]
    return gpd.GeoDataFrame({"core_id": list(cells)}, geometry=geoms, crs=r.crs)


# ----------------------------------------------------------------------------- cost distance
@pytest.mark.parametrize("value", [1.0, 3.5])
@pytest.mark.parametrize("cell", [100.0, 1000.0])
def test_uniform_grid_cost_is_distance_times_resistance_8_neighbours(value, cell):
    r = grid(np.full((9, 9), value), cell)
    cd = lcp.cost_distance(r, centre(r, 4, 4)).array
    unit = value * cell
    assert cd[4, 4] == 0.0
    assert cd[4, 8] == pytest.approx(4 * unit)  # 4 straight steps
    assert cd[0, 0] == pytest.approx(4 * SQ2 * unit)  # 4 diagonal steps
    assert cd[2, 8] == pytest.approx((2 * SQ2 + 2) * unit)  # 2 diagonal + 2 straight (MCP's 8-neighbour geometry)


def test_uniform_grid_4_neighbours_is_manhattan():
    r = grid(np.full((7, 7), 2.0), 10.0)
    cd = lcp.cost_distance(r, centre(r, 0, 0), fully_connected=False).array
    assert cd[3, 4] == pytest.approx((3 + 4) * 2.0 * 10.0)
    assert cd[6, 6] == pytest.approx(12 * 2.0 * 10.0)


def test_step_cost_is_mean_of_the_two_cells():
    # Linkage Mapper / ArcGIS convention: a step costs (r1 + r2) / 2 x length.
    r = grid([[1.0, 3.0, 5.0]], 10.0)
    cd = lcp.cost_distance(r, centre(r, 0, 0)).array
    assert cd[0, 1] == pytest.approx(0.5 * (1 + 3) * 10)
    assert cd[0, 2] == pytest.approx(0.5 * (1 + 3) * 10 + 0.5 * (3 + 5) * 10)


def test_wall_forces_the_detour_computed_by_hand():
    a = np.ones((7, 9))
    a[0:5, 4] = np.nan  # a wall in column 4, open at rows 5 and 6
    r = grid(a, 100.0)
    line, cost, length = lcp.least_cost_path(r, centre(r, 0, 0), centre(r, 0, 8))
    # (0,0) -> (5,4): 4 diagonal + 1 straight; the same again to (0,8).
    assert cost == pytest.approx((8 * SQ2 + 2) * 100.0)
    assert length == pytest.approx((8 * SQ2 + 2) * 100.0)
    rows, cols = r.rowcol(*shapely.get_coordinates(line).T)
    assert rows[cols == 4].min() >= 5  # crosses the wall's column through the gap
    assert not np.isnan(a[rows, cols]).any()


def test_least_cost_path_is_symmetric_and_matches_cost_distance():
    rng = np.random.default_rng(7)
    r = grid(rng.uniform(1, 50, size=(30, 40)), 250.0)
    a, b = centre(r, 3, 2), centre(r, 25, 37)
    _, c_ab, _ = lcp.least_cost_path(r, a, b)
    _, c_ba, _ = lcp.least_cost_path(r, b, a)
    assert c_ab == pytest.approx(c_ba, rel=1e-12)
    assert c_ab == pytest.approx(lcp.cost_distance(r, a).array[25, 37], rel=1e-12)


def test_polygon_source_has_zero_cost_inside_and_sources_from_a_raster():
    r = grid(np.ones((10, 10)), 100.0)
    square = shapely.box(200, 200, 500, 500)  # covers cell centres of rows 5-7, cols 2-4
    cd = lcp.cost_distance(r, square).array
    assert np.all(cd[5:8, 2:5] == 0)
    assert cd[5, 6] == pytest.approx(200.0)
    mask = r.replace(np.where(np.arange(100).reshape(10, 10) == 0, 1.0, 0.0).astype("float32"))
    assert lcp.cost_distance(r, mask).array[0, 3] == pytest.approx(300.0)


def test_nodata_is_impassable_and_unreachable_is_nan():
    a = np.ones((5, 5))
    a[:, 2] = np.nan
    r = grid(a, 10.0)
    cd = lcp.cost_distance(r, centre(r, 2, 0)).array
    assert np.isnan(cd[:, 2]).all() and np.isnan(cd[:, 3:]).all()
    with pytest.raises(DataError, match="cannot be reached"):
        lcp.least_cost_path(r, centre(r, 2, 0), centre(r, 2, 4))


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_zero_or_negative_resistance_is_refused(bad):
    a = np.ones((4, 4))
    a[1, 2] = bad
    r = grid(a)
    with pytest.raises(DataError, match=r"row 1, col 2.*must be > 0"):
        lcp.cost_distance(r, centre(r, 0, 0))
    # a float32 grid's cell is quoted as the number it holds, not as NumPy's np.float32(0.0)
    with pytest.raises(DataError, match=rf"holds resistance {bad!r}; resistance must be > 0") as err:
        lcp.cost_distance(grid(a.astype("float32")), centre(r, 0, 0))
    assert "np." not in str(err.value)


def test_all_nodata_is_refused():
    r = grid(np.full((3, 3), np.nan))
    with pytest.raises(DataError, match="every cell is no data"):
        lcp.cost_distance(r, centre(r, 0, 0))


def test_source_outside_the_raster_is_refused():
    r = grid(np.ones((4, 4)), 100.0)
    with pytest.raises(DataError, match="lies outside"):
        lcp.cost_distance(r, shapely.Point(10_000, 10_000))
    with pytest.raises(DataError, match="no-data"):
        a = np.ones((4, 4))
        a[0, 0] = np.nan
        r2 = grid(a, 100.0)
        lcp.cost_distance(r2, centre(r2, 0, 0))


def test_misaligned_or_other_crs_source_raster_is_refused():
    r = grid(np.ones((4, 4)), 100.0)
    shifted = grid(np.ones((4, 4)), 100.0, x0=50.0)
    with pytest.raises(DataError, match="grid does not match"):
        lcp.cost_distance(r, shifted)
    other = grid(np.ones((4, 4)), 100.0, crs=CRS.from_epsg(32642))
    with pytest.raises(DataError, match="CRS differs"):
        lcp.cost_distance(r, other)


# ----------------------------------------------------------------------------- linkages
def test_linkage_metrics_in_cost_weighted_metres():
    r = grid(np.full((11, 21), 2.0), 1000.0)
    cores = cores_at(r, {"a": (5, 2), "b": (5, 12)})
    res = linkages.build_linkages(r, cores, truncate_m=None, borders=gpd.GeoDataFrame({"border_id": []}, geometry=[], crs=r.crs))
    row = res.linkages.iloc[0]
    assert (row.core_a, row.core_b) == ("a", "b")
    assert row.cwd_m == pytest.approx(10 * 1000 * 2.0)
    assert row.lcp_length_m == pytest.approx(10_000.0)
    assert row.euclid_m == pytest.approx(10_000.0)
    assert row.cwd_to_euclid == pytest.approx(2.0)
    assert row.cwd_to_path == pytest.approx(2.0)
    assert row.borders == []


def test_one_cost_distance_run_per_core(monkeypatch):
    calls = []
    real = lcp._Engine.run

    def counting(self, cells):
        calls.append(len(cells))
        return real(self, cells)

    monkeypatch.setattr(lcp._Engine, "run", counting)
    r = grid(np.ones((30, 30)), 100.0)
    cores = cores_at(r, {"a": (3, 3), "b": (3, 26), "c": (26, 3), "d": (26, 26), "e": (15, 15)})
    res = linkages.build_linkages(r, cores, adjacency="all", drop_through_cores=False, truncate_m=500)
    assert len(calls) == 5
    assert len(res.linkages) == 10  # every pair, from five runs


def test_corridor_is_symmetric_in_a_and_b():
    rng = np.random.default_rng(3)
    r = grid(rng.uniform(1, 20, size=(25, 35)), 100.0)
    cores = cores_at(r, {"a": (4, 4), "b": (20, 30)}, radius_cells=1.5)
    res = linkages.build_linkages(r, cores, truncate_m=None)
    ab = res.corridor("a", "b").array
    ba = res.corridor("b", "a").array
    np.testing.assert_array_equal(ab, ba)
    assert np.nanmin(ab) == pytest.approx(0.0, abs=1e-3)  # 0 on the least-cost path
    # the same linkage computed the other way round (core order reversed) gives the same corridor
    res2 = linkages.build_linkages(r, cores.iloc[::-1].reset_index(drop=True), truncate_m=None)
    np.testing.assert_allclose(res2.corridor("a", "b").array, ab, atol=0.05)
    assert res2.linkages.cwd_m.iloc[0] == pytest.approx(res.linkages.cwd_m.iloc[0], rel=1e-6)


def test_truncation_width_follows_the_8_neighbour_geometry():
    # Two point cores on row 20, 20 cells apart, uniform resistance 1, cell 100 m.
    # At the middle column, k rows off the path, CWD_A + CWD_B - CWD_AB = 2k(sqrt2 - 1) x 100
    # (k diagonal steps replace k straight ones on each side). Truncating at 2.5 such units
    # keeps k = 0, +-1, +-2: five cells.
    r = grid(np.ones((41, 41)), 100.0)
    cores = cores_at(r, {"a": (20, 10), "b": (20, 30)})
    unit = 2 * (SQ2 - 1) * 100.0
    res = linkages.build_linkages(r, cores, truncate_m=2.5 * unit)
    n = res.corridor("a", "b", truncate_m=None).array
    for k in range(0, 8):
        assert n[20 + k, 20] == pytest.approx(k * unit, rel=1e-5)
    mid = res.corridor_mosaic.array[:, 20]
    assert np.flatnonzero(np.isfinite(mid)).tolist() == [18, 19, 20, 21, 22]
    assert np.nanmax(res.corridor_mosaic.array) <= 2.5 * unit
    # a wider truncation keeps more cells, never fewer
    wide = linkages.build_linkages(r, cores, truncate_m=4.5 * unit).corridor_mosaic.array
    assert np.isfinite(wide[:, 20]).sum() == 9


def test_min_width_of_a_channel_is_its_width():
    a = np.full((15, 40), np.nan)
    a[5:10, :] = 1.0  # a channel five cells wide
    r = grid(a, 200.0)
    cores = cores_at(r, {"a": (7, 1), "b": (7, 38)})
    res = linkages.build_linkages(r, cores, truncate_m=1e6)
    assert res.linkages.min_width_m.iloc[0] == pytest.approx(5 * 200.0)
    narrow = linkages.build_linkages(r, cores, truncate_m=1.0)  # only the path itself: one cell
    assert narrow.linkages.min_width_m.iloc[0] == pytest.approx(200.0)


def test_linkage_through_a_third_core_is_dropped():
    r = grid(np.ones((9, 31)), 100.0)
    cores = cores_at(r, {"a": (4, 2), "b": (4, 28), "c": (4, 15)}, radius_cells=1.2)
    res = linkages.build_linkages(r, cores, adjacency="all", truncate_m=300)
    kept = {tuple(sorted(p)) for p in zip(res.linkages.core_a, res.linkages.core_b)}
    assert kept == {("a", "c"), ("b", "c")}
    assert res.dropped.iloc[0][["core_a", "core_b"]].tolist() == ["a", "b"]
    assert "through core(s) c" in res.dropped.iloc[0]["reason"]
    keep = linkages.build_linkages(r, cores, adjacency="all", drop_through_cores=False, truncate_m=300)
    row = keep.linkages[(keep.linkages.core_a == "a") & (keep.linkages.core_b == "b")].iloc[0]
    assert row.through_cores == ["c"]


def test_cost_adjacency_skips_cores_hidden_behind_another():
    # a - c - b in a row: a and b's cost allocation zones do not touch, so 'cost' adjacency never proposes a-b.
    r = grid(np.ones((9, 31)), 100.0)
    cores = cores_at(r, {"a": (4, 2), "b": (4, 28), "c": (4, 15)}, radius_cells=3.5)
    res = linkages.build_linkages(r, cores, adjacency="cost", truncate_m=300)
    assert len(res.dropped) == 0
    assert sorted(zip(res.linkages.core_a, res.linkages.core_b)) == [("a", "c"), ("b", "c")]


def test_max_distances_filter_and_window_is_exact():
    r = grid(np.ones((20, 60)), 100.0)
    cores = cores_at(r, {"a": (10, 2), "b": (10, 12), "c": (10, 57)})
    full = linkages.build_linkages(r, cores, adjacency="all", truncate_m=200, drop_through_cores=False)
    lim = linkages.build_linkages(r, cores, adjacency="all", truncate_m=200, max_cwd_m=1500, drop_through_cores=False)
    assert list(zip(lim.linkages.core_a, lim.linkages.core_b)) == [("a", "b")]
    f = full.linkages.iloc[0]
    assert lim.linkages.cwd_m.iloc[0] == pytest.approx(f.cwd_m)
    # the windowed run maps the same a-b corridor as the full-grid run
    np.testing.assert_allclose(lim.corridor("a", "b").array, full.corridor("a", "b").array, equal_nan=True, atol=1e-3)
    euc = linkages.build_linkages(r, cores, adjacency="all", max_euclid_m=2000, truncate_m=200, drop_through_cores=False)
    assert set(euc.dropped.reason.str.slice(0, 18)) == {"euclidean distance"}
    assert len(euc.linkages) == 1


def test_bad_options_are_config_errors():
    r = grid(np.ones((5, 5)))
    cores = cores_at(r, {"a": (0, 0), "b": (4, 4)})
    with pytest.raises(ConfigError, match="adjacency"):
        linkages.build_linkages(r, cores, adjacency="nearest")
    with pytest.raises(ConfigError, match="truncate_m"):
        linkages.build_linkages(r, cores, truncate_m=-5)
    with pytest.raises(ConfigError, match="'zz' is not a core id"):
        linkages.build_linkages(r, cores, pairs=[("a", "zz")])
    dup = cores_at(r, {"a": (0, 0), "b": (4, 4)})
    dup["core_id"] = ["a", "a"]
    with pytest.raises(DataError, match="not unique"):
        linkages.build_linkages(r, dup)


def test_write_is_atomic_and_complete(tmp_path, monkeypatch):
    r = grid(np.ones((12, 12)), 100.0)
    res = linkages.build_linkages(r, cores_at(r, {"a": (2, 2), "b": (9, 9)}), truncate_m=300)
    out = tmp_path / "run"
    paths = res.write(out)
    assert {p.name for p in out.iterdir()} == {".corridors-output.json", "linkages.gpkg", "linkages.csv", "corridors.tif", "provenance.json"}
    layers = gpd.list_layers(paths["gpkg"])["name"].tolist()
    assert sorted(layers) == ["cores", "linkages", "paths"]
    back = gpd.read_file(paths["gpkg"], layer="paths")
    assert back.cwd_m.iloc[0] == pytest.approx(res.linkages.cwd_m.iloc[0])
    mosaic = Raster.read(paths["mosaic"])
    assert np.nanmax(mosaic.masked()) <= 300.0
    # A failure while writing leaves the earlier outputs untouched and no temporary folder.
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Raster, "write", boom)
    with pytest.raises(OSError):
        res.write(out)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert [p for p in os.listdir(out) if p.startswith(".")] == [".corridors-output.json"]  # no temporary folder


def test_cores_from_sites_buffers_points_and_skips_unresolved():
    sites = gpd.GeoDataFrame(
        {"id": ["p", "q", "u"], "location_precision_km": [2.0, 5.0, None], "kind": ["hotspot", "hotspot", "hotspot"]},
        geometry=[shapely.Point(0, 0), shapely.box(10_000, 0, 12_000, 3_000), None],
        crs=WORKING_CRS,
    )
    cores = linkages.cores_from_sites(sites)
    assert cores.core_id.tolist() == ["p", "q"]
    assert cores.geometry.iloc[0].area == pytest.approx(math.pi * 2000**2, rel=0.01)
    assert cores.geometry.iloc[1].area == pytest.approx(6e6)  # polygons stay as they are
    fixed = linkages.cores_from_sites(sites, radius_m=500)
    assert fixed.geometry.iloc[0].area == pytest.approx(math.pi * 500**2, rel=0.01)


# ----------------------------------------------------------------------------- the programme's corridors
@pytest.fixture(scope="module")
def programme_4km():
    from corridors import landscape
    from corridors.sites import load_sites

    sites = load_sites()
    ends = {e for c in programme.PROGRAMME_CORRIDORS for e in (c.end_a, c.end_b)}
    bounds = landscape.bounds_around(sites[sites["id"].isin(ends)], 150_000.0)
    r = landscape.build_resistance(bounds=bounds, resolution_m=4000.0)
    return r, sites, programme_corridors(r, sites)


def test_programme_corridors_all_mapped_with_their_measures(programme_4km):
    r, sites, res = programme_4km
    lk = res.linkages.set_index("corridor")
    assert list(lk.index) == [c.key for c in programme.PROGRAMME_CORRIDORS]
    assert set(lk["measure"]) == {"2.1", "2.5", "2.9", "3.1", "4.2", "5.7", "6.4", "7.4"}
    assert all(m == [k] for k, m in zip(lk["measure"], lk["measures"]))
    # resistance is >= 1 everywhere, so a path never costs less than its length
    assert (lk["cwd_m"] >= lk["lcp_length_m"] - 1e-6).all()
    assert (lk["lcp_length_m"] >= lk["euclid_m"]).all()
    # the reserves face each other across the fenced Amu Darya border; the Syr Darya and Ile stay in Kazakhstan
    assert "TKM-UZB" in lk.loc["2.1a", "borders"]
    assert lk.loc["6.4", "borders"] == [] and lk.loc["7.4", "borders"] == []
    ids = set(sites["id"])
    assert set(res.linkages["core_a"]) | set(res.linkages["core_b"]) <= ids


def test_opening_a_border_lowers_the_corridor_cost(programme_4km):
    from corridors import landscape

    r, sites, res = programme_4km
    opened = landscape.build_resistance(bounds=r.bounds, resolution_m=4000.0, overrides={"TKM-UZB": 1})
    keys = [c for c in programme.PROGRAMME_CORRIDORS if c.key in ("2.1a", "6.4")]
    after = programme_corridors(opened, sites, corridors=keys).linkages.set_index("corridor")["cwd_m"]
    before = res.linkages.set_index("corridor")["cwd_m"]
    # the fence was most of the cost: at least one crossing of (100 - 1) x 1000 m less
    assert after["2.1a"] < before["2.1a"] - 99_000 and before["2.1a"] > 2 * after["2.1a"]
    assert after["6.4"] == pytest.approx(before["6.4"])  # a corridor that crosses no TKM-UZB border is unchanged


def test_resistance_in_degrees_or_without_crs_is_refused(tmp_path):
    # A grid in EPSG:4326 has cells of 0.01 "metres": every distance would come out near 0 without an error.
    from click.testing import CliRunner

    from corridors.cli import main

    degrees = grid(np.ones((20, 20)), 0.01, crs=CRS.from_epsg(4326), x0=64.0, y0=40.0)
    cores = gpd.GeoDataFrame({"core_id": ["a", "b"]}, geometry=[centre(degrees, 2, 2), centre(degrees, 17, 17)], crs="EPSG:4326")
    with pytest.raises(DataError, match="geographic CRS.*corridors resistance --raster"):
        linkages.build_linkages(degrees, cores)
    with pytest.raises(DataError, match="geographic CRS"):
        programme_corridors(degrees)
    no_crs = grid(np.ones((20, 20)), 1000.0, crs=None)
    # the one rule of a raster without a CRS: it takes the cores' CRS, with a warning that says how to set it
    with pytest.warns(UserWarning, match=r"the raster has no CRS, so it is taken to be in the CRS of the cores .*gdal_edit.py -a_srs"):
        placed = linkages.build_linkages(no_crs, cores_at(grid(np.ones((20, 20)), 1000.0), {"a": (2, 2), "b": (17, 17)}), quiet=True)
    assert placed.resistance.crs == WORKING_CRS and placed.corridor_mosaic.crs == WORKING_CRS
    assert placed.linkages["cwd_m"].iloc[0] == pytest.approx(15 * 1000 * 2 ** 0.5)  # 15 diagonal steps of 1 km at resistance 1
    with pytest.raises(DataError, match="has no CRS, so it would take the CRS of the cores .*degrees"):
        linkages.build_linkages(no_crs, cores)
    # without a CRS on either side the grid's own units are trusted, as before
    ok = linkages.build_linkages(no_crs, cores_at(no_crs, {"a": (2, 2), "b": (17, 17)}), quiet=True)
    assert len(ok.linkages) == 1

    rpath = degrees.write(tmp_path / "deg.tif")
    cpath = tmp_path / "cores.gpkg"
    cores.rename(columns={"core_id": "id"}).to_file(cpath)
    run = CliRunner().invoke(main, ["linkages", "--resistance", str(rpath), "--cores", str(cpath), "-o", str(tmp_path / "o")])
    assert run.exit_code == 1
    assert run.output.count("\n") == 1 and "deg.tif" in run.output and "geographic CRS" in run.output
    assert not (tmp_path / "o").exists()


def test_core_outside_the_raster_is_named_without_an_index():
    r = grid(np.ones((10, 10)), 100.0)
    cores = gpd.GeoDataFrame({"core_id": ["a", "b"]}, geometry=[centre(r, 2, 2), shapely.Point(50_000, 50_000)], crs=r.crs)
    with pytest.raises(DataError, match=r"^core 'b': lies outside test resistance"):
        linkages.build_linkages(r, cores)
    with pytest.raises(DataError, match=r"^source 1: lies outside"):
        lcp.cost_distance(r, [centre(r, 0, 0), shapely.Point(50_000, 50_000)])


def test_map_of_a_user_network_labels_the_cores():
    # pair labels 'a-b' on the paths could not be matched to the green squares before the cores had labels
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", WORKING_CRS, always_xy=True).transform(64.4, 39.8)  # Bukhara
    r = Raster(np.ones((40, 40), dtype="float32"), Affine(1000.0, 0, x - 20_000.0, 0, -1000.0, y + 20_000.0), WORKING_CRS, None, "r")
    cores = cores_at(r, {"north": (5, 5), "south": (34, 34)}, radius_cells=1.5)
    result = linkages.build_linkages(r, cores, quiet=True)
    _, ax = plot_linkages(result)
    texts = {t.get_text() for t in ax.texts}
    assert {"north", "south", "north-south"} <= texts


def test_raster_not_covering_the_places_is_named_plainly():
    # the message used to print the window as (np.float64(-661021.38...), ...) and named no corridor
    r = grid(np.ones((10, 10)), 1000.0)
    with pytest.raises(DataError, match=r"test resistance: the area \(1000000, 1000000, 2000000, 2000000\) lies outside "
                                        r"the raster \(0, 0, 10000, 10000\)"):
        crop(r, (np.float64(1e6), np.float64(1e6), np.float64(2e6), np.float64(2e6)))
    with pytest.raises(DataError, match=r"^test resistance: corridor 2\.1a \(\S+ - \S+\) lies outside the raster \(0, 0, 10000, 10000\)"):
        programme_corridors(r)
