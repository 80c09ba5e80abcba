"""`corridors web OUTDIR`: index.html in an output folder of corridors, through its manifest; anything else refused."""

from __future__ import annotations

import json
import shutil

from _helpers import error_line, invoke


def test_writes_index_html_into_a_scenario_output(web_scenario, tmp_path):
    out = tmp_path / "scen"
    shutil.copytree(web_scenario, out)
    result = invoke("web", out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'index.html'}" in result.output and "KiB" in result.output
    assert "index.html" in json.loads((out / ".corridors-output.json").read_text())["files"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'href="report.html"' in page
    again = invoke("web", out)  # its own output: replaced, not refused
    assert again.exit_code == 0, again.output


def test_refuses_a_folder_that_is_no_corridors_output(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    line = error_line(invoke("web", mine))
    assert str(mine) in line and "not an output folder of corridors" in line and "corridors programme -o" in line
    assert not (mine / "index.html").exists()
    line = error_line(invoke("web", tmp_path / "nowhere"))
    assert "no such folder" in line


def test_refuses_an_output_that_holds_a_users_file(web_scenario, tmp_path):
    out = tmp_path / "scen"
    shutil.copytree(web_scenario, out)
    (out / "my_notes.txt").write_text("mine")
    line = error_line(invoke("web", out))
    assert "my_notes.txt" in line and "corridors did not write" in line
    assert not (out / "index.html").exists()


def test_refuses_an_output_of_another_command(tmp_path):
    out = tmp_path / "net"
    out.mkdir()
    (out / ".corridors-output.json").write_text('{"written_by": "corridors", "files": []}')
    line = error_line(invoke("web", out))
    assert "neither of the main job" in line and "scenario.gpkg" in line
