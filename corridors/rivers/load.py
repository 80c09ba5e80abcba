"""Loading river centrelines: the one reader of river lines (the bundled rivers, a user's file or a folder of files)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from corridors import settings
from corridors._errors import DataError, where
from corridors.io import VECTOR_SUFFIXES, check_reprojected, read_vector


#: The project's river layer (built by ``scripts/build_rivers.py``).
RIVERS_PATH: Path = settings.RIVERS_DIR / "rivers.geojson"

#: Fields every river layer must have.
RIVER_FIELDS: tuple[str, ...] = ("river", "river_system")


def load_rivers(
    path: str | os.PathLike | None = None, to_crs: CRS | str | None = settings.WORKING_CRS, *, check: bool = True
) -> gpd.GeoDataFrame:
    """Load river centrelines, checked, in the working CRS: the one reader of river lines.

    Parameters
    ----------
    path : path-like, optional
        A GeoJSON, GeoPackage or Shapefile of (Multi)LineStrings with the
        fields ``river`` (slug, e.g. ``'amu_darya'``) and ``river_system``
        (the system the river drains to, e.g. ``'amu_darya'`` for the Panj),
        or a folder: every vector file in it (``corridors.io.VECTOR_SUFFIXES``,
        in name order) is read and the lines are concatenated.
        Default: the bundled ``data/rivers/rivers.geojson``.
    to_crs : pyproj.CRS or str or None, default the working CRS
        Reproject to this CRS; ``None`` keeps the file's CRS (the first
        file's, for a folder).
    check : bool, default True
        Check the river schema and fill its optional fields (see Returns).
        False: the lines as read, with all their fields (for a layer used only
        for its geometry and names, e.g. the river targets of a scenario).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature with ``name``, ``river``, ``river_system``,
        ``source``, ``approximate``, ``precision_km`` (filled with ``name`` =
        ``river``, ``approximate`` = False and ``precision_km`` = NaN where the
        file lacks them) and the geometry. A file is read once per process
        (every call gets its own copy; a changed file is read again).

    Raises
    ------
    DataError
        If the file is missing or unreadable, a folder holds no vector file,
        or (with ``check``) the layer lacks a field or holds a feature whose
        geometry is not a non-empty line.
    """
    p = Path(path) if path is not None else RIVERS_PATH
    parts: list[gpd.GeoDataFrame] = []
    for f in _vector_files(p):
        gdf = _read(f)
        target = to_crs if to_crs is not None else (parts[0].crs if parts else None)
        if target is not None:
            gdf = gdf.to_crs(target)
            check_reprojected(gdf, f)
        parts.append(gdf)
    gdf = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return _check_rivers(gdf, p) if check else gdf


def _vector_files(path: Path) -> list[Path]:
    """The file itself, or the vector files of a folder in name order."""
    if not path.is_dir():
        return [path]
    files = sorted(q for q in path.iterdir() if q.suffix.lower() in VECTOR_SUFFIXES)
    if not files:
        raise DataError(
            f"{path}: the folder holds no vector file; give a GeoJSON, GeoPackage or Shapefile of river lines, "
            "or a folder of them."
        )
    return files


def _read(path: Path) -> gpd.GeoDataFrame:
    """The features of one file in its own CRS: read once per process, a copy per call."""
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (-1, -1)  # read_vector names the missing file
    return _read_once(str(path), stamp).copy()


@functools.lru_cache(maxsize=8)
def _read_once(path: str, stamp: tuple[int, int]) -> gpd.GeoDataFrame:
    """The features of ``path`` (``stamp``, its modification time and size, keys the cache)."""
    return read_vector(path, to_crs=None)


def _check_rivers(gdf: gpd.GeoDataFrame, path: object = None) -> gpd.GeoDataFrame:
    """Validate a river layer and fill the optional fields (see :func:`load_rivers`)."""
    for field in RIVER_FIELDS:
        if field not in gdf.columns:
            raise DataError(
                f"{where(path, field=field)}: the river layer has no {field!r} field; add it "
                "(a slug such as 'amu_darya') to every line."
            )
    gdf = gdf.reset_index(drop=True)

    def label(i: int) -> str:
        river = gdf.at[i, "river"]
        return river if isinstance(river, str) and river else f"row {i}"

    for field in RIVER_FIELDS:
        bad = np.flatnonzero(~gdf[field].map(lambda v: isinstance(v, str) and bool(v.strip())).to_numpy())
        if bad.size:
            raise DataError(f"{where(path, label(int(bad[0])), field)}: empty value; give every line a {field} slug.")
    geom = gdf.geometry
    empty = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if empty.size:
        raise DataError(
            f"{where(path, label(int(empty[0])), 'geometry')}: empty geometry; remove the feature or draw its line."
        )
    not_line = np.flatnonzero(~geom.geom_type.isin(["LineString", "MultiLineString"]).to_numpy())
    if not_line.size:
        i = int(not_line[0])
        raise DataError(
            f"{where(path, label(i), 'geometry')}: a {geom.iloc[i].geom_type}, not a line; river centrelines "
            "must be LineStrings or MultiLineStrings."
        )
    if "name" not in gdf.columns:
        gdf["name"] = gdf["river"]
    gdf["name"] = gdf["name"].fillna(gdf["river"])
    if "source" not in gdf.columns:
        gdf["source"] = None
    if "approximate" not in gdf.columns:
        gdf["approximate"] = False
    gdf["approximate"] = gdf["approximate"].fillna(False).astype(bool)
    if "precision_km" not in gdf.columns:
        gdf["precision_km"] = np.nan
    gdf["precision_km"] = pd.to_numeric(gdf["precision_km"], errors="coerce")
    cols = ["name", "river", "river_system", "source", "approximate", "precision_km"]
    return gdf[cols + [gdf.geometry.name]].reset_index(drop=True)
