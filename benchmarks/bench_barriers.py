"""Benchmark of corridors.restore.barriers (Barrier Mapper): a 2000 x 2000 grid, 10 linkages, 3 radii.

Run by hand (not part of the tests), from the repository root:

    .venv/bin/python benchmarks/bench_barriers.py                    # 2000², 10 linkages, radii 1, 2, 5 km at 100 m cells
    .venv/bin/python benchmarks/bench_barriers.py --size 1000 --compare-footprint

It prints one line per figure: the cost-distance runs (build_linkages, one run
per core), the moving-window minima (disc_minimum, once per core and radius),
the rest of barrier_mapper (scores, combining, mosaics), the whole, and the peak
memory (tracemalloc of barrier_mapper's own allocations, numpy's included; and
the process's peak resident size). With --compare-footprint it also times
scipy.ndimage.minimum_filter with the circular footprint on one surface, the
filter disc_minimum replaces.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's corridors, not an installed one


def landscape(n: int, seed: int = 1) -> np.ndarray:
    """A float64 resistance grid with smooth random structure (1 .. 100), reproducible (as benchmarks/bench_lcp.py)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 1, size=(max(n // 50, 4), max(n // 50, 4)))
    field = ndimage.zoom(small, n / small.shape[0], order=1)[:n, :n]
    return (1.0 + 99.0 * field**2).astype("float64")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--cell", type=float, default=100.0, help="cell size, m")
    ap.add_argument("--radii-m", type=float, nargs="+", default=[1000.0, 2000.0, 5000.0])
    ap.add_argument("--linkages", type=int, default=10)
    ap.add_argument("--compare-footprint", action="store_true")
    args = ap.parse_args()

    import geopandas as gpd
    import shapely
    from affine import Affine
    from scipy import ndimage

    import corridors.restore.barriers as bm
    from corridors import linkages
    from corridors.raster import Raster
    from corridors.settings import format_bytes

    from corridors.cli._options import format_number

    n, cell = args.size, args.cell
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores; grid {n} x {n}, {format_number(cell)} m cells, "
          f"radii {', '.join(format_number(r) for r in args.radii_m)} m, {args.linkages} linkages")
    res = Raster(landscape(n), Affine(cell, 0, 0, 0, -cell, n * cell), None, None, f"bench {n}")
    # Cores on a ring, each linked to the next: as many cores as linkages, so each core serves two linkages.
    k = args.linkages
    ang = np.linspace(0, 2 * math.pi, k, endpoint=False)
    centre, rad = n * cell / 2, 0.35 * n * cell
    geoms = [shapely.Point(centre + rad * math.cos(t), centre + rad * math.sin(t)).buffer(3 * cell) for t in ang]
    ids = [f"c{i}" for i in range(k)]
    cores = gpd.GeoDataFrame({"core_id": ids}, geometry=geoms, crs=None)
    pairs = [(ids[i], ids[(i + 1) % k]) for i in range(k)] if k > 2 else [(ids[0], ids[1])]

    t0 = time.perf_counter()
    links = linkages.build_linkages(res, cores, pairs=pairs, drop_through_cores=False, truncate_m=None)
    t_cd = time.perf_counter() - t0
    print(f"cost distance (build_linkages, {k} runs, {len(links.linkages)} linkages): {format_number(t_cd)} s")

    filt = {"t": 0.0, "n": 0}
    plain = bm.disc_minimum

    def timed(values: np.ndarray, radius_cells: float) -> np.ndarray:
        t = time.perf_counter()
        out = plain(values, radius_cells)
        filt["t"] += time.perf_counter() - t
        filt["n"] += 1
        return out

    bm.disc_minimum = timed
    tracemalloc.start()
    t0 = time.perf_counter()
    result = bm.barrier_mapper(links, args.radii_m)
    t_bm = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bm.disc_minimum = plain
    print(f"moving-window minima (disc_minimum, {filt['n']} = cores x radii): {format_number(filt['t'])} s")
    print(f"scores, radii combined, mosaics: {format_number(t_bm - filt['t'])} s")
    print(f"barrier_mapper in all: {format_number(t_bm)} s; with the cost distances: {format_number(t_bm + t_cd)} s")
    print(f"peak memory of barrier_mapper (tracemalloc): {format_bytes(peak)} "
          f"({format_number(peak / (n * n))} bytes per cell)")
    print(f"peak resident size of the process: {format_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}")
    best = result.table.sort_values("score", ascending=False).iloc[0]
    print(f"best circle: {best['core_a']}-{best['core_b']}, score {format_number(best['score'])}, "
          f"LCD drop {format_number(best['lcd_drop'])} of {format_number(best['lcd'])}, radius {format_number(best['radius_m'])} m")

    if args.compare_footprint:
        surf = links._runs[ids[0]].cwd
        for r in args.radii_m:
            kc = r / cell
            t = time.perf_counter()
            a = plain(surf, kc)
            t_disc = time.perf_counter() - t
            t = time.perf_counter()
            b = ndimage.minimum_filter(surf, footprint=bm.disc_footprint(kc), mode="constant", cval=np.inf)
            t_fp = time.perf_counter() - t
            same = np.array_equal(a, b)
            print(f"radius {format_number(r)} m ({format_number(kc)} cells), one surface: disc_minimum "
                  f"{format_number(t_disc)} s, minimum_filter with the footprint {format_number(t_fp)} s, equal: {same}")


if __name__ == "__main__":
    main()
