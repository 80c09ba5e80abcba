"""Circuit engine: conductance graph, solvers and the four modes against answers computed by hand or by networkx."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from affine import Affine

from corridors._errors import ConfigError, DataError, SolverError
from corridors.circuit import (
    advanced,
    apply_ground_policy,
    build_grid_circuit,
    grid_graph,
    network_graph,
    node_currents,
    one_to_all,
    pairwise,
    pairwise_raster,
)
from corridors.circuit.graph import conductance_from_values
from corridors.circuit.solve import estimate_memory
from corridors.raster import Raster


def _nx_grid(cond: np.ndarray, nodemap: np.ndarray, avg_res: bool, eight: bool) -> nx.Graph:
    """Independent construction of Circuitscape's grid graph, edge by edge."""
    g = nx.Graph()
    rows, cols = cond.shape
    offs = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if eight else [])
    for (r, c), n in np.ndenumerate(nodemap):
        if n < 0:
            continue
        g.add_node(int(n))
        for dr, dc in offs:
            r2, c2 = r + dr, c + dc
            if 0 <= r2 < rows and 0 <= c2 < cols and nodemap[r2, c2] >= 0:
                a, b = cond[r, c], cond[r2, c2]
                w = 1 / ((1 / a + 1 / b) / 2) if avg_res else (a + b) / 2
                if dr and dc:
                    w /= math.sqrt(2)
                g.add_edge(int(n), int(nodemap[r2, c2]), weight=w)
    return g


# ------------------------------------------------------------------ graph
@pytest.mark.parametrize("avg_res", [True, False])
@pytest.mark.parametrize("four", [True, False])
def test_grid_laplacian_matches_edge_by_edge_construction(avg_res, four):
    rng = np.random.default_rng(1)
    cond = rng.uniform(0.2, 5.0, (6, 7))
    cond[2, 3] = 0.0
    cond[4, 0] = 0.0
    g = grid_graph(cond, four_neighbors=four, avg_resistances=avg_res)
    assert g.n_nodes == 40
    ref = nx.laplacian_matrix(_nx_grid(cond, g.nodemap, avg_res, not four), nodelist=range(g.n_nodes), weight="weight")
    assert np.allclose(g.laplacian.toarray(), ref.toarray())
    assert np.allclose(g.laplacian.sum(axis=1), 0.0)


def test_link_conductance_rules_by_hand():
    # Two cells of resistance 1 and 3 side by side.
    cond = np.array([[1.0, 1 / 3]])
    r_avg_res = pairwise(grid_graph(cond, avg_resistances=True), [0, 1]).resistances[0, 1]
    r_avg_cond = pairwise(grid_graph(cond, avg_resistances=False), [0, 1]).resistances[0, 1]
    assert r_avg_res == pytest.approx((1 + 3) / 2)  # mean resistance
    assert r_avg_cond == pytest.approx(1 / ((1 + 1 / 3) / 2))  # inverse of mean conductance
    # Diagonal neighbours only: the link is sqrt(2) times longer.
    diag = np.array([[2.0, 0.0], [0.0, 2.0]])
    g = grid_graph(diag)
    assert pairwise(g, [0, 1]).resistances[0, 1] == pytest.approx(math.sqrt(2) / 2)
    assert grid_graph(diag, four_neighbors=True).components.max() == 1  # no link in 4-neighbour mode


def test_conductance_from_resistance_refuses_zero_and_negative():
    with pytest.raises(DataError, match=r"hab.asc, cell \(row 0, col 1\), value 0.0: .*zero or negative"):
        conductance_from_values(np.array([[1.0, 0.0]], dtype="float32"), label="hab.asc")
    with pytest.raises(DataError, match="negative"):
        conductance_from_values(np.array([[1.0, -2.0]]), is_resistance=False)
    g = conductance_from_values(np.array([[2.0, np.nan, 4.0]]))
    assert g.tolist() == [[0.5, 0.0, 0.25]]


# ------------------------------------------------------------------ pairwise
def test_series_resistors_along_a_strip():
    r = np.array([1.0, 2.0, 4.0, 1.0, 3.0])
    g = grid_graph(1 / r[None, :], four_neighbors=True, avg_resistances=True)
    res = pairwise(g, [0, 4], currents=True)
    expected = sum((r[i] + r[i + 1]) / 2 for i in range(4))
    assert res.resistances[0, 1] == pytest.approx(expected)
    # 1 A flows through every cell of a series circuit.
    assert np.allclose(res.cum_current, 1.0)


@pytest.mark.parametrize("solver", ["amg", "direct"])
def test_uniform_strip_with_short_circuited_ends(solver):
    # length x width strip, ends held as focal regions: (length-1)/width links of r in parallel rows.
    length, width, r = 40, 8, 2.5
    hab = Raster(np.full((width, length), r), Affine(1, 0, 0, 0, -1, width))
    focal = np.zeros((width, length), dtype=int)
    focal[:, 0] = 1
    focal[:, -1] = 2
    res = pairwise_raster(hab, focal, four_neighbors=True, solver=solver)
    assert res.resistances[0, 1] == pytest.approx((length - 1) / width * r, rel=1e-7)
    # Current 1/width in every interior cell.
    assert np.allclose(res.cum_current.array[:, 1:-1], 1 / width, rtol=1e-6)


def test_parallel_resistors_two_branches():
    # Two corridors between the end cells: a ring of 4-neighbour cells.
    hab = np.array([[1.0, 1.0, 1.0], [1.0, np.nan, 1.0], [1.0, 1.0, 1.0]])
    g = grid_graph(conductance_from_values(hab), four_neighbors=True)
    a, b = g.nodemap[0, 0], g.nodemap[2, 2]
    # Each branch is 4 links of 1 ohm; two branches in parallel.
    assert pairwise(g, [a, b]).resistances[0, 1] == pytest.approx(2.0)


@pytest.mark.parametrize("solver", ["amg", "direct"])
def test_pairwise_matches_networkx_and_kirchhoff(solver):
    rng = np.random.default_rng(7)
    cond = rng.uniform(0.05, 20.0, (14, 15))
    cond[rng.random(cond.shape) < 0.1] = 0.0
    g = grid_graph(cond, avg_resistances=True)
    big = np.bincount(g.components).argmax()
    nodes = np.nonzero(g.components == big)[0]
    focal = nodes[[0, len(nodes) // 3, len(nodes) // 2, len(nodes) - 1]]
    seen = {}

    def keep(ij, v, cur):
        seen[ij] = (v.copy(), cur.copy())

    res = pairwise(g, focal, solver=solver, currents=True, on_pair=keep)
    gx = _nx_grid(cond, g.nodemap, True, True).subgraph(nodes.tolist())
    for i in range(4):
        for j in range(i + 1, 4):
            ref = nx.resistance_distance(gx, int(focal[i]), int(focal[j]), weight="weight", invert_weight=False)
            assert res.resistances[i, j] == pytest.approx(ref, rel=1e-6)
            assert res.resistances[j, i] == res.resistances[i, j]  # reciprocity
            v, cur = seen[(i, j)]
            # Kirchhoff, in Circuitscape's orientation (core.jl): 1 A into the later point j, out of i.
            b = g.laplacian @ v
            expect = np.zeros(g.n_nodes)
            expect[focal[j]], expect[focal[i]] = 1.0, -1.0
            assert np.abs(b - expect).max() < 1e-6
            # Voltages within [0, R]; j at R, i at 0.
            assert v.min() >= -1e-9 and v.max() <= res.resistances[i, j] + 1e-9
            assert v[focal[j]] == pytest.approx(res.resistances[i, j], rel=1e-7) and v[focal[i]] == 0.0
            assert cur[focal[i]] == pytest.approx(1.0, rel=1e-6) and cur[focal[j]] == pytest.approx(1.0, rel=1e-6)
    assert np.allclose(res.cum_current, sum(c for _, c in seen.values()))
    assert np.allclose(res.max_current, np.max([c for _, c in seen.values()], axis=0))


def test_one_setup_and_n_minus_one_solves_per_component():
    rng = np.random.default_rng(3)
    cond = rng.uniform(0.5, 2.0, (20, 41))
    cond[:, 20] = 0.0  # two components, left and right
    g = grid_graph(cond, four_neighbors=True)
    left = [g.nodemap[0, 0], g.nodemap[10, 5], g.nodemap[19, 19]]
    right = [g.nodemap[0, 21], g.nodemap[19, 40]]
    res = pairwise(g, left + right, solver="amg")
    assert res.stats.setups == 2
    assert res.stats.solves == (3 - 1) + (2 - 1)
    # Pairs across components: -1, as Circuitscape writes them.
    assert (res.resistances[:3, 3:] == -1).all() and (res.resistances[3:, :3] == -1).all()
    assert (res.resistances[:3, :3][~np.eye(3, dtype=bool)] > 0).all()
    # An include list: only pair (0, 1) solved, others -1.
    inc = np.zeros((5, 5), bool)
    inc[0, 1] = True
    r2 = pairwise(g, left + right, pairs=inc)
    assert r2.resistances[0, 1] == pytest.approx(res.resistances[0, 1], rel=1e-7)
    assert r2.resistances[0, 2] == -1 and r2.stats.solves == 1


def test_polygon_short_circuit_and_shared_node():
    # 1 x 5 strip of 1-ohm cells; cells 1-3 are one polygon.
    cond = np.ones((1, 5))
    poly = np.array([[0, 7, 7, 7, 0]])
    g = grid_graph(cond, four_neighbors=True, regions=[poly])
    assert g.n_nodes == 3
    assert (g.nodemap[0, 1:4] == g.nodemap[0, 1]).all()
    res = pairwise(g, [g.nodemap[0, 0], g.nodemap[0, 4], g.nodemap[0, 2]])
    assert res.resistances[0, 1] == pytest.approx(2.0)
    assert res.resistances[0, 2] == pytest.approx(1.0)


def test_disconnected_focal_pair_gives_minus_one_and_no_current():
    cond = np.array([[1.0, 1.0, 0.0, 1.0]])
    g = grid_graph(cond, four_neighbors=True)
    res = pairwise(g, [g.nodemap[0, 0], g.nodemap[0, 3]], currents=True)
    assert res.resistances[0, 1] == -1
    assert not res.cum_current.any()


# ------------------------------------------------------------------ one-to-all / all-to-one
def test_one_to_all_and_all_to_one_on_a_strip():
    # 1 x 5 strip of 1-ohm cells, focal nodes at cells 0, 2 and 4.
    g = grid_graph(np.ones((1, 5)), four_neighbors=True)
    volts = {}
    res = one_to_all(g, [0, 2, 4], on_focal=lambda i, v, c: volts.__setitem__(i[0], v.copy()))
    # From cell 2 both others are grounds: 2 ohm || 2 ohm.
    assert res.resistances.tolist() == pytest.approx([2.0, 1.0, 2.0])
    assert volts[1][2] == pytest.approx(1.0)
    assert volts[0].tolist() == pytest.approx([2.0, 1.0, 0.0, 0.0, 0.0])
    assert res.stats.setups == 1 and res.stats.solves == 3
    # all-to-one with the ground at cell 0: 1 A from cells 2 and 4 each.
    volts.clear()
    res2 = one_to_all(g, [0, 2, 4], reverse=True, on_focal=lambda i, v, c: volts.__setitem__(i[0], v.copy()))
    assert volts[0].tolist() == pytest.approx([0.0, 2.0, 4.0, 5.0, 6.0])
    # Variable strengths: 3 A from cell 4, 1 A from cell 2, ground 0.
    volts.clear()
    one_to_all(g, [0, 2, 4], strengths=[1.0, 1.0, 3.0], reverse=True, on_focal=lambda i, v, c: volts.__setitem__(i[0], v.copy()))
    assert volts[0].tolist() == pytest.approx([0.0, 4.0, 8.0, 11.0, 14.0])
    assert res2.cum_current.max() > 0


# ------------------------------------------------------------------ advanced
def test_advanced_finite_and_direct_grounds():
    g = grid_graph(np.ones((1, 4)), four_neighbors=True)
    src = np.array([1.0, 0, 0, 0])
    res = advanced(g, src, np.array([0, 0, 0, 0.5]))  # 2-ohm ground at cell 3
    assert res.voltages.tolist() == pytest.approx([5.0, 4.0, 3.0, 2.0])
    assert res.currents.tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0])
    res = advanced(g, src, np.array([0, 0, 0, np.inf]))
    assert res.voltages.tolist() == pytest.approx([3.0, 2.0, 1.0, 0.0])
    # Both a source and a ground in one cell: the policies.
    s, gr = apply_ground_policy([1.0, 0, 2.0], [0.0, 1.0, 1.0], "rmvsrc")
    assert s.tolist() == [1.0, 0, 0] and gr.tolist() == [0, 1.0, 1.0]
    s, gr = apply_ground_policy([1.0, 0, 2.0], [0.0, 1.0, 1.0], "rmvgnd")
    assert s.tolist() == [1.0, 0, 2.0] and gr.tolist() == [0, 1.0, 0]
    s, gr = apply_ground_policy([1.0, 0, 2.0], [0.0, 1.0, 1.0], "rmvall")
    assert s.tolist() == [1.0, 0, 0] and gr.tolist() == [0, 1.0, 0]
    # A component without ground carries nothing and does not crash.
    g2 = grid_graph(np.array([[1.0, 1.0, 0.0, 1.0, 1.0]]), four_neighbors=True)
    r2 = advanced(g2, np.array([1.0, 0, 1.0, 0]), np.array([0, np.inf, 0, 0]))
    assert r2.voltages[2:].tolist() == [0.0, 0.0] and r2.voltages[0] == pytest.approx(1.0)


# ------------------------------------------------------------------ networks
def test_network_pairwise_matches_networkx_and_sums_parallel_edges():
    edges = [(1, 2, 2.0), (2, 3, 1.0), (1, 3, 4.0), (3, 4, 0.5), (4, 5, 1.0), (2, 5, 3.0), (1, 2, 2.0)]
    a, b, r = zip(*edges)
    g = network_graph(np.array(a), np.array(b), np.array(r))
    assert g.names.tolist() == [1, 2, 3, 4, 5]
    gx = nx.Graph()
    for u, v, w in edges[:-1]:
        gx.add_edge(u, v, r=w / 2 if (u, v) == (1, 2) else w)  # the duplicate 1-2 halves it
    res = pairwise(g, [0, 2, 4], ids=[1, 3, 5])
    for i, u in enumerate([1, 3, 5]):
        for j, v in enumerate([1, 3, 5]):
            if i != j:
                assert res.resistances[i, j] == pytest.approx(nx.resistance_distance(gx, u, v, weight="r"), rel=1e-9)
    with pytest.raises(DataError, match="branch 1-2.*not > 0"):
        network_graph(np.array([1]), np.array([2]), np.array([0.0]))


def test_node_current_is_throughput():
    # Star: centre node 0 joined to 1, 2, 3 by 1-ohm branches; 1 A from 1 to 2.
    g = network_graph(np.array([0, 0, 0]), np.array([1, 2, 3]), np.ones(3))
    res = pairwise(g, [1, 2], currents=True)
    assert res.cum_current.tolist() == pytest.approx([1.0, 1.0, 1.0, 0.0])
    v = np.array([1.0, 2.0, 0.0, 1.0])
    assert node_currents(g.laplacian, v).tolist() == pytest.approx([1.0, 1.0, 1.0, 0.0])


# ------------------------------------------------------------------ checks
def test_focal_point_on_nodata_is_an_error():
    hab = Raster(np.array([[1.0, -9999.0, 1.0]]), Affine(1, 0, 0, 0, -1, 1), nodata=-9999.0, name="hab.asc")
    with pytest.raises(DataError, match=r"hab.asc: focal id 2 \(cell centre 1\.5, 0\.5; row 1, column 2 from the top left\) lies on a no-data"):
        build_grid_circuit(hab, np.array([[1, 2, 3]]))


def test_memory_estimate_refuses_before_building():
    hab = Raster(np.ones((200, 300)), Affine(1, 0, 0, 0, -1, 200), name="big.tif")
    need = estimate_memory(60000, 8, "amg")
    assert need > 60000 * 9 * 12  # at least the Laplacian
    with pytest.raises(SolverError, match=r"60,000 cells .* needs about [\d.]+ MiB but only [\d.]+ MiB is allowed"):
        build_grid_circuit(hab, memory_limit=need // 2)
    assert estimate_memory(10**6, 8, "direct") > estimate_memory(10**6, 8, "amg")


def test_old_max_memory_spelling_still_works_with_a_deprecation_warning():
    hab = Raster(np.ones((200, 300)), Affine(1, 0, 0, 0, -1, 200), name="big.tif")
    need = estimate_memory(60000, 8, "amg")
    with pytest.warns(DeprecationWarning, match="max_memory= is deprecated.*memory_limit="):
        with pytest.raises(SolverError, match="is allowed"):
            build_grid_circuit(hab, max_memory=need // 2)
    focal = np.zeros((200, 300), dtype=int)
    focal[0, 0], focal[-1, -1] = 1, 2
    with pytest.warns(DeprecationWarning, match="memory_limit="):
        with pytest.raises(SolverError, match="is allowed"):
            pairwise_raster(hab, focal, max_memory=need // 2)
    with pytest.raises(ConfigError, match="give memory_limit only"):
        build_grid_circuit(hab, memory_limit=need, max_memory=need // 2)


def test_one_to_all_agrees_with_advanced_and_kirchhoff_holds():
    # Two independent code paths: one-to-all (interior setup + Dirichlet-to-Neumann map) and
    # advanced mode with the other focal nodes as direct grounds.
    rng = np.random.default_rng(11)
    cond = rng.uniform(0.1, 10.0, (12, 13))
    g = grid_graph(cond)
    focal = [3, 40, 77, 150]
    strengths = [1.0, 2.0, 0.5, 3.0]
    seen = {}
    one_to_all(g, focal, strengths=strengths, on_focal=lambda i, v, c: seen.__setitem__(i[0], (v.copy(), c.copy())))
    for k, f in enumerate(focal):
        src = np.zeros(g.n_nodes)
        src[f] = strengths[k]
        gnd = np.zeros(g.n_nodes)
        gnd[[x for x in focal if x != f]] = np.inf
        adv = advanced(g, src, gnd)
        v, cur = seen[k]
        assert np.allclose(v, adv.voltages, atol=1e-8) and np.allclose(cur, adv.currents, atol=1e-8)
        # Kirchhoff at every node that is not a ground: net current out = injected current.
        free = np.setdiff1d(np.arange(g.n_nodes), [x for x in focal if x != f])
        assert np.abs((g.laplacian @ v)[free] - src[free]).max() < 1e-8
        assert v.min() >= -1e-12 and v.max() == pytest.approx(v[f])  # maximum principle
    # Finite grounds: L v + g v = s everywhere.
    s = np.zeros(g.n_nodes)
    s[[5, 60]] = [1.0, 2.0]
    gr = np.zeros(g.n_nodes)
    gr[[100, 140]] = [0.3, 2.0]
    adv = advanced(g, s, gr)
    assert np.abs(g.laplacian @ adv.voltages + gr * adv.voltages - s).max() < 1e-8
    assert (gr * adv.voltages).sum() == pytest.approx(3.0)  # all injected current reaches ground


def test_circuit_knows_nothing_of_sites():
    # Design rule: data flows one way; the circuit engine must not pull in the sites module.
    import subprocess
    import sys

    code = ("import sys, corridors.circuit, corridors.circuit.ini, corridors.circuit.run, corridors.circuit.out, corridors.circuit.pinch; "
            "print('corridors.sites' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
