"""Barrier Mapper on the programme's candidate corridors, or on your cores' linkages (``corridors restore barriers``).

:func:`run_barriers` maps the least-cost corridors the work programme names
(:data:`corridors.programme.PROGRAMME_CORRIDORS`), or with ``cores`` the
least-cost linkages between your cores on your raster in its own CRS, and
scores every cell by the drop in least-cost distance that restoring a circle
round it would bring (:func:`corridors.restore.barriers.barrier_mapper`,
Linkage Mapper's Barrier Mapper). :meth:`BarrierAnalysis.write` writes
``barriers.tif``, ``best_radius.tif``, ``barrier_linkages.csv``,
``barriers_map.png/.svg`` and ``provenance.json``.

Example
-------
>>> from corridors.analyses.barriers import run_barriers
>>> result = run_barriers()                      # the bundled surface at 1 km, radii 1, 2 and 5 km
>>> result.table[["corridor", "lcd", "score", "lcd_drop", "radius_m"]]
>>> result.write("out/barriers")
>>> run_barriers("my_resistance.tif", cores="my_cores.shp", id_field="Core_ID", radii_m=[500, 1000]).write("out/my_barriers")
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from corridors import linkages
from corridors.analyses._corridor_step import step_linkages
from corridors.linkages import LinkageResult
from corridors.plot.barriers_map import plot_barriers
from corridors.plot.save import save_figure
from corridors.programme import PROGRAMME_CORRIDORS, ProgrammeCorridor
from corridors.raster import Raster
from corridors.restore.barriers import (BarrierResult, barrier_mapper, check_combine, check_radii,
                                        check_restored_resistance)

#: Search radii for the programme's corridors on the bundled 1 km surface (README, "Barrier Mapper"): 1 km, the
#: smallest circle that restores across a cell (the one-cell border strips, a canal, a settlement); 2 km; and 5 km,
#: a 10 km stretch, the length of a tugay or floodplain reach one of the restoration measures could treat.
DEFAULT_RADII_M: tuple[float, ...] = (1000.0, 2000.0, 5000.0)

#: Columns of the programme's corridor list put in front of the barrier table.
_CORRIDOR_COLUMNS = ("corridor", "measure", "name")

#: Title of the step's map.
MAP_TITLE = "Barrier Mapper: where restoring helps the programme's corridors most"


@dataclass
class BarrierAnalysis:
    """The barrier step's result: the linkages and Barrier Mapper's scores on them.

    Attributes
    ----------
    linkages : corridors.linkages.LinkageResult
        The least-cost corridors (the programme's, or between your cores).
    barriers : corridors.restore.barriers.BarrierResult
        The engine's result: ``score`` (mosaic), ``best_radius``, ``radius_scores``, ``table``, ``by_linkage(a, b)``.
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    linkages: LinkageResult
    barriers: BarrierResult
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def score(self) -> Raster:
        """The improvement-score mosaic (:attr:`BarrierResult.score`)."""
        return self.barriers.score

    @property
    def best_radius(self) -> Raster | None:
        """The radius of the best score per cell, None when radii are summed (:attr:`BarrierResult.best_radius`)."""
        return self.barriers.best_radius

    def by_linkage(self, core_a: str, core_b: str) -> Raster:
        """One linkage's score over the radii (:meth:`BarrierResult.by_linkage`)."""
        return self.barriers.by_linkage(core_a, core_b)

    @property
    def table(self) -> pd.DataFrame:
        """One row per linkage: ``corridor``, ``measure``, ``name`` (the programme's) and the engine's columns (``barrier_linkages.csv``)."""
        table = self.barriers.table
        extra = [c for c in _CORRIDOR_COLUMNS if c in self.linkages.linkages.columns]
        if extra:
            table = self.linkages.linkages[extra].reset_index(drop=True).join(table)
        return table

    @property
    def title(self) -> str:
        """Title of the map: the programme's corridors, or the number of linkages between the user's cores."""
        if "corridor" in self.linkages.linkages.columns:
            return MAP_TITLE
        n = len(self.linkages.linkages)
        return f"Barrier Mapper: {n} linkage{'' if n == 1 else 's'} between {len(self.linkages.cores)} cores"

    def write(self, outdir: str | os.PathLike, *, map: bool = True, radius_rasters: bool = False) -> list[Path]:
        """Write the step's files into a folder (created if missing), all or none (:meth:`BarrierResult.write`).

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw ``barriers_map.png/.svg``, in the surface's own CRS.
        radius_rasters : bool, default False
            Also one ``barriers_r<radius>m.tif`` per radius.

        Returns
        -------
        list of pathlib.Path
        """
        def figure(result: BarrierResult, stem: Path) -> list[Path]:
            fig, _ = plot_barriers(result, self.linkages, title=self.title)
            return save_figure(fig, stem, formats=("png", "svg"), dpi=200)

        written = self.barriers.write(outdir, radius_rasters=radius_rasters, table=self.table, figure=figure if map else None,
                                      inputs=self.inputs, parameters=self.parameters, command="corridors restore barriers")
        return list(written.values())


def run_barriers(
    resistance: Raster | str | os.PathLike | None = None,
    *,
    cores: gpd.GeoDataFrame | str | os.PathLike | None = None,
    id_field: str = "id",
    radii_m: float | Iterable[float] = DEFAULT_RADII_M,
    restored_resistance: float = 1.0,
    percent: bool = False,
    combine: str = "max",
    sites: gpd.GeoDataFrame | None = None,
    corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
    resolution_m: float | None = None,
    truncate_m: float = linkages.DEFAULT_TRUNCATE_M,
    core_radius_m: float = 5000.0,
    memory_limit: int | None = None,
    quiet: bool = True,
) -> BarrierAnalysis:
    """Barrier Mapper on the programme's candidate corridors, or on the linkages between your cores (``corridors restore barriers``).

    Parameters
    ----------
    resistance : Raster or path-like, optional
        A resistance surface in a projected CRS (metres), used as is; default
        the bundled surface over the corridors' ends (or the cores) plus 150 km.
    cores : GeoDataFrame or path-like, optional
        Your core areas (``--cores``, read by :func:`corridors.analyses.linkages.as_cores`):
        a Linkage Mapper run between them (:func:`corridors.linkages.build_linkages`,
        its default adjacency) instead of the programme's corridors.
    id_field : str, default 'id'
        The column of core ids in ``cores`` (``--id-field``).
    radii_m : float or iterable of float, default (1000, 2000, 5000)
        Search radii in metres, each at least one cell (:data:`DEFAULT_RADII_M`).
    restored_resistance : float, default 1
        Resistance of restored cells.
    percent : bool, default False
        Score as the percentage of the least-cost distance saved.
    combine : {'max', 'sum'}, default 'max'
        How the radii are combined at each cell.
    sites : GeoDataFrame, optional
        Default the bundled ``data/sites.geojson`` (the programme's corridor ends).
    corridors : sequence of ProgrammeCorridor
        Default all of the programme's.
    resolution_m : float, optional
        Cell size of the bundled surface; default :data:`corridors.settings.DEFAULT_RESOLUTION_M`.
    truncate_m : float, default 200 000
        Corridor width of the least-cost run, cost-weighted metres.
    core_radius_m : float, default 5000
        Radius of the core round each end's (or core's) point.
    memory_limit : int, optional
        Bytes one cost-distance run may use.
    quiet : bool, default True
        No progress bar.

    Returns
    -------
    BarrierAnalysis

    Raises
    ------
    ConfigError
        A radius <= 0 or smaller than a cell, a restored resistance <= 0, an
        unknown ``combine`` (all before any least-cost run), or both ``cores`` and ``sites``.
    """
    radii = check_radii(radii_m)  # before the least-cost runs, not after them
    rr = check_restored_resistance(restored_resistance)
    combine = check_combine(combine)
    step = step_linkages("run_barriers", resistance, cores=cores, id_field=id_field, sites=sites, corridors=corridors,
                         resolution_m=resolution_m, truncate_m=truncate_m, core_radius_m=core_radius_m,
                         memory_limit=memory_limit, quiet=quiet, check_surface=lambda g: check_radii(radii, g.cellsize))
    links, inputs = step.links, step.inputs
    result = barrier_mapper(links, radii, restored_resistance=rr, percent=percent, combine=combine, memory_limit=memory_limit)
    parameters = {**step.what, "core_radius_m": core_radius_m, "truncate_m": truncate_m, **step.surface_parameters}
    return BarrierAnalysis(linkages=links, barriers=result, parameters=parameters, inputs=inputs)


__all__ = ["DEFAULT_RADII_M", "BarrierAnalysis", "run_barriers"]
