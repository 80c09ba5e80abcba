"""Grid values: the Raster every engine shares, and the grid helpers around it.

- :class:`Raster`: a 2-D array with its affine transform, CRS and nodata,
  read and written with rasterio.
- Extents: :func:`degree_bounds`, :func:`programme_bounds`, :func:`bounds_around`,
  :func:`make_grid` (an empty grid of the working CRS, snapped to whole cells).
- Windows: :func:`bounds_window`, :func:`crop`.
- Geometry to cells: :func:`geometry_cells` / :func:`geometry_mask` (the
  cells one geometry occupies), :func:`rasterize` (burn values of many geometries).
- :func:`warp_to`: reproject and resample onto another grid.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.features
import rasterio.warp
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.crs import CRS as RioCRS
from rasterio.enums import Resampling

from corridors import settings
from corridors._errors import ConfigError, DataError, where
from corridors.io import atomic_path

#: Suffixes written as ESRI ASCII grids; everything else is written as GeoTIFF.
ASCII_SUFFIXES = (".asc",)


def _to_pyproj(crs: object) -> CRS | None:
    if crs is None:
        return None
    if isinstance(crs, CRS):
        return crs
    if isinstance(crs, RioCRS):
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)


@dataclass
class Raster:
    """A single-band raster: array, affine transform, CRS and nodata value.

    Cells equal to ``nodata`` (or NaN) are "no data": impassable for the
    least-cost engine and no node for the circuit engine.

    Parameters
    ----------
    array : numpy.ndarray
        2-D array, row 0 at the top (north).
    transform : affine.Affine
        Maps (col, row) to (x, y) of the cell's upper-left corner.
    crs : pyproj.CRS or None
        Coordinate reference system; ``None`` for grids that carry none
        (Circuitscape's ASCII grids), which then only combine with grids of
        the same shape and transform.
    nodata : float or None
        The no-data value; NaN is always treated as no data too.
    """

    array: np.ndarray
    transform: Affine
    crs: CRS | None = None
    nodata: float | None = None
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        self.array = np.asarray(self.array)
        if self.array.ndim != 2:
            raise DataError(f"{self.label}: a raster must be 2-D, got shape {self.array.shape}.")
        self.crs = _to_pyproj(self.crs)

    # ------------------------------------------------------------------ basics
    @property
    def label(self) -> str:
        """The file name (or ``'raster'``) used in error messages."""
        return self.name or "raster"

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.array.shape  # type: ignore[return-value]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y), positive, in CRS units."""
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def cellsize(self) -> float:
        """The cell size of a square-celled raster; raises if cells are not square."""
        rx, ry = self.res
        if not math.isclose(rx, ry, rel_tol=1e-6):
            raise DataError(f"{self.label}: cells are not square ({rx} x {ry}); resample to square cells.")
        return rx

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        rows, cols = self.shape
        x0, y0 = self.transform @ (0, 0)
        x1, y1 = self.transform @ (cols, rows)
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of cells holding data (not nodata, not NaN)."""
        a = self.array
        ok = np.ones(a.shape, dtype=bool)
        if np.issubdtype(a.dtype, np.floating):
            ok &= ~np.isnan(a)
        if self.nodata is not None and not (isinstance(self.nodata, float) and math.isnan(self.nodata)):
            ok &= a != self.nodata
        return ok

    def masked(self, fill: float = np.nan) -> np.ndarray:
        """Float copy of the array with no-data cells set to ``fill``."""
        out = self.array.astype("float64", copy=True)
        out[~self.valid] = fill
        return out

    def replace(self, array: np.ndarray, nodata: float | None = None, name: str | None = None) -> "Raster":
        """A raster on the same grid with another array."""
        return Raster(array, self.transform, self.crs, self.nodata if nodata is None else nodata, name or self.name)

    # -------------------------------------------------------------- geometry
    def xy(self, row: np.ndarray | int, col: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Centre coordinates of cells (row, col)."""
        row = np.asarray(row, dtype=float)
        col = np.asarray(col, dtype=float)
        t = self.transform
        x = t.c + (col + 0.5) * t.a + (row + 0.5) * t.b
        y = t.f + (col + 0.5) * t.d + (row + 0.5) * t.e
        return x, y

    def rowcol(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) indices of the cells holding points (x, y); may fall outside the grid."""
        inv = ~self.transform
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        col = inv.a * x + inv.b * y + inv.c
        row = inv.d * x + inv.e * y + inv.f
        return np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)

    def contains(self, row: np.ndarray, col: np.ndarray) -> np.ndarray:
        """Whether (row, col) indices fall inside the grid."""
        rows, cols = self.shape
        row = np.asarray(row)
        col = np.asarray(col)
        return (row >= 0) & (row < rows) & (col >= 0) & (col < cols)

    @classmethod
    def from_bounds(
        cls,
        bounds: tuple[float, float, float, float],
        resolution: float,
        crs: CRS | str | None,
        fill: float = 0.0,
        dtype: str = "float64",
        nodata: float | None = None,
        name: str = "",
    ) -> "Raster":
        """An empty raster covering ``bounds`` with square cells of ``resolution``.

        The grid is snapped outwards to whole multiples of the resolution so
        that rasters built for the same area and resolution align exactly.
        """
        if not resolution > 0:
            raise DataError(f"resolution must be positive, got {resolution!r}.")
        left, bottom, right, top = bounds
        left = math.floor(left / resolution) * resolution
        bottom = math.floor(bottom / resolution) * resolution
        right = math.ceil(right / resolution) * resolution
        top = math.ceil(top / resolution) * resolution
        cols = max(1, int(round((right - left) / resolution)))
        rows = max(1, int(round((top - bottom) / resolution)))
        transform = Affine(resolution, 0.0, left, 0.0, -resolution, top)
        return cls(np.full((rows, cols), fill, dtype=dtype), transform, _to_pyproj(crs), nodata, name)

    # -------------------------------------------------------------- alignment
    def is_aligned(self, other: "Raster", tol: float = 1e-6) -> bool:
        """Same shape, same transform (within ``tol`` of a cell) and same CRS."""
        if self.shape != other.shape:
            return False
        a, b = self.transform, other.transform
        cell = max(self.res)
        if any(abs(p - q) > tol * cell for p, q in zip(a[:6], b[:6])):
            return False
        if self.crs is None or other.crs is None:
            return True
        return self.crs == other.crs

    def check_aligned(self, other: "Raster") -> None:
        """Raise a DataError naming both rasters if they are not on the same grid."""
        if self.crs is not None and other.crs is not None and self.crs != other.crs:
            raise DataError(
                f"{other.label}: CRS differs from {self.label} ({other.crs.name} vs {self.crs.name}); "
                "reproject it to the same grid (corridors.raster.warp_to does this)."
            )
        if not self.is_aligned(other):
            raise DataError(
                f"{other.label}: grid does not match {self.label} (shape {other.shape} vs {self.shape}, "
                f"origin {other.transform.c, other.transform.f} vs {self.transform.c, self.transform.f}, "
                f"cell {other.res} vs {self.res}); resample it to the same grid."
            )

    # -------------------------------------------------------------- file I/O
    @classmethod
    def read(cls, path: str | os.PathLike, band: int = 1) -> "Raster":
        """Read one band of a GeoTIFF or ESRI ASCII grid (``.asc`` or gzip-compressed ``.asc.gz``).

        Raises
        ------
        DataError
            If the file is missing, unreadable or has every cell no data.
        """
        p = Path(path)
        if not p.exists():
            raise DataError(f"{p}: raster file not found; check the path.")
        uri = f"/vsigzip/{p}" if p.suffix.lower() == ".gz" else str(p)
        try:
            with rasterio.open(uri) as src:
                arr = src.read(band)
                r = cls(arr, src.transform, src.crs, src.nodata, p.name)
        except rasterio.errors.RasterioError as exc:
            raise DataError(f"{p}: cannot be read as a raster ({exc}); give a GeoTIFF or an ESRI ASCII grid.") from exc
        if not r.valid.any():
            raise DataError(f"{p}: every cell is no data; the raster holds nothing to analyse.")
        return r

    def write(self, path: str | os.PathLike, dtype: str | None = None, compress: bool = True) -> Path:
        """Write as GeoTIFF (``.tif``) or ESRI ASCII grid (``.asc``), atomically.

        Parameters
        ----------
        path : path-like
            Output file; the suffix chooses the format.
        dtype : str, optional
            Output data type (default: the array's, float64 for ASCII).
        compress : bool, default True
            Deflate-compress GeoTIFFs.

        Returns
        -------
        pathlib.Path
        """
        p = Path(path)
        ascii_grid = p.suffix.lower() in ASCII_SUFFIXES
        arr = self.array.astype(dtype or ("float64" if ascii_grid else self.array.dtype))
        nodata = self.nodata
        if nodata is None and np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any():
            nodata = -9999.0
            arr = np.where(np.isnan(arr), nodata, arr)
        profile = {
            "driver": "AAIGrid" if ascii_grid else "GTiff",
            "height": arr.shape[0],
            "width": arr.shape[1],
            "count": 1,
            "dtype": arr.dtype,
            "transform": self.transform,
            "nodata": nodata,
        }
        if self.crs is not None:
            profile["crs"] = RioCRS.from_wkt(self.crs.to_wkt())
        if not ascii_grid and compress:
            profile.update(compress="deflate", tiled=arr.shape[0] >= 256 and arr.shape[1] >= 256)
        with atomic_path(p) as tmp:
            with rasterio.open(tmp, "w", **profile) as dst:
                dst.write(arr, 1)
            if ascii_grid:
                # GDAL writes a .prj sidecar beside the grid; keep it with the final file.
                prj = tmp.with_suffix(".prj")
                if prj.exists():
                    os.replace(prj, p.with_suffix(".prj"))
        return p


# ----------------------------------------------------------------------------- extents
def degree_bounds(bounds_deg: Sequence[float], densify_pts: int = 21) -> tuple[float, float, float, float]:
    """A WGS84 extent in working-CRS metres.

    Parameters
    ----------
    bounds_deg : (west, south, east, north)
        Degrees.
    densify_pts : int, default 21
        Points sampled along each edge: the edges curve in the conic
        projection, so the result is the smallest projected rectangle that
        holds the sampled edges (21 points include the central meridian of
        the programme extent, where its southern edge dips lowest).

    Returns
    -------
    tuple of float
        ``(left, bottom, right, top)``.
    """
    tr = Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)
    return tuple(float(v) for v in tr.transform_bounds(*bounds_deg, densify_pts=densify_pts))  # type: ignore[return-value]


def programme_bounds() -> tuple[float, float, float, float]:
    """The programme extent in working-CRS metres.

    Returns
    -------
    tuple of float
        ``(left, bottom, right, top)``: the smallest projected rectangle that
        holds the whole of :data:`corridors.settings.PROGRAMME_BOUNDS_DEG`
        (55-82 E, 34-48 N); see :func:`degree_bounds`.
    """
    return degree_bounds(settings.PROGRAMME_BOUNDS_DEG)


def bounds_around(geoms: Any, margin_m: float = 100_000.0) -> tuple[float, float, float, float]:
    """Bounds (working CRS) of some features grown by ``margin_m`` on every side.

    Parameters
    ----------
    geoms : GeoDataFrame or GeoSeries
        Features in the working CRS (null and empty geometries are ignored).
    margin_m : float, default 100 km
        Margin added on each side.

    Returns
    -------
    tuple of float
        (left, bottom, right, top).

    Raises
    ------
    DataError
        If no feature has a geometry.
    """
    g = geoms.geometry
    g = g[~g.isna() & ~g.is_empty]
    if len(g) == 0:
        raise DataError("bounds_around: no feature has a geometry; give features with locations.")
    x0, y0, x1, y1 = g.total_bounds
    return (x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)


#: Largest grid :func:`make_grid` builds (cells); beyond it a run would not fit in memory anyway.
MAX_GRID_CELLS: float = 2.5e8


def make_grid(
    bounds: Sequence[float] | None = None, resolution: float = settings.DEFAULT_RESOLUTION_M, name: str = "template"
) -> Raster:
    """An empty float32 grid in the working CRS (NaN everywhere), snapped to whole cells.

    Parameters
    ----------
    bounds : sequence of 4 floats, optional
        (left, bottom, right, top) in working-CRS metres; default :func:`programme_bounds`.
    resolution : float, default settings.DEFAULT_RESOLUTION_M
        Cell size in metres.
    name : str
        Label used in error messages.

    Returns
    -------
    Raster

    Raises
    ------
    ConfigError
        If the cell size is not positive, the bounds are not a rectangle, or
        the grid would hold more than :data:`MAX_GRID_CELLS` cells.
    """
    if resolution is None or not resolution > 0:
        raise ConfigError(f"{where(field='resolution')}: the cell size must be a positive number of metres, got {resolution!r}.")
    b = tuple(programme_bounds() if bounds is None else bounds)
    if len(b) != 4 or not (b[2] > b[0] and b[3] > b[1]):
        raise ConfigError(f"{where(field='bounds')}: give (left, bottom, right, top) with right > left and top > bottom, got {b!r}.")
    cells = ((b[2] - b[0]) / resolution) * ((b[3] - b[1]) / resolution)
    if cells > MAX_GRID_CELLS:
        raise ConfigError(
            f"{where(field='resolution')}: {resolution:g} m over these bounds makes {cells:.3g} cells; use a coarser cell size or smaller bounds."
        )
    return Raster.from_bounds(b, resolution, settings.WORKING_CRS, fill=np.nan, dtype="float32", name=name)


# ----------------------------------------------------------------------------- windows
def bounds_window(grid: Raster, bounds: Sequence[float]) -> tuple[slice, slice] | None:
    """The rows and columns of the whole cells that hold ``bounds``, clipped to the grid.

    Parameters
    ----------
    grid : Raster
    bounds : (left, bottom, right, top)
        In the grid's CRS.

    Returns
    -------
    (slice, slice) or None
        ``(rows, cols)`` to index the grid's array; None when the bounds lie outside the grid.
    """
    r0, c0 = grid.rowcol(bounds[0], bounds[3])
    r1, c1 = grid.rowcol(bounds[2], bounds[1])
    r0, c0 = max(int(r0), 0), max(int(c0), 0)
    r1, c1 = min(int(r1) + 1, grid.shape[0]), min(int(c1) + 1, grid.shape[1])
    if r0 >= r1 or c0 >= c1:
        return None
    return (slice(r0, r1), slice(c0, c1))


def _fmt_bounds(bounds: Sequence[float]) -> str:
    """'(left, bottom, right, top)' rounded to whole units, without numpy reprs, for messages."""
    return "(" + ", ".join(f"{float(b):.0f}" for b in bounds) + ")"


def crop(raster: Raster, bounds: Sequence[float]) -> tuple[Raster, tuple[int, int]]:
    """The part of a raster inside ``bounds`` (whole cells), and its (row, col) offset in the parent.

    Parameters
    ----------
    raster : Raster
    bounds : (left, bottom, right, top)
        In the raster's CRS; clipped to the raster.

    Returns
    -------
    (Raster, (int, int))
        The window shares the parent's array (a view, not a copy).

    Raises
    ------
    DataError
        If the bounds lie outside the raster.
    """
    win = bounds_window(raster, bounds)
    if win is None:
        raise DataError(f"{raster.label}: the area {_fmt_bounds(bounds)} lies outside the raster {_fmt_bounds(raster.bounds)}; "
                        "give places inside it or a raster that covers them.")
    r0, c0 = win[0].start, win[1].start
    t = raster.transform @ Affine.translation(c0, r0)
    return Raster(raster.array[win], t, raster.crs, raster.nodata, raster.label), (r0, c0)


# ----------------------------------------------------------------------------- geometry to cells
def rasterize(geoms: Sequence[Any], values: Sequence[Any] | Any, grid: Raster, all_touched: bool = False,
              dtype: str = "uint8") -> np.ndarray:
    """Burn geometries into a new array on the grid (GDAL's rasterization, a later geometry overwrites an earlier one).

    Parameters
    ----------
    geoms : sequence of shapely geometries
        In the grid's CRS; None and empty geometries are skipped.
    values : scalar or sequence
        The value burnt for every geometry, or one value per geometry.
    grid : Raster
        Supplies the shape and transform.
    all_touched : bool, default False
        False: GDAL's rule (a polygon takes the cells whose centre it covers,
        a line the cells of its rasterized path). True: every cell a geometry touches.
    dtype : str, default 'uint8'

    Returns
    -------
    numpy.ndarray
        Of the grid's shape, 0 where no geometry is burnt.
    """
    if not isinstance(values, (list, tuple, np.ndarray)):
        values = [values] * len(geoms)
    pairs = [(g, v) for g, v in zip(geoms, values) if g is not None and not g.is_empty]
    out = np.zeros(grid.shape, dtype=dtype)
    if not pairs:
        return out
    rasterio.features.rasterize(pairs, out=out, transform=grid.transform, all_touched=all_touched, dtype=dtype)
    return out


def geometry_cells(grid: Raster, geom: Any, *, all_touched: bool | None = None) -> np.ndarray:
    """Flat indices (row-major, ascending) of the cells one geometry occupies.

    Only the geometry's window of the grid is rasterized, so this stays cheap
    for a small geometry on a large grid.

    Parameters
    ----------
    grid : Raster
    geom : shapely.Geometry or None
        In the grid's CRS.
    all_touched : bool or None, default None
        The rule.

        - None (sources and cores of the engines): points take the cell they
          fall in; polygons the cells whose centre they cover; lines every cell
          they touch.
        - False (areas of scenario interventions): GDAL's rule for every
          geometry (see :func:`rasterize`).
        - True: every cell the geometry touches.

        With None or False, a geometry that takes no cell this way (an area
        thinner than a cell) takes every cell it touches instead, so it is
        never silently lost.

    Returns
    -------
    numpy.ndarray of int64
        Empty when the geometry is missing, empty or off the grid.
    """
    if geom is None or geom.is_empty:
        return np.empty(0, dtype=np.int64)
    ncols = grid.shape[1]
    if all_touched is None and geom.geom_type in ("Point", "MultiPoint"):
        pts = shapely.get_coordinates(geom)
        r, c = grid.rowcol(pts[:, 0], pts[:, 1])
        inside = grid.contains(r, c)
        return np.unique(r[inside] * ncols + c[inside])
    x0, y0, x1, y1 = geom.bounds
    left, bottom, right, top = grid.bounds
    if x1 < left or x0 > right or y1 < bottom or y0 > top:
        return np.empty(0, dtype=np.int64)
    win = bounds_window(grid, (x0, y0, x1, y1))
    if win is None:
        return np.empty(0, dtype=np.int64)
    r0, c0 = win[0].start, win[1].start
    shape = (win[0].stop - r0, win[1].stop - c0)
    t = grid.transform @ Affine.translation(c0, r0)
    touched = geom.geom_type not in ("Polygon", "MultiPolygon") if all_touched is None else all_touched
    m = rasterio.features.rasterize([(geom, 1)], out_shape=shape, transform=t, all_touched=touched, dtype="uint8")
    if not touched and not m.any():
        m = rasterio.features.rasterize([(geom, 1)], out_shape=shape, transform=t, all_touched=True, dtype="uint8")
    rr, cc = np.nonzero(m)
    return ((rr + r0) * ncols + (cc + c0)).astype(np.int64)


def geometry_mask(grid: Raster, geom: Any, *, all_touched: bool | None = None) -> np.ndarray:
    """Boolean mask of the grid's shape: the cells one geometry occupies (:func:`geometry_cells`, same rules).

    Parameters
    ----------
    grid : Raster
    geom : shapely.Geometry or None
        In the grid's CRS.
    all_touched : bool or None, default None
        As for :func:`geometry_cells`.

    Returns
    -------
    numpy.ndarray of bool
    """
    mask = np.zeros(grid.shape, dtype=bool)
    mask.ravel()[geometry_cells(grid, geom, all_touched=all_touched)] = True
    return mask


# ----------------------------------------------------------------------------- warping
def _rio_crs(crs: CRS | None) -> RioCRS | None:
    return None if crs is None else RioCRS.from_wkt(crs.to_wkt())


def warp_to(raster: Raster, template: Raster, resampling: str = "nearest") -> Raster:
    """Reproject and resample a raster onto the grid of ``template`` (rasterio.warp).

    Parameters
    ----------
    raster : Raster
        The input; must carry a CRS.
    template : Raster
        The target grid.
    resampling : str, default 'nearest'
        A rasterio resampling name: 'nearest' for classes, 'bilinear' or
        'average' for continuous values.

    Returns
    -------
    Raster
        float32 on the template grid; cells without data are NaN.

    Raises
    ------
    DataError
        If the raster has no CRS (and is not already on the template grid) or
        does not overlap the template.
    """
    if raster.crs is None:
        if raster.is_aligned(template):
            return template.replace(raster.masked().astype("float32"), nodata=None, name=raster.label)
        raise DataError(f"{raster.label}: the raster has no CRS; assign one (e.g. gdal_edit.py -a_srs) so it can be reprojected.")
    try:
        method = Resampling[resampling]
    except KeyError:
        raise ConfigError(f"{where(field='resampling')}: unknown method {resampling!r}; use nearest, bilinear, average or mode.") from None
    src = raster.masked().astype("float32")
    dst = np.full(template.shape, np.nan, dtype="float32")
    rasterio.warp.reproject(
        src,
        dst,
        src_transform=raster.transform,
        src_crs=_rio_crs(raster.crs),
        src_nodata=np.nan,
        dst_transform=template.transform,
        dst_crs=_rio_crs(template.crs),
        dst_nodata=np.nan,
        resampling=method,
    )
    if np.isnan(dst).all():
        raise DataError(f"{raster.label}: does not overlap the analysis grid {template.bounds}; give a raster covering the study area.")
    return Raster(dst, template.transform, template.crs, None, raster.label)
