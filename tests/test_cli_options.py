"""The shared option registry (corridors/cli/_options.py): one spelling, type and default per option."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from corridors import settings
from corridors.cli import _options as opt

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
