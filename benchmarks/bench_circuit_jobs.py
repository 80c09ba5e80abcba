"""Benchmark of Circuitscape INI jobs end to end: the speed targets of the Circuitscape-parity work, with ratios from one run.

Run by hand (never by the test suite), one at a time on a shared machine::

    .venv/bin/python benchmarks/bench_circuit_jobs.py                 # targets 1 and 2 on 1000 x 1000
    .venv/bin/python benchmarks/bench_circuit_jobs.py --big           # target 3: 5000 x 5000, one pair (about 13 GiB)

Every grid holds random resistances 1-100 (seed 42), 8 neighbours, average
conductance (Circuitscape's defaults), written as an ESRI ASCII grid with a
text list of focal points, as a Circuitscape user would give them.

1. ``corridors circuit run`` of one pair, the whole process (start, imports,
   reading, graph, solve, writing), against a bare pyamg smoothed-aggregation
   setup + CG solve of the same grounded system and tolerance, timed
   in-process with nothing around it: with corridors' AMG options (the
   floor), with the options corridors had when the target was set, and with
   pyamg's defaults. Target: at most 1.1x.
2. 20 focal points, pairwise, resistances only: ``solver = cholmod`` against
   ``solver = cg+amg`` on the same job, each in its own process. Target:
   cholmod at least 3x faster, the same resistances to 1e-6 (relative).
3. 25 M cells (5000 x 5000), one pair: time and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent.parent


def write_job(folder: Path, n: int, n_points: int, solver: str = "cg+amg", seed: int = 42) -> Path:
    """A pairwise job on an n x n random grid with ``n_points`` focal points; returns the INI."""
    from affine import Affine

    from corridors.raster import Raster

    rng = np.random.default_rng(seed)
    hab = folder / "hab.asc"
    if not hab.exists():
        Raster(rng.uniform(1.0, 100.0, (n, n)), Affine(1, 0, 0, 0, -1, n), None, -9999.0, "hab").write(hab)
    if n_points == 2:
        rc = np.array([[n // 10, n // 10], [n - 1 - n // 10, n - 1 - n // 10]])
    else:
        rc = np.random.default_rng(seed + 1).integers(0, n, (n_points, 2))
    lines = [f"{k + 1} {c + 0.5} {n - r - 0.5}" for k, (r, c) in enumerate(rc)]
    (folder / f"pts{n_points}.txt").write_text("\n".join(lines) + "\n")
    ini = folder / f"job_{n_points}_{solver.replace('+', '')}.ini"
    ini.write_text(
        "[Circuitscape mode]\ndata_type = raster\nscenario = pairwise\n"
        f"habitat_file = hab.asc\nhabitat_map_is_resistances = True\npoint_file = pts{n_points}.txt\n"
        f"solver = {solver}\noutput_file = out/{ini.stem}.out\n"
        "connect_four_neighbors_only = False\nconnect_using_avg_resistances = False\n"
    )
    return ini


def timed_process(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr.read()}")
    return wall, usage.ru_maxrss / 2**20


def cli(ini: Path) -> list[str]:
    return [sys.executable, "-c", "from corridors.cli import main; main()", "-q", "circuit", "run", ini.name]


def bare_pyamg(folder: Path, rtol: float) -> dict:
    """pyamg SA + CG on the job's own grounded system, timed in-process (the system is built first, untimed)."""
    import pyamg
    import scipy.sparse as sp

    from corridors.circuit import inputs
    from corridors.circuit.graph import circuitscape_graph
    from corridors.circuit.solve import AMG_OPTIONS, _single_thread_blas

    cond, template = inputs.read_cellmap(folder / "hab.asc", True)
    pts = inputs.read_points(folder / "pts2.txt", template)
    g = circuitscape_graph(cond)
    a, b = g.nodemap[pts.rows, pts.cols]
    A = sp.csr_matrix(g.laplacian, copy=True)
    A[a, a] = A[a, a] * 2.0
    rhs = np.zeros(A.shape[0])
    rhs[b] = 1.0
    out = {}
    for key, options in (("bare_s", AMG_OPTIONS), ("before_s", OPTIONS_BEFORE), ("defaults_s", {"symmetry": "hermitian"})):
        times = []
        for _ in range(2):
            with _single_thread_blas():
                t0 = time.perf_counter()
                ml = pyamg.smoothed_aggregation_solver(A, **options)
                x = ml.solve(rhs, tol=rtol, accel="cg", maxiter=500)
                times.append(time.perf_counter() - t0)
            del ml
        out[key] = min(times)
        if key == "bare_s":  # the first solve of the process: its memory not yet faulted in, as in a whole process
            out["cold_s"] = times[0]
        out.setdefault("R", float(x[b] - x[a]))
    return out


FIXED_COSTS = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
import pyamg  # noqa: F401  (the solver's import, as a run pays it)
from corridors.circuit import inputs
from corridors.circuit.graph import circuitscape_graph
t1 = time.perf_counter()
cond, template = inputs.read_cellmap(Path("hab.asc"), True)
pts = inputs.read_points(Path("pts2.txt"), template)
t2 = time.perf_counter()
g = circuitscape_graph(cond)
g.components
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def fixed_costs(folder: Path) -> tuple[float, list[float]]:
    """A process that does all a one-pair run does before the AMG setup (start, imports, reading, graph), best of 2."""
    best = None
    for _ in range(2):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FIXED_COSTS], cwd=folder, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        if best is None or wall < best[0]:
            best = (wall, [float(v) for v in out.stdout.split()])
    return best


#: corridors' AMG options when this target was set (symmetric Gauss-Seidel sweeps at both ends of the V-cycle).
OPTIONS_BEFORE = {"symmetry": "hermitian", "smooth": ("jacobi", {"weighting": "local"}), "improve_candidates": None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--big", action="store_true", help="Only target 3: one pair on 5000 x 5000.")
    ap.add_argument("--bare", metavar="FOLDER", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    from corridors.circuit.solve import DEFAULT_RTOL

    if args.bare:
        print(json.dumps(bare_pyamg(Path(args.bare), DEFAULT_RTOL)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.big:
            ini = write_job(folder, 5000, 2)
            wall, rss = timed_process(cli(ini), folder)
            r = np.loadtxt(folder / "out" / f"{ini.stem}_resistances.out")[1, 2]
            print(f"5000 x 5000 = 25 M cells, one pair through corridors circuit run: {wall:.1f} s, peak RSS {rss:.2f} GiB, R {r:.6g}")
            return
        n = args.size
        ini = write_job(folder, n, 2)
        runs = [timed_process(cli(ini), folder)[0] for _ in range(2)]
        ours = min(runs)
        r_ours = np.loadtxt(folder / "out" / f"{ini.stem}_resistances.out")[1, 2]
        bare = json.loads(subprocess.run([sys.executable, __file__, "--bare", str(folder)], capture_output=True, text=True,
                                         check=True).stdout)
        print(f"1. one pair, {n} x {n}: corridors circuit run (whole process, best of 2: {', '.join(f'{t:.2f}' for t in runs)} s) "
              f"{ours:.2f} s | bare pyamg SA + CG (same system, options, rtol {DEFAULT_RTOL:g}) {bare['bare_s']:.2f} s "
              f"| ratio {ours / bare['bare_s']:.2f}x (target <= 1.1x); against the bare process's first (cold) solve "
              f"{bare['cold_s']:.2f} s: {ours / bare['cold_s']:.2f}x | against bare SA with corridors' options before "
              f"{bare['before_s']:.2f} s: {ours / bare['before_s']:.2f}x; with pyamg's defaults {bare['defaults_s']:.2f} s: "
              f"{ours / bare['defaults_s']:.2f}x | R {r_ours:.8g} vs bare {bare['R']:.8g}", flush=True)
        wall, (imp, read, graph) = fixed_costs(folder)
        print(f"   fixed costs of any process that runs this job, before the AMG setup (best of 2): {wall:.2f} s "
              f"(start + imports {wall - read - graph:.2f}, of which corridors.circuit and pyamg {imp:.2f}; reading the grid "
              f"and points {read:.2f}; graph and components {graph:.2f}) = {wall / bare['bare_s']:.2f}x the bare solve "
              f"with corridors' options: the whole process cannot be under {1 + wall / bare['bare_s']:.2f}x of it", flush=True)
        res = {}
        for solver in ("cg+amg", "cholmod"):
            job = write_job(folder, n, 20, solver)
            wall, rss = timed_process(cli(job), folder)
            res[solver] = (wall, rss, np.loadtxt(folder / "out" / f"{job.stem}_resistances.out")[1:, 1:])
        (ta, ma, ra), (tc, mc, rc) = res["cg+amg"], res["cholmod"]
        rel = float(np.max(np.abs(rc - ra) / np.maximum(np.abs(ra), 1e-300)))
        print(f"2. 20 focal points, pairwise, {n} x {n}: cg+amg {ta:.1f} s ({ma:.2f} GiB) | cholmod {tc:.1f} s ({mc:.2f} GiB) "
              f"| speed-up {ta / tc:.2f}x (target >= 3x) | largest relative difference of the 190 resistances {rel:.1e}")


if __name__ == "__main__":
    main()
