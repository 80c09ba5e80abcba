"""Benchmark of corridors.portfolio: the frontier at 20 budget levels, 30 candidates, 20 populations (goal < 60 s).

Run by hand (not part of the tests), from the repository root:

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_portfolio.py [--nodes 20] [--candidates 30] [--levels 20]

The network: populations spread along three "rivers" (lines 400 km long,
nodes 20-60 km apart, so links along a river are strong and between rivers
weak), capacities 100-3,000 ha, every pair linked with a distance 1.2-2.5x
the straight line, links between rivers crossing a border of permeability
0.5. Candidates, in the programme's proportions: corridor restorations (one
pair's distance x 0.5-0.8), riparian reforestations (capacity +10-40 % on
2-3 nodes and their links' distances x 0.9), protected areas (capacity +10-
30 % on one node), border agreements (permeability 0.9 on every link of one
border), reintroductions (a new node of 50-300 ha beside a river with links
to every population) and one population control (capacity x 0.7); costs
uniform 50-2,000 with ranges +-30 %. It prints the time to build the exact
model (options and columns), to solve the 20 budgets (exact and greedy
apart), the gap of greedy at each level, and the EC at the top level
checked against the evaluation of the same set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's corridors, not an installed one

from corridors.portfolio import Candidate, ExactModel, Problem, evaluate, greedy  # noqa: E402
from corridors.portfolio.frontier import budget_levels  # noqa: E402


def synthetic(n_nodes: int, n_cands: int, seed: int) -> Problem:
    """A programme-like network and candidates (see the module docstring)."""
    rng = np.random.default_rng(seed)
    rivers = rng.integers(0, 3, n_nodes)
    xy = np.c_[rng.uniform(0, 400_000, n_nodes), rivers * 150_000 + rng.normal(0, 10_000, n_nodes)]
    cap = list(rng.uniform(100, 3000, n_nodes))
    links = []
    for i in range(n_nodes):
        for j in range(i + 1, n_nodes):
            d = float(np.hypot(*(xy[i] - xy[j])) * rng.uniform(1.2, 2.5))
            links.append((i, j, d, 1.0 if rivers[i] == rivers[j] else 0.5))
    kinds = (["corridor"] * 8 + ["riparian"] * 5 + ["protected"] * 5 + ["border"] * 3 + ["reintro"] * 8
             + ["control"] * 1)
    kinds = (kinds * (n_cands // len(kinds) + 1))[:n_cands]
    ids, cands, n = [f"p{i}" for i in range(n_nodes)], [], n_nodes
    for c, kind in enumerate(kinds):
        capd, lk = {}, []
        if kind == "corridor":
            i, j = rng.choice(n_nodes, 2, replace=False)
            lk = [(int(i), int(j), float(np.hypot(*(xy[i] - xy[j])) * rng.uniform(0.6, 1.0)), 1.0)]
        elif kind == "riparian":
            nodes = rng.choice(n_nodes, int(rng.integers(2, 4)), replace=False)
            capd = {int(i): float(cap[i] * rng.uniform(0.1, 0.4)) for i in nodes}
            lk = [(int(i), int(j), d * 0.9, perm) for (i, j, d, perm) in links if i in nodes and j in nodes]
        elif kind == "protected":
            i = int(rng.integers(n_nodes))
            capd = {i: float(cap[i] * rng.uniform(0.1, 0.3))}
        elif kind == "border":
            a, b = rng.choice(3, 2, replace=False)
            lk = [(i, j, d, 0.9) for (i, j, d, perm) in links if {rivers[i], rivers[j]} == {a, b}]
        elif kind == "reintro":
            near = int(rng.integers(n_nodes))
            pos = xy[near] + rng.normal(0, 30_000, 2)
            ids.append(f"new{c}")
            cap.append(0.0)
            capd = {n: float(rng.uniform(50, 300))}
            lk = [(n, j, float(np.hypot(*(pos - xy[j])) * 1.5), 1.0) for j in range(n_nodes)]
            n += 1
        else:
            i = int(rng.integers(n_nodes))
            capd = {i: -0.3 * cap[i]}
        cost = float(rng.uniform(50, 2000))
        cands.append(Candidate(f"{kind}{c}", cost, cost * 0.7, cost * 1.3, capd, tuple(lk), kind=kind))
    return Problem(ids, np.array(cap), links, 30_000, cands, cutoff_m=None, unit="thousand USD")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--candidates", type=int, default=30)
    ap.add_argument("--levels", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    p = synthetic(a.nodes, a.candidates, a.seed)
    print(f"{a.nodes} populations (+{len(p.ids) - a.nodes} possible new nodes), {a.candidates} candidates, "
          f"{a.levels} budget levels")
    t0 = time.perf_counter()
    model = ExactModel(p)
    t_build = time.perf_counter() - t0
    print(f"exact model: {model.options.n_options:,} connection options, {model.n_columns:,} columns, "
          f"{model.n_rows:,} rows, built in {t_build:.2f} s")
    budgets = budget_levels(p, a.levels)
    t1 = time.perf_counter()
    best = [model.solve(b) for b in budgets]
    t_exact = time.perf_counter() - t1
    t2 = time.perf_counter()
    gr = [greedy(p, b, model.states) for b in budgets]
    t_greedy = time.perf_counter() - t2
    total = t_build + t_exact
    print(f"exact solves: {t_exact:.2f} s ({t_exact / len(budgets):.2f} s per level, slowest "
          f"{max(b.seconds for b in best):.2f} s); greedy: {t_greedy:.2f} s")
    print(f"frontier (exact) in {total:.1f} s: goal < 60 s -> {'met' if total < 60 else 'MISSED'}")
    print("budget      EC gain (exact)   greedy     greedy short by   n chosen   gap")
    for b, g in zip(best, gr):
        short = 100 * (b.ec_gain - g.ec_gain) / b.ec_gain if b.ec_gain > 0 else 0.0
        print(f"{b.budget:9,.0f}   {b.ec_gain:12,.1f}   {g.ec_gain:12,.1f}   {short:8.1f} %      {len(b.chosen):4d}"
              f"     {b.gap:.1e}")
    top = best[-1]
    check = evaluate(p, [p.index(c) for c in top.chosen])
    print(f"top level: EC {top.ec:,.3f} ha, evaluated again {check:,.3f} ha")


if __name__ == "__main__":
    main()
