"""corridors: spatial habitat and corridor analysis for the Bukhara deer work programme 2025-2032."""

from corridors._errors import ConfigError, CorridorsError, DataError, SolverError
from corridors.raster import Raster
from corridors.settings import WORKING_CRS

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "CorridorsError",
    "DataError",
    "Raster",
    "SolverError",
    "WORKING_CRS",
    "__version__",
]
