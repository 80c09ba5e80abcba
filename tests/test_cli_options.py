"""The shared option registry (corridors/cli/_options.py): one spelling, type and default per option."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from corridors import settings
from corridors.cli import _options as opt
from corridors.cli._options import format_number

from _helpers import far_strip, invoke

SEEN: dict = {}


@click.command()
@opt.no_map_option
@opt.id_field_option
@opt.core_radius_option
@opt.resistance_option()
@opt.truncate_option()
@opt.cores_option()
@opt.site_kinds_option("subpopulation", "Cores: the bundled sites of these kinds.")
@opt.resolution_option()
@opt.memory_limit_option(opt.CIRCUIT_MEMORY_HELP)
def _cmd(**kwargs):
    SEEN.clear()
    SEEN.update(kwargs)


def test_registry_names_and_defaults():
    r = CliRunner().invoke(_cmd, [])
    assert r.exit_code == 0, r.output
    assert SEEN == {"no_map": False, "id_field": "id", "core_radius_km": 5.0, "resistance_path": None, "truncate": 200_000.0,
                    "cores_path": None, "kinds": "subpopulation", "resolution": None, "memory_limit": None}


def test_registry_types():
    r = CliRunner().invoke(_cmd, ["--no-map", "--resistance", "r.tif", "--cores", "c.gpkg", "--resolution", "500",
                                  "--memory-limit", "2GB", "--truncate", "1e4", "--network", "a,b"])
    assert r.exit_code == 0, r.output
    assert SEEN["resistance_path"] == Path("r.tif") and SEEN["cores_path"] == Path("c.gpkg")
    assert SEEN["memory_limit"] == 2 * 2**30 and SEEN["resolution"] == 500.0 and SEEN["truncate"] == 10_000.0
    assert SEEN["no_map"] is True and SEEN["kinds"] == "a,b"


def test_registry_refuses_bad_values_and_documents_units():
    assert CliRunner().invoke(_cmd, ["--resolution", "0"]).exit_code == 2
    assert CliRunner().invoke(_cmd, ["--memory-limit", "lots"]).exit_code == 2
    help_text = " ".join(CliRunner().invoke(_cmd, ["--help"]).output.split())
    assert f"Cell size in metres (default {settings.DEFAULT_RESOLUTION_M:g})" in help_text
    assert "cost-weighted metres" in help_text and "circuit solve" in help_text


@pytest.mark.parametrize("value, text", [
    (1051.414, "1,051"), (19511.08, "19,511"), (5.2832, "5.28"), (0.09666, "0.0967"), (86.204, "86.2"),
    (0.0, "0"), (-2.5, "-2.50"), (float("nan"), ""), (float("inf"), "inf"),
])
def test_console_numbers_keep_three_significant_figures(value, text):
    assert format_number(value) == text


def test_the_linkages_table_of_a_small_grid_shows_its_decimals(tmp_path):
    # a 700 m corridor used to print as "1" km (CWD) and "0" km (euclid)
    tif, shp = far_strip(tmp_path)
    run = invoke("linkages", "--resistance", tif, "--cores", shp, "--id-field", "Core_ID", "--no-map", "-o", tmp_path / "o")
    assert run.exit_code == 0, run.output
    row = next(line for line in run.output.splitlines() if line.startswith("│ 1"))
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[:5] == ["1", "2", "0.620", "0.700", "0.700"]  # the squares 620 m apart edge to edge, CWD 700, path 700 m
