"""Circuitscape INI jobs: read and check the INI file into a :class:`CircuitscapeJob`, and read the input files it names.

The job runner is :mod:`corridors.circuit.run` and the output writer
:mod:`corridors.circuit.out`, as Circuitscape.jl splits ``config`` / ``io``,
``run`` and ``out``.
"""

from __future__ import annotations

import configparser
import importlib
import os
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from corridors._errors import ConfigError, DataError
from corridors.circuit.graph import CircuitGraph, network_graph
from corridors.circuit.grid import _read_table
from corridors.circuit.solve import CIRCUITSCAPE_SOLVERS
from corridors.raster import Raster

SCENARIOS = ("pairwise", "advanced", "one-to-all", "all-to-one")

#: Circuitscape keys about running (logging, threads, memory) that change no
#: number; accepted without a warning and without effect.
_RUN_CONTROL_KEYS = {
    "version", "parallelize", "max_parallel", "print_timings", "print_rusages", "low_memory_mode",
    "preemptive_memory_release", "log_level", "log_file", "profiler_log_file", "screenprint_log",
    "suppress_messages", "use_64bit_indexing", "precision", "use_reclass_table", "reclass_file",
    "write_baseline_results", "cholmod_batch_size",
}

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
#: Values Circuitscape's GUI writes for "no file chosen".
_NO_FILE = {"", "none", "false"}


@dataclass
class CircuitscapeJob:
    """A Circuitscape job as read from an INI file (keys as in Circuitscape; defaults as in Circuitscape.jl)."""

    scenario: str
    output_file: Path
    habitat_file: Path
    data_type: str = "raster"
    habitat_map_is_resistances: bool = True
    connect_four_neighbors_only: bool = False
    connect_using_avg_resistances: bool = False
    use_polygons: bool = False
    polygon_file: Path | None = None
    point_file: Path | None = None
    use_mask: bool = False
    mask_file: Path | None = None
    use_included_pairs: bool = False
    included_pairs_file: Path | None = None
    use_variable_source_strengths: bool = False
    variable_source_file: Path | None = None
    source_file: Path | None = None
    ground_file: Path | None = None
    ground_file_is_resistances: bool = True
    use_unit_currents: bool = False
    use_direct_grounds: bool = False
    remove_src_or_gnd: str = "keepall"
    solver: str = "cg+amg"
    write_cur_maps: bool = False
    write_volt_maps: bool = False
    write_cum_cur_map_only: bool = False
    write_max_cur_maps: bool = False
    set_null_currents_to_nodata: bool = False
    set_null_voltages_to_nodata: bool = False
    set_focal_node_currents_to_zero: bool = False
    log_transform_maps: bool = False
    compress_grids: bool = False
    write_as_tif: bool = False
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        """The output file name without ``.out`` (Circuitscape's base name of every output)."""
        name = self.output_file.name
        return name[:-4] if name.lower().endswith(".out") else name


_BOOL_KEYS = {f.name for f in fields(CircuitscapeJob) if f.type in ("bool", bool)}
_PATH_KEYS = {f.name for f in fields(CircuitscapeJob) if "Path" in str(f.type) and f.name not in ("source",)}
_KNOWN = {f.name for f in fields(CircuitscapeJob)} - {"source", "warnings"}


def read_ini(path: str | os.PathLike) -> CircuitscapeJob:
    """Read a Circuitscape INI file.

    Sections are ignored, keys matter (as in Circuitscape). Booleans are
    ``True/true/1`` and ``False/false/0``; file paths are taken relative to
    the current directory, as Circuitscape does. An unknown key becomes a
    warning naming it (``job.warnings`` and :mod:`warnings`).

    Parameters
    ----------
    path : path-like
        The INI file.

    Returns
    -------
    CircuitscapeJob

    Raises
    ------
    ConfigError
        If the file is missing or malformed, a boolean or choice is invalid,
        or a key the scenario needs is missing.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: INI file not found; check the path.")
    text = p.read_text(errors="replace")
    if not text.lstrip().startswith("["):
        text = "[job]\n" + text
    cp = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",), comment_prefixes=("#", ";"))
    cp.optionxform = str
    try:
        cp.read_string(text, source=str(p))
    except configparser.Error as exc:
        msg = str(exc).replace("\n", " ")
        raise ConfigError(f"{p}: not a valid INI file ({msg}); write one 'key = value' per line under [section] headers.") from None
    raw: dict[str, str] = {}
    for section in cp.sections():
        for key, value in cp.items(section):
            raw[key.strip().lower()] = (value or "").strip()
    msgs = []
    vals: dict[str, object] = {}
    for key, value in raw.items():
        if key in _RUN_CONTROL_KEYS:
            if key == "use_reclass_table" and value.lower() in _TRUE:
                raise ConfigError(f"{p}, key 'use_reclass_table': reclass tables are not supported; reclassify the habitat map first and set it to False.")
            continue
        if key not in _KNOWN:
            msgs.append(f"{p}: unknown key {key!r} ignored; check its spelling against Circuitscape's keys.")
            continue
        if key in _BOOL_KEYS:
            lv = value.lower()
            if lv in _TRUE:
                vals[key] = True
            elif lv in _FALSE:
                vals[key] = False
            else:
                raise ConfigError(f"{p}, key {key!r}: {value!r} is not a boolean; write True or False.")
        elif key in _PATH_KEYS or key in ("habitat_file", "output_file"):
            vals[key] = None if value.lower() in _NO_FILE or value.startswith("(") else Path(value)
        else:
            vals[key] = value
    for m in msgs:
        warnings.warn(m, stacklevel=2)
    scenario = str(vals.get("scenario", "")).lower().replace("_", "-")
    if scenario not in SCENARIOS:
        raise ConfigError(f"{p}, key 'scenario': {vals.get('scenario', '(missing)')!r} is not one of {', '.join(SCENARIOS)}.")
    vals["scenario"] = scenario
    dt = str(vals.get("data_type", "raster")).lower()
    if dt not in ("raster", "network"):
        raise ConfigError(f"{p}, key 'data_type': {dt!r} is not raster or network.")
    vals["data_type"] = dt
    if dt == "network" and scenario not in ("pairwise", "advanced"):
        raise ConfigError(f"{p}, key 'scenario': network jobs run pairwise or advanced, not {scenario!r} (as in Circuitscape).")
    solver = str(vals.get("solver", "cg+amg")).lower()
    if solver not in CIRCUITSCAPE_SOLVERS:
        raise ConfigError(f"{p}, key 'solver': {solver!r} is unknown; use cg+amg (default) or cholmod.")
    vals["solver"] = solver
    pol = str(vals.get("remove_src_or_gnd", "keepall")).lower()
    if pol not in ("keepall", "rmvsrc", "rmvgnd", "rmvall"):
        raise ConfigError(f"{p}, key 'remove_src_or_gnd': {pol!r} is not keepall, rmvsrc, rmvgnd or rmvall.")
    vals["remove_src_or_gnd"] = pol
    for key in ("habitat_file", "output_file"):
        if vals.get(key) is None:
            raise ConfigError(f"{p}: key {key!r} is missing or empty; give the {key.replace('_', ' ')}.")
    if scenario == "advanced":
        for key in ("source_file", "ground_file"):
            if vals.get(key) is None:
                raise ConfigError(f"{p}: advanced mode needs key {key!r}; give the {key.replace('_', ' ')}.")
    elif vals.get("point_file") is None:
        raise ConfigError(f"{p}: {scenario} mode needs key 'point_file'; give the focal node file.")
    for flag, key in (("use_polygons", "polygon_file"), ("use_mask", "mask_file"), ("use_included_pairs", "included_pairs_file"),
                      ("use_variable_source_strengths", "variable_source_file")):
        if vals.get(flag) and vals.get(key) is None:
            raise ConfigError(f"{p}: {flag} is True but key {key!r} is missing; give the file or set {flag} to False.")
    job = CircuitscapeJob(**vals)  # type: ignore[arg-type]
    job.source = p
    job.warnings = msgs
    return job


# ------------------------------------------------------------------ input files
def need_input(path: Path | None, key: str, job: CircuitscapeJob) -> Path:
    """The input file of INI key ``key``; a DataError naming the key and the current directory if it is missing."""
    if path is None or not path.exists():
        raise DataError(
            f"{job.source}, key {key!r}: file {str(path)!r} not found (paths are relative to the current directory "
            f"{Path.cwd()}); fix the path or run from the folder the job expects."
        )
    return path


def read_input_raster(path: Path | None, key: str, job: CircuitscapeJob, template: Raster | None = None) -> Raster:
    """Read the grid of INI key ``key``, checked against the habitat grid ``template`` when given."""
    r = Raster.read(need_input(path, key, job))
    if template is not None:
        template.check_aligned(r)
    return r


def read_included_pairs(path: str | os.PathLike, ids: np.ndarray) -> np.ndarray:
    """Read Circuitscape's include/exclude pairs matrix as a boolean matrix over ``ids``.

    The file starts with ``mode include`` or ``mode exclude`` (or with
    ``min V`` and ``max V`` lines, which include pairs whose value lies in
    [min, max]); then a square matrix whose first row and column are focal
    ids (0 in the corner). With ``mode include`` only pairs marked 1 are
    solved; with ``mode exclude`` all pairs but those marked 1.

    Returns
    -------
    numpy.ndarray
        n x n booleans in the order of ``ids``.
    """
    p = Path(path)
    lines = [ln.split("#", 1)[0].strip() for ln in p.read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise DataError(f"{p}: the included pairs file is empty; start it with 'mode include' or 'mode exclude'.")
    mode, lo, hi, start = "include", None, None, 0
    head = lines[0].split()
    if head[0].lower() == "mode":
        if len(head) < 2 or head[1].lower() not in ("include", "exclude"):
            raise DataError(f"{p}, line 1: {lines[0]!r}; write 'mode include' or 'mode exclude'.")
        mode, start = head[1].lower(), 1
    elif head[0].lower() == "min":
        try:
            lo, hi = float(head[1]), float(lines[1].split()[1])
        except (IndexError, ValueError):
            raise DataError(f"{p}: expected 'min V' and 'max V' on the first two lines.") from None
        start = 2
    try:
        mat = np.array([[float(t) for t in ln.replace(",", " ").split()] for ln in lines[start:]])
    except ValueError:
        raise DataError(f"{p}: the pairs matrix holds a non-number; give numbers only below the header.") from None
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1] or mat.shape[0] < 2:
        raise DataError(f"{p}: the pairs matrix is not square with ids in its first row and column; fix its shape.")
    row_ids, col_ids, vals = mat[1:, 0].astype(np.int64), mat[0, 1:].astype(np.int64), mat[1:, 1:]
    marked = (vals >= lo) & (vals <= hi) if lo is not None else vals == 1
    pos = {int(i): k for k, i in enumerate(ids)}
    n = len(ids)
    m = np.zeros((n, n), dtype=bool)
    for a, ra in enumerate(row_ids):
        for b, cb in enumerate(col_ids):
            if marked[a, b] and int(ra) in pos and int(cb) in pos:
                m[pos[int(ra)], pos[int(cb)]] = m[pos[int(cb)], pos[int(ra)]] = True
    if mode == "exclude":
        m = ~m
    np.fill_diagonal(m, False)
    return m


def read_source_strengths(path: Path, ids: np.ndarray) -> np.ndarray:
    """Source strengths (``id strength`` per line, ``variable_source_file``) in the order of ``ids``; 1 A where not listed."""
    rows = _read_table(path, 2, "id strength")
    table = {int(float(r[0])): float(r[1]) for r in rows}
    return np.array([table.get(int(i), 1.0) for i in ids])


# ------------------------------------------------------------------ network files
def read_network(path: Path, is_resistance: bool) -> CircuitGraph:
    """Read a Circuitscape network (``node node value`` per line) as a CircuitGraph."""
    rows = _read_table(path, 3, "node node value")
    a = np.array([int(float(r[0])) for r in rows])
    b = np.array([int(float(r[1])) for r in rows])
    v = np.array([float(r[2]) for r in rows])
    return network_graph(a, b, v, is_resistance=is_resistance, label=str(path))



def __getattr__(name: str) -> Any:
    """``corridors.circuit.ini.run_job``: moved to :mod:`corridors.circuit.run`; the old path works for one release."""
    if name == "run_job":
        warnings.warn("corridors.circuit.ini.run_job moved: import run_job from corridors.circuit "
                      "(corridors.circuit.run); the old path goes in the next release.", DeprecationWarning, stacklevel=2)
        # Imported here, not at the top: corridors.circuit.run imports this module (an import cycle otherwise).
        return importlib.import_module("corridors.circuit.run").run_job
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
