"""corridors: spatial habitat and corridor analysis for the Bukhara deer work programme 2025-2032.

The public modules are attributes of the package (``corridors.lcp``,
``corridors.circuit``, ...), imported on first use (PEP 562) so that
``import corridors`` stays fast: the geospatial stack (rasterio, geopandas,
pyproj) loads only when a module that needs it is touched. ``Raster`` and
``WORKING_CRS`` are lazy for the same reason.

>>> import corridors
>>> corridors.lcp.cost_distance            # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from corridors._errors import ConfigError, CorridorsError, DataError, MemoryLimitError, OutputError, SolverError

__version__ = "0.1.0"

#: The public modules, bottom layer first (README, Architecture); each is imported on first access.
_SUBMODULES = (
    "settings",
    "io",
    "raster",
    "borders",
    "sites",
    "programme",
    "rivers",
    "landscape",
    "sweep",
    "lcp",
    "linkages",
    "circuit",
    "network",
    "scoring",
    "plot",
    "report",
    "analyses",
    "scenario",
    "batch",
)

#: Names re-exported from submodules, imported on first access: name -> module.
_LAZY_NAMES = {"Raster": "corridors.raster", "WORKING_CRS": "corridors.settings"}

__all__ = [
    "ConfigError",
    "CorridorsError",
    "DataError",
    "MemoryLimitError",
    "OutputError",
    "Raster",
    "SolverError",
    "WORKING_CRS",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public module or a lazy name on first access (PEP 562).

    Raises
    ------
    AttributeError
        If ``name`` is neither a public module nor an exported name, or names
        a public module this installation does not have.
    """
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # a dependency of the module is missing: say which
            raise AttributeError(f"module {__name__!r} has no submodule {name!r} in this version") from None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names plus the lazily imported public modules and names."""
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_NAMES))
