"""Time PC and all-node dPC of corridors.network against a naive networkx remove-and-recompute, on random landscape graphs.

Run by hand (not part of the tests), from the repository root:

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_network.py [--sizes 100 1000 5000] [--naive-sample 10]

Graphs: n patches uniform in a square of side sqrt(n) * 10 km (same density
at every size), capacities log-normal (median 100 ha), links between patches
closer than 25 km, p = exp(-k d) with p = 0.5 at 5 km: about 15 links per
node, most pairs joined only through stepping stones.

The naive version removes each node in turn and recomputes every p* with
networkx (all-pairs Dijkstra on -ln p). It costs the same for every removed
node, so past 100 nodes it is timed on a random sample of nodes and scaled to
all n (the sample size is printed); at 100 nodes it runs on every node and
the two results are compared.
"""

from __future__ import annotations

import argparse
import math
import time

import networkx as nx
import numpy as np
import pandas as pd

from corridors.network import build_graph, connectivity, pc


def random_landscape(n: int, seed: int = 0):
    """A random patch graph of n nodes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = math.sqrt(n) * 10_000.0
    xy = rng.uniform(0, side, size=(n, 2))
    cap = rng.lognormal(mean=math.log(100.0), sigma=1.0, size=n)
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).query_pairs(25_000.0, output_type="ndarray")
    d = np.linalg.norm(xy[pairs[:, 0]] - xy[pairs[:, 1]], axis=1)
    ids = np.array([f"p{i}" for i in range(n)])
    nodes = pd.DataFrame({"id": ids, "capacity": cap})
    links = pd.DataFrame({"i": ids[pairs[:, 0]], "j": ids[pairs[:, 1]], "distance_m": d})
    return build_graph(nodes, links, median_dispersal_m=5_000.0, name=f"random-{n}")


def _naive_num(g: nx.Graph, cap: dict) -> float:
    tot = 0.0
    for s, dist in nx.all_pairs_dijkstra_path_length(g, weight="weight"):
        a = cap[s]
        for t, dd in dist.items():
            tot += a * cap[t] * math.exp(-dd)
    return tot


def naive_dpc(hg, nodes: list[str]) -> dict[str, float]:
    """dPC of the given nodes by removing each and recomputing everything with networkx."""
    g = hg.to_networkx()
    cap = dict(zip(hg.ids, hg.capacity))
    base = _naive_num(g, cap)
    out = {}
    for k in nodes:
        h = g.copy()
        h.remove_node(k)
        out[k] = 100.0 * (base - _naive_num(h, cap)) / base
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--naive-sample", type=int, default=10, help="nodes removed by the naive version past 100 nodes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"{'n':>6} {'links':>7} {'PC s':>8} {'dPC all s':>10} {'dPC/PC':>7} {'naive s':>10} {'naive n':>8} {'speed-up':>9}")
    for n in args.sizes:
        g = random_landscape(n, args.seed)
        t0 = time.perf_counter()
        pc(g)
        t_pc = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = connectivity(g, nodes=True, links=False, betweenness=False, iic_metrics=False)
        t_dpc = time.perf_counter() - t0
        if n <= 100:
            sample = g.ids
        else:
            sample = list(rng.choice(g.ids, size=min(args.naive_sample, n), replace=False))
        t0 = time.perf_counter()
        ref = naive_dpc(g, sample)
        t_naive = (time.perf_counter() - t0) * n / len(sample)
        err = max(abs(ref[k] - res.nodes.loc[k, "dPC"]) for k in sample)
        assert err < 1e-6, f"dPC differs from the naive version by {err}"
        print(
            f"{n:>6} {len(g.links):>7} {t_pc:>8.3f} {t_dpc:>10.2f} {t_dpc / t_pc:>7.0f} "
            f"{t_naive:>10.1f} {len(sample):>8} {t_naive / t_dpc:>8.0f}x"
        )


if __name__ == "__main__":
    main()
