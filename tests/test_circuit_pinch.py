"""Pinch points of least-cost corridors and current-flow centrality, on grids and graphs whose answers are known.

The commands are tested in test_cli_circuit_pinch.py and test_cli_circuit_centrality.py.
"""

from __future__ import annotations

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from affine import Affine
from shapely.geometry import box

from corridors import linkages
from corridors._errors import ConfigError, DataError
from corridors.circuit.pinch import centrality, corridor_current, linkage_centrality, pinch_points
from corridors.raster import Raster

from _helpers import toy_cores, uniform, walled

CS = 1000.0


def test_corridor_current_strip_series_and_pinch():
    # A 1-cell-wide corridor between two 1-cell cores: series resistors, 1 A everywhere.
    res = uniform((5, 9), 2.0, cell=1.0, crs=None)
    corr = np.zeros((5, 9), bool)
    corr[2, :] = True
    a = np.zeros((5, 9), bool)
    b = np.zeros((5, 9), bool)
    a[2, 0] = True
    b[2, 8] = True
    cc = corridor_current(res, corr, a, b, four_neighbors=True)
    assert cc.effective_resistance == pytest.approx(8 * 2.0)
    assert np.allclose(cc.current.array[2, 1:8], 1.0)
    assert np.isnan(cc.current.array[2, 0]) and np.isnan(cc.current.array[0, 4])  # cores masked, outside NaN
    assert cc.voltage.array[2, 0] == pytest.approx(16.0) and cc.voltage.array[2, 8] == pytest.approx(0.0)
    with pytest.raises(DataError, match="share cells"):
        corridor_current(res, corr, a, a)


def test_pinch_points_of_a_linkage_through_a_gap():
    res = walled()
    cores = toy_cores({"A": box(2 * CS, 7 * CS, 5 * CS, 13 * CS), "B": box(25 * CS, 7 * CS, 28 * CS, 13 * CS)})
    links = linkages.build_linkages(res, cores, truncate_m=15_000, adjacency="all")
    p = pinch_points(links)
    cur = p.current.array
    # All of the 1 A squeezes through the gap: the pinch point.
    assert cur[10, 15] == pytest.approx(1.0, rel=1e-6)
    assert np.nanmax(np.delete(cur, 15, axis=1)) < 1.0
    row = p.table.iloc[0]
    assert row["eff_resist"] > 0 and row["cwd_to_eff_resist"] == pytest.approx(row["cwd_m"] / row["eff_resist"])
    assert row["max_current"] == pytest.approx(1.0, rel=1e-6)
    # A wider corridor holds more parallel paths: lower effective resistance.
    wide = pinch_points(links, cutoff_m=None)
    assert wide.table.iloc[0]["eff_resist"] < row["eff_resist"]


def test_centrality_matches_networkx_current_flow_betweenness():
    edges = [("a", "b", 1.0), ("b", "c", 2.0), ("a", "c", 1.5), ("c", "d", 1.0), ("d", "e", 3.0), ("b", "d", 2.0), ("x", "y", 4.0)]
    a, b, r = zip(*edges)
    nodes, links = centrality(a, b, r, nodes=["lonely"])
    g = nx.Graph()
    for u, v, w in edges[:-1]:  # without the separate x-y pair
        g.add_edge(u, v, weight=1 / w)
    ref = nx.current_flow_betweenness_centrality(g, normalized=False, weight="weight")
    by = nodes.set_index("node")
    for n, val in ref.items():
        assert by.loc[n, "cf_betweenness"] == pytest.approx(val, rel=1e-9)
        # Circuitscape's cumulative current adds 1 A for each of the k - 1 pairs the node ends.
        assert by.loc[n, "cf_central"] == pytest.approx(val + 4, rel=1e-9)
    ref_e = nx.edge_current_flow_betweenness_centrality(g, normalized=False, weight="weight")
    lk = {frozenset((u, v)): c for u, v, c in zip(links["node_a"], links["node_b"], links["cf_central"])}
    for (u, v), val in ref_e.items():
        assert lk[frozenset((u, v))] == pytest.approx(2 * val, rel=1e-9)
    # Pendant node e: only its own 4 pairs pass through it; the x-y pair is its own component.
    assert by.loc["e", "cf_central"] == pytest.approx(4.0)
    assert by.loc["x", "cf_central"] == pytest.approx(1.0) and by.loc["lonely", "cf_central"] == 0.0
    assert lk[frozenset(("d", "e"))] == pytest.approx(4.0)


def test_linkage_centrality_on_a_chain_of_cores():
    # Three cores in a row: the middle one carries the A-C current.
    res = uniform((10, 40), cell=CS, crs=None, name="flat")
    cores = toy_cores({"A": box(1 * CS, 3 * CS, 4 * CS, 7 * CS), "B": box(18 * CS, 3 * CS, 22 * CS, 7 * CS),
                       "C": box(36 * CS, 3 * CS, 39 * CS, 7 * CS)})
    links = linkages.build_linkages(res, cores, truncate_m=5_000)
    assert sorted(zip(links.linkages["core_a"], links.linkages["core_b"])) == [("A", "B"), ("B", "C")]
    c, lk = linkage_centrality(links)
    cf = dict(zip(c["core_id"], c["cf_central"]))
    assert cf["B"] == pytest.approx(3.0) and cf["A"] == pytest.approx(2.0) and cf["C"] == pytest.approx(2.0)
    assert lk["cf_central"].tolist() == pytest.approx([2.0, 2.0])
    with pytest.raises(DataError, match="no column 'nope'"):
        linkage_centrality(links, weight="nope")


def test_run_centrality_is_a_function_writing_its_files_and_provenance(tmp_path):
    # The centrality step without click: data in, a result out, result.write(outdir).
    from corridors.analyses.centrality import run_centrality
    from corridors.settings import WORKING_CRS

    res = Raster(np.ones((10, 40)), Affine(CS, 0, 0, 0, -CS, 10 * CS), WORKING_CRS, None, "flat")
    cores = gpd.GeoDataFrame({"core_id": ["A", "B", "C"]}, crs=WORKING_CRS,
                             geometry=[box(1 * CS, 3 * CS, 4 * CS, 7 * CS), box(18 * CS, 3 * CS, 22 * CS, 7 * CS), box(36 * CS, 3 * CS, 39 * CS, 7 * CS)])
    result = run_centrality(cores, resistance=res, truncate_m=5_000)
    assert dict(zip(result.cores["core_id"], result.cores["cf_central"]))["B"] == pytest.approx(3.0)
    written = result.write(tmp_path / "c", map=False)
    assert [p.name for p in written] == ["centrality.gpkg", "centrality_cores.csv", "centrality_linkages.csv", "provenance.json"]
    prov = json.loads((tmp_path / "c" / "provenance.json").read_text())
    assert prov["command"] == "corridors circuit centrality" and prov["parameters"]["weight"] == "cwd_m"
    with pytest.raises(ConfigError, match="resolution_m"):
        run_centrality(cores, resistance=res, resolution_m=500.0)
