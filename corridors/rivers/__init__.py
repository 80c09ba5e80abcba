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

from corridors.rivers.distances import along_river_distance, along_river_distances, along_river_path, snap_report
from corridors.rivers.export import (
    river_graph_edges,
    river_graph_nodes,
    river_graph_summary,
    river_graph_to_geopackage,
    system_components,
)
from corridors.rivers.graph import DEFAULT_JOIN_M, DEFAULT_TOLERANCE_M, SNAP_STATUSES, build_river_graph
from corridors.rivers.load import RIVER_FIELDS, RIVERS_PATH, load_rivers

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
