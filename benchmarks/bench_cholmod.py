"""Benchmark of the sparse Cholesky solver (CHOLMOD via cvxopt) against AMG and SuperLU, and the fit of its memory model.

Run by hand (never by the test suite); the big sizes need several GiB, so
take the shared lock on a shared machine::

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_cholmod.py
    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_cholmod.py --fit

Default run: an n x n grid (default 1000) of random resistances uniform in
1-100, 8 neighbours, average conductance (Circuitscape's defaults), grounded
at one node as ``pairwise`` grounds it (its diagonal doubled). For each of
:class:`~corridors.circuit.solve.GroundedSolver`'s solvers ('cholmod',
'amg', 'direct'), in a process of its own, it prints

- ``setup``: the factorization (or the AMG hierarchy, built for 19 solves);
- ``19 rhs``: one ``solve`` of an n x 19 block (unit currents into 19
  random nodes: what pairwise with 20 focal nodes solves);
- ``peak RSS``: the whole process's peak, and the growth during setup +
  solve over the memory held before the setup (the grid and its Laplacian);
- ``sum v``: the sum of the 19 injection-node voltages, to compare the
  solvers' answers.

``--fit``: for grids of 0.1-4 M nodes, each in its own process, the growth
of resident memory during the CHOLMOD factorization alone, divided by
``n log2 n``: the constant of ``estimate_memory(..., solver='cholmod')``.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

import numpy as np


def _status(key: str) -> int:
    """A /proc/self/status memory figure (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _reset_peak() -> None:
    """Start VmHWM afresh from the current RSS (Linux >= 4.0), so only what follows is measured."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _grounded_grid(n: int, seed: int = 42):
    import scipy.sparse as sp

    from corridors.circuit import grid_graph

    rng = np.random.default_rng(seed)
    g = grid_graph(1.0 / rng.uniform(1.0, 100.0, (n, n)))
    a = sp.csr_array(g.laplacian, copy=True)
    ground = int(g.nodemap[n // 2, n // 2])
    a[ground, ground] = a[ground, ground] * 2.0
    return a, ground, rng


def run_solver(n: int, solver: str, k: int) -> dict:
    from corridors.circuit.solve import GroundedSolver

    a, ground, rng = _grounded_grid(n)
    nn = a.shape[0]
    inj = rng.choice(np.setdiff1d(np.arange(nn), [ground]), k, replace=False)
    b = np.zeros((nn, k))
    b[inj, np.arange(k)] = 1.0
    before = _status("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    s = GroundedSolver(a, solver=solver, expected_solves=k)
    t1 = time.perf_counter()
    x = s.solve(b)
    t2 = time.perf_counter()
    return {"solver": solver, "nodes": nn, "setup_s": t1 - t0, "solve_s": t2 - t1, "peak": _status("VmHWM"),
            "growth": _status("VmHWM") - before, "sum_v": float(x[inj, np.arange(k)].sum()),
            "iterations": s.stats.iterations}


def run_factor(n: int) -> dict:
    from corridors.circuit.solve import _cholmod_factor, estimate_memory

    a, _, _ = _grounded_grid(n)
    nn = a.shape[0]
    before = _status("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    f = _cholmod_factor(a)
    t1 = time.perf_counter()
    growth = _status("VmHWM") - before
    del f
    return {"nodes": nn, "factor_s": t1 - t0, "growth": growth, "peak": before + growth,
            "c": growth / (nn * math.log2(nn)), "estimate": estimate_memory(nn, 8, "cholmod")}


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000, help="Side of the grid (default 1000: 1 M nodes).")
    ap.add_argument("--rhs", type=int, default=19, help="Right-hand sides solved in one block.")
    ap.add_argument("--solvers", nargs="+", default=["cholmod", "amg", "direct"])
    ap.add_argument("--fit", action="store_true", help="Fit the memory constant of the CHOLMOD factorization instead.")
    ap.add_argument("--fit-sizes", type=int, nargs="+", default=[316, 500, 707, 1000, 1414, 2000])
    ap.add_argument("--one", nargs=2, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        what, n = args.one[0], int(args.one[1])
        print(json.dumps(run_factor(n) if what == "factor" else run_solver(n, what, args.rhs)))
        return
    gib = 2**30
    if args.fit:
        print("CHOLMOD factorization of random 8-neighbour grids; growth = peak RSS during it minus RSS before it")
        cs = []
        for n in args.fit_sizes:
            r = _child("--one", "factor", str(n))
            cs.append(r["c"])
            print(f"{n}^2 = {r['nodes'] / 1e6:.2f} M nodes | factor {r['factor_s']:.2f} s | growth {r['growth'] / gib:.3f} GiB "
                  f"= {r['c']:.1f} n log2 n bytes | process peak {r['peak'] / gib:.3f} GiB | estimate_memory {r['estimate'] / gib:.3f} GiB",
                  flush=True)
        print(f"c = growth / (n log2 n): min {min(cs):.1f}, max {max(cs):.1f} bytes")
        return
    print(f"{args.size} x {args.size} grid, random resistances 1-100, 8 neighbours, grounded at one node; "
          f"{args.rhs} right-hand sides in one block; times in seconds")
    for solver in args.solvers:
        r = _child("--one", solver, str(args.size), "--rhs", str(args.rhs))
        its = f" (CG iterations {min(r['iterations'])}-{max(r['iterations'])})" if r["iterations"] else ""
        print(f"{solver:8s} | {r['nodes']:,} nodes | setup {r['setup_s']:.2f} | {args.rhs} rhs {r['solve_s']:.2f}{its} "
              f"| total {r['setup_s'] + r['solve_s']:.2f} | peak RSS {r['peak'] / gib:.2f} GiB "
              f"(+{r['growth'] / gib:.2f} over the grid) | sum v {r['sum_v']:.10g}", flush=True)


if __name__ == "__main__":
    main()
