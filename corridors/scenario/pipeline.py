"""The scenario pipeline: :func:`run_scenario` and the candidate corridor and site tables it scores.

run_scenario: inputs -> landscape -> interventions -> (linkages, circuit) ->
network -> scoring -> outputs, all written into a temporary folder that
replaces the output folder as a whole at the end (:func:`corridors.io.staged_folder`
with ``replace=True``), so a failed run leaves the previous output intact.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rich.console import Console

from corridors import landscape, settings
from corridors.analyses.linkages import programme_corridors
from corridors.analyses.programme_network import (
    accumulated_cost,
    extension_of,
    habitat_capacity,
    habitat_disc,
    habitat_ha,
    node_of,
    site_role,
)
from corridors._errors import CorridorsError, MemoryLimitError
from corridors.borders import load_borders
from corridors.circuit.pinch import corridor_current
from corridors.io import check_output_folder, decode_list, encode_list, provenance, staged_folder
from corridors.raster import geometry_mask
from corridors.scenario.context import Analysis, _Context, _context
from corridors.scenario.findings import site_names
from corridors.scenario.viability_findings import viability_caveats
from corridors.scenario.interventions import _apply, _node_of
from corridors.scenario.network import _analyse, _corridor_ec_gain, _site_gains
from corridors.scenario.outputs import _write_outputs, _write_provenance, _write_report, _write_viability
from corridors.scenario.schema import PVA, Robustness, Scenario
from corridors.scenario.tables import ScenarioRun, _per_measure, _summary, _tables
from corridors.scenario.portfolio import scenario_portfolio
from corridors.scenario.uncertainty import perturbed_context
from corridors.scenario.viability import scenario_viability, viability_summary
from corridors.scenario.yamlerrors import load_scenario
from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA, robustness, weighted_score


@dataclass
class ScenarioResult:
    """What :func:`run_scenario` produced.

    Attributes
    ----------
    scenario : Scenario
    outdir : pathlib.Path
        The output folder (complete: it appears only when the run succeeded).
    summary : dict
        Key metrics (EC, PC, per river system, changes against the baseline,
        counts, best options); what ``corridors batch`` puts side by side.
    tables : dict of str to pandas.DataFrame
        Every table written as CSV, by name.
    files : list of pathlib.Path
        Every file written, relative to ``outdir``.
    """

    scenario: Scenario
    outdir: Path
    summary: dict
    tables: dict
    files: list


# --------------------------------------------------------------------------- candidate corridors and sites


def _corridor_table(ctx: _Context, an: Analysis) -> tuple[Any, Any, Any, Any]:
    """Metrics of the programme's candidate corridors on one landscape state.

    The least-cost engine (:func:`corridors.analyses.linkages.programme_corridors`) gives
    the Linkage Mapper metrics of each corridor; this adds what depends on
    the scenario: the share inside protected areas (sites and protected-area
    interventions), the overlap with settlements, the circuit metrics and
    the EC gain.

    Returns
    -------
    (DataFrame, GeoDataFrame, numpy.ndarray, numpy.ndarray)
        Criteria (index: corridor key), least-cost paths, the truncated
        normalized corridor mosaic and the maximum current over the
        corridors (NaN outside).
    """
    state = an.state
    res = state.resistance
    keep = [c for c in ctx.corridors if c.end_a in ctx.located_ids and c.end_b in ctx.located_ids]
    cols = ["corridor", "measure", "name", "a", "b", "cwd", "lcp_length_m", "euclid_m", "cwd_to_euclid", "cwd_to_path",
            "effective_resistance", "pinch_current", "min_width_m", "n_borders", "borders",
            "share_protected", "settlement_overlap", "ec_gain"]
    empty = (pd.DataFrame(columns=cols + ["note"]).set_index("corridor"),
             gpd.GeoDataFrame({"corridor": []}, geometry=[], crs=settings.WORKING_CRS), np.full(res.shape, np.nan),
             np.full(res.shape, np.nan))
    if not keep:
        return empty
    result = programme_corridors(
        res, ctx.sites, corridors=keep, core_radius_m=max(ctx.model.scoring.reach_m / 3, res.cellsize),
        truncate_m=ctx.model.landscape.corridor_width_m, quiet=True, memory_limit=ctx.memory_limit,
    )
    lk = result.linkages
    if len(lk) == 0:
        return empty
    protected = shapely.union_all([ctx.protected, *state.protected_extra]) if state.protected_extra else ctx.protected
    prot_mask = geometry_mask(res, protected, all_touched=False)  # no cell when there is no protected area
    settle = (ctx.classes.array == landscape.CLASS_CODES["settlement"]) if ctx.classes is not None else np.zeros(res.shape, bool)
    core_geo = dict(zip(result.cores["core_id"], result.cores.geometry))
    current = np.full(res.shape, np.nan)
    rows = []
    for _, r in lk.iterrows():
        a, b = r["core_a"], r["core_b"]
        corridor = np.isfinite(result.corridor(a, b).array)
        n_cells = int(corridor.sum())
        borders = decode_list(r["borders"])
        row = {
            "corridor": r["corridor"], "measure": r["measure"], "name": r["name"], "a": a, "b": b,
            "cwd": r["cwd_m"], "lcp_length_m": r["lcp_length_m"], "euclid_m": r["euclid_m"],
            "cwd_to_euclid": r["cwd_to_euclid"], "cwd_to_path": r["cwd_to_path"], "min_width_m": r["min_width_m"],
            "n_borders": len(borders), "borders": encode_list(borders),
            "share_protected": float(prot_mask[corridor].mean()) if n_cells else 0.0,
            "settlement_overlap": float(settle[corridor].mean()) if n_cells else 0.0,
        }
        cores = (geometry_mask(res, core_geo[k], all_touched=False) for k in (a, b))
        metrics, cur = _circuit_metrics(res, *cores, corridor, memory_limit=ctx.memory_limit)
        row.update(metrics)
        if cur is not None:
            current = np.fmax(current, cur)
        rows.append(row)
    done = {r["corridor"] for r in rows}
    for c in keep:
        if c.key in done:
            continue
        # not computed by the least-cost engine: keep the row, say why, never drop it silently
        why = result.dropped[(result.dropped["core_a"] == c.end_a) & (result.dropped["core_b"] == c.end_b)]["reason"]
        rows.append({"corridor": c.key, "measure": c.measure, "name": c.name, "a": c.end_a, "b": c.end_b,
                     "note": (why.iloc[0] if len(why) else "no least-cost path")
                     + f" at {res.cellsize / 1000:g} km cells; a finer resolution separates the ends"})
    order = {c.key: k for k, c in enumerate(keep)}
    rows.sort(key=lambda r: order.get(r["corridor"], len(order)))
    table = pd.DataFrame(rows).reindex(columns=cols + ["note"]).set_index("corridor")
    table["note"] = table["note"].astype(object).where(table["note"].notna(), "")
    table["ec_gain"] = _corridor_ec_gain(table, an.graph, partial(_node_of, ctx))
    paths = gpd.GeoDataFrame({"corridor": lk["corridor"].to_numpy()}, geometry=lk.geometry.to_numpy(),
                             crs=settings.WORKING_CRS)
    return table, paths, result.corridor_mosaic.masked(), current


def _circuit_metrics(res: Any, core_a: Any, core_b: Any, corridor: Any, memory_limit: int | None = None) -> tuple[dict, Any]:
    """Effective resistance and the largest current between two cores within their corridor.

    The circuit engine's Pinchpoint Mapper step
    (:func:`corridors.circuit.pinch.corridor_current`): 1 A from core A to
    core B through the truncated corridor. The largest node current outside
    the cores is the pinch point. Cores that touch (no corridor between
    them at this resolution) give NaN. A circuit that does not fit in
    ``memory_limit`` is an error (:class:`corridors.MemoryLimitError`), not NaN.
    """
    out = {"effective_resistance": np.nan, "pinch_current": np.nan}
    a = core_a & ~core_b
    if not a.any() or not core_b.any():
        return out, None
    try:
        cc = corridor_current(res, corridor, a, core_b, memory_limit=memory_limit)
    except MemoryLimitError:
        raise  # the user's --memory-limit (or this machine) is too small: say so, never a silent NaN
    except CorridorsError:
        return out, None
    if cc.effective_resistance >= 0:
        out["effective_resistance"] = float(cc.effective_resistance)
        cur = cc.current.masked()
        if np.isfinite(cur).any():
            out["pinch_current"] = float(np.nanmax(cur))
    return out, cc.current.masked()


def _site_table(ctx: _Context, an: Analysis) -> Any:
    """Criteria of the candidate reintroduction sites on one landscape state (index: site id)."""
    state = an.state
    res, suit = state.resistance, state.suitability
    m = ctx.model.scoring
    cell_ha = res.res[0] * res.res[1] / 1e4
    s = suit.masked(np.nan)
    settle = (ctx.classes.array == landscape.CLASS_CODES["settlement"]) if ctx.classes is not None else np.zeros(res.shape, bool)
    borders = load_borders()
    rows = []
    site_geom = dict(zip(ctx.sites["id"], ctx.sites.geometry))
    node_geoms = {n: site_geom[n] for n in an.graph.ids}
    # the network's one capacity rule (habitat_capacity): what the site adds as a node, in ha and in deer
    habitat = habitat_capacity(ctx.candidate_sites, suit, m.reach_m)[0] if len(ctx.candidate_sites) else {}
    for _, c in ctx.candidate_sites.iterrows():
        sid = str(c["id"])
        if sid in an.graph.ids:
            continue  # already reintroduced in this scenario: a node, not a candidate
        disc = habitat_disc(res, c.geometry, m.reach_m)
        vals = s[disc]
        vals = vals[np.isfinite(vals)]
        suitable_ha = float((vals >= m.suitable_threshold).sum() * cell_ha)
        key = f"candidate:{sid}"
        if key not in an.costs:
            an.costs[key] = accumulated_cost(res, disc, ctx.memory_limit)
        cost = an.costs[key]
        dists = {n: float(cost[an.cores[n]].min()) if an.cores[n].any() else np.inf for n in an.graph.ids}
        reach_poly = c.geometry.buffer(m.reach_m)
        ext = extension_of(dists, prefer=node_of(sid, an.graph.ids, ctx.sites))
        rows.append(
            {
                "site": sid,
                "name": c.get("name", sid),
                "river_system": c.get("river_system") or "none",
                "measures": encode_list(c.get("measures")),
                "mean_suitability": float(vals.mean()) if vals.size else 0.0,
                "suitable_area_ha": suitable_ha,
                "capacity": float(habitat[sid]) / 100.0 * m.density_per_km2,
                "habitat_ha": float(habitat[sid]),
                "source_cwd": min(dists.values()) if dists else np.nan,
                "nearest_source": min(dists, key=dists.get) if dists else "",
                "role": site_role(str(c.get("kind", "")), ext),
                "extends": ext or "",
                "isolation_m": float(min(c.geometry.distance(g) for g in node_geoms.values())) if node_geoms else np.nan,
                "settlement_share": float(settle[disc].mean()) if disc.any() else 0.0,
                "n_borders": int(borders.geometry.intersects(reach_poly).sum()),
                "degradation": float(state.degraded[disc].mean()) if disc.any() and state.degraded is not None else 0.0,
                "_dists": dists,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["site"]).set_index("site")
    table = table.set_index("site")
    gains = _site_gains(an.graph, table)
    table["ec_gain"] = gains["ec_gain"]
    table["pc_gain"] = gains["pc_gain"]
    return table


# --------------------------------------------------------------------------- scoring


def _corridors_at(ctx: _Context, an: Analysis, table: Any, d: float) -> Any:
    """The corridor table with its EC gains at median dispersal distance ``d``."""
    t = table.copy()
    t["ec_gain"] = _corridor_ec_gain(table, an.graph, partial(_node_of, ctx), median_m=d)
    return t


def _sites_at(an: Analysis, table: Any, d: float) -> Any:
    """The site table (without ``_dists``) with its EC and PC gains at median dispersal distance ``d``."""
    t = table.drop(columns="_dists", errors="ignore")
    if len(t):
        gains = _site_gains(an.graph, table, median_m=d)
        t["ec_gain"], t["pc_gain"] = gains["ec_gain"], gains["pc_gain"]
    return t


def _perturbed_makers(ctx: _Context, model: Scenario, n: int, suitability: Any = None) -> tuple[list, list]:
    """Corridor and site tables of ``n`` perturbed landscapes, as functions of the dispersal distance.

    Each landscape (:func:`corridors.scenario.uncertainty.perturbed_context`, seeded by the
    scenario's seed and its number) moves the places within their precision and draws the
    resistances within the stated range (places only onto habitat of ``suitability`` when given), applies the scenario's interventions and measures
    the candidates again.
    """
    c_makers, s_makers = [], []
    for k in range(n):
        ctx_k = perturbed_context(ctx, np.random.default_rng([model.seed, k]), suitability)
        an = _analyse(ctx_k, _apply(ctx_k, list(model.interventions)), node_metrics=False)
        corr = _corridor_table(ctx_k, an)[0]
        c_makers.append(partial(_corridors_at, ctx_k, an, corr))
        s_makers.append(partial(_sites_at, an, _site_table(ctx_k, an)))
    return c_makers, s_makers


def _score(table: Any, weights: dict[str, float], catalogue: dict, rob: Robustness, seed: int,
           makers: list, median_m: float) -> tuple[Any, Any]:
    """Weighted scores and their robustness for one decision table (empty tables give empty results).

    ``makers``: one function of the dispersal distance giving the table of this landscape,
    or one per perturbed landscape (``scoring.robustness.landscapes`` > 0).
    """
    if table is None or len(table) == 0:
        return None, None
    w = {k: v for k, v in weights.items() if k in table.columns}
    if not w or sum(w.values()) <= 0:
        return None, None
    scored = weighted_score(table, w, catalogue)
    perturbed = rob.landscapes > 0
    rr = robustness(
        table, w, catalogue, draws=rob.draws, concentration=rob.concentration, top_k=min(rob.top_k, len(table)),
        seed=seed, dispersal_m=median_m, dispersal_sd_log=rob.dispersal_sd_log,
        dispersal_levels=rob.dispersal_levels,
        recompute=makers[0] if rob.dispersal_sd_log > 0 and not perturbed else None,
        variants=makers if perturbed else (),
    )
    return scored, rr


# --------------------------------------------------------------------------- run


def run_scenario(
    scenario: Scenario | str | Path,
    outdir: str | Path,
    quiet: bool = True,
    per_measure: bool = True,
    memory_limit: int | None = None,
) -> ScenarioResult:
    """Run one scenario and write its self-contained output folder.

    Steps: the landscape (resistance and suitability) of the scenario's
    extent and resolution; the baseline analysis (no interventions); the
    interventions applied; the habitat network (nodes = wild populations,
    capacity = suitability-weighted habitat within ``scoring.reach_m``;
    links = all pairs, distance from ``links.source``); the programme's
    candidate corridors and reintroduction sites measured and scored, with
    Monte-Carlo robustness; then the outputs and the report comparing the
    scenario with its baseline (the same settings without interventions),
    overall, per river system and per measure touched. With a ``portfolio:``
    section, the best portfolios of its interventions under budgets
    (:func:`corridors.scenario.portfolio.scenario_portfolio`): ``portfolio_*.csv``,
    the frontier figure and the report's Budgeted portfolio section. With a ``pva:``
    section, the population viability of the scenario's network and of the
    baseline's, same seed (:func:`corridors.scenario.viability.scenario_viability`):
    ``viability.csv``, its two figures and the report's Viability section.

    Parameters
    ----------
    scenario : Scenario or path-like
        A validated model or a YAML file.
    outdir : path-like
        The output folder: missing, empty or an earlier output of corridors
        (:func:`corridors.io.check_output_folder`, checked before computing).
        Everything is written into a temporary folder beside it that
        replaces ``outdir`` in one step at the end; a failure or an
        interrupt leaves ``outdir`` as it was (absent, or the previous run).
    quiet : bool, default True
        No progress display (a library is silent; ``corridors run`` shows it unless ``-q``).
    per_measure : bool, default True
        Also run each measure's interventions alone, to report the change
        each measure brings (one extra network analysis per measure).
    memory_limit : int, optional
        Bytes each cost-distance run may use (the network's least-cost
        links, the candidate sites' cost surfaces, the programme corridors);
        it picks the engine as in :func:`corridors.lcp.cost_distance`, with
        the same results. Default: the engine's own budget.

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ConfigError, DataError
        Bad scenario or input data (one sentence naming file, key and fix), or
        a ``memory_limit`` too small for a cost-distance run on the scenario's grid.
    OutputError
        If ``outdir`` holds files corridors did not write or cannot be written.
    """
    model = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    t0 = time.perf_counter()
    out = check_output_folder(outdir, replace=True)  # before computing: the user's files are never replaced
    progress = _Steps(quiet, model.name)
    with progress:
        progress.step("inputs and landscape")
        ctx = _context(model, memory_limit=memory_limit)
        progress.step("baseline network")
        base_state = _apply(ctx, [])
        ctx.landscape_area_ha = habitat_ha(base_state.suitability)
        base = _analyse(ctx, base_state)
        progress.step("interventions")
        scen_state = _apply(ctx, list(model.interventions)) if model.interventions else base.state
        progress.step("scenario network")
        scen = _analyse(ctx, scen_state) if model.interventions else base
        progress.step("candidate corridors")
        corr_base = _corridor_table(ctx, base)[0] if model.interventions else None
        corr, paths, mosaic, current = _corridor_table(ctx, scen)
        progress.step("candidate sites")
        sites_base = _site_table(ctx, base) if model.interventions else None
        sites_tab = _site_table(ctx, scen)
        progress.step("scores and robustness")
        median = model.links.median_dispersal_m
        rob = model.scoring.robustness
        scorable = corr[np.isfinite(corr["cwd"].astype(float))] if len(corr) else corr
        sites_plain = sites_tab.drop(columns="_dists", errors="ignore") if len(sites_tab) else sites_tab
        c_makers, s_makers = [partial(_corridors_at, ctx, scen, scorable)], [partial(_sites_at, scen, sites_tab)]
        if rob.landscapes:
            progress.step(f"robustness: {rob.landscapes} perturbed landscapes")
            c_makers, s_makers = _perturbed_makers(ctx, model, rob.landscapes, base.state.suitability)
        c_scored, c_rob = _score(scorable, model.scoring.corridor_weights, CORRIDOR_CRITERIA, rob, model.seed,
                                 c_makers, median)
        s_scored, s_rob = _score(sites_plain, model.scoring.site_weights, SITE_CRITERIA, rob, model.seed, s_makers, median)
        by_measure = None
        if per_measure and model.interventions:
            progress.step("per-measure effects")
            by_measure = _per_measure(ctx, model, base, scen)
        viability = None
        if model.pva is not None:
            progress.step(f"viability: {model.pva.replicates} replicates, scenario and baseline")
            viability = scenario_viability(ctx, model, base, scen)
            ctx.inputs["pva_parameters"] = settings.DATA_DIR / "pva.yml"
        portfolio = None
        if model.portfolio is not None:
            progress.step(f"portfolio: {len(model.interventions)} candidates, {model.portfolio.levels} budget levels, "
                          f"{model.portfolio.draws} draws")
            portfolio = scenario_portfolio(model, memory_limit=memory_limit)
        progress.step("outputs")
        run = ScenarioRun(ctx, model, base, scen, corridors=corr, corridors_base=corr_base, paths=paths,
                          mosaic=mosaic, current=current, sites=sites_tab, sites_base=sites_base,
                          corridor_scores=c_scored, corridor_robustness=c_rob, site_scores=s_scored,
                          site_robustness=s_rob, by_measure=by_measure)
        tables = _tables(run)
        summary = _summary(run)
        if viability is not None:
            summary.update(viability_summary(viability))
        with staged_folder(out, replace=True) as tmp:
            files = _write_outputs(run, tables, tmp, viability=viability, portfolio=portfolio)
            files.append(_write_provenance(run, tmp, seconds=round(time.perf_counter() - t0, 2), viability=viability,
                                           portfolio=portfolio))
            files += _write_report(run, tables, summary, tmp, viability=viability, portfolio=portfolio)
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return ScenarioResult(model, out, summary, tables, sorted(files))


class _Steps:
    """A rich status line naming the pipeline step; silent when quiet."""

    def __init__(self, quiet: bool, name: str) -> None:
        self.quiet, self.name, self._status = quiet, name, None

    def __enter__(self) -> "_Steps":
        if not self.quiet:
            self._status = Console(stderr=True).status(f"{self.name}: starting")
            self._status.__enter__()
        return self

    def step(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"{self.name}: {text}")

    def __exit__(self, *exc: Any) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)



def run_scenario_viability(scenario: str | os.PathLike | Scenario, outdir: str | os.PathLike, *, quiet: bool = True,
                           memory_limit: int | None = None) -> tuple[Any, list[Path]]:
    """Only the viability of a scenario (``corridors pva SCENARIO.yml``): its networks and the PVA, no scoring.

    Builds the baseline and the scenario network as :func:`run_scenario`
    does and runs :func:`corridors.scenario.viability.scenario_viability` on
    them (the scenario with its ``pva:`` actions against the baseline, same
    seed); a file without a ``pva:`` section runs with its defaults and no
    action. Writes ``viability.csv``, ``viability_actions.csv``,
    ``viability_left_out.csv``, the two figures and ``provenance.json`` into
    ``outdir`` (replaced as a whole, as ``corridors run`` does).

    Returns
    -------
    (ScenarioViability, list of pathlib.Path)
        The viability result and the files written.
    """
    model = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if model.pva is None:
        model = model.model_copy(update={"pva": PVA()})
    out = check_output_folder(outdir, replace=True)
    progress = _Steps(quiet, model.name)
    with progress:
        progress.step("inputs and landscape")
        ctx = _context(model, memory_limit=memory_limit)
        progress.step("baseline network")
        base_state = _apply(ctx, [])
        ctx.landscape_area_ha = habitat_ha(base_state.suitability)
        base = _analyse(ctx, base_state)
        progress.step("interventions and scenario network")
        scen = _analyse(ctx, _apply(ctx, list(model.interventions))) if model.interventions else base
        progress.step(f"viability: {model.pva.replicates} replicates, scenario and baseline")
        v = scenario_viability(ctx, model, base, scen)
        with staged_folder(out, replace=True) as tmp:
            files = _write_viability(v, site_names(ctx.sites), model, tmp)
            rec = provenance.record(inputs={**ctx.inputs, "pva_parameters": settings.DATA_DIR / "pva.yml"},
                                    parameters=v.parameters, command=f"corridors pva {model.source_path or model.name}")
            rec["rests_on"] = viability_caveats(v)
            provenance.write(rec, tmp / "provenance.json")
    return v, [out / Path(f).name for f in files] + [out / "provenance.json"]
