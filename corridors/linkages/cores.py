"""Core areas for linkages: from sites or the user's features, checked against the resistance grid."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from corridors._errors import ConfigError, DataError, where
from corridors.raster import Raster, no_crs_message


def cores_from_sites(
    sites: gpd.GeoDataFrame,
    id_field: str = "id",
    radius_m: float | str = "precision",
    kinds: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Core areas from sites: polygons as they are, points buffered.

    Parameters
    ----------
    sites : GeoDataFrame
        In the working CRS; e.g. ``corridors.sites.load_sites()``. Rows
        without geometry (unresolved places) are skipped.
    id_field : str, default 'id'
        Column holding the core id.
    radius_m : float or 'precision', default 'precision'
        Buffer of points: ``'precision'`` uses each site's
        ``location_precision_km`` (the area within which the place lies, as
        ``corridors.sites.precision_areas``); a number gives every point a core
        of that radius (a habitat patch of known size around the best guess).
    kinds : sequence of str, optional
        Keep only sites of these ``kind`` values.

    Returns
    -------
    GeoDataFrame
        Columns ``core_id`` and, if present, ``name``, ``kind``, ``measures``,
        ``location_precision_km``; polygon geometry.
    """
    if id_field not in sites.columns:
        raise DataError(f"{where(field=id_field)}: the sites have no such column; name the column holding core ids.")
    s = sites
    if kinds is not None:
        if "kind" not in s.columns:
            raise DataError(f"{where(field='kind')}: the sites have no 'kind' column to select {list(kinds)} by.")
        s = s[s["kind"].isin(list(kinds))]
    s = s[~s.geometry.isna() & ~s.geometry.is_empty]
    if len(s) == 0:
        raise DataError("cores: no site with a geometry is left; check the kinds selected.")
    if radius_m == "precision":
        if "location_precision_km" not in s.columns:
            raise DataError(f"{where(field='location_precision_km')}: missing; give radius_m in metres instead.")
        radius = pd.to_numeric(s["location_precision_km"], errors="coerce").fillna(0).to_numpy() * 1000.0
    elif isinstance(radius_m, (int, float)) and radius_m >= 0:
        radius = np.full(len(s), float(radius_m))
    else:
        raise ConfigError(f"{where(field='radius_m')}: give 'precision' or a radius >= 0 in metres, got {radius_m!r}.")
    geoms = []
    for g, r in zip(s.geometry, radius):
        if g.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString") and r > 0:
            geoms.append(g.buffer(r, quad_segs=16))
        else:
            geoms.append(g)
    out = gpd.GeoDataFrame({"core_id": s[id_field].astype(str).to_numpy()}, geometry=geoms, crs=s.crs)
    for col in ("name", "kind", "measures", "location_precision_km"):
        if col in s.columns:
            out[col] = s[col].to_numpy()
    return out


def place_raster(resistance: Raster, vector_crs: object, what: str = "cores") -> Raster:
    """The resistance raster in a metric CRS the vector layer can be placed on: the one rule of a raster without a CRS.

    Costs are resistance x metres travelled: a grid in degrees would give
    distances near 0 without any error, so it is refused. A raster without a
    CRS (an ASCII grid, a GeoTIFF that lost its .prj) is taken to be in the
    CRS of the layer it is used with, as the cores' files must carry one,
    with a warning that says so and how to set it; both without a CRS share
    the raster's coordinates.

    Parameters
    ----------
    resistance : Raster
    vector_crs : CRS-like or None
        The CRS of the cores (or sites) placed on it.
    what : str, default 'cores'
        What the vector layer is, for the messages.

    Returns
    -------
    Raster
        ``resistance``, or the same grid carrying ``vector_crs``.

    Raises
    ------
    DataError
        If the raster (or, for a raster without one, the layer's CRS) is geographic.
    """
    crs = resistance.crs
    if crs is None and vector_crs is not None:
        vcrs = CRS.from_user_input(vector_crs)
        if vcrs.is_geographic:
            raise DataError(no_crs_message(resistance.label, f"it would take the CRS of the {what} ({vcrs.name}), "
                                           "whose units are degrees, not metres", "<projected code>"))
        epsg = vcrs.to_epsg()
        warnings.warn(no_crs_message(resistance.label, f"it is taken to be in the CRS of the {what} ({vcrs.name})", epsg),
                      stacklevel=2)
        return Raster(resistance.array, resistance.transform, vcrs, resistance.nodata, resistance.name)
    if crs is not None and crs.is_geographic:
        raise DataError(
            f"{resistance.label}: the raster is in a geographic CRS ({crs.name}), so its cells are degrees, not metres; "
            f"resample it onto the working grid first (`corridors resistance --raster {resistance.label}`) or reproject it to a projected CRS."
        )
    return resistance


def _check_cores(cores: gpd.GeoDataFrame, resistance: Raster, id_field: str) -> tuple[gpd.GeoDataFrame, Raster]:
    if not isinstance(cores, gpd.GeoDataFrame):
        raise ConfigError(f"{where(field='cores')}: give a GeoDataFrame of core areas.")
    resistance = place_raster(resistance, cores.crs)
    if id_field not in cores.columns:
        raise DataError(f"{where(field=id_field)}: the cores have no such column; pass id_field= the column holding core ids.")
    if cores.crs is not None and resistance.crs is not None and cores.crs != resistance.crs:
        cores = cores.to_crs(resistance.crs)
    ids = cores[id_field].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(f"{where(feature=dup.iloc[0], field=id_field)}: core id is not unique; give each core its own id.")
    if len(cores) < 2:
        raise DataError("cores: fewer than two cores; linkages need at least two.")
    out = cores.copy()
    out["core_id"] = ids.to_numpy()
    return out.reset_index(drop=True), resistance


__all__ = ["cores_from_sites", "place_raster"]
