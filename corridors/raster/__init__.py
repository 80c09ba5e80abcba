"""Grid values: the Raster every engine shares (:mod:`corridors.raster.core`) and the grid helpers around it (:mod:`corridors.raster.grid`)."""

from corridors.raster.core import ASCII_SUFFIXES, Raster, no_crs_message
from corridors.raster.grid import (
    bounds_around,
    bounds_window,
    crop,
    degree_bounds,
    format_bounds,
    geometry_cells,
    geometry_mask,
    make_grid,
    programme_bounds,
    rasterize,
    warp_to,
)

__all__ = [
    "ASCII_SUFFIXES",
    "Raster",
    "bounds_around",
    "bounds_window",
    "crop",
    "degree_bounds",
    "format_bounds",
    "geometry_cells",
    "geometry_mask",
    "make_grid",
    "no_crs_message",
    "programme_bounds",
    "rasterize",
    "warp_to",
]
