"""Ranked restoration sites from a score surface, and the exact gain of restoring one (corridors.restore.sites)."""

from __future__ import annotations

import numpy as np
import pytest

from corridors._errors import ConfigError
from corridors.restore.sites import restoration_sites, restored_gain, score_cut

from _helpers import grid

CS = 1000.0


def _score(cells: dict[tuple[int, int], float], shape=(10, 10)):
    a = np.zeros(shape)
    for rc, v in cells.items():
        a[rc] = v
    return grid(a, CS)


def test_patches_are_ranked_by_their_best_cell():
    s = _score({(2, 2): 5.0, (2, 3): 4.0, (7, 7): 6.0, (0, 9): 1.0})
    sites = restoration_sites(s, min_score=3.0)
    assert sites["site_id"].tolist() == ["R1", "R2"] and sites["rank"].tolist() == [1, 2]
    first, second = sites.iloc[0], sites.iloc[1]
    assert (first["row"], first["col"], first["n_cells"], first["score_max"]) == (7, 7, 1, 6.0)
    assert (second["row"], second["col"], second["n_cells"]) == (2, 2, 2)
    assert second["score_mean"] == pytest.approx(4.5) and second["area_ha"] == pytest.approx(200.0)  # two 1 km cells
    assert second.geometry.area == pytest.approx(2 * CS * CS)
    x, y = s.xy(7, 7)
    assert (first["x"], first["y"]) == (pytest.approx(float(x)), pytest.approx(float(y)))
    assert sites.crs == s.crs


def test_diagonal_cells_are_one_patch():
    sites = restoration_sites(_score({(0, 0): 2.0, (1, 1): 2.0, (2, 2): 2.0}), min_score=1.0)
    assert len(sites) == 1 and sites.iloc[0]["n_cells"] == 3


def test_top_percent_keeps_the_best_share_of_improving_cells():
    a = np.arange(1.0, 101.0).reshape(10, 10)  # 100 improving cells, 1..100
    a[0, 0] = -5.0  # no improvement: not counted in the share
    assert score_cut(a, 1.0) == 100.0
    assert score_cut(a, 5.0) == 96.0
    sites = restoration_sites(grid(a, CS), top_percent=5.0)
    assert sites["n_cells"].sum() == 5 and sites.iloc[0]["score_max"] == 100.0  # 96..100 sit in one row: one patch


def test_min_cells_and_max_sites():
    s = _score({(1, 1): 9.0, (5, 5): 8.0, (5, 6): 8.0, (8, 1): 7.0})
    assert restoration_sites(s, min_score=1.0, min_cells=2)["score_max"].tolist() == [8.0]
    assert restoration_sites(s, min_score=1.0, max_sites=2)["score_max"].tolist() == [9.0, 8.0]


def test_no_improving_cell_gives_an_empty_table_with_the_columns():
    sites = restoration_sites(_score({}))
    assert len(sites) == 0 and {"rank", "site_id", "area_ha", "score_max", "geometry"} <= set(sites.columns)


def test_nodata_cells_are_never_sites():
    a = np.zeros((5, 5))
    a[2, 2] = -9999.0
    a[0, 0] = 3.0
    sites = restoration_sites(grid(a, CS, nodata=-9999.0), min_score=1.0)
    assert sites["score_max"].tolist() == [3.0]


@pytest.mark.parametrize("kw, word", [({"top_percent": 0}, "top_percent"), ({"top_percent": 150}, "top_percent"),
                                      ({"min_score": -1.0}, "min_score"), ({"min_cells": 0}, "min_cells"),
                                      ({"max_sites": 0}, "max_sites")])
def test_bad_cuts_name_the_option(kw, word):
    with pytest.raises(ConfigError, match=word):
        restoration_sites(_score({(1, 1): 1.0}), **kw)


def _walled_strip(wall: float = 100.0):
    # 5 x 21 cells of resistance 1, a full wall of resistance `wall` at column 10: no way around it
    a = np.ones((5, 21))
    a[:, 10] = wall
    return grid(a, CS)


def _cores(r):
    rows = np.arange(r.shape[0])
    return np.stack([rows, np.zeros_like(rows)], 1), np.stack([rows, np.full_like(rows, r.shape[1] - 1)], 1)


def test_restoring_the_wall_cell_on_the_path_gives_the_gain_known_by_hand():
    # 20 steps from column 0 to 20: 18 between 1-cells (1 km each) and two onto/off the wall, each (1 + 100) / 2 km
    r = _walled_strip()
    a, b = _cores(r)
    patch = np.zeros(r.shape, bool)
    patch[2, 10] = True
    before, after = restored_gain(r, a, b, patch)
    assert before == pytest.approx(18 * CS + 2 * 50.5 * CS)
    assert after == pytest.approx(20 * CS)  # the straight row through the restored cell
    # restoring a cell off any path brings nothing; restoring never raises a resistance
    off = np.zeros(r.shape, bool)
    off[2, 5] = True
    assert restored_gain(r, a, b, off, restored_resistance=50.0, lcd_before=before) == (before, pytest.approx(before))


def test_restored_gain_checks_its_inputs():
    r = _walled_strip()
    a, b = _cores(r)
    with pytest.raises(ConfigError, match="restored_resistance"):
        restored_gain(r, a, b, np.zeros(r.shape, bool), restored_resistance=0.0)
    with pytest.raises(ConfigError, match="resistance grid"):
        restored_gain(r, a, b, np.zeros((2, 2), bool))
