"""Tests of the river layer, the river-connectivity graph, along-river distances and `corridors rivers`."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings as hsettings, strategies as st
from shapely.geometry import LineString, Point, Polygon

from corridors import rivers as rv
from corridors import settings
from corridors._errors import ConfigError, DataError

ROOT = Path(__file__).resolve().parent.parent
CRS = settings.WORKING_CRS


# --------------------------------------------------------------------------- synthetic Y network
#
#   B start (-6000, 18000)        A start (0, 20000)
#            \                     |  s1 at (0, 18000), site 100 m east
#   s2 half   \                    |
#   way on B   \                   |
#               `---------------- conf (0, 10000)
#                                  |  s3 at (0, 2000), site 500 m west
#                                  A end (0, 0)
#   C: a second river system, (50000, 0) -> (50000, 10000), site s6 at (50100, 5000).
#
# B runs (6000, -8000) from its start: 10 000 m long; its midpoint is (-3000, 14000).


def _rivers(b_end: tuple[float, float] = (0.0, 10000.0)) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["A", "B", "C"],
            "river": ["a", "b", "c"],
            "river_system": ["a", "a", "c"],
        },
        geometry=[
            LineString([(0, 20000), (0, 0)]),
            LineString([(-6000, 18000), b_end]),
            LineString([(50000, 0), (50000, 10000)]),
        ],
        crs=CRS,
    )


def _sites() -> gpd.GeoDataFrame:
    # s2: B's midpoint moved 200 m along B's normal (0.8, 0.6).
    return gpd.GeoDataFrame(
        {
            "id": ["s1", "s2", "s3", "far", "lost", "s6"],
            "name": ["one", "two", "three", "far away", "unresolved", "six"],
            "kind": ["subpopulation"] * 6,
            "river": [None, "b", None, None, None, "c"],
            "location_status": ["located", "located", "located", "located", "unresolved", "located"],
        },
        geometry=[
            Point(100, 18000),
            Point(-3000 + 0.8 * 200, 14000 + 0.6 * 200),
            Point(-500, 2000),
            Point(20000, 5000),
            None,
            Point(50100, 5000),
        ],
        crs=CRS,
    )


@pytest.fixture(scope="module")
def ygraph() -> nx.MultiGraph:
    return rv.build_river_graph(_rivers(), _sites(), tolerance_m=15_000)


def test_y_network_has_the_hand_counted_nodes_and_reaches(ygraph):
    kinds = {}
    for _, d in ygraph.nodes(data=True):
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    # ends: A start, A end, B start, C start, C end; sites s1, s2, s3, s6; one confluence.
    assert kinds == {"end": 5, "site": 4, "confluence": 1}
    # A is cut at s1, conf, s3 (4 reaches), B at s2 (2), C at s6 (2).
    assert ygraph.number_of_edges() == 8
    (conf,) = [d for _, d in ygraph.nodes(data=True) if d["kind"] == "confluence"]
    assert (conf["x"], conf["y"]) == pytest.approx((0.0, 10000.0), abs=1e-6)
    assert conf["rivers"] == ["a", "b"] and conf["river"] == "a"
    total = sum(d["length_m"] for _, _, d in ygraph.edges(data=True))
    assert total == pytest.approx(20000 + 10000 + 10000, abs=1e-6)
    for u, v, d in ygraph.edges(data=True):
        assert d["geometry"].length == pytest.approx(d["length_m"])
        ends = {tuple(np.round(d["geometry"].coords[0], 6)), tuple(np.round(d["geometry"].coords[-1], 6))}
        nodes = {(round(ygraph.nodes[n]["x"], 6), round(ygraph.nodes[n]["y"], 6)) for n in (u, v)}
        assert ends == nodes


def test_y_network_distances_match_hand_values(ygraph):
    # s1 -> conf 8000, s2 -> conf 5000 (half of B), conf -> s3 8000.
    assert rv.along_river_distance(ygraph, "s1", "s2") == pytest.approx(13000, abs=1e-6)
    assert rv.along_river_distance(ygraph, "s1", "s3") == pytest.approx(16000, abs=1e-6)
    assert rv.along_river_distance(ygraph, "s2", "s3") == pytest.approx(13000, abs=1e-6)
    assert rv.along_river_distance(ygraph, "s2", "s2") == 0.0
    assert rv.along_river_distance(ygraph, "s2", "s2", add_offsets=True) == 0.0
    m = rv.along_river_distances(ygraph, ["s1", "s2"], add_offsets=True)
    assert m.loc["s1", "s2"] == pytest.approx(13300, abs=1e-6) and m.loc["s2", "s2"] == 0.0
    assert rv.along_river_distance(ygraph, "s1", "s2", add_offsets=True) == pytest.approx(13000 + 100 + 200, abs=1e-6)
    # Different river systems: no water connects them.
    assert rv.along_river_distance(ygraph, "s1", "s6") == math.inf


def test_distance_matrix_is_symmetric_and_agrees_with_pairs(ygraph):
    ids = ["s1", "s2", "s3", "s6"]
    m = rv.along_river_distances(ygraph, ids)
    assert list(m.index) == ids and list(m.columns) == ids
    assert np.array_equal(m.to_numpy(), m.to_numpy().T)
    assert np.all(np.diag(m.to_numpy()) == 0)
    for a in ids:
        for b in ids:
            assert m.loc[a, b] == pytest.approx(rv.along_river_distance(ygraph, a, b))
    assert m.loc["s3", "s6"] == math.inf
    # default: every snapped site
    assert sorted(rv.along_river_distances(ygraph).index) == sorted(ids)


def test_path_runs_from_a_to_b_and_has_the_distance_as_length(ygraph):
    line = rv.along_river_path(ygraph, "s3", "s2")
    assert line.length == pytest.approx(13000, abs=1e-6)
    assert Point(line.coords[0]).distance(Point(0, 2000)) < 1e-6
    assert Point(line.coords[-1]).distance(Point(-3000, 14000)) < 1e-6
    assert line.distance(Point(0, 10000)) < 1e-6  # through the confluence
    with pytest.raises(DataError, match="different river systems"):
        rv.along_river_path(ygraph, "s1", "s6")


def test_far_and_unresolved_sites_are_reported_not_snapped(ygraph):
    rep = rv.snap_report(ygraph).set_index("site_id")
    assert rep.loc["far", "status"] == "unsnapped"
    assert rep.loc["far", "distance_m"] == pytest.approx(20000)  # to A at (0, 5000); C is 30 km
    assert rep.loc["far", "river"] == "a"
    assert pd.isna(rep.loc["far", "node"])
    assert rep.loc["lost", "status"] == "unresolved"
    assert rep.loc["s2", "distance_m"] == pytest.approx(200)
    assert rep.loc["s2", "river"] == "b"
    assert "far" not in ygraph.graph["site_nodes"]
    with pytest.raises(DataError, match=r"far.*20\.0 km.*15 km tolerance"):
        rv.along_river_distance(ygraph, "s1", "far")
    with pytest.raises(DataError, match="unresolved"):
        rv.along_river_distance(ygraph, "s1", "lost")
    with pytest.raises(DataError, match="no such site"):
        rv.along_river_distance(ygraph, "s1", "nowhere")
    # A larger tolerance snaps it, 5 km below the confluence on A.
    g = rv.build_river_graph(_rivers(), _sites(), tolerance_m=25_000)
    assert rv.along_river_distance(g, "s1", "far") == pytest.approx(8000 + 5000, abs=1e-6)


def test_tributary_drawn_short_joins_within_join_m_only():
    short = _rivers(b_end=(-18.0, 10024.0))  # 30 m short of A, along B
    joined = rv.build_river_graph(short, False, join_m=50)
    apart = rv.build_river_graph(short, False, join_m=10)
    assert nx.number_connected_components(joined) == 2  # systems a and c
    assert nx.number_connected_components(apart) == 3  # B left loose
    assert sorted(sorted(c) for c in rv.system_components(joined)) == [["a"], ["c"]]
    # B's mouth moved onto A: the reach of B ends exactly on A.
    (conf,) = [d for _, d in joined.nodes(data=True) if d["kind"] == "confluence"]
    assert conf["x"] == pytest.approx(0.0, abs=1e-9)


def test_a_river_drawn_in_pieces_gives_the_same_graph(ygraph):
    split = _rivers()
    piece = split.iloc[[0]].copy()
    split.loc[0, "geometry"] = LineString([(0, 20000), (0, 15000)])
    piece.loc[:, "geometry"] = [LineString([(0, 15000), (0, 0)])]
    g = rv.build_river_graph(gpd.GeoDataFrame(pd.concat([split, piece]), crs=CRS), _sites())
    # The pass-through node at (0, 15000) is dissolved: same nodes, same reaches.
    assert g.number_of_nodes() == ygraph.number_of_nodes()
    assert g.number_of_edges() == ygraph.number_of_edges()
    assert rv.along_river_distance(g, "s1", "s3") == pytest.approx(16000, abs=1e-6)
    edges = rv.river_graph_edges(g)
    a = edges[edges["river"] == "a"]
    # Reaches keep the digitised (downstream, north to south) direction of A.
    for line in a.geometry:
        assert line.coords[0][1] > line.coords[-1][1]
    ys = {n: g.nodes[n]["y"] for n in g.nodes}
    assert all(ys[f] > ys[t] for f, t in zip(a["from_node"], a["to_node"]))


def test_rivers_of_different_systems_never_join():
    lines = gpd.GeoDataFrame(
        {"river": ["p", "q"], "river_system": ["p", "q"]},
        geometry=[LineString([(0, 0), (0, 10000)]), LineString([(5, 10000), (5000, 15000)])],
        crs=CRS,
    )
    g = rv.build_river_graph(lines, False, join_m=1000)
    assert nx.number_connected_components(g) == 2


def test_stated_river_wins_among_rivers_within_tolerance():
    # 300 m east of A and 540 m from B (by hand: offset (300, 500) from the confluence,
    # 220 m along B, 540 m across it): nearest is A, but the site says river b.
    sites = gpd.GeoDataFrame({"id": ["x"], "river": ["b"]}, geometry=[Point(300, 10500)], crs=CRS)
    g = rv.build_river_graph(_rivers(), sites)
    rep = rv.snap_report(g).set_index("site_id")
    assert rep.loc["x", "river"] == "b"
    assert rep.loc["x", "distance_m"] == pytest.approx(540)
    plain = rv.build_river_graph(_rivers(), sites.assign(river=None))
    assert rv.snap_report(plain).set_index("site_id").loc["x", "river"] == "a"


def test_polygon_snaps_to_the_river_inside_it_nearest_its_representative_point():
    square = Polygon([(-1000, 4000), (1000, 4000), (1000, 6000), (-1000, 6000)])
    sites = gpd.GeoDataFrame({"id": ["sq"]}, geometry=[square], crs=CRS)
    g = rv.build_river_graph(_rivers(), sites)
    node = g.nodes[g.graph["site_nodes"]["sq"]]
    rep_pt = square.representative_point()
    assert rv.snap_report(g).loc[0, "distance_m"] == 0.0
    assert (node["x"], node["y"]) == pytest.approx((0.0, rep_pt.y), abs=1e-6)


def test_sites_in_another_crs_are_reprojected():
    sites = _sites().to_crs(4326)
    g = rv.build_river_graph(_rivers(), sites)
    assert rv.along_river_distance(g, "s1", "s3") == pytest.approx(16000, abs=0.01)


@hsettings(max_examples=30, deadline=None)
@given(
    ya=st.floats(min_value=0, max_value=20000),
    yb=st.floats(min_value=0, max_value=10000),
    off=st.floats(min_value=-2000, max_value=2000),
)
def test_distance_is_symmetric_and_never_shorter_than_straight_line(ya, yb, off):
    # One site on A at height ya, one on B at fraction yb/10000 from its start.
    pb = (-6000 + 0.6 * yb, 18000 - 0.8 * yb)
    sites = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[Point(off, ya), Point(pb[0] + 0.8 * off / 4, pb[1] + 0.6 * off / 4)],
        crs=CRS,
    )
    g = rv.build_river_graph(_rivers(), sites, tolerance_m=5000)
    d_ab = rv.along_river_distance(g, "a", "b")
    assert d_ab == pytest.approx(rv.along_river_distance(g, "b", "a"))
    na, nb = (g.nodes[g.graph["site_nodes"][s]] for s in ("a", "b"))
    straight = math.hypot(na["x"] - nb["x"], na["y"] - nb["y"])
    assert d_ab >= straight - 1e-6


def test_bad_options_and_inputs_raise_named_errors(tmp_path):
    with pytest.raises(ConfigError, match="tolerance_m"):
        rv.build_river_graph(_rivers(), False, tolerance_m=-1)
    no_system = _rivers().drop(columns="river_system")
    with pytest.raises(DataError, match="river_system"):
        rv.build_river_graph(no_system, False)
    blank = _rivers()
    blank.loc[2, "river_system"] = " "
    with pytest.raises(DataError, match=r"feature 'c', field 'river_system': empty value"):
        rv.build_river_graph(blank, False)
    pts = gpd.GeoDataFrame({"river": ["a"], "river_system": ["a"]}, geometry=[Point(0, 0)], crs=CRS)
    path = tmp_path / "points.geojson"
    pts.to_crs(4326).to_file(path)
    with pytest.raises(DataError, match=r"points\.geojson.*'a'.*geometry.*Point"):
        rv.load_rivers(path)
    dup = _sites()
    dup.loc[1, "id"] = "s1"
    with pytest.raises(DataError, match="duplicate site id"):
        rv.build_river_graph(_rivers(), dup)
    with pytest.raises(DataError, match="file not found"):
        rv.load_rivers(tmp_path / "nope.geojson")


def test_one_loader_reads_a_file_or_a_folder_with_or_without_the_schema_check(tmp_path):
    folder = tmp_path / "rivers"
    folder.mkdir()
    r = _rivers().assign(id=["ra", "rb", "rc"])
    r.iloc[:2].to_crs(4326).to_file(folder / "a.geojson")
    r.iloc[2:].to_file(folder / "b.gpkg")  # another format, in the working CRS
    (folder / "README.md").write_text("not a layer")
    both = rv.load_rivers(folder)
    assert both["river"].tolist() == ["a", "b", "c"] and CRS.equals(both.crs)
    assert both.columns.tolist() == ["name", "river", "river_system", "source", "approximate", "precision_km", "geometry"]
    raw = rv.load_rivers(folder, check=False)
    assert raw["id"].tolist() == ["ra", "rb", "rc"]  # every field kept, nothing filled in
    assert "approximate" not in raw.columns
    assert rv.load_rivers(folder / "a.geojson", to_crs=None).crs.to_epsg() == 4326
    assert rv.load_rivers(folder, to_crs=None).crs.to_epsg() == 4326  # the first file's CRS
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty: the folder holds no vector file"):
        rv.load_rivers(tmp_path / "empty")


def test_river_files_are_read_once_but_each_caller_gets_its_own_copy(tmp_path):
    a = rv.load_rivers()
    a.loc[0, "river"] = "changed"
    assert rv.load_rivers().loc[0, "river"] != "changed"
    path = tmp_path / "r.gpkg"
    _rivers().to_file(path)
    assert len(rv.load_rivers(path)) == 3
    _rivers().iloc[:1].to_file(path)  # a rewritten file is read again
    assert len(rv.load_rivers(path)) == 1


def test_geopackage_has_nodes_edges_and_unsnapped_layers(ygraph, tmp_path):
    path = rv.river_graph_to_geopackage(ygraph, tmp_path / "g.gpkg", sites=_sites())
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"nodes", "edges", "unsnapped"}
    nodes = gpd.read_file(path, layer="nodes")
    edges = gpd.read_file(path, layer="edges")
    unsnapped = gpd.read_file(path, layer="unsnapped")
    assert len(nodes) == ygraph.number_of_nodes() and len(edges) == ygraph.number_of_edges()
    assert edges["length_m"].sum() == pytest.approx(40000, abs=1e-3)
    assert sorted(unsnapped["site_id"]) == ["far", "lost"]
    assert unsnapped.set_index("site_id").geometry["lost"] is None
    assert CRS.equals(nodes.crs)


# --------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled() -> nx.MultiGraph:
    return rv.build_river_graph()


def test_bundled_layer_has_the_programme_rivers_with_sources():
    r = rv.load_rivers()
    assert set(r["river"]) == {
        "amu_darya", "panj", "vakhsh", "kafirnigan", "surkhandarya", "zarafshon", "syr_darya", "naryn", "ile"
    }
    assert set(r["river_system"]) == {"amu_darya", "zarafshon", "syr_darya", "ile"}
    hand = r[r["approximate"]]
    assert set(hand["river"]) == {"vakhsh", "kafirnigan", "surkhandarya"}
    assert hand["source"].str.startswith("hand-traced approximate").all()
    assert (~r["approximate"]).sum() and r.loc[~r["approximate"], "source"].str.startswith("Natural Earth 1:10m").all()
    assert r["precision_km"].notna().all()
    # Tributary mouths lie on their main river, so confluences are exact.
    main = r[r["river"].isin(["amu_darya", "panj"])].union_all()
    for trib in ("vakhsh", "kafirnigan", "surkhandarya"):
        (line,) = r.loc[r["river"] == trib, "geometry"]
        assert Point(line.coords[-1]).distance(main) < 1.0, trib
    # The Zarafshon ends in the desert west of Bukhara, tens of km short of the Amu Darya.
    (zar,) = r.loc[r["river"] == "zarafshon", "geometry"]
    amu = r.loc[r["river"] == "amu_darya"].union_all()
    assert Point(zar.coords[-1]).distance(amu) > 20_000


def test_bundled_components_are_the_river_systems(bundled):
    comps = rv.system_components(bundled)
    assert sorted(next(iter(c)) for c in comps) == ["amu_darya", "ile", "syr_darya", "zarafshon"]
    assert all(len(c) == 1 for c in comps)
    rivers_of_amu = {d["river"] for _, _, d in bundled.edges(data=True) if d["river_system"] == "amu_darya"}
    assert rivers_of_amu == {"amu_darya", "panj", "vakhsh", "kafirnigan", "surkhandarya"}
    confluence_rivers = [set(d["rivers"]) for _, d in bundled.nodes(data=True) if d["kind"] == "confluence"]
    assert {"amu_darya", "panj", "vakhsh"} in confluence_rivers


def test_bundled_subpopulations_distances(bundled):
    from corridors.sites import load_sites

    sites = load_sites()
    subs = sites.loc[sites["kind"] == "subpopulation", "id"].tolist()
    assert len(subs) == 13
    m = rv.along_river_distances(bundled, subs)
    assert np.array_equal(m.to_numpy(), m.to_numpy().T)
    nodes = {s: bundled.nodes[bundled.graph["site_nodes"][s]] for s in subs}
    for a in subs:
        for b in subs:
            straight = math.hypot(nodes[a]["x"] - nodes[b]["x"], nodes[a]["y"] - nodes[b]["y"])
            assert m.loc[a, b] >= straight - 1e-6
            same = sites.set_index("id").loc[a, "river_system"] == sites.set_index("id").loc[b, "river_system"]
            assert math.isfinite(m.loc[a, b]) == same, (a, b)
    # Tj1 to Uz1 runs down the Vakhsh and the whole Amu Darya: roughly 1000 km on 1:10m lines.
    assert 800_000 < m.loc["tj1", "uz1"] < 1_300_000
    unresolved = set(sites.loc[sites["location_status"] == "unresolved", "id"])
    rep = rv.snap_report(bundled)
    assert set(rep.loc[rep["status"] == "unresolved", "site_id"]) == unresolved


def test_committed_layer_is_what_the_build_script_makes():
    spec = importlib.util.spec_from_file_location("build_rivers", ROOT / "scripts" / "build_rivers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    built = mod.build()
    committed = gpd.read_file(ROOT / "data" / "rivers" / "rivers.geojson")
    assert list(built["river"]) == list(committed["river"])
    for a, b in zip(built.geometry, committed.geometry):
        assert shapely.equals_exact(a, b, tolerance=1e-6)

