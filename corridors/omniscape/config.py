"""Omniscape.jl configuration files: read an INI as Omniscape.jl reads it, check every key, and give a typed :class:`OmniscapeConfig`.

Keys, defaults and accepted values are Omniscape.jl's (``src/config.jl``,
``src/consts.jl``, ``src/errors_warnings.jl``). Two differences, both
stricter: an unknown key is refused with its name (Omniscape.jl warns and
ignores it, so a misspelt ``radius`` would run with no radius), and every
bad value stops the run before any file is read (Omniscape.jl logs an error
and returns nothing).
"""

from __future__ import annotations

import difflib
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from corridors._errors import ConfigError

#: Omniscape.jl's defaults (``init_cfg``), as the strings a config file holds.
DEFAULTS: dict[str, str] = {
    "resistance_file": "", "resistance_is_conductance": "false", "source_file": "", "project_name": "",
    "parallelize": "true", "parallel_batch_size": "10",
    "block_size": "1", "radius": "", "buffer": "0", "source_threshold": "0", "source_from_resistance": "false",
    "r_cutoff": "Inf", "precision": "double",
    "connect_four_neighbors_only": "false", "solver": "cg+amg",
    "calc_flow_potential": "false", "calc_normalized_current": "false", "correct_artifacts": "true",
    "write_raw_currmap": "true", "write_as_tif": "true", "mask_nodata": "true", "suppress_cs_messages": "true",
    "conditional": "false", "n_conditions": "1", "compare_to_future": "none",
    "condition1_file": "", "condition2_file": "", "condition1_future_file": "", "condition2_future_file": "",
    "comparison1": "within", "comparison2": "within",
    "condition1_lower": "0", "condition2_lower": "0", "condition1_upper": "0", "condition2_upper": "0",
    "reclassify_resistance": "false", "reclass_table": "", "write_reclassified_resistance": "false",
    "allow_different_projections": "false",
}
#: Keys a config file must give (``REQUIRED_ARGS_INI``).
REQUIRED = ("resistance_file", "radius", "project_name")
#: Omniscape.jl reads a flag as true only when it is one of these (``TRUELIST``); anything else is false.
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE", ""}
_SINGLE = {"single", "Single", "SINGLE"}
_SOLVERS = {"cg+amg": "amg", "cholmod": "cholmod"}
_N_CONDITIONS = ("1", "2")
_COMPARE_TO_FUTURE = ("none", "1", "2", "both")
_COMPARISONS = ("equal", "within")
#: Keys that steer how Omniscape.jl runs, not what it computes: read, and their effect stated in the README.
RUN_CONTROL_KEYS = ("parallelize", "parallel_batch_size", "suppress_cs_messages")


@dataclass
class OmniscapeConfig:
    """An Omniscape run, as a config file describes it (key names and meanings are Omniscape.jl's).

    Paths are as given, relative to the working directory (as Omniscape.jl
    reads them). ``raw`` keeps every key and value of the file, for the
    ``config.ini`` written beside the outputs.
    """

    resistance_file: Path | None
    project_name: str
    radius: int
    block_size: int = 1
    buffer: int = 0
    resistance_is_conductance: bool = False
    source_file: Path | None = None
    source_from_resistance: bool = False
    source_threshold: float = 0.0
    r_cutoff: float = math.inf
    precision: str = "double"
    connect_four_neighbors_only: bool = False
    solver: str = "amg"
    calc_flow_potential: bool = False
    calc_normalized_current: bool = False
    correct_artifacts: bool = True
    write_raw_currmap: bool = True
    write_as_tif: bool = True
    mask_nodata: bool = True
    conditional: bool = False
    n_conditions: int = 1
    compare_to_future: str = "none"
    condition1_file: Path | None = None
    condition2_file: Path | None = None
    condition1_future_file: Path | None = None
    condition2_future_file: Path | None = None
    comparison1: str = "within"
    comparison2: str = "within"
    condition1_lower: float = 0.0
    condition1_upper: float = 0.0
    condition2_lower: float = 0.0
    condition2_upper: float = 0.0
    reclassify_resistance: bool = False
    reclass_table: Path | None = None
    write_reclassified_resistance: bool = False
    allow_different_projections: bool = False
    parallelize: bool = True
    parallel_batch_size: int = 10
    source: Path | None = None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def block_radius(self) -> int:
        """Cells from a target to the edge of its block: ``(block_size - 1) / 2``."""
        return (self.block_size - 1) // 2

    @property
    def compute_flow_potential(self) -> bool:
        """Flow potential is solved when it is written or needed to normalise the current."""
        return self.calc_flow_potential or self.calc_normalized_current

    @property
    def dtype(self) -> str:
        """``float32`` for ``precision = single``, else ``float64``."""
        return "float32" if self.precision == "single" else "float64"


def parse_config(text: str) -> dict[str, str]:
    """Omniscape.jl's reading of a config file: ``key = value`` lines, sections skipped, the first '=' splits.

    Keys keep their case (Omniscape.jl compares them as written). Lines
    starting with '#' or ';' are comments, and lines without '=' are skipped
    (Omniscape.jl would read them as keys nobody asks for).
    """
    raw: dict[str, str] = {}
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in "[#;" or "=" not in s:
            continue
        key, value = s.split("=", 1)
        raw[key.strip()] = value.strip()
    return raw


def _flag(raw: dict[str, str], key: str, where: str) -> bool:
    value = raw.get(key, DEFAULTS[key])
    if value not in _TRUE and value not in _FALSE:
        warnings.warn(f"{where}, key {key!r}: {value!r} is read as false (Omniscape reads only true/True/TRUE as true).",
                      stacklevel=3)
    return value in _TRUE


def _number(raw: dict[str, str], key: str, where: str) -> float:
    value = raw.get(key, DEFAULTS[key])
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{where}, key {key!r}: {value!r} is not a number; give a number such as {DEFAULTS[key] or '5'}.") from None


def _integer(raw: dict[str, str], key: str, where: str, minimum: int) -> int:
    v = _number(raw, key, where)
    if not math.isfinite(v) or round(v) < minimum:
        raise ConfigError(f"{where}, key {key!r}: {raw.get(key)!r} must be a whole number >= {minimum}.")
    return int(round(v))  # Omniscape.jl: Int64(round(parse(Float64, value)))


def _one_of(raw: dict[str, str], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key, DEFAULTS[key])
    if value.lower() not in allowed:
        raise ConfigError(f"{where}, key {key!r}: {value!r} is not one of {', '.join(allowed)}.")
    return value.lower()


def _path(raw: dict[str, str], key: str) -> Path | None:
    value = raw.get(key, "")
    return Path(value) if value else None


def config_from_dict(raw: dict[str, str], where: str = "config") -> OmniscapeConfig:
    """Check an Omniscape config given as ``key -> value`` strings and type it.

    Parameters
    ----------
    raw : dict of str to str
        The keys and values, as a config file holds them.
    where : str
        Names the config in messages (its path).

    Returns
    -------
    OmniscapeConfig

    Raises
    ------
    ConfigError
        For an unknown key (with the closest known one), a missing required
        key, or a value Omniscape.jl refuses.
    """
    unknown = [k for k in raw if k not in DEFAULTS]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k.lower(), DEFAULTS, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
                          "Omniscape's keys are listed in the README (section Omniscape); remove or correct "
                          f"{'them' if len(unknown) > 1 else 'it'}.")
    missing = [k for k in REQUIRED if not raw.get(k)]
    if missing:
        raise ConfigError(f"{where}: the key{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                          f"{'are' if len(missing) > 1 else 'is'} required and {'have' if len(missing) > 1 else 'has'} no default; add "
                          f"{'them' if len(missing) > 1 else 'it'} (e.g. 'radius = 50' in cells, 'project_name = my_run').")
    block = _integer(raw, "block_size", where, 1)
    if block % 2 == 0:
        warnings.warn(f"{where}, key 'block_size': {block} is even, but a block has a centre cell; using {block + 1}, "
                      "as Omniscape does.", stacklevel=2)
        block += 1
    solver = raw.get("solver", DEFAULTS["solver"])
    if solver not in _SOLVERS:
        warnings.warn(f"{where}, key 'solver': {solver!r} is not one of cg+amg, cholmod; using cg+amg, as Omniscape does.",
                      stacklevel=2)
        solver = "cg+amg"
    n_cond = raw.get("n_conditions", DEFAULTS["n_conditions"])
    if n_cond not in _N_CONDITIONS:
        raise ConfigError(f"{where}, key 'n_conditions': {n_cond!r} is not one of 1, 2.")
    cfg = OmniscapeConfig(
        resistance_file=_path(raw, "resistance_file"),
        project_name=raw["project_name"],
        radius=_integer(raw, "radius", where, 1),
        block_size=block,
        buffer=_integer(raw, "buffer", where, 0),
        resistance_is_conductance=_flag(raw, "resistance_is_conductance", where),
        source_file=_path(raw, "source_file"),
        source_from_resistance=_flag(raw, "source_from_resistance", where),
        source_threshold=_number(raw, "source_threshold", where),
        r_cutoff=_number(raw, "r_cutoff", where),
        precision="single" if raw.get("precision", "double") in _SINGLE else "double",
        connect_four_neighbors_only=_flag(raw, "connect_four_neighbors_only", where),
        solver=_SOLVERS[solver],
        calc_flow_potential=_flag(raw, "calc_flow_potential", where),
        calc_normalized_current=_flag(raw, "calc_normalized_current", where),
        correct_artifacts=_flag(raw, "correct_artifacts", where),
        write_raw_currmap=_flag(raw, "write_raw_currmap", where),
        write_as_tif=_flag(raw, "write_as_tif", where),
        mask_nodata=_flag(raw, "mask_nodata", where),
        conditional=_flag(raw, "conditional", where),
        n_conditions=int(n_cond),
        compare_to_future=_one_of(raw, "compare_to_future", _COMPARE_TO_FUTURE, where),
        condition1_file=_path(raw, "condition1_file"),
        condition2_file=_path(raw, "condition2_file"),
        condition1_future_file=_path(raw, "condition1_future_file"),
        condition2_future_file=_path(raw, "condition2_future_file"),
        comparison1=_one_of(raw, "comparison1", _COMPARISONS, where),
        comparison2=_one_of(raw, "comparison2", _COMPARISONS, where),
        condition1_lower=_number(raw, "condition1_lower", where),
        condition1_upper=_number(raw, "condition1_upper", where),
        condition2_lower=_number(raw, "condition2_lower", where),
        condition2_upper=_number(raw, "condition2_upper", where),
        reclassify_resistance=_flag(raw, "reclassify_resistance", where),
        reclass_table=_path(raw, "reclass_table"),
        write_reclassified_resistance=_flag(raw, "write_reclassified_resistance", where),
        allow_different_projections=_flag(raw, "allow_different_projections", where),
        parallelize=_flag(raw, "parallelize", where),
        parallel_batch_size=_integer(raw, "parallel_batch_size", where, 1),
        raw=dict(raw),
    )
    _check_consistency(cfg, where)
    return cfg


def _check_consistency(cfg: OmniscapeConfig, where: str) -> None:
    """The checks of Omniscape.jl's ``run_omniscape`` on which files go with which options."""
    if not cfg.source_from_resistance and cfg.source_file is None:
        raise ConfigError(f"{where}: no source_file is given; give one, or set source_from_resistance = true to take "
                          "source strengths from the resistance map.")
    if cfg.reclass_table is not None and not cfg.reclassify_resistance:
        warnings.warn(f"{where}: a reclass_table is given but reclassify_resistance is not true; the resistance is not "
                      "reclassified, as in Omniscape.", stacklevel=3)
    if cfg.reclassify_resistance and cfg.reclass_table is None:
        raise ConfigError(f"{where}: reclassify_resistance = true needs a reclass_table file (two columns: old value, new value).")
    if cfg.conditional:
        if cfg.condition1_file is None:
            raise ConfigError(f"{where}: conditional = true needs condition1_file.")
        if cfg.n_conditions == 2 and cfg.condition2_file is None:
            raise ConfigError(f"{where}: n_conditions = 2 needs condition2_file.")
        for k in (1, 2):
            wants = cfg.compare_to_future in (str(k), "both") and (k == 1 or cfg.n_conditions == 2)
            given = getattr(cfg, f"condition{k}_future_file")
            if wants and given is None:
                raise ConfigError(f"{where}: compare_to_future = {cfg.compare_to_future} needs condition{k}_future_file.")
            if given is not None and not wants:
                raise ConfigError(f"{where}: condition{k}_future_file is given but compare_to_future is "
                                  f"{cfg.compare_to_future!r}; set compare_to_future to {k} or both to use it, or remove it.")
        if cfg.n_conditions == 1 and cfg.condition2_file is not None:
            raise ConfigError(f"{where}: condition2_file is given but n_conditions is 1; set n_conditions = 2 to use it.")
    elif cfg.condition1_file is not None or cfg.condition2_file is not None:
        raise ConfigError(f"{where}: condition files are given but conditional is not true; set conditional = true to use them.")


def read_config(path: str | os.PathLike) -> OmniscapeConfig:
    """Read an Omniscape.jl config file (INI) as Omniscape.jl reads it.

    Parameters
    ----------
    path : path-like
        The ``.ini`` file. Paths inside it are relative to the working
        directory, as in Omniscape.jl.

    Returns
    -------
    OmniscapeConfig

    Raises
    ------
    ConfigError
        If the file is missing or not text, or any key or value is refused
        (see :func:`config_from_dict`).
    """
    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot be read ({exc.strerror}); check the path of the Omniscape config.") from None
    try:
        decoded = text.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: is not UTF-8 text; save the config as UTF-8.") from None
    cfg = config_from_dict(parse_config(decoded), str(p))
    cfg.source = p
    return cfg
