"""Surfaces from the user's rasters: land cover reclassed by a table, or a ready resistance raster, on the working grid."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from corridors._errors import ConfigError, DataError, where
from corridors.io import read_text
from corridors.raster import Raster, make_grid, warp_to


def _read_reclass(reclass: Mapping[Any, float] | str | os.PathLike) -> tuple[dict[float, float], str]:
    if isinstance(reclass, Mapping):
        return {float(k): v for k, v in reclass.items()}, "reclass table"
    p = Path(reclass)
    if not p.exists():
        raise ConfigError(f"{p}: reclass table not found; give a CSV (class,value) or YAML mapping.")
    if p.suffix.lower() in (".yml", ".yaml"):
        raw = yaml.safe_load(read_text(p, ConfigError))
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{p}: a reclass table must map land-cover class to value.")
        items = list(raw.items())
    else:
        rows = [r for r in csv.reader(io.StringIO(read_text(p, ConfigError))) if r and not r[0].lstrip().startswith("#")]
        if rows and not _is_number(rows[0][0]):
            rows = rows[1:]  # header
        bad = [r for r in rows if len(r) < 2]
        if bad:
            raise ConfigError(f"{p}: row {bad[0]!r} needs two columns, class and value.")
        items = [(r[0], r[1]) for r in rows]
    out: dict[float, float] = {}
    for k, v in items:
        if not (_is_number(k) and _is_number(v)):
            raise ConfigError(f"{where(p, feature=k)}: class and value must be numbers, got {k!r}: {v!r}.")
        out[float(k)] = float(v)
    return out, str(p)


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _as_template(template: Raster | None) -> Raster:
    return make_grid() if template is None else template


def resistance_from_landcover(
    landcover_path: str | os.PathLike,
    reclass: Mapping[Any, float] | str | os.PathLike,
    template: Raster | None = None,
) -> Raster:
    """Resistance from a land-cover raster and a reclass table, on the working grid.

    The land cover is resampled with nearest neighbour (classes are not
    averaged), then each class is replaced by its value. Land-cover no data
    stays no data (impassable). A class may be given the value ``inf`` (or
    any value <= 0 is refused) to make it impassable explicitly.

    Parameters
    ----------
    landcover_path : path-like
        GeoTIFF (or any GDAL raster) of integer land-cover classes, any CRS.
    reclass : mapping or path-like
        Class -> resistance; a dict, a CSV of ``class,value`` rows (a header
        row is allowed) or a YAML mapping.
    template : Raster, optional
        The target grid (default: :func:`corridors.raster.make_grid`, the
        programme extent at ``settings.DEFAULT_RESOLUTION_M``).

    Returns
    -------
    Raster
        float32 resistance on the template grid, NaN = impassable.

    Raises
    ------
    ConfigError
        If the table lacks a class present in the raster or holds a value <= 0.
    DataError
        If the raster cannot be read, has no CRS, or does not overlap the grid.
    """
    return _reclass_landcover(landcover_path, reclass, template, "resistance")


def suitability_from_landcover(
    landcover_path: str | os.PathLike,
    reclass: Mapping[Any, float] | str | os.PathLike,
    template: Raster | None = None,
) -> Raster:
    """Habitat suitability (0-1) from a land-cover raster and a reclass table, on the working grid.

    Parameters
    ----------
    landcover_path, reclass, template
        As for :func:`resistance_from_landcover`; values must lie in [0, 1].

    Returns
    -------
    Raster
        float32 suitability, NaN where the land cover has no data.

    Raises
    ------
    ConfigError
        If the table lacks a class present in the raster or a value is outside 0-1.
    """
    return _reclass_landcover(landcover_path, reclass, template, "suitability")


def _reclass_landcover(landcover_path: str | os.PathLike, reclass: Mapping[Any, float] | str | os.PathLike,
                       template: Raster | None, what: str) -> Raster:
    grid = _as_template(template)
    lc = Raster.read(landcover_path)
    table, label = _read_reclass(reclass)
    for k, v in table.items():
        if what == "resistance" and not v > 0:
            raise ConfigError(f"{where(label, feature=k)}: resistance must be > 0 (use inf for impassable), got {v}.")
        if what == "suitability" and not 0 <= v <= 1:
            raise ConfigError(f"{where(label, feature=k)}: suitability must lie within 0-1, got {v}.")
    onto = warp_to(lc, grid, "nearest")
    a = onto.array
    present = np.unique(a[~np.isnan(a)])
    missing = [c for c in present if float(c) not in table]
    if missing:
        raise ConfigError(
            f"{where(label, feature=int(missing[0]) if float(missing[0]).is_integer() else missing[0])}: "
            f"class of {Path(landcover_path).name} has no {what}; add a row for it "
            f"(missing: {', '.join(str(int(m)) if float(m).is_integer() else str(m) for m in missing[:10])})."
        )
    keys = np.array(sorted(table), dtype="float64")
    vals = np.array([table[k] for k in sorted(table)], dtype="float32")
    out = np.full(a.shape, np.nan, dtype="float32")
    ok = ~np.isnan(a)
    idx = np.searchsorted(keys, a[ok])
    out[ok] = vals[idx]
    out[np.isinf(out)] = np.nan
    if np.isnan(out).all():
        raise DataError(f"{Path(landcover_path).name}: every cell is no data or impassable after reclassing; check the table.")
    return Raster(out, grid.transform, grid.crs, None, f"{what} from {Path(landcover_path).name}")


def resistance_from_raster(
    path: str | os.PathLike, template: Raster | None = None, resampling: str = "bilinear"
) -> Raster:
    """A ready resistance raster, reprojected and resampled onto the working grid.

    Parameters
    ----------
    path : path-like
        GeoTIFF or ASCII grid of resistance (cost per unit distance), any CRS;
        no data is impassable.
    template : Raster, optional
        The target grid (default: :func:`corridors.raster.make_grid`, the
        programme extent at ``settings.DEFAULT_RESOLUTION_M``). If the file
        is already on this grid it is used as is.
    resampling : str, default 'bilinear'
        How values are resampled when the grids differ.

    Returns
    -------
    Raster
        float32 resistance, NaN = impassable.

    Raises
    ------
    DataError
        If a value is zero or negative (MCP needs positive costs), the file
        has no CRS and is not on the grid, or every cell is no data.
    """
    grid = _as_template(template)
    r = Raster.read(path)
    vals = r.array[r.valid]
    if (vals <= 0).any():
        n = int((vals <= 0).sum())
        raise DataError(
            f"{Path(path)}: {n} cell(s) hold zero or negative resistance (min {vals.min():g}); "
            "resistance must be > 0 everywhere (set impassable cells to no data)."
        )
    out = warp_to(r, grid, resampling)
    out.name = Path(path).name
    return out
