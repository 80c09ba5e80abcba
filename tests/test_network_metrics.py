"""Connectivity metrics (IIC, PC, EC, dPC fractions, link importance, BCPC) on graphs whose answers are worked out by hand."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridors._errors import ConfigError, DataError, OutputError
from corridors.network import (
    build_graph,
    connectivity,
    dispersal_k,
    equivalent_connected_area,
    iic,
    pc,
    probability_matrix,
    read_conefor,
    write_conefor,
    write_results,
)

from _helpers import toy_graph


def _naive_pcnum(caps: dict[str, float], links: list[tuple[str, str, float]], drop_node=None, drop_link=None) -> float:
    """Reference: networkx all-pairs Dijkstra on -ln p, everything recomputed."""
    g = nx.Graph()
    g.add_nodes_from(n for n in caps if n != drop_node)
    for a, b, p in links:
        if drop_node in (a, b) or (drop_link is not None and {a, b} == set(drop_link)) or p <= 0:
            continue
        w = -math.log(p)
        if g.has_edge(a, b):
            w = min(w, g[a][b]["w"])
        g.add_edge(a, b, w=w)
    tot = 0.0
    for s, dist in nx.all_pairs_dijkstra_path_length(g, weight="w"):
        for t, d in dist.items():
            tot += caps[s] * caps[t] * math.exp(-d)
    return tot


def _naive_iicnum(caps, links, drop_node=None) -> float:
    """Reference: networkx breadth-first topological distances, everything recomputed."""
    g = nx.Graph()
    g.add_nodes_from(n for n in caps if n != drop_node)
    g.add_edges_from((a, b) for a, b, p in links if p > 0 and drop_node not in (a, b))
    return sum(caps[s] * caps[t] / (1 + nl) for s, d in nx.all_pairs_shortest_path_length(g) for t, nl in d.items())


# ----------------------------------------------------------------- by hand
def test_two_patches_by_hand():
    # a = 2, b = 3, p = 0.5: PCnum = 4 + 9 + 2 * 2 * 3 * 0.5 = 19; A_L = 10
    g = toy_graph({"a": 2, "b": 3}, [("a", "b", 0.5)], landscape_area=10)
    r = connectivity(g)
    assert r.summary["PCnum"] == pytest.approx(19.0)
    assert r.summary["PC"] == pytest.approx(0.19)
    assert r.summary["EC_PC"] == pytest.approx(math.sqrt(19.0))
    # IIC: 4 + 9 + 2 * 6 / 2 = 19 as well (one link)
    assert r.summary["IIC"] == pytest.approx(0.19)
    # removing a leaves 9: dPC_a = 100 * 10 / 19; intra 4, flux 2*2*3*.5 = 6, connector 0
    na = r.nodes.loc["a"]
    assert na["dPC"] == pytest.approx(1000 / 19)
    assert na["dPCintra"] == pytest.approx(400 / 19)
    assert na["dPCflux"] == pytest.approx(600 / 19)
    assert na["dPCconnector"] == 0.0
    assert r.nodes.loc["b"]["dPC"] == pytest.approx(100 * (19 - 4) / 19)


def test_three_in_a_line_by_hand():
    # a(1) -0.5- b(2) -0.4- c(3); p*_ac = 0.2 through b
    caps = {"a": 1.0, "b": 2.0, "c": 3.0}
    g = toy_graph(caps, [("a", "b", 0.5), ("b", "c", 0.4)], landscape_area=10)
    pm = probability_matrix(g)
    assert pm[0, 2] == pytest.approx(0.2)
    assert pm[2, 0] == pytest.approx(0.2)
    # PCnum = 1 + 4 + 9 + 2 * (1*2*.5 + 2*3*.4 + 1*3*.2) = 14 + 8 = 22
    r = connectivity(g, links=True)
    assert r.summary["PCnum"] == pytest.approx(22.0)
    assert pc(g) == pytest.approx(0.22)
    nb = r.nodes.loc["b"]
    assert nb["dPCintra"] == pytest.approx(100 * 4 / 22)
    assert nb["dPCflux"] == pytest.approx(100 * 2 * 2 * (1 * 0.5 + 3 * 0.4) / 22)
    assert nb["dPCconnector"] == pytest.approx(100 * 2 * 1 * 3 * 0.2 / 22)
    assert nb["dPC"] == pytest.approx(100 * (22 - 10) / 22)  # a and c alone: 1 + 9
    # BCPC of b: both ordered pairs (a, c), (c, a): 2 * 1 * 3 * 0.2
    assert nb["BCPC"] == pytest.approx(1.2)
    assert r.nodes.loc["a", "BCPC"] == 0.0
    assert nb["BC"] == pytest.approx(1.0)  # one unordered pair through b
    # removing link b-c leaves a-b only: 1 + 4 + 9 + 2*2*.5 = 16
    lbc = r.links[(r.links["i"] == "b") & (r.links["j"] == "c")].iloc[0]
    assert lbc["dPC"] == pytest.approx(100 * (22 - 16) / 22)


def test_star_centre_is_the_connector():
    # centre c (capacity 0), four leaves of capacity 1, each link p = 0.5:
    # leaf-leaf p* = 0.25; PCnum = 4 + 2 * C(4, 2) * 0.25 = 7 (the centre adds nothing itself)
    caps = {"c": 0.0, "l1": 1.0, "l2": 1.0, "l3": 1.0, "l4": 1.0}
    g = toy_graph(caps, [("c", f"l{i}", 0.5) for i in range(1, 5)])
    r = connectivity(g)
    assert r.summary["PCnum"] == pytest.approx(7.0)
    c = r.nodes.loc["c"]
    assert c["dPCintra"] == 0.0 and c["dPCflux"] == 0.0
    assert c["dPCconnector"] == pytest.approx(100 * 3 / 7)
    assert r.nodes.loc["l1", "dPCconnector"] == 0.0
    # default A_L is the total capacity (4): PC = 7 / 16
    assert r.summary["PC"] == pytest.approx(7 / 16)
    # IIC: leaf-leaf nl = 2 -> 4 + 12 / 3 = 8
    assert r.summary["IICnum"] == pytest.approx(8.0)


def test_iic_on_a_path_graph():
    # four unit nodes in a path: nl 1, 2, 3 for 3, 2, 1 pairs; both directions
    g = toy_graph({k: 1.0 for k in "abcd"}, [("a", "b", 0.9), ("b", "c", 0.1), ("c", "d", 0.5)], landscape_area=4)
    expected = (4 + 2 * (3 / 2 + 2 / 3 + 1 / 4)) / 16
    assert iic(g) == pytest.approx(expected)
    r = connectivity(g)
    # removing b: a alone, c-d linked -> 1 + 2 + 2*(1/2) = 4; numerator before = 16 * expected
    num = 16 * expected
    assert r.nodes.loc["b", "dIIC"] == pytest.approx(100 * (num - 4) / num)
    # b is the inner node of paths a-c and a-d: connector (1/3 + 1/4) * 2
    assert r.nodes.loc["b", "dIICconnector"] == pytest.approx(100 * 2 * (1 / 3 + 1 / 4) / num)


def test_ec_is_total_capacity_when_every_p_is_one():
    caps = {"a": 3.0, "b": 5.0, "c": 7.0}
    g = toy_graph(caps, [("a", "b", 1.0), ("b", "c", 1.0)])
    assert equivalent_connected_area(g) == pytest.approx(15.0)
    assert pc(g) == pytest.approx(1.0)


def test_isolated_node_has_no_connector_or_flux():
    g = toy_graph({"a": 1.0, "b": 2.0, "z": 4.0}, [("a", "b", 0.3)])
    r = connectivity(g)
    z = r.nodes.loc["z"]
    assert z["dPCconnector"] == 0.0 and z["dPCflux"] == 0.0
    assert z["dPC"] == pytest.approx(z["dPCintra"])
    assert r.summary["n_components"] == 2
    assert r.nodes.loc["a", "component"] == r.nodes.loc["b", "component"] != r.nodes.loc["z", "component"]


def test_probability_from_median_distance_and_cutoff():
    assert dispersal_k(1000.0) == pytest.approx(math.log(2) / 1000)
    nodes = pd.DataFrame({"id": ["a", "b", "c"], "capacity": [1.0, 1.0, 1.0]})
    links = pd.DataFrame({"i": ["a", "b", "a"], "j": ["b", "c", "c"], "distance_m": [1000.0, 2000.0, 5000.0]})
    g = build_graph(nodes, links, median_dispersal_m=1000.0, max_distance_m=3000.0)
    assert list(g.links["probability"]) == pytest.approx([0.5, 0.25])
    assert len(g.links) == 2  # a-c beyond the cut-off


def test_border_permeability_multiplies_p():
    nodes = pd.DataFrame({"id": ["a", "b"], "capacity": [1.0, 1.0]})
    links = pd.DataFrame({"i": ["a"], "j": ["b"], "probability": [0.8], "borders": [["TJK-UZB"]]})
    g = build_graph(nodes, links, permeability={"TJK-UZB": 0.25})
    assert g.links["probability"].iloc[0] == pytest.approx(0.2)
    assert g.links["permeability"].iloc[0] == pytest.approx(0.25)
    with pytest.raises(ConfigError, match="TJK-UZB"):
        build_graph(nodes, links, permeability={"TJK-UZB": 1.5})
    # borders read back from a file: ';'-joined text (io.decode_list), blanks and missing values are no border
    three = pd.DataFrame({"id": ["a", "b", "c"], "capacity": [1.0, 1.0, 1.0]})
    text = pd.DataFrame({"i": ["a", "b"], "j": ["b", "c"], "probability": [0.8, 0.5], "borders": ["TJK-UZB; KAZ-UZB", float("nan")]})
    g = build_graph(three, text, permeability={"TJK-UZB": 0.5, "KAZ-UZB": 0.5})
    assert g.links["borders"].tolist() == [["TJK-UZB", "KAZ-UZB"], []]
    assert g.links["probability"].tolist() == pytest.approx([0.2, 0.5])


# ----------------------------------------------------------------- against the naive reference
def _random_graph(seed: int, n: int = 14, extra: int = 10):
    rng = np.random.default_rng(seed)
    caps = {f"n{i}": float(rng.integers(0, 20)) for i in range(n)}
    links = []
    for i in range(1, n):  # a random tree plus a few extra links: paths of several hops
        links.append((f"n{rng.integers(0, i)}", f"n{i}", float(rng.uniform(0.05, 1.0))))
    for _ in range(extra):
        a, b = rng.choice(n, 2, replace=False)
        links.append((f"n{a}", f"n{b}", float(rng.uniform(0.0, 1.0))))
    return caps, links


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_node_and_link_importance_match_naive_recompute(seed):
    caps, links = _random_graph(seed)
    g = toy_graph(caps, links)
    r = connectivity(g, links=True)
    base = _naive_pcnum(caps, links)
    assert r.summary["PCnum"] == pytest.approx(base)
    for k in caps:
        expect = 100 * (base - _naive_pcnum(caps, links, drop_node=k)) / base
        row = r.nodes.loc[k]
        assert row["dPC"] == pytest.approx(expect, abs=1e-9)
        assert row["dPCintra"] + row["dPCflux"] + row["dPCconnector"] == pytest.approx(row["dPC"])
        assert row["dPCconnector"] >= 0
    for rec in r.links.itertuples():
        expect = 100 * (base - _naive_pcnum(caps, links, drop_link=(rec.i, rec.j))) / base
        assert rec.dPC == pytest.approx(expect, abs=1e-9)
    ibase = _naive_iicnum(caps, links)
    assert r.summary["IICnum"] == pytest.approx(ibase)
    for k in caps:
        assert r.nodes.loc[k, "dIIC"] == pytest.approx(100 * (ibase - _naive_iicnum(caps, links, drop_node=k)) / ibase, abs=1e-9)


def test_bcpc_matches_path_enumeration():
    caps, links = _random_graph(7, n=10, extra=6)
    g = toy_graph(caps, links)
    r = connectivity(g)
    pm = probability_matrix(g)
    nxg = g.to_networkx()
    ids = g.ids
    expect = dict.fromkeys(ids, 0.0)
    for s, paths in nx.all_pairs_dijkstra_path(nxg, weight="weight"):
        for t, path in paths.items():
            for k in path[1:-1]:
                expect[k] += caps[s] * caps[t] * pm[ids.index(s), ids.index(t)]
    # random float weights: no ties, so the best path is unique
    for k in ids:
        assert r.nodes.loc[k, "BCPC"] == pytest.approx(expect[k])


# ----------------------------------------------------------------- properties
@st.composite
def _graphs(draw):
    n = draw(st.integers(2, 8))
    caps = {f"n{i}": draw(st.one_of(st.just(0.0), st.floats(0.001, 100))) for i in range(n)}
    pairs = [(f"n{i}", f"n{j}") for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    links = [(a, b, draw(st.floats(0, 1))) for a, b in chosen]
    return caps, links, pairs


@settings(max_examples=40, deadline=None)
@given(_graphs())
def test_ec_never_exceeds_total_capacity(data):
    caps, links, _ = data
    g = toy_graph(caps, links)
    assert equivalent_connected_area(g) <= sum(caps.values()) * (1 + 1e-12) + 1e-12
    if sum(caps.values()) > 0:
        assert pc(g) <= 1 + 1e-12
    else:
        assert math.isnan(pc(g))


@settings(max_examples=40, deadline=None)
@given(_graphs(), st.data())
def test_adding_a_link_never_lowers_pc(data, more):
    caps, links, pairs = data
    extra = (*more.draw(st.sampled_from(pairs)), more.draw(st.floats(0, 1)))
    before = equivalent_connected_area(toy_graph(caps, links))
    after = equivalent_connected_area(toy_graph(caps, links + [extra]))
    assert after >= before * (1 - 1e-12)


@settings(max_examples=25, deadline=None)
@given(_graphs())
def test_fractions_always_sum_to_dpc(data):
    caps, links, _ = data
    if sum(caps.values()) == 0:
        return
    r = connectivity(toy_graph(caps, links), betweenness=False)
    total = r.nodes["dPCintra"] + r.nodes["dPCflux"] + r.nodes["dPCconnector"]
    np.testing.assert_allclose(total, r.nodes["dPC"], atol=1e-9)
    assert (r.nodes["dPCconnector"] >= -1e-12).all()


# ----------------------------------------------------------------- bad input
def test_unknown_node_in_links():
    with pytest.raises(DataError, match="'zz' is not in the node table"):
        toy_graph({"a": 1, "b": 1}, [("a", "zz", 0.5)])


def test_duplicate_nodes():
    nodes = pd.DataFrame({"id": ["a", "a"], "capacity": [1.0, 2.0]})
    with pytest.raises(DataError, match="duplicate node id"):
        build_graph(nodes, pd.DataFrame({"i": [], "j": [], "probability": []}))


def test_negative_distance_and_bad_probability():
    nodes = pd.DataFrame({"id": ["a", "b"], "capacity": [1.0, 2.0]})
    with pytest.raises(DataError, match="distance -5"):
        build_graph(nodes, pd.DataFrame({"i": ["a"], "j": ["b"], "distance_m": [-5.0]}), k=0.001)
    with pytest.raises(DataError, match="probability 1.5"):
        build_graph(nodes, pd.DataFrame({"i": ["a"], "j": ["b"], "probability": [1.5]}))
    with pytest.raises(ConfigError, match="median_dispersal_m"):
        build_graph(nodes, pd.DataFrame({"i": ["a"], "j": ["b"], "distance_m": [5.0]}))


def test_negative_capacity_and_small_landscape():
    nodes = pd.DataFrame({"id": ["a", "b"], "capacity": [1.0, -2.0]})
    with pytest.raises(DataError, match="capacity"):
        build_graph(nodes, pd.DataFrame({"i": ["a"], "j": ["b"], "probability": [0.5]}))
    with pytest.raises(ConfigError, match="landscape_area"):
        toy_graph({"a": 5, "b": 5}, [("a", "b", 0.5)], landscape_area=3)


# ----------------------------------------------------------------- Conefor files
def test_conefor_round_trip(tmp_path):
    caps, links = _random_graph(4, n=9, extra=5)
    nodes = pd.DataFrame({"id": [c[1:] for c in caps], "capacity": list(caps.values())})
    lk = pd.DataFrame([(a[1:], b[1:], p) for a, b, p in links], columns=["i", "j", "probability"])
    g = build_graph(nodes, lk, landscape_area=500.0)
    write_conefor(g, tmp_path / "nodes.txt", tmp_path / "conns.txt")
    g2 = read_conefor(tmp_path / "nodes.txt", tmp_path / "conns.txt", kind="probability", landscape_area=500.0)
    assert g2.ids == g.ids
    np.testing.assert_allclose(g2.capacity, g.capacity)
    pd.testing.assert_frame_equal(g2.links[["i", "j", "probability"]], g.links[["i", "j", "probability"]])
    assert pc(g2) == pytest.approx(pc(g))


def test_conefor_distances_and_text_ids(tmp_path):
    (tmp_path / "n.txt").write_text("1\t10\n2\t20\n3 30.5\n")
    (tmp_path / "c.txt").write_text("1 2 1000\n2 3 2000\n3 2 2000\n")
    g = read_conefor(tmp_path / "n.txt", tmp_path / "c.txt", median_dispersal_m=1000.0)
    assert g.ids == ["1", "2", "3"]
    assert list(g.links["probability"]) == pytest.approx([0.5, 0.25])
    # text ids are numbered for Conefor, with a map written alongside
    g3 = toy_graph({"x": 1.0, "y": 2.0}, [("x", "y", 0.5)])
    back = write_conefor(g3, tmp_path / "t_nodes.txt", tmp_path / "t_conns.txt")
    assert back == {"1": "x", "2": "y"}
    assert (tmp_path / "t_nodes_ids.csv").exists()
    assert (tmp_path / "t_conns.txt").read_text().split() == ["1", "2", "0.5"]


def test_conefor_bad_lines(tmp_path):
    (tmp_path / "n.txt").write_text("1 10\n2\n")
    (tmp_path / "c.txt").write_text("1 2 0.5\n")
    with pytest.raises(DataError, match="n.txt, line 2"):
        read_conefor(tmp_path / "n.txt", tmp_path / "c.txt", kind="probability")
    (tmp_path / "n.txt").write_text("1 10\n2 5\n")
    (tmp_path / "c.txt").write_text("1 9 0.5\n")
    with pytest.raises(DataError, match="'9' is not in the node table"):
        read_conefor(tmp_path / "n.txt", tmp_path / "c.txt", kind="probability")


def test_p_min_truncates_small_probabilities_only():
    # chain a-b-c-d, each link 0.1: p*_ad = 1e-3 is dropped at p_min = 0.005, nothing else is
    g = toy_graph({k: 1.0 for k in "abcd"}, [("a", "b", 0.1), ("b", "c", 0.1), ("c", "d", 0.1)])
    exact = probability_matrix(g)
    cut = probability_matrix(g, p_min=0.005)
    assert exact[0, 3] == pytest.approx(1e-3) and cut[0, 3] == 0.0
    assert cut[0, 2] == pytest.approx(0.01)
    assert pc(g, p_min=0.005) == pytest.approx(pc(g) - 2 * 1e-3 / 16)
    r = connectivity(g, p_min=0.005)
    np.testing.assert_allclose(r.nodes["dPCintra"] + r.nodes["dPCflux"] + r.nodes["dPCconnector"], r.nodes["dPC"])
    with pytest.raises(ConfigError, match="p_min"):
        pc(g, p_min=1.5)


# ----------------------------------------------------------------- writing the results
def test_write_results_data_first_and_old_order_deprecated(tmp_path):
    nodes = pd.DataFrame({"id": ["a", "b"], "capacity": [1.0, 2.0]})
    links = pd.DataFrame({"i": ["a"], "j": ["b"], "probability": [0.8], "borders": [["TJK-UZB", "KAZ-UZB"]]})
    g = build_graph(nodes, links)
    conn = connectivity(g, links=True, quiet=True)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"new: the folder holds files corridors did not write \(keep.txt\)"):
        write_results(g, conn, tmp_path / "new")
    (tmp_path / "new" / "keep.txt").unlink()
    files = write_results(g, conn, tmp_path / "new")
    assert sorted(files) == ["links", "nodes", "provenance", "summary"]  # no geometry: no GeoPackage
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [
        ".corridors-output.json", "network_links.csv", "network_nodes.csv", "network_summary.csv", "provenance.json"]
    assert pd.read_csv(files["links"])["borders"].tolist() == ["TJK-UZB;KAZ-UZB"]
    with pytest.warns(DeprecationWarning, match="data first"):
        old = write_results(str(tmp_path / "old"), g, conn)
    for key in ("links", "nodes", "summary"):
        assert old[key].read_bytes() == files[key].read_bytes()
