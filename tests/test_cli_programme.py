"""`corridors programme`: the main job, each step the subcommand of the same name with its defaults."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from corridors.cli import main
from corridors.cli.lcp import given_options
from corridors.cli.network import network_cmd
from corridors.cli.programme import STEPS

from _helpers import invoke, usage_error, walk_commands


def test_help_names_every_step_folder():
    result = invoke("programme", "--help")
    assert result.exit_code == 0, result.output
    assert "--scenario" in result.output and "report.html" in result.output
    for sub in ("map", "rivers", "linkages", "pinch", "centrality", "network", "omniscape", "restoration", "viability", "baseline"):
        assert sub in result.output


def test_programme_steps_are_registered_subcommands():
    registered = {cmd for _, cmd in walk_commands(main)}
    assert all(cmd in registered for _, _, cmd, _ in STEPS)
    assert [sub for sub, *_ in STEPS] == ["map", "rivers", "linkages", "pinch", "centrality", "network", "omniscape", "restoration", "viability", "baseline"]


def test_missing_scenario_is_a_usage_error_before_any_step(tmp_path):
    out = tmp_path / "out"
    usage_error(invoke("programme", "-o", out, "--scenario", tmp_path / "nowhere.yml"), "'--scenario'", "nowhere.yml")
    assert not out.exists()


@pytest.mark.slow
def test_main_job_writes_every_step(tmp_path):
    """The README's run command on the bundled data (about half a minute)."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--quiet", "programme", "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = [
        "map/programme_map.png",
        "map/programme_map.pdf",
        "rivers/river_graph.gpkg",
        "rivers/river_distances.csv",
        "linkages/linkages.gpkg",
        "linkages/corridors.tif",
        "pinch/pinchpoints.tif",
        "network/network.gpkg",
        "omniscape/normalized_cum_currmap.tif",
        "omniscape/flow_classes.csv",
        "restoration/restoration_sites.gpkg",
        "restoration/restoration_sites.csv",
        "viability/viability.csv",
        "baseline/report.html",
        "baseline/report.md",
        "baseline/provenance.json",
        "provenance.json",
        "index.html",
    ]
    missing = [p for p in expected if not (out / p).is_file()]
    assert missing == []
    # issue 11: every step's folder holds its provenance and its map
    for sub in ("map", "rivers", "linkages", "pinch", "centrality", "network", "omniscape", "restoration", "viability", "baseline"):
        assert (out / sub / "provenance.json").is_file(), sub
        assert list((out / sub).glob("*_map.png")), sub
    assert (out / "map/programme_map.png").stat().st_size > 100_000
    report = (out / "baseline/report.md").read_text()
    assert "cand-kyzyltau-baijurkum" in report  # unresolved places are listed, never dropped
    # issue 18: the interactive map of the whole job, listed in OUTDIR's manifest, linking the report
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "index.html" in (out / ".corridors-output.json").read_text()
    assert 'href="baseline/report.html"' in page and "cand-kyzyltau-baijurkum" in page


def test_steps_invoked_like_the_programme_count_no_option_as_given(tmp_path, conefor_project):
    # `corridors programme` runs each step with ctx.invoke, where click records no parameter source:
    # the checks refusing options a run would ignore must not see them as typed.
    nodes, links = conefor_project
    seen = {}

    @click.command()
    @click.option("--adjacency", default="both")
    @click.pass_context
    def step(ctx, adjacency):
        seen["given"] = given_options(ctx)

    @click.command()
    @click.pass_context
    def wrapper(ctx):
        ctx.invoke(step)
        ctx.invoke(network_cmd, outdir=tmp_path / "net", conefor_nodes=nodes, conefor_links=links, conefor_kind="probability")

    result = CliRunner().invoke(main, ["-q", "programme", "--help"])
    assert result.exit_code == 0
    main.add_command(wrapper, "wrapper-for-test")
    try:
        result = CliRunner().invoke(main, ["-q", "wrapper-for-test"])
    finally:
        main.commands.pop("wrapper-for-test")
    assert result.exit_code == 0, result.output
    assert seen["given"] == set()
    assert (tmp_path / "net" / "network_summary.csv").exists()
    typed = CliRunner().invoke(step, ["--adjacency", "cost"])
    assert typed.exit_code == 0 and seen["given"] == {"adjacency"}
