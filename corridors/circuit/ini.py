"""Circuitscape INI jobs: read the INI file, run the job, and write Circuitscape's output files with its names and formats."""

from __future__ import annotations

import configparser
import gzip
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from corridors._errors import ConfigError, DataError
from corridors.circuit.graph import CircuitGraph, network_graph
from corridors.circuit.grid import GridCircuit, _read_table, build_grid_circuit, read_point_file
from corridors.circuit.modes import advanced, apply_ground_policy, one_to_all, pairwise
from corridors.circuit.solve import CIRCUITSCAPE_SOLVERS, DEFAULT_RTOL, branch_currents
from corridors.raster import Raster

#: Circuitscape's value of "no data" in every grid it writes.
NODATA = -9999.0

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


def _need(path: Path | None, key: str, job: CircuitscapeJob) -> Path:
    if path is None or not path.exists():
        raise DataError(
            f"{job.source}, key {key!r}: file {str(path)!r} not found (paths are relative to the current directory "
            f"{Path.cwd()}); fix the path or run from the folder the job expects."
        )
    return path


def _read_raster(path: Path, key: str, job: CircuitscapeJob, template: Raster | None = None) -> Raster:
    r = Raster.read(_need(path, key, job))
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


def _read_strengths(path: Path, ids: np.ndarray) -> np.ndarray:
    rows = _read_table(path, 2, "id strength")
    table = {int(float(r[0])): float(r[1]) for r in rows}
    return np.array([table.get(int(i), 1.0) for i in ids])


class _Outputs:
    """Collects output files in a hidden temporary folder and moves them into place only when the whole job succeeded."""

    def __init__(self, job: CircuitscapeJob):
        self.job = job
        self.final_dir = job.output_file.parent if str(job.output_file.parent) else Path(".")
        try:
            self.final_dir.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{job.stem}.", dir=self.final_dir))
        except OSError as exc:
            raise DataError(
                f"key 'output_file' ({job.output_file}): cannot write into the folder {self.final_dir} ({exc.strerror}); "
                "give an output_file in a writable folder (no file of the same name on the way)."
            ) from None
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        self.names.append(name)
        return self.tmp / name

    def grid(self, suffix: str, arr: np.ndarray, template: Raster, off_graph: np.ndarray, kind: str) -> None:
        """Write a current (``kind='cur'``) or voltage map like Circuitscape."""
        job = self.job
        a = np.array(arr, dtype="float64")
        if kind == "cur" and job.log_transform_maps:
            pos = a > 0
            a = np.where(pos, np.log10(np.where(pos, a, 1.0)), NODATA)
        if (kind == "cur" and job.set_null_currents_to_nodata) or (kind == "volt" and job.set_null_voltages_to_nodata):
            a[off_graph] = NODATA
        r = Raster(a, template.transform, template.crs, NODATA, suffix)
        if job.write_as_tif:
            r.write(self.path(f"{job.stem}_{suffix}.tif"))
        elif job.compress_grids:
            plain = self.tmp / f".{job.stem}_{suffix}.asc"
            r.write(plain)
            with open(plain, "rb") as fi, gzip.open(self.path(f"{job.stem}_{suffix}.asc.gz"), "wb") as fo:
                shutil.copyfileobj(fi, fo)
            plain.unlink()
        else:
            r.write(self.path(f"{job.stem}_{suffix}.asc"))

    def text(self, suffix: str, rows: list[list[object]] | np.ndarray, fmt: str = "%.15g") -> None:
        name = f"{self.job.stem}_{suffix}"
        with open(self.path(name), "w") as f:
            for row in rows:
                f.write(" ".join(fmt % v if isinstance(v, (float, np.floating)) else str(v) for v in row) + "\n")

    def commit(self) -> list[Path]:
        out = []
        for name in self.names:
            src = self.tmp / name
            if src.exists():
                dst = self.final_dir / name
                os.replace(src, dst)
                out.append(dst)
            prj = src.with_suffix(".prj")
            if prj.exists():
                os.replace(prj, (self.final_dir / name).with_suffix(".prj"))
        self.cleanup()
        return out

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _fmt_id(i: object) -> str:
    return str(int(i)) if isinstance(i, (int, np.integer)) or float(i) == int(float(i)) else str(i)


def _write_resistances(out: _Outputs, ids: np.ndarray, res: np.ndarray) -> None:
    """``<stem>_resistances.out`` (ids in the first row and column, 0 in the corner) and ``_resistances_3columns.out``."""
    n = len(ids)
    mat = np.zeros((n + 1, n + 1))
    mat[0, 1:] = ids
    mat[1:, 0] = ids
    mat[1:, 1:] = res
    out.text("resistances.out", [[float(v) for v in row] for row in mat])
    rows = [[_fmt_id(ids[i]), _fmt_id(ids[j]), float(res[i, j])] for i in range(n) for j in range(i + 1, n)]
    out.text("resistances_3columns.out", rows)


def run_job(job: CircuitscapeJob | str | os.PathLike, *, rtol: float = DEFAULT_RTOL, max_memory: int | None = None) -> list[Path]:
    """Run a Circuitscape job and write its outputs next to ``output_file``.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual.
    max_memory : int, optional
        Bytes allowed (default: the available memory).

    Returns
    -------
    list of pathlib.Path
        The files written. Nothing is written if the job fails.

    Raises
    ------
    ConfigError, DataError, SolverError
        Bad INI, bad or missing input, problem too large.
    """
    if not isinstance(job, CircuitscapeJob):
        job = read_ini(job)
    out = _Outputs(job)
    try:
        if job.data_type == "network":
            _run_network(job, out, rtol)
        else:
            _run_raster(job, out, rtol, max_memory)
        return out.commit()
    finally:
        out.cleanup()


def _run_raster(job: CircuitscapeJob, out: _Outputs, rtol: float, max_memory: int | None) -> None:
    solver = CIRCUITSCAPE_SOLVERS[job.solver]
    habitat = _read_raster(job.habitat_file, "habitat_file", job)
    mask = _read_raster(job.mask_file, "mask_file", job, habitat) if job.use_mask else None
    polygons = _read_raster(job.polygon_file, "polygon_file", job, habitat) if job.use_polygons else None
    focal = None
    if job.scenario != "advanced":
        focal = read_point_file(_need(job.point_file, "point_file", job), habitat)
    n_focal = 0 if focal is None else len(np.unique(focal[focal > 0]))
    maps = job.write_cur_maps or job.write_volt_maps or job.write_max_cur_maps
    gc = build_grid_circuit(
        habitat, focal, is_resistance=job.habitat_map_is_resistances, four_neighbors=job.connect_four_neighbors_only,
        avg_resistances=job.connect_using_avg_resistances, polygons=polygons, mask=mask, solver=solver,
        # pairwise keeps one voltage column per focal node only for maps; one-to-all and
        # all-to-one always hold the harmonic extension of every focal node.
        n_vectors=(n_focal if maps else 0) if job.scenario == "pairwise" else n_focal, memory_limit=max_memory,
    )
    off = gc.graph.nodemap < 0
    if job.scenario == "advanced":
        _run_advanced_raster(job, out, gc, habitat, solver, rtol)
        return
    if n_focal < 2:
        raise DataError(f"{job.point_file}: {n_focal} focal node(s) found; {job.scenario} mode needs at least two.")
    ids = gc.focal_ids
    per_map = not job.write_cum_cur_map_only
    if job.scenario == "pairwise":
        pairs = read_included_pairs(_need(job.included_pairs_file, "included_pairs_file", job), ids) if job.use_included_pairs else None

        def on_pair(ij, v, cur):
            a, b = _fmt_id(ids[ij[0]]), _fmt_id(ids[ij[1]])
            if job.write_cur_maps and per_map:
                out.grid(f"curmap_{a}_{b}", gc.graph.cell_values(cur), habitat, off, "cur")
            if job.write_volt_maps:
                out.grid(f"voltmap_{a}_{b}", gc.graph.cell_values(v), habitat, off, "volt")

        res = pairwise(gc.graph, gc.focal_nodes, ids, pairs=pairs, solver=solver, rtol=rtol, currents=maps,
                       on_pair=on_pair if maps else None, focal_currents_zero=job.set_focal_node_currents_to_zero)
        _write_resistances(out, ids, res.resistances)
    else:
        strengths = None
        if job.use_variable_source_strengths:
            strengths = _read_strengths(_need(job.variable_source_file, "variable_source_file", job), ids)

        def on_focal(i, v, cur):
            a = _fmt_id(ids[i[0]])
            if job.write_cur_maps and per_map:
                out.grid(f"curmap_{a}", gc.graph.cell_values(cur), habitat, off, "cur")
            if job.write_volt_maps:
                out.grid(f"voltmap_{a}", gc.graph.cell_values(v), habitat, off, "volt")

        res = one_to_all(gc.graph, gc.focal_nodes, ids, strengths=strengths, reverse=job.scenario == "all-to-one",
                         solver=solver, rtol=rtol, currents=maps, on_focal=on_focal if maps else None,
                         focal_currents_zero=job.set_focal_node_currents_to_zero)
    if job.write_cur_maps:
        out.grid("cum_curmap", gc.graph.cell_values(res.cum_current), habitat, off, "cur")
    if job.write_max_cur_maps:
        out.grid("max_curmap", gc.graph.cell_values(res.max_current), habitat, off, "cur")


def _ground_conductance(values: np.ndarray, valid: np.ndarray, job: CircuitscapeJob, label: str) -> np.ndarray:
    v = np.where(valid, values.astype("float64"), np.nan)
    present = valid & np.isfinite(v)
    if np.any(present & (v < 0)):
        raise DataError(f"{label}, key 'ground_file': negative ground values found; grounds must be >= 0 (no data = no ground).")
    g = np.zeros(v.shape)
    if job.use_direct_grounds:
        g[present] = np.inf
    elif job.ground_file_is_resistances:
        g[present & (v == 0)] = np.inf
        pos = present & (v > 0)
        g[pos] = 1.0 / v[pos]
    else:
        g[present] = v[present]
    return g


def _run_advanced_raster(job: CircuitscapeJob, out: _Outputs, gc: GridCircuit, habitat: Raster, solver: str, rtol: float) -> None:
    src_r = _read_raster(job.source_file, "source_file", job, habitat)
    gnd_r = _read_raster(job.ground_file, "ground_file", job, habitat)
    src = np.where(src_r.valid, np.nan_to_num(src_r.array.astype("float64")), 0.0)
    if job.use_unit_currents:
        src = (src != 0).astype("float64")
    gnd = _ground_conductance(gnd_r.array, gnd_r.valid, job, str(job.ground_file))
    src, gnd = apply_ground_policy(src, gnd, job.remove_src_or_gnd)
    on = gc.graph.nodemap >= 0
    nn = gc.graph.n_nodes
    nodes = gc.graph.nodemap[on]
    s_node = np.bincount(nodes, weights=src[on], minlength=nn)
    g_node = np.zeros(nn)
    np.add.at(g_node, nodes, gnd[on])
    if not np.any(s_node):
        raise DataError(f"{job.source_file}: no source lies on a habitat cell; place sources on cells with data.")
    if not np.any(g_node):
        raise DataError(f"{job.ground_file}: no ground lies on a habitat cell; place grounds on cells with data.")
    res = advanced(gc.graph, s_node, g_node, solver=solver, rtol=rtol)
    off = ~on
    if job.write_cur_maps:
        out.grid("curmap", gc.graph.cell_values(res.currents), habitat, off, "cur")
    if job.write_volt_maps:
        out.grid("voltmap", gc.graph.cell_values(res.voltages), habitat, off, "volt")


# ------------------------------------------------------------------ networks
def read_network(path: Path, is_resistance: bool) -> CircuitGraph:
    """Read a Circuitscape network (``node node value`` per line) as a CircuitGraph."""
    rows = _read_table(path, 3, "node node value")
    a = np.array([int(float(r[0])) for r in rows])
    b = np.array([int(float(r[1])) for r in rows])
    v = np.array([float(r[2]) for r in rows])
    return network_graph(a, b, v, is_resistance=is_resistance, label=str(path))


def _node_index(graph: CircuitGraph, node_ids: np.ndarray, label: str) -> np.ndarray:
    pos = {int(n): k for k, n in enumerate(graph.names)}
    missing = [int(i) for i in node_ids if int(i) not in pos]
    if missing:
        raise DataError(f"{label}: node {missing[0]} is not in the network; list only nodes that have a branch.")
    return np.array([pos[int(i)] for i in node_ids], dtype=np.int64)


def _run_network(job: CircuitscapeJob, out: _Outputs, rtol: float) -> None:
    solver = CIRCUITSCAPE_SOLVERS[job.solver]
    graph = read_network(_need(job.habitat_file, "habitat_file", job), job.habitat_map_is_resistances)
    names = graph.names
    if job.scenario == "advanced":
        src_rows = _read_table(_need(job.source_file, "source_file", job), 2, "node current")
        gnd_rows = _read_table(_need(job.ground_file, "ground_file", job), 2, "node value")
        s = np.zeros(graph.n_nodes)
        g = np.zeros(graph.n_nodes)
        si = _node_index(graph, np.array([int(float(r[0])) for r in src_rows]), str(job.source_file))
        gi = _node_index(graph, np.array([int(float(r[0])) for r in gnd_rows]), str(job.ground_file))
        sv = np.array([float(r[1]) for r in src_rows])
        gv = np.array([float(r[1]) for r in gnd_rows])
        np.add.at(s, si, 1.0 if job.use_unit_currents else sv)
        gcell = _ground_conductance(gv, np.ones(len(gv), bool), job, str(job.ground_file))
        np.add.at(g, gi, gcell)
        s, g = apply_ground_policy(s, g, job.remove_src_or_gnd)
        res = advanced(graph, s, g, solver=solver, rtol=rtol)
        out.text("voltages.txt", [[_fmt_id(names[k]), float(res.voltages[k])] for k in range(graph.n_nodes)])
        if job.write_cur_maps:
            out.text("node_currents.txt", [[_fmt_id(names[k]), float(res.currents[k])] for k in range(graph.n_nodes)])
            a, b, c = branch_currents(graph.laplacian, res.voltages)
            out.text("branch_currents.txt", [[_fmt_id(names[x]), _fmt_id(names[y]), float(z)] for x, y, z in zip(a, b, c)])
        return
    focal_ids = np.unique(np.array([int(float(r[0])) for r in _read_table(_need(job.point_file, "point_file", job), 1, "node")]))
    fnodes = _node_index(graph, focal_ids, str(job.point_file))
    pairs = read_included_pairs(_need(job.included_pairs_file, "included_pairs_file", job), focal_ids) if job.use_included_pairs else None
    bi, bj, g_br = graph.branches()
    cum_branch = np.zeros(len(bi))
    maps = job.write_cur_maps or job.write_volt_maps

    def on_pair(ij, v, cur):
        a, b = _fmt_id(focal_ids[ij[0]]), _fmt_id(focal_ids[ij[1]])
        br = np.abs(g_br * (v[bi] - v[bj]))
        cum_branch[:] += br
        if job.write_cur_maps and not job.write_cum_cur_map_only:
            out.text(f"node_currents_{a}_{b}.txt", [[_fmt_id(names[k]), float(cur[k])] for k in range(graph.n_nodes)])
            out.text(f"branch_currents_{a}_{b}.txt", [[_fmt_id(names[x]), _fmt_id(names[y]), float(z)] for x, y, z in zip(bi, bj, br)])
        if job.write_volt_maps:
            out.text(f"voltages_{a}_{b}.txt", [[_fmt_id(names[k]), float(v[k])] for k in range(graph.n_nodes)])

    res = pairwise(graph, fnodes, focal_ids, pairs=pairs, solver=solver, rtol=rtol, currents=maps, on_pair=on_pair if maps else None,
                   focal_currents_zero=job.set_focal_node_currents_to_zero)
    _write_resistances(out, focal_ids, res.resistances)
    if job.write_cur_maps:
        out.text("node_currents_cum.txt", [[_fmt_id(names[k]), float(res.cum_current[k])] for k in range(graph.n_nodes)])
        out.text("branch_currents_cum.txt", [[_fmt_id(names[x]), _fmt_id(names[y]), float(z)] for x, y, z in zip(bi, bj, cum_branch)])
