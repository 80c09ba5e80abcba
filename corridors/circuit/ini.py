"""Circuitscape INI jobs: read and check the INI file into a :class:`CircuitscapeJob`, and read the input files it names.

The job runner is :mod:`corridors.circuit.run` and the output writer
:mod:`corridors.circuit.out`, as Circuitscape.jl splits ``config`` / ``io``,
``run`` and ``out``.
"""

from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from corridors._errors import ConfigError
from corridors.io import read_text

SCENARIOS = ("pairwise", "advanced", "one-to-all", "all-to-one")

#: Circuitscape.jl's spellings of each choice (``consts.jl``); matched here without regard to case.
_SCENARIO_NAMES = {"pairwise": "pairwise", "advanced": "advanced", "one-to-all": "one-to-all", "one_to_all": "one-to-all",
                   "all-to-one": "all-to-one", "all_to_one": "all-to-one"}
_SOLVER_NAMES = {"cg+amg": "cg+amg", "amg+cg": "cg+amg", "amg": "cg+amg", "cholmod": "cholmod", "cholesky": "cholmod",
                 "cholfact": "cholmod", "mklpardiso": "cholmod", "mkl_pardiso": "cholmod", "pardiso": "cholmod",
                 "accelerate": "cholmod", "apple_accelerate": "cholmod", "direct": "direct"}
_POLICIES = ("keepall", "rmvsrc", "rmvgnd", "rmvall")

#: Keys Circuitscape reads that change no number here (threads, logging, memory housekeeping, index width):
#: accepted without a warning.
_RUN_CONTROL_KEYS = {
    "version", "parallelize", "max_parallel", "print_timings", "print_rusages", "low_memory_mode",
    "preemptive_memory_release", "log_level", "log_file", "profiler_log_file", "screenprint_log",
    "suppress_messages", "use_64bit_indexing", "reclass_file", "write_baseline_results",
}

#: Options Circuitscape.jl parses and then ignores; set to True they get a warning saying so.
_IGNORED_OPTIONS = {
    "use_reclass_table": "Circuitscape.jl reads it but never reclassifies; reclassify the habitat map first",
    "set_focal_node_currents_to_zero": "not implemented in Circuitscape 5 either; focal nodes keep their current",
    "compress_grids": "Circuitscape.jl writes its grids uncompressed too",
}

#: Circuitscape reads a boolean as True only when it is one of these (``_parse_bool``).
_TRUE = {"True", "true", "1"}
_FALSE = {"False", "false", "0", ""}
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
    cholmod_batch_size: int = 1000
    precision: str = "double"
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
    use_reclass_table: bool = False
    source: Path | None = None
    raw: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def stem(self) -> str:
        """The base name of every output: ``output_file`` up to its first ``.out``, as Circuitscape cuts it."""
        return self.output_file.name.split(".out", 1)[0]


_BOOL_KEYS = {f.name for f in fields(CircuitscapeJob) if f.type in ("bool", bool)}
_PATH_KEYS = {f.name for f in fields(CircuitscapeJob) if "Path" in str(f.type) and f.name not in ("source",)}
_KNOWN = {f.name for f in fields(CircuitscapeJob)} - {"source", "warnings", "raw"}


def parse_ini(text: str) -> dict[str, str]:
    """Circuitscape's reading of an INI file: ``key = value`` lines, sections ignored, the first '=' splits.

    Keys are compared in lower case; lines starting with '#' or ';' are
    comments (Circuitscape would read them as keys nobody asks for).
    """
    raw: dict[str, str] = {}
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in "[#;" or "=" not in s:
            continue
        key, value = s.split("=", 1)
        raw[key.strip().lower()] = value.strip()
    return raw


def _choice(raw: dict[str, str], key: str, names: dict[str, str], default: str, p: Path, msgs: list[str]) -> str:
    value = raw.get(key, "")
    if value.lower() in names:
        return names[value.lower()]
    if value not in ("", "not entered"):
        msgs.append(f"{p}, key {key!r}: {value!r} is not one of {', '.join(sorted(set(names.values())))}; "
                    f"read as {default!r}, as Circuitscape does.")
    return default


#: Keys of an Omniscape.jl config that no Circuitscape INI has (Omniscape.jl's docs, "Settings and options").
OMNISCAPE_KEYS: tuple[str, ...] = (
    "resistance_file", "radius", "block_size", "project_name", "source_from_resistance", "r_cutoff", "buffer",
    "source_threshold", "calc_normalized_current", "calc_flow_potential", "write_raw_currmap", "correct_artifacts",
)


def _refuse_omniscape(raw: dict[str, str], path: Path) -> None:
    """A ConfigError saying what an Omniscape.jl config given as a Circuitscape INI is, and what runs it."""
    found = [k for k in OMNISCAPE_KEYS if k in raw]
    if "habitat_file" in raw or not ("resistance_file" in found or len(found) >= 2):
        return
    raise ConfigError(
        f"{path}: this is an Omniscape.jl config (keys {', '.join(found[:4])}), not a Circuitscape INI: run it with "
        f"`corridors omniscape run {path}`, or write a Circuitscape INI (habitat_file, scenario, ...) for "
        "corridors circuit run."
    )


def read_ini(path: str | os.PathLike) -> CircuitscapeJob:
    """Read a Circuitscape INI file the way Circuitscape.jl reads it.

    Sections are ignored, keys matter. A boolean is True only when it reads
    ``True``, ``true`` or ``1`` (anything else is False, as in Circuitscape,
    with a warning unless it reads False/false/0). A choice Circuitscape does
    not know (``scenario``, ``data_type``, ``solver``, ``remove_src_or_gnd``)
    falls back to Circuitscape's default with a warning; ``not entered`` (what
    its GUI writes) falls back silently. File paths are relative to the
    current directory, as in Circuitscape. Options Circuitscape.jl parses but
    ignores are accepted, with a warning when set. Unknown keys get a warning
    naming them. Warnings go to ``job.warnings`` and :mod:`warnings`.

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
        If the file is missing, is an Omniscape.jl config (:data:`OMNISCAPE_KEYS`,
        no ``habitat_file``), or a key the scenario needs is missing.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: INI file not found; check the path.")
    raw = parse_ini(read_text(p, ConfigError))
    _refuse_omniscape(raw, p)
    msgs: list[str] = []
    vals: dict[str, object] = {}
    for key, value in raw.items():
        if key in _RUN_CONTROL_KEYS or key in ("scenario", "data_type", "solver", "remove_src_or_gnd", "precision"):
            continue
        if key == "cholmod_batch_size":
            try:
                vals[key] = max(1, int(value))
            except ValueError:
                msgs.append(f"{p}, key 'cholmod_batch_size': {value!r} is not a whole number; 1000 used.")
            continue
        if key not in _KNOWN:
            msgs.append(f"{p}: unknown key {key!r} ignored; check its spelling against Circuitscape's keys.")
            continue
        if key in _BOOL_KEYS:
            vals[key] = value in _TRUE
            if value not in _TRUE and value not in _FALSE:
                msgs.append(f"{p}, key {key!r}: {value!r} is read as False, as Circuitscape does; write True or False.")
        elif key in _PATH_KEYS or key in ("habitat_file", "output_file"):
            vals[key] = None if value.lower() in _NO_FILE or value.startswith("(") else Path(value)
        else:
            vals[key] = value
    vals["scenario"] = _choice(raw, "scenario", _SCENARIO_NAMES, "pairwise", p, msgs)
    dt = raw.get("data_type", "raster")
    if dt.lower() not in ("raster", "network"):
        msgs.append(f"{p}, key 'data_type': {dt!r} is not raster or network; read as network, as Circuitscape does.")
    vals["data_type"] = "raster" if dt.lower() == "raster" else "network"
    vals["solver"] = _choice(raw, "solver", _SOLVER_NAMES, "cg+amg", p, msgs)
    vals["remove_src_or_gnd"] = _choice(raw, "remove_src_or_gnd", {k: k for k in _POLICIES}, "keepall", p, msgs)
    if raw.get("precision", "double").lower() == "single":
        msgs.append(f"{p}, key 'precision': single is computed in double precision here (numbers agree to about 1e-6).")
    for key, why in _IGNORED_OPTIONS.items():
        if vals.get(key):
            msgs.append(f"{p}, key {key!r}: True is ignored ({why}).")
    for key in ("habitat_file", "output_file"):
        if vals.get(key) is None:
            raise ConfigError(f"{p}: key {key!r} is missing or empty; give the {key.replace('_', ' ')}.")
    scenario, network = vals["scenario"], vals["data_type"] == "network"
    if network and scenario not in ("pairwise", "advanced"):
        msgs.append(f"{p}, key 'scenario': network jobs run pairwise or advanced; {scenario!r} runs as advanced, as in Circuitscape.")
        vals["scenario"] = scenario = "advanced"
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
    ignored = []
    if network:
        ignored += [k for k in ("use_polygons", "use_mask", "use_included_pairs", "use_variable_source_strengths") if vals.get(k)]
    elif scenario == "pairwise" and vals.get("use_variable_source_strengths"):
        ignored.append("use_variable_source_strengths")
    if scenario == "advanced" and not network and vals.get("use_included_pairs"):
        ignored.append("use_included_pairs")
    for k in ignored:
        mode = f"{vals['data_type']} {scenario}"
        msgs.append(f"{p}, key {k!r}: ignored in {mode} jobs, as in Circuitscape.jl.")
    job = CircuitscapeJob(**vals)  # type: ignore[arg-type]
    job.source = p
    job.raw = raw
    job.warnings = msgs
    for m in msgs:
        warnings.warn(m, stacklevel=2)
    return job


def __getattr__(name: str) -> Any:
    """``corridors.circuit.ini.run_job``: moved to :mod:`corridors.circuit.run`; the old path works for one release."""
    if name == "run_job":
        warnings.warn("corridors.circuit.ini.run_job moved: import run_job from corridors.circuit "
                      "(corridors.circuit.run); the old path goes in the next release.", DeprecationWarning, stacklevel=2)
        # Imported here, not at the top: corridors.circuit.run imports this module (an import cycle otherwise).
        return importlib.import_module("corridors.circuit.run").run_job
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
