"""Circuitscape.jl's own verification jobs, run unchanged, against the outputs Circuitscape gives (``output_verify``).

The 34 jobs in ``tests/data/circuitscape`` (MIT licence, see its LICENSE.md
and README.md) are run from a folder that holds ``input/`` as Circuitscape's
test folder does, so their INI files are used exactly as written. Every file
the job writes that Circuitscape also wrote is compared with Circuitscape's
``≈`` on arrays: ``norm(ours - theirs) <= 1e-6 * max(norm(ours), norm(theirs))``.
A file of ``output_verify`` the job does not write must be one Circuitscape.jl
does not write either; :func:`why_not_written` gives the reason, and a file
missing for any other reason fails.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from corridors.circuit import read_ini, run_job

from _helpers import REPO, invoke

DATA = REPO / "tests" / "data" / "circuitscape"
VERIFY = DATA / "output_verify"
JOBS = sorted(DATA.glob("input/**/*.ini"))
RTOL = 1e-6


def close(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Circuitscape's comparison of two arrays (Julia's ``isapprox`` with rtol 1e-6)."""
    if ours.shape != theirs.shape:
        return False
    return bool(np.linalg.norm(ours - theirs) <= RTOL * max(np.linalg.norm(ours), np.linalg.norm(theirs)))


def read_asc(path: Path) -> tuple[dict[str, float], np.ndarray]:
    head = {}
    with open(path) as f:
        lines = f.read().splitlines()
    k = 0
    while k < len(lines) and lines[k].split() and lines[k].split()[0].lower() in (
            "ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter", "cellsize", "nodata_value"):
        key, value = lines[k].split()[:2]
        head[key.lower()] = float(value)
        k += 1
    return head, np.loadtxt(lines[k:], ndmin=2)


def verify_resistances(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Circuitscape's resistances of the job: (ids, square matrix) or (ids, one value per id), or None."""
    p = VERIFY / f"{name}_resistances.out"
    if not p.exists():
        return None
    m = np.loadtxt(p, ndmin=2)
    if m.shape[1] == 2:
        return m[:, 0].astype(int), m[:, 1]
    return m[0, 1:].astype(int), m[1:, 1:]


def why_not_written(name: str, file: str, job) -> str | None:
    """Why Circuitscape.jl writes no such file for this job, or None if it does (some of output_verify is older than it)."""
    rest = file[len(name) + 1:]
    kind = re.sub(r"(_\d+)+\.(asc|txt)$", "", rest).removesuffix(".asc")
    if kind in ("curmap", "cum_curmap", "node_currents", "branch_currents") and not (job.write_cur_maps or job.write_cum_cur_map_only):
        return "the job writes no current maps (write_cur_maps = False)"
    if kind in ("voltmap", "voltages") and not job.write_volt_maps:
        return "the job writes no voltage maps (write_volt_maps = False)"
    ids = [int(x) for x in re.findall(r"_(\d+)", rest.rsplit(".", 1)[0])]
    ref = verify_resistances(name)
    if not ids or ref is None:
        return None
    known, r = ref
    if any(i not in known for i in ids):
        return f"{ids} are not all focal nodes of the job (this file is from a run with other focal nodes)"
    pos = [int(np.nonzero(known == i)[0][0]) for i in ids]
    if len(ids) == 2 and r.ndim == 2:
        value = r[pos[0], pos[1]]
        if value == 0:
            return "the pair shares one node (resistance 0): Circuitscape.jl solves no pair on one node (core.jl)"
        if value == -1:
            return "the pair is excluded or not connected (resistance -1): Circuitscape.jl solves it not (core.jl)"
    if len(ids) == 1 and r.ndim == 1 and r[pos[0]] == -1:
        return "no other focal node is left to ground or source for it: Circuitscape.jl returns -1 and writes no map (onetoall.jl)"
    return None


@pytest.fixture()
def job_dir(tmp_path, monkeypatch):
    (tmp_path / "input").symlink_to(DATA / "input", target_is_directory=True)
    (tmp_path / "output").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("ini", JOBS, ids=[p.stem for p in JOBS])
def test_circuitscape_job_gives_circuitscapes_numbers(ini, job_dir):
    name = ini.stem
    rel = ini.relative_to(DATA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # options Circuitscape ignores are warned about; the numbers are what is tested
        job = read_ini(rel)
        written = {p.name for p in run_job(job)}
    out = job_dir / "output"
    compared = 0
    for f in sorted(written):
        theirs = VERIFY / f
        if not theirs.exists() or f == job.output_file.name:
            continue
        if f.endswith(".asc"):
            h1, ours = read_asc(out / f)
            h2, ref = read_asc(theirs)
            assert (h1["ncols"], h1["nrows"]) == (h2["ncols"], h2["nrows"]), f
            assert np.allclose([h1["xllcorner"], h1["yllcorner"], h1["cellsize"]], [h2["xllcorner"], h2["yllcorner"], h2["cellsize"]]), f
        elif f.endswith("_resistances_3columns.out"):
            # Circuitscape derives this file from its matrix (out.jl, compute_3col); derive it from the verified matrix
            ids, mat = verify_resistances(name)
            ref = np.array([[ids[i], ids[j], mat[j, i]] for i in range(len(ids)) for j in range(i + 1, len(ids))])
            ours = np.loadtxt(out / f, ndmin=2)
        else:
            ours, ref = np.loadtxt(out / f, ndmin=2), np.loadtxt(theirs, ndmin=2)
            if "branch_currents" in f:  # the same branches, listed in another order
                ours, ref = ours[np.lexsort(ours.T[::-1])], ref[np.lexsort(ref.T[::-1])]
        assert close(ours, ref), f"{f}: differs from Circuitscape's (max difference {np.abs(ours - ref).max() if ours.shape == ref.shape else ours.shape})"
        compared += 1
    assert compared >= 1
    if (VERIFY / f"{name}_resistances.out").exists():
        assert f"{name}_resistances.out" in written
    for f in sorted(os.listdir(VERIFY)):
        if f.startswith(name + "_") and not f.endswith(".ini") and f not in written:
            assert why_not_written(name, f, job), f"{f}: Circuitscape wrote it, this job did not"


def test_every_verification_job_is_vendored_with_its_licence():
    assert len(JOBS) == 34
    assert "MIT" in (DATA / "LICENSE.md").read_text() or "Permission is hereby granted" in (DATA / "LICENSE.md").read_text()
    assert "Circuitscape.jl" in (DATA / "README.md").read_text()


def test_a_job_runs_from_the_command_line_as_circuitscape_users_write_it(job_dir):
    run = invoke("circuit", "run", "input/raster/pairwise/6/sgVerify6.ini")
    assert run.exit_code == 0, run.output
    assert "output/sgVerify6_resistances.out" in run.output
    ours = np.loadtxt(job_dir / "output" / "sgVerify6_resistances.out")
    assert close(ours, np.loadtxt(VERIFY / "sgVerify6_resistances.out"))
