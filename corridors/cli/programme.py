"""`corridors programme`: the main job, every analysis of the work programme on the bundled data into one folder."""

from __future__ import annotations

import time
from pathlib import Path

import click

from corridors import settings
from corridors.io import provenance
from corridors.cli._options import outdir_option
from corridors.cli.circuit import centrality_cmd, pinch_cmd
from corridors.cli.lcp import linkages_cmd
from corridors.cli.map import programme_cmd as map_programme_cmd
from corridors.cli.network import network_cmd
from corridors.cli.rivers import rivers_cmd
from corridors.cli.scenario import run_cmd

#: The steps of the main job: (sub-folder, title, command, extra arguments).
#: Each step is the same command a user can run alone, with its defaults.
STEPS = [
    ("map", "programme map (Figure 1)", map_programme_cmd, {}),
    ("rivers", "river graph and along-river distances", rivers_cmd, {}),
    ("linkages", "least-cost linkages of the programme's corridors", linkages_cmd, {}),
    ("pinch", "pinch points and effective resistance of the corridors", pinch_cmd, {}),
    ("centrality", "current-flow centrality of the linkage network", centrality_cmd, {}),
    ("network", "habitat network, Conefor metrics and what-if ranking", network_cmd, {}),
    ("baseline", "baseline scenario: scores, robustness and report", run_cmd, {"scenario": None}),
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
    lists every bundled input file with its SHA-256 and the package versions. Each step is the
    subcommand of the same name run with its defaults, writing into its own
    sub-folder; a failing step stops the job with its error and leaves the
    folders of the steps before it intact.
    """
    quiet = ctx.find_root().params.get("quiet", False)
    scenario = scenario or settings.DATA_DIR.parent / "scenarios" / "baseline.yml"
    timings = []
    for i, (sub, title, cmd, extra) in enumerate(STEPS, 1):
        if not quiet:
            click.secho(f"[{i}/{len(STEPS)}] {title} -> {outdir / sub}", bold=True)
        kwargs = dict(extra)
        if "scenario" in kwargs:
            kwargs["scenario"] = scenario
        t0 = time.perf_counter()
        ctx.invoke(cmd, outdir=outdir / sub, **kwargs)
        timings.append((sub, time.perf_counter() - t0))
    provenance.write(
        outdir / "provenance.json",
        provenance.record(
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
