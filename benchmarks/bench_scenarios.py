"""Scenario throughput: 8 scenarios one after another vs on a 2-worker Dask LocalCluster, and the README run command.

Run by hand (it takes minutes and both cores):

    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_scenarios.py
    flock /tmp/corridors-bench.lock .venv/bin/python benchmarks/bench_scenarios.py --resolution 5000 --ceiling --cold --run-command

Prints the figures; the goal is a speed-up >= 1.7x on 2 cores. Timings are
only comparable within one run of this script, and even there the machine's
speed drifts (the same scenario took 10.6 s and 15.8 s minutes apart), so
sequential and batch runs are alternated over --rounds and the median
ratio is reported.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
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


def _scenario_data(name: str, resolution: float, draws: int) -> dict:
    """A shipped scenario file's content with the benchmark's resolution and robustness draws."""
    data = yaml.safe_load((SCENARIOS / f"{name}.yml").read_text())
    data.setdefault("landscape", {})["resolution_m"] = resolution
    data.setdefault("scoring", {})["robustness"] = {"draws": draws}
    return data


def _models(resolution: float, draws: int):
    from corridors.scenario import scenario_from_dict

    return [scenario_from_dict(_scenario_data(name, resolution, draws), source=f"{name}.yml", base_dir=SCENARIOS)
            for name in FILES]


def _write_files(resolution: float, draws: int, folder: Path) -> list[Path]:
    """The eight scenario files with the benchmark's resolution and draws, for the cold (new process) runs."""
    folder.mkdir(parents=True)
    out = []
    for name in FILES:
        p = folder / f"{name}.yml"
        p.write_text(yaml.safe_dump(_scenario_data(name, resolution, draws), sort_keys=False))
        out.append(p)
    return out


def _cold(files: list[Path], root: Path) -> tuple[float, float]:
    """Wall time of a new process running the files one after another, and of `corridors batch` on them."""
    loop = ("import sys\nfrom pathlib import Path\nfrom corridors.scenario import run_scenario\n"
            "for f in sys.argv[2:]:\n    run_scenario(f, Path(sys.argv[1]) / Path(f).stem, quiet=True)\n")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", loop, str(root / "cold-seq"), *map(str, files)], check=True)
    t_seq = time.perf_counter() - t0
    exe = Path(sys.executable).with_name("corridors")
    t0 = time.perf_counter()
    subprocess.run([str(exe), "-q", "batch", *map(str, files), "-o", str(root / "cold-batch")], check=True,
                   stdout=subprocess.DEVNULL)
    return t_seq, time.perf_counter() - t0


def _plain_worker(models, root: str, barrier, jobs, results) -> None:
    """One plain process of the ceiling run: warm up, wait for the other, then take scenarios off the queue."""
    from corridors.batch import _warm_up
    from corridors.scenario import run_scenario

    _warm_up()
    barrier.wait()
    while (i := jobs.get()) is not None:
        t = time.perf_counter()
        run_scenario(models[i], Path(root) / models[i].name, quiet=True)
        results.put((models[i].name, time.perf_counter() - t))
    results.put(None)


def _plain(models, root: Path, workers: int) -> float:
    """The machine's own ceiling: the scenarios on `workers` plain processes, no Dask.

    The processes are started and warmed up first (not timed), then take the
    scenarios longest first from a queue, as the batch's workers do; the
    time runs from the moment all are ready to the last result. What two
    processes lose here against one is the machine (shared caches, memory
    bandwidth, clock), not Dask.
    """
    import multiprocessing as mp

    from corridors.batch import relative_cost

    ctx = mp.get_context("spawn")
    barrier, jobs, results = ctx.Barrier(workers + 1), ctx.Queue(), ctx.Queue()
    for i in sorted(range(len(models)), key=lambda i: -relative_cost(models[i])):
        jobs.put(i)
    for _ in range(workers):
        jobs.put(None)
    procs = [ctx.Process(target=_plain_worker, args=(models, str(root), barrier, jobs, results))
             for _ in range(workers)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    done = 0
    while done < workers:
        if results.get() is None:
            done += 1
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"a plain process of the ceiling run failed (exit code {p.exitcode})")
    return elapsed


def _sequential(models, root: Path) -> tuple[float, dict[str, float]]:
    from corridors.scenario import run_scenario

    t0 = time.perf_counter()
    per = {}
    for m in models:
        t = time.perf_counter()
        run_scenario(m, root / m.name, quiet=True)
        per[m.name] = time.perf_counter() - t
    return time.perf_counter() - t0, per


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=10000.0, help="cell size in metres (shipped files use 5000)")
    ap.add_argument("--draws", type=int, default=500, help="robustness draws per scenario")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3,
                    help="sequential and batch runs, alternated; the machine's speed drifts by up to 30 %% over "
                         "minutes, so each round's ratio compares runs made minutes apart, and the median is reported")
    ap.add_argument("--cold", action="store_true",
                    help="also time, each round, a new Python process running the eight files one after another "
                         "against a new `corridors batch` process (imports and start-up charged to both)")
    ap.add_argument("--ceiling", action="store_true",
                    help="also time, each round, the same scenarios on plain processes without Dask (warm, longest "
                         "first from a queue): what this machine gives two processes, the most a batch can reach")
    ap.add_argument("--run-command", action="store_true", help="also time the README's run command, `corridors programme` (every step on the bundled data, "
                         "ending with the baseline scenario), and `corridors run scenarios/baseline.yml` alone")
    args = ap.parse_args()

    from corridors.batch import run_batch
    from corridors.scenario import run_scenario

    models = _models(args.resolution, args.draws)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scenarios-"))
    try:
        # warm-up: imports and bundled-data caches, so the sequential run is not charged for them
        run_scenario(models[-1], tmp / "warmup", quiet=True)
        files = _write_files(args.resolution, args.draws, tmp / "files") if args.cold else []
        rounds, cold, ceiling = [], [], []
        for r in range(args.rounds):
            # alternate which goes first, so a drift in the machine's speed does not favour one side
            order = ("seq", "batch") if r % 2 == 0 else ("batch", "seq")
            for side in order:
                if side == "seq":
                    t_seq, seq = _sequential(models, tmp / f"seq{r}")
                else:
                    t0 = time.perf_counter()
                    result = run_batch(models, tmp / f"batch{r}", workers=args.workers, quiet=True)
                    t_batch = time.perf_counter() - t0
            if args.ceiling:
                t_plain = _plain(models, tmp / f"plain{r}", args.workers)
                ceiling.append((t_seq, t_plain))
                print(f"round {r + 1} ceiling: {args.workers} plain processes {t_plain:.1f} s: speed-up "
                      f"{t_seq / t_plain:.2f}x (against this round's sequential run)", flush=True)
            if args.cold:
                c_seq, c_batch = _cold(files, tmp / f"cold{r}")
                cold.append((c_seq, c_batch))
                print(f"round {r + 1} cold: new process one after another {c_seq:.1f} s, `corridors batch` "
                      f"{c_batch:.1f} s: speed-up {c_seq / c_batch:.2f}x", flush=True)
            failed = [o.name for o in result.outcomes if not o.ok]
            in_tasks = sum(o.seconds for o in result.outcomes)
            rounds.append((t_seq, t_batch, result.run_seconds, in_tasks))
            print(f"round {r + 1} ({' then '.join(order)}): sequential {t_seq:.1f} s, batch {t_batch:.1f} s "
                  f"(scenarios {result.run_seconds:.1f} s, task times sum {in_tasks:.1f} s): "
                  f"speed-up {t_seq / t_batch:.2f}x whole call, {t_seq / result.run_seconds:.2f}x scenarios only"
                  + (f"; FAILED in batch: {', '.join(failed)}" if failed else ""), flush=True)

        print(f"\nscenarios: {len(models)} at {args.resolution / 1000:g} km, {args.draws} robustness draws each; "
              f"last round:")
        for m in models:
            o = next(x for x in result.outcomes if x.name == m.name)
            print(f"  {m.name:24s} sequential {seq[m.name]:6.1f} s   on a worker {o.seconds:6.1f} s")
        print(f"cluster start-up and warm-up: {result.startup_seconds:.1f} s (last round)")
        whole = statistics.median(s / b for s, b, _, _ in rounds)
        only = statistics.median(s / r for s, _, r, _ in rounds)
        slower = statistics.median(t / s - 1 for s, _, _, t in rounds)
        print(f"speed-up, whole batch call:    median {whole:.2f}x over {len(rounds)} rounds (goal >= 1.7x on 2 cores)")
        print(f"speed-up, scenarios only:      median {only:.2f}x (cluster already up, warm workers)")
        print(f"task times on the workers against sequential: median {slower:+.0%}")
        if ceiling:
            print(f"speed-up, plain processes:     median {statistics.median(a / b for a, b in ceiling):.2f}x "
                  f"(no Dask, warm, same queue order: this machine's ceiling; compare with 'scenarios only')")
        if cold:
            print(f"speed-up, new processes:       median {statistics.median(a / b for a, b in cold):.2f}x "
                  "(one after another in one process against `corridors batch`, both from the shell)")

        if args.run_command:
            exe = Path(sys.executable).with_name("corridors")
            for label, cmd in (
                ("README run command, corridors programme", [str(exe), "-q", "programme", "-o", str(tmp / "readme")]),
                ("corridors run scenarios/baseline.yml (5 km)",
                 [str(exe), "-q", "run", str(SCENARIOS / "baseline.yml"), "-o", str(tmp / "baseline")]),
            ):
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                print(f"{label}, cold start: {time.perf_counter() - t0:.1f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
