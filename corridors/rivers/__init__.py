"""River centrelines and the river-connectivity graph: reaches, confluences, snapped sites and along-river distances.

The graph is a :class:`networkx.MultiGraph` (two reaches may join the same
two nodes, e.g. around an island), undirected, in the working CRS (metres):

- **nodes** are confluences, river ends and the river points of snapped
  sites. Attributes: ``x``, ``y`` (working CRS), ``kind`` (``'confluence'``,
  ``'end'`` or ``'site'``), ``site_id`` (``None``, or the site ids joined by
  ``';'`` when several sites snap to one point), ``site_ids`` (list),
  ``river`` (the river the node lies on; at a confluence the one that flows
  on), ``rivers`` (every river meeting there), ``river_system``.
- **edges** are reaches between two nodes. Attributes: ``length_m``,
  ``geometry`` (LineString, working CRS, in the digitised direction of
  its source line: downstream for the bundled rivers), ``river``, ``river_system``, ``name``, ``approximate``,
  ``precision_km``.
- ``graph.graph`` holds ``crs``, ``tolerance_m``, ``site_nodes`` (site id to
  node) and ``snap_report`` (one row per site: snapped, unsnapped or
  unresolved; see :func:`snap_report`).

Along-river distances are measured between the river points of two sites
(the points their geometries snap to), along the centrelines; sites on
different river systems are not connected and their distance is ``inf``.
"""

import importlib
from typing import Any

from corridors.rivers.load import RIVER_FIELDS, RIVERS_PATH, load_rivers

#: Names of the graph modules, loaded on first use: they need networkx and scipy's graph routines, which
#: take about 0.25 s to import (``python -X importtime -c "import corridors.landscape"``: 0.62 s with the
#: loader alone, 0.89 s with the graph), and the engines that only read river lines (landscape) never use them.
_LAZY: dict[str, str] = {
    "DEFAULT_JOIN_M": "graph",
    "DEFAULT_TOLERANCE_M": "graph",
    "SNAP_STATUSES": "graph",
    "build_river_graph": "graph",
    "along_river_distance": "distances",
    "along_river_distances": "distances",
    "along_river_path": "distances",
    "snap_report": "distances",
    "river_graph_edges": "export",
    "river_graph_nodes": "export",
    "river_graph_summary": "export",
    "river_graph_to_geopackage": "export",
    "system_components": "export",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "RIVERS_PATH",
    "DEFAULT_TOLERANCE_M",
    "load_rivers",
    "build_river_graph",
    "snap_report",
    "along_river_distance",
    "along_river_distances",
    "along_river_path",
    "river_graph_nodes",
    "river_graph_edges",
    "river_graph_to_geopackage",
    "river_graph_summary",
    "system_components",
]
