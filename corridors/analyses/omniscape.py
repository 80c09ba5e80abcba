"""The main job's Omniscape step: omnidirectional connectivity of the whole programme landscape.

Corridors between named cores say nothing of how the landscape as a whole
lets deer move; Omniscape does (McRae et al.; Landau et al. 2021).
:func:`run_programme_omniscape` builds the programme's resistance and
suitability surfaces at 5 km (the network's, ``data/resistance.yml`` on the
Natural Earth layers), takes every cell of suitability >= 0.5 as a source of
its suitability, and runs Omniscape with a 60 km radius and blocks of 3 x 3
cells (:mod:`corridors.programme`); :meth:`OmniscapeProgramme.write` writes
the maps, the flow classes and their areas, the map and ``provenance.json``.

Example
-------
>>> from corridors.analyses.omniscape import run_programme_omniscape
>>> result = run_programme_omniscape()      # about 5 s
>>> result.class_table
>>> result.write("out/omniscape")
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors import programme
from corridors.analyses._resistance import bundled_surface_inputs
from corridors.analyses.network_surfaces import network_bounds, network_surfaces
from corridors.io import provenance, staged_folder, write_csv
from corridors.omniscape import OmniscapeConfig, compute
from corridors.omniscape.run import OmniscapeInputs
from corridors.plot.omniscape_map import classify_flow, plot_flow_classes
from corridors.plot.save import save_figure
from corridors.raster import Raster
from corridors.sites import load_sites

#: Title of the step's map.
MAP_TITLE = "Omnidirectional connectivity of the programme landscape (Omniscape)"


@dataclass
class OmniscapeProgramme:
    """The Omniscape step's result.

    Attributes
    ----------
    cum_current, flow_potential, normalized_current : Raster
        Omniscape's three maps (NaN off land).
    flow_classes : Raster
        1 impeded, 2 diffuse, 3 intensified, 4 channelized (0 no data):
        :data:`corridors.programme.NORMALIZED_CURRENT_CLASSES`.
    targets : int
        Targets solved.
    parameters : dict
        As written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The bundled files the surfaces came from.
    """

    cum_current: Raster
    flow_potential: Raster
    normalized_current: Raster
    flow_classes: Raster
    targets: int
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def class_table(self) -> pd.DataFrame:
        """Land area and cumulative current of each flow class (``flow_classes.csv``)."""
        cls = self.flow_classes.array
        cur = np.nan_to_num(self.cum_current.array, nan=0.0)
        cell_km2 = self.flow_classes.cellsize ** 2 / 1e6
        land = int((cls > 0).sum())
        rows = []
        lo = 0.0
        for k, (name, hi) in enumerate(programme.NORMALIZED_CURRENT_CLASSES, 1):
            inside = cls == k
            rows.append({"class": name, "normalized_from": lo, "normalized_to": hi, "cells": int(inside.sum()),
                         "area_km2": round(float(inside.sum() * cell_km2), 1),
                         "land_pct": round(100.0 * inside.sum() / max(land, 1), 2),
                         "current_pct": round(100.0 * cur[inside].sum() / max(cur.sum(), 1e-300), 2)})
            lo = hi
        return pd.DataFrame(rows)

    def write(self, outdir: str | os.PathLike, *, map: bool = True) -> list[Path]:
        """Write the step's files into ``outdir``, moved in together when all are written.

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw ``omniscape_map.png/.svg``.

        Returns
        -------
        list of pathlib.Path
            ``cum_currmap.tif``, ``flow_potential.tif``, ``normalized_cum_currmap.tif``,
            ``flow_classes.tif``, ``flow_classes.csv``, the map files and ``provenance.json``.
        """
        out = Path(outdir)
        names = ["cum_currmap.tif", "flow_potential.tif", "normalized_cum_currmap.tif", "flow_classes.tif", "flow_classes.csv"]
        with staged_folder(out, name="omniscape") as tmp:
            for name, r in zip(names, (self.cum_current, self.flow_potential, self.normalized_current)):
                r.write(tmp / name, dtype="float32")
            self.flow_classes.write(tmp / "flow_classes.tif", dtype="uint8")
            write_csv(self.class_table, tmp / "flow_classes.csv")
            if map:
                fig, _ = plot_flow_classes(self.flow_classes, self.cum_current, programme.NORMALIZED_CURRENT_CLASSES,
                                           title=MAP_TITLE, note=self.note)
                names += [p.name for p in save_figure(fig, tmp / "omniscape_map", formats=("png", "svg"), dpi=200, close=True)]
            rec = provenance.record(inputs=self.inputs, parameters=self.parameters, command="corridors omniscape programme")
            rec["rests_on"] = self.note
            provenance.write(rec, tmp / "provenance.json")
            names.append("provenance.json")
        return [out / n for n in names]

    @property
    def note(self) -> str:
        """What the map rests on, in one paragraph (on the map and in ``provenance.json``)."""
        p = self.parameters
        return (f"Sources: land cells of suitability >= {p['min_suitability']:g} (expert table, data/resistance.yml, on "
                f"Natural Earth layers at {p['resolution_m'] / 1000:g} km), strength = suitability. Window radius "
                f"{p['radius_m'] / 1000:g} km = 2 x the assumed median dispersal of {programme.DEFAULT_MEDIAN_DISPERSAL_M / 1000:g} km; "
                f"blocks of {p['block_size']} x {p['block_size']} cells with artifact correction; {self.targets:,} targets. "
                "Class thresholds are this project's choice.")


def run_programme_omniscape(
    resolution_m: float = programme.NETWORK_RESOLUTION_M,
    radius_m: float = programme.OMNISCAPE_RADIUS_M,
    block_size: int = programme.OMNISCAPE_BLOCK_SIZE,
    min_suitability: float = programme.OMNISCAPE_MIN_SUITABILITY,
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> OmniscapeProgramme:
    """Omniscape on the programme landscape: sources from suitability, resistance from the expert table.

    Parameters
    ----------
    resolution_m : float, default :data:`corridors.programme.NETWORK_RESOLUTION_M`
        Cell size of the surfaces.
    radius_m : float, default :data:`corridors.programme.OMNISCAPE_RADIUS_M`
        Window radius, metres (rounded to whole cells).
    block_size : int, default :data:`corridors.programme.OMNISCAPE_BLOCK_SIZE`
        Odd; 1 solves every source cell.
    min_suitability : float, default :data:`corridors.programme.OMNISCAPE_MIN_SUITABILITY`
        Cells of lower suitability are no source.
    workers, scheduler
        As for :func:`corridors.omniscape.compute` (default: this process).

    Returns
    -------
    OmniscapeProgramme
    """
    bounds = network_bounds(load_sites())
    surf = network_surfaces(bounds, resolution_m)
    radius = max(1, int(round(radius_m / resolution_m)))
    res = surf.resistance.masked()
    suit = surf.suitability.masked()
    source = np.where(np.isfinite(suit) & (suit >= min_suitability), suit, 0.0)
    cfg = OmniscapeConfig(resistance_file=None, project_name="programme", radius=radius, block_size=block_size,
                          source_from_resistance=False, calc_flow_potential=True, calc_normalized_current=True,
                          solver="cholmod")
    result = compute(cfg, OmniscapeInputs(resistance=res, source=source, template=surf.resistance), workers=workers,
                     scheduler=scheduler)
    grid = surf.resistance

    def raster(a: np.ndarray, name: str) -> Raster:
        return grid.replace(np.asarray(a, dtype="float64"), nodata=np.nan, name=name)

    norm = raster(result.normalized_current, "normalized_cum_currmap")
    classes = grid.replace(classify_flow(norm.array, programme.NORMALIZED_CURRENT_CLASSES), nodata=0, name="flow_classes")
    params = {"resolution_m": resolution_m, "radius_m": radius * resolution_m, "radius_cells": radius, "block_size": block_size,
              "min_suitability": min_suitability, "source": "suitability", "solver": "cholmod",
              "classes": {name: hi for name, hi in programme.NORMALIZED_CURRENT_CLASSES}}
    return OmniscapeProgramme(cum_current=raster(result.cum_current, "cum_currmap"),
                              flow_potential=raster(result.flow_potential, "flow_potential"), normalized_current=norm,
                              flow_classes=classes, targets=result.targets, parameters=params, inputs=bundled_surface_inputs())
