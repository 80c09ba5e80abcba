"""Data safety (issue 13): corridors replaces only what it wrote, and an interrupted run changes nothing.

Every command that writes a folder refuses one holding files corridors did
not write, before computing; an error, Ctrl-C or SIGTERM in the middle of a
writer leaves the previous output intact and no hidden temporary folder; a
process killed while swapping a folder in loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from corridors.cli import sigterm_as_exception, Terminated
from corridors.io import provenance
from corridors.io.files import MANIFEST

from _helpers import REPO, error_line, invoke, strip_job_keys, write_ini, write_scenario

BASELINE = REPO / "scenarios" / "baseline.yml"

#: Every command that writes a folder, with its other arguments (none of them computes before the check).
FOLDER_COMMANDS = {
    "programme": [],
    "run": [BASELINE],
    "batch": [BASELINE],
    "linkages": [],
    "network": [],
    "resistance": [],
    "circuit pinch": [],
    "circuit centrality": [],
    "rivers": [],
    "map programme": [],
}


def _users_folder(path: Path) -> Path:
    path.mkdir()
    (path / "notes.txt").write_text("my notes")
    (path / "deer.shp").write_bytes(b"my shapefile")
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("command", FOLDER_COMMANDS)
def test_every_folder_command_refuses_a_folder_of_the_users_files(command, tmp_path):
    out = _users_folder(tmp_path / "mine")
    line = error_line(invoke(*command.split(), "-o", out, *FOLDER_COMMANDS[command]))
    assert line == (f"error: {out}: the folder holds files corridors did not write (deer.shp, notes.txt); corridors "
                    f"replaces only its own outputs, so choose a new or empty folder, e.g. {out / 'out'}, or move those files away.")
    assert _snapshot(out) == {"deer.shp": b"my shapefile", "notes.txt": b"my notes"}


def test_the_current_folder_of_the_users_files_is_refused_and_a_subfolder_suggested(tmp_path, monkeypatch):
    monkeypatch.chdir(_users_folder(tmp_path / "project"))
    line = error_line(invoke("run", BASELINE, "-o", "."))
    assert line.startswith("error: .: the folder holds files corridors did not write (deer.shp, notes.txt)")
    assert line.endswith("choose a new or empty folder, e.g. out, or move those files away.")
    assert sorted(os.listdir(".")) == ["deer.shp", "notes.txt"]


def test_an_unwritable_output_folder_is_named_before_computing(tmp_path, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: real(p, mode) and not (Path(p) == out and mode & os.W_OK))  # read-only
    line = error_line(invoke("rivers", "-o", out))
    assert line == f"error: {out}: cannot write into {out} (no permission, or a read-only disk); choose a writable output folder."


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_is_named_before_computing(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        line = error_line(invoke("run", BASELINE, "-o", out / "run"))
    finally:
        out.chmod(0o755)
    assert f"cannot write into {out}" in line


def test_circuit_run_replaces_only_its_own_files_beside_the_inputs(strip_job):
    # Circuitscape writes beside its inputs: they stay; a file of an output's name that corridors did not write is refused
    write_ini(strip_job / "job.ini", **strip_job_keys(output_file="strip.out"))
    assert invoke("circuit", "run", "job.ini").exit_code == 0
    assert invoke("circuit", "run", "job.ini").exit_code == 0  # its own files are replaced
    assert (strip_job / "hab.asc").exists() and (strip_job / "pts.txt").exists()
    (strip_job / "mine").mkdir()
    (strip_job / "mine" / "strip_resistances.out").write_text("my own table")
    write_ini(strip_job / "job2.ini", **strip_job_keys(output_file="mine/strip.out"))
    line = error_line(invoke("circuit", "run", "job2.ini"))
    assert "strip_resistances.out would be replaced but corridors did not write it" in line
    assert sorted(os.listdir(strip_job / "mine")) == ["strip_resistances.out"]
    assert (strip_job / "mine" / "strip_resistances.out").read_text() == "my own table"


# ----------------------------------------------------------------- an interrupt in the middle of each writer
def _interrupt_provenance(monkeypatch):
    """Raise KeyboardInterrupt (Ctrl-C) when a writer comes to provenance.json, after its other files."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(provenance, "write", interrupted)


WRITERS = {
    "rivers": lambda f: ["rivers", "--no-map", "--sites", f["sites"], "--rivers", f["rivers"]],
    "map programme": lambda f: ["map", "programme", "--sites", f["sites"], "--format", "png", "--dpi", "50"],
    "linkages": lambda f: ["linkages", "--no-map", "--resistance", f["res"], "--cores", f["cores"]],
    "resistance": lambda f: ["resistance", "--raster", f["res"], "--resolution", "5000"],
    "network": lambda f: ["network", "--no-map", "--conefor-nodes", f["nodes"], "--conefor-links", f["links"]],
    "circuit pinch": lambda f: ["-q", "circuit", "pinch", "--no-map", "--resistance", f["coarse"]],
    "circuit centrality": lambda f: ["-q", "circuit", "centrality", "--no-map", "--resistance", f["coarse"]],
}


@pytest.mark.parametrize("writer", WRITERS)
def test_an_interrupt_in_a_writer_keeps_the_previous_output(writer, tmp_path, monkeypatch, toy_sites_file, toy_rivers_file,
                                                            linkage_job, conefor_project, coarse_resistance):
    files = {"sites": toy_sites_file, "rivers": toy_rivers_file, "res": linkage_job.resistance, "cores": linkage_job.cores_path,
             "nodes": conefor_project[0], "links": conefor_project[1], "coarse": coarse_resistance}
    out = tmp_path / "out"
    args = WRITERS[writer](files) + ["-o", out]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    before = _snapshot(out)
    assert MANIFEST in before and "provenance.json" in before
    _interrupt_provenance(monkeypatch)
    second = invoke(*args)
    assert isinstance(second.exception, SystemExit) and second.exit_code == 1 and "Aborted!" in second.output
    assert _snapshot(out) == before  # no new file, no half-written one, no hidden temporary folder
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# ----------------------------------------------------------------- signals sent to a real process
#: A child process that runs `corridors ARGS`, pausing (and saying so on stdout) when a writer reaches the point named by
#: PAUSE: "write" (run: the outputs are in the temporary folder, provenance.json written, the report not yet) or
#: "swap" (the old folder is renamed aside on a system without an atomic exchange, the new one not yet in).
CHILD = textwrap.dedent("""
    import os, sys, time
    from corridors.io import files
    from corridors.scenario import pipeline

    def pause():
        print("paused", flush=True)
        time.sleep(600)

    if os.environ["PAUSE"] == "write":
        real = pipeline._write_provenance
        def write_provenance(*args, **kwargs):
            name = real(*args, **kwargs)
            pause()
            return name
        pipeline._write_provenance = write_provenance
    else:
        files._renameat2 = lambda: None
        real_replace = os.replace
        def replace(src, dst):
            real_replace(src, dst)
            if files._ASIDE in str(dst):
                pause()
        os.replace = replace

    from corridors.cli import main
    main(sys.argv[1:])
""")


def _paused_child(tmp_path: Path, pause: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PAUSE": pause, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=tmp_path, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = child.stdout.readline()
    assert line == "paused\n", child.communicate()
    return child


def _previous_run(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A small scenario and its finished output folder out/small."""
    write_scenario(tmp_path, "small", draws=5)
    assert invoke("-q", "run", tmp_path / "small.yml", "-o", tmp_path / "out" / "small").exit_code == 0
    return tmp_path / "out" / "small", _snapshot(tmp_path / "out" / "small")


@pytest.mark.slow
@pytest.mark.parametrize("sig, status, message", [(signal.SIGTERM, 128 + signal.SIGTERM, "error: stopped by SIGTERM"),
                                                  (signal.SIGINT, 1, "Aborted!")])
def test_a_signal_during_run_keeps_the_previous_output_and_leaves_no_temporary_folder(sig, status, message, tmp_path):
    out, before = _previous_run(tmp_path)
    child = _paused_child(tmp_path, "write", "-q", "run", "small.yml", "-o", "out/small")
    child.send_signal(sig)
    _, err = child.communicate(timeout=60)
    assert child.returncode == status and message in err and "Traceback" not in err
    assert _snapshot(out) == before
    assert sorted(os.listdir(tmp_path / "out")) == ["small"]  # no hidden .small.* folder beside it


@pytest.mark.slow
def test_a_process_killed_in_the_swap_loses_nothing_and_the_next_run_restores(tmp_path):
    out, before = _previous_run(tmp_path)
    child = _paused_child(tmp_path, "swap", "-q", "run", "small.yml", "-o", "out/small")
    child.kill()  # SIGKILL: no cleanup at all, in the one instant the old folder is not at its place
    child.communicate(timeout=60)
    assert not out.exists()
    (aside,) = [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".small.")]
    assert _snapshot(aside / ".previous.small") == before  # the previous output, whole, beside its place
    with pytest.warns(UserWarning, match="restored .*small \\(the previous output\\) from an interrupted run"):
        from corridors.io import check_output_folder

        check_output_folder(out, replace=True)
    assert _snapshot(out) == before and sorted(os.listdir(tmp_path / "out")) == ["small"]


def test_sigterm_becomes_an_exception_so_that_cleanups_run():
    previous, cleaned = signal.getsignal(signal.SIGTERM), []
    with pytest.raises(Terminated):
        with sigterm_as_exception():
            try:
                os.kill(os.getpid(), signal.SIGTERM)  # handled at the next instruction of the main thread
                cleaned.append("not reached")
            finally:
                cleaned.append("cleaned")
    assert cleaned == ["cleaned"] and signal.getsignal(signal.SIGTERM) is previous  # the previous handler is back


#: Put on PYTHONPATH, imported by the batch process and each of its Dask workers (they inherit the environment): a
#: worker pauses when its scenario's outputs are in the temporary folder, and says so by creating the file PAUSED.
SITECUSTOMIZE = textwrap.dedent("""
    import os, time
    if os.environ.get("PAUSED"):
        from corridors.scenario import pipeline
        real = pipeline._write_provenance
        def write_provenance(*args, **kwargs):
            name = real(*args, **kwargs)
            open(os.environ["PAUSED"], "w").close()
            time.sleep(600)
            return name
        pipeline._write_provenance = write_provenance
""")


@pytest.mark.slow
def test_sigterm_during_a_batch_keeps_the_previous_output_and_leaves_no_temporary_folder(tmp_path):
    write_scenario(tmp_path, "small", draws=5)
    out = tmp_path / "batch"
    assert invoke("-q", "batch", tmp_path / "small.yml", "-o", out, "--workers", "1").exit_code == 0
    before = _snapshot(out)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    paused = tmp_path / "paused"
    env = {**os.environ, "PAUSED": str(paused),
           "PYTHONPATH": os.pathsep.join([str(hooks), str(REPO), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", "from corridors.cli import main; main()", "-q", "batch", "small.yml", "-o", "batch", "--workers", "1"],
                             cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not paused.exists():  # the worker is in the middle of writing (no time race: it waits there)
            assert child.poll() is None, child.communicate()
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 128 + signal.SIGTERM and "error: stopped by SIGTERM" in err, err
    assert _snapshot(out) == before  # the scenario folder and the summary as they were, no hidden folder left


# ----------------------------------------------------------------- provenance of a run on the user's files
@pytest.mark.parametrize("command", ["linkages", "circuit centrality"])
def test_provenance_lists_each_user_file_as_given_absolute_and_hashed(command, linkage_job, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = invoke(*command.split(), "--no-map", "--resistance", "res.tif", "--cores", "cores.gpkg", "-o", "out")
    assert run.exit_code == 0, run.output
    inputs = json.loads((tmp_path / "out" / "provenance.json").read_text())["inputs"]
    for name, file in (("resistance", "res.tif"), ("cores", "cores.gpkg")):
        assert inputs[name] == {"path": file, "absolute": str(tmp_path / file),
                                "sha256": hashlib.sha256((tmp_path / file).read_bytes()).hexdigest()}


@pytest.mark.slow
def test_provenance_of_a_scenario_run_lists_its_files_as_given_absolute_and_hashed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_scenario(tmp_path, "small", draws=5)
    assert invoke("-q", "run", "small.yml", "-o", "o").exit_code == 0
    entry = json.loads((tmp_path / "o" / "provenance.json").read_text())["inputs"]["scenario"]
    assert entry == {"path": "small.yml", "absolute": str(tmp_path / "small.yml"),
                     "sha256": hashlib.sha256((tmp_path / "small.yml").read_bytes()).hexdigest()}


def test_an_interrupt_in_a_circuit_job_keeps_the_previous_output(strip_job, monkeypatch):
    from corridors.circuit.out import JobWriter

    write_ini(strip_job / "job.ini", **strip_job_keys())
    assert invoke("circuit", "run", "job.ini").exit_code == 0
    before = _snapshot(strip_job / "out")

    def interrupted(self):  # Ctrl-C when the maps are written and the settings come next
        raise KeyboardInterrupt

    monkeypatch.setattr(JobWriter, "settings", interrupted)
    assert invoke("circuit", "run", "job.ini").exit_code == 1
    assert _snapshot(strip_job / "out") == before


def test_a_shapefile_export_replaces_only_its_own_files(tmp_path):
    assert invoke("sites", "export", tmp_path / "hs.shp", "--kind", "hotspot").exit_code == 0
    assert invoke("sites", "export", tmp_path / "hs.shp", "--kind", "hotspot").exit_code == 0  # its own: replaced
    (tmp_path / "mine.shp").write_bytes(b"my shapefile")
    line = error_line(invoke("sites", "export", tmp_path / "mine.shp", "--kind", "hotspot"))
    assert "mine.shp would be replaced but corridors did not write it" in line
    assert (tmp_path / "mine.shp").read_bytes() == b"my shapefile" and not (tmp_path / "mine.dbf").exists()


@pytest.mark.parametrize("name", ["places.geojson", "places.gpkg"])
def test_a_single_file_export_replaces_only_its_own_file(tmp_path, name):
    # issue 13: a GeoJSON or GeoPackage export used to replace a user's file of the same name without a word
    assert invoke("sites", "export", tmp_path / name, "--kind", "hotspot").exit_code == 0
    assert invoke("sites", "export", tmp_path / name, "--kind", "hotspot").exit_code == 0  # its own: replaced
    mine = tmp_path / f"mine{Path(name).suffix}"
    mine.write_bytes(b"my own layer")
    line = error_line(invoke("sites", "export", mine, "--kind", "hotspot"))
    assert f"{mine.name} would be replaced but corridors did not write it" in line
    assert mine.read_bytes() == b"my own layer"
