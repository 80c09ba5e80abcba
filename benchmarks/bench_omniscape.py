"""Benchmark of Omniscape: time per target against a bare solve of one window, and a whole run on 1 and 2 workers.

Run by hand (never by the test suite), one at a time on a shared machine::

    .venv/bin/python benchmarks/bench_omniscape.py                  # 1000 x 1000, radius 50, block 5 (the issue's case)
    .venv/bin/python benchmarks/bench_omniscape.py --size 400       # a quicker look

Random resistances 1-100 and sources 0-1 (seed 7), radius 50 cells, block 5,
no buffer, artifact correction on, 8 neighbours (Omniscape's defaults).

1. Per target: ``solve_targets`` on a sample of interior targets (source
   sharing, window graph, solve, Circuitscape's node currents, adding into
   the map), against a bare CHOLMOD factorisation + solve of the same
   window's grounded Laplacian, built beforehand and untimed (the windows
   are solved by CHOLMOD, see ``corridors.omniscape.core.DIRECT_WINDOW_NODES``).
   Goal: at most 1.2x.
2. The whole run (tiles of targets, artifact correction) on 1 worker (in
   this process) and on 2 workers (embedded Dask LocalCluster): wall time,
   targets per second, speed-up (goal >= 1.7x on 2 cores) and the peak
   resident memory of each worker.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from corridors.circuit.graph import circuitscape_graph
from corridors.circuit.solve import _cholmod_factor
from corridors.cluster import dask_client
from corridors.omniscape import Targets, Window, correction_array, find_targets, solve_targets
from corridors.omniscape.core import window_conductance, window_source
from corridors.omniscape.parallel import run_tiles, tile_memory


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(1.0, 100.0, (n, n)), rng.uniform(0.0, 1.0, (n, n))


def per_target(res: np.ndarray, src: np.ndarray, window: Window, k: int = 60, rounds: int = 5) -> float:
    targets = find_targets(src, window)
    inner = (targets.rows >= window.reach) & (targets.rows < res.shape[0] - window.reach) & \
            (targets.cols >= window.reach) & (targets.cols < res.shape[1] - window.reach)
    pick = np.flatnonzero(inner)[:k]
    sample = Targets(targets.rows[pick], targets.cols[pick], targets.amps[pick])
    solve_targets(res, src, Targets(sample.rows[:2], sample.cols[:2], sample.amps[:2]), window)  # warm-up
    systems = []
    for r, c, a in zip(sample.rows, sample.cols, sample.amps):
        cond = window_conductance(res, int(r), int(c), window)
        b = window_source(src, int(r), int(c), float(a), window, res.shape)
        g = circuitscape_graph(np.nan_to_num(cond, nan=0.0))
        on = g.nodemap >= 0
        rhs = np.bincount(g.nodemap[on], weights=b[on], minlength=g.n_nodes)
        keep = np.ones(g.n_nodes, bool)
        keep[g.nodemap[window.reach, window.reach]] = False
        systems.append((g.laplacian[keep][:, keep].tocsr(), np.ascontiguousarray(rhs[keep])))
    # Rounds alternate ours and the bare solve, and the best round of each is kept (timeit's rule): on a shared
    # machine a single pass of each measured 1.15x and 1.23x on two runs of the same code.
    ours_t, bare_t = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        solve_targets(res, src, sample, window)
        ours_t.append((time.perf_counter() - t0) / len(pick))
        t0 = time.perf_counter()
        for m, rhs in systems:
            x = np.empty_like(rhs)
            _cholmod_factor(m).solve(rhs, x)
        bare_t.append((time.perf_counter() - t0) / len(systems))
    ours, bare = min(ours_t), min(bare_t)
    print(f"1. per target (radius {window.radius}, {systems[0][0].shape[0]:,} nodes a window, {len(pick)} interior targets, "
          f"best of {rounds} alternated rounds): corridors {ours * 1e3:.2f} ms | bare CHOLMOD factor + solve {bare * 1e3:.2f} ms "
          f"| ratio {ours / bare:.2f}x (goal <= 1.2x); every round: {', '.join(f'{o / b:.2f}' for o, b in zip(ours_t, bare_t))}",
          flush=True)
    return bare


def _peak_mib() -> float:
    """This process's peak resident memory since start or since :func:`_reset_peak` (VmHWM), MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def _reset_peak() -> float:
    """Reset the peak to the memory resident now (Linux: write 5 to /proc/self/clear_refs) and return it, MiB.

    Dask's workers are forked from a process that had already reached its own peak, and a forked process
    inherits that figure (getrusage's ru_maxrss, VmHWM): measured, each worker reported the parent's 191 MiB
    before its first task. Resetting it makes the figure the worker's own.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _peak_mib()


def whole_run(res: np.ndarray, src: np.ndarray, window: Window, bare: float) -> None:
    targets = find_targets(src, window)
    options = {"correction": correction_array(window, res.shape)}
    t0 = time.perf_counter()
    one = run_tiles(res, src, targets, window, options).cum_current
    t1 = time.perf_counter() - t0
    print(f"   1 worker (this process): {t1:.1f} s, {len(targets) / t1:.1f} targets/s ({t1 / len(targets) * 1e3:.2f} ms a target, "
          f"{t1 / len(targets) / bare:.2f}x the bare solve, tiles and artifact correction included), "
          f"peak RSS {_peak_mib():.0f} MiB", flush=True)
    with dask_client(None, 2, what="bench") as client:
        client.run(lambda: None)  # workers up before the clock starts
        client.run(lambda: __import__("corridors.omniscape.parallel"))  # imports done before the peak is reset
        start = sorted(client.run(_reset_peak).values())  # each worker's resident memory before its first task
        t0 = time.perf_counter()
        two = run_tiles(res, src, targets, window, options, client=client).cum_current
        t2 = time.perf_counter() - t0
        peaks = sorted(client.run(_peak_mib).values())
    same = float(np.max(np.abs(one - two) / np.maximum(np.abs(one), 1e-300)))
    print(f"2. whole run, {res.shape[0]} x {res.shape[1]}, {len(targets):,} targets: 1 worker {t1:.1f} s, 2 workers {t2:.1f} s "
          f"({len(targets) / t2:.1f} targets/s), speed-up {t1 / t2:.2f}x (goal >= 1.7x) | largest relative difference of the "
          f"maps {same:.1e} | peak RSS of each worker {', '.join(f'{p:.0f}' for p in peaks)} MiB, from {', '.join(f'{b:.0f}' for b in start)} MiB resident before the first task (a task's arrays and window "
          f"solve by estimate {tile_memory(window) / 2**20:.1f} MiB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--radius", type=int, default=50)
    ap.add_argument("--block", type=int, default=5)
    ap.add_argument("--per-target-only", action="store_true", help="only part 1")
    args = ap.parse_args()
    res, src = _grid(args.size)
    window = Window(radius=args.radius, block_size=args.block)
    bare = per_target(res, src, window)
    if not args.per_target_only:
        whole_run(res, src, window, bare)


if __name__ == "__main__":
    main()
