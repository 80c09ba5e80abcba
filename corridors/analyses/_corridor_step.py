"""The least-cost corridors a circuit or restoration step works on: the programme's, or the linkages between your cores.

``corridors circuit pinch``, ``restore barriers``, ``restore sensitivity`` and
``restore priority`` all start the same way: the bundled surface over the
programme's corridor ends (or your raster, used as is) and the programme's
candidate corridors, or with ``--cores`` a Linkage Mapper run between your
cores on your raster. :func:`step_linkages` is that one start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from corridors import linkages, settings
from corridors._errors import ConfigError
from corridors.analyses._resistance import step_resistance
from corridors.analyses.linkages import as_cores, programme_corridors
from corridors.linkages import LinkageResult
from corridors.programme import ProgrammeCorridor
from corridors.raster import Raster
from corridors.sites import load_sites


@dataclass
class StepLinkages:
    """What :func:`step_linkages` built: the linkages, their surface, the input files and what was linked."""

    links: LinkageResult
    surface: Raster
    inputs: dict[str, Path] = field(default_factory=dict)
    what: dict[str, Any] = field(default_factory=dict)

    @property
    def surface_parameters(self) -> dict[str, Any]:
        """The surface's cell size, shape, name and CRS, for ``provenance.json``."""
        s = self.surface
        return {"resolution_m": max(s.res), "shape": list(s.shape), "resistance": s.label,
                "crs": s.crs.to_string() if s.crs is not None else None}


def step_linkages(step: str, resistance: Raster | str | os.PathLike | None, *, cores: gpd.GeoDataFrame | str | os.PathLike | None,
                  id_field: str, sites: gpd.GeoDataFrame | None, corridors: Sequence[ProgrammeCorridor],
                  resolution_m: float | None, truncate_m: float, core_radius_m: float, memory_limit: int | None, quiet: bool,
                  check_surface: Callable[[Raster], None] | None = None, sites_file: Path | None = None) -> StepLinkages:
    """The programme's candidate corridors on the step's surface, or with ``cores`` the linkages between your cores.

    Parameters
    ----------
    step : str
        Names the calling function in errors (``run_pinch``).
    resistance, cores, id_field, sites, corridors, resolution_m, truncate_m, core_radius_m, memory_limit, quiet
        As in :func:`corridors.analyses.pinch.run_pinch`.
    check_surface : callable, optional
        Called with the surface before any least-cost run (e.g. a radius
        that must be at least one cell).
    sites_file : pathlib.Path, optional
        The file ``sites`` came from, listed in the inputs; default the
        bundled sites file when ``sites`` is None.

    Raises
    ------
    ConfigError
        If both ``cores`` and ``sites`` are given.
    """
    if cores is not None:
        if sites is not None:
            raise ConfigError(f"{step}: give cores (your own) or sites (the programme's corridor ends), not both.")
        core_frame, inputs = as_cores(cores, id_field, core_radius_m / 1000)
        surface, surface_inputs = step_resistance(core_frame, resistance, resolution_m)
        if check_surface is not None:
            check_surface(surface)
        links = linkages.build_linkages(surface, core_frame, truncate_m=truncate_m, quiet=quiet, memory_limit=memory_limit)
        what: dict[str, Any] = {"cores": {"file": str(inputs["cores"]) if "cores" in inputs else None, "id_field": id_field,
                                          "n_cores": int(len(core_frame))}}
        return StepLinkages(links, surface, {**inputs, **surface_inputs}, what)
    s = load_sites() if sites is None else sites
    ends = {e for c in corridors for e in (c.end_a, c.end_b)}
    surface, inputs = step_resistance(s[s["id"].isin(ends)], resistance, resolution_m)
    if check_surface is not None:
        check_surface(surface)
    links = programme_corridors(surface, sites=s, corridors=corridors, core_radius_m=core_radius_m, truncate_m=truncate_m,
                                quiet=quiet, memory_limit=memory_limit)
    source = sites_file if sites_file is not None else (settings.SITES_PATH if sites is None else None)
    if source is not None:
        inputs = {**inputs, "sites": source}
    return StepLinkages(links, surface, inputs, {"corridors": [c.key for c in corridors]})
