"""Benchmark of the circuit sensitivity: what the adjoint adds to the pairwise solve it builds on.

Run by hand (never by the test suite), one at a time on a shared machine::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_sensitivity.py              # 1000 x 1000, 5 focal points
    PYTHONPATH=. .venv/bin/python benchmarks/bench_sensitivity.py --n 500 --points 10

The grid holds random resistances 1-100 (seed 42), 8 neighbours, average
conductance (Circuitscape's defaults), 1 km cells; the focal points are single
cells spread over the grid. Printed:

1. the pairwise solve alone: :func:`corridors.circuit.pairwise_raster` with
   ``currents=False`` (graph, one grounded setup, one AMG-CG solve per focal
   node, every pair's resistance);
2. :func:`corridors.restore.sensitivity.resistance_sensitivity` end to end
   (the same graph and solves, voltage columns kept, then every pair's gain);
3. the extra time of the sensitivity, (2) - (1), and the time of its own
   work measured inside it (branch derivatives once, each pair's voltages
   spread on the grid and turned into gains), as fractions of (1).
   Target: under 10 %.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from affine import Affine

from corridors.circuit import pairwise_raster
from corridors.raster import Raster
from corridors.restore import adjoint, sensitivity as sens
from corridors.settings import format_bytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="grid side (cells)")
    ap.add_argument("--points", type=int, default=5, help="focal points")
    ap.add_argument("--repeat", type=int, default=2, help="runs of (1) and (2), alternated; the best of each is printed")
    args = ap.parse_args()
    n, k = args.n, args.points
    rng = np.random.default_rng(42)
    r = Raster(rng.uniform(1.0, 100.0, (n, n)), Affine(1000, 0, 0, 0, -1000, n * 1000), "EPSG:32642", None, "bench")
    focal = np.zeros((n, n), dtype=np.int64)
    pos = rng.choice(n * n, size=k, replace=False)
    focal.flat[pos] = np.arange(1, k + 1)

    # (1) and (2) alternate, best of --repeat each: the machine is shared and one run of either varies by 10-20 %.
    t_pair = t_sens = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        base = pairwise_raster(r, focal, currents=False)
        t_pair = min(t_pair, time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = sens.resistance_sensitivity(r, focal, per_pair=False)
        t_sens = min(t_sens, time.perf_counter() - t0)

    t0 = time.perf_counter()
    circ = sens._solve_circuit(r, focal, pairs=None, is_resistance=True, four_neighbors=False, avg_resistances=False,
                               solver="amg", rtol=sens.DEFAULT_RTOL, memory_limit=None)
    t_solve = time.perf_counter() - t0
    t0 = time.perf_counter()
    st = adjoint.EdgeStencil(np.where(circ.grid.graph.nodemap >= 0, 1.0 / r.array, 0.0))
    t_stencil = time.perf_counter() - t0
    t0 = time.perf_counter()
    total = np.zeros(r.shape)
    for a, b in circ.pairs:
        st.gain(circ.cell_voltage(a, b), out=total)
    t_gain = time.perf_counter() - t0

    agree = float(np.max(np.abs(res.table["value"].to_numpy() - [base.resistances[i, j] for i in range(k) for j in range(i + 1, k)])
                         / res.table["value"].to_numpy()))
    own = t_stencil + t_gain
    print(f"grid {n} x {n} ({n * n:,} cells), {k} focal points, {len(circ.pairs)} pairs; resistances agree to {agree:.1e}")
    print(f"pairwise solve (pairwise_raster, currents=False), best:{t_pair:8.2f} s")
    print(f"resistance_sensitivity end to end, best:            {t_sens:8.2f} s   extra {t_sens - t_pair:+.2f} s "
          f"({100 * (t_sens - t_pair) / t_pair:+.1f} %)")
    print(f"  its solve (graph + grounded solves, columns kept): {t_solve:8.2f} s")
    print(f"  its own work: branch derivatives {t_stencil:.2f} s + {len(circ.pairs)} pairs' gains {t_gain:.2f} s = {own:.2f} s "
          f"({100 * own / t_pair:.1f} % of the pairwise solve)")
    print(f"  memory of the branch derivatives: {format_bytes(sum(kp.nbytes + kq.nbytes for _, _, kp, kq in st.parts))}")


if __name__ == "__main__":
    main()
