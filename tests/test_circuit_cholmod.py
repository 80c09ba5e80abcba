"""The sparse Cholesky solver (CHOLMOD through cvxopt): the same answers as SuperLU and AMG, batched right-hand sides, the residual check, the memory model."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from corridors._errors import ConfigError, MemoryLimitError, SolverError
from corridors.circuit import grid_graph, pairwise, read_ini
from corridors.circuit.solve import CIRCUITSCAPE_SOLVERS, GroundedSolver, check_memory, estimate_memory


def _grounded(rows: int = 40, cols: int = 50, seed: int = 1):
    """A random 8-neighbour grid Laplacian (resistances 1-100), grounded at one node."""
    rng = np.random.default_rng(seed)
    g = grid_graph(1.0 / rng.uniform(1.0, 100.0, (rows, cols)))
    a = sp.csr_array(g.laplacian, copy=True)
    a[0, 0] = a[0, 0] * 2.0
    return g, a, rng


def test_cholmod_matches_superlu_and_amg():
    _, a, rng = _grounded()
    b = rng.standard_normal((a.shape[0], 5))
    xc = GroundedSolver(a, "cholmod").solve(b)
    xd = GroundedSolver(a, "direct").solve(b)
    xa = GroundedSolver(a, "amg", rtol=1e-13).solve(b)
    scale = np.abs(xd).max()
    assert np.abs(xc - xd).max() <= 1e-10 * scale
    assert np.abs(xc - xa).max() <= 1e-10 * scale
    assert np.linalg.norm(a @ xc - b) <= 1e-12 * np.linalg.norm(b) * scale


def test_batched_right_hand_sides_equal_column_by_column():
    _, a, rng = _grounded()
    b = rng.standard_normal((a.shape[0], 7))
    s = GroundedSolver(a, "cholmod", batch_size=3)  # batches of 3, 3 and 1 columns
    block = s.solve(b)
    assert block.shape == b.shape
    cols = np.column_stack([s.solve(b[:, i]) for i in range(7)])
    assert s.solve(b[:, 0]).shape == (a.shape[0],)
    np.testing.assert_allclose(block, cols, rtol=0, atol=1e-12 * np.abs(cols).max())
    # A non-contiguous block and one of a single column give the same numbers.
    np.testing.assert_allclose(s.solve(np.asfortranarray(b)), block, rtol=0, atol=1e-12 * np.abs(cols).max())
    np.testing.assert_allclose(s.solve(b[:, 2:3])[:, 0], cols[:, 2], rtol=0, atol=1e-12 * np.abs(cols).max())
    assert s.stats.setups == 1 and s.stats.solves == 7 + 7 + 1 + 7 + 1


def test_ungrounded_laplacian_is_refused():
    g, _, rng = _grounded()
    lap = sp.csr_array(g.laplacian)  # singular: no ground
    with pytest.raises(SolverError, match=r"2,000 nodes"):
        GroundedSolver(lap, "cholmod").solve(rng.standard_normal(lap.shape[0]))


def test_residual_check_catches_a_wrong_solution():
    _, a, rng = _grounded()
    s = GroundedSolver(a, "cholmod", batch_size=2)

    class Garbage:
        def __init__(self, real):
            self.real = real

        def solve(self, b, x):
            self.real.solve(b, x)
            x[:, -1] *= 1.01  # the last column of every batch is 1 % off

    s._chol = Garbage(s._chol)
    b = rng.standard_normal((a.shape[0], 3))
    with pytest.raises(SolverError, match=r"2,000 nodes left a relative residual of .* \(allowed 1e-04\) in right-hand side 2"):
        s.solve(b)
    with pytest.raises(SolverError, match="relative residual"):
        s.solve(b[:, :1])
    # A zero right-hand side is solved exactly (residual 0 over |b| = 0 passes).
    assert not np.any(GroundedSolver(a, "cholmod").solve(np.zeros(a.shape[0])))


def test_missing_wheel_is_a_config_error(monkeypatch):
    _, a, _ = _grounded()
    monkeypatch.setitem(sys.modules, "cvxopt", None)  # import fails
    with pytest.raises(ConfigError, match=r"pip install cvxopt.*cg\+amg"):
        GroundedSolver(a, "cholmod")
    # Tiny systems use SuperLU and need no wheel.
    small = sp.csr_array(np.array([[2.0, -1.0], [-1.0, 1.0]]))
    assert GroundedSolver(small, "cholmod").solve(np.array([1.0, 0.0])) == pytest.approx([1.0, 1.0])


def test_batch_size_must_be_positive():
    _, a, _ = _grounded()
    with pytest.raises(ConfigError, match="batch_size"):
        GroundedSolver(a, "cholmod", batch_size=0)


def test_pairwise_with_cholmod_matches_direct():
    g, _, rng = _grounded(20, 25)
    focal = rng.choice(g.n_nodes, 5, replace=False)
    rc = pairwise(g, focal, solver="cholmod", currents=True)
    rd = pairwise(g, focal, solver="direct", currents=True)
    np.testing.assert_allclose(rc.resistances, rd.resistances, rtol=1e-10)
    np.testing.assert_allclose(rc.cum_current, rd.cum_current, rtol=1e-9, atol=1e-12)
    assert rc.stats.setups == 1 and rc.stats.solves == 4


@pytest.mark.parametrize("name", ["cholmod", "cholesky", "cholfact", "mkl_pardiso", "mklpardiso", "pardiso", "accelerate"])
def test_circuitscape_direct_solver_names_map_to_cholmod(name, tmp_path):
    assert CIRCUITSCAPE_SOLVERS[name] == "cholmod"
    p = tmp_path / "job.ini"
    p.write_text(f"[Circuitscape mode]\nscenario = pairwise\nhabitat_file = h.asc\npoint_file = f.txt\noutput_file = o.out\nsolver = {name}\n")
    assert read_ini(p).solver == "cholmod"  # read_ini spells every CHOLMOD name as Circuitscape.jl does
    assert CIRCUITSCAPE_SOLVERS["cg+amg"] == "amg"


def test_memory_estimate_grows_with_n():
    sizes = [10**5, 10**6, 4 * 10**6]
    est = [estimate_memory(n, 8, "cholmod") for n in sizes]
    assert est[0] < est[1] < est[2]
    assert est[2] > 4 * est[1]  # fill grows faster than n (n log n)
    assert est[1] > estimate_memory(10**6, 8, "amg")
    # The measured growth of a 1 M-node factorization is about 1.0 GiB (benchmarks/bench_cholmod.py --fit).
    assert 1.0 * 2**30 < est[1] < 2.5 * 2**30


def test_memory_refusal_for_cholmod_suggests_amg():
    need = estimate_memory(10**6, 8, "cholmod")
    with pytest.raises(MemoryLimitError, match=r"solver 'cholmod'.*cg\+amg"):
        check_memory(10**6, 10**6, 8, "cholmod", memory_limit=need // 2)
