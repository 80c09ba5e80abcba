"""Linkage-Mapper-style linkages and normalized least-cost corridors between core areas.

:func:`build_linkages` runs, on the least-cost engine of :mod:`corridors.lcp`,
the steps of Linkage Mapper's Build Network and Map Linkages: checks, one
cost-distance run per core, candidate pairs by adjacency, the metrics of each
kept pair, and the mosaic of normalized corridors. It returns a
:class:`LinkageResult`, whose ``write(outdir)`` writes the files and
``provenance.json``. The programme's own corridors are an application of it
(:mod:`corridors.analyses.linkages`).

Modules: ``cores`` (core areas from sites or features), ``build`` (the steps
of :func:`build_linkages`), ``result`` (:class:`LinkageResult` and its files).
"""

from corridors.linkages.build import ADJACENCY, DEFAULT_TRUNCATE_M, LINKAGE_COLUMNS, build_linkages
from corridors.linkages.cores import cores_from_sites, place_raster
from corridors.linkages.result import LinkageResult, MapWriter

__all__ = [
    "ADJACENCY",
    "DEFAULT_TRUNCATE_M",
    "LINKAGE_COLUMNS",
    "LinkageResult",
    "MapWriter",
    "build_linkages",
    "cores_from_sites",
    "place_raster",
]
