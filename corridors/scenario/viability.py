"""The viability step of a scenario run: the PVA of the scenario's network, and of its baseline, with the same settings.

When a scenario has a ``pva:`` section, :func:`scenario_viability` runs the
metapopulation model of :mod:`corridors.pva` twice on the networks the run
has already built (:mod:`corridors.analyses.pva` turns a network into the
model's arrays):

- the baseline: the network without interventions, no management action;
- the scenario: the scenario's network (its reintroduced sites are
  populations that start empty, with K the capacity the intervention plans;
  a population control's capacity change is in the node's capacity, so in K)
  and the ``pva:`` actions.

Both use the same seed, replicates and years. The model draws each
population's randomness from its own streams seeded by the seed and the
population's name (its weather from a stream of its own, a fixed number of
draws a year), so a population the scenario does not touch, directly or
through dispersal, sees the same years in both runs, and every population
the same weather: the difference is the scenario's, not chance's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from corridors import settings
from corridors._errors import ConfigError
from corridors.analyses.programme_network import node_of
from corridors.analyses.pva import HORIZONS, START_YEAR, _table, programme_populations
from corridors.pva import Harvest, Population, PVAParameters, Release, Trajectories, Translocation, load_parameters
from corridors.pva import Reintroduction as Founders
from corridors.pva import simulate
from corridors.scenario.context import Analysis, _Context
from corridors.scenario.schema import (PVA_START_YEAR, PVAHarvest, PVAReintroduction, PVARelease, PVATranslocation,
                                       Reintroduction, Scenario)

#: Columns of viability.csv compared between the scenario and its baseline (``<col>_base`` beside each).
COMPARED = ("p_quasi_extinct", "median")


@dataclass
class ScenarioViability:
    """The viability step's result.

    Attributes
    ----------
    table : DataFrame
        Per population of the scenario and in total (``id == 'all'``): start
        count, K, P(quasi-extinct) and median abundance at each horizon,
        expected minimum abundance, and the same of the baseline run
        (``*_base``; empty for a population the baseline does not have).
    actions : DataFrame
        The model's actions: type, measure, from, to, number or rate, stage, sex, calendar years.
    left_out : DataFrame
        Nodes of the scenario's network the model leaves out (no count in data/pva.yml).
    scenario, baseline : corridors.pva.Trajectories
    horizons : tuple of int
        Calendar years reported.
    params : PVAParameters
    parameters : dict
        Replicates, seed, years, quasi-extinction threshold (for the provenance).
    """

    table: pd.DataFrame
    actions: pd.DataFrame
    left_out: pd.DataFrame
    scenario: Trajectories
    baseline: Trajectories
    horizons: tuple[int, ...]
    params: PVAParameters
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def calendar_years(self) -> np.ndarray:
        """Calendar year of each census."""
        return START_YEAR + self.scenario.years


def _horizons(last: int) -> tuple[int, ...]:
    return tuple(sorted({h for h in HORIZONS if h <= last} | {last}))


def _population(ctx: _Context, model: Scenario, pops: Population, name: str, i: int, key: str) -> str:
    """The model's population a name in ``pva.actions[i].<key>`` means: a node id, or the node a site belongs to."""
    where_ = model.where("pva", "actions", i, key)
    if name in pops.names:
        return name
    if name in set(ctx.sites["id"]):
        # the site's own population (itself or up its parents), never the nearest one as an intervention's area may
        # take: deer put into a site outside every population need that site made one
        node = node_of(name, list(pops.names), ctx.sites)
        if node is not None:
            return node
        raise ConfigError(
            f"{where_}: site {name!r} is part of no population of the viability model ({', '.join(pops.names)}); "
            "to found a population there add a reintroduction intervention for the site.")
    raise ConfigError(f"{where_}: {name!r} is no population of the viability model; use one of "
                      f"{', '.join(pops.names)} (or a site of one; a new site needs a reintroduction intervention).")


def _sim_years(years: tuple[int, ...]) -> tuple[int, ...]:
    """Calendar years -> the model's years: an action of year Y acts within Y and shows at the census of Y + 1."""
    return tuple(y - PVA_START_YEAR + 1 for y in years)


def model_actions(ctx: _Context, model: Scenario, pops: Population) -> tuple[list[Any], pd.DataFrame]:
    """The scenario's ``pva:`` actions as the engine's, with every population named resolved and checked.

    Returns
    -------
    (list, DataFrame)
        Engine actions (:class:`corridors.pva.Translocation`, ``Reintroduction``,
        ``Harvest``, ``Release``) and one row per action of the file.
    """
    out: list[Any] = []
    rows = []
    for i, a in enumerate(model.pva.actions if model.pva else []):
        label = a.label or f"{a.type} {a.measure}"
        yrs = _sim_years(a.years)
        row = {"action": i, "type": a.type, "measure": a.measure, "label": a.label or "", "from": "", "to": "",
               "number": getattr(a, "number", None), "rate": getattr(a, "rate", None), "stage": a.stage or "any",
               "sex": a.sex or "either", "years": " ".join(map(str, a.years))}
        if isinstance(a, PVATranslocation):
            src, dst = (_population(ctx, model, pops, n, i, k) for n, k in ((a.from_, "from"), (a.to, "to")))
            if src == dst:
                raise ConfigError(f"{model.where('pva', 'actions', i)}: from and to are the same population ({src!r}).")
            out.append(Translocation(src, dst, a.number, a.stage, a.sex, yrs, label))
            row.update({"from": src, "to": dst})
        elif isinstance(a, PVAReintroduction):
            dst = _population(ctx, model, pops, a.to, i, "to")
            stage = a.stage or "adult"
            if a.sex is None:
                founders = {(stage, "female"): (a.number + 1) // 2, (stage, "male"): a.number // 2}
            else:
                founders = {(stage, a.sex): a.number}
            out += [Founders(dst, founders, y, label) for y in yrs]
            row.update({"to": dst, "stage": stage})
        elif isinstance(a, PVAHarvest):
            pop = _population(ctx, model, pops, a.population, i, "population")
            out.append(Harvest(pop, a.number, a.rate, a.stage, a.sex, yrs, label))
            row.update({"from": pop})
        elif isinstance(a, PVARelease):
            dst = _population(ctx, model, pops, a.to, i, "to")
            out.append(Release(dst, a.number, a.stage or "adult", a.sex, yrs, label))
            row.update({"to": dst, "stage": a.stage or "adult"})
        rows.append(row)
    cols = ["action", "type", "measure", "label", "from", "to", "number", "rate", "stage", "sex", "years"]
    table = pd.DataFrame(rows, columns=cols)
    table["number"] = table["number"].astype("Int64")  # whole animals, blank for a harvest by rate
    return out, table


def scenario_viability(ctx: _Context, model: Scenario, base: Analysis, scen: Analysis,
                       params: PVAParameters | None = None) -> ScenarioViability | None:
    """Run the PVA of a scenario and of its baseline (module docstring); None when the scenario has no ``pva:``.

    Parameters
    ----------
    ctx : _Context
        The run (its sites, to resolve site names to network nodes).
    model : Scenario
    base, scen : Analysis
        The baseline's and the scenario's networks (the same object without interventions).
    params : PVAParameters, optional
        Default ``data/pva.yml``.

    Returns
    -------
    ScenarioViability or None

    Raises
    ------
    ConfigError
        An action naming a population the model does not hold (its file, line and key), or a
        scenario whose network holds no population with a count.
    """
    cfg = model.pva
    if cfg is None:
        return None
    prm = params if params is not None else load_parameters(settings.DATA_DIR / "pva.yml")
    seed = model.seed if cfg.seed is None else cfg.seed
    years = cfg.years - START_YEAR
    planned = {iv.site: iv.capacity for iv in model.interventions if isinstance(iv, Reintroduction)}
    places = ctx.sites.drop_duplicates("id").set_index("id").geometry
    base_pops, base_info, _ = _populations(prm, base.graph, {}, model, places)
    scen_pops, scen_info, left = _populations(prm, scen.graph, planned, model, places)
    actions, act_table = model_actions(ctx, model, scen_pops)
    run = dict(years=years, replicates=cfg.replicates, seed=seed)
    t_base = simulate(prm, base_pops, **run)
    t_scen = simulate(prm, scen_pops, actions=actions, **run)
    horizons = _horizons(cfg.years)
    table = _compare(_started(_table(t_scen, scen_info, horizons), t_scen, horizons),
                     _started(_table(t_base, base_info, horizons), t_base, horizons), horizons)
    parameters = {"replicates": cfg.replicates, "seed": seed, "start_year": START_YEAR, "last_year": cfg.years,
                  "horizons": list(horizons), "quasi_extinction": t_scen.quasi_extinction,
                  "actions": len(actions), "parameter_file": "data/pva.yml" if params is None else "given"}
    return ScenarioViability(table, act_table, left, t_scen, t_base, horizons, prm, parameters)


def _started(table: pd.DataFrame, traj: Trajectories, horizons: tuple[int, ...]) -> pd.DataFrame:
    """A population that starts below the threshold (a reintroduction site, empty): its share of runs below it in each year.

    Its cumulative risk from the start would be 1 by construction, so the
    table gives, for these rows only, the share of runs below the threshold in
    that year (not since the start), and says so in ``note``.
    """
    out = table.copy()
    q = traj.quasi_extinction
    for k, name in enumerate(traj.names):
        at = out.index[out["id"] == name]
        if not len(at) or not (traj.abundance[:, 0, k] < q).all():
            continue
        for y in horizons:
            out.loc[at, f"p_quasi_extinct_{y}"] = float((traj.abundance[:, y - START_YEAR, k] < q).mean())
        out.loc[at, "note"] = (f"starts below the quasi-extinction threshold ({q:g}): p_quasi_extinct is the share of "
                               "runs below it in that year, not since the start")
    return out


def _populations(prm: PVAParameters, graph: Any, planned: dict[str, float], model: Scenario, places: Any
                 ) -> tuple[Population, pd.DataFrame, pd.DataFrame]:
    if not any(i in prm.populations or i in planned for i in graph.ids):
        raise ConfigError(
            f"{model.where('pva')}: no population of this scenario's network has a count in data/pva.yml "
            f"(nodes: {', '.join(graph.ids)}), so there is nothing to project; widen base.population_units "
            "or remove the pva section.")
    return programme_populations(prm, graph, empty=planned, places=places)


def _compare(scen: pd.DataFrame, base: pd.DataFrame, horizons: tuple[int, ...]) -> pd.DataFrame:
    """The scenario's table with the baseline's risk, median and EMA beside each (``*_base``)."""
    cols = [f"{c}_{y}" for y in horizons for c in COMPARED] + ["expected_minimum_abundance"]
    b = base.set_index("id")[cols].add_suffix("_base")
    out = scen.set_index("id").join(b, how="left")
    order = [c for c in ("name", "count", "K", "habitat_km2") if c in out.columns]
    for y in horizons:
        for c in COMPARED:
            order += [f"{c}_{y}", f"{c}_{y}_base"]
        order += [f"p05_{y}", f"p95_{y}"]
    order += ["expected_minimum_abundance", "expected_minimum_abundance_base"]
    order += [c for c in out.columns if c not in order]
    return out[order].reset_index()


def viability_summary(v: ScenarioViability) -> dict[str, float]:
    """The figures of the total that ``corridors batch`` puts side by side (``pva_`` keys)."""
    row = v.table.set_index("id").loc["all"]
    out: dict[str, float] = {}
    for y in v.horizons:
        for c in COMPARED:
            out[f"pva_{c}_{y}"] = float(row[f"{c}_{y}"])
            out[f"pva_{c}_{y}_base"] = float(row[f"{c}_{y}_base"])
    out["pva_expected_minimum_abundance"] = float(row["expected_minimum_abundance"])
    return out
