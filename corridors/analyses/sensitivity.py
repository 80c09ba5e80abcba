"""Where raising a cell's conductance helps most: per-cell sensitivity of the programme's candidate corridors, or of your cores' linkages.

:func:`run_sensitivity` maps the least-cost corridors (the programme's, or
with ``cores`` the linkages between your cores, as ``corridors circuit
pinch`` does), drives 1 A through each corridor (Pinchpoint Mapper,
:func:`corridors.circuit.pinch.pinch_points`) and turns those voltages,
with no further solve, into each cell's gain (:mod:`corridors.restore.sensitivity`):

- ``resistance``: ``-dR/dc`` of each corridor's effective resistance, summed over the corridors;
- ``lcd``: ``-dLCD/dc = r^2 dLCD/dr`` along each corridor's least-cost path;
- ``ec``: ``dEC/dc`` of the EC(PC) of the network whose nodes are the cores
  (capacity: core area, ha) and whose links are the corridors, of distance
  ``eff_resist x cell size`` and probability ``exp(-k d)``, ``p = 0.5`` at the
  median dispersal distance.

Every gain is the gain from raising conductance (higher = better to restore).
:meth:`SensitivityAnalysis.write` writes ``sensitivity_<measure>.tif`` (summed),
optionally one GeoTIFF per corridor, ``sensitivity_corridors.csv``,
``sensitivity_top_cells.csv`` and ``provenance.json``.

Example
-------
>>> from corridors.analyses.sensitivity import run_sensitivity
>>> result = run_sensitivity()              # the programme's corridors on the bundled surface
>>> result.top_cells(5)
>>> result.write("out/sensitivity")
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
from pyproj import Transformer
from shapely.geometry import box

from corridors import linkages, settings
from corridors._errors import ConfigError
from corridors.analyses._corridor_step import step_linkages
from corridors.circuit.pinch import PinchResult, check_cutoff, pinch_points
from corridors.io.files import check_output_folder
from corridors.linkages import LinkageResult
from corridors.network.graph import HabitatGraph, dispersal_k
from corridors.plot.restoration_map import plot_restoration
from corridors.plot.save import save_figure
from corridors.programme import DEFAULT_MEDIAN_DISPERSAL_M, PROGRAMME_CORRIDORS, ProgrammeCorridor
from corridors.raster import Raster
from corridors.restore.adjoint import EdgeStencil
from corridors.restore.sensitivity import GAIN_MEANING, MEASURES, SensitivityResult, ec_link_sensitivity, path_gain, write_results

#: Columns of the programme's corridor list put in front of the table.
_CORRIDOR_COLUMNS = ("corridor", "measure", "name")


@dataclass
class SensitivityAnalysis:
    """The sensitivity step's result.

    Attributes
    ----------
    linkages : corridors.linkages.LinkageResult
        The least-cost corridors.
    pinch : corridors.circuit.pinch.PinchResult
        The 1 A solves the circuit gains come from.
    results : dict of str to SensitivityResult
        One per measure asked for.
    ec_links : pandas.DataFrame or None
        ``dEC/dp`` and ``dEC/dd`` of each corridor (measure ``ec``).
    lead : dict of str to numpy.ndarray
        Per measure, the row (in ``linkages.linkages``) of the corridor giving each cell most of its gain (-1: none).
    parameters, inputs : dict
        For ``provenance.json``.
    """

    linkages: LinkageResult
    pinch: PinchResult
    results: dict[str, SensitivityResult]
    ec_links: pd.DataFrame | None = None
    lead: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)

    def _label(self, k: int) -> str:
        row = self.linkages.linkages.iloc[k]
        if "corridor" in row.index:
            return str(row["corridor"])
        return f"{row['core_a']}-{row['core_b']}"

    @property
    def table(self) -> pd.DataFrame:
        """One row per corridor: its ends, ``eff_resist``, ``cwd_m`` and per measure the largest gain and its cell."""
        links = self.linkages.linkages.reset_index(drop=True)
        cols = [c for c in _CORRIDOR_COLUMNS if c in links.columns]
        out = links[cols + ["core_a", "core_b"]].copy()
        out["cwd_m"] = links["cwd_m"].to_numpy() if "cwd_m" in links.columns else np.nan
        out["eff_resist"] = self.pinch.table["eff_resist"].to_numpy()
        for m, res in self.results.items():
            t = res.table.set_index(["id_a", "id_b"])
            keys = list(zip(out["core_a"].astype(str), out["core_b"].astype(str)))
            for col, new in (("max_gain", f"{m}_max_gain"), ("x", f"{m}_x"), ("y", f"{m}_y")):
                out[new] = [float(t[col].get(k, np.nan)) for k in keys]
        if self.ec_links is not None:
            out["dEC_dd"] = self.ec_links["dEC_dd"].to_numpy()
        return out

    def top_cells(self, n: int = 10, measure: str | None = None) -> pd.DataFrame:
        """The ``n`` cells of highest summed gain: rank, row, col, x, y, lon, lat, gain and the corridor that gives most of it.

        Parameters
        ----------
        n : int, default 10
        measure : str, optional
            Default ``'resistance'`` if computed, else the first measure.

        Returns
        -------
        pandas.DataFrame
        """
        m = measure or ("resistance" if "resistance" in self.results else next(iter(self.results)))
        if m not in self.results:
            raise ConfigError(f"top_cells: measure {m!r} was not computed; choose one of {', '.join(self.results)}.")
        total = self.results[m].total
        arr = np.nan_to_num(total.array, nan=0.0)
        k = min(n, int(np.count_nonzero(arr > 0)))
        flat = np.argsort(arr, axis=None)[::-1][:k]
        r, c = np.unravel_index(flat, arr.shape)
        x, y = total.xy(r, c)
        lon, lat = (np.full(k, np.nan), np.full(k, np.nan))
        if total.crs is not None and k:
            lon, lat = Transformer.from_crs(total.crs, settings.GEOGRAPHIC_CRS, always_xy=True).transform(x, y)
        lead = self.lead.get(m)
        return pd.DataFrame({
            "rank": np.arange(1, k + 1), "row": r, "col": c, "x": x, "y": y, "lon": lon, "lat": lat, "gain": arr[r, c],
            "corridor": [self._label(int(lead[i, j])) if lead is not None and lead[i, j] >= 0 else "" for i, j in zip(r, c)],
            "measure": m,
        })

    def write(self, outdir: str | os.PathLike, *, top: int = 20, map: bool = True) -> list[Path]:
        """Write the GeoTIFFs, ``sensitivity_corridors.csv``, ``sensitivity_top_cells.csv`` (and the EC links) and ``provenance.json``, all or none.

        Parameters
        ----------
        outdir : path-like
            Created if missing; refused if it holds files corridors did not write.
        top : int, default 20
            Rows of ``sensitivity_top_cells.csv`` per measure.
        map : bool, default True
            Draw ``sensitivity_map.png/.svg``: the summed gain of the first
            measure over the base map, in the raster's CRS, with the five
            best cells marked.

        Returns
        -------
        list of pathlib.Path
        """
        check_output_folder(Path(outdir))
        extra = {"sensitivity_corridors.csv": self.table,
                 "sensitivity_top_cells.csv": pd.concat([self.top_cells(top, m) for m in self.results], ignore_index=True)}
        if self.ec_links is not None:
            extra["sensitivity_ec_links.csv"] = self.ec_links
        return write_results(list(self.results.values()), outdir, inputs=self.inputs, parameters=self.parameters,
                             command="corridors restore sensitivity", extra_tables=extra,
                             figure=self._figure if map else None)

    def _figure(self, folder: Path) -> list[Path]:
        """The summed gain of the first measure with its five best cells, over the base map (``sensitivity_map``)."""
        m = "resistance" if "resistance" in self.results else next(iter(self.results))
        total = self.results[m].total
        best = self.top_cells(5, m)
        half = abs(total.res[0]) / 2
        cells = gpd.GeoDataFrame({"site_id": [f"S{k}" for k in best["rank"]], "x": best["x"], "y": best["y"]},
                                 geometry=[box(x - half, y - half, x + half, y + half) for x, y in zip(best["x"], best["y"])],
                                 crs=total.crs)
        label = {"resistance": "gain -dR/dc, summed over the corridors", "lcd": "gain -dLCD/dc, summed over the corridors",
                 "ec": "gain dEC/dc of the cores' network"}[m]
        fig, _ = plot_restoration(total, cells, self.linkages, score_label=label, site_label="best cells: S1 ...",
                                  vmax_percentile=99.0,
                                  title="Where raising conductance helps the corridors most (circuit sensitivity)")
        return save_figure(fig, folder / "sensitivity_map", formats=("png", "svg"), dpi=200)


def _window(mask: np.ndarray) -> tuple[slice, slice] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def corridor_gains(
    links: LinkageResult,
    pinch: PinchResult,
    measures: Sequence[str] = MEASURES,
    *,
    median_dispersal_m: float = DEFAULT_MEDIAN_DISPERSAL_M,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    per_pair: bool = False,
) -> tuple[dict[str, SensitivityResult], pd.DataFrame | None, dict[str, np.ndarray]]:
    """Each measure's gain from the corridors' pinch voltages and least-cost paths (no further solve).

    Parameters
    ----------
    links : LinkageResult
    pinch : PinchResult
        Solved with ``keep_per_linkage=True`` (its voltages are the adjoint).
    measures : sequence of str
        Any of :data:`corridors.restore.sensitivity.MEASURES`.
    median_dispersal_m : float
        ``p = 0.5`` at this distance (measure ``ec``).
    four_neighbors, avg_resistances
        The conventions the pinch solves used.
    per_pair : bool
        Keep each corridor's gain raster.

    Returns
    -------
    (dict of str to SensitivityResult, DataFrame or None, dict of str to numpy.ndarray)
        The results, the EC link derivatives and each measure's leading corridor per cell.
    """
    surface = links.resistance
    shape = surface.shape
    cond = np.where(surface.valid, 1.0 / np.where(surface.valid, surface.array.astype("float64"), 1.0), 0.0)
    lk = links.linkages.reset_index(drop=True)
    keys = [(str(a), str(b)) for a, b in zip(lk["core_a"], lk["core_b"])]
    eff = pinch.table["eff_resist"].to_numpy(dtype=float)
    scale = float(max(surface.res))
    ec_links = None
    weights = np.zeros(len(lk))
    if "ec" in measures:
        cores = links.cores
        cap = cores["area_ha"].to_numpy(dtype=float) if "area_ha" in cores.columns else np.ones(len(cores))
        nodes = pd.DataFrame({"capacity": cap}, index=cores["core_id"].astype(str).to_numpy())
        ok = eff > 0
        k = dispersal_k(median_dispersal_m)
        dist = np.where(ok, eff * scale, np.inf)
        hg_links = pd.DataFrame({"i": [a for a, _ in keys], "j": [b for _, b in keys], "distance_m": dist,
                                 "probability": np.where(ok, np.exp(-k * np.where(ok, dist, 0.0)), 0.0)})
        ec_links = ec_link_sensitivity(HabitatGraph(nodes, hg_links, name="corridor network"), k)
        ec_links.insert(2, "eff_resist", eff)
        ec_links.insert(3, "distance_m", dist)
        weights = -ec_links["dEC_dd"].to_numpy() * scale  # dEC/dR of each corridor, negated
    sums = {m: np.zeros(shape) for m in measures}
    best = {m: np.zeros(shape) for m in measures}
    lead = {m: np.full(shape, -1, dtype=np.int64) for m in measures}
    rows: dict[str, list[dict[str, Any]]] = {m: [] for m in measures}
    per: dict[str, dict[tuple[str, str], Raster]] = {m: {} for m in measures}
    for n, key in enumerate(keys):
        gains: dict[str, np.ndarray | None] = {}
        need_r = "resistance" in measures or "ec" in measures
        if need_r:
            g = np.zeros(shape)
            cc = pinch.per_linkage.get(key)
            if cc is None:
                raise ConfigError(f"corridor {key[0]}-{key[1]}: the pinch run kept no voltages; run pinch_points(keep_per_linkage=True).")
            v = cc.voltage.array
            on = np.isfinite(v)
            win = _window(on)
            if win is not None and eff[n] > 0:
                st = EdgeStencil(np.where(on[win], cond[win], 0.0), four_neighbors=four_neighbors, avg_resistances=avg_resistances)
                g[win] = st.gain(np.where(on[win], v[win], 0.0))
            if "resistance" in measures:
                gains["resistance"] = g
            if "ec" in measures:
                gains["ec"] = g * weights[n]
        if "lcd" in measures:
            geom = lk.geometry.iloc[n]
            gl = np.zeros(shape)
            if geom is not None and not geom.is_empty:
                xy = np.asarray(geom.coords)
                rr, cc_ = surface.rowcol(xy[:, 0], xy[:, 1])
                rc = np.column_stack([rr, cc_])
                keep = np.r_[True, np.any(np.diff(rc, axis=0) != 0, axis=1)] if len(rc) > 1 else np.ones(len(rc), bool)
                _, gl = path_gain(surface, rc[keep])
            gains["lcd"] = gl
        for m, g in gains.items():
            sums[m] += g
            better = g > best[m]
            lead[m][better] = n
            best[m][better] = g[better]
            value = {"resistance": eff[n], "lcd": float(lk["cwd_m"].iloc[n]) if "cwd_m" in lk.columns else np.nan,
                     "ec": float(ec_links["dEC_dd"].iloc[n]) if ec_links is not None else np.nan}[m]
            row = {"id_a": key[0], "id_b": key[1], "value": value, "max_gain": np.nan, "row": -1, "col": -1, "x": np.nan, "y": np.nan}
            if np.nanmax(g) > 0:
                k_ = int(np.nanargmax(g))
                r_, c_ = divmod(k_, shape[1])
                x, y = surface.xy(r_, c_)
                row.update(max_gain=float(g.flat[k_]), row=r_, col=c_, x=float(x), y=float(y))
            rows[m].append(row)
            if per_pair:
                per[m][key] = surface.replace(np.where(surface.valid, g, np.nan), nodata=-9999.0, name=f"{m} gain {key[0]}-{key[1]}")
    results = {}
    for m in measures:
        total = surface.replace(np.where(surface.valid, sums[m], np.nan), nodata=-9999.0, name=f"{m} gain")
        params = {"value": {"resistance": "effective resistance of the corridor (cell-resistance units)",
                            "lcd": "least-cost distance of the corridor (cost-weighted m)",
                            "ec": "dEC/dd of the corridor's link (capacity units per metre)"}[m],
                  "four_neighbors": four_neighbors, "avg_resistances": avg_resistances}
        if m == "ec":
            params.update(EC=ec_links.attrs.get("EC"), median_dispersal_m=median_dispersal_m, scale_m=scale,
                          links="one per corridor: d = eff_resist x cell size, p = exp(-k d); nodes the cores, capacity area_ha")
        results[m] = SensitivityResult(m, total, per[m], pd.DataFrame(rows[m]), params)
    return results, ec_links, lead


def check_measures(measures: Sequence[str] | str) -> tuple[str, ...]:
    """The measures asked for, checked (``'all'`` = every one).

    Raises
    ------
    ConfigError
        Naming ``--measure`` and the choices, for an unknown measure.
    """
    if isinstance(measures, str):
        measures = MEASURES if measures == "all" else (measures,)
    bad = [m for m in measures if m not in MEASURES]
    if bad or not measures:
        raise ConfigError(f"--measure {', '.join(bad) or '(none)'}: unknown; choose one of {', '.join(MEASURES)} or all.")
    return tuple(dict.fromkeys(measures))


def run_sensitivity(
    resistance: Raster | str | os.PathLike | None = None,
    *,
    cores: gpd.GeoDataFrame | str | os.PathLike | None = None,
    id_field: str = "id",
    measures: Sequence[str] | str = MEASURES,
    per_pair: bool = False,
    sites: gpd.GeoDataFrame | None = None,
    corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
    resolution_m: float | None = None,
    truncate_m: float = linkages.DEFAULT_TRUNCATE_M,
    cutoff_m: float | None = None,
    core_radius_m: float = 5000.0,
    median_dispersal_m: float = DEFAULT_MEDIAN_DISPERSAL_M,
    memory_limit: int | None = None,
    quiet: bool = True,
) -> SensitivityAnalysis:
    """Per-cell sensitivity of the programme's candidate corridors, or of the linkages between your cores (``corridors restore sensitivity``).

    The corridors and their 1 A solves are those of :func:`corridors.analyses.pinch.run_pinch`
    (same parameters, same defaults); the gains come from those voltages and
    the least-cost paths, with no further solve.

    Parameters
    ----------
    resistance, cores, id_field, sites, corridors, resolution_m, truncate_m, cutoff_m, core_radius_m, memory_limit, quiet
        As in :func:`corridors.analyses.pinch.run_pinch`.
    measures : sequence of str or 'all'
        Any of ``resistance``, ``lcd``, ``ec``.
    per_pair : bool, default False
        Keep (and write) each corridor's gain raster.
    median_dispersal_m : float, default 30 000
        ``p = 0.5`` at this distance (measure ``ec``).

    Returns
    -------
    SensitivityAnalysis

    Raises
    ------
    ConfigError
        An unknown measure, a cutoff that is not positive, cores and sites both given.
    """
    ms = check_measures(measures)
    dispersal_k(median_dispersal_m)  # checked before the least-cost runs
    cutoff = check_cutoff(cutoff_m if cutoff_m is not None else truncate_m)
    step = step_linkages("run_sensitivity", resistance, cores=cores, id_field=id_field, sites=sites, corridors=corridors,
                         resolution_m=resolution_m, truncate_m=truncate_m, core_radius_m=core_radius_m,
                         memory_limit=memory_limit, quiet=quiet)
    links, inputs = step.links, step.inputs
    pinch = pinch_points(links, cutoff_m=cutoff, keep_per_linkage=True)
    results, ec_links, lead = corridor_gains(links, pinch, ms, median_dispersal_m=median_dispersal_m, per_pair=per_pair)
    parameters = {
        **step.what, "core_radius_m": core_radius_m, "truncate_m": truncate_m, "cutoff_m": cutoff,
        "median_dispersal_m": median_dispersal_m, **step.surface_parameters,
        "sign": "every gain is the gain from raising the cell's conductance 1/r: higher = better place to restore",
        "rests_on": "the pinch step's 1 A per corridor (Circuitscape pairwise inside the corridor cut at cutoff_m), "
                    "the least-cost paths, and the expert resistance table of the surface",
        "gains": {m: GAIN_MEANING[m] for m in ms},
    }
    return SensitivityAnalysis(linkages=links, pinch=pinch, results=results, ec_links=ec_links, lead=lead,
                               parameters=parameters, inputs=inputs)


__all__ = ["SensitivityAnalysis", "check_measures", "corridor_gains", "run_sensitivity"]
