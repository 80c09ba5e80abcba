"""Time the foundation: loading all bundled data plus building the river graph (goal < 2 s), and the programme map (goal < 10 s).

Run by hand (not part of the tests), from the repository root:

    .venv/bin/python benchmarks/bench_foundation.py [--repeat 3] [--outdir /tmp/bench_map]

"Load" reads and validates the sites and the measures, reads the river
centrelines and the five base layers (reprojected to the working CRS), and
builds the river-connectivity graph with the sites snapped. "Map" draws
Figure 1 (programme_map) and writes it as PNG at 300 dpi, SVG and PDF
(save_figure). The first round runs cold (first use of the PROJ database,
font cache, etc. inside this process, module imports excluded and timed on
their own); the best and median of the rounds that follow are printed too.
Those rounds read the rivers and borders from their loaders' per-process
caches (``rivers.load_rivers``, ``borders.border_lines``), as the steps of
one run do; the map's other base layers are read again each round
(``plot.clear_caches``).
CPU time of the process is printed beside the wall time: on a shared
machine wall time includes waiting for a core, CPU time does not.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _load_all():
    from corridors import io, plot, programme, rivers, sites

    plot.clear_caches()
    s = sites.load_sites()
    m = programme.load_measures()
    r = rivers.load_rivers()
    base = {name: io.load_base(name) for name in io.BASE_LAYERS}
    g = rivers.build_river_graph(r, s)
    return s, m, r, base, g


def _render(sites, outdir: Path) -> tuple[float, float, float, float, int]:
    from corridors import plot

    t0, c0 = time.perf_counter(), time.process_time()
    fig = plot.programme_map(sites)
    t1, c1 = time.perf_counter(), time.process_time()
    plot.save_figure(fig, outdir / "programme_map", formats=("png", "svg", "pdf"), dpi=300)
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, t2 - t1, c1 - c0, c2 - c1, len(plot.map_labels(fig))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Rounds after the cold one (default 3).")
    parser.add_argument("--outdir", type=Path, default=None, help="Where the map files go (default: a temporary folder).")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import corridors.plot  # noqa: F401
    import corridors.rivers  # noqa: F401
    import corridors.sites  # noqa: F401

    t_import = time.perf_counter() - t0

    load_times, load_cpu = [], []
    for _ in range(1 + args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        s, m, r, base, g = _load_all()
        load_times.append(time.perf_counter() - t0)
        load_cpu.append(time.process_time() - c0)

    with tempfile.TemporaryDirectory() as tmp:
        outdir = args.outdir or Path(tmp)
        renders = [_render(s, outdir) for _ in range(1 + args.repeat)]
        sizes = {p.suffix: p.stat().st_size for p in outdir.glob("programme_map.*")}

    def line(name: str, times: list[float], cpu: list[float], goal: float) -> str:
        cold, warm = times[0], times[1:] or times
        verdict = "ok" if min(warm) < goal else "OVER GOAL"
        return (
            f"{name:<34} wall: cold {cold:6.2f} s, best {min(warm):6.2f} s, median {statistics.median(warm):6.2f} s"
            f" | cpu: cold {cpu[0]:6.2f} s, best {min(cpu[1:] or cpu):6.2f} s | goal < {goal:g} s: {verdict}"
        )

    print(f"imports (corridors.sites, rivers, plot and their libraries): {t_import:.2f} s")
    print(
        f"data: {len(s)} sites, {len(m)} measures, {len(r)} river lines, "
        f"{sum(len(b) for b in base.values())} base features; graph {g.number_of_nodes()} nodes, "
        f"{g.number_of_edges()} reaches"
    )
    print(line("load all data + river graph", load_times, load_cpu, 2.0))
    print(line("programme map: draw", [r_[0] for r_ in renders], [r_[2] for r_ in renders], 10.0))
    print(line("programme map: write PNG/SVG/PDF", [r_[1] for r_ in renders], [r_[3] for r_ in renders], 10.0))
    print(
        line(
            "programme map: draw + write",
            [r_[0] + r_[1] for r_ in renders],
            [r_[2] + r_[3] for r_ in renders],
            10.0,
        )
    )
    print(f"labels placed: {renders[0][4]}; files: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
