"""Benchmark of corridors.pva.simulate: 10,000 replicates x 50 years x 20 populations on one core (goal < 10 s).

Run by hand (not part of the tests), from the repository root:

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_pva.py [--replicates 10000] [--years 50] [--populations 20]

The landscape: populations uniform in a 300 km square, each starting with
about 90 animals (40 adults of each sex, 5 yearlings and 8 calves of each),
K = 300, dispersal to neighbours closer than 80 km (p = exp(-d / 30 km),
rows scaled to 0.8), environmental correlation over 50 km, three
catastrophes; all stochastic terms on, ceiling density dependence. The
vital rates are those of tests/test_pva.py (a growing population), not the
programme's (data/pva.yml). It prints the time of the whole run, of the
run with each stochastic term switched off in turn, the peak memory of a
run (tracemalloc, numpy's arrays included) and the mean final total (a check that the runs did something).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's corridors, not an installed one

from corridors.cli._options import format_number  # noqa: E402
from corridors.pva import Population, parameters_from_dict, simulate  # noqa: E402
from corridors.settings import format_bytes  # noqa: E402

PARAMS = {
    "survival": {
        "calf": {"female": {"mean": 0.6, "sd": 0.1}, "male": {"mean": 0.55, "sd": 0.1}, "source": "bench"},
        "yearling": {"female": {"mean": 0.85, "sd": 0.05}, "male": {"mean": 0.8, "sd": 0.05}, "source": "bench"},
        "adult": {"female": {"mean": 0.9, "sd": 0.04}, "male": {"mean": 0.85, "sd": 0.05}, "source": "bench"},
    },
    "fecundity": {"yearling": {"mean": 0.3, "sd": 0.1, "source": "bench"}, "adult": {"mean": 0.7, "sd": 0.1, "source": "bench"}},
    "male_share_at_birth": {"value": 0.5, "source": "bench"},
    "environmental_correlation_km": {"value": 50, "source": "bench"},
    "density_dependence": {"form": "ceiling", "density_per_km2": {"low": 1, "high": 3, "source": "bench"}},
    "catastrophes": [
        {"name": "drought", "probability": 0.05, "survival": 0.8, "fecundity": 0.5, "source": "bench"},
        {"name": "flood", "probability": 0.03, "survival": 0.9, "fecundity": 0.8, "source": "bench"},
        {"name": "severe_winter", "probability": 0.04, "survival": 0.7, "fecundity": 0.9, "source": "bench"},
    ],
    "dispersal": {"stages": ["yearling"], "rate": {"value": 0.1, "source": "bench"}},
    "quasi_extinction": {"value": 20, "source": "bench"},
}


def landscape(n: int, seed: int = 0) -> Population:
    """n populations in a 300 km square, neighbours within 80 km linked (reproducible)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 300, (n, 2))
    d = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    D = np.where((d < 80) & (d > 0), np.exp(-d / 30), 0.0)
    D = D / np.maximum(D.sum(axis=1, keepdims=True), 1e-300) * 0.8
    init = np.zeros((n, 3, 2), dtype=int)
    init[:, 2], init[:, 1], init[:, 0] = 40, 5, 8
    return Population([f"p{i}" for i in range(n)], init, np.full(n, 300.0), d, D)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=50)
    ap.add_argument("--populations", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # numpy's random draws run on one core anyway
    params = parameters_from_dict(PARAMS, source="bench")
    pops = landscape(args.populations)
    print(f"{format_number(args.replicates)} replicates x {args.years} years x {args.populations} populations, "
          f"{int((pops.dispersal > 0).sum())} dispersal links")
    simulate(params, pops, years=2, replicates=100)  # warm up imports and caches
    for label, kw in [("all stochastic terms", {}), ("no environmental variation", {"environmental": False}),
                      ("no catastrophes", {"catastrophes": False}), ("no demographic (expected values)", {"demographic": False})]:
        t0 = time.perf_counter()
        tr = simulate(params, pops, years=args.years, replicates=args.replicates, seed=2025, **kw)
        dt = time.perf_counter() - t0
        print(f"  {label:34s} {format_number(dt)} s  (mean final total {format_number(float(tr.total[:, -1].mean()))})")
    tracemalloc.start()  # apart from the timings: tracing every allocation slows numpy down
    tr = simulate(params, pops, years=args.years, replicates=args.replicates, seed=2025)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  peak memory of a run {format_bytes(peak)} (the abundance table alone {format_bytes(tr.abundance.nbytes)})")


if __name__ == "__main__":
    main()
