"""The main job's pinch step: pinch points and effective resistance of the programme's candidate corridors, or of your cores' linkages.

:func:`run_pinch` maps the least-cost corridors the work programme names
(:data:`corridors.programme.PROGRAMME_CORRIDORS`), or with ``cores`` the
least-cost linkages between your cores, and drives 1 A between the
two ends of each through the corridor alone
(:func:`corridors.circuit.pinch.pinch_points`, Linkage Mapper's Pinchpoint
Mapper); :meth:`PinchAnalysis.write` writes ``pinchpoints.tif``,
``pinch_linkages.csv``, ``pinch.gpkg``, ``pinch_map.png/.svg`` and
``provenance.json``.

Example
-------
>>> from corridors.analyses.pinch import run_pinch
>>> result = run_pinch()          # the bundled surface at 1 km, about 10 s
>>> result.table[["corridor", "eff_resist", "max_current"]]
>>> result.write("out/pinch")
>>> run_pinch("my_resistance.tif", cores="my_cores.shp", id_field="Core_ID").write("out/my_pinch")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from corridors import linkages
from corridors.analyses._corridor_step import step_linkages
from corridors.circuit.pinch import PinchResult, check_cutoff, pinch_points
from corridors.linkages import LinkageResult
from corridors.plot.pinch_map import plot_pinch_points
from corridors.plot.save import save_figure
from corridors.programme import PROGRAMME_CORRIDORS, ProgrammeCorridor
from corridors.raster import Raster

#: Columns of the programme's corridor list put in front of the pinch table.
_CORRIDOR_COLUMNS = ("corridor", "measure", "name")

#: Title of the step's map.
MAP_TITLE = "Pinch points of the programme's candidate corridors (1 A per corridor)"


@dataclass
class PinchAnalysis:
    """The pinch step's result: the programme's corridors and their pinch points.

    Attributes
    ----------
    linkages : corridors.linkages.LinkageResult
        The least-cost corridors (:func:`corridors.analyses.linkages.programme_corridors`).
    pinch : corridors.circuit.pinch.PinchResult
        The circuit engine's result (current mosaic and per-linkage table).
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    linkages: LinkageResult
    pinch: PinchResult
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """One row per corridor: ``corridor``, ``measure``, ``name`` and the engine's columns (``pinch_linkages.csv``)."""
        table = self.pinch.table
        extra = [c for c in _CORRIDOR_COLUMNS if c in self.linkages.linkages.columns]
        if extra:
            table = self.linkages.linkages[extra].reset_index(drop=True).join(table)
        return table

    @property
    def corridors(self) -> gpd.GeoDataFrame:
        """The least-cost paths with ``eff_resist``, ``cwd_to_eff_resist`` and ``max_current`` (the ``linkages`` layer of ``pinch.gpkg``)."""
        gdf = self.linkages.linkages.reset_index(drop=True).copy()
        for col in ("eff_resist", "cwd_to_eff_resist", "max_current"):
            gdf[col] = self.pinch.table[col].to_numpy()
        return gdf

    def write(self, outdir: str | os.PathLike, *, map: bool = True) -> list[Path]:
        """Write the step's files into a folder (created if missing), all or none (:meth:`PinchResult.write`).

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw ``pinch_map.png/.svg``, in the surface's own CRS.

        Returns
        -------
        list of pathlib.Path
            ``pinchpoints.tif``, ``pinch_linkages.csv``, ``pinch.gpkg``, the map files and ``provenance.json``.
        """
        def figure(pinch: PinchResult, stem: Path) -> list[Path]:
            fig, _ = plot_pinch_points(pinch, self.linkages, title=self.title)
            return save_figure(fig, stem, formats=("png", "svg"), dpi=200)

        written = self.pinch.write(outdir, table=self.table, layers={"linkages": self.corridors, "cores": self.linkages.cores},
                                   figure=figure if map else None, inputs=self.inputs, parameters=self.parameters,
                                   command="corridors circuit pinch")
        return list(written.values())

    @property
    def title(self) -> str:
        """Title of the step's map: the programme's corridors, or the number of linkages between the user's cores."""
        if "corridor" in self.linkages.linkages.columns:
            return MAP_TITLE
        return f"Pinch points of {len(self.linkages.linkages)} linkages between {len(self.linkages.cores)} cores (1 A per linkage)"


def run_pinch(
    resistance: Raster | str | os.PathLike | None = None,
    *,
    cores: gpd.GeoDataFrame | str | os.PathLike | None = None,
    id_field: str = "id",
    sites: gpd.GeoDataFrame | None = None,
    corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
    resolution_m: float | None = None,
    truncate_m: float = linkages.DEFAULT_TRUNCATE_M,
    cutoff_m: float | None = None,
    core_radius_m: float = 5000.0,
    memory_limit: int | None = None,
    quiet: bool = True,
) -> PinchAnalysis:
    """Pinch points of the programme's candidate corridors, or of the linkages between your cores (``corridors circuit pinch``).

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
    sites : GeoDataFrame, optional
        Default the bundled ``data/sites.geojson`` (the programme's corridor ends).
    corridors : sequence of ProgrammeCorridor
        Default all of the programme's.
    resolution_m : float, optional
        Cell size of the bundled surface; default :data:`corridors.settings.DEFAULT_RESOLUTION_M`.
    truncate_m : float, default 200 000
        Corridor width of the least-cost run, cost-weighted metres.
    cutoff_m : float, optional
        Corridor width of the circuit run (Linkage Mapper's CWD cutoff),
        cost-weighted metres, > 0; default ``truncate_m``.
    core_radius_m : float, default 5000
        Radius of the core round each end's (or core's) point.
    memory_limit : int, optional
        Bytes one cost-distance run may use.
    quiet : bool, default True
        No progress bar.

    Returns
    -------
    PinchAnalysis

    Raises
    ------
    ConfigError
        If ``cutoff_m`` is not positive, or both ``cores`` and ``sites`` are given.
    """
    cutoff = check_cutoff(cutoff_m if cutoff_m is not None else truncate_m)  # before the least-cost runs, not after them
    step = step_linkages("run_pinch", resistance, cores=cores, id_field=id_field, sites=sites, corridors=corridors,
                         resolution_m=resolution_m, truncate_m=truncate_m, core_radius_m=core_radius_m,
                         memory_limit=memory_limit, quiet=quiet)
    links, inputs = step.links, step.inputs
    result = pinch_points(links, cutoff_m=cutoff)
    parameters = {
        **step.what, "core_radius_m": core_radius_m, "truncate_m": truncate_m, "cutoff_m": cutoff, **step.surface_parameters,
        "units": "cwd_m in cost-weighted metres; eff_resist in cell-resistance units; max_current in A of 1 A per linkage",
    }
    return PinchAnalysis(linkages=links, pinch=result, parameters=parameters, inputs=inputs)
