"""Linkage Priority (Linkage Mapper 3) of the programme's candidate corridors, or of the linkages between your cores.

:func:`run_priority` maps the least-cost corridors the work programme names
(:data:`corridors.programme.PROGRAMME_CORRIDORS`, as the pinch step builds
them), or with ``cores`` the least-cost linkages between your cores, and ranks
them with :func:`corridors.restore.priority.linkage_priority`;
:meth:`PriorityAnalysis.write` writes ``priority.tif``,
``priority_csp.tif``, ``priority_trunk.tif``, ``priority_cores.csv``,
``priority_linkages.csv``, ``priority_map.png/.svg`` and ``provenance.json``.

Example
-------
>>> from corridors.analyses.priority import run_priority
>>> result = run_priority()       # the bundled surface at 1 km
>>> result.priority.linkages[["corridor", "priority", "rank"]]
>>> result.write("out/priority")
>>> run_priority("my_resistance.tif", cores="my_cores.shp", id_field="Core_ID", core_value_field="quality").write("out/my_priority")
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from corridors import linkages, settings
from corridors._errors import DataError, where
from corridors.analyses._corridor_step import step_linkages
from corridors.io import read_vector
from corridors.linkages import LinkageResult
from corridors.plot.priority_map import plot_priority
from corridors.plot.save import save_figure
from corridors.programme import PROGRAMME_CORRIDORS, ProgrammeCorridor
from corridors.raster import Raster
from corridors.restore.priority import PriorityResult, PriorityWeights, linkage_priority
from corridors.sites import load_sites

#: Title of the step's map.
MAP_TITLE = "Linkage Priority of the programme's candidate corridors (Linkage Mapper 3)"


@dataclass
class PriorityAnalysis:
    """The priority step's result: the least-cost corridors and their Linkage Priority.

    Attributes
    ----------
    linkages : corridors.linkages.LinkageResult
    priority : corridors.restore.priority.PriorityResult
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    linkages: LinkageResult
    priority: PriorityResult
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """Title of the map: the programme's corridors, or the number of linkages between the user's cores."""
        if "corridor" in self.linkages.linkages.columns:
            return MAP_TITLE
        return f"Linkage Priority of {len(self.linkages.linkages)} linkages between {len(self.linkages.cores)} cores (Linkage Mapper 3)"

    def write(self, outdir: str | os.PathLike, *, map: bool = True) -> list[Path]:
        """Write the step's files into a folder, all or none (:meth:`PriorityResult.write`).

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw ``priority_map.png/.svg``, in the surface's own CRS.

        Returns
        -------
        list of pathlib.Path
        """
        def figure(result: PriorityResult, stem: Path) -> list[Path]:
            fig, _ = plot_priority(result, self.linkages, title=self.title)
            return save_figure(fig, stem, formats=("png", "svg"), dpi=200)

        written = self.priority.write(outdir, figure=figure if map else None, inputs=self.inputs, parameters=self.parameters,
                                      command="corridors restore priority")
        return list(written.values())


def _core_values(frame: gpd.GeoDataFrame, id_field: str, value_field: str, source: object) -> dict[str, float]:
    """``{core id: value}`` from a column of the user's cores (or the sites), each a number."""
    if value_field not in frame.columns:
        columns = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
        raise DataError(f"{where(source, field=value_field)}: no such column for --core-value-field; "
                        f"name the column holding the expert core values (one of: {columns}).")
    out = {}
    for cid, v in zip(frame[id_field].astype(str), frame[value_field]):
        try:
            out[cid] = float(v)
        except (TypeError, ValueError):
            raise DataError(f"{where(source, feature=cid, field=value_field)}: {v!r} is not a number; "
                            "give every core a numeric expert value.") from None
    return out


def run_priority(
    resistance: Raster | str | os.PathLike | None = None,
    *,
    cores: gpd.GeoDataFrame | str | os.PathLike | None = None,
    id_field: str = "id",
    core_value_field: str | None = None,
    corridor_values: Mapping[tuple[str, str], float] | None = None,
    weights: PriorityWeights | None = None,
    sites: gpd.GeoDataFrame | None = None,
    corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
    resolution_m: float | None = None,
    truncate_m: float = linkages.DEFAULT_TRUNCATE_M,
    core_radius_m: float = 5000.0,
    memory_limit: int | None = None,
    quiet: bool = True,
) -> PriorityAnalysis:
    """Linkage Priority of the programme's candidate corridors, or of the linkages between your cores (``corridors restore priority``).

    Parameters
    ----------
    resistance : Raster or path-like, optional
        A resistance surface in a projected CRS (metres), used as is; default
        the bundled surface over the corridors' ends (or the cores) plus 150 km.
    cores : GeoDataFrame or path-like, optional
        Your core areas (``--cores``, read by :func:`corridors.analyses.linkages.as_cores`):
        a Linkage Mapper run between them (its default adjacency) instead of the programme's corridors.
    id_field : str, default 'id'
        The column of core ids in ``cores`` (``--id-field``).
    core_value_field : str, optional
        Column of the expert core area value (``--core-value-field``): in
        ``cores``, or for the programme's corridors in the sites.
    corridor_values : mapping (core_a, core_b) -> float, optional
        Expert corridor importance values.
    weights : PriorityWeights, optional
        Default every weight 1 (the expert ones 1 only with values).
    sites : GeoDataFrame, optional
        Default the bundled ``data/sites.geojson``.
    corridors : sequence of ProgrammeCorridor
        Default all of the programme's.
    resolution_m : float, optional
        Cell size of the bundled surface; default :data:`corridors.settings.DEFAULT_RESOLUTION_M`.
    truncate_m : float, default 200 000
        Corridor width of the least-cost run and ``T`` of the closeness, cost-weighted metres.
    core_radius_m : float, default 5000
        Radius of the core round each end's (or core's) point.
    memory_limit : int, optional
        Bytes one cost-distance run may use.
    quiet : bool, default True
        No progress bar.

    Returns
    -------
    PriorityAnalysis

    Raises
    ------
    ConfigError
        Bad weights (before any least-cost run), or both ``cores`` and ``sites``.
    DataError
        A missing or non-numeric core value field (naming the file, feature and field).
    """
    w = PriorityWeights() if weights is None else weights
    w.resolved(core_value_field is not None, corridor_values is not None)  # refuse bad weights before the least-cost runs
    values: dict[str, float] | None = None
    s = sites
    if cores is not None and sites is None and core_value_field is not None:  # read before the least-cost runs
        raw = cores if isinstance(cores, gpd.GeoDataFrame) else read_vector(cores, to_crs=None)
        values = _core_values(raw, id_field, core_value_field, None if isinstance(cores, gpd.GeoDataFrame) else cores)
    elif cores is None:
        s = load_sites() if sites is None else sites
        if core_value_field is not None:
            values = _core_values(s, "id", core_value_field, settings.SITES_PATH if sites is None else "sites")
    step = step_linkages("run_priority", resistance, cores=cores, id_field=id_field, sites=s, corridors=corridors,
                         resolution_m=resolution_m, truncate_m=truncate_m, core_radius_m=core_radius_m,
                         memory_limit=memory_limit, quiet=quiet,
                         sites_file=settings.SITES_PATH if cores is None and sites is None else None)
    links, inputs = step.links, step.inputs
    if values is not None:
        values = {k: v for k, v in values.items() if k in set(links.cores["core_id"].astype(str))}
    result = linkage_priority(links, w, core_values=values, corridor_values=corridor_values, truncate_m=truncate_m)
    parameters = {
        **step.what, "core_value_field": core_value_field, "core_radius_m": core_radius_m, **step.surface_parameters,
        "units": "cwd_m in cost-weighted metres; area_ha in hectares; every score 0-1",
    }
    return PriorityAnalysis(linkages=links, priority=result, parameters=parameters, inputs=inputs)


__all__ = ["MAP_TITLE", "PriorityAnalysis", "run_priority"]
