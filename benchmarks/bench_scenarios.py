"""Scenario throughput: 8 scenarios one after another vs on a 2-worker Dask LocalCluster, and the README run command.

Run by hand (it takes minutes and both cores):

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_scenarios.py
    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_scenarios.py --resolution 5000 --run-command

Prints the figures; the goal is a speed-up >= 1.7x on 2 cores. Timings are
only comparable within one run of this script.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
#: the eight files timed: the baseline and the seven measure groups (programme_2032 combines them)
FILES = (
    "baseline",
    "corridor_restoration",
    "riparian_reforestation",
    "protected_areas",
    "border_permeability",
    "habitat_loss",
    "reintroduction",
    "population_control",
)


def _models(resolution: float, draws: int):
    from corridors.scenario import scenario_from_dict

    out = []
    for name in FILES:
        data = yaml.safe_load((SCENARIOS / f"{name}.yml").read_text())
        data.setdefault("landscape", {})["resolution_m"] = resolution
        data.setdefault("scoring", {})["robustness"] = {"draws": draws}
        out.append(scenario_from_dict(data, source=f"{name}.yml", base_dir=SCENARIOS))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=10000.0, help="cell size in metres (shipped files use 5000)")
    ap.add_argument("--draws", type=int, default=500, help="robustness draws per scenario")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--run-command", action="store_true", help="also time `corridors run scenarios/baseline.yml` as shipped")
    args = ap.parse_args()

    from corridors.batch import run_batch
    from corridors.scenario import run_scenario

    models = _models(args.resolution, args.draws)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scenarios-"))
    try:
        # warm-up: imports and bundled-data caches, so the sequential run is not charged for them
        run_scenario(models[-1], tmp / "warmup", quiet=True)
        t0 = time.perf_counter()
        seq = {}
        for m in models:
            t = time.perf_counter()
            run_scenario(m, tmp / "seq" / m.name, quiet=True)
            seq[m.name] = time.perf_counter() - t
        t_seq = time.perf_counter() - t0

        t0 = time.perf_counter()
        result = run_batch(models, tmp / "batch", workers=args.workers, quiet=True)
        t_batch = time.perf_counter() - t0
        failed = [o.name for o in result.outcomes if not o.ok]
        in_tasks = sum(o.seconds for o in result.outcomes)

        print(f"scenarios: {len(models)} at {args.resolution / 1000:g} km, {args.draws} robustness draws each")
        for m in models:
            o = next(x for x in result.outcomes if x.name == m.name)
            print(f"  {m.name:24s} sequential {seq[m.name]:6.1f} s   on a worker {o.seconds:6.1f} s")
        print(f"sequential (one process, warm):          {t_seq:7.1f} s")
        print(f"LocalCluster, {args.workers} workers, total:          {t_batch:7.1f} s"
              f"  (start-up and warm-up {result.startup_seconds:.1f} s, scenarios {result.run_seconds:.1f} s)")
        print(f"sum of task times on the workers:        {in_tasks:7.1f} s")
        print(f"speed-up, whole batch call:    {t_seq / t_batch:.2f}x (goal >= 1.7x on 2 cores)")
        print(f"speed-up, scenarios only:      {t_seq / result.run_seconds:.2f}x (cluster already up, warm workers)")
        if failed:
            print(f"FAILED in batch: {', '.join(failed)}")

        if args.run_command:
            exe = Path(sys.executable).with_name("corridors")
            cmd = [str(exe), "-q", "run", str(SCENARIOS / "baseline.yml"), "-o", str(tmp / "readme")]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"README run command (corridors run scenarios/baseline.yml, 5 km, cold start): "
                  f"{time.perf_counter() - t0:.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
