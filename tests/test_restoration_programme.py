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


def test_rests_on_names_the_runs_own_cell_size(coarse):
    said = coarse.rests_on
    assert said[-1].endswith("on the same surface of 10 km cells")  # it said "the same 1 km surface" at any cell size
    assert "data/resistance.yml" in said[0] and "resistance 1 (the table's tugay)" in said[0]
    assert "5 km disc" in said[1]



def test_every_border_crossing_is_labelled_with_its_border():
    # At 5 km the circles of a crossing can hold a cell a border line touches while the line itself runs outside
    # them: split_by_border made it a crossing (B6, corridor 4.2a), the table called it "land".
    run = run_restoration(radii_m=(5_000.0, 10_000.0), resolution_m=5_000.0)
    assert len(run.crossings) >= 6
    assert run.crossings["barrier"].str.match(r"border [A-Z]{3}-[A-Z]{3}$").all(), run.crossings[["site_id", "barrier"]]
    assert (run.sites["barrier"] == "land").all()


def test_robustness_of_a_run_on_some_corridors_reruns_those_corridors():
    # The draws ran every programme corridor on the grid of the base run's few, whose ends lie off it: DataError.
    from corridors import programme
    from corridors.analyses.barriers import run_barriers

    few = [c for c in programme.PROGRAMME_CORRIDORS if c.key in {"2.1a", "2.9"}]
    base = run_restoration(barriers=run_barriers(corridors=few, radii_m=(5_000.0, 10_000.0), resolution_m=5_000.0))
    rob = resistance_robustness(base, draws=1, factor=1.0)
    assert set(rob["corridor"]) <= {"2.1a", "2.9"} and (rob["p_top"] == 1.0).all()


def test_robustness_of_a_run_on_your_cores_reruns_your_cores():
    # With --cores on the bundled surface the draws ran the programme's corridors instead of the cores given.
    from corridors.analyses.barriers import run_barriers
    from corridors.sites import load_sites

    s = load_sites()
    cores = s[s["id"].isin(["kyzylkum-ssnr", "amu-darya-ssnr", "yeraji-sr"])][["id", "geometry"]]
    base = run_restoration(barriers=run_barriers(cores=cores, radii_m=(5_000.0, 10_000.0), resolution_m=5_000.0))
    assert "cores" in base.parameters and "corridors" not in base.parameters
    rob = resistance_robustness(base, draws=1, factor=1.0)
    assert len(rob) and (rob["p_top"] == 1.0).all()
    assert "the cores given (3)" in base.rests_on[1]
