"""What the programme's results rest on (issue 13), on cases whose answers are known by hand.

A reserve is counted once (as the population it lies in), centrality links only
populations that can exchange deer, borders are counted on the whole path, and a
candidate site that touches a source population's core is an extension.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from corridors import settings
from corridors.analyses.network import CorridorSpec, corridor_candidates
from corridors.analyses.programme_network import graph_from_nodes, node_frame, node_of
from corridors.network.whatif import rank_candidates


def _sites(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Sites of the schema from (id, kind, parent, river_system, x_km, y_km), in the working CRS."""
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "name": [r[0] for r in rows], "kind": [r[1] for r in rows],
         "parent": [r[2] for r in rows], "river_system": [r[3] for r in rows], "status": "native"},
        geometry=[shapely.Point(r[4] * 1000.0, r[5] * 1000.0) for r in rows], crs=settings.WORKING_CRS,
    )


# ----------------------------------------------------------------- one node per reserve
def test_node_of_follows_the_parents_up_to_the_population():
    sites = _sites([("p1", "subpopulation", None, "a", 0, 0), ("r1", "protected_area", "p1", "a", 0, 0),
                    ("c1", "captive", "r1", "a", 0, 0), ("h", "hotspot", None, "a", 50, 0)])
    assert node_of("p1", ["p1"], sites) == "p1"
    assert node_of("r1", ["p1"], sites) == "p1"  # the reserve record is the population, not a second node
    assert node_of("c1", ["p1"], sites) == "p1"  # two steps up
    assert node_of("h", ["p1"], sites) is None


def test_a_corridor_between_two_reserves_joins_their_populations_and_adds_no_node():
    # p1 (0 km) and p2 (100 km) are the populations; r1 is p1's reserve on the same spot (two records of one
    # place), r2 p2's reserve at 90 km. Median dispersal 45 km, straight-line links: p(p1, p2) = 0.5^(100/45).
    # The corridor r1-r2 (90 km, factor 0.5 -> 45 km) lays p = 0.5 between p1 and p2 and adds no node:
    # PCnum = 1 + 1 + 2 x 0.5 = 3, EC = sqrt(3).
    sites = _sites([("p1", "subpopulation", None, "a", 0, 0), ("p2", "subpopulation", None, "a", 100, 0),
                    ("r1", "protected_area", "p1", "a", 0, 0), ("r2", "protected_area", "p2", "a", 90, 0)])
    nodes = node_frame(sites[sites["kind"] == "subpopulation"], "equal")
    g = graph_from_nodes(nodes, "euclidean", median_dispersal_m=45_000.0)
    (cand,) = corridor_candidates(g, [CorridorSpec("c", "r1", "r2")], sites, factor=0.5, capacity="equal")
    assert len(cand.nodes) == 0
    assert list(zip(cand.links["i"], cand.links["j"])) == [("p1", "p2")]
    assert cand.links["probability"].iloc[0] == pytest.approx(0.5)
    row = rank_candidates(g, [cand]).loc["c"]
    assert row["EC_before"] == pytest.approx(math.sqrt(2 + 2 * 0.5 ** (100 / 45)))
    assert row["EC_after"] == pytest.approx(math.sqrt(3.0))


def test_a_corridor_inside_one_population_adds_nothing():
    sites = _sites([("p1", "subpopulation", None, "a", 0, 0), ("p2", "subpopulation", None, "a", 100, 0),
                    ("r1", "protected_area", "p1", "a", 0, 0), ("r3", "protected_area", "p1", "a", 10, 0)])
    nodes = node_frame(sites[sites["kind"] == "subpopulation"], "equal")
    g = graph_from_nodes(nodes, "euclidean", median_dispersal_m=45_000.0)
    (cand,) = corridor_candidates(g, [CorridorSpec("c", "r1", "r3")], sites, capacity="equal")
    assert len(cand.nodes) == 0 and len(cand.links) == 0
    assert rank_candidates(g, [cand]).loc["c", "dEC"] == pytest.approx(0.0)


def test_the_bundled_programme_corridors_add_no_reserve_as_a_node():
    from corridors.analyses.network import programme_corridor_specs
    from corridors.sites import load_sites

    sites = load_sites()
    nodes = node_frame(sites[sites["kind"] == "subpopulation"].dropna(subset=["geometry"]), "equal")
    g = graph_from_nodes(nodes, "euclidean")
    cands = {c.id: c for c in corridor_candidates(g, programme_corridor_specs(), sites, capacity="equal")}
    assert (cands["2.1a"].meta["node_a"], cands["2.1a"].meta["node_b"]) == ("tm1", "uz2")
    added = {n for c in cands.values() for n in c.nodes.index}
    assert not added & {"labr", "nazarkhan", "kyzylkum-ssnr", "amu-darya-ssnr", "zarafshon-sr", "zarafshon-nnp"}
    assert pd.Index(added).isin(sites.loc[sites["kind"] == "protected_area", "id"]).sum() == 0


# ----------------------------------------------------------------- borders on the whole path
@pytest.mark.parametrize("cell", [1000.0, 5000.0])
def test_a_border_inside_an_end_core_is_counted_at_any_cell_size(cell):
    # A 40 x 20 km uniform landscape; border X-Y is the vertical line x = 10 km. Core a is a 6 km disc round
    # (7 km, 10 km): it spans the border, so its least-cost path to core b (a disc round (33 km, 10 km))
    # leaves a east of the line (at 1 km cells) and never meets it. Its deer still cross it: the whole path, from
    # core centre to core centre, crosses X-Y once, at 1 km and at 5 km cells alike.
    from corridors.linkages import build_linkages

    from _helpers import toy_cores, uniform

    r = uniform((int(20_000 / cell), int(40_000 / cell)), 1.0, cell=cell, crs=settings.WORKING_CRS)
    cores = toy_cores({"a": shapely.Point(7_000, 10_000).buffer(6_000), "b": shapely.Point(33_000, 10_000).buffer(6_000)},
                      crs=settings.WORKING_CRS)
    border = gpd.GeoDataFrame({"border_id": ["X-Y"]}, geometry=[shapely.LineString([(10_000, -5_000), (10_000, 25_000)])],
                              crs=settings.WORKING_CRS)
    lk = build_linkages(r, cores, borders=border, adjacency="all").linkages
    assert len(lk) == 1
    assert lk["borders"].iloc[0] == ["X-Y"]
    # the path alone (core edge to core edge) misses the line at 1 km and meets it at 5 km: counted on it,
    # the crossing came and went with the cell size
    assert lk.geometry.iloc[0].intersects(border.geometry.iloc[0]) == (cell == 5000.0)


# ----------------------------------------------------------------- extensions
def test_extension_of_and_role_by_hand():
    from corridors.analyses.programme_network import extension_of, site_role

    assert extension_of({"b": 0.0, "a": 0.0, "c": 5.0}) == "a"
    assert extension_of({"b": 0.0, "a": 0.0}, prefer="b") == "b"  # the population it lies in, when touched
    assert extension_of({"a": 0.0}, prefer="b") == "a"
    assert extension_of({"a": 1.0}) is None
    assert site_role("candidate_reintroduction", "a") == "extension"
    assert site_role("candidate_reintroduction", None) == "reintroduction"
    assert site_role("candidate_protected_area", None) == "new protected area"


def test_a_candidate_touching_a_population_is_an_extension():
    # Uniform resistance on 1 km cells, reach 3 km: population p at (10.5, 10.5) km. Candidate near at 4 km east
    # shares disc cells with p (3 + 3 > 4): least-cost distance 0, an extension of p. Candidate far at 20 km east
    # does not (distance 20 - 2 x 3 = 14 km of cells): a reintroduction.
    from corridors.analyses.network import site_candidates
    from corridors.analyses.programme_network import HabitatLeastCost

    from _helpers import uniform

    r = uniform((21, 41), dtype="float32", crs=settings.WORKING_CRS)
    sites = _sites([("p", "subpopulation", None, "a", 10.5, 10.5), ("near", "candidate_reintroduction", None, "a", 14.5, 10.5),
                    ("far", "candidate_reintroduction", None, "a", 30.5, 10.5)])
    nodes = node_frame(sites[sites["kind"] == "subpopulation"], "equal")
    g = graph_from_nodes(nodes, HabitatLeastCost(r, 3000.0), median_dispersal_m=30_000.0)
    cands = {c.id: c for c in site_candidates(g, node_frame(sites[sites["kind"] != "subpopulation"], "equal"))}
    assert (cands["near"].meta["role"], cands["near"].meta["extends"]) == ("extension", "p")
    assert (cands["far"].meta["role"], cands["far"].meta["extends"]) == ("reintroduction", "")
    assert cands["near"].links["probability"].iloc[0] == pytest.approx(1.0)


def test_the_khorezm_sections_are_extensions_in_the_scenario_tables_and_report(tmp_path):
    # Units 2 and 3 at 5 km cells (the baseline's): both Khorezm NNP sections lie within reach of the LABR
    # population (uz1): their habitat discs overlap uz1's, source_cwd 0; Sudochye-Akpetki, 240 km away,
    # would found a new population.
    from corridors.scenario import run_scenario

    p = tmp_path / "u3.yml"
    p.write_text("name: u3\nbase:\n  population_units: [2, 3]\nlandscape:\n  resolution_m: 5000\n"
                 "scoring:\n  robustness: {draws: 20, dispersal_levels: 1, landscapes: 0}\n")
    res = run_scenario(p, tmp_path / "out")
    st = res.tables["site_scores"]
    for sid in ("cand-khorezm-yangibozor", "cand-khorezm-urgench"):
        assert st.loc[sid, "source_cwd"] == 0.0
        assert (st.loc[sid, "role"], st.loc[sid, "extends"]) == ("extension", "uz1")
    assert st.loc["cand-sudochye-akpetki", "role"] == "reintroduction" and st.loc["cand-sudochye-akpetki", "source_cwd"] > 0
    # the report names them (ids stay in the tables): "Yangibozor section of Khorezm National Nature Park", ...
    ext = [res.tables["sites"].loc[s, "name"] for s in st.index[st["role"] == "extension"]]
    assert f"Extensions, not reintroductions: {', '.join(ext)} already" in (tmp_path / "out" / "report.md").read_text()


# ----------------------------------------------------------------- centrality links only plausible exchange
def test_plausible_exchange_by_hand():
    from corridors.analyses.centrality import plausible_exchange

    cores = gpd.GeoDataFrame({"core_id": ["a", "b", "c", "d", "e"], "river_system": ["amu", "amu", "ile", "syr", None]},
                             geometry=[shapely.Point(0, 0)] * 5)
    links = pd.DataFrame({"core_a": ["a", "a", "a", "e"], "core_b": ["b", "c", "d", "b"],
                          "cwd_m": [1_000_000.0, 300_000.0, 300_001.0, 2_000.0]})
    # one system: linked however far; two systems: only up to 300 km; a core without a system: by distance only
    assert plausible_exchange(links, cores, 300_000.0).tolist() == [True, True, False, True]
    assert plausible_exchange(links, cores, 0.0).tolist() == [True, False, False, False]
    assert plausible_exchange(links, cores, None).tolist() == [True, True, True, True]


def test_centrality_does_not_link_populations_of_two_river_systems_far_apart():
    # A 60 x 10 km uniform landscape, cores of 1 km: a (0.5 km), b (20.5 km) on river 'r1'; c (55.5 km) on 'r2'.
    # Least-cost network a-b (20 km), b-c (35 km). With a 30 km limit b-c is not linked: c is alone, and a and b
    # carry the 1 A of their only pair (cf_central 1 each, as Linkage Mapper counts a pair's two ends).
    from corridors.analyses.centrality import run_centrality

    from _helpers import toy_cores, uniform

    r = uniform((10, 60), 1.0, crs=settings.WORKING_CRS)
    cores = toy_cores({k: shapely.Point(x, 5_500).buffer(1_000) for k, x in (("a", 500), ("b", 20_500), ("c", 55_500))},
                      crs=settings.WORKING_CRS)
    cores["river_system"] = ["r1", "r1", "r2"]
    kept = run_centrality(cores, resistance=r, max_exchange_cwd_m=30_000.0)
    assert list(zip(kept.linkages["core_a"], kept.linkages["core_b"])) == [("a", "b")]
    assert kept.parameters["not_linked"] == ["b-c"]
    cf = kept.cores.set_index("core_id")["cf_central"]
    assert cf["a"] == pytest.approx(1.0) and cf["b"] == pytest.approx(1.0) and cf["c"] == pytest.approx(0.0)
    every = run_centrality(cores, resistance=r, max_exchange_cwd_m=None)
    assert len(every.linkages) == 2 and every.parameters["not_linked"] == []
    # b now lies between a and c: the a-c pair's 1 A flows through it
    assert every.cores.set_index("core_id")["cf_central"]["b"] > 2.0


def test_the_centrality_command_states_the_exchange_limit_of_the_programme():
    from corridors import programme
    from corridors.cli.circuit import centrality_cmd

    opt = {o.name: o for o in centrality_cmd.params}["max_exchange_km"]
    assert f"default {programme.MAX_EXCHANGE_CWD_M / 1000:g}," in opt.help


# ----------------------------------------------------------------- one capacity rule for sites
@pytest.mark.slow
def test_network_what_if_and_scenario_site_table_give_each_candidate_one_capacity_and_one_order(tmp_path):
    # Both take a candidate's capacity from habitat_capacity (suitability-weighted habitat within reach): the
    # scenario's habitat_ha is the what-if's capacity_added, its deer are that x density / 100, its EC gains are
    # the what-if's, and the two put the eight candidate reintroduction sites in one order.
    from corridors.analyses.network import analyse_programme
    from corridors.scenario import load_scenario, run_scenario

    from _helpers import REPO

    a = analyse_programme(link_metrics=False)
    model = load_scenario(REPO / "scenarios" / "baseline.yml")
    model.scoring.robustness.draws = 5
    model.scoring.robustness.dispersal_levels = 1
    st = run_scenario(model, tmp_path / "baseline", quiet=True).tables["sites"]
    w = a.ranking.loc[st.index]
    assert st["habitat_ha"].to_numpy() == pytest.approx(w["capacity_added"].to_numpy(), rel=1e-9)
    assert st["capacity"].to_numpy() == pytest.approx(st["habitat_ha"].to_numpy() / 100 * model.scoring.density_per_km2)
    assert st["ec_gain"].to_numpy() == pytest.approx(w["dEC"].to_numpy(), rel=1e-6)
    assert list(st["ec_gain"].sort_values(ascending=False).index) == list(w["dEC"].sort_values(ascending=False).index)
    assert list(st.loc[st["role"] == "extension", "extends"]) == list(w.loc[st["role"] == "extension", "extends"])
