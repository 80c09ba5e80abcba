"""`corridors map programme`: the programme's Figure 1 from the bundled sites or a file of your own.

The full map of the bundled data is drawn in test_plot.py (slow).
"""

from __future__ import annotations

from click.testing import CliRunner

from corridors.cli import main

from _helpers import error_line, invoke, site_feature, usage_error, write_features


def test_help_lists_the_map_and_its_formats():
    group = invoke("map", "--help")
    assert group.exit_code == 0 and "programme" in group.output
    result = invoke("map", "programme", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--sites", "--format", "png", "svg", "pdf", "--dpi", "--no-title", "programme_map"):
        assert word in result.output


def test_a_small_sites_file_one_format(tmp_path):
    sites = write_features(
        tmp_path,
        site_feature(id="west", geometry={"type": "Point", "coordinates": [64.4, 39.8]}),
        site_feature(id="lost", location_status="unresolved", geometry=None, location_precision_km=None),
        name="few.geojson",
    )
    out = tmp_path / "out"
    run = invoke("map", "programme", "-o", out, "--sites", sites, "--format", "png", "--dpi", "50", "--no-title")
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in out.iterdir()) == [".corridors-output.json", "programme_map.png", "provenance.json"]
    assert (out / "programme_map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out / "programme_map.png") in run.output
    assert "not mapped (location unresolved): lost" in run.output


def test_bad_sites_file_names_file_feature_and_field(tmp_path):
    bad = write_features(tmp_path, site_feature(countries=["Uzbekistan"]))
    line = error_line(invoke("map", "programme", "-o", tmp_path / "o", "--sites", bad))
    assert "bad.geojson, feature 'x1', field 'countries'" in line and "ISO3" in line
    assert not (tmp_path / "o").exists()


def test_dpi_out_of_range_is_a_usage_error(tmp_path):
    usage_error(invoke("map", "programme", "-o", tmp_path / "o", "--dpi", "10"), "'--dpi'", "50<=x<=1200")
    assert not (tmp_path / "o").exists()


def test_unknown_format_and_missing_sites_file_exit_codes(tmp_path):
    runner = CliRunner()
    bad_option = runner.invoke(main, ["map", "programme", "-o", str(tmp_path), "--format", "tiff"])
    assert bad_option.exit_code == 2
    missing = runner.invoke(main, ["map", "programme", "-o", str(tmp_path / "o"), "--sites", str(tmp_path / "nope.geojson")])
    assert missing.exit_code == 1
    assert "nope.geojson" in missing.output and "Traceback" not in missing.output
    assert not (tmp_path / "o").exists()
