"""Omniscape: Omniscape.jl's verification cases run unchanged, its config rules, and cases whose answers are known by hand."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from corridors._errors import ConfigError, DataError
from corridors.omniscape import Targets, Window, config_from_dict, correction_array, find_targets, read_config, run_config
from corridors.omniscape.core import (
    Conditions,
    _clip,
    _mode,
    reclassify,
    solve_targets,
    source_from_resistance,
    window_current,
    window_source,
)
from corridors.omniscape.parallel import make_tiles, run_tiles, tile_side

from _helpers import REPO

DATA = REPO / "tests" / "data" / "omniscape"
VERIFY = DATA / "output_verify"
CASES = sorted(p.name for p in VERIFY.iterdir() if p.is_dir())


def close(ours: np.ndarray, theirs: np.ndarray, rtol: float = 1e-6) -> bool:
    """Omniscape's comparison of two maps (Julia's ``isapprox`` with rtol 1e-6: on norms)."""
    return ours.shape == theirs.shape and bool(np.linalg.norm(ours - theirs) <= rtol * max(np.linalg.norm(ours), np.linalg.norm(theirs)))


def _quiet_run(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_config(path, **kw)


# ------------------------------------------------------------------ Omniscape.jl's verification cases
def test_the_vendored_cases_are_the_five_sampled():
    assert CASES == ["test1", "test1_32bit", "test2", "test5", "test_reclass"]
    assert (DATA / "LICENSE.md").read_text().startswith("# MIT License")


@pytest.mark.parametrize("case", CASES)
def test_verification_case_matches_omniscape(case, omniscape_dir):
    cfg = omniscape_dir / f"{case}.ini"
    cfg.write_text((VERIFY / case / "config.ini").read_text())
    result = _quiet_run(cfg, workers=1)
    assert result.outdir == Path(case)
    expected = sorted(p.name for p in (VERIFY / case).iterdir() if p.name != "config.ini")
    written = sorted(p.name for p in result.outdir.iterdir() if p.name not in ("config.ini", "provenance.json"))
    assert written == expected
    for name in expected:
        with rasterio.open(VERIFY / case / name) as a, rasterio.open(result.outdir / name) as b:
            theirs, ours = a.read(1).astype("float64"), b.read(1).astype("float64")
            assert b.nodata == -9999
            assert b.dtypes[0] == ("float32" if "32bit" in case else "float64") or name.endswith(".asc")
        assert np.array_equal(theirs == -9999, ours == -9999), f"{case}/{name}: no-data cells differ"
        assert close(ours, theirs), f"{case}/{name}: relative difference {np.linalg.norm(ours - theirs) / np.linalg.norm(theirs):.1e}"


def test_verification_mutation_is_caught(omniscape_dir):
    """The comparison fails on a current map 1e-5 off: the test above can fail."""
    cfg = omniscape_dir / "t.ini"
    cfg.write_text((VERIFY / "test2" / "config.ini").read_text())
    result = _quiet_run(cfg, workers=1)
    with rasterio.open(VERIFY / "test2" / "cum_currmap.asc") as a, rasterio.open(result.outdir / "cum_currmap.asc") as b:
        theirs, ours = a.read(1).astype("float64"), b.read(1).astype("float64")
    assert close(ours, theirs)
    assert not close(ours * (1 + 1e-5), theirs)


@pytest.mark.parametrize("name, error, words", [
    ("bad_comparison1", ConfigError, "comparison1"),
    ("bad_comparison2", ConfigError, "comparison2"),
    ("bad_compare_to_future", ConfigError, "compare_to_future"),
    ("bad_n_conditions", ConfigError, "n_conditions"),
    ("bad_config", ConfigError, "radius, project_name are required"),
    ("no_source_provided", ConfigError, "no source_file"),
    ("config7", DataError, "2 cell(s) hold 0 or a negative value"),
])
def test_omniscapes_bad_configs_are_refused(name, error, words, omniscape_dir):
    with pytest.raises(error, match=None) as exc:
        _quiet_run(omniscape_dir / "input" / f"{name}.ini", workers=1)
    assert words in str(exc.value)
    assert not any(p.is_dir() and p.name != "input" for p in omniscape_dir.iterdir()), "nothing is written for a refused config"


def test_conditional_configs_without_verified_output_run(omniscape_dir):
    """Omniscape.jl's configs 4b and 4c (future condition 1 / 2, four neighbours) run and conserve nothing odd."""
    for name in ("config4b", "config4c"):
        result = _quiet_run(omniscape_dir / "input" / f"{name}.ini", workers=1)
        with rasterio.open(result.outdir / "cum_currmap.tif") as r:
            cum = r.read(1)
        assert result.targets == 100 and np.all(cum[cum != -9999] >= 0) and cum.max() > 0


# ------------------------------------------------------------------ config rules
def test_unknown_key_is_refused_with_the_closest_key():
    with pytest.raises(ConfigError, match=r"unknown key 'raduis' \(did you mean 'radius'\?\)"):
        config_from_dict({"resistance_file": "r.asc", "raduis": "5", "radius": "5", "project_name": "p", "source_from_resistance": "true"})


def test_even_block_size_and_unknown_solver_warn_and_fall_back(omniscape_dir):
    with pytest.warns(UserWarning) as rec:
        cfg = read_config(omniscape_dir / "input" / "config.ini")
    msgs = " ".join(str(w.message) for w in rec)
    assert cfg.block_size == 3 and "block_size': 2 is even" in msgs
    assert cfg.solver == "amg" and "wrong_solver_name" in msgs


def test_flags_are_true_only_for_omniscapes_spellings():
    base = {"resistance_file": "r.asc", "radius": "5", "project_name": "p", "source_from_resistance": "TRUE"}
    assert config_from_dict(base).source_from_resistance
    with pytest.warns(UserWarning, match="read as false"):
        cfg = config_from_dict({**base, "mask_nodata": "yes"})
    assert not cfg.mask_nodata
    assert config_from_dict({**base, "precision": "Single"}).dtype == "float32"
    assert config_from_dict({**base, "radius": "4.6"}).radius == 5  # Omniscape rounds


# ------------------------------------------------------------------ the algorithm, by hand
def test_targets_on_the_block_lattice_with_block_sums():
    t = find_targets(np.ones((7, 7)), Window(radius=2, block_size=3))
    assert sorted(zip(t.rows.tolist(), t.cols.tolist())) == [(1, 1), (1, 4), (4, 1), (4, 4)]
    assert np.all(t.amps == 9)
    src = np.zeros((7, 7))
    src[5, 5] = 2.0
    t = find_targets(src, Window(radius=2, block_size=3))
    assert list(zip(t.rows, t.cols, t.amps)) == [(4, 4, 2.0)]


def test_clip_keeps_the_circle_of_the_radius():
    sub = _clip(np.ones((9, 9)), 4, 4, 2)
    assert sub.shape == (5, 5) and np.nansum(sub) == 13  # cells within 2 of the centre: 1 + 4 + 4 + 4
    corner = _clip(np.ones((9, 9)), 0, 0, 2)
    assert corner.shape == (3, 3) and np.nansum(corner) == 6  # the quarter circle at the corner


def test_window_source_shares_the_targets_current_outside_its_block():
    src = np.ones((11, 11))
    s = window_source(src, 5, 5, 9.0, Window(radius=3, block_size=3), src.shape)
    assert s.shape == (7, 7)
    assert s[2:5, 2:5].sum() == 0  # the target's block is no source
    assert s.sum() == pytest.approx(9.0)
    assert np.allclose(s[s > 0], 9.0 / (29 - 9))  # 29 cells in the circle of radius 3, 9 of them in the block


def test_current_along_a_one_cell_strip_is_the_injected_current():
    cond = np.full((1, 6), 0.5)
    src = np.zeros((1, 6))
    src[0, 5] = 2.0
    cur = window_current(cond, src, (0, 0), four_neighbors=True)
    assert np.allclose(cur, 2.0)  # every cell between source and ground carries the 2 A


def test_ground_cell_takes_all_the_current_of_its_component():
    rng = np.random.default_rng(3)
    cond = rng.uniform(0.1, 2.0, (9, 9))
    cond[:, 4] = np.nan  # a wall: the right half is its own component, with no ground
    src = rng.uniform(0, 1, (9, 9))
    cur = window_current(cond, src, (4, 1))
    left = np.isfinite(cond) & (np.arange(9)[None, :] < 4)
    assert cur[4, 1] == pytest.approx(src[left].sum() - src[4, 1])  # the source on the ground is removed (rmvsrc)
    assert np.all(cur[:, 5:] == 0)


def test_artifact_correction_brings_blocks_close_to_cell_by_cell_targets():
    """On a uniform landscape the corrected block run is close to the run with every cell a target, the raw one is not.

    Omniscape's correction is exact inside a window and drops the current of
    the shifted windows' rims (where the block's own current is 0), so the
    two agree to 7 % (norm) here; without it they differ by 63 %.
    """
    n, radius = 40, 4
    res = np.ones((n, n))
    src = np.ones((n, n))
    one = Window(radius=radius, block_size=1)
    three = Window(radius=radius, block_size=3)
    per_cell = solve_targets(res, src, find_targets(src, one), one).cum_current
    corr = correction_array(three, res.shape)
    assert corr.shape == (9, 9) and np.allclose(corr, corr.T) and np.allclose(corr, corr[::-1, ::-1])
    blocked = solve_targets(res, src, find_targets(src, three), three, correction=corr).cum_current
    raw = solve_targets(res, src, find_targets(src, three), three).cum_current
    inner = slice(2 * radius + 1, n - 2 * radius - 2)

    def off(m):
        return np.linalg.norm(m[inner, inner] - per_cell[inner, inner]) / np.linalg.norm(per_cell[inner, inner])

    assert off(blocked) < 0.08 and off(raw) > 0.6


def test_conditions_that_never_match_leave_no_current():
    res = np.ones((15, 15))
    src = np.ones((15, 15))
    cover = np.full((15, 15), 2.0)
    cover[6:9, 6:9] = 1.0  # the target's block is cover 1, every source cover 2
    w = Window(radius=4, block_size=3)
    t = Targets(np.array([7]), np.array([7]), np.array([9.0]))
    cond = Conditions((cover,), (cover,), ("equal",), (0.0,), (0.0,))
    assert solve_targets(res, src, t, w, conditions=cond).cum_current.max() == 0
    within = Conditions((cover,), (cover,), ("within",), (0.0,), (1.0,))  # cover 2 - median 1 = 1 lies in [0, 1]
    assert solve_targets(res, src, t, w, conditions=within).cum_current.max() > 0


def test_mode_breaks_ties_as_statsbase():
    assert _mode(np.array([1.0, 2.0, 2.0, 1.0])) == 2.0  # 2 reaches two first
    assert _mode(np.array([3.0, 1.0, 2.0, 1.0, 2.0])) == 1.0


def test_sources_from_resistance_and_reclassification():
    res = np.array([[1.0, 2.0], [10.0, np.nan]])
    assert np.allclose(source_from_resistance(res), [[1.0, 0.5], [0.1, 0.0]])
    assert np.allclose(source_from_resistance(res, r_cutoff=5), [[1.0, 0.5], [0.0, 0.0]])
    out = reclassify(np.array([1.0, 2.0, 3.0]), np.array([[1, 2], [2, 3], [3, np.nan]]))
    assert np.allclose(out[:2], [2, 3]) and np.isnan(out[2])  # rows do not cascade


# ------------------------------------------------------------------ tiles and workers
def test_tiles_hold_every_window_and_sum_to_the_whole_grid():
    rng = np.random.default_rng(0)
    res = rng.uniform(1, 10, (29, 33))
    src = rng.uniform(0, 1, (29, 33))
    w = Window(radius=3, buffer=1, block_size=3)
    targets = find_targets(src, w)
    tiles = make_tiles(targets, w, res.shape)
    assert len(tiles) == 12 and sum(len(t.index) for t in tiles) == len(targets)  # 4 x 3 tiles of 9 cells
    assert tile_side(w) == 9
    whole = solve_targets(res, src, targets, w, flow_potential=True)
    tiled = run_tiles(res, src, targets, w, {"flow_potential": True})
    assert np.allclose(tiled.cum_current, whole.cum_current, rtol=1e-12, atol=0)
    assert np.allclose(tiled.flow_potential, whole.flow_potential, rtol=1e-12, atol=0)


@pytest.mark.slow
def test_one_and_two_workers_give_the_same_maps(omniscape_dir):
    cfg = omniscape_dir / "t.ini"
    cfg.write_text((VERIFY / "test1" / "config.ini").read_text())
    one = _quiet_run(cfg, workers=1)
    two = _quiet_run(cfg, workers=2)
    assert two.outdir == Path("test1_1")
    for name in ("cum_currmap.tif", "flow_potential.tif", "normalized_cum_currmap.tif"):
        with rasterio.open(one.outdir / name) as a, rasterio.open(two.outdir / name) as b:
            assert np.allclose(a.read(1), b.read(1), rtol=1e-9, atol=0)
