"""`corridors programme`: the main job, every analysis of the work programme on the bundled data into one folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from corridors import settings
from corridors.cli._options import is_quiet, outdir_option
from corridors.cli.circuit import centrality_cmd, pinch_cmd, print_centrality, print_pinch
from corridors.cli.lcp import linkages_cmd, print_linkages
from corridors.cli.map import print_programme_map
from corridors.cli.map import programme_cmd as map_programme_cmd
from corridors.cli.network import network_cmd, print_network
from corridors.cli.omniscape import print_programme_omniscape
from corridors.cli.omniscape import programme_cmd as omniscape_programme_cmd
from corridors.cli.pva import print_pva, pva_cmd
from corridors.cli.restore import print_restoration
from corridors.cli.restore import sites_cmd as restore_sites_cmd
from corridors.cli.rivers import print_rivers, rivers_cmd
from corridors.cli.scenario import print_scenario, run_cmd
from corridors.io import provenance, staged_folder

#: A step of the main job: run with its defaults, write into ``outdir``, and print what the
#: subcommand of the same name prints unless ``quiet``. Arguments: (outdir, scenario, quiet).
Step = Callable[[Path, Path, bool], None]


def _write_and_print(result: Any, outdir: Path, quiet: bool, show: Callable[[Any, Any], None]) -> None:
    """Write a step's result into ``outdir`` (``result.write``) and print it with ``show`` unless ``quiet``."""
    written = result.write(outdir)
    if not quiet:
        show(result, written)


# Each step imports its analysis when it runs, as its subcommand does: every analysis module adds
# 0.15-0.96 s on top of `import corridors.cli` (best of 3, measured one by one: rivers 0.15 s, linkages
# 0.68 s, programme_map 0.69 s, pinch, centrality and network about 0.8 s, scenario 0.96 s), while
# `corridors --help` takes about 1.0 s in all.
def _map(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.programme_map import run_programme_map  # local: see the note above

    _write_and_print(run_programme_map(), outdir, quiet, print_programme_map)


def _rivers(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.rivers import run_rivers  # local: see the note above

    _write_and_print(run_rivers(), outdir, quiet, print_rivers)


def _linkages(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.linkages import run_linkages  # local: see the note above

    _write_and_print(run_linkages(quiet=quiet), outdir, quiet, print_linkages)


def _pinch(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.pinch import run_pinch  # local: see the note above

    _write_and_print(run_pinch(quiet=quiet), outdir, quiet, print_pinch)


def _centrality(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.centrality import run_centrality  # local: see the note above

    _write_and_print(run_centrality(quiet=quiet), outdir, quiet, print_centrality)


def _network(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.network import run_network  # local: see the note above

    _write_and_print(run_network(quiet=quiet), outdir, quiet, lambda run, files: print_network(run, files, Console()))


def _omniscape(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.omniscape import run_programme_omniscape  # local: see the note above

    _write_and_print(run_programme_omniscape(), outdir, quiet, print_programme_omniscape)


def _restoration(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.restoration import run_restoration  # local: see the note above

    _write_and_print(run_restoration(), outdir, quiet, print_restoration)


def _viability(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.analyses.pva import run_programme_pva  # local: see the note above

    _write_and_print(run_programme_pva(), outdir, quiet, print_pva)


def _baseline(outdir: Path, scenario: Path, quiet: bool) -> None:
    from corridors.scenario import load_scenario, run_scenario  # local: see the note above

    # run_scenario writes its folder itself (staged, swapped in whole at the end).
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
    ("omniscape", "omnidirectional connectivity of the landscape (Omniscape)", omniscape_programme_cmd, _omniscape),
    ("restoration", "where to restore: ranked sites for the corridors (Barrier Mapper)", restore_sites_cmd, _restoration),
    ("viability", "population viability to 2032 and 2050 (baseline PVA)", pva_cmd, _viability),
    ("baseline", "baseline scenario: scores, robustness and report", run_cmd, _baseline),
]


@click.command("programme")
@outdir_option(Path("out"), "Output folder; one sub-folder per step (map, rivers, linkages, pinch, centrality, network, omniscape, restoration, viability, baseline).")
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
    habitat network's metrics and what-if ranking, maps omnidirectional
    connectivity (Omniscape), and runs the baseline
    scenario with its report (OUTDIR/baseline/report.html), then writes the
    interactive map OUTDIR/index.html (`corridors web`). OUTDIR/provenance.json
    lists every bundled input file with its SHA-256 and the package versions. Each step runs
    what the subcommand of the same name runs with its defaults, writing into its own
    sub-folder; a failing step stops the job with its error and leaves the
    folders of the steps before it intact.
    """
    quiet = is_quiet(ctx)
    scenario = scenario or settings.DATA_DIR.parent / "scenarios" / "baseline.yml"
    timings = []
    for i, (sub, title, _cmd, step) in enumerate(STEPS, 1):
        if not quiet:
            click.secho(f"[{i}/{len(STEPS)}] {title} -> {outdir / sub}", bold=True)
        t0 = time.perf_counter()
        step(outdir / sub, scenario, quiet)
        timings.append((sub, time.perf_counter() - t0))
    with staged_folder(outdir, name="programme") as tmp:  # listed in OUTDIR's manifest beside the step folders
        provenance.write(
            path=tmp / "provenance.json",
            rec=provenance.record(
                inputs={"data": settings.DATA_DIR, "scenario": scenario},
                parameters={"steps": {sub: round(t, 1) for sub, t in timings}},
                command="corridors programme",
            ),
        )
    _web(outdir, quiet)
    if not quiet:
        total = sum(t for _, t in timings)
        click.echo(
            "done in "
            + f"{total:.0f} s ("
            + ", ".join(f"{sub} {t:.0f} s" for sub, t in timings)
            + f"); open {outdir / 'index.html'} (interactive map, works offline) or {outdir / 'baseline' / 'report.html'}"
        )


def _web(outdir: Path, quiet: bool) -> None:
    """Write OUTDIR/index.html, the interactive map of every step's results (``corridors web OUTDIR``)."""
    # Local: corridors.web adds 0.98 s on top of `import corridors.cli` (best of 3), like the steps above.
    from corridors.web import write_web

    t0 = time.perf_counter()
    page = write_web(outdir)
    if not quiet:
        click.echo(f"interactive map -> {page} ({time.perf_counter() - t0:.0f} s)")
