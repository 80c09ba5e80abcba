"""The `corridors` command as a whole: help on every subcommand, exit codes, --debug, and the main job."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from corridors.cli import main
from corridors.cli.programme import STEPS


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_subcommand_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and "--help" in result.output


def test_usage_errors_exit_2():
    runner = CliRunner()
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2
    assert runner.invoke(main, ["rivers", "--tolerance-km", "minus-one"]).exit_code == 2


@pytest.mark.parametrize("args", [
    # 0 used to fall back to the default in silence ('resolution or 1000', 'rtol or 1e-9'); negatives reached the engines
    ["linkages", "--resolution", "0"],
    ["resistance", "--resolution", "-5"],
    ["circuit", "run", "job.ini", "--rtol", "0"],
    ["circuit", "run", "job.ini", "--rtol", "-1"],
    ["circuit", "run", "job.ini", "--max-memory-gb", "-1"],
])
def test_out_of_range_numbers_are_usage_errors(tmp_path, args):
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "o")] if args[0] != "circuit" else args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[-2]}'" in result.output
    assert not (tmp_path / "o").exists()


def test_data_error_is_one_line_and_exit_1(tmp_path):
    missing = tmp_path / "nowhere.geojson"
    result = CliRunner().invoke(main, ["rivers", "-o", str(tmp_path / "o"), "--sites", str(missing)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nowhere.geojson: file not found" in lines[0]
    assert not (tmp_path / "o").exists()


def test_warnings_are_one_line_without_source_location(tmp_path):
    # A Shapefile cuts the long 'source' texts: the user gets one 'warning:' line, not Python's file:line and code.
    out = tmp_path / "places.shp"
    result = CliRunner().invoke(main, ["sites", "export", str(out), "--kind", "subpopulation"])
    assert result.exit_code == 0, result.output
    warning_lines = [line for line in result.output.splitlines() if "254 characters" in line]
    assert len(warning_lines) == 1 and warning_lines[0].startswith("warning: ") and "places.shp" in warning_lines[0]
    assert "UserWarning" not in result.output and ".py:" not in result.output
    with pytest.warns(UserWarning, match="254 characters"):  # --debug leaves warnings to Python
        loud = CliRunner().invoke(main, ["--debug", "sites", "export", str(tmp_path / "again.shp"), "--kind", "subpopulation"])
    assert loud.exit_code == 0 and "warning: " not in loud.output


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": []}')
    quiet = CliRunner().invoke(main, ["rivers", "-o", str(tmp_path / "o"), "--sites", str(bad)])
    assert quiet.exit_code == 1 and quiet.output.startswith("error: ") and "bad.geojson" in quiet.output
    loud = CliRunner().invoke(main, ["--debug", "rivers", "-o", str(tmp_path / "o"), "--sites", str(bad)])
    assert loud.exit_code == 1
    assert loud.exception is not None and "bad.geojson" in str(loud.exception)


def test_programme_steps_are_registered_subcommands():
    registered = {cmd for _, cmd in _commands(main)}
    assert all(cmd in registered for _, _, cmd, _ in STEPS)
    assert [sub for sub, *_ in STEPS] == ["map", "rivers", "linkages", "pinch", "centrality", "network", "baseline"]


def test_main_job_writes_every_step(tmp_path):
    """The README's run command on the bundled data (about a minute)."""
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
        "baseline/report.html",
        "baseline/report.md",
        "baseline/provenance.json",
        "provenance.json",
    ]
    missing = [p for p in expected if not (out / p).is_file()]
    assert missing == []
    assert (out / "map/programme_map.png").stat().st_size > 100_000
    report = (out / "baseline/report.md").read_text()
    assert "cand-kyzyltau-baijurkum" in report  # unresolved places are listed, never dropped


def test_steps_invoked_like_the_programme_count_no_option_as_given(tmp_path):
    # `corridors programme` runs each step with ctx.invoke, where click records no parameter source:
    # the checks refusing options a run would ignore must not see them as typed.
    from corridors.cli.lcp import given_options
    from corridors.cli.network import network_cmd

    (tmp_path / "n.txt").write_text("1 10\n2 20\n")
    (tmp_path / "c.txt").write_text("1 2 0.5\n")
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
        ctx.invoke(network_cmd, outdir=tmp_path / "net", conefor_nodes=tmp_path / "n.txt", conefor_links=tmp_path / "c.txt",
                   conefor_kind="probability")

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


def test_file_system_refusal_is_one_line_not_a_traceback(tmp_path):
    # '-o' below a file used to end in NotADirectoryError with a traceback
    blocker = tmp_path / "afile"
    blocker.write_text("")
    result = CliRunner().invoke(main, ["rivers", "-o", str(blocker / "sub")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "afile" in lines[0] and "Traceback" not in result.output
    loud = CliRunner().invoke(main, ["--debug", "rivers", "-o", str(blocker / "sub")])
    assert loud.exit_code == 1 and isinstance(loud.exception, OSError)
