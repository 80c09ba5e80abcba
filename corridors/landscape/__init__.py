"""Resistance and habitat-suitability surfaces: from the bundled vector layers by an editable table, or from the user's rasters.

Modules
-------
table
    The resistance table (``data/resistance.yml``): :func:`load_table`,
    :func:`apply_overrides`, :data:`CLASSES`, :data:`CLASS_CODES`.
classes
    The landscape-class raster of the bundled data (:func:`build_classes`)
    and the rasterized national borders (:func:`build_border_ids`).
surfaces
    :func:`build_resistance`, :func:`build_suitability`,
    :func:`check_resistance`, :func:`burn`, :func:`write_surfaces`,
    :func:`write_legend` (``classes.csv``).
user_rasters
    :func:`resistance_from_landcover`, :func:`suitability_from_landcover`,
    :func:`resistance_from_raster`.

The grid helpers (:func:`make_grid`, :func:`programme_bounds`,
:func:`bounds_around`, :func:`warp_to`) live in :mod:`corridors.raster` and
the river lines in :mod:`corridors.rivers`; they are re-exported here under
their former names.
"""

from corridors.landscape.classes import _layers  # noqa: F401 - batch warms this cache before it starts its workers
from corridors.landscape.classes import build_border_ids, build_classes
from corridors.landscape.surfaces import (
    build_resistance,
    build_suitability,
    burn,
    check_resistance,
    write_legend,
    write_surfaces,
)
from corridors.landscape.table import (
    CLASS_CODES,
    CLASSES,
    LandClass,
    ResistanceTable,
    Zones,
    apply_overrides,
    draw_resistances,
    load_table,
)
from corridors.landscape.user_rasters import (
    resistance_from_landcover,
    resistance_from_raster,
    suitability_from_landcover,
)
from corridors.raster import bounds_around, make_grid, programme_bounds, warp_to
from corridors.rivers import load_rivers as load_river_lines

#: Alias of :func:`corridors.raster.make_grid` (the name the other engines know it by).
template = make_grid

__all__ = [
    "CLASSES",
    "CLASS_CODES",
    "LandClass",
    "ResistanceTable",
    "Zones",
    "apply_overrides",
    "bounds_around",
    "build_border_ids",
    "build_classes",
    "build_resistance",
    "build_suitability",
    "burn",
    "draw_resistances",
    "check_resistance",
    "load_river_lines",
    "load_table",
    "programme_bounds",
    "resistance_from_landcover",
    "resistance_from_raster",
    "suitability_from_landcover",
    "make_grid",
    "template",
    "warp_to",
    "write_legend",
    "write_surfaces",
]
