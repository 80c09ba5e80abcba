"""corridors.restore.sensitivity: per-cell gains of effective resistance, EC(PC) and least-cost distance.

Hand cases (series and parallel strips, a 3-node network) and central finite differences on small
random grids (both conductance conventions, 4 and 8 neighbours, several pairs and cells) to 1e-6 relative.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from _helpers import error_line, far_strip, grid, invoke, toy_graph, usage_error
from corridors._errors import ConfigError, DataError
from corridors.analyses.sensitivity import check_measures, corridor_gains, run_sensitivity
from corridors.circuit import pairwise_raster
from corridors.circuit.pinch import corridor_current
from corridors.lcp import least_cost_path
from corridors.network.metrics import equivalent_connected_area
from corridors.raster import Raster
from corridors.restore.sensitivity import (
    ec_link_sensitivity,
    ec_sensitivity,
    lcd_sensitivity,
    resistance_sensitivity,
)
from corridors.restore.adjoint import voltage_gain

FD_RTOL = 1e-6


def _random_case(seed: int = 3, shape=(7, 8)):
    rng = np.random.default_rng(seed)
    arr = rng.uniform(1.0, 10.0, shape)
    arr[3, 3] = np.nan  # a no-data cell inside
    arr[0, 7] = np.nan
    focal = np.zeros(shape, dtype=np.int64)
    focal[0, 0] = 1
    focal[6, 7] = 2
    focal[3, 6] = 3
    focal[4, 6] = 3  # a focal region of two cells
    focal[6, 1] = 4
    return grid(arr, 1000.0), focal


def _resistances(r, focal, **kw):
    res = pairwise_raster(r, focal, currents=False, solver="direct", **kw)
    return {(int(res.ids[i]), int(res.ids[j])): res.resistances[i, j]
            for i in range(len(res.ids)) for j in range(i + 1, len(res.ids))}


def _central(f, x, h):
    """Central difference of f at x, Richardson-extrapolated from steps h and h/2 (error O(h^4)): a step large enough
    that round-off in R (1e-16 x R / h) stays far below 1e-6 of the smallest gains checked."""
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + h / 2) - f(x - h / 2)) / h
    return (4 * d2 - d1) / 3


def _with_conductance(r, cell, c):
    a = r.array.copy()
    a[cell] = 1.0 / c
    return r.replace(a)


# ----------------------------------------------------------------------------- hand cases
@pytest.mark.parametrize("four", [True, False])
def test_series_strip_average_resistance_gives_r_squared(four):
    # Focal cells at both ends of a 1-row strip, branches of resistance (r_i + r_j)/2: R = r_0/2 + r_1 + ... + r_n + r_{n+1}/2,
    # so dR/dr_i = 1 inside, dR/dc_i = -r_i^2, and the gain -dR/dc_i = r_i^2.
    r_in = np.array([2.0, 5.0, 1.0, 4.0, 3.0])
    arr = np.r_[1.0, r_in, 6.0][None, :]
    focal = np.zeros(arr.shape, dtype=np.int64)
    focal[0, 0], focal[0, -1] = 1, 2
    res = resistance_sensitivity(grid(arr), focal, four_neighbors=four, avg_resistances=True, solver="direct")
    assert res.table["value"].iloc[0] == pytest.approx(0.5 + r_in.sum() + 3.0, rel=1e-12)
    gain = res.total.array[0]
    np.testing.assert_allclose(gain[1:-1], r_in**2, rtol=1e-10)
    np.testing.assert_allclose(gain[[0, -1]], [0.5 * 1.0**2, 0.5 * 6.0**2], rtol=1e-10)  # the end cells count half


def test_series_strip_average_conductance_by_hand():
    # Branch conductance w = (c_i + c_j)/2, R = sum 1/w_e; dR/dc_i = -sum over i's branches of 1/(2 w_e^2).
    c = np.array([0.5, 0.2, 1.0, 0.25, 0.4])
    r = grid((1.0 / c)[None, :])
    focal = np.zeros(r.shape, dtype=np.int64)
    focal[0, 0], focal[0, -1] = 1, 2
    res = resistance_sensitivity(r, focal, solver="direct")
    w = (c[:-1] + c[1:]) / 2
    assert res.table["value"].iloc[0] == pytest.approx((1 / w).sum(), rel=1e-12)
    expect = np.zeros(len(c))
    expect[:-1] += 1 / (2 * w**2)
    expect[1:] += 1 / (2 * w**2)
    np.testing.assert_allclose(res.total.array[0], expect, rtol=1e-10)


def test_two_parallel_strips_share_the_gain_by_the_other_strips_weight():
    # Two strips (rows 0 and 2; row 1 no data) between focal regions spanning both: R = R1 R2 / (R1 + R2), so
    # dR/dr_i = (R2 / (R1 + R2))^2 for a cell of strip 1 and the gain is r_i^2 times that.
    top = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 1.0])
    bottom = np.array([1.0, 4.0, 4.0, 4.0, 4.0, 1.0])
    arr = np.vstack([top, np.full(6, np.nan), bottom])
    focal = np.zeros(arr.shape, dtype=np.int64)
    focal[[0, 2], 0] = 1
    focal[[0, 2], 5] = 2
    res = resistance_sensitivity(grid(arr), focal, four_neighbors=True, avg_resistances=True, solver="direct")
    r1 = top[0] / 2 + top[1:-1].sum() + top[-1] / 2
    r2 = bottom[0] / 2 + bottom[1:-1].sum() + bottom[-1] / 2
    assert res.table["value"].iloc[0] == pytest.approx(r1 * r2 / (r1 + r2), rel=1e-12)
    np.testing.assert_allclose(res.total.array[0, 1:-1], top[1:-1] ** 2 * (r2 / (r1 + r2)) ** 2, rtol=1e-10)
    np.testing.assert_allclose(res.total.array[2, 1:-1], bottom[1:-1] ** 2 * (r1 / (r1 + r2)) ** 2, rtol=1e-10)
    assert np.isnan(res.total.array[1]).all()  # no data stays no data


# ----------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("four", [True, False])
@pytest.mark.parametrize("avg_res", [True, False])
def test_effective_resistance_gain_matches_central_differences(four, avg_res):
    r, focal = _random_case()
    res = resistance_sensitivity(r, focal, four_neighbors=four, avg_resistances=avg_res, solver="direct")
    base = _resistances(r, focal, four_neighbors=four, avg_resistances=avg_res)
    assert len(res.by_pair) == 6
    for (a, b), rr in base.items():
        row = res.table[(res.table["id_a"] == a) & (res.table["id_b"] == b)].iloc[0]
        assert row["value"] == pytest.approx(rr, rel=1e-9)
    cells = [(0, 0), (1, 1), (2, 5), (3, 6), (5, 2), (6, 6), (3, 2), (0, 6)]  # a focal cell, a region cell, cells by the hole
    for cell in cells:
        c = 1.0 / r.array[cell]
        memo = {}

        def f(x, cell=cell):
            if x not in memo:
                memo[x] = _resistances(_with_conductance(r, cell, x), focal, four_neighbors=four, avg_resistances=avg_res)
            return memo[x]

        for pair in base:
            fd = -_central(lambda x: f(x)[pair], c, 1e-2 * c)
            got = res.by_pair[pair].array[cell]
            assert got == pytest.approx(fd, rel=FD_RTOL), (cell, pair)
            assert got > 0


def test_total_is_the_sum_over_pairs_and_pairs_can_be_chosen():
    r, focal = _random_case(seed=5)
    res = resistance_sensitivity(r, focal, solver="direct")
    np.testing.assert_allclose(res.total.array, sum(p.array for p in res.by_pair.values()), rtol=1e-12)
    some = resistance_sensitivity(r, focal, pairs=[(3, 1), (2, 4)], solver="direct", per_pair=False)
    assert sorted(zip(some.table["id_a"], some.table["id_b"])) == [(1, 3), (2, 4)]
    assert some.by_pair == {}
    np.testing.assert_allclose(some.total.array, res.by_pair[(1, 3)].array + res.by_pair[(2, 4)].array, rtol=1e-10)


def test_conductance_input_and_amg_agree_with_the_direct_solve():
    r, focal = _random_case(seed=7)
    direct = resistance_sensitivity(r, focal, solver="direct")
    amg = resistance_sensitivity(r, focal, solver="amg")
    np.testing.assert_allclose(amg.total.array, direct.total.array, rtol=1e-6)
    cond = r.replace(1.0 / r.array)
    as_cond = resistance_sensitivity(cond, focal, is_resistance=False, solver="direct")
    np.testing.assert_allclose(as_cond.total.array, direct.total.array, rtol=1e-10)


def test_voltage_gain_from_a_voltage_map_equals_the_engine():
    # The pinch step's voltage map (NaN off the corridor) gives the same gain as the engine's own solve.
    r, focal = _random_case(seed=11)
    focal = np.where(focal <= 2, focal, 0)  # every focal region is merged in the engine's graph: keep only the pair's
    res = resistance_sensitivity(r, focal, solver="direct")
    cc = corridor_current(r, np.isfinite(r.array), focal == 1, focal == 2, solver="direct")
    got = voltage_gain(1.0 / r.array, cc.voltage.array)
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(res.total.array), rtol=1e-9, atol=1e-15)


# ----------------------------------------------------------------------------- EC(PC)
def test_ec_chain_rule_on_three_nodes_by_hand_and_by_differences():
    # A-B (p1), B-C (p2), A-C (p3 < p1 p2): the best A-C path runs through B, so
    # EC^2 = sum a_i^2 + 2 (a1 a2 p1 + a2 a3 p2 + a1 a3 p1 p2) and dEC/dp1 = (a1 a2 + a1 a3 p2) / EC, dEC/dp3 = 0.
    a1, a2, a3, p1, p2, p3 = 3.0, 2.0, 5.0, 0.6, 0.5, 0.1
    g = toy_graph({"A": a1, "B": a2, "C": a3}, [("A", "B", p1), ("B", "C", p2), ("A", "C", p3)])
    lk = ec_link_sensitivity(g, k=0.01).set_index(["i", "j"]).loc[[("A", "B"), ("B", "C"), ("A", "C")]]
    ec = math.sqrt(a1**2 + a2**2 + a3**2 + 2 * (a1 * a2 * p1 + a2 * a3 * p2 + a1 * a3 * p1 * p2))
    assert lk.attrs["EC"] == pytest.approx(ec, rel=1e-12)
    np.testing.assert_allclose(lk["dEC_dp"], [(a1 * a2 + a1 * a3 * p2) / ec, (a2 * a3 + a1 * a3 * p1) / ec, 0.0], rtol=1e-12)
    assert list(lk["pairs"]) == [4, 4, 0]  # ordered pairs: (A,B),(B,A),(A,C),(C,A) use A-B
    np.testing.assert_allclose(lk["dEC_dd"], -0.01 * np.array([p1, p2, p3]) * lk["dEC_dp"], rtol=1e-12)
    for n, p in enumerate([p1, p2, p3]):
        h = 1e-6
        ps = [p1, p2, p3]
        up, dn = list(ps), list(ps)
        up[n], dn[n] = p + h, p - h
        e_up = equivalent_connected_area(toy_graph({"A": a1, "B": a2, "C": a3}, [("A", "B", up[0]), ("B", "C", up[1]), ("A", "C", up[2])]))
        e_dn = equivalent_connected_area(toy_graph({"A": a1, "B": a2, "C": a3}, [("A", "B", dn[0]), ("B", "C", dn[1]), ("A", "C", dn[2])]))
        assert lk["dEC_dp"].iloc[n] == pytest.approx((e_up - e_dn) / (2 * h), rel=FD_RTOL, abs=1e-12)


def _ec_of(r, focal, cap, median, scale, **kw):
    rr = _resistances(r, focal, **kw)
    k = math.log(2) / median
    links = [(str(a), str(b), math.exp(-k * scale * v)) for (a, b), v in rr.items()]
    return equivalent_connected_area(toy_graph({str(i): c for i, c in cap.items()}, links))


@pytest.mark.parametrize("four,avg_res", [(False, False), (True, True)])
def test_ec_gain_per_cell_matches_central_differences(four, avg_res):
    r, focal = _random_case(seed=13)
    cap = {1: 10.0, 2: 4.0, 3: 7.0, 4: 1.0}
    median, scale = 5000.0, 1000.0
    res = ec_sensitivity(r, focal, cap, median_dispersal_m=median, four_neighbors=four, avg_resistances=avg_res, solver="direct",
                         per_pair=True)
    ec = _ec_of(r, focal, cap, median, scale, four_neighbors=four, avg_resistances=avg_res)
    assert res.parameters["EC"] == pytest.approx(ec, rel=1e-10)
    np.testing.assert_allclose(res.total.array, sum(p.array for p in res.by_pair.values()), rtol=1e-12)
    for cell in [(1, 1), (2, 5), (5, 2), (3, 6), (0, 3)]:
        c = 1.0 / r.array[cell]
        fd = _central(lambda x, cell=cell: _ec_of(_with_conductance(r, cell, x), focal, cap, median, scale, four_neighbors=four,
                                                   avg_resistances=avg_res), c, 1e-2 * c)
        assert res.total.array[cell] == pytest.approx(fd, rel=FD_RTOL), cell
        assert res.total.array[cell] > 0


# ----------------------------------------------------------------------------- least-cost distance
def test_lcd_strip_by_hand():
    # A 1-row strip of 1 km cells: each step costs (r_i + r_j)/2 x 1000 m, so dLCD/dr_i = 1000 inside and 500 at the ends.
    rv = np.array([2.0, 5.0, 1.0, 4.0, 3.0])
    focal = np.zeros((1, 5), dtype=np.int64)
    focal[0, 0], focal[0, -1] = 1, 2
    res = lcd_sensitivity(grid(rv[None, :]), focal)
    assert res.table["value"].iloc[0] == pytest.approx(1000 * (rv[0] / 2 + rv[1:-1].sum() + rv[-1] / 2))
    np.testing.assert_allclose(res.total.array[0], rv**2 * np.array([500, 1000, 1000, 1000, 500]), rtol=1e-12)


@pytest.mark.parametrize("fully_connected", [True, False])
def test_lcd_gain_matches_central_differences_on_and_off_the_path(fully_connected):
    r, focal = _random_case(seed=17)
    res = lcd_sensitivity(r, focal, fully_connected=fully_connected)
    assert len(res.table) == 6
    checked_on = 0
    for (a, b), g in res.by_pair.items():
        on = np.argwhere(g.array > 0)
        off = np.argwhere((g.array == 0) & np.isfinite(r.array))
        for cell in [tuple(x) for x in on[:: max(1, len(on) // 4)]] + [tuple(off[0])]:
            rk = r.array[cell]
            h = 1e-6 * rk
            costs = []
            for d in (h, -h):
                arr = r.array.copy()
                arr[cell] = rk + d
                costs.append(least_cost_path(r.replace(arr), focal == a, focal == b, fully_connected=fully_connected)[1])
            fd_r = (costs[0] - costs[1]) / (2 * h)
            assert g.array[cell] == pytest.approx(rk**2 * fd_r, rel=FD_RTOL, abs=1e-9), (a, b, cell)
            checked_on += g.array[cell] > 0
    assert checked_on >= 12


# ----------------------------------------------------------------------------- writing and bad inputs
def test_write_puts_geotiffs_csv_and_provenance(tmp_path):
    r, focal = _random_case()
    res = resistance_sensitivity(r, focal, solver="direct", pairs=[(1, 2)])
    files = res.write(tmp_path / "out")
    names = sorted(p.name for p in files)
    assert names == ["provenance.json", "sensitivity_resistance.csv", "sensitivity_resistance.tif", "sensitivity_resistance_1_2.tif"]
    back = type(r).read(tmp_path / "out" / "sensitivity_resistance.tif")
    np.testing.assert_allclose(back.masked(), res.total.array, rtol=1e-6)
    assert back.nodata == -9999 and back.crs == r.crs
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert "higher = better" in prov["parameters"]["measures"]["resistance"]["gain"]
    table = pd.read_csv(tmp_path / "out" / "sensitivity_resistance.csv")
    assert list(table[["id_a", "id_b"]].iloc[0]) == [1, 2]


def test_write_refuses_a_folder_of_foreign_files(tmp_path):
    r, focal = _random_case()
    res = resistance_sensitivity(r, focal, solver="direct", pairs=[(1, 2)], per_pair=False)
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(Exception, match="mine.txt"):
        res.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_bad_inputs_give_clear_errors():
    r, focal = _random_case()
    one = np.where(focal == 1, 1, 0)
    with pytest.raises(DataError, match="at least two"):
        resistance_sensitivity(r, one)
    with pytest.raises(DataError, match="differs from"):
        resistance_sensitivity(r, focal[:, :-1])
    with pytest.raises(ConfigError, match="focal id 9 is not in"):
        resistance_sensitivity(r, focal, pairs=[(1, 9)])
    with pytest.raises(ConfigError, match="to itself"):
        lcd_sensitivity(r, focal, pairs=[(2, 2)])
    with pytest.raises(ConfigError, match="no capacity for focal id"):
        ec_sensitivity(r, focal, {1: 1.0, 2: 1.0}, median_dispersal_m=1000.0)
    with pytest.raises(ConfigError, match="median_dispersal_m"):
        ec_sensitivity(r, focal, {1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0}, median_dispersal_m=-1.0)
    bad = focal.copy()
    bad[3, 3] = 5  # the no-data cell
    with pytest.raises(DataError, match="focal id 5"):
        resistance_sensitivity(r, bad)


# ----------------------------------------------------------------------------- the analysis and `corridors restore sensitivity`
def test_cli_on_your_cores_gives_the_strip_by_hand(tmp_path):
    # far_strip: unit resistances, cores on cells 0-1 and 8-9 of the middle row, R = 7 (seven unit links from cell 1 to 8).
    # Average conductance: -dR/dc_k = 2 x 1/(2 w^2) = 1 inside (cells 2-7), 1/2 on cells 1 and 8 (one branch leaves the core);
    # LCD: 100 m steps at r = 1, so -dLCD/dc = r^2 dLCD/dr = 100 inside, 50 at the path's ends.
    tif, shp = far_strip(tmp_path)
    out = tmp_path / "sens"
    r = invoke("restore", "sensitivity", "--resistance", tif, "--cores", shp, "--id-field", "Core_ID",
               "--per-pair", "-o", out)
    assert r.exit_code == 0, r.output
    assert "top cells, resistance" in r.output and "higher = better" in r.output
    res = Raster.read(out / "sensitivity_resistance.tif").masked()
    np.testing.assert_allclose(res[1], [0, 0.5, 1, 1, 1, 1, 1, 1, 0.5, 0], rtol=1e-6, atol=1e-9)
    assert np.isnan(res[0]).all()
    lcd = Raster.read(out / "sensitivity_lcd.tif").masked()
    np.testing.assert_allclose(lcd[1], [0, 50, 100, 100, 100, 100, 100, 100, 50, 0], rtol=1e-6)
    ec = Raster.read(out / "sensitivity_ec.tif").masked()
    links = pd.read_csv(out / "sensitivity_ec_links.csv")
    a = pd.read_csv(out / "sensitivity_corridors.csv")
    assert a["eff_resist"].iloc[0] == pytest.approx(7.0, rel=1e-6)
    k = math.log(2) / 30_000
    p = math.exp(-k * 700.0)
    assert links["probability"].iloc[0] == pytest.approx(p, rel=1e-6)
    # two cores of equal area A: EC = A sqrt(2 + 2p), dEC/dd = -k p A^2 / EC, gain = -dEC/dd x 100 m x -dR/dc
    assert (Raster.read(out / "sensitivity_resistance_1_2.tif").masked()[1, 2:8] == pytest.approx(1.0, rel=1e-6))
    dd = links["dEC_dd"].iloc[0]
    np.testing.assert_allclose(ec[1, 2:8], -dd * 100.0, rtol=1e-6)
    ec_total = json.loads((out / "provenance.json").read_text())["parameters"]["measures"]["ec"]["EC"]
    a_ha = ec_total / math.sqrt(2 + 2 * p)
    assert dd == pytest.approx(-k * p * a_ha**2 / ec_total, rel=1e-6)
    top = pd.read_csv(out / "sensitivity_top_cells.csv")
    assert set(top[top["measure"] == "resistance"]["col"].head(6)) == set(range(2, 8))
    assert (top["corridor"] == "1-2").all()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["command"] == "corridors restore sensitivity" and prov["inputs"]["cores"]["path"].endswith("far_cores.shp")
    assert "higher = better" in prov["parameters"]["sign"]


def test_cli_measure_and_bad_options(tmp_path):
    tif, shp = far_strip(tmp_path)
    out = tmp_path / "one"
    r = invoke("-q", "restore", "sensitivity", "--resistance", tif, "--cores", shp, "--id-field", "Core_ID", "--measure", "lcd", "-o", out)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "provenance.json", "sensitivity_corridors.csv", "sensitivity_lcd.csv", "sensitivity_lcd.tif", "sensitivity_map.png",
        "sensitivity_map.svg", "sensitivity_top_cells.csv"]  # the map in the raster's own CRS (UTM 17N here)
    r = invoke("-q", "restore", "sensitivity", "--resistance", tif, "--cores", shp, "--id-field", "Core_ID", "--measure", "lcd",
               "--no-map", "-o", tmp_path / "nomap")
    assert r.exit_code == 0 and not (tmp_path / "nomap" / "sensitivity_map.png").exists()
    usage_error(invoke("restore", "sensitivity", "--measure", "speed", "-o", tmp_path / "o"), "'--measure'")
    usage_error(invoke("restore", "sensitivity", "--median-dispersal-km", "0", "-o", tmp_path / "o"), "'--median-dispersal-km'")
    assert "nowhere.tif: raster file not found" in error_line(
        invoke("restore", "sensitivity", "--resistance", tmp_path / "nowhere.tif", "-o", tmp_path / "o"))
    assert "--id-field" in error_line(invoke("restore", "sensitivity", "--id-field", "Core_ID", "-o", tmp_path / "o"))
    line = error_line(invoke("restore", "sensitivity", "--resistance", tif, "--cores", shp, "-o", tmp_path / "o"))
    assert "far_cores.shp, field 'id'" in line and "Core_ID" in line
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    r = invoke("restore", "sensitivity", "-o", tmp_path / "mine")
    assert r.exit_code != 0 and "notes.txt" in r.output
    assert not (tmp_path / "o").exists()


def test_the_library_refuses_an_unknown_measure():
    with pytest.raises(ConfigError, match="--measure speed: unknown"):
        check_measures(["speed"])
    assert check_measures("all") == ("resistance", "lcd", "ec")


def test_programme_corridors_on_the_coarse_surface(tmp_path, coarse_resistance):
    run = run_sensitivity(coarse_resistance, measures=("resistance", "ec"))
    table = run.table
    assert {"2.1a", "6.4", "7.4"} <= set(table["corridor"])
    joined = table[table["eff_resist"] > 0]
    assert (joined["resistance_max_gain"] > 0).all() and (joined["ec_max_gain"] > 0).all()
    top = run.top_cells(5)
    assert top["gain"].is_monotonic_decreasing and (top["corridor"] != "").all()
    # the summed surface is the sum of the corridors' own gains (voltages of the pinch run, no new solve)
    ours = corridor_gains(run.linkages, run.pinch, ("resistance",), per_pair=True)[0]["resistance"]
    np.testing.assert_allclose(np.nansum([p.masked(0.0) for p in ours.by_pair.values()], axis=0), run.results["resistance"].total.masked(0.0),
                               rtol=1e-12)
    files = run.write(tmp_path / "prog")
    assert {"sensitivity_resistance.tif", "sensitivity_ec.tif", "sensitivity_ec_links.csv"} <= {p.name for p in files}
