"""The Raster every engine shares: a 2-D array with its affine transform, CRS and nodata, read and written with rasterio."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import rasterio.warp
from affine import Affine
from pyproj import CRS
from rasterio.crs import CRS as RioCRS

from corridors._errors import DataError
from corridors.io import atomic_path

#: Suffixes written as ESRI ASCII grids; everything else is written as GeoTIFF.
ASCII_SUFFIXES = (".asc",)

#: The no-data value of every float GeoTIFF and ASCII grid :meth:`Raster.write` writes (Circuitscape's).
WRITE_NODATA = -9999.0


def _to_pyproj(crs: object) -> CRS | None:
    if crs is None:
        return None
    if isinstance(crs, CRS):
        return crs
    if isinstance(crs, RioCRS):
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)


def no_crs_message(label: str, consequence: str, epsg: int | str | None = None) -> str:
    """The one message about a raster without a CRS: what follows from it, and the command that sets one.

    Parameters
    ----------
    label : str
        The raster's file name.
    consequence : str
        What happens or cannot happen, e.g. ``"it cannot be placed on the working grid"``.
    epsg : int or str, optional
        The CRS to suggest (e.g. the cores'); default ``<code>``.

    Returns
    -------
    str
        ``"<label>: the raster has no CRS, so <consequence>; set it with `gdal_edit.py -a_srs EPSG:<code> <label>`."``
    """
    return f"{label}: the raster has no CRS, so {consequence}; set it with `gdal_edit.py -a_srs EPSG:{epsg or '<code>'} {label}`."


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
            Output data type (default: the array's, float64 for ASCII). Float
            grids hold their no-data cells (NaN or ``nodata``) as
            :data:`WRITE_NODATA` (-9999) and declare it; integer grids keep ``nodata``.
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
        if np.issubdtype(arr.dtype, np.floating):
            # One convention for every float grid corridors writes: no data (NaN, or the raster's own nodata value,
            # e.g. ArcGIS's -3.4e38) is written as WRITE_NODATA and declared so; GIS and Circuitscape read it back.
            nodata = WRITE_NODATA
            arr = np.where(self.valid, arr, arr.dtype.type(WRITE_NODATA))
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
