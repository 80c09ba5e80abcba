"""The row-sweep cost-distance engine (corridors.sweep) against scikit-image's MCP_Geometric and answers known by hand.

``--memory-limit`` on the command line is tested in test_cli.py and test_cli_linkages.py.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings as hsettings, strategies as st
from skimage.graph import MCP_Geometric

from corridors import lcp, linkages, settings, sweep
from corridors._errors import ConfigError, DataError, SolverError
from corridors.raster import Raster
from corridors.sweep import sweep_cost_distance, sweep_path

from _helpers import centre, grid, toy_cores


def mcp(costs: np.ndarray, sources, sampling=(1.0, 1.0), fully: bool = True) -> tuple[np.ndarray, MCP_Geometric]:
    m = MCP_Geometric(costs, fully_connected=fully, sampling=sampling)
    cum, _ = m.find_costs(np.column_stack(np.unravel_index(np.asarray(sources), costs.shape)))
    return cum, m


def assert_same(got: np.ndarray, want: np.ndarray, rtol: float = 1e-9) -> None:
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))  # unreachable in both
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=0)


def random_costs(rng: np.random.Generator, shape: tuple[int, int], speckle: float) -> np.ndarray:
    c = rng.uniform(1.0, 100.0, size=shape)
    c[rng.random(shape) < speckle] = np.inf
    return c


def passable_sources(rng: np.random.Generator, c: np.ndarray, k: int) -> np.ndarray:
    fin = np.flatnonzero(np.isfinite(c.ravel()))
    return rng.choice(fin, size=min(k, fin.size), replace=False)


def ring_maze(n: int = 31, seed: int = 0) -> np.ndarray:
    """Concentric one-cell rings of passable cells between walls, each opening into the next at the top and the bottom in turn."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:n, 0:n]
    offset = np.minimum(np.minimum(r, c), np.minimum(n - 1 - r, n - 1 - c))
    a = np.where(offset % 2 == 0, rng.uniform(1.0, 2.0, size=(n, n)), np.inf)
    for k, o in enumerate(range(1, n // 2, 2)):
        row = o if k % 2 == 0 else n - 1 - o
        a[row, n // 2] = 1.0  # the door through wall ring o
    return a


def serpentine(rows: int = 21, walls: int = 10, seed: int = 0) -> np.ndarray:
    """Vertical walls with a gap at the bottom and the top in turn: a path across goes down, up, down, ..."""
    rng = np.random.default_rng(seed)
    cols = 2 * walls + 3
    a = rng.uniform(1.0, 3.0, size=(rows, cols))
    for k in range(walls):
        col = 2 * k + 2
        if k % 2 == 0:
            a[:-1, col] = np.inf
        else:
            a[1:, col] = np.inf
    return a


# ----------------------------------------------------------------------------- against MCP
@pytest.mark.parametrize("fully", [True, False])
@pytest.mark.parametrize("sampling", [(30.0, 20.0), (0.5, 2.0)])
@pytest.mark.parametrize("speckle", [0.0, 0.25])
def test_random_grids_match_mcp(fully, sampling, speckle):
    rng = np.random.default_rng(7)
    c = random_costs(rng, (40, 55), speckle)
    src = passable_sources(rng, c, 6)
    got, passes = sweep_cost_distance(c, src, sampling, fully)
    assert_same(got, mcp(c, src, sampling, fully)[0])
    assert (got.ravel()[src] == 0).all()
    assert passes >= 2


@pytest.mark.parametrize("few_runs", [-10**6, 10**6])
def test_both_horizontal_closures_match_mcp(monkeypatch, few_runs):
    # Rows with many runs of passable cells take one segmented scan, rows with few a loop over runs: force each.
    monkeypatch.setattr(sweep, "_FEW_RUNS", few_runs)
    rng = np.random.default_rng(11)
    c = random_costs(rng, (30, 300), 0.3)
    src = passable_sources(rng, c, 4)
    got, _ = sweep_cost_distance(c, src, (2.0, 3.0))
    assert_same(got, mcp(c, src, (2.0, 3.0))[0])


@pytest.mark.parametrize("fully", [True, False])
def test_wall_with_a_gap_forces_a_u_turn_and_several_passes(fully):
    # The source is left of a wall open only at the bottom: the cells right of the wall are reached by
    # going down to the gap and back up, which the first (down) pass cannot see.
    c = np.random.default_rng(3).uniform(1.0, 2.0, size=(30, 30))
    c[:28, 15] = np.inf
    got, passes = sweep_cost_distance(c, [0 * 30 + 2], (10.0, 10.0), fully)
    assert_same(got, mcp(c, [2], (10.0, 10.0), fully)[0])
    assert passes >= 3
    assert np.isfinite(got[0, 16]) and got[0, 16] > got[29, 16]  # reached from below


@pytest.mark.parametrize("fully", [True, False])
def test_serpentine_needs_a_pass_per_turn(fully):
    c = serpentine(walls=10)
    got, passes = sweep_cost_distance(c, [0], (1.0, 1.5), fully)
    assert_same(got, mcp(c, [0], (1.0, 1.5), fully)[0])
    assert passes >= 10


def test_ring_maze_matches_mcp():
    c = ring_maze(33)
    centre = 16 * 33 + 16
    got, passes = sweep_cost_distance(c, [centre], (2.0, 2.0))
    assert_same(got, mcp(c, [centre], (2.0, 2.0))[0])
    assert passes >= 6
    assert np.isfinite(got[np.isfinite(c)]).all()  # every ring is reached through its door...
    assert np.isinf(got[np.isinf(c)]).all()  # ...and the walls are not


def test_unreachable_region_is_inf_in_both():
    c = np.ones((12, 12))
    c[3:9, 3] = c[3:9, 8] = c[3, 3:9] = c[8, 3:9] = np.inf  # a closed box
    got, _ = sweep_cost_distance(c, [0], (1.0, 1.0))
    want = mcp(c, [0])[0]
    assert_same(got, want)
    assert np.isinf(got[4:8, 4:8]).all()


def test_source_on_an_impassable_cell_spreads_nowhere_as_in_mcp():
    c = np.array([[1.0, np.inf, 1.0], [1.0, 1.0, 1.0]])
    got, _ = sweep_cost_distance(c, [1])
    assert_same(got, mcp(c, [1])[0])
    assert got[0, 1] == 0 and np.isinf(np.delete(got.ravel(), 1)).all()


@pytest.mark.parametrize("shape", [(1, 25), (25, 1), (1, 1), (2, 1)])
@pytest.mark.parametrize("fully", [True, False])
def test_single_row_and_column_grids(shape, fully):
    rng = np.random.default_rng(5)
    c = rng.uniform(1.0, 9.0, size=shape)
    if c.size > 4:
        c.ravel()[7] = np.inf  # a barrier cutting the line
    src = [min(3, c.size - 1)]
    got, _ = sweep_cost_distance(c, src, (2.0, 3.0), fully)
    assert_same(got, mcp(c, src, (2.0, 3.0), fully)[0])


@given(
    h=st.integers(1, 8),
    w=st.integers(1, 8),
    data=st.data(),
    fully=st.booleans(),
    sy=st.floats(0.25, 4.0),
    sx=st.floats(0.25, 4.0),
)
@hsettings(max_examples=80, deadline=None)
def test_property_equals_mcp_on_small_grids(h, w, data, fully, sy, sx):
    vals = data.draw(st.lists(st.one_of(st.floats(0.5, 50.0), st.just(math.inf)), min_size=h * w, max_size=h * w))
    c = np.array(vals, dtype=float).reshape(h, w)
    src = data.draw(st.lists(st.integers(0, h * w - 1), min_size=1, max_size=3))
    got, _ = sweep_cost_distance(c, src, (sy, sx), fully)
    assert_same(got, mcp(c, src, (sy, sx), fully)[0])


# ----------------------------------------------------------------------------- by hand
@pytest.mark.parametrize("value", [1.0, 3.5])
def test_uniform_grid_is_distance_times_resistance(value):
    sy, sx = 2.0, 3.0
    c = np.full((9, 9), value)
    d8, _ = sweep_cost_distance(c, [4 * 9 + 4], (sy, sx), True)
    diag = math.hypot(sy, sx)
    assert d8[4, 4] == 0.0
    assert d8[4, 8] == pytest.approx(4 * sx * value)  # 4 horizontal steps
    assert d8[0, 4] == pytest.approx(4 * sy * value)  # 4 vertical steps
    assert d8[0, 0] == pytest.approx(4 * diag * value)  # 4 diagonal steps
    assert d8[2, 8] == pytest.approx((2 * diag + 2 * sx) * value)  # 2 diagonal + 2 horizontal
    d4, _ = sweep_cost_distance(c, [4 * 9 + 4], (sy, sx), False)
    assert d4[0, 0] == pytest.approx((4 * sy + 4 * sx) * value)  # Manhattan
    assert d4[2, 8] == pytest.approx((2 * sy + 4 * sx) * value)


def test_step_cost_is_the_mean_of_its_two_cells():
    d, passes = sweep_cost_distance(np.array([[1.0, 3.0, 5.0]]), [0], (1.0, 10.0))
    assert d.tolist() == [[0.0, 20.0, 60.0]]  # (1 + 3) / 2 x 10, then + (3 + 5) / 2 x 10
    assert passes == 2


# ----------------------------------------------------------------------------- paths
def path_cost(rc: np.ndarray, c: np.ndarray, sampling: tuple[float, float]) -> float:
    sy, sx = sampling
    total = 0.0
    for (r0, c0), (r1, c1) in zip(rc[:-1], rc[1:]):
        assert max(abs(r1 - r0), abs(c1 - c0)) == 1  # neighbours
        length = math.hypot((r1 - r0) * sy, (c1 - c0) * sx)
        total += 0.5 * (c[r0, c0] + c[r1, c1]) * length
    return total


@pytest.mark.parametrize("fully", [True, False])
def test_backtracked_path_costs_what_the_surface_says_and_what_mcp_finds(fully):
    rng = np.random.default_rng(9)
    c = random_costs(rng, (30, 40), 0.2)
    c[:25, 20] = np.inf  # a detour too
    src = passable_sources(rng, c, 3)
    sampling = (25.0, 40.0)
    d, _ = sweep_cost_distance(c, src, sampling, fully)
    want, m = mcp(c, src, sampling, fully)
    ends = np.flatnonzero(np.isfinite(d.ravel()) & (d.ravel() > 0))
    for end in rng.choice(ends, size=5, replace=False):
        rc = sweep_path(d, c, int(end), sampling, fully)
        assert tuple(rc[-1]) == tuple(np.unravel_index(end, c.shape))
        assert d[tuple(rc[0])] == 0.0 and rc[0][0] * 40 + rc[0][1] in src  # starts at a source
        assert np.isfinite(c[rc[:, 0], rc[:, 1]]).all()
        if not fully:
            assert (np.abs(np.diff(rc, axis=0)).sum(axis=1) == 1).all()
        assert path_cost(rc, c, sampling) == pytest.approx(d.ravel()[end], rel=1e-9)
        mcp_rc = np.asarray(m.traceback(np.unravel_index(end, c.shape)))
        assert path_cost(mcp_rc, c, sampling) == pytest.approx(path_cost(rc, c, sampling), rel=1e-9)


def test_path_errors():
    c = np.ones((3, 3))
    c[:, 1] = np.inf
    d, _ = sweep_cost_distance(c, [0])
    with pytest.raises(DataError, match="no path reaches it"):
        sweep_path(d, c, 2)
    with pytest.raises(SolverError, match="no neighbour lies closer"):
        sweep_path(np.ones((3, 3)), np.ones((3, 3)), 4)  # a surface that does not belong to the costs
    assert sweep_path(d, c, 0).tolist() == [[0, 0]]  # the end is the source


# ----------------------------------------------------------------------------- inputs
@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, -math.inf])
def test_bad_costs_are_refused(bad):
    c = np.ones((4, 5))
    c[2, 3] = bad
    with pytest.raises(DataError, match=r"row 2, col 3"):
        sweep_cost_distance(c, [0])


@pytest.mark.parametrize("sources", [[], [20], [-1]])
def test_bad_sources_are_refused(sources):
    with pytest.raises(ConfigError, match="sources"):
        sweep_cost_distance(np.ones((4, 5)), sources)


@pytest.mark.parametrize("sampling", [(0.0, 1.0), (1.0, math.inf), (1.0,)])
def test_bad_sampling_is_refused(sampling):
    with pytest.raises(ConfigError, match="sampling"):
        sweep_cost_distance(np.ones((4, 5)), [0], sampling)


def test_float32_costs_are_accepted():
    c = np.random.default_rng(2).uniform(1, 9, size=(10, 12)).astype("float32")
    got, _ = sweep_cost_distance(c, [5])
    assert_same(got, mcp(c.astype("float64"), [5])[0])


# ----------------------------------------------------------------------------- engine selection in lcp
def raster(a: np.ndarray) -> Raster:
    # 30 m wide, 20 m tall cells: sampling (20, 30) reaches the engines as (sy, sx)
    return grid(a, 30.0, cell_y=20.0, dtype="float32")


def test_engine_follows_the_memory_limit(monkeypatch):
    shape = (200, 200)  # MCP about 77 x 202^2 = 3.1 MB, the sweep about 18 x 200^2 = 0.7 MB
    assert lcp.cost_distance_engine(shape) == "mcp"
    assert lcp.cost_distance_engine(shape, memory_limit=4_000_000) == "mcp"
    assert lcp.cost_distance_engine(shape, memory_limit=2_000_000) == "sweep"
    monkeypatch.setattr(settings, "MEMORY_LIMIT", 2_000_000)
    assert lcp.cost_distance_engine(shape) == "sweep"
    monkeypatch.setattr(settings, "MEMORY_LIMIT", None)
    monkeypatch.setattr(settings, "available_memory", lambda: 1_000_000)
    assert lcp.cost_distance_engine(shape) == "sweep"  # less available than MCP needs
    monkeypatch.setattr(settings, "available_memory", lambda: 0)
    assert lcp.cost_distance_engine(shape) == "mcp"  # unknown: the budget alone decides
    # no limit set: MCP while it fits in the 4 GiB budget (up to about 7470^2 cells), the sweep above,
    # however much memory the machine has; nothing is refused
    monkeypatch.setattr(settings, "available_memory", lambda: 24 * 2**30)
    assert lcp.cost_distance_engine((4000, 4000)) == "mcp"
    assert lcp.cost_distance_engine((7400, 7400)) == "mcp"
    assert lcp.cost_distance_engine((7500, 7500)) == "sweep"
    assert lcp.cost_distance_engine((8000, 8000)) == "sweep"
    assert lcp.cost_distance_engine((100_000, 100_000)) == "sweep"
    assert lcp.cost_distance_engine((8000, 8000), memory_limit=8 * 2**30) == "mcp"  # a limit set by the user wins


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "4GB"])
def test_bad_memory_limit_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="memory_limit"):
        lcp.cost_distance_engine((10, 10), memory_limit=bad)


def test_memory_limit_below_even_the_sweep_is_refused():
    with pytest.raises(ConfigError, match=r"memory_limit.*even with the lean row sweep.*coarsen"):
        lcp.cost_distance_engine((200, 200), memory_limit=100_000)


def test_cost_distance_takes_the_sweep_under_a_small_limit_with_the_same_numbers(monkeypatch):
    calls = []
    real = sweep.sweep_cost_distance

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep, "sweep_cost_distance", spy)
    rng = np.random.default_rng(4)
    a = rng.uniform(1, 50, size=(60, 80))
    a[rng.random(a.shape) < 0.15] = np.nan
    a[30, 40] = a[2, 3] = 1.0
    r = raster(a)
    limit = 200_000  # MCP ~ 77 x 62 x 82 = 391 kB; sweep ~ 18 x 4800 = 86 kB
    assert lcp.cost_distance_engine(r.shape, limit) == "sweep"
    default = lcp.cost_distance(r, centre(r, 30, 40)).array
    assert calls == []
    lean = lcp.cost_distance(r, centre(r, 30, 40), memory_limit=limit).array
    assert calls == [(60, 80)]
    np.testing.assert_array_equal(np.isnan(lean), np.isnan(default))
    np.testing.assert_allclose(lean, default, rtol=1e-9, equal_nan=True)
    _, cost, _ = lcp.least_cost_path(r, centre(r, 30, 40), centre(r, 2, 3))
    line, cost_lean, length = lcp.least_cost_path(r, centre(r, 30, 40), centre(r, 2, 3), memory_limit=limit)
    assert cost_lean == pytest.approx(cost, rel=1e-9)
    assert cost_lean == pytest.approx(default[2, 3], rel=1e-9)
    assert shapely.get_coordinates(line)[0] == pytest.approx([centre(r, 30, 40).x, centre(r, 30, 40).y])


def test_linkages_under_a_small_limit_match_the_default():
    rng = np.random.default_rng(6)
    r = raster(rng.uniform(1, 20, size=(40, 50)))
    cores = toy_cores({"a": centre(r, 5, 5).buffer(40), "b": centre(r, 30, 10).buffer(40), "c": centre(r, 20, 44).buffer(40)},
                      crs=r.crs)
    empty = gpd.GeoDataFrame({"border_id": []}, geometry=[], crs=r.crs)
    want = linkages.build_linkages(r, cores, adjacency="all", truncate_m=3000, borders=empty)
    got = linkages.build_linkages(r, cores, adjacency="all", truncate_m=3000, borders=empty, memory_limit=150_000)
    assert lcp.cost_distance_engine(r.shape, 150_000) == "sweep"
    assert len(got.linkages) == len(want.linkages) == 3
    np.testing.assert_allclose(got.linkages["cwd_m"], want.linkages["cwd_m"], rtol=1e-9)
    np.testing.assert_allclose(got.corridor_mosaic.array, want.corridor_mosaic.array, rtol=1e-5, equal_nan=True)
