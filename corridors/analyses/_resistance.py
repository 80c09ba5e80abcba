"""The resistance surface of a main-job step: the user's raster as is, or the bundled one built around the step's features.

One place for the decisions the ``pinch`` and ``centrality`` commands used to
make inline: the margin round the features, the default cell size
(:data:`corridors.settings.DEFAULT_RESOLUTION_M`), and which input files a
step's ``provenance.json`` lists for the surface.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from corridors import landscape, settings
from corridors._errors import ConfigError
from corridors.raster import Raster

#: Margin of the bundled resistance surface round the features a step joins (corridor ends, cores), metres.
RESISTANCE_MARGIN_M: float = 150_000.0


def bundled_surface_inputs() -> dict[str, Path]:
    """The bundled files :func:`corridors.landscape.build_resistance` reads, named for a provenance record.

    Returns
    -------
    dict of str to pathlib.Path
        The expert table, the base layers and the river layers.
    """
    return {"resistance_table": settings.RESISTANCE_TABLE_PATH, "base": settings.BASE_DIR, "rivers": settings.RIVERS_DIR}


def step_resistance(
    around: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike | None = None,
    resolution_m: float | None = None,
) -> tuple[Raster, dict[str, Path]]:
    """The resistance surface of a step, and the input files it came from.

    Parameters
    ----------
    around : GeoDataFrame
        The features the step joins (working CRS); the bundled surface covers
        their extent plus :data:`RESISTANCE_MARGIN_M`.
    resistance : Raster or path-like, optional
        The user's surface (a Raster, or a GeoTIFF/ASCII grid to read), used as is.
    resolution_m : float, optional
        Cell size of the bundled surface; default :data:`corridors.settings.DEFAULT_RESOLUTION_M`.

    Returns
    -------
    (Raster, dict of str to pathlib.Path)
        The surface, and its input files for :func:`corridors.io.provenance.record`
        (empty for a Raster given in memory).

    Raises
    ------
    ConfigError
        If both a surface and a resolution are given (the surface is used as is).
    """
    if resistance is None:
        res = resolution_m if resolution_m is not None else settings.DEFAULT_RESOLUTION_M
        bounds = landscape.bounds_around(around, RESISTANCE_MARGIN_M)
        return landscape.build_resistance(bounds, res), bundled_surface_inputs()
    if resolution_m is not None:
        raise ConfigError("resolution_m applies to the bundled resistance surface; a given surface is used as is.")
    if isinstance(resistance, Raster):
        return resistance, {}
    path = Path(resistance)
    return Raster.read(path), {"resistance": path}
