"""The `corridors` command as a whole: help on every subcommand, exit codes, error and warning lines, --debug, shared options.

Each subcommand has its own file, test_cli_<command>.py (test_cli_circuit_<sub>.py for the circuit commands).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corridors import OutputError
from corridors._errors import shown
from corridors.cli import main
from corridors.cli._options import MemorySize
from corridors.settings import format_bytes

from _helpers import walk_commands


@pytest.mark.parametrize("path", [p for p, _ in walk_commands(main)], ids=" ".join)
def test_every_subcommand_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and "--help" in result.output


def test_every_command_has_its_test_file():
    # one file per top-level command; the circuit group has one per subcommand
    here = Path(__file__).parent
    wanted = [f"test_cli_{'_'.join(p)}.py" for p, _ in walk_commands(main)
              if (len(p) == 1 and p[0] != "circuit") or (p[0] == "circuit" and len(p) == 2)]
    assert len(wanted) == 17
    assert [name for name in wanted if not (here / name).is_file()] == []


def test_usage_errors_exit_2():
    runner = CliRunner()
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2
    assert runner.invoke(main, ["rivers", "--tolerance-km", "minus-one"]).exit_code == 2


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


def test_file_system_refusal_is_one_line_not_a_traceback(tmp_path):
    # '-o' below a file used to end in NotADirectoryError with a traceback; it is now found before computing
    blocker = tmp_path / "afile"
    blocker.write_text("")
    result = CliRunner().invoke(main, ["rivers", "-o", str(blocker / "sub")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "afile" in lines[0] and "Traceback" not in result.output
    loud = CliRunner().invoke(main, ["--debug", "rivers", "-o", str(blocker / "sub")])
    assert loud.exit_code == 1 and isinstance(loud.exception, OutputError)


def test_memory_limit_sizes():
    size = MemorySize()
    assert size.convert("4GB", None, None) == 4 * 2**30
    assert size.convert("500MB", None, None) == 500 * 2**20
    assert size.convert("1.5g", None, None) == int(1.5 * 2**30)
    assert size.convert("4000000000", None, None) == 4_000_000_000
    assert size.convert("64 KiB", None, None) == 65536


def test_circuit_run_starts_without_the_geospatial_stack():
    # subcommands are imported when run: `corridors circuit run` used to pay +0.7 s for geopandas and the landscape engine
    import subprocess
    import sys

    code = ("import sys; from corridors.cli import main; import corridors.cli.circuit, corridors.circuit; "
            "print(sorted(m for m in ('geopandas', 'pandas', 'corridors.landscape', 'corridors.sites') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("value, text", [
    (np.float32(0.0), "0.0"), (np.float64(-2.5), "-2.5"), (np.int64(7), "7"), (np.bool_(True), "True"),
    (0.0, "0.0"), ("desert", "'desert'"), (None, "None"),
])
def test_values_in_messages_are_shown_as_python_writes_them(value, text):
    assert shown(value) == text


@pytest.mark.parametrize("n, text", [
    (0, "0 bytes"), (1, "1 byte"), (100, "100 bytes"), (1023, "1023 bytes"), (1024, "1.00 KiB"), (1536, "1.50 KiB"),
    (13 * 1024 + 300, "13.3 KiB"), (512 * 2**20, "512 MiB"), (1023.9 * 2**20, "1.00 GiB"), (4 * 2**30, "4.00 GiB"),
    (931.32 * 2**30, "931 GiB"), (3 * 2**40, "3.00 TiB"),
])
def test_memory_figures_keep_three_significant_figures_in_the_unit_they_reach(n, text):
    assert format_bytes(n) == text


def test_a_tiny_memory_limit_is_not_rounded_to_nothing(tmp_path):
    # "needs about 1 KiB but only 0 KiB is allowed" told the user nothing
    run = CliRunner().invoke(main, ["linkages", "--memory-limit", "100", "-o", str(tmp_path / "o")])
    assert run.exit_code == 1, run.output
    assert "100 bytes" in run.output and " 0 KiB" not in run.output
