"""Reading and writing vector files (with CRS checks) and atomic outputs; loaders of the bundled base layers."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from corridors import settings
from corridors._errors import DataError, where

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
        GeoJSON, GeoPackage, Shapefile, or any format GDAL reads.
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
        If the path does not exist, cannot be read, holds no feature, or has
        no CRS (GeoJSON is WGS84 by definition and always has one).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found; check the path (relative paths start from the current directory).")
    try:
        gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only if the block succeeds.

    Write a file to the yielded path; on success it is moved over ``path``
    in one rename, on any error it is deleted, so a failed run never leaves a
    half-written output behind and an earlier good file is kept.

    Parameters
    ----------
    path : path-like
        The final file (or folder) path. Its parent folder is created.

    Yields
    ------
    pathlib.Path
        A path in the same folder (same file system, so the rename is atomic).
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    tmp = tmpdir / final.name
    try:
        yield tmp
        if tmp.exists():
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_geopackage(path: str | os.PathLike, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write several layers into one GeoPackage atomically.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file; replaced as a whole.
    layers : mapping of str to GeoDataFrame
        Layer name to data. List-valued columns are written as
        ``;``-separated text, the form QGIS shows and corridors reads back.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            flat = gdf.copy()
            for col in flat.columns:
                if col == flat.geometry.name:
                    continue
                if flat[col].map(lambda v: isinstance(v, (list, tuple, set))).any():
                    flat[col] = flat[col].map(
                        lambda v: ";".join(str(x) for x in v) if isinstance(v, (list, tuple, set)) else v
                    )
            flat.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return Path(path)
