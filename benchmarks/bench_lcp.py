"""Benchmark of corridors.lcp: cost distance against a direct MCP_Geometric call, the row-sweep engine, linkages for 10 and 50 cores, peak memory.

Run by hand (not part of the tests); the big grids need several GB, so wrap the run
in the shared lock when other heavy jobs may run:

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_lcp.py
    .venv/bin/python benchmarks/bench_lcp.py --sizes 1000 4000 --cores 10   # quicker
    .venv/bin/python benchmarks/bench_lcp.py --sizes 8000 --memory-only     # peak memory only

It prints one line per figure. Goals (issue 3): the wrapper within 10 % of the
direct MCP call; peak memory of the 8000 x 8000 cost distance under 4 GB (with
no limit set, grids whose MCP run would pass the 4 GiB budget, about 7470 x
7470 cells and up, take the row sweep of ``corridors.sweep``).
GB in the output are GiB (2**30 bytes).
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
    del cd
    # The row sweep on the same grid, after the interleaved runs above (it does not disturb their ratio).
    from corridors.sweep import sweep_cost_distance

    t0 = time.perf_counter()
    cum_sweep, passes = sweep_cost_distance(a, [start[0] * n + start[1]], (1000.0, 1000.0))
    sweep_s = time.perf_counter() - t0
    return {"n": n, "engine": lcp.cost_distance_engine(r.shape), "direct_s": min(direct), "wrapper_s": min(wrapped),
            "ratio": min(wrapped) / min(direct), "identical": same,
            "sweep_s": sweep_s, "passes": passes, "max_rel_diff": max_rel_diff(cum_sweep, cum_direct)}


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| / b over the cells both reach (b > 0); inf if they disagree on which cells are reachable."""
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    m = np.isfinite(b) & (b > 0)
    return float(np.max(np.abs(a[m] - b[m]) / b[m])) if m.any() else 0.0


def walled(n: int, walls: int, seed: int = 1) -> np.ndarray:
    """:func:`landscape` cut by ``walls`` vertical walls of no data (inf), with a gap at the bottom and top in turn.

    A path from the top-left corner to the far side must go down to a gap,
    up to the next, and so on: each turn from down to up costs the sweep a pass.
    """
    a = landscape(n, seed)
    gap = max(n // 100, 2)
    for k in range(walls):
        col = (k + 1) * n // (walls + 1)
        if k % 2 == 0:
            a[: n - gap, col] = np.inf  # gap at the bottom
        else:
            a[gap:, col] = np.inf  # gap at the top
    return a


def time_walls(n: int, walls: int) -> dict:
    """Row sweep against MCP on :func:`walled` (source at the top-left corner): seconds, passes, agreement."""
    from skimage.graph import MCP_Geometric

    from corridors.sweep import sweep_cost_distance

    a = walled(n, walls)
    t0 = time.perf_counter()
    cum_sweep, passes = sweep_cost_distance(a, [0], (1000.0, 1000.0))
    sweep_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = MCP_Geometric(a, sampling=(1000.0, 1000.0))
    cum_mcp, _ = m.find_costs([(0, 0)])
    mcp_s = time.perf_counter() - t0
    del m
    return {"n": n, "walls": walls, "sweep_s": sweep_s, "passes": passes, "mcp_s": mcp_s, "max_rel_diff": max_rel_diff(cum_sweep, cum_mcp)}


#: The peak-memory runs: a direct MCP_Geometric call, the wrapper with its defaults (MCP while it fits
#: in settings.MEMORY_BUDGET, 4 GiB, and the available memory; the sweep above), the row sweep called
#: directly, and the wrapper with memory_limit=4 GiB.
MEMORY_RUNS = ("direct", "wrapper", "sweep", "wrapper-4GiB")


def peak_memory(n: int, which: str) -> tuple[float, float, float, int]:
    """Peak resident memory (GB) and wall time of one cost-distance run in a fresh subprocess.

    Returns the process's lifetime peak, the peak of the run alone (after
    the input grid is built, the kernel's high-water mark is reset with Linux
    /proc/self/clear_refs, so generating the test grid does not count), the
    seconds of the run and the sweep's passes (0 for MCP).
    """
    code = f"""
import gc, sys, time
sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
from bench_lcp import landscape, _raster
a = landscape({n})
gc.collect()
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024**2
build = hwm()  # VmHWM belongs to this process image (ru_maxrss would carry the parent's peak over exec)
try:
    open("/proc/self/clear_refs", "w").write("5")
    reset = True
except OSError:
    reset = False
passes = 0
t0 = time.perf_counter()
if {which!r} in ("wrapper", "wrapper-4GiB"):
    import shapely
    from corridors import lcp
    r = _raster(a)
    x, y = r.xy({n} // 3, {n} // 3)
    limit = 4 * 2**30 if {which!r} == "wrapper-4GiB" else None
    lcp.cost_distance(r, shapely.Point(float(x), float(y)), memory_limit=limit)
elif {which!r} == "sweep":
    from corridors.sweep import sweep_cost_distance
    _, passes = sweep_cost_distance(a, [({n} // 3) * {n} + {n} // 3], (1000.0, 1000.0))
else:
    from skimage.graph import MCP_Geometric
    m = MCP_Geometric(a, sampling=(1000.0, 1000.0))
    m.find_costs([({n} // 3, {n} // 3)])
seconds = time.perf_counter() - t0
run = hwm()
life = max(build, run)
print(life, run if reset else float("nan"), seconds, passes)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    life, run, seconds, passes = out.stdout.split()
    return float(life), float(run), float(seconds), int(passes)


def time_linkages(n_cores: int, n: int = 1500, seed: int = 2) -> dict:
    """Wall time of build_linkages for ``n_cores`` random cores on an n x n grid (1 km cells)."""
    import geopandas as gpd
    import shapely

    from corridors import linkages

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
    res = linkages.build_linkages(r, cores, borders=empty)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    res_w = linkages.build_linkages(r, cores, borders=empty, max_cwd_m=1e5)
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
    ap.add_argument("--walls", type=int, nargs="*", default=[1, 8],
                    help="Wall counts of the detour landscapes the sweep is timed on (largest size).")
    args = ap.parse_args()
    for n in ([] if args.memory_only else args.sizes):
        reps = 3 if n <= 1000 else (2 if n <= 4000 else 1)
        res = time_cost_distance(n, reps)
        print(f"cost distance {n}x{n}: direct MCP {res['direct_s']:.2f} s, wrapper ({res['engine']}) {res['wrapper_s']:.2f} s, "
              f"ratio {res['ratio']:.3f}, identical {res['identical']}", flush=True)
        print(f"cost distance {n}x{n}: row sweep {res['sweep_s']:.2f} s, {res['passes']} passes, "
              f"max relative difference to MCP {res['max_rel_diff']:.1e}", flush=True)
    if not args.no_memory and args.sizes:
        n = max(args.sizes)
        for which in MEMORY_RUNS:
            life, run, seconds, passes = peak_memory(n, which)
            extra = f", {passes} passes" if passes else ""
            print(f"peak memory cost distance {n}x{n} ({which}): {run:.2f} GB for the run, {seconds:.1f} s{extra} "
                  f"(input grid included; {life:.2f} GB process lifetime, with building the test grid)", flush=True)
    if not args.memory_only and args.sizes:
        n = max(args.sizes)
        for k in args.walls:
            res = time_walls(n, k)
            print(f"cost distance {n}x{n} with {k} wall(s) (detours): row sweep {res['sweep_s']:.2f} s, {res['passes']} passes; "
                  f"MCP {res['mcp_s']:.2f} s; max relative difference {res['max_rel_diff']:.1e}", flush=True)
    for k in ([] if args.memory_only else args.cores):
        res = time_linkages(k)
        print("linkages " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
