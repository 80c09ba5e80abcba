"""The main job's restoration step on the bundled data: habitat sites apart from border crossings, exact gains, robustness."""

from __future__ import annotations

import numpy as np
import pytest

from corridors.analyses.restoration import border_cells, resistance_robustness, run_restoration, split_by_border


@pytest.fixture(scope="module")
def coarse():
    # 10 km cells: the programme's corridors in a few seconds (the main job uses 1 km)
    return run_restoration(radii_m=(10_000.0, 20_000.0), resolution_m=10_000.0)


def test_sites_are_ranked_with_their_exact_gain_and_kind(coarse):
    for table, prefix in ((coarse.sites, "R"), (coarse.crossings, "B")):
        assert len(table) > 0
        assert table["site_id"].tolist() == [f"{prefix}{k}" for k in range(1, len(table) + 1)]
        assert (np.diff(table["score_max"]) <= 1e-9).all()  # best first
        ok = table["lcd_before_km"].notna()
        np.testing.assert_allclose(table.loc[ok, "lcd_drop_km"], table.loc[ok, "lcd_before_km"] - table.loc[ok, "lcd_after_km"])
        assert (table.loc[ok, "lcd_after_km"] <= table.loc[ok, "lcd_before_km"] + 1e-9).all()  # restoring never costs
        assert table["corridor"].value_counts().max() <= 2  # per_corridor
    assert coarse.crossings["barrier"].str.startswith("border ").all()
    assert set(coarse.sites["country"]) <= {"AFG", "KAZ", "TJK", "TKM", "UZB"}


def test_the_split_keeps_border_circles_out_of_the_habitat_score(coarse):
    (land, land_r), (cross, cross_r) = split_by_border(coarse.barriers)
    on = border_cells(land)
    assert np.isnan(land.array[on]).all()  # a circle round a border cell holds it, at any radius
    full = np.asarray(coarse.barriers.score.array, dtype="float64")
    both = np.fmax(np.asarray(land.array, dtype="float64"), np.asarray(cross.array, dtype="float64"))
    fin = np.isfinite(full)
    np.testing.assert_allclose(both[fin], full[fin], rtol=1e-6)  # together they are Barrier Mapper's max over radii


def test_robustness_with_an_unperturbed_table_finds_every_site_again(coarse):
    rob = resistance_robustness(coarse, draws=1, factor=1.0)
    assert (rob["p_top"] == 1.0).all()
    np.testing.assert_allclose(rob["lcd_drop_pct_draws"], rob["lcd_drop_pct"], rtol=1e-9)
