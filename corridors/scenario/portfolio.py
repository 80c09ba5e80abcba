"""Budgeted portfolios of the programme's interventions: candidates from scenario files, costs from a table.

:func:`corridors.scenario.costs.load_costs` reads ``data/programme/costs.yml`` (or the user's table);
:func:`portfolio_problem` turns the interventions of one or more scenario
files into a :class:`corridors.portfolio.Problem`: each candidate's effect
is measured by running the scenario's network with that intervention alone
(its own landscape: least-cost distances recomputed), and kept as the
capacity changes and better links it brings; :func:`run_portfolio` solves
the frontier and the requested budgets, draws the Monte Carlo, checks the
best portfolios by running the network with all their interventions
together, and writes the folder.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors._errors import ConfigError
from corridors.io import check_output_folder, decode_list, staged_folder
from corridors.analyses.programme_network import habitat_ha
from corridors.network import connectivity
from corridors.portfolio import Candidate, Problem, Rules, evaluate
from corridors.portfolio.frontier import budget_levels, frontier, frontier_rows, selection_frequency, solve_budgets
from corridors.scenario.findings import saturated_caveat
from corridors.scenario.context import Analysis, _Context, _context
from corridors.scenario.interventions import _apply
from corridors.scenario.network import _analyse
from corridors.scenario.schema import BorderPermeability, HabitatLoss, Scenario
from corridors.scenario.costs import COSTS_FILE, CostEntry, Costs, load_costs
from corridors.scenario.yamlerrors import load_scenario



# --------------------------------------------------------------------------- candidates


def intervention_key(iv: Any) -> str:
    """The key of an intervention in the costs table: its label in lower case with hyphens, or its type and site.

    Parameters
    ----------
    iv : intervention model

    Returns
    -------
    str
        E.g. ``amu-darya-ssnr-kyzylkum-ssnr``, ``reintroduction-cand-manul``.
    """
    if iv.label:
        return re.sub(r"[^a-z0-9]+", "-", iv.label.lower()).strip("-")
    site = getattr(iv, "site", None)
    if site:
        return f"{iv.type.replace('_', '-')}-{site}"
    target = getattr(iv, "border", None) or "-".join(getattr(iv, "sites", None) or getattr(iv, "between", None) or [])
    return f"{iv.type.replace('_', '-')}-{iv.measure}-{target}".rstrip("-")


def _referenced_sites(iv: Any) -> list[str]:
    out: list[str] = []
    for name in ("sites", "between", "near_sites"):
        out += list(getattr(iv, name, None) or [])
    if getattr(iv, "site", None):
        out.append(iv.site)
    return out


def _groups(iv: Any, sites: Any) -> dict[str, tuple[str, ...]]:
    """Countries and population units an intervention belongs to (for "at least one per ..." rules).

    Countries: those of the sites it names (a border's two countries for
    border permeability); units: the population units of those sites.
    """
    rows = sites[sites["id"].isin(_referenced_sites(iv))]
    countries = sorted({c for v in rows.get("countries", []) for c in decode_list(v)})
    units = sorted({u for v in rows.get("population_unit", []) for u in decode_list(v)})
    if isinstance(iv, BorderPermeability):
        countries = sorted(set(iv.border.split("-")))
    return {"country": tuple(countries), "unit": tuple(units)}


def candidate_scenario(scenarios: Sequence[str | os.PathLike | Scenario]) -> tuple[Scenario, list[str]]:
    """One scenario holding every intervention of the given files: the first file's landscape and links.

    Parameters
    ----------
    scenarios : sequence of path-like or Scenario

    Returns
    -------
    (Scenario, list of str)
        The combined scenario and a warning per file whose landscape or links differ from the first one's.

    Raises
    ------
    ConfigError
        No file, no intervention, a threat (habitat_loss) among the
        candidates, or one key for two different interventions.
    """
    if not scenarios:
        raise ConfigError("portfolio: give at least one scenario file whose interventions are the candidates.")
    models = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    first = models[0]
    notes, seen, ivs = [], {}, []
    for m in models:
        src = m.source_path.name if m.source_path else m.name
        for part in ("landscape", "links"):
            if getattr(m, part) != getattr(first, part):
                notes.append(f"{src}: its {part} settings differ from {models[0].name}'s; the candidates are measured "
                             f"on {models[0].name}'s network")
        for i, iv in enumerate(m.interventions):
            where_ = m.where("interventions", i)
            if isinstance(iv, HabitatLoss):
                raise ConfigError(f"{where_}: habitat_loss is a threat, not a measure one funds; leave it out of the "
                                  "candidate scenarios (run it as a scenario of its own).")
            key = intervention_key(iv)
            if key in seen:
                if seen[key] != iv:
                    raise ConfigError(f"{where_}: key {key!r} names another intervention already (give it another "
                                      "label).")
                continue
            seen[key] = iv
            ivs.append(iv)
    if not ivs:
        raise ConfigError(f"portfolio: {', '.join(m.name for m in models)} hold no interventions; give scenario files "
                          "with interventions (e.g. scenarios/programme_2032.yml).")
    return first.model_copy(update={"interventions": ivs}), notes


@dataclass
class ProgrammeProblem:
    """The programme's portfolio problem and what it was built from.

    Attributes
    ----------
    problem : corridors.portfolio.Problem
    candidates : pandas.DataFrame
        One row per candidate (index: key): type, measure, label, cost_low,
        cost, cost_high, placeholder, basis, source, countries, units,
        ec_gain_alone_ha (the intervention's own network), ec_gain_model_ha
        (the composition model; the two agree unless it worsens a link),
        links_improved, links_worse, capacity_change_ha.
    scenario : Scenario
        The combined scenario (its interventions are the candidates).
    ctx : _Context
    base : Analysis
        The network with nothing funded.
    costs_path : pathlib.Path
    notes : list of str
        What the results rest on beyond the table (settings that differ, dropped link losses).
    """

    problem: Problem
    candidates: pd.DataFrame
    scenario: Scenario
    ctx: _Context
    base: Analysis
    costs_path: Path
    notes: list


def _ec(an: Analysis) -> float:
    return float(connectivity(an.graph, nodes=False, betweenness=False, iic_metrics=False).summary["EC_PC"])


def _link_table(g: Any) -> dict[tuple[str, str], tuple[float, float, float]]:
    out = {}
    for r in g.links.itertuples(index=False):
        a, b = str(r.i), str(r.j)
        key = (a, b) if a < b else (b, a)
        out[key] = (float(r.distance_m), float(getattr(r, "permeability", 1.0)), float(r.probability))
    return out


def portfolio_problem(
    scenarios: Sequence[str | os.PathLike | Scenario],
    costs: str | os.PathLike | None = None,
    *,
    at_least_one: Sequence[str] = (),
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    memory_limit: int | None = None,
    progress: Any = None,
) -> ProgrammeProblem:
    """The portfolio problem of the interventions of these scenario files.

    Parameters
    ----------
    scenarios : sequence of path-like or Scenario
        Their interventions are the candidates; the first one's landscape,
        links and sites define the network.
    costs : path-like, optional
        The costs table (default ``data/programme/costs.yml``); every
        candidate needs an entry, keyed by :func:`intervention_key`.
    at_least_one : sequence of {'country', 'unit'}
        Every country (population unit) some candidate belongs to gets at least one funded measure.
    include, exclude : sequence of str
        Keys funded in any case, or never.
    memory_limit : int, optional
        Bytes each cost-distance run may use.
    progress : callable, optional
        Called with a text per step.

    Returns
    -------
    ProgrammeProblem

    Raises
    ------
    ConfigError
        A candidate without a cost (naming its key and the table), a measure
        that differs from the table's, an unknown key in the rules.
    """
    say = progress or (lambda _text: None)
    model, notes = candidate_scenario(scenarios)
    table, cpath, lines = load_costs(costs)
    keys = [intervention_key(iv) for iv in model.interventions]
    missing = [k for k in keys if k not in table.interventions]
    if missing:
        raise ConfigError(
            f"{cpath}: no cost for {', '.join(repr(k) for k in missing[:5])}"
            + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else "")
            + "; add an entry under interventions: with cost: [low, high] and source: for each."
        )
    for k, iv in zip(keys, model.interventions):
        e = table.interventions[k]
        if e.measure is not None and e.measure != iv.measure:
            line = lines.get(("interventions", k, "measure"))
            raise ConfigError(f"{cpath}{f', line {line}' if line else ''}, key 'interventions.{k}.measure': "
                              f"{e.measure!r}, but the scenario gives measure {iv.measure!r} for it; make them agree.")
    say("inputs and landscape")
    ctx = _context(model, memory_limit=memory_limit)
    base_state = _apply(ctx, [])
    ctx.landscape_area_ha = habitat_ha(base_state.suitability)
    say("network with nothing funded")
    base = _analyse(ctx, base_state, node_metrics=False)
    g0 = base.graph
    ids = list(g0.ids)
    cap0 = dict(zip(ids, g0.capacity))
    links0 = _link_table(g0)
    analyses, logs = [], []
    for i, iv in enumerate(model.interventions):
        say(f"effect of {keys[i]} alone ({i + 1}/{len(keys)})")
        state = _apply(ctx, [iv], [i])
        logs += state.log
        an = _analyse(ctx, state, node_metrics=False)
        analyses.append(an)
        for nid in an.graph.ids:
            if nid not in cap0 and nid not in ids:
                ids.append(nid)
    pos = {nid: k for k, nid in enumerate(ids)}
    capacity = np.array([cap0.get(nid, 0.0) for nid in ids])
    base_links = np.array([(pos[a], pos[b], d, perm) for (a, b), (d, perm, _p) in links0.items()]).reshape(-1, 4)
    median = model.links.median_dispersal_m
    cutoff = g0.meta.get("max_distance_m")
    rows, cands, lost = [], [], 0
    for k, iv, an in zip(keys, model.interventions, analyses):
        g = an.graph
        capd = {}
        for nid, a in zip(g.ids, g.capacity):
            delta = float(a) - float(cap0.get(nid, 0.0))
            if abs(delta) > 1e-9 * max(abs(float(a)), 1.0):
                capd[pos[nid]] = delta
        better, worse = [], 0
        for key, (d, perm, p) in _link_table(g).items():
            p0 = links0.get(key, (0.0, 0.0, 0.0))[2]
            if p > p0 * (1 + 1e-9):
                better.append((pos[key[0]], pos[key[1]], d, perm))
            elif p < p0 * (1 - 1e-6):
                worse += 1
        lost += worse > 0
        e = table.interventions[k]
        cands.append(Candidate(k, e.mid, e.cost[0], e.cost[1], capd, tuple(better), iv.label or k, iv.measure, iv.type,
                               _groups(iv, ctx.sites)))
        rows.append({"candidate": k, "type": iv.type, "measure": iv.measure, "label": iv.label or k,
                     "cost_low": e.cost[0], "cost": e.mid, "cost_high": e.cost[1], "placeholder": e.placeholder,
                     "basis": e.basis, "source": e.source, "ec_alone_ha": _ec(an), "links_improved": len(better),
                     "links_worse": worse, "capacity_change_ha": sum(capd.values())})
    for nid in ids:
        if nid not in cap0 and not any(pos[nid] in c.capacity for c in cands):
            raise ConfigError(f"portfolio: node {nid!r} appears with no candidate creating it.")
    rules = Rules(exclusive=[tuple(g) for g in table.rules.exclusive],
                  requires={k: tuple(v) for k, v in table.rules.requires.items()},
                  at_least_one=list(at_least_one), include=tuple(include), exclude=tuple(exclude))
    problem = Problem(ids, capacity, base_links, median, cands, cutoff, ctx.landscape_area_ha, rules, table.unit)
    _check_probabilities(problem, g0, pos)
    ec_base = _ec(base)
    for r, c in zip(rows, range(len(cands))):
        r["ec_gain_alone_ha"] = r.pop("ec_alone_ha") - ec_base
        r["ec_gain_model_ha"] = evaluate(problem, [c]) - ec_base
        r["countries"] = ";".join(cands[c].groups["country"])
        r["units"] = ";".join(cands[c].groups["unit"])
    if lost:
        notes.append(f"{lost} candidate(s) make some links worse (e.g. a border fence's resistance on other paths); "
                     "the composition model keeps each link's better probability, so their EC gains there are "
                     "upper values (compare ec_gain_alone_ha with ec_gain_model_ha)")
    saturated = saturated_caveat(pd.DataFrame(logs), model.landscape.resistance_raster)
    if saturated:
        notes.append(saturated)
    frame = pd.DataFrame(rows).set_index("candidate")
    return ProgrammeProblem(problem, frame, model, ctx, base, cpath, notes)


def _check_probabilities(problem: Problem, g0: Any, pos: dict) -> None:
    """The problem's link probabilities must be the network's own (same decay, permeability and cut-off)."""
    if not len(problem.links):
        return
    p = problem.probability(problem.links[:, 2], problem.links[:, 3])
    table = _link_table(g0)
    rev = {v: k for k, v in pos.items()}
    for (u, v, _d, _perm), q in zip(problem.links, p):
        a, b = sorted((rev[int(u)], rev[int(v)]))
        if not math.isclose(q, table[(a, b)][2], rel_tol=1e-9, abs_tol=1e-15):
            raise AssertionError(f"link {a}-{b}: probability {q} differs from the network's {table[(a, b)][2]}")


# --------------------------------------------------------------------------- running


@dataclass
class PortfolioRun:
    """What :func:`run_portfolio` computed.

    Attributes
    ----------
    programme : ProgrammeProblem
    frontier : pandas.DataFrame
        :func:`corridors.portfolio.frontier.frontier`, with ``ec_full_ha`` at the requested budgets.
    portfolios : pandas.DataFrame
        The best portfolio at each requested budget: one row per (budget, candidate chosen).
    frequency : pandas.DataFrame or None
        Share of Monte Carlo draws each candidate is chosen at each requested budget.
    draws : pandas.DataFrame or None
    budgets : list of float
    outdir : pathlib.Path or None
    """

    programme: ProgrammeProblem
    frontier: pd.DataFrame
    portfolios: pd.DataFrame
    frequency: pd.DataFrame | None
    draws: pd.DataFrame | None
    budgets: list
    checks: pd.DataFrame
    outdir: Path | None = None


def full_analysis(pp: ProgrammeProblem, chosen: Sequence[str]) -> Analysis:
    """The network with these interventions applied together (landscape and least-cost distances recomputed).

    Parameters
    ----------
    pp : ProgrammeProblem
    chosen : sequence of str
        Candidate keys.

    Returns
    -------
    Analysis
    """
    keys = [intervention_key(iv) for iv in pp.scenario.interventions]
    idx = [keys.index(c) for c in chosen]
    if not idx:
        return pp.base
    return _analyse(pp.ctx, _apply(pp.ctx, [pp.scenario.interventions[i] for i in idx], idx), node_metrics=False)


def full_ec(pp: ProgrammeProblem, chosen: Sequence[str]) -> float:
    """EC (ha) of the network with these interventions applied together: the check of the composition model.

    Two restorations on one path may together do more than the better of
    the two, which the composition model does not count; a border fence may
    lengthen other paths, which it does not count either.

    Parameters
    ----------
    pp : ProgrammeProblem
    chosen : sequence of str
        Candidate keys.

    Returns
    -------
    float
    """
    return _ec(full_analysis(pp, chosen))


def run_portfolio(
    scenarios: Sequence[str | os.PathLike | Scenario],
    outdir: str | os.PathLike | None,
    *,
    budgets: Sequence[float] = (),
    levels: int = 20,
    draws: int = 100,
    seed: int = 2025,
    costs: str | os.PathLike | None = None,
    at_least_one: Sequence[str] = (),
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    time_limit: float = 60.0,
    memory_limit: int | None = None,
    progress: Any = None,
    draw_map: bool = True,
) -> PortfolioRun:
    """The efficient frontier and the best portfolios at the given budgets, written to ``outdir``.

    Parameters
    ----------
    scenarios : sequence of path-like or Scenario
        The candidates' scenario files (see :func:`portfolio_problem`).
    outdir : path-like or None
        Output folder (missing, empty or an earlier output of corridors); None writes nothing.
    budgets : sequence of float
        Budgets to report in full (portfolio, map, Monte Carlo); default
        :func:`default_budgets`: the cost of the cheapest frontier portfolio
        reaching 50 %, 90 % and 100 % of the largest EC gain.
    levels : int, default 20
        Budget levels of the frontier.
    draws : int, default 100
        Monte Carlo draws over the cost ranges and dispersal (0: none).
    seed : int, default 2025
    costs : path-like, optional
        The costs table.
    at_least_one, include, exclude
        Rules (see :func:`portfolio_problem`).
    time_limit : float, default 60
        Seconds per exact solve.
    memory_limit : int, optional
    progress : callable, optional
    draw_map : bool, default True
        Also the map of the portfolio at the highest requested budget.

    Returns
    -------
    PortfolioRun

    Raises
    ------
    ConfigError
        Bad input (see :func:`portfolio_problem`), or a budget below the
        cheapest portfolio that keeps the rules (``InfeasibleBudget``).
    OutputError
        If ``outdir`` holds files corridors did not write.
    """
    t0 = time.perf_counter()
    out = check_output_folder(outdir, replace=True) if outdir is not None else None
    say = progress or (lambda _text: None)
    pp = portfolio_problem(scenarios, costs, at_least_one=at_least_one, include=include, exclude=exclude,
                           memory_limit=memory_limit, progress=say)
    p = pp.problem
    say(f"frontier at {levels} budget levels")
    levels_b = budget_levels(p, levels)
    fr = frontier(p, levels_b, time_limit=time_limit)
    budgets = [float(b) for b in budgets] if budgets else default_budgets(fr)
    fr["requested"] = False
    best = solve_budgets(p, budgets, time_limit=time_limit)
    req = frontier_rows(best)
    req["requested"] = True
    say("checking the best portfolios with their interventions together")
    checks = []
    for r in req.itertuples():
        chosen = [c for c in r.chosen.split(";") if c]
        full = full_ec(pp, chosen)
        checks.append({"budget": r.budget, "ec_model_ha": r.ec_ha, "ec_full_ha": full,
                       "difference_pct": 100 * (full - r.ec_ha) / r.ec_ha if r.ec_ha else 0.0})
    checks_df = pd.DataFrame(checks)
    req["ec_full_ha"] = checks_df["ec_full_ha"].to_numpy()
    table = pd.concat([fr, req], ignore_index=True).sort_values(["budget", "requested"]).reset_index(drop=True)
    ports = []
    for (b, _g) in best:
        for cid in b.chosen:
            c = pp.candidates.loc[cid]
            ports.append({"budget": b.budget, "candidate": cid, "measure": c["measure"], "type": c["type"],
                          "label": c["label"], "cost": c["cost"], "placeholder": bool(c["placeholder"]),
                          "ec_gain_alone_ha": c["ec_gain_alone_ha"]})
    ports_df = pd.DataFrame(ports, columns=["budget", "candidate", "measure", "type", "label", "cost", "placeholder",
                                            "ec_gain_alone_ha"])
    freq = runs = None
    if draws:
        say(f"Monte Carlo: {draws} draws of costs and dispersal at {len(budgets)} budgets")
        freq, runs = selection_frequency(p, budgets, draws=draws, seed=seed,
                                         dispersal_sd_log=pp.scenario.scoring.robustness.dispersal_sd_log,
                                         time_limit=time_limit)
    run = PortfolioRun(pp, table, ports_df, freq, runs, budgets, checks_df)
    if out is not None:
        say("outputs")
        with staged_folder(out, replace=True) as tmp:
            _write(run, tmp, seconds=time.perf_counter() - t0, draw_map=draw_map)
        run.outdir = out
    return run


def scenario_portfolio(model: Scenario, memory_limit: int | None = None, progress: Any = None) -> PortfolioRun:
    """The portfolio a scenario's ``portfolio:`` section asks for, over its own interventions (nothing written).

    Parameters
    ----------
    model : Scenario
        With a ``portfolio:`` section.
    memory_limit : int, optional
    progress : callable, optional

    Returns
    -------
    PortfolioRun
    """
    s = model.portfolio
    if s is None:
        raise ConfigError(f"{model.name}: no portfolio: section; add one (budgets, levels, draws ...) to run it.")
    return run_portfolio([model], None, budgets=s.budgets, levels=s.levels, draws=s.draws, seed=model.seed,
                         costs=s.costs, at_least_one=s.each, include=s.include, exclude=s.exclude,
                         time_limit=s.time_limit, memory_limit=memory_limit, progress=progress)


def default_budgets(fr: pd.DataFrame, shares: Sequence[float] = (0.5, 0.9, 1.0)) -> list[float]:
    """The budgets to report when none is given: the cost of the cheapest frontier portfolio reaching each share of the largest gain.

    Parameters
    ----------
    fr : pandas.DataFrame
        The frontier (columns cost, ec_gain_ha).
    shares : sequence of float, default (0.5, 0.9, 1.0)

    Returns
    -------
    list of float
        Distinct budgets, increasing.
    """
    top = float(fr["ec_gain_ha"].max())
    out: list[float] = []
    for f in shares:
        hit = fr[fr["ec_gain_ha"] >= f * top - 1e-9 * max(top, 1.0)]
        b = float(hit["cost"].min()) if len(hit) else float(fr["cost"].max())
        if b not in out:
            out.append(b)
    return sorted(out)


def _write(run: PortfolioRun, tmp: Path, seconds: float, draw_map: bool) -> list[Path]:
    """Tables, figures, report and provenance of a portfolio run into ``tmp``."""
    from corridors.scenario.portfolio_outputs import write_outputs  # noqa: PLC0415 - that module imports this one

    return write_outputs(run, tmp, seconds, draw_map)


__all__ = [
    "COSTS_FILE", "CostEntry", "Costs", "ProgrammeProblem", "PortfolioRun", "candidate_scenario", "full_ec",
    "intervention_key", "load_costs", "portfolio_problem", "run_portfolio", "scenario_portfolio",
]

