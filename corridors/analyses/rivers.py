"""The main job's rivers step: the river-connectivity graph and along-river distances between the subpopulations.

:func:`run_rivers` snaps the sites onto the river centrelines
(:func:`corridors.rivers.build_river_graph`) and measures the distances
along the rivers between the subpopulations; :meth:`RiversAnalysis.write`
writes ``river_graph.gpkg``, ``river_distances.csv`` and ``provenance.json``.

Example
-------
>>> from corridors.analyses.rivers import run_rivers
>>> result = run_rivers()
>>> result.distances.loc["tj1", "uz3"]      # metres along the Amu Darya
>>> result.write("out/rivers")
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from corridors import rivers as rv
from corridors import settings
from corridors.io import provenance, staged_folder, write_csv
from corridors.plot.rivers_map import plot_river_graph
from corridors.plot.save import save_figure
from corridors.sites import load_sites

#: Sites farther than this from every river are reported, not snapped (metres).
DEFAULT_TOLERANCE_M: float = 15_000.0


@dataclass
class RiversAnalysis:
    """The rivers step's result.

    Attributes
    ----------
    graph : networkx.MultiGraph
        The river graph (:func:`corridors.rivers.build_river_graph`).
    sites : GeoDataFrame
        The sites it was built with.
    distances : pandas.DataFrame
        Metres along the rivers between :attr:`matrix_ids` (rounded to the
        metre; ``inf`` between different river systems).
    matrix_ids : list of str
        The sites of the matrix: the subpopulations on a river (every snapped
        site if none is).
    subpopulations : list of str
        Every subpopulation of ``sites``, snapped or not.
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    graph: nx.MultiGraph
    sites: gpd.GeoDataFrame = field(repr=False)
    distances: pd.DataFrame
    matrix_ids: list[str]
    subpopulations: list[str]
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def snap_report(self) -> pd.DataFrame:
        """Per site: snapped, unsnapped (too far from a river) or unresolved (:func:`corridors.rivers.snap_report`)."""
        return rv.snap_report(self.graph)

    @property
    def summary(self) -> dict:
        """Nodes by kind, components per river system, length per river, sites by status (:func:`corridors.rivers.river_graph_summary`)."""
        return rv.river_graph_summary(self.graph)

    @property
    def off_river(self) -> list[str]:
        """Subpopulations left out of the distance matrix (not snapped to a river)."""
        snapped = set(self.graph.graph["site_nodes"])
        return [s for s in self.subpopulations if s not in snapped]

    def write(self, outdir: str | os.PathLike, map: bool = True) -> list[Path]:
        """Write the step's files into a folder (created if missing), each atomically.

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Also ``rivers_map.png`` / ``.svg`` (the graph over the base map);
            drawn only for a graph in the working CRS.

        Returns
        -------
        list of pathlib.Path
            ``river_graph.gpkg`` (layers nodes, edges, and unsnapped when some
            site is too far from a river or unresolved), ``river_distances.csv``,
            the map and ``provenance.json``.
        """
        out = Path(outdir)
        with staged_folder(out, name="rivers") as tmp:  # all files or none, by the rule of output folders
            gpkg = rv.river_graph_to_geopackage(self.graph, tmp / "river_graph.gpkg", sites=self.sites)
            files = [gpkg, write_csv(self.distances, tmp / "river_distances.csv", index=True, float_format="%.0f")]
            if map:
                files += save_figure(plot_river_graph(self.graph, self.sites), tmp / "rivers_map", formats=("png", "svg"),
                                     dpi=200, close=True)
            rec = provenance.record(inputs=self.inputs, parameters=self.parameters, command="corridors rivers")
            files.append(provenance.write(rec, tmp / "provenance.json"))
        return [out / p.name for p in files]


def run_rivers(
    rivers: gpd.GeoDataFrame | str | os.PathLike | None = None,
    sites: gpd.GeoDataFrame | str | os.PathLike | None = None,
    *,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
) -> RiversAnalysis:
    """The river graph and along-river distances between the subpopulations (what ``corridors rivers`` runs).

    Parameters
    ----------
    rivers : GeoDataFrame or path-like, optional
        River centrelines with ``river`` and ``river_system`` fields (a file is
        read with :func:`corridors.rivers.load_rivers`); default the bundled
        ``data/rivers/rivers.geojson``.
    sites : GeoDataFrame or path-like, optional
        Sites of the ``data/sites.geojson`` schema; default the bundled sites.
    tolerance_m : float, default 15 000
        Sites farther than this from every river are reported, not snapped.

    Returns
    -------
    RiversAnalysis
    """
    inputs: dict[str, Path] = {}
    if isinstance(rivers, gpd.GeoDataFrame):
        river_lines = rivers
    else:
        river_lines = rv.load_rivers(rivers)
        inputs["rivers"] = Path(rivers) if rivers is not None else rv.RIVERS_PATH
    if isinstance(sites, gpd.GeoDataFrame):
        site_gdf = sites
    else:
        site_gdf = load_sites(sites) if sites is not None else load_sites()
        inputs["sites"] = Path(sites) if sites is not None else settings.SITES_PATH
    graph = rv.build_river_graph(river_lines, site_gdf, tolerance_m=tolerance_m)
    subpops = site_gdf.loc[site_gdf["kind"].eq("subpopulation"), "id"].tolist() if "kind" in site_gdf.columns else []
    snapped = set(graph.graph["site_nodes"])
    matrix_ids = [s for s in subpops if s in snapped] or list(graph.graph["site_nodes"])
    distances = rv.along_river_distances(graph, matrix_ids).round(0)
    parameters = {
        "tolerance_m": tolerance_m,
        "join_m": graph.graph["join_m"],
        "crs": "corridors.settings.WORKING_CRS (Albers equal-area, Central Asia)",
    }
    return RiversAnalysis(graph=graph, sites=site_gdf, distances=distances, matrix_ids=matrix_ids, subpopulations=subpops,
                          parameters=parameters, inputs=inputs)
