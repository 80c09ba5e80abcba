"""The main job's viability step: the baseline PVA of the programme's populations to 2032 and 2050.

:func:`run_programme_pva` takes the programme's habitat network (the one
definition of :mod:`corridors.analyses.programme_network`: 15 populations,
suitability-weighted habitat within 15 km, least-cost links), and runs the
stochastic metapopulation model of :mod:`corridors.pva` on it:

- starting abundance: the counts of ``data/pva.yml`` (each with its year,
  source and range); a population the file gives no count for is left out and
  listed, never given an invented one;
- carrying capacity K: the node's habitat (km2) times the density of
  ``data/pva.yml`` (the middle of its low-high range, an assumption);
- dispersal: a leaver of population i reaches j with the network's link
  probability p_ij (p = 0.5 at the 30 km median dispersal distance), shared in
  proportion when the p_ij of a row sum above 1; the rest die on the way;
- environmental correlation over the straight distance between the nodes.

:meth:`ProgrammePVA.write` writes the tables, the trajectory fans and the risk
curves, and ``provenance.json`` with what the run rests on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors import programme, settings
from corridors.analyses.programme_network import programme_graph
from corridors.io import provenance, staged_folder, write_csv
from corridors.plot.pva import plot_risk_curves, plot_trajectories, population_label
from corridors.plot.save import save_figure
from corridors.pva import (Population, PVAParameters, Trajectories, growth_rate, lhs_sensitivity, load_parameters,
                           projection_matrix, simulate)

#: The programme's horizon and a longer one (years reported in the tables).
HORIZONS = (2032, 2050)
#: First year simulated (the census the counts are moved to is the start of this year).
START_YEAR = 2025


def stable_split(params: PVAParameters, count: int) -> np.ndarray:
    """``count`` animals split into stage and sex by the stable distribution of the mean projection matrix.

    Returns
    -------
    ndarray (3, 2) of int
        Rounded by largest remainder, so the parts sum to ``count``.
    """
    vals, vecs = np.linalg.eig(projection_matrix(params))
    w = np.abs(np.real(vecs[:, int(np.argmax(np.abs(vals)))]))
    w = w / w.sum()
    raw = w * count
    out = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - out), kind="stable")[: count - out.sum()]:
        out[k] += 1
    return out.reshape(3, 2)


@dataclass
class ProgrammePVA:
    """The viability step's result.

    Attributes
    ----------
    trajectories : corridors.pva.Trajectories
    table : DataFrame
        Per population and in total: start count, K, P(quasi-extinct) by 2032
        and 2050, median and 5-95 % abundance in those years, expected minimum
        abundance.
    left_out : DataFrame
        Populations of the network with no count in ``data/pva.yml``.
    parameters : dict
    inputs : dict of str to pathlib.Path
    sensitivity, sensitivity_draws : DataFrame, optional
        :func:`corridors.pva.lhs_sensitivity` of the total's expected minimum
        abundance to 2050, when asked (``sensitivity.csv``, ``sensitivity_draws.csv``).
    """

    trajectories: Trajectories
    table: pd.DataFrame
    left_out: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)
    sensitivity: pd.DataFrame | None = None
    sensitivity_draws: pd.DataFrame | None = None

    @property
    def calendar_years(self) -> np.ndarray:
        """Calendar year of each census."""
        return START_YEAR + self.trajectories.years

    def write(self, outdir: str | os.PathLike, *, map: bool = True) -> list[Path]:
        """Write ``viability.csv``, ``left_out.csv``, ``trajectories_map.png/.svg``, ``risk_map.png/.svg``, ``provenance.json``.

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw the two figures (named ``*_map`` like every step's figure).

        Returns
        -------
        list of pathlib.Path
        """
        out = Path(outdir)
        names = ["viability.csv", "left_out.csv"]
        t = self.trajectories
        with staged_folder(out, name="viability") as tmp:
            write_csv(self.table, tmp / "viability.csv")
            write_csv(self.left_out, tmp / "left_out.csv")
            if self.sensitivity is not None:
                write_csv(self.sensitivity, tmp / "sensitivity.csv")
                write_csv(self.sensitivity_draws, tmp / "sensitivity_draws.csv")
                names += ["sensitivity.csv", "sensitivity_draws.csv"]
            if map:
                years = self.calendar_years
                names_of = dict(zip(self.table["id"], self.table.get("name", self.table["id"])))
                labels = [population_label(i, names_of.get(i)) for i in t.names]
                fig = plot_trajectories(t.abundance, labels, years, marks=HORIZONS,
                                        title="Baseline viability of the programme's populations (assumed vital rates)")
                names += [p.name for p in save_figure(fig, tmp / "trajectories_map", formats=("png", "svg"), dpi=150, close=True)]
                fig = plot_risk_curves(t.abundance, labels, years, t.quasi_extinction,
                                       title="Quasi-extinction risk, baseline")
                names += [p.name for p in save_figure(fig, tmp / "risk_map", formats=("png", "svg"), dpi=150, close=True)]
            rec = provenance.record(inputs=self.inputs, parameters=self.parameters, command="corridors pva")
            rec["rests_on"] = [
                "vital rates of other red deer populations (data/pva.yml, each marked assumed), not measured on Bukhara deer",
                _counts_basis(self.table),
                *catastrophes_basis(self.parameters.get("catastrophes", [])),
                "K = the network node's suitability-weighted habitat x an assumed density range (its middle)",
                "dispersal along the habitat network's least-cost links (p = 0.5 at an assumed 30 km median distance)",
            ]
            provenance.write(rec, tmp / "provenance.json")
            names.append("provenance.json")
        return [out / n for n in names]


def catastrophes_basis(catastrophes: list[dict[str, Any]]) -> list[str]:
    """What the catastrophes rest on: their yearly probabilities, each striking every population on its own."""
    if not catastrophes:
        return []
    each = ", ".join(f"{c['name'].replace('_', ' ')} {c['probability']:g}" for c in catastrophes)
    return [f"catastrophes of data/pva.yml (a year's probability: {each}; assumed) strike each population "
            "independently, though a drought is a whole river's: the risk that a river's populations fall together "
            "is understated"]


def _counts_basis(table: pd.DataFrame) -> str:
    """What the starting counts rest on, from their sources: how many are placeholders rather than counts."""
    src = table.loc[table["id"] != "all", "count_source"].dropna().astype(str)
    guessed = int(src.str.contains("order of magnitude|assumption", case=False).sum())
    text = f"starting counts of data/pva.yml with their year, source and range ({len(src)} populations"
    if guessed:
        text += f"; {guessed} of them order-of-magnitude placeholders, not census counts: see count_source"
    return text + "); populations without a count left out"


def programme_populations(params: PVAParameters, graph: Any = None, *, empty: Mapping[str, float] | None = None,
                          places: Any = None) -> tuple[Population, pd.DataFrame, pd.DataFrame]:
    """The programme network's populations as the model's arrays, and the nodes left out (no count).

    Parameters
    ----------
    params : PVAParameters
    graph : HabitatGraph, optional
        Nodes with ``capacity`` (ha of habitat) and a geometry, links with ``i``, ``j``,
        ``probability``; default :func:`corridors.analyses.programme_network.programme_graph`
        (a scenario passes its own network).
    empty : mapping of str to float, optional
        Nodes that start with no animals and this K (animals), whether or not
        ``data/pva.yml`` counts them: the sites a scenario reintroduces deer
        into (their K is the capacity the scenario plans for them).
    places : GeoSeries, optional
        Geometry of each node by id (metric CRS), for a graph whose node table has
        none (a scenario's network); default the node table's geometry.

    Returns
    -------
    (Population, DataFrame, DataFrame)
        The populations; per population its start count, year, source, K and
        habitat; the nodes without a count.
    """
    g = graph if graph is not None else programme_graph()
    counts = params.populations
    empty = {str(k): float(v) for k, v in (empty or {}).items() if str(k) in set(g.ids)}
    ids = [i for i in g.ids if i in counts or i in empty]
    left = pd.DataFrame({"id": [i for i in g.ids if i not in ids],
                         "name": [str(g.nodes.loc[i].get("name", i)) for i in g.ids if i not in ids]})
    left["reason"] = "no count in data/pva.yml"
    density = params.density_dependence.density_per_km2
    per_km2 = (density.low + density.high) / 2.0
    habitat_km2 = np.array([float(g.nodes.loc[i, "capacity"]) / 100.0 for i in ids])
    capacity = np.array([np.floor(empty[i]) if i in empty else np.floor(h * per_km2) for i, h in zip(ids, habitat_km2)])
    initial = (np.stack([np.zeros((3, 2), int) if i in empty else stable_split(params, int(counts[i].count)) for i in ids])
               if ids else np.zeros((0, 3, 2), int))
    pts = (g.nodes.loc[ids].geometry if places is None else places.loc[ids]).representative_point()
    xy = np.c_[pts.x.to_numpy(), pts.y.to_numpy()]
    dist_km = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000.0
    p = np.zeros((len(ids), len(ids)))
    pos = {k: n for n, k in enumerate(ids)}
    for _, link in g.links.iterrows():
        a, b = str(link["i"]), str(link["j"])
        if a in pos and b in pos:
            p[pos[a], pos[b]] = p[pos[b], pos[a]] = float(link["probability"])
    rows = p.sum(axis=1, keepdims=True)
    disp = np.where(rows > 1, p / np.where(rows > 0, rows, 1), p)
    def of(i: str, attr: str, none: Any) -> Any:
        return none if i in empty else getattr(counts[i], attr)

    table = pd.DataFrame({"id": ids, "name": [str(g.nodes.loc[i].get("name", i)) for i in ids],
                          "count": [int(of(i, "count", 0)) for i in ids], "count_low": [of(i, "low", 0) for i in ids],
                          "count_high": [of(i, "high", 0) for i in ids], "count_year": [of(i, "year", None) for i in ids],
                          "count_source": [of(i, "source", "reintroduced: no animals until an action brings them")
                                           for i in ids], "habitat_km2": habitat_km2, "K": capacity})
    return Population(ids, initial, capacity, dist_km, disp), table, left


def run_programme_pva(*, replicates: int = 2_000, seed: int = 2025, params: PVAParameters | str | os.PathLike | None = None,
                      graph: Any = None, sensitivity_draws: int = 0) -> ProgrammePVA:
    """The baseline PVA of the programme's populations (``corridors pva``, the main job's ``viability`` step).

    Parameters
    ----------
    replicates : int, default 2000
        Simulated futures (10,000 for a final figure; the main job keeps 2,000 for time).
    seed : int, default 2025
    params : PVAParameters or path-like, optional
        The parameter file (default ``data/pva.yml``), or parameters already
        read (then no file is listed in the provenance).
    graph : HabitatGraph, optional
        Default :func:`corridors.analyses.programme_network.programme_graph`.
    sensitivity_draws : int, default 0
        Latin-hypercube draws of the vital rates, K, starting counts,
        catastrophes and dispersal (:func:`corridors.pva.lhs_sensitivity`,
        500 replicates each), ranked by their rank correlation with the
        total's expected minimum abundance to 2050; 0: none.

    Returns
    -------
    ProgrammePVA
    """
    if isinstance(params, PVAParameters):
        prm, inputs = params, {"sites": settings.SITES_PATH}
    else:
        path = Path(params) if params is not None else settings.DATA_DIR / "pva.yml"
        prm, inputs = load_parameters(path), {"pva_parameters": path, "sites": settings.SITES_PATH}
    pops, info, left = programme_populations(prm, graph)
    years = max(HORIZONS) - START_YEAR
    traj = simulate(prm, pops, years=years, replicates=replicates, seed=seed)
    table = _table(traj, info)
    parameters = {"replicates": replicates, "seed": seed, "start_year": START_YEAR, "horizons": list(HORIZONS),
                  "quasi_extinction": traj.quasi_extinction, "lambda0": growth_rate(prm),
                  "median_dispersal_m": programme.DEFAULT_MEDIAN_DISPERSAL_M, **{k: v for k, v in traj.settings.items()
                                                                                   if isinstance(v, (int, float, str, bool))}}
    parameters["catastrophes"] = [{"name": c.name, "probability": c.probability} for c in prm.catastrophes]
    result = ProgrammePVA(traj, table, left, parameters, inputs)
    if sensitivity_draws:
        result.sensitivity, result.sensitivity_draws = lhs_sensitivity(prm, pops, n=sensitivity_draws, years=years,
                                                                       replicates=500, seed=seed, outcome="ema")
        parameters["sensitivity"] = {"draws": sensitivity_draws, "replicates": 500, "outcome": "expected minimum abundance, total"}
    return result


def _table(traj: Trajectories, info: pd.DataFrame, horizons: tuple[int, ...] = HORIZONS) -> pd.DataFrame:
    """Per population and in total: risk and abundance at the horizons (calendar years), expected minimum abundance."""
    a = traj.abundance.astype("float64")
    q = traj.quasi_extinction
    series = [(i, a[:, :, k]) for k, i in enumerate(traj.names)] + [("all", a.sum(axis=2))]
    rows = []
    for pid, x in series:
        row: dict[str, Any] = {"id": pid, "note": ""}
        lost = np.maximum.accumulate(x < q, axis=1)
        starts_below = bool((x[:, 0] < q).all())
        if starts_below:
            row["note"] = f"starts below the quasi-extinction threshold ({q:g}): its risk is not defined"
        for year in horizons:
            t = year - START_YEAR
            row[f"p_quasi_extinct_{year}"] = float("nan") if starts_below else float(lost[:, t].mean())
            # inverted_cdf: the median and the 5 % and 95 % points are counts some run reached, not
            # interpolations between two runs
            p05, med, p95 = (float(v) for v in np.percentile(x[:, t], [5, 50, 95], method="inverted_cdf"))
            row[f"median_{year}"], row[f"p05_{year}"], row[f"p95_{year}"] = med, p05, p95
        row["expected_minimum_abundance"] = float(x.min(axis=1).mean())
        rows.append(row)
    out = pd.DataFrame(rows)
    if not len(info):
        return out
    merged = info.merge(out, on="id", how="right")
    merged.loc[merged["id"] == "all", ["count", "K", "habitat_km2"]] = [info["count"].sum(), info["K"].sum(),
                                                                       info["habitat_km2"].sum()]
    merged.loc[merged["id"] == "all", "name"] = "all populations"
    for col in ("count", "count_low", "count_high", "count_year", "K"):  # whole numbers, blank where none
        merged[col] = pd.to_numeric(merged[col]).round().astype("Int64")
    merged["habitat_km2"] = merged["habitat_km2"].round(1)
    return merged
