"""`corridors sites check | list | export`: validate, list and export the programme's places (or a file of the same schema)."""

from __future__ import annotations

from click.testing import CliRunner

from corridors import sites as S
from corridors.cli import main

from _helpers import invoke, site_feature, usage_error, write_features


def test_help_lists_the_three_subcommands_and_the_filters():
    group = invoke("sites", "--help")
    assert group.exit_code == 0, group.output
    assert all(sub in group.output for sub in ("check", "list", "export"))
    export = invoke("sites", "export", "--help")
    assert export.exit_code == 0 and all(w in export.output for w in ("OUT", "--kind", "--unit", "--river-system", ".shp"))


def test_check_a_small_file_of_your_own(toy_sites_file):
    run = invoke("sites", "check", "--sites", toy_sites_file)
    assert run.exit_code == 0, run.output
    text = " ".join(run.output.split())  # rich wraps the table title to the table's width
    assert "toy_sites.geojson: 2 places" in text and "approximate: 2, unresolved: 0" in text
    assert "measures agree" not in text  # a file of your own is not checked against the bundled measures


def test_cli_check_counts_and_exit_codes(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["sites", "check"])
    assert res.exit_code == 0, res.output
    assert "73 places" in res.output and "unresolved: 5" in res.output
    assert "cand-zhanadarya" in res.output and "92 measures agree" in res.output
    bad = write_features(tmp_path, site_feature(kind="reserve"))
    res = runner.invoke(main, ["sites", "check", "--sites", str(bad)])
    assert res.exit_code == 1
    assert "feature 'x1', field 'kind': unknown value 'reserve'" in res.output
    assert "Traceback" not in res.output


def test_cli_export_and_list(tmp_path):
    runner = CliRunner()
    out = tmp_path / "hs.gpkg"
    res = runner.invoke(main, ["sites", "export", str(out), "--kind", "hotspot"])
    assert res.exit_code == 0, res.output
    assert sorted(S.load_sites(out)["code"]) == ["HS35", "HS38", "HS5", "HS6", "HS7"]
    res = runner.invoke(main, ["sites", "list", "--unit", "3", "--kind", "subpopulation"])
    assert res.exit_code == 0 and "uz1" in res.output and "tj1" not in res.output
    res = runner.invoke(main, ["sites", "export", str(tmp_path / "all.shp")])
    assert res.exit_code == 1 and "one geometry type" in res.output


def test_unknown_unit_is_a_usage_error():
    assert "'--unit'" in usage_error(invoke("sites", "list", "--unit", "9"))


def test_check_warns_of_swapped_coordinates_and_still_passes(tmp_path):
    path = write_features(tmp_path, site_feature(geometry={"type": "Point", "coordinates": [37.3, 67.3]}))
    run = CliRunner().invoke(main, ["sites", "check", "--sites", str(path)])
    assert run.exit_code == 0, run.output
    assert "warning: " in run.output and "probably gives [latitude, longitude]" in run.output
    assert "'x1'" in run.output
