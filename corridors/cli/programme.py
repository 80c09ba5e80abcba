"""`corridors programme`: the main job, every analysis of the work programme on the bundled data into one folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click

from corridors import settings
from corridors.io import provenance
from corridors.cli._options import outdir_option
from corridors.cli.circuit import centrality_cmd, pinch_cmd, print_centrality, print_pinch
from corridors.cli.lcp import linkages_cmd, print_linkages
from corridors.cli.map import print_programme_map
from corridors.cli.map import programme_cmd as map_programme_cmd
from corridors.cli.network import network_cmd, print_network
from corridors.cli.rivers import print_rivers, rivers_cmd
from corridors.cli.scenario import print_scenario, run_cmd

#: A step of the main job: run with its defaults, write into ``outdir``, and print what the
#: subcommand of the same name prints unless ``quiet``. Arguments: (ctx, outdir, scenario, quiet).
Step = Callable[[click.Context, Path, Path, bool], None]


# The analyses are imported when their step runs: an analysis module takes about 2.5 s to import
# (geopandas, rasterio, matplotlib; measured with python -X importtime), the whole `corridors` CLI 0.4 s.
def _map(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.programme_map import run_programme_map

    result = run_programme_map()
    written = result.write(outdir)
    if not quiet:
        print_programme_map(result, written)


def _rivers(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.rivers import run_rivers

    result = run_rivers()
    written = result.write(outdir)
    if not quiet:
        print_rivers(result, written)


def _linkages(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.linkages import run_linkages

    run = run_linkages(quiet=quiet)
    paths = run.write(outdir)
    if not quiet:
        print_linkages(run, paths)


def _pinch(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.pinch import run_pinch

    result = run_pinch(quiet=quiet)
    written = result.write(outdir)
    if not quiet:
        print_pinch(result, written)


def _centrality(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.centrality import run_centrality

    result = run_centrality(quiet=quiet)
    written = result.write(outdir)
    if not quiet:
        print_centrality(result, written)


def _network(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from rich.console import Console

    from corridors.analyses.network import run_network

    run = run_network(quiet=quiet)
    files = run.write(outdir)
    if not quiet:
        print_network(run, files, Console())


def _baseline(ctx: click.Context, outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.scenario import load_scenario, run_scenario

    result = run_scenario(load_scenario(scenario), outdir, quiet=quiet)
    if not quiet:
        print_scenario(result)


#: The steps of the main job: (sub-folder, title, subcommand, step). Each step runs what the
#: subcommand runs, with its defaults; the subcommand is the one a user runs to redo the step alone.
STEPS: list[tuple[str, str, click.Command, Step]] = [
    ("map", "programme map (Figure 1)", map_programme_cmd, _map),
    ("rivers", "river graph and along-river distances", rivers_cmd, _rivers),
    ("linkages", "least-cost linkages of the programme's corridors", linkages_cmd, _linkages),
    ("pinch", "pinch points and effective resistance of the corridors", pinch_cmd, _pinch),
    ("centrality", "current-flow centrality of the linkage network", centrality_cmd, _centrality),
    ("network", "habitat network, Conefor metrics and what-if ranking", network_cmd, _network),
    ("baseline", "baseline scenario: scores, robustness and report", run_cmd, _baseline),
]


@click.command("programme")
@outdir_option(Path("out"), "Output folder; one sub-folder per step (map, rivers, linkages, pinch, centrality, network, baseline).")
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Scenario of the last step (default: scenarios/baseline.yml of the repository).",
)
@click.pass_context
def programme_cmd(ctx: click.Context, outdir: Path, scenario: Path | None) -> None:
    """Run the main job on the bundled data: every analysis of the work programme.

    Draws the programme map, builds the river graph, maps the programme's
    candidate corridors (least cost, pinch points, centrality), computes the
    habitat network's metrics and what-if ranking, and runs the baseline
    scenario with its report (OUTDIR/baseline/report.html). OUTDIR/provenance.json
    lists every bundled input file with its SHA-256 and the package versions. Each step runs
    what the subcommand of the same name runs with its defaults, writing into its own
    sub-folder; a failing step stops the job with its error and leaves the
    folders of the steps before it intact.
    """
    quiet = ctx.find_root().params.get("quiet", False)
    scenario = scenario or settings.DATA_DIR.parent / "scenarios" / "baseline.yml"
    timings = []
    for i, (sub, title, _cmd, step) in enumerate(STEPS, 1):
        if not quiet:
            click.secho(f"[{i}/{len(STEPS)}] {title} -> {outdir / sub}", bold=True)
        t0 = time.perf_counter()
        step(ctx, outdir / sub, scenario, quiet)
        timings.append((sub, time.perf_counter() - t0))
    provenance.write(
        path=outdir / "provenance.json",
        rec=provenance.record(
            inputs={"data": settings.DATA_DIR, "scenario": scenario},
            parameters={"steps": {sub: round(t, 1) for sub, t in timings}},
            command="corridors programme",
        ),
    )
    if not quiet:
        total = sum(t for _, t in timings)
        click.echo(
            "done in "
            + f"{total:.0f} s ("
            + ", ".join(f"{sub} {t:.0f} s" for sub, t in timings)
            + f"); open {outdir / 'baseline' / 'report.html'}"
        )
