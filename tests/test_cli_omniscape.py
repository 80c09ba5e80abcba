"""``corridors omniscape run``: Omniscape.jl configs from the command line; folders never overwritten; one-line errors."""

from __future__ import annotations

from _helpers import REPO, invoke

import pytest

DATA = REPO / "tests" / "data" / "omniscape"
VERIFY = DATA / "output_verify"


def test_cli_runs_a_config_and_never_touches_an_existing_folder(omniscape_dir):
    cfg = omniscape_dir / "t.ini"
    cfg.write_text((VERIFY / "test2" / "config.ini").read_text())
    (omniscape_dir / "test2").mkdir()
    (omniscape_dir / "test2" / "notes.txt").write_text("mine")
    r = invoke("omniscape", "run", cfg, "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "100 targets solved" in r.output and "writing to test2_1" in r.output
    assert (omniscape_dir / "test2" / "notes.txt").read_text() == "mine" and len(list((omniscape_dir / "test2").iterdir())) == 1
    assert sorted(p.name for p in (omniscape_dir / "test2_1").iterdir()) == ["config.ini", "cum_currmap.asc", "provenance.json"]
    r = invoke("-q", "omniscape", "run", cfg, "--workers", 1)
    assert r.exit_code == 0 and "targets solved" not in r.output and (omniscape_dir / "test2_2").is_dir()


def test_cli_bad_config_is_one_line(omniscape_dir):
    r = invoke("omniscape", "run", omniscape_dir / "input" / "bad_comparison1.ini")
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == "error: " + str(omniscape_dir / "input" / "bad_comparison1.ini") + \
        ", key 'comparison1': 'foo' is not one of equal, within."


def test_cli_missing_raster_names_the_key(omniscape_dir):
    cfg = omniscape_dir / "t.ini"
    cfg.write_text("resistance_file = nowhere.tif\nradius = 3\nproject_name = p\nsource_from_resistance = true\n")
    r = invoke("omniscape", "run", cfg, "--workers", 1)
    assert r.exit_code == 1 and "resistance_file: the file nowhere.tif does not exist" in r.output
    assert not (omniscape_dir / "p").exists()
