"""The main job's centrality step: current-flow centrality of the least-cost linkage network (Linkage Mapper's Centrality Mapper).

:func:`run_centrality` builds the least-cost linkage network between cores
(by default the bundled subpopulations) and runs Circuitscape's network
pairwise mode on it (:func:`corridors.circuit.pinch.linkage_centrality`);
:meth:`CentralityAnalysis.write` writes ``centrality.gpkg``,
``centrality_cores.csv``, ``centrality_linkages.csv``,
``centrality_map.png/.svg`` and ``provenance.json``.

Example
-------
>>> from corridors.analyses.centrality import run_centrality
>>> result = run_centrality()
>>> result.cores.sort_values("cf_central", ascending=False)[["core_id", "cf_central"]]
>>> result.write("out/centrality")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors import linkages, programme, settings
from corridors.io import provenance
from corridors._errors import ConfigError
from corridors.analyses._resistance import step_resistance
from corridors.analyses.linkages import as_cores
from corridors.circuit.pinch import linkage_centrality, pinch_points
from corridors.io import staged_folder, write_csv, write_geopackage
from corridors.linkages import LinkageResult
from corridors.plot.pinch_map import plot_centrality
from corridors.plot.save import save_figure
from corridors.raster import Raster
from corridors.sites import load_sites

#: Link resistances :func:`run_centrality` accepts, and the linkage column each uses.
WEIGHTS = {"cwd": "cwd_m", "eff_resist": "eff_resist"}


@dataclass
class CentralityAnalysis:
    """The centrality step's result: cores and linkages with their current-flow centrality.

    Attributes
    ----------
    cores : GeoDataFrame
        The cores with ``cf_central``, ``cf_betweenness`` and ``component``.
    linkages : GeoDataFrame
        The least-cost paths with ``cf_central``.
    network : corridors.linkages.LinkageResult
        The least-cost linkage run the network was built from.
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    cores: gpd.GeoDataFrame
    linkages: gpd.GeoDataFrame
    network: LinkageResult = field(repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """Title of the step's map."""
        return f"Current-flow centrality of {len(self.cores)} cores and {len(self.linkages)} linkages"

    def write(self, outdir: str | os.PathLike, *, map: bool = True) -> list[Path]:
        """Write the step's files into a folder (created if missing), each atomically.

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw ``centrality_map.png/.svg``, in the surface's own CRS.

        Returns
        -------
        list of pathlib.Path
            ``centrality.gpkg``, ``centrality_cores.csv``, ``centrality_linkages.csv``, the map files and ``provenance.json``.
        """
        out = Path(outdir)
        with staged_folder(out, name="centrality") as tmp:  # all files or none, by the rule of output folders
            written = [write_geopackage(path=tmp / "centrality.gpkg", layers={"cores": self.cores, "linkages": self.linkages})]
            for gdf, name in ((self.cores, "centrality_cores.csv"), (self.linkages, "centrality_linkages.csv")):
                # io.write_csv: the list columns (borders, measures, through_cores) as ';'-joined text ('TJK-UZB', ''),
                # as in linkages.csv; they used to be Python lists here ("['TJK-UZB']", "[]").
                written.append(write_csv(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), tmp / name))
            if map:
                fig, _ = plot_centrality(self.cores, self.linkages, title=self.title)
                written.extend(save_figure(fig, tmp / "centrality_map", formats=("png", "svg"), dpi=200))
            rec = provenance.record(inputs=self.inputs, parameters=self.parameters, command="corridors circuit centrality")
            written.append(provenance.write(path=tmp / "provenance.json", rec=rec))
        return [out / p.name for p in written]


def plausible_exchange(linkages_table: gpd.GeoDataFrame, cores: gpd.GeoDataFrame,
                       max_cwd_m: float | None = programme.MAX_EXCHANGE_CWD_M) -> np.ndarray:
    """Which linkages join populations that can plausibly exchange deer: one river system, or a short cost distance.

    Bukhara deer disperse along the rivers: two populations on one river
    system (``river_system`` of the cores) are linked whatever the distance,
    the river being their route; populations on different systems (or cores
    without a system) only when the linkage's cost-weighted distance is at
    most ``max_cwd_m``. Kz2 (Syr Darya) and Kz3 (Ile), 1,224 km of least-cost
    path over four borders, are then not linked.

    Parameters
    ----------
    linkages_table : GeoDataFrame
        ``core_a``, ``core_b``, ``cwd_m``.
    cores : GeoDataFrame
        ``core_id`` and, optionally, ``river_system``.
    max_cwd_m : float or None, default :data:`corridors.programme.MAX_EXCHANGE_CWD_M`
        None links every pair (Linkage Mapper's network as built).

    Returns
    -------
    numpy.ndarray of bool
        One per linkage, True where kept.
    """
    if max_cwd_m is None:
        return np.ones(len(linkages_table), dtype=bool)
    systems = dict(zip(cores["core_id"].astype(str), cores["river_system"])) if "river_system" in cores.columns else {}
    sa = [systems.get(str(a)) for a in linkages_table["core_a"]]
    sb = [systems.get(str(b)) for b in linkages_table["core_b"]]
    same = np.array([isinstance(x, str) and x != "" and x == y for x, y in zip(sa, sb)], dtype=bool)
    return same | (linkages_table["cwd_m"].to_numpy(dtype=float) <= float(max_cwd_m))


def run_centrality(
    cores: gpd.GeoDataFrame | str | os.PathLike | None = None,
    *,
    id_field: str = "id",
    kinds: Sequence[str] = ("subpopulation",),
    resistance: Raster | str | os.PathLike | None = None,
    resolution_m: float | None = None,
    weight: str = "cwd",
    truncate_m: float = linkages.DEFAULT_TRUNCATE_M,
    core_radius_m: float = 5000.0,
    max_exchange_cwd_m: float | None = programme.MAX_EXCHANGE_CWD_M,
    memory_limit: int | None = None,
    quiet: bool = True,
    cores_path: str | os.PathLike | None = None,
) -> CentralityAnalysis:
    """Current-flow centrality of the least-cost linkage network (what ``corridors circuit centrality`` runs).

    Parameters
    ----------
    cores : GeoDataFrame or path-like, optional
        Core areas (read by :func:`corridors.analyses.linkages.as_cores`: a
        file, a frame with the ``id_field`` column, or one with ``core_id``);
        default the bundled sites of ``kinds`` as cores of ``core_radius_m``.
    id_field : str, default 'id'
        The column of core ids in ``cores`` (``--id-field``).
    kinds : sequence of str, default ('subpopulation',)
        Site kinds of the default cores.
    resistance : Raster or path-like, optional
        A resistance surface in a projected CRS (metres), used as is; default the
        bundled surface over the cores plus 150 km.
    resolution_m : float, optional
        Cell size of the bundled surface; default :data:`corridors.settings.DEFAULT_RESOLUTION_M`.
    weight : {'cwd', 'eff_resist'}, default 'cwd'
        Link resistance: the cost-weighted distance (Linkage Mapper's default)
        or the corridor's effective resistance (a pinch-point run per linkage).
    truncate_m : float, default 200 000
        Corridor width of the least-cost run, cost-weighted metres.
    core_radius_m : float, default 5000
        Radius of the default cores round each site's point.
    max_exchange_cwd_m : float or None, default :data:`corridors.programme.MAX_EXCHANGE_CWD_M` (300 km)
        Only populations that can plausibly exchange deer are linked
        (:func:`plausible_exchange`): one river system, or a least-cost
        distance at most this; None keeps every linkage. The linkages left
        out are listed in ``parameters['not_linked']``.
    memory_limit : int, optional
        Bytes one cost-distance run may use.
    quiet : bool, default True
        No progress bar.
    cores_path : path-like, optional
        The file a ``cores`` frame was read from, listed in ``provenance.json``
        (a path given as ``cores`` is listed by itself).

    Returns
    -------
    CentralityAnalysis

    Raises
    ------
    ConfigError
        If ``weight`` is not one of :data:`WEIGHTS`.
    """
    if weight not in WEIGHTS:
        raise ConfigError(f"weight {weight!r}: choose one of {', '.join(WEIGHTS)}.")
    inputs: dict[str, Path] = {}
    if cores is None:
        sites = load_sites()
        cores = linkages.cores_from_sites(sites, radius_m=core_radius_m, kinds=list(kinds))
        cores["river_system"] = cores["core_id"].map(dict(zip(sites["id"].astype(str), sites["river_system"])))
        inputs["sites"] = settings.SITES_PATH
    else:
        cores, cores_file = as_cores(cores, id_field, core_radius_m / 1000)
        inputs.update(cores_file)
        if cores_path is not None:
            inputs["cores"] = Path(cores_path)
        cores_path = inputs.get("cores")
    surface, surface_inputs = step_resistance(cores, resistance, resolution_m)
    inputs.update(surface_inputs)
    links = linkages.build_linkages(surface, cores, truncate_m=truncate_m, quiet=quiet, memory_limit=memory_limit)
    keep = plausible_exchange(links.linkages, cores, max_exchange_cwd_m)
    dropped = links.linkages[~keep]
    not_linked = [f"{a}-{b}" for a, b in zip(dropped["core_a"], dropped["core_b"])]
    links.linkages = links.linkages[keep].reset_index(drop=True)
    col = WEIGHTS[weight]
    if weight == "eff_resist":
        pp = pinch_points(links)
        links.linkages = links.linkages.reset_index(drop=True)
        links.linkages["eff_resist"] = pp.table["eff_resist"].to_numpy()
    core_out, link_out = linkage_centrality(links, weight=col)
    parameters = {
        "cores": {"kinds": list(kinds)} if "sites" in inputs else {"file": str(cores_path) if cores_path is not None else None},
        "n_cores": int(len(core_out)), "n_linkages": int(len(link_out)), "weight": col, "truncate_m": truncate_m,
        "core_radius_m": core_radius_m, "resolution_m": max(surface.res), "shape": list(surface.shape),
        "resistance": surface.label,
        "max_exchange_cwd_m": max_exchange_cwd_m,
        "exchange_rule": "linked: cores on one river system, or a least-cost distance <= max_exchange_cwd_m"
                         if max_exchange_cwd_m is not None else "every linkage of the least-cost network",
        "not_linked": not_linked,
        "units": "cwd_m in cost-weighted metres; cf_central in cumulative A with 1 A between every pair of cores",
    }
    return CentralityAnalysis(cores=core_out, linkages=link_out, network=links, parameters=parameters, inputs=inputs)
