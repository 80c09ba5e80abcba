"""What-if gains, link sources and the programme graph (the ``corridors network`` command: test_cli_network.py)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from corridors import settings
from corridors._errors import ConfigError, DataError
from corridors.network import build_graph, connectivity, pc, probability_matrix
from corridors.analyses.programme_network import (
    HabitatLeastCost,
    by_river_system,
    graph_from_nodes,
    link_source,
    site_capacity,
)
from corridors.network.sources import AlongRiver, EffectiveResistance, LeastCost, StraightLine
from corridors.network.whatif import (
    Candidate,
    apply_candidate,
    border_losses,
    link_candidate,
    node_candidate,
    rank_candidates,
)

from _helpers import point_nodes, toy_graph, uniform

REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------- what-if by hand
def test_candidate_node_by_hand():
    # a(1), b(1) unlinked; candidate c(2) linked to both at p = 0.5 -> p*_ab = 0.25
    # PCnum = 1 + 1 + 4 + 2 * (1*1*.25 + 1*2*.5 + 1*2*.5) = 10.5; before 2
    g = toy_graph({"a": 1.0, "b": 1.0}, [])
    r = rank_candidates(g, [node_candidate("c", 2.0, {"a": 0.5, "b": 0.5})])
    row = r.loc["c"]
    assert row["EC_before"] == pytest.approx(math.sqrt(2.0))
    assert row["EC_after"] == pytest.approx(math.sqrt(10.5))
    assert row["dPCnum_intra"] == pytest.approx(4.0)
    assert row["dPCnum_links"] == pytest.approx(10.5 - 2.0 - 4.0)
    assert row["dPC_pct"] == pytest.approx(100 * 8.5 / 2.0)


def test_candidate_link_ranked_by_ec_gain():
    # line a(1) -0.5- b(2) -0.4- c(3): PCnum 22. A direct a-c link at 0.5 raises p*_ac from .2 to .5:
    # +2*1*3*.3 = 1.8 -> 23.8. An a-b link at 0.9 raises p*_ab to .9 and p*_ac to .36:
    # +2*1*2*.4 + 2*1*3*.16 = 1.6 + .96 = 2.56 -> 24.56.
    g = toy_graph({"a": 1.0, "b": 2.0, "c": 3.0}, [("a", "b", 0.5), ("b", "c", 0.4)])
    r = rank_candidates(g, [link_candidate("ac", "a", "c", 0.5), link_candidate("ab", "a", "b", 0.9)])
    assert list(r.index) == ["ab", "ac"]
    assert list(r["rank"]) == [1, 2]
    assert r.loc["ac", "EC_after"] ** 2 == pytest.approx(23.8)
    assert r.loc["ab", "EC_after"] ** 2 == pytest.approx(24.56)
    # a worse link than the existing one changes nothing
    r2 = rank_candidates(g, [link_candidate("weak", "a", "b", 0.1)])
    assert r2.loc["weak", "dEC"] == pytest.approx(0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_candidate_update_matches_rebuilding_the_graph(seed):
    rng = np.random.default_rng(seed)
    n = 9
    caps = {f"n{i}": float(rng.uniform(1, 10)) for i in range(n)}
    links = [(f"n{rng.integers(0, i)}", f"n{i}", float(rng.uniform(0.1, 0.9))) for i in range(1, n)]
    g = toy_graph(caps, links)
    # two new nodes (one a stepping stone), linked to old nodes and to each other, plus an improved old link
    new_links = [("x", "n1", 0.6), ("x", "y", 0.7), ("y", "n7", 0.5), ("n2", "n5", 0.95)]
    cand = Candidate("combo", pd.DataFrame({"capacity": [4.0, 0.0]}, index=pd.Index(["x", "y"], name="id")),
                     pd.DataFrame(new_links, columns=["i", "j", "probability"]))
    pm, cap, ids = apply_candidate(probability_matrix(g), g.capacity, g.ids, cand)
    full = toy_graph({**caps, "x": 4.0, "y": 0.0}, links + new_links)
    ref = probability_matrix(full)
    order = [full.ids.index(i) for i in ids]
    np.testing.assert_allclose(pm, ref[np.ix_(order, order)], atol=1e-12)
    assert float(cap @ pm @ cap) == pytest.approx(pc(full) * full.area_l**2)


def test_candidate_bad_input():
    g = toy_graph({"a": 1.0, "b": 1.0}, [("a", "b", 0.5)])
    with pytest.raises(DataError, match="'zz' is neither in the graph"):
        rank_candidates(g, [link_candidate("l", "a", "zz", 0.5)])
    with pytest.raises(DataError, match="already in the graph"):
        rank_candidates(g, [node_candidate("a", 1.0, {"b": 0.5})])
    with pytest.raises(DataError, match="probability"):
        rank_candidates(g, [link_candidate("l", "a", "b", 1.5)])


def test_fencing_a_border_by_hand():
    # a(1) -0.5 across X-Y- b(1) -0.8- c(1); closing X-Y leaves a alone: PCnum 3 + 2*.8 = 4.6
    nodes = pd.DataFrame({"id": ["a", "b", "c"], "capacity": [1.0, 1.0, 1.0]})
    links = pd.DataFrame({"i": ["a", "b"], "j": ["b", "c"], "probability": [0.5, 0.8], "borders": [["X-Y"], []]})
    g = build_graph(nodes, links)
    before = 3 + 2 * (0.5 + 0.8 + 0.4)
    out = border_losses(g, factor=0.0)
    assert list(out.index) == ["X-Y"]
    assert out.loc["X-Y", "EC_before"] == pytest.approx(math.sqrt(before))
    assert out.loc["X-Y", "EC_after"] == pytest.approx(math.sqrt(4.6))
    half = border_losses(g, factor=0.5)  # p_ab = .25, p*_ac = .2
    assert half.loc["X-Y", "EC_after"] ** 2 == pytest.approx(3 + 2 * (0.25 + 0.8 + 0.2))


# ----------------------------------------------------------------- link sources
def test_straight_line_source_by_hand():
    nodes = point_nodes({"a": (0, 0), "b": (3000, 4000), "c": (30000, 0)})
    lk = StraightLine()(nodes)
    d = {(r.i, r.j): r.distance_m for r in lk.itertuples()}
    assert d[("a", "b")] == pytest.approx(5000.0)
    assert d[("a", "c")] == pytest.approx(30000.0)
    near = StraightLine(max_distance_m=10_000)(nodes)
    assert {(r.i, r.j) for r in near.itertuples()} == {("a", "b")}
    g = graph_from_nodes(nodes, StraightLine(), median_dispersal_m=5000.0)
    assert g.links.set_index(["i", "j"]).loc[("a", "b"), "probability"] == pytest.approx(0.5)


def test_straight_links_carry_the_border_they_cross():
    # Samarkand (UZB) and Panjakent (TJK), either side of the TJK-UZB border
    wgs = gpd.GeoDataFrame({"capacity": [1.0, 1.0]}, geometry=[shapely.Point(66.96, 39.65), shapely.Point(67.61, 39.49)],
                           index=pd.Index(["samarkand", "panjakent"], name="id"), crs=4326)
    with pytest.warns(DeprecationWarning, match="'straight' is now called 'euclidean'"):
        g = graph_from_nodes(wgs.to_crs(settings.WORKING_CRS), "straight", median_dispersal_m=25_000.0,
                             permeability={"TJK-UZB": 0.5})
    row = g.links.iloc[0]
    assert row["borders"] == ["TJK-UZB"]
    assert row["probability"] == pytest.approx(0.5 * 0.5 ** (row["distance_m"] / 25_000.0))


def test_along_river_links_only_neighbours_on_the_river():
    river = gpd.GeoDataFrame({"river": ["r"], "river_system": ["amu_darya"]},
                             geometry=[shapely.LineString([(0, 0), (100_000, 0)])], crs=settings.WORKING_CRS)
    nodes = point_nodes({"a": (1000, 500), "b": (11000, -500), "c": (41000, 0)}, river=["r"] * 3)
    lk = AlongRiver(rivers=river, add_offsets=False)(nodes)
    d = {(r.i, r.j): r.distance_m for r in lk.itertuples()}
    assert set(d) == {("a", "b"), ("b", "c")}  # c is reached through b
    assert d[("a", "b")] == pytest.approx(10_000.0, abs=1.0)
    assert d[("b", "c")] == pytest.approx(30_000.0, abs=1.0)
    every = AlongRiver(rivers=river, adjacent_only=False)(nodes)
    assert len(every) == 3
    g = graph_from_nodes(nodes, AlongRiver(rivers=river), median_dispersal_m=10_000.0)
    r = connectivity(g)
    assert r.nodes.loc["b", "dPCconnector"] > 0  # b is the stepping stone between a and c


def test_least_cost_source_on_a_uniform_surface():
    nodes = point_nodes({"w": (2500, 10500), "e": (18500, 10500)})
    lk = LeastCost(uniform((21, 21), dtype="float32"), core_radius_m=500.0, adjacency="all")(nodes)
    assert len(lk) == 1
    # cell centres 16 cells apart on one row, resistance 1 per metre
    assert lk["distance_m"].iloc[0] == pytest.approx(16_000.0, rel=0.01)


def test_effective_resistance_source_grows_with_distance():
    nodes = point_nodes({"a": (2500, 10500), "b": (6500, 10500), "c": (18500, 10500)})
    lk = EffectiveResistance(uniform((21, 21), dtype="float32"))(nodes).set_index(["i", "j"])["distance_m"]
    assert 0 < lk.loc[("a", "b")] < lk.loc[("a", "c")]


# ----------------------------------------------------------------- programme graph
def test_area_capacity_cuts_nested_sites_out_of_their_parent():
    # parent: precision circle 10 km; child inside it: 2 km; a stated area wins
    sites = gpd.GeoDataFrame(
        {"id": ["p", "c", "s"], "parent": [None, "p", None], "location_precision_km": [10.0, 2.0, 5.0],
         "location_status": ["approximate"] * 3, "area_ha": [np.nan, np.nan, 1234.0]},
        geometry=[shapely.Point(0, 0), shapely.Point(1000, 0), shapely.Point(50_000, 0)], crs=settings.WORKING_CRS,
    )
    cap = site_capacity(sites, "area")
    # circles are drawn as 64-gons: area = 32 r^2 sin(2 pi / 64)
    poly = 32 * math.sin(2 * math.pi / 64)
    assert cap["c"] == pytest.approx(poly * 2000**2 / 1e4, rel=1e-6)
    assert cap["p"] == pytest.approx(poly * (10_000**2 - 2000**2) / 1e4, rel=1e-6)
    assert cap["s"] == 1234.0
    assert (site_capacity(sites, "equal") == 1.0).all()
    # a text column or a gap is named with the value found, not called 'missing or negative'
    sites["name"] = ["Beshai", "Palangon", "Tugay"]
    with pytest.raises(DataError, match=r"feature 'p', field 'name': capacity is 'Beshai', not a number >= 0"):
        site_capacity(sites, "name")
    with pytest.raises(DataError, match=r"feature 'p', field 'area_ha': capacity is empty, not a number >= 0"):
        site_capacity(sites, "area_ha")


def test_split_by_river_system():
    nodes = point_nodes({"a": (0, 0), "b": (1000, 0), "c": (5000, 0)}, river_system=["ile", "ile", "zarafshon"])
    g = graph_from_nodes(nodes, "euclidean", median_dispersal_m=1000.0)
    parts = by_river_system(g)
    assert set(parts) == {"ile", "zarafshon"}
    assert parts["ile"].ids == ["a", "b"] and len(parts["ile"].links) == 1
    assert len(parts["zarafshon"].links) == 0


def test_effective_resistance_nodes_in_one_cell_are_one_focal_node():
    nodes = point_nodes({"a": (2500, 10500), "a2": (2700, 10700), "c": (18500, 10500)})
    lk = EffectiveResistance(uniform((21, 21), dtype="float32"))(nodes).set_index(["i", "j"])["distance_m"]
    assert lk.loc[("a", "a2")] == 0.0
    assert lk.loc[("a", "c")] == pytest.approx(lk.loc[("a2", "c")])


def test_links_computed_once_on_a_superset_are_reused_exactly():
    from corridors.analyses.programme_network import _links

    nodes = point_nodes({"a": (0, 0), "b": (3000, 4000), "c": (30000, 0), "d": (9000, 1000)})
    src = StraightLine()
    direct = src(nodes.loc[["a", "b", "d"]])
    src._network_memo = {"ids": set(nodes.index), "links": src(nodes)}
    reused = _links(src, nodes.loc[["a", "b", "d"]])
    pd.testing.assert_frame_equal(pd.DataFrame(reused.drop(columns="geometry")), pd.DataFrame(direct.drop(columns="geometry")))
    river = AlongRiver()  # set-dependent (reach links): never reused
    river._network_memo = {"ids": set(nodes.index), "links": direct.iloc[:0]}
    assert not getattr(river, "pairwise_independent", False)


def test_least_cost_overlapping_cores_get_distance_zero():
    nodes = point_nodes({"w": (2500, 10500), "w2": (3000, 10500), "e": (18500, 10500)})
    src = LeastCost(uniform((21, 21), dtype="float32"), core_radius_m=1500.0)
    assert src.pairwise_independent
    lk = src(nodes).set_index(["i", "j"])["distance_m"]
    assert lk.loc[("w", "w2")] == 0.0
    assert len(lk) == 3


def test_network_map_labels_clear_each_other_and_the_markers():
    # the bundled programme network: the lower Amu Darya crowds node labels and corridor keys together
    import matplotlib

    matplotlib.use("Agg")
    from corridors.analyses.network import analyse_programme
    from corridors.plot import plot_network

    a = analyse_programme("river", whatif=False, link_metrics=False)
    fig = plot_network(a.graph, a.connectivity, candidates=a.candidates, corridors=a.corridors)
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text() and not (t.get_gid() or "").startswith(("country-", "river:"))
              and t.get_text() not in ("N",) and not t.get_text().strip().isdigit() and t.get_text() != "km"]
    keys = {str(k) for k in a.corridors["key"]}
    assert keys <= {t.get_text() for t in labels}  # every corridor is labelled
    boxes = [t.get_window_extent(renderer=renderer) for t in labels]
    overlaps = [(labels[i].get_text(), labels[j].get_text()) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
                if boxes[i].overlaps(boxes[j])]
    assert overlaps == []
    import matplotlib.pyplot as plt

    plt.close(fig)


# ----------------------------------------------------------------- the one programme network
def test_habitat_least_cost_distance_between_discs_known_by_hand():
    # uniform resistance 1 on 1 km cells: discs of reach 0 are the nodes' own cells, 8 cells apart along a row;
    # MCP_Geometric's step cost is the mean resistance of the two cells times the step length: 8 km
    grid = uniform((21, 21), dtype="float32")
    nodes = point_nodes({"w": (2500, 10500), "e": (10500, 10500)})
    src = HabitatLeastCost(grid, reach_m=0.0)
    lk = src(nodes)
    assert list(zip(lk["i"], lk["j"])) == [("w", "e")]
    assert lk["distance_m"].iloc[0] == pytest.approx(8000.0)
    assert set(src.costs) == {"w", "e"} and src.cores["w"].sum() == 1  # every node's surface is kept for the candidates
    # a reach of 1.5 km takes the neighbouring cells into each disc: 2 cells closer on each side
    lk2 = HabitatLeastCost(grid, reach_m=1500.0)(nodes)
    assert lk2["distance_m"].iloc[0] == pytest.approx(8000.0 - 2 * 1000.0)


def test_link_source_names_and_the_old_spellings():
    grid = uniform((21, 21), dtype="float32")
    assert isinstance(link_source("least_cost", resistance=grid), HabitatLeastCost)
    assert isinstance(link_source("effective_resistance", resistance=grid), EffectiveResistance)
    assert isinstance(link_source("euclidean"), StraightLine)
    for old, cls in (("lcp", HabitatLeastCost), ("circuit", EffectiveResistance), ("straight", StraightLine)):
        with pytest.warns(DeprecationWarning, match=f"'{old}' is now called"):
            assert isinstance(link_source(old, resistance=grid), cls)
    with pytest.raises(ConfigError, match="needs a resistance surface"):
        link_source("least_cost")
    with pytest.raises(ConfigError, match="choose one of least_cost, effective_resistance, river, euclidean"):
        link_source("airline")


@pytest.mark.slow
def test_network_command_and_baseline_scenario_report_one_programme_network(tmp_path):
    # issue 11: `corridors network` and `corridors run scenarios/baseline.yml` used to build two different networks
    # (26 nodes with river links and 25 km against 15 nodes with least-cost links and 30 km); now one definition.
    from corridors.analyses.network import analyse_programme
    from corridors.scenario import load_scenario, run_scenario

    a = analyse_programme(whatif=False, link_metrics=False)
    model = load_scenario(REPO / "scenarios" / "baseline.yml")
    model.scoring.robustness.draws = 5
    model.scoring.robustness.dispersal_levels = 1
    res = run_scenario(model, tmp_path / "baseline", quiet=True)
    by_system = pd.read_csv(tmp_path / "baseline" / "ec_by_system.csv").set_index("river_system")
    assert a.graph.n == by_system.loc["all", "n_nodes"] == 15
    assert a.connectivity.summary["EC_PC"] == pytest.approx(by_system.loc["all", "ec_ha"], rel=1e-9)
    assert a.connectivity.summary["PC"] == pytest.approx(by_system.loc["all", "pc"], rel=1e-9)
    systems = a.systems.set_index("name")
    for name in ("amu_darya", "zarafshon", "syr_darya", "ile"):
        assert systems.loc[name, "EC_PC"] == pytest.approx(by_system.loc[name, "ec_ha"], rel=1e-9), name
    assert res.summary


def test_the_cli_and_the_scenario_yaml_spell_the_link_sources_as_the_library():
    import typing

    from click.testing import CliRunner

    from corridors.cli import main
    from corridors.scenario.schema import Links

    assert typing.get_args(Links.model_fields["source"].annotation) == ("least_cost", "effective_resistance", "river", "euclidean")
    help_text = CliRunner().invoke(main, ["network", "--help"]).output
    assert "least_cost|effective_resistance|river|euclidean|straight|lcp|circuit" in help_text


def test_write_results_takes_the_data_first_and_the_old_order_for_one_release(tmp_path):
    from corridors.network.export import write_results

    g = toy_graph({"a": 1.0, "b": 2.0}, [("a", "b", 0.5)])
    conn = connectivity(g)
    new = write_results(g, conn, tmp_path / "new")
    with pytest.warns(DeprecationWarning, match=r"write_results\(g, conn, outdir\)"):
        old = write_results(tmp_path / "old", g, conn)
    assert sorted(new) == sorted(old) and all(p.exists() for p in old.values())
    assert (tmp_path / "new" / "network_nodes.csv").read_bytes() == (tmp_path / "old" / "network_nodes.csv").read_bytes()
    assert [p.name for p in (tmp_path / "new").iterdir() if p.name.startswith(".")] == [".corridors-output.json"]  # no staging folder left


def test_network_map_leaves_out_links_below_the_colour_floor_and_says_how_many():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from corridors.plot.network_map import MIN_DRAWN_P, plot_network

    # Bukhara-area points: a-b 10 km apart (p = 0.5), c 200 km away (p = 0.5 ** 20 < 1e-3 to both)
    nodes = point_nodes({"a": (600_000, 500_000), "b": (610_000, 500_000), "c": (800_000, 500_000)})
    g = graph_from_nodes(nodes, "euclidean", median_dispersal_m=10_000.0)
    fig = plot_network(g, connectivity(g), labels=0)
    ax = fig.axes[0]
    drawn = [ln for ln in ax.lines if len(ln.get_xdata()) == 2 and ln.get_linestyle() == "-"
             and {round(float(v)) for v in ln.get_xdata()} <= {600_000, 610_000, 800_000}]
    assert len(drawn) == 1 and {round(float(v)) for v in drawn[0].get_xdata()} == {600_000, 610_000}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"2 of 3 links have p < {MIN_DRAWN_P:g}: not drawn" in legend
    plt.close(fig)


def test_the_programme_analysis_writes_its_own_files(tmp_path):
    # every result type has write(outdir): the analysis alone writes what `corridors network` writes
    from corridors.analyses.network import analyse_programme

    a = analyse_programme("river", whatif=False, link_metrics=False)
    files = a.write(tmp_path / "net", map=False)
    assert {"network.gpkg", "network_nodes.csv", "provenance.json"} <= {p.name for p in files.values()}
    nodes = pd.read_csv(tmp_path / "net" / "network_nodes.csv")
    assert len(nodes) == len(a.connectivity.nodes)
