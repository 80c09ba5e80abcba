"""Robustness draws that vary where places lie (within their precision) and the expert resistances (within a stated range)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from corridors import landscape
from corridors.scenario import scenario_from_dict
from corridors.scenario.context import _context
from corridors.scenario.interventions import _apply
from corridors.scenario.network import _analyse
from corridors.scenario.pipeline import _corridor_table, _perturbed_makers, _site_table
from corridors.scenario.uncertainty import draw_locations, draw_resistances, on_habitat, perturbed_context
from corridors.scoring import Criterion, robustness
from corridors.settings import WORKING_CRS

from _helpers import grid


def _sites(precision_km: list[float | None], geoms: list | None = None) -> gpd.GeoDataFrame:
    n = len(precision_km)
    geoms = geoms or [Point(0, 0)] * n
    return gpd.GeoDataFrame({"id": [f"s{i}" for i in range(n)], "location_precision_km": precision_km},
                            geometry=geoms, crs=WORKING_CRS)


def test_a_place_moves_by_the_drawn_offset_within_its_radius():
    # one site of precision 10 km; numpy's generator seeded 0 gives u, v; the offset is 10 km x sqrt(u) at angle 2 pi v
    u, v = np.random.default_rng(0).random(2)
    moved, off = draw_locations(_sites([10.0], [Point(500.0, 700.0)]), np.random.default_rng(0))
    r = 10_000 * math.sqrt(u)
    assert off[0] == pytest.approx([r * math.cos(2 * math.pi * v), r * math.sin(2 * math.pi * v)])
    assert (moved.geometry.iloc[0].x, moved.geometry.iloc[0].y) == pytest.approx((500 + off[0, 0], 700 + off[0, 1]))


def test_moves_are_uniform_over_the_precision_disc():
    # uniform over a disc of radius R: mean distance 2R/3, a quarter of the draws within R/2, none beyond R
    moved, off = draw_locations(_sites([30.0] * 20000), np.random.default_rng(5))
    d = np.hypot(off[:, 0], off[:, 1])
    assert d.max() <= 30_000
    assert d.mean() == pytest.approx(20_000, rel=0.01)
    assert (d < 15_000).mean() == pytest.approx(0.25, abs=0.01)
    assert np.hypot(moved.geometry.x, moved.geometry.y).to_numpy() == pytest.approx(d)


def test_exact_unresolved_and_scaled_places():
    sites = _sites([0.0, None, 20.0, 20.0], [Point(1, 2), None, Point(0, 0), box(0, 0, 10, 10)])
    moved, off = draw_locations(sites, np.random.default_rng(1), scale=0.5)
    assert moved.geometry.iloc[0].equals(Point(1, 2)) and moved.geometry.iloc[1] is None
    assert (off[:2] == 0).all()
    assert np.hypot(*off[2]) <= 10_000 and np.hypot(*off[3]) <= 10_000  # half of 20 km
    # a polygon moves as a whole: same area, centroid shifted by the offset
    poly = moved.geometry.iloc[3]
    assert poly.area == pytest.approx(100.0)
    assert (poly.centroid.x, poly.centroid.y) == pytest.approx((5 + off[3, 0], 5 + off[3, 1]))
    fixed, off0 = draw_locations(sites, np.random.default_rng(1), scale=0.0)
    assert (off0 == 0).all() and fixed.geometry.iloc[2].equals(Point(0, 0))


def test_places_move_only_onto_habitat():
    # a 20 x 20 km grid of 1 km cells: no habitat west of x = 10 km, habitat east of it
    suit = np.zeros((20, 20))
    suit[:, 10:] = 1.0
    accept = on_habitat(grid(suit), 0.5)
    assert accept(np.array([9_999.0, 10_000.0, 25_000.0]), np.array([5_000.0] * 3)).tolist() == [False, True, False]
    # a place on the edge of the habitat, known to 5 km, moves east only; one 8 km deep in the desert, known to
    # 1 km, finds no habitat within reach and stays where it is drawn
    sites = _sites([5.0] * 200 + [1.0], [Point(10_000.0, 10_000.0)] * 200 + [Point(2_000.0, 10_000.0)])
    moved, off = draw_locations(sites, np.random.default_rng(3), accept=accept)
    assert (off[:200, 0] >= 0).all() and np.hypot(off[:200, 0], off[:200, 1]).max() <= 5_000
    assert (moved.geometry.x.to_numpy()[:200] >= 10_000).all() and (off[:200, 0] > 0).mean() > 0.99
    assert (off[200] == 0).all() and moved.geometry.iloc[200].equals(Point(2_000.0, 10_000.0))


def test_resistances_drawn_within_the_stated_factor():
    table = landscape.load_table()
    same, f1 = draw_resistances(table, np.random.default_rng(0), 1.0)
    assert set(f1.values()) == {1.0} and same.classes == table.classes
    t2, f2 = draw_resistances(table, np.random.default_rng(0), 2.0)
    assert set(f2) == set(table.classes) | set(table.borders)
    assert all(0.5 <= f <= 2.0 for f in f2.values()) and len(set(f2.values())) == len(f2)
    for k, c in table.classes.items():
        assert t2.classes[k].resistance == pytest.approx(c.resistance * f2[k])
        assert t2.classes[k].suitability == c.suitability  # suitability is not a resistance
    for k, v in table.borders.items():
        assert t2.borders[k] == pytest.approx(v * f2[k])
    # log-uniform: the log factors of many draws spread evenly over [-log 2, log 2]
    logs = np.log([f for s in range(60) for f in draw_resistances(table, np.random.default_rng(s), 2.0)[1].values()])
    assert abs(logs.mean()) < 0.05 and (logs > 0).mean() == pytest.approx(0.5, abs=0.06)


CRIT = {"cwd": Criterion("cwd", "cost")}


def test_each_draw_scores_the_landscape_it_picked():
    # landscape 0: A is cheaper; landscape 1: B is. With one criterion the weights cannot change a rank,
    # so A is best exactly in the draws of landscape 0.
    t0 = pd.DataFrame({"cwd": [1.0, 2.0]}, index=["A", "B"])
    t1 = pd.DataFrame({"cwd": [2.0, 1.0]}, index=["A", "B"])
    r = robustness(t0, {"cwd": 1.0}, CRIT, draws=2000, seed=4, top_k=1, dispersal_m=30000.0, dispersal_sd_log=0.0,
                   variants=[lambda d: t0, lambda d: t1])
    p = r.table().loc["A", "p_best"]
    assert p == (r.variant == 0).mean()
    assert p == pytest.approx(0.5, abs=0.04)
    assert r.dispersal_m is None  # dispersal was not perturbed
    again = robustness(t0, {"cwd": 1.0}, CRIT, draws=2000, seed=4, top_k=1, dispersal_m=30000.0,
                       dispersal_sd_log=0.0, variants=[lambda d: t0, lambda d: t1])
    assert (again.ranks == r.ranks).all()


def test_an_option_a_landscape_cannot_measure_is_worst_there():
    t0 = pd.DataFrame({"cwd": [1.0, 2.0]}, index=["A", "B"])
    lost = pd.DataFrame({"cwd": [2.0]}, index=["B"])  # A has no least-cost path on this landscape
    r = robustness(t0, {"cwd": 1.0}, CRIT, draws=50, seed=0, top_k=1, dispersal_m=30000.0, dispersal_sd_log=0.0,
                   variants=[lambda d: lost])
    assert r.table().loc["B", "p_best"] == 1.0


def _ctx(units=(4,), **rob):
    model = scenario_from_dict({"name": "u", "base": {"population_units": list(units)}, "landscape": {"resolution_m": 20000},
                                "scoring": {"robustness": rob}})
    return model, _context(model)


def test_perturbed_landscape_without_ranges_is_the_run_itself():
    model, ctx = _ctx((2, 3), location_scale=0.0, resistance_factor=1.0, landscapes=1)
    an = _analyse(ctx, _apply(ctx, []), node_metrics=False)
    corr, sites = _corridor_table(ctx, an)[0], _site_table(ctx, an)
    (c_make,), (s_make,) = _perturbed_makers(ctx, model, 1)
    d = model.links.median_dispersal_m
    pd.testing.assert_frame_equal(c_make(d), corr)
    assert len(sites) >= 2  # units 2-3 have candidate reintroduction sites
    pd.testing.assert_frame_equal(s_make(d), sites.drop(columns="_dists"))


def test_perturbed_context_moves_places_and_resistances():
    model, ctx = _ctx()
    suit = _apply(ctx, []).suitability
    p = perturbed_context(ctx, np.random.default_rng([model.seed, 0]), suit)
    prec = ctx.sites.set_index("id")["location_precision_km"]
    a, b = ctx.sites.set_index("id").geometry, p.sites.set_index("id").geometry
    for sid in ctx.located_ids:
        assert a[sid].centroid.distance(b[sid].centroid) <= prec[sid] * 1000
    assert list(p.node_sites["id"]) == list(ctx.node_sites["id"])
    assert p.table.classes["desert"].resistance != ctx.table.classes["desert"].resistance
    accept = on_habitat(suit, model.scoring.suitable_threshold)
    xy = np.array([[b[s].centroid.x, b[s].centroid.y] for s in ctx.located_ids])
    moved = np.array([not a[s].equals(b[s]) for s in ctx.located_ids])
    assert accept(xy[:, 0], xy[:, 1])[moved].all()  # every place that moved sits on habitat
    q = perturbed_context(ctx, np.random.default_rng([model.seed, 0]), suit)
    assert all(b[s].equals(q.sites.set_index("id").geometry[s]) for s in ctx.located_ids)  # seeded
