"""Resistance and suitability surfaces of the bundled data, their checks and writing, and burning geometries into a surface."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from corridors._errors import ConfigError, DataError, shown, where
from corridors.io import atomic_path, staged_folder
from corridors.landscape.classes import build_border_ids, build_classes
from corridors.landscape.table import CLASS_CODES, CLASSES, ResistanceTable, apply_overrides, load_table
from corridors.raster import Raster, rasterize
from corridors.raster.grid import _resolution_m


def _table_and_classes(bounds: Sequence[float] | None, resolution_m: float, table: Any, overrides: Mapping[str, Any] | None,
                       classes: Raster | None) -> tuple[ResistanceTable, Raster]:
    """The table with its overrides, and the class raster (built on the grid of ``bounds``, ``resolution_m`` unless given)."""
    t = apply_overrides(load_table(table), overrides)
    return t, (build_classes(bounds, resolution_m, t) if classes is None else classes)


def _class_values(t: ResistanceTable, classes: Raster, attribute: str) -> np.ndarray:
    """float32 array of every cell's class ``attribute`` (``'resistance'`` or ``'suitability'``); NaN where the code is 0 (sea)."""
    lut = np.full(len(CLASSES) + 1, np.nan, dtype="float32")
    for name, code in CLASS_CODES.items():
        lut[code] = getattr(t.classes[name], attribute)
    return lut[classes.array]


def build_resistance(
    bounds: Sequence[float] | None = None,
    resolution_m: float | None = None,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    overrides: Mapping[str, Any] | None = None,
    classes: Raster | None = None,
    *,
    resolution: float | None = None,
) -> Raster:
    """The resistance surface of the bundled data, from the expert table ``data/resistance.yml``.

    Parameters
    ----------
    bounds : sequence of 4 floats, optional
        (left, bottom, right, top) in working-CRS metres (default: the
        programme extent, about 2500 x 1600 km). :func:`bounds_around` gives
        the extent of some sites plus a margin.
    resolution_m : float, default settings.DEFAULT_RESOLUTION_M (1 km)
        Cell size in metres.
    table : path, mapping or ResistanceTable, optional
        The resistance table (default ``data/resistance.yml``).
    overrides : mapping, optional
        Replaced resistances of classes or borders (see :func:`apply_overrides`),
        e.g. ``{"borders": {"TKM-UZB": 50}}`` for an opened fence.
    classes : Raster, optional
        A class raster from :func:`build_classes` on the same grid, to skip rebuilding it.

    Returns
    -------
    Raster
        float32 resistance (cost per metre, riparian = 1), NaN = impassable
        (sea), in the working CRS.

    Raises
    ------
    ConfigError
        If the table or an override is invalid.

    Examples
    --------
    >>> r = build_resistance(resolution_m=5000, overrides={"TKM-UZB": 100})  # doctest: +SKIP
    """
    t, classes = _table_and_classes(bounds, _resolution_m(resolution_m, resolution), table, overrides, classes)
    codes = classes.array
    res = _class_values(t, classes, "resistance")
    bmask, ids = build_border_ids(classes, t)
    # One crossing costs value x border_width_m on top of the land under the border, whatever the cell
    # size: a strip one cell wide (border narrower than a cell) adds value x width / cell to each of its
    # cells; a wider strip is buffered to the width and adds the value. Added, not max(): a fence across
    # desert costs the desert and the fence (data/resistance.yml, `borders`, says why).
    scale = min(1.0, t.zones.border_width_m / classes.cellsize) if t.zones.border_width_m > 0 else 1.0
    bvals = np.array([np.nan] + [t.borders.get(i, t.borders["default"]) * scale for i in ids], dtype="float32")
    on_border = (bmask > 0) & (codes > 0)
    res[on_border] = res[on_border] + bvals[bmask[on_border]]
    return Raster(res, classes.transform, classes.crs, None, "resistance")


def build_suitability(
    bounds: Sequence[float] | None = None,
    resolution_m: float | None = None,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    overrides: Mapping[str, Any] | None = None,
    classes: Raster | None = None,
    *,
    resolution: float | None = None,
) -> Raster:
    """The habitat-suitability surface (0-1) of the bundled data, from the same table and classes.

    Parameters
    ----------
    bounds, resolution_m, table, overrides, classes
        As for :func:`build_resistance` (an override may set
        ``{"classes": {"floodplain": {"suitability": 0.7}}}``).

    Returns
    -------
    Raster
        float32 in [0, 1]; NaN = sea.
    """
    t, classes = _table_and_classes(bounds, _resolution_m(resolution_m, resolution), table, overrides, classes)
    return Raster(_class_values(t, classes, "suitability"), classes.transform, classes.crs, None, "suitability")


def check_resistance(resistance: Raster) -> np.ndarray:
    """Validate a resistance raster and return its cost array (float64, inf where impassable).

    Raises
    ------
    DataError
        If every cell is no data, or a data cell holds zero or a negative value
        (no data and NaN are impassable; +inf is impassable too).
    """
    valid = resistance.valid
    if not valid.any():
        raise DataError(f"{resistance.label}: every cell is no data; the resistance holds nothing to cross.")
    a = resistance.array
    bad = valid & ~(a > 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{resistance.label}: cell (row {r}, col {c}) holds resistance {shown(a[r, c])}; resistance must be > 0 "
            "(set impassable cells to no data)."
        )
    if valid.all():
        # Nothing to mark impassable: hand MCP the array itself (no copy if it is float64 already;
        # MCP only reads it), which saves a grid-sized copy on large rasters.
        return np.ascontiguousarray(a, dtype="float64")
    costs = a.astype("float64", copy=True)
    costs[~valid] = np.inf
    return costs


def burn(
    raster: Raster, geometries: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[Any], value: float, mode: str = "set"
) -> Raster:
    """A copy of ``raster`` with ``value`` burnt into the cells of some geometries (a scenario helper).

    Parameters
    ----------
    raster : Raster
    geometries : GeoDataFrame, GeoSeries or sequence of shapely geometries
        In the raster's CRS. Lines and points touch every cell they cross.
    value : float
    mode : {'set', 'multiply', 'min', 'max'}
        Replace the cell value, multiply it, or keep the lower/higher one.

    Returns
    -------
    Raster
    """
    if isinstance(geometries, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geometries = list(geometries.geometry if isinstance(geometries, gpd.GeoDataFrame) else geometries)
    mask = rasterize(list(geometries), 1, raster, all_touched=True).astype(bool) & raster.valid
    a = raster.array.astype("float32", copy=True)
    ops = {
        "set": lambda x: np.full_like(x, value),
        "multiply": lambda x: x * value,
        "min": lambda x: np.minimum(x, value),
        "max": lambda x: np.maximum(x, value),
    }
    if mode not in ops:
        raise ConfigError(f"{where(field='mode')}: unknown burn mode {mode!r}; use set, multiply, min or max.")
    a[mask] = ops[mode](a[mask])
    return raster.replace(a)


def write_legend(table: ResistanceTable, path: str | os.PathLike) -> Path:
    """Write the legend of the class raster (``classes.csv``: code, class, resistance, suitability), atomically.

    Parameters
    ----------
    table : ResistanceTable
        The table the surfaces were built with (after overrides).
    path : path-like
        The ``.csv`` file.

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["code", "class", "resistance", "suitability"])
            for name, code in CLASS_CODES.items():
                w.writerow([code, name, table.classes[name].resistance, table.classes[name].suitability])
    return Path(path)


def write_surfaces(
    outdir: str | os.PathLike,
    bounds: Sequence[float] | None = None,
    resolution_m: float | None = None,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    overrides: Mapping[str, Any] | None = None,
    fmt: str = "tif",
    *,
    resolution: float | None = None,
) -> dict[str, Path]:
    """Build and write the class, resistance and suitability rasters of the bundled data.

    Parameters
    ----------
    outdir : path-like
        Output folder (created). The four files are written together
        (:func:`corridors.io.staged_folder`): a failure leaves the folder as
        it was; other files in it are left alone.
    bounds, resolution_m, table, overrides
        As for :func:`build_resistance`.
    fmt : {'tif', 'asc'}
        GeoTIFF or ESRI ASCII grid (Circuitscape reads both).

    Returns
    -------
    dict of str to Path
        ``classes``, ``resistance``, ``suitability`` and ``legend`` (``classes.csv``).
    """
    resolution_m = _resolution_m(resolution_m, resolution)
    if fmt not in ("tif", "asc"):
        raise ConfigError(f"{where(field='format')}: unknown raster format {fmt!r}; use tif or asc.")
    t = apply_overrides(load_table(table), overrides)
    classes = build_classes(bounds, resolution_m, t)
    res = build_resistance(table=t, classes=classes)
    suit = build_suitability(table=t, classes=classes)
    out = Path(outdir)
    float_tif = "float32" if fmt == "tif" else None
    # All four files or none: a failure keeps the folder as it was (other files in it are left alone).
    with staged_folder(out, name="surfaces") as tmp:
        classes.write(tmp / f"classes.{fmt}")
        res.write(tmp / f"resistance.{fmt}", dtype=float_tif)
        suit.write(tmp / f"suitability.{fmt}", dtype=float_tif)
        write_legend(t, tmp / "classes.csv")
    return {
        "classes": out / f"classes.{fmt}",
        "resistance": out / f"resistance.{fmt}",
        "suitability": out / f"suitability.{fmt}",
        "legend": out / "classes.csv",
    }
