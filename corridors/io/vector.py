"""Vector files: reading with CRS checks, the bundled base layers, and GeoPackage output."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from pyproj import CRS

from corridors import settings
from corridors._errors import DataError, where
from corridors.io.files import atomic_path
from corridors.io.lists import encode_list_columns
from corridors.io.text import read_text

#: Vector formats corridors reads; anything pyogrio/GDAL opens works, these are tested.
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")

#: Names of the bundled base layers in ``data/base`` (see data/README.md).
BASE_LAYERS = ("countries", "borders", "lakes", "regions", "towns")


def read_vector(
    path: str | os.PathLike,
    layer: str | None = None,
    to_crs: CRS | str | None = settings.WORKING_CRS,
) -> gpd.GeoDataFrame:
    """Read a vector file as a GeoDataFrame, checked and reprojected.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile, or any format GDAL reads. GeoJSON
        may be UTF-8 or UTF-16 with a byte-order mark
        (:func:`corridors.io.read_text`).
    layer : str, optional
        Layer name for multi-layer files (GeoPackage).
    to_crs : pyproj.CRS or str or None, default the working CRS
        Reproject to this CRS; ``None`` keeps the file's CRS.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    DataError
        If the path does not exist, cannot be read or decoded, holds no feature, or has
        no CRS (GeoJSON is WGS84 by definition and always has one).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found; check the path (relative paths start from the current directory).")
    source: object = p
    if p.suffix.lower() in (".geojson", ".json"):
        # GeoJSON is UTF-8 (RFC 7946); GDAL fails on the UTF-16 of Windows Notepad and on Latin-1 with a bare
        # UnicodeDecodeError, so the text goes through the house decoder and GDAL gets UTF-8.
        source = io.BytesIO(read_text(p).encode("utf-8"))
    try:
        gdf = gpd.read_file(source, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several GDAL-derived types
        raise DataError(f"{p}: cannot be read as a vector file ({exc}); give a GeoJSON, GeoPackage or Shapefile.") from exc
    if len(gdf) == 0:
        raise DataError(f"{p}: the file holds no feature; give a file with at least one feature.")
    if gdf.crs is None:
        raise DataError(
            f"{p}: the file has no CRS; set one (for a Shapefile add the .prj file, e.g. with "
            "`ogr2ogr -a_srs EPSG:4326`) so corridors can reproject it."
        )
    if to_crs is not None:
        gdf = gdf.to_crs(to_crs)
        check_reprojected(gdf, p)
    return gdf


def geometry_problem(geom: object) -> str | None:
    """What makes a geometry unusable as a place or an area, or None: the one validity check of corridors.

    Used for the features of a sites file and for the areas of scenario
    interventions (``geometry:`` and ``file:``), so both accept and refuse
    the same shapes.

    Parameters
    ----------
    geom : shapely.Geometry or None

    Returns
    -------
    str or None
        The end of an error message (what is wrong and how to fix it), e.g.
        ``"invalid geometry (Self-intersection[65.25 40.25]); repair it ..."``.
    """
    if geom is None or shapely.is_empty(geom):
        return "empty geometry; give a point, line or polygon"
    if not shapely.is_valid(geom):
        return (f"invalid geometry ({shapely.is_valid_reason(geom)}); repair it (e.g. shapely.make_valid or "
                "QGIS 'Fix geometries')")
    return None


def geometry_from_geojson(obj: Mapping) -> object:
    """A shapely geometry from a GeoJSON geometry mapping, refused in words when it cannot be built or is invalid.

    Parameters
    ----------
    obj : mapping
        ``{"type": "Polygon", "coordinates": [...]}``.

    Returns
    -------
    shapely.Geometry

    Raises
    ------
    ValueError
        One phrase: a ring with fewer than 4 positions, a position that is
        not two numbers, or :func:`geometry_problem`.
    """
    try:
        geom = shapely.geometry.shape(obj)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise ValueError(
            f"geometry cannot be built ({exc}); positions are [longitude, latitude] and a polygon ring has at least "
            "4 of them, the last equal to the first"
        ) from None
    problem = geometry_problem(geom)
    if problem:
        raise ValueError(problem)
    return geom


def check_reprojected(gdf: gpd.GeoDataFrame, path: object, id_field: str = "id") -> None:
    """Refuse features whose coordinates did not survive reprojection.

    Coordinates outside the valid range of the file's CRS (longitude and
    latitude swapped beyond +-90, or metres in a file declared WGS84)
    reproject to infinity without an error from PROJ; every distance and
    map built on them would be meaningless.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The reprojected features; missing and empty geometries are skipped.
    path : object
        The source file, named in the error.
    id_field : str, default 'id'
        Column naming the feature in the error (the row number if absent).

    Raises
    ------
    DataError
        Naming the file and the first feature with non-finite coordinates.
    """
    geoms = gdf.geometry
    present = (~geoms.isna() & ~geoms.is_empty).to_numpy()
    finite = np.isfinite(geoms.bounds.to_numpy()).all(axis=1)
    bad = np.flatnonzero(present & ~finite)
    if len(bad):
        i = int(bad[0])
        feature = gdf[id_field].iloc[i] if id_field in gdf.columns else f"row {i}"
        raise DataError(
            f"{where(path, feature, 'geometry')}: coordinates outside the valid range of the file's CRS, so they cannot be "
            "reprojected; check for swapped longitude/latitude or projected coordinates in a file declared WGS84."
        )


def load_base(name: str, to_crs: CRS | str | None = settings.WORKING_CRS) -> gpd.GeoDataFrame:
    """Load one bundled base layer (Natural Earth, clipped to Central Asia).

    Parameters
    ----------
    name : {'countries', 'borders', 'lakes', 'regions', 'towns'}
        The layer; ``data/README.md`` says where each comes from.
    to_crs : pyproj.CRS or str or None, default the working CRS
        Reproject to this CRS; ``None`` keeps WGS84.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    if name not in BASE_LAYERS:
        raise DataError(f"unknown base layer {name!r}; choose one of {', '.join(BASE_LAYERS)}.")
    return read_vector(settings.BASE_DIR / f"{name}.geojson", to_crs=to_crs)


def write_geopackage(layers: Mapping[str, gpd.GeoDataFrame], path: str | os.PathLike) -> Path:
    """Write several layers into one GeoPackage atomically.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name to data. List-valued columns are written as
        ``;``-separated text (:func:`corridors.io.encode_list`), the form QGIS
        shows and corridors reads back.
    path : path-like
        The ``.gpkg`` file; replaced as a whole.

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    Data come before the path, as in every writer of corridors; the older
    order ``write_geopackage(path, layers)`` is still accepted.
    """
    if isinstance(path, Mapping) and not isinstance(layers, Mapping):
        layers, path = path, layers
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            encode_list_columns(gdf).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)
