"""Run an Omniscape.jl config: read its rasters, solve every target, write Omniscape's files and ``provenance.json``.

``run_config`` is what ``corridors omniscape run CONFIG.ini`` calls. The
outputs go to the folder ``project_name`` (relative to the working
directory); when that folder exists, to ``project_name_1``, ``_2``... as
Omniscape.jl does, so an earlier run or a user's folder is never touched.
Every file is written in a hidden folder first and the folder moved into
place when the run has finished.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corridors._errors import ConfigError, DataError
from corridors.io import provenance, staged_folder
from corridors.omniscape.config import OmniscapeConfig, read_config
from corridors.omniscape.core import (
    NODATA,
    Conditions,
    Targets,
    Window,
    correction_array,
    find_targets,
    normalized_current,
    reclassify,
    source_from_resistance,
)
from corridors.omniscape.parallel import make_tiles, run_tiles
from corridors.raster import Raster


@dataclass
class OmniscapeInputs:
    """The arrays of a run, read and prepared as Omniscape.jl prepares them (NaN for no data)."""

    resistance: np.ndarray
    source: np.ndarray
    template: Raster
    conditions: Conditions | None = None
    files: dict[str, Path] = field(default_factory=dict)


@dataclass
class OmniscapeResult:
    """The maps of a finished run (no data NaN) and the files written."""

    cum_current: np.ndarray
    flow_potential: np.ndarray | None
    normalized_current: np.ndarray | None
    classified_resistance: np.ndarray | None
    targets: int
    template: Raster
    outdir: Path | None = None
    files: list[Path] = field(default_factory=list)


def _read(path: Path, key: str, dtype: str) -> Raster:
    p = Path(str(path).removeprefix("/vsigzip/"))
    if not p.exists():
        raise DataError(f"{key}: the file {p} does not exist; paths in an Omniscape config are relative to the working directory "
                        f"({Path.cwd().name}/).")
    r = Raster.read(p)
    arr = r.array.astype(dtype).astype("float64")
    mask = ~np.isfinite(arr)
    if r.nodata is not None and not np.isnan(r.nodata):
        mask |= r.array == r.nodata
    return r.replace(np.where(mask, np.nan, arr), nodata=None, name=p.name)


def _aligned(base: Raster, other: Raster, key: str, cfg: OmniscapeConfig) -> np.ndarray:
    if other.shape != base.shape:
        raise DataError(f"{key}: {other.label} is {other.shape[0]} x {other.shape[1]} cells, the resistance_file "
                        f"{base.shape[0]} x {base.shape[1]}; give it on the resistance grid.")
    same_crs = (base.crs is None and other.crs is None) or (base.crs is not None and other.crs is not None and base.crs == other.crs)
    if not cfg.allow_different_projections and (not same_crs or not base.transform.almost_equals(other.transform)):
        warnings.warn(f"{key}: {other.label} and the resistance_file have different projections or grid origins; they may not "
                      "be aligned (set allow_different_projections = true to silence this).", stacklevel=3)
    return other.array


def read_table(path: Path) -> np.ndarray:
    """A reclass table: two whitespace-separated columns, old value and new value; ``missing`` (quoted or not) for no data."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise DataError(f"reclass_table {path}, line {n}: {line.strip()!r} should hold two values: old new.")
        vals = []
        for p in parts:
            if p.strip('"').lower() == "missing":
                vals.append(np.nan)
                continue
            try:
                vals.append(float(p))
            except ValueError:
                raise DataError(f"reclass_table {path}, line {n}: {p!r} is not a number or \"missing\".") from None
        rows.append(vals)
    if not rows:
        raise DataError(f"reclass_table {path}: holds no rows; give lines of: old_value new_value.")
    return np.array(rows)


def prepare_inputs(cfg: OmniscapeConfig) -> OmniscapeInputs:
    """Read the resistance, source and condition rasters of a config and prepare them as Omniscape.jl does.

    Raises
    ------
    DataError
        For a missing or unreadable file, a grid of another shape, or a
        resistance of 0 or below.
    """
    if cfg.resistance_file is None:
        raise ConfigError("the Omniscape config names no resistance_file.")
    files = {"resistance_file": cfg.resistance_file}
    res_r = _read(cfg.resistance_file, "resistance_file", cfg.dtype)
    res = res_r.array
    bad = np.isfinite(res) & (res <= 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"resistance_file {cfg.resistance_file}: {int(bad.sum())} cell(s) hold 0 or a negative value (first at row "
                        f"{r + 1}, column {c + 1}); Omniscape needs resistances (or conductances) > 0: set them to no data "
                        "or a positive value.")
    table = None
    if cfg.reclassify_resistance:
        files["reclass_table"] = cfg.reclass_table
        table = read_table(cfg.reclass_table)
    if cfg.source_from_resistance:
        base = reclassify(res, table) if table is not None else res
        source = source_from_resistance(base, cfg.r_cutoff, is_conductance=cfg.resistance_is_conductance)
    else:
        files["source_file"] = cfg.source_file
        src = _aligned(res_r, _read(cfg.source_file, "source_file", cfg.dtype), "source_file", cfg)
        source = np.where(np.isfinite(src) & (src >= cfg.source_threshold), src, 0.0)
    if table is not None:
        res = reclassify(res, table)
        bad = np.isfinite(res) & (res <= 0)
        if bad.any():
            raise DataError(f"reclass_table {cfg.reclass_table}: turns {int(bad.sum())} cell(s) into resistance 0 or below; "
                            "reclassify to a positive value or \"missing\".")
    conditions = None
    if cfg.conditional:
        present, future = [], []
        for k in range(1, cfg.n_conditions + 1):
            key = f"condition{k}_file"
            files[key] = getattr(cfg, key)
            now = _aligned(res_r, _read(getattr(cfg, key), key, cfg.dtype), key, cfg)
            fkey = f"condition{k}_future_file"
            if cfg.compare_to_future in (str(k), "both"):
                files[fkey] = getattr(cfg, fkey)
                fut = _aligned(res_r, _read(getattr(cfg, fkey), fkey, cfg.dtype), fkey, cfg)
            else:
                fut = now
            present.append(now)
            future.append(fut)
        n = cfg.n_conditions
        conditions = Conditions(tuple(present), tuple(future), (cfg.comparison1, cfg.comparison2)[:n],
                                (cfg.condition1_lower, cfg.condition2_lower)[:n], (cfg.condition1_upper, cfg.condition2_upper)[:n])
    return OmniscapeInputs(resistance=res, source=source, template=res_r, conditions=conditions, files=files)


def compute(cfg: OmniscapeConfig, inputs: OmniscapeInputs, progress: Callable[[int], None] | None = None,
            on_targets: Callable[[int], None] | None = None, *, workers: int | None = None, scheduler: str | None = None) -> OmniscapeResult:
    """Solve every target of a prepared run and finish the maps (normalise, mask no data).

    Parameters
    ----------
    cfg : OmniscapeConfig
    inputs : OmniscapeInputs
    progress : callable, optional
        Called with the number of targets done, after each tile of targets.
    on_targets : callable, optional
        Called once with the number of targets before the first solve.
    workers : int, optional
        Worker processes of an embedded Dask LocalCluster; 1 solves in this
        process. Default: every core when the config has ``parallelize =
        true`` (Omniscape's default), else 1; never more than the tiles.
    scheduler : str, optional
        Address of a running Dask scheduler: the tiles run on its workers.

    Returns
    -------
    OmniscapeResult
        ``outdir`` and ``files`` empty (see :func:`write_result`).
    """
    window = Window(cfg.radius, cfg.buffer, cfg.block_size)
    res = inputs.resistance
    targets: Targets = find_targets(inputs.source, window)
    if on_targets is not None:
        on_targets(len(targets))
    opts = {"four_neighbors": cfg.connect_four_neighbors_only, "solver": cfg.solver}
    corr = correction_array(window, res.shape, **opts) if cfg.correct_artifacts and cfg.block_size > 1 else None
    options = {"is_conductance": cfg.resistance_is_conductance, "flow_potential": cfg.compute_flow_potential, "correction": corr,
               **opts}
    n_tiles = len(make_tiles(targets, window, res.shape))
    if workers is None:
        workers = min(os.cpu_count() or 1, n_tiles) if cfg.parallelize else 1
    if workers < 1:
        raise ConfigError(f"omniscape --workers {workers}: must be >= 1.")
    if scheduler is None and (workers == 1 or n_tiles <= 1):
        maps = run_tiles(res, inputs.source, targets, window, options, conditions=inputs.conditions, progress=progress)
    else:
        # Local: corridors.cluster loads dask.distributed (0.2-0.6 s, measured); a run on one worker never needs it.
        from corridors.cluster import dask_client

        with dask_client(scheduler, workers, what="omniscape run") as client:
            maps = run_tiles(res, inputs.source, targets, window, options, conditions=inputs.conditions, client=client,
                             progress=progress)
    cum, fp = maps.cum_current, maps.flow_potential
    norm = normalized_current(cum, fp) if cfg.calc_normalized_current else None
    missing = ~np.isfinite(res)
    if cfg.mask_nodata:
        for a in (cum, fp, norm):
            if a is not None:
                a[missing] = np.nan
    return OmniscapeResult(cum_current=cum, flow_potential=fp if cfg.calc_flow_potential else None, normalized_current=norm,
                           classified_resistance=res if cfg.reclassify_resistance and cfg.write_reclassified_resistance else None,
                           targets=maps.targets, template=inputs.template)


def project_folder(name: str) -> Path:
    """The folder a run writes to: ``name``, or ``name_1``, ``name_2``... when it exists (as Omniscape.jl chooses)."""
    base = Path(name)
    if not base.exists():
        return base
    k = 1
    while Path(f"{name}_{k}").exists():
        k += 1
    return Path(f"{name}_{k}")


def write_result(result: OmniscapeResult, cfg: OmniscapeConfig, outdir: Path, inputs: OmniscapeInputs) -> list[Path]:
    """Write Omniscape's files into the new folder ``outdir``: the maps asked for, ``config.ini`` and ``provenance.json``.

    Maps are GeoTIFF (LZW, ``write_as_tif``) or ESRI ASCII grids in the
    run's precision, no data -9999, on the resistance grid and its CRS.
    """
    suffix = "tif" if cfg.write_as_tif else "asc"
    maps = {"cum_currmap": result.cum_current if cfg.write_raw_currmap else None, "flow_potential": result.flow_potential,
            "normalized_cum_currmap": result.normalized_current, "classified_resistance": result.classified_resistance}
    written = []
    with staged_folder(outdir, replace=True) as tmp:
        for name, arr in maps.items():
            if arr is None:
                continue
            values = np.where(np.isnan(arr), NODATA, arr).astype(cfg.dtype)
            r = Raster(values, result.template.transform, result.template.crs, NODATA, name)
            r.write(tmp / f"{name}.{suffix}", dtype=cfg.dtype)
            written.append(outdir / f"{name}.{suffix}")
        with open(tmp / "config.ini", "w", encoding="utf-8") as f:
            for key, value in cfg.raw.items():
                f.write(f"{key} = {value}\n")
        written.append(outdir / "config.ini")
        params = {k: v for k, v in cfg.raw.items() if not k.endswith("_file") and k != "reclass_table"}
        params["targets solved"] = result.targets
        rec = provenance.record(inputs=inputs.files, parameters=params, command=f"corridors omniscape run {cfg.source}")
        provenance.write(rec, tmp / "provenance.json")
        written.append(outdir / "provenance.json")
    return written


def run_config(path: str | os.PathLike, progress: Callable[[int], None] | None = None,
               on_targets: Callable[[int], None] | None = None, *, workers: int | None = None,
               scheduler: str | None = None) -> OmniscapeResult:
    """Run an Omniscape.jl config file unchanged: read, solve every target, write its files.

    Parameters
    ----------
    path : path-like
        The config (INI). Its paths are relative to the working directory.
    progress, on_targets : callable, optional
        See :func:`compute`.
    workers, scheduler
        See :func:`compute`.

    Returns
    -------
    OmniscapeResult
        With the folder written and its files.
    """
    cfg = read_config(path)
    inputs = prepare_inputs(cfg)
    result = compute(cfg, inputs, progress=progress, on_targets=on_targets, workers=workers, scheduler=scheduler)
    outdir = project_folder(cfg.project_name)
    if outdir != Path(cfg.project_name):
        warnings.warn(f"the project folder {cfg.project_name} exists; writing to {outdir}, as Omniscape does.", stacklevel=2)
    result.outdir = outdir
    result.files = write_result(result, cfg, outdir, inputs)
    return result
