"""Data for a web map: vector layers as GeoJSON in longitude/latitude, rasters as PNG image overlays in Web Mercator.

Leaflet draws in Web Mercator (EPSG:3857) and takes coordinates in degrees
(EPSG:4326). Vectors are reprojected and rounded; a raster is warped to
EPSG:3857 (an image overlay is stretched linearly between its corners in the
map's projection, so only a raster in that projection lands where it
belongs), coloured with a matplotlib colormap and given as a PNG data URI
with its bounds in degrees.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import matplotlib.colors as mcolors
import matplotlib.image
import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.warp import Resampling, reproject, transform_bounds

from corridors._errors import DataError

#: Coordinates are rounded to 4 decimals of a degree (about 11 m), finer than any bundled layer holds
#: (Natural Earth 1:10m and the hand-traced rivers are good to a few hundred metres to 15 km).
DIGITS = 4
#: The longest side of a raster overlay in pixels: a 1 km grid of the programme (1,764 columns) is
#: resampled to this, which keeps each overlay near 100-300 KB while a cell stays visible at zoom 7.
MAX_OVERLAY_PX = 1200
WEB_CRS = "EPSG:3857"
LONLAT = "EPSG:4326"


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: numpy scalars as Python, NaN and infinities as None or text, lists kept."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, np.ndarray)):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float(f"{value:.6g}")  # six significant figures: what the CSVs of corridors carry
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    try:
        if value != value:  # pandas NA / NaT
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def to_geojson(gdf: gpd.GeoDataFrame, simplify_m: float = 0.0, columns: list[str] | None = None) -> dict[str, Any]:
    """A GeoDataFrame as a GeoJSON FeatureCollection in longitude/latitude, rounded to :data:`DIGITS` decimals.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any CRS; rows without a geometry are left out (list them separately).
    simplify_m : float, default 0
        Douglas-Peucker tolerance in metres, applied in the layer's own
        (projected) CRS before reprojecting, topology preserved; 0 keeps every vertex.
    columns : list of str, optional
        The properties to keep (default all but the geometry), in this order.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``; properties are
        JSON values (NaN as null, infinity as ``"inf"``).

    Raises
    ------
    DataError
        If ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        raise DataError("a layer of the web map has no CRS; write it with one (corridors outputs always carry it).")
    keep = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    geoms = keep.geometry
    if simplify_m > 0 and keep.crs.is_projected:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = gpd.GeoSeries(geoms, crs=keep.crs).to_crs(LONLAT)
    geoms = shapely.set_precision(geoms.values, 10.0 ** -DIGITS)  # rounds and drops vertices that fall together
    cols = [c for c in (columns if columns is not None else keep.columns) if c in keep.columns and c != keep.geometry.name]
    features = []
    for geom, (_, row) in zip(geoms, keep[cols].iterrows()):
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                         "properties": {c: _plain(row[c]) for c in cols}})
    return json.loads(json.dumps({"type": "FeatureCollection", "features": features}))  # tuples -> lists


@dataclass
class Overlay:
    """A raster as an image overlay of a web map.

    Attributes
    ----------
    png : bytes
        The coloured raster in Web Mercator, transparent where it has no data.
    bounds : tuple of float
        ``(south, west, north, east)`` in degrees: the corners Leaflet stretches the image between.
    vmin, vmax : float
        The values at the two ends of the colour scale.
    cmap : str
        The matplotlib colormap.
    log : bool
        Whether the scale is logarithmic.
    """

    png: bytes
    bounds: tuple[float, float, float, float]
    vmin: float
    vmax: float
    cmap: str
    log: bool = False

    def data_uri(self) -> str:
        """The PNG as a ``data:image/png;base64,...`` URI (the page needs no file beside it)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def ramp(self, n: int = 6) -> list[str]:
        """``n`` colours of the scale from ``vmin`` to ``vmax``, as ``#rrggbb`` for the legend."""
        cmap = matplotlib.colormaps[self.cmap]
        return [mcolors.to_hex(cmap(t)) for t in np.linspace(0, 1, n)]


def _read_band(source: Any) -> tuple[np.ndarray, Any, Any, tuple[float, float, float, float], str]:
    """(values with NaN for no data, transform, CRS, bounds, label) of a GeoTIFF path or an in-memory raster."""
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        try:
            src = rasterio.open(p)
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(f"{p}: cannot read this raster ({exc}); rerun the step that writes it.") from None
        with src:
            data = src.read(1, masked=True).astype("float64").filled(np.nan)
            return data, src.transform, src.crs, tuple(src.bounds), str(p)
    # a corridors.raster.Raster (array, transform, crs, nodata), e.g. a scenario's baseline resistance
    data = np.asarray(source.array, dtype="float64").copy()
    if source.nodata is not None:
        data[data == source.nodata] = np.nan
    return data, source.transform, source.crs, tuple(source.bounds), getattr(source, "label", "raster")


def warp_to_web(source: Any, max_px: int = MAX_OVERLAY_PX) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Read band 1 of a GeoTIFF (or take an in-memory raster) and warp it to Web Mercator; NaN where it has no data.

    Parameters
    ----------
    source : path-like or corridors.raster.Raster
        A raster with a CRS.
    max_px : int
        The longest side of the result in pixels (coarser than the source
        only when the source is larger).

    Returns
    -------
    (numpy.ndarray, (south, west, north, east))
        The warped values (float64, NaN for no data) and their bounds in degrees.

    Raises
    ------
    DataError
        If the file cannot be read or the raster has no CRS.
    """
    data, src_transform, src_crs, src_bounds, label = _read_band(source)
    if src_crs is None:
        raise DataError(f"{label}: the raster has no CRS, so it cannot be placed on the web map; write it with one.")
    height0, width0 = data.shape
    # The Mercator grid is laid out here rather than by rasterio's calculate_default_transform, whose affine
    # products raise a PendingDeprecationWarning with affine 2.4+ (printed by every command as a warning line).
    left, bottom, right, top = transform_bounds(src_crs, WEB_CRS, *src_bounds, densify_pts=21)
    res = max((right - left) / width0, (top - bottom) / height0)  # about the source's cells, never finer
    res = max(res, max(right - left, top - bottom) / max_px)
    width, height = max(1, math.ceil((right - left) / res)), max(1, math.ceil((top - bottom) / res))
    transform = Affine(res, 0.0, left, 0.0, -res, top)
    out = np.full((height, width), np.nan)
    # nearest: a cell keeps its value (a pinch point or a class is not blurred into its neighbours)
    reproject(data, out, src_transform=src_transform, src_crs=src_crs, src_nodata=np.nan,
              dst_transform=transform, dst_crs=WEB_CRS, dst_nodata=np.nan, resampling=Resampling.nearest)
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * width, top + transform.e * height
    west, south, east, north = transform_bounds(WEB_CRS, LONLAT, left, bottom, right, top)
    return out, (south, west, north, east)


def raster_overlay(source: Any, cmap: str = "viridis", *, log: bool = False, top_percentile: float = 100.0,
                   floor: float | None = None, max_px: int = MAX_OVERLAY_PX, alpha: float = 0.85,
                   limits: tuple[float, float] | None = None) -> Overlay:
    """A GeoTIFF as a coloured PNG overlay in Web Mercator with its bounds in degrees.

    Parameters
    ----------
    source : path-like or corridors.raster.Raster
        The raster (band 1 of a GeoTIFF).
    cmap : str, default 'viridis'
        A matplotlib colormap.
    log : bool, default False
        Logarithmic scale (currents span orders of magnitude).
    top_percentile : float, default 100
        The scale tops out at this percentile of the shown values, so one
        extreme cell does not wash out the rest (values above take the top colour).
    floor : float, optional
        Values at or below this are transparent (e.g. 0 current); default
        only no-data cells are; with ``log`` it is also the scale's bottom.
    max_px : int
        Longest side of the image in pixels.
    alpha : float, default 0.85
        Opacity of the shown cells.
    limits : (float, float), optional
        The two ends of the scale, given (two maps compared side by side share one scale).

    Returns
    -------
    Overlay
    """
    values, bounds = warp_to_web(source, max_px)
    shown = np.isfinite(values) & ((values > floor) if floor is not None else True)
    if log:
        shown &= values > 0
    vals = values[shown]
    vmax = float(np.percentile(vals, top_percentile)) if vals.size else 1.0
    vmin = float(floor) if floor is not None and (floor > 0 or not log) else (float(vals.min()) if vals.size else 0.0)
    if limits is not None:
        vmin, vmax = float(limits[0]), float(limits[1])
    if vmax <= vmin:
        vmax = vmin + (abs(vmin) or 1.0)
    norm = mcolors.LogNorm(vmin=vmin, vmax=vmax, clip=True) if log else mcolors.Normalize(vmin=vmin, vmax=vmax, clip=True)
    rgba = matplotlib.colormaps[cmap](norm(np.where(shown, values, vmin if not log else vmax)))
    rgba[..., 3] = np.where(shown, alpha, 0.0)
    buf = io.BytesIO()
    matplotlib.image.imsave(buf, rgba, format="png")
    return Overlay(png=buf.getvalue(), bounds=tuple(round(b, 6) for b in bounds), vmin=vmin, vmax=vmax, cmap=cmap, log=log)
