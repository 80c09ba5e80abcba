"""Benchmark of corridors.lcp: cost distance against a direct MCP_Geometric call, linkages for 10 and 50 cores, peak memory.

Run by hand (not part of the tests); the big grids need several GB, so wrap the run
in the shared lock when other heavy jobs may run:

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_lcp.py
    .venv/bin/python benchmarks/bench_lcp.py --sizes 1000 4000 --cores 10   # quicker

It prints one line per figure. Goals (issue 3): the wrapper within 10 % of the
direct MCP call; peak memory of the 8000 x 8000 cost distance under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np


def landscape(n: int, seed: int = 1) -> np.ndarray:
    """A float64 resistance grid with smooth structure (1 .. 100), like a real surface, reproducible."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 1, size=(max(n // 50, 4), max(n // 50, 4)))
    field = ndimage.zoom(small, n / small.shape[0], order=1)[:n, :n]
    return (1.0 + 99.0 * field**2).astype("float64")


def _raster(a: np.ndarray, cell: float = 1000.0):
    from affine import Affine

    from corridors.raster import Raster
    from corridors.settings import WORKING_CRS

    return Raster(a, Affine(cell, 0, 0, 0, -cell, a.shape[0] * cell), WORKING_CRS, None, f"bench {a.shape[0]}")


def time_cost_distance(n: int, repeats: int) -> dict:
    """Best-of-``repeats`` wall time of the wrapper and of a direct MCP_Geometric call, interleaved."""
    import shapely
    from skimage.graph import MCP_Geometric

    from corridors import lcp

    a = landscape(n)
    r = _raster(a)
    start = (n // 3, n // 3)
    x, y = r.xy(*start)
    pt = shapely.Point(float(x), float(y))
    direct, wrapped = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        m = MCP_Geometric(a, sampling=(1000.0, 1000.0))
        cum_direct, _ = m.find_costs([start])
        direct.append(time.perf_counter() - t0)
        del m
        t0 = time.perf_counter()
        cd = lcp.cost_distance(r, pt)
        wrapped.append(time.perf_counter() - t0)
    same = bool(np.allclose(cd.array, cum_direct, rtol=1e-12, equal_nan=False))
    return {"n": n, "direct_s": min(direct), "wrapper_s": min(wrapped), "ratio": min(wrapped) / min(direct), "identical": same}


def peak_memory(n: int, which: str) -> tuple[float, float]:
    """Peak resident memory (GB) of one cost-distance run in a fresh subprocess.

    Returns the process's lifetime peak and the peak of the run alone: after
    the input grid is built, the kernel's high-water mark is reset (Linux
    /proc/self/clear_refs), so generating the test grid does not count.
    """
    code = f"""
import gc, resource, sys
sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
from bench_lcp import landscape, _raster
a = landscape({n})
gc.collect()
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024**2
try:
    open("/proc/self/clear_refs", "w").write("5")
    reset = True
except OSError:
    reset = False
if {which!r} == "wrapper":
    import shapely
    from corridors import lcp
    r = _raster(a)
    x, y = r.xy({n} // 3, {n} // 3)
    lcp.cost_distance(r, shapely.Point(float(x), float(y)))
else:
    from skimage.graph import MCP_Geometric
    m = MCP_Geometric(a, sampling=(1000.0, 1000.0))
    m.find_costs([({n} // 3, {n} // 3)])
life = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
print(life, hwm() if reset else float("nan"))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    life, run = (float(v) for v in out.stdout.split())
    return life, run


def time_linkages(n_cores: int, n: int = 1500, seed: int = 2) -> dict:
    """Wall time of build_linkages for ``n_cores`` random cores on an n x n grid (1 km cells)."""
    import geopandas as gpd
    import shapely

    from corridors import lcp

    a = landscape(n, seed)
    r = _raster(a)
    rng = np.random.default_rng(seed)
    rows = rng.integers(20, n - 20, size=n_cores)
    cols = rng.integers(20, n - 20, size=n_cores)
    x, y = r.xy(rows, cols)
    cores = gpd.GeoDataFrame(
        {"core_id": [f"c{i}" for i in range(n_cores)]},
        geometry=[shapely.Point(float(xx), float(yy)).buffer(5000.0) for xx, yy in zip(x, y)],
        crs=r.crs,
    )
    empty = gpd.GeoDataFrame({"border_id": []}, geometry=[], crs=r.crs)
    t0 = time.perf_counter()
    res = lcp.build_linkages(r, cores, borders=empty)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    res_w = lcp.build_linkages(r, cores, borders=empty, max_cwd_m=1e5)
    t_win = time.perf_counter() - t0
    return {
        "cores": n_cores,
        "grid": n,
        "linkages": len(res.linkages),
        "seconds": t_full,
        "linkages_max_cwd_1e5": len(res_w.linkages),
        "seconds_max_cwd_1e5": t_win,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 4000, 8000])
    ap.add_argument("--cores", type=int, nargs="*", default=[10, 50])
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-only", action="store_true", help="Only the peak-memory runs of the largest size.")
    args = ap.parse_args()
    for n in ([] if args.memory_only else args.sizes):
        reps = 3 if n <= 1000 else (2 if n <= 4000 else 1)
        res = time_cost_distance(n, reps)
        print(f"cost distance {n}x{n}: direct MCP {res['direct_s']:.2f} s, wrapper {res['wrapper_s']:.2f} s, "
              f"ratio {res['ratio']:.3f}, identical {res['identical']}", flush=True)
    if not args.no_memory and args.sizes:
        n = max(args.sizes)
        for which in ("direct", "wrapper"):
            life, run = peak_memory(n, which)
            print(f"peak memory cost distance {n}x{n} ({which}): {run:.2f} GB for the run "
                  f"(input grid included; {life:.2f} GB process lifetime, with building the test grid)", flush=True)
    for k in ([] if args.memory_only else args.cores):
        res = time_linkages(k)
        print("linkages " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
