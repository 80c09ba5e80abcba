"""Grid values around the Raster: extents, windows, geometry to cells, warping.

- Extents: :func:`degree_bounds`, :func:`programme_bounds`, :func:`bounds_around`,
  :func:`make_grid` (an empty grid of the working CRS, snapped to whole cells).
- Windows: :func:`bounds_window`, :func:`crop`.
- Geometry to cells: :func:`geometry_cells` / :func:`geometry_mask` (the
  cells one geometry occupies), :func:`rasterize` (burn values of many geometries).
- :func:`warp_to`: reproject and resample onto another grid.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from corridors._errors import ConfigError, DataError, renamed, where

from corridors.raster.core import Raster, no_crs_message


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


def _resolution_m(resolution_m: float | None, resolution: float | None) -> float:
    """The cell size in metres of a call that may still say ``resolution=`` (the name before ``resolution_m``).

    The old keyword works for one release with a DeprecationWarning; neither
    given means :data:`corridors.settings.DEFAULT_RESOLUTION_M`.
    """
    value = renamed("resolution_m", resolution_m, "resolution", resolution, unit="metres", stacklevel=3)
    return settings.DEFAULT_RESOLUTION_M if value is None else value


#: Largest grid :func:`make_grid` builds (cells); beyond it a run would not fit in memory anyway.
MAX_GRID_CELLS: float = 2.5e8


def make_grid(
    bounds: Sequence[float] | None = None, resolution_m: float | None = None, name: str = "template", *,
    resolution: float | None = None, crs: object = None,
) -> Raster:
    """An empty float32 grid in the working CRS (or ``crs``; NaN everywhere), snapped to whole cells.

    Parameters
    ----------
    bounds : sequence of 4 floats, optional
        (left, bottom, right, top) in working-CRS metres (or in ``crs``); default :func:`programme_bounds`.
    resolution_m : float, default settings.DEFAULT_RESOLUTION_M
        Cell size in metres.
    name : str
        Label used in error messages.
    crs : CRS-like, optional
        A projected CRS of the user's data, kept instead of the working CRS.

    Returns
    -------
    Raster

    Raises
    ------
    ConfigError
        If the cell size is not positive, the bounds are not a rectangle, or
        the grid would hold more than :data:`MAX_GRID_CELLS` cells.
    """
    resolution_m = _resolution_m(resolution_m, resolution)
    if resolution_m is None or not resolution_m > 0:
        raise ConfigError(f"{where(field='resolution_m')}: the cell size must be a positive number of metres, got {resolution_m!r}.")
    b = tuple(programme_bounds() if bounds is None else bounds)
    if len(b) != 4 or not (b[2] > b[0] and b[3] > b[1]):
        raise ConfigError(f"{where(field='bounds')}: give (left, bottom, right, top) with right > left and top > bottom, got {b!r}.")
    cells = ((b[2] - b[0]) / resolution_m) * ((b[3] - b[1]) / resolution_m)
    if cells > MAX_GRID_CELLS:
        raise ConfigError(
            f"{where(field='resolution_m')}: {resolution_m:g} m over these bounds makes {cells:.3g} cells; use a coarser cell size or smaller bounds."
        )
    return Raster.from_bounds(b, resolution_m, settings.WORKING_CRS if crs is None else crs, fill=np.nan, dtype="float32", name=name)


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


def format_bounds(bounds: Sequence[float]) -> str:
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
        raise DataError(f"{raster.label}: the area {format_bounds(bounds)} lies outside the raster {format_bounds(raster.bounds)}; "
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
        raise DataError(no_crs_message(raster.label, "it cannot be reprojected"))
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
