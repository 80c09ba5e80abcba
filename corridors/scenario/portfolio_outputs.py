"""What a portfolio run writes: tables, the frontier and selection figures, the map, a GeoPackage, the report, provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd

from corridors import settings
from corridors.io import write_csv, write_geopackage
from corridors.io.provenance import input_entry, package_versions
from corridors.plot import save_figure
from corridors.plot.portfolio import plot_frontier, plot_selection
from corridors.plot.scenario_map import scenario_map
from corridors.report import Block, write_report
from corridors.scenario.interventions import _intervention_geoms
from corridors.scenario.portfolio import PortfolioRun, full_analysis, intervention_key


def _save(fig: Any, stem: Path) -> list[Path]:
    return [Path(p.name) for p in save_figure(fig, stem, formats=("png", "svg"), close=True)]


def _geoms(run: PortfolioRun) -> gpd.GeoDataFrame | None:
    """Every candidate's area (a border's line, a site's disc), with its key."""
    pp = run.programme
    g = _intervention_geoms(pp.ctx, pp.scenario)
    if g is None:
        return None
    keys = [intervention_key(iv) for iv in pp.scenario.interventions]
    g["candidate"] = [keys[i] for i in g["intervention"]]
    return g


def caveats(run: PortfolioRun) -> list[str]:
    """What the run's results rest on, in sentences computed from it."""
    pp = run.programme
    c = pp.candidates
    n_ph = int(c["placeholder"].sum())
    out = []
    if n_ph:
        out.append(f"{n_ph} of {len(c)} costs are placeholders ({pp.costs_path.name}: 'placeholder' in their source); "
                   "which interventions are chosen at a budget follows from them, the EC gains of a given set do not.")
    out.append("EC gains combine by the composition model: capacity changes add up, each link takes the best "
               "probability any chosen intervention gives it, paths compose as PC does; the best portfolio is exact "
               "for this model (HiGHS MIP) and checked by running the network with its interventions together.")
    if len(run.checks):
        worst = run.checks.loc[run.checks["difference_pct"].abs().idxmax()]
        out.append(f"Check: with their interventions applied together, the best portfolios' EC differs from the "
                   f"model's by at most {worst['difference_pct']:+.2f} % (budget {worst['budget']:,.0f}).")
    out += pp.notes
    return out


def _blocks(run: PortfolioRun, tmp: Path, figures: dict[str, Path]) -> list[Block]:
    pp, p = run.programme, run.programme.problem
    c = pp.candidates
    fr = run.frontier
    unit = p.unit
    levels = fr[~fr["requested"]]
    blocks = [Block("h1", f"Budgeted portfolios: {pp.scenario.title or pp.scenario.name}")]
    blocks.append(Block("p", f"{len(c)} candidate interventions of {pp.scenario.name}; costs in {unit} from "
                             f"{pp.costs_path.name}; EC of the network with nothing funded "
                             f"{fr['ec_ha'].iloc[0] - fr['ec_gain_ha'].iloc[0]:,.0f} ha."))
    blocks.append(Block("h2", "What these results rest on"))
    blocks.append(Block("list", items=caveats(run)))
    blocks.append(Block("h2", "The best portfolio at each requested budget"))
    req = fr[fr["requested"]]
    for r in req.itertuples():
        chosen = [x for x in r.chosen.split(";") if x]
        rows = c.loc[chosen, ["measure", "type", "cost", "placeholder", "ec_gain_alone_ha"]] if chosen else None
        freq = run.frequency
        col = f"budget_{r.budget:g}"
        if rows is not None and freq is not None and col in freq:
            rows = rows.assign(chosen_in_draws=freq.loc[chosen, col].to_numpy())
        blocks.append(Block("h3", f"Budget {r.budget:,.0f}: EC gain {r.ec_gain_ha:,.0f} ha ({r.ec_gain_pct:+.1f} %), "
                                  f"{r.n_chosen} measures costing {r.cost:,.0f}"))
        blocks.append(Block("p", f"Greedy (best gain per cost first) reaches {r.greedy_ec_gain_ha:,.0f} ha at this budget"
                                 f"; with the interventions applied together the network's EC is {r.ec_full_ha:,.0f} ha "
                                 f"(model {r.ec_ha:,.0f} ha)."))
        if rows is not None:
            blocks.append(Block("table", table=rows))
    blocks.append(Block("h2", "Efficient frontier"))
    blocks.append(Block("image", "Best EC gain at each budget (exact) and the greedy portfolio's.", path=figures["frontier"]))
    blocks.append(Block("table", table=levels[["budget", "cost", "ec_gain_ha", "ec_gain_pct", "n_chosen",
                                                "greedy_ec_gain_ha", "gap"]].reset_index(drop=True)))
    if run.frequency is not None and "selection" in figures:
        blocks.append(Block("h2", "How often each intervention is chosen"))
        n = len(run.draws["draw"].unique()) if run.draws is not None and len(run.draws) else 0
        blocks.append(Block("p", f"{n} draws: each cost uniform in its range, the median dispersal distance "
                                 f"x exp(N(0, {pp.scenario.scoring.robustness.dispersal_sd_log:g})); the share of draws "
                                 "in which each intervention is in the best portfolio."))
        blocks.append(Block("image", "Share of draws chosen, per budget.", path=figures["selection"]))
    if "map" in figures:
        blocks.append(Block("h2", "Map of the best portfolio at the highest requested budget"))
        blocks.append(Block("image", "Funded interventions over the network they give.", path=figures["map"]))
    blocks.append(Block("h2", "Candidates"))
    blocks.append(Block("table", table=c[["measure", "type", "cost_low", "cost", "cost_high", "placeholder",
                                          "ec_gain_alone_ha", "ec_gain_model_ha", "countries", "units"]]))
    return blocks


def write_outputs(run: PortfolioRun, tmp: Path, seconds: float, draw_map: bool = True) -> list[Path]:
    """Write a portfolio run into ``tmp``: the files written (relative).

    Parameters
    ----------
    run : PortfolioRun
    tmp : pathlib.Path
        The staging folder.
    seconds : float
        Time of the run, for provenance.
    draw_map : bool, default True

    Returns
    -------
    list of pathlib.Path
    """
    pp = run.programme
    files = []
    for name, df, idx in (("candidates", pp.candidates, True), ("frontier", run.frontier, False),
                          ("portfolios", run.portfolios, False), ("checks", run.checks, False)):
        write_csv(df, tmp / f"{name}.csv", index=idx, float_format="%.6g")
        files.append(Path(f"{name}.csv"))
    if run.frequency is not None:
        write_csv(run.frequency, tmp / "selection_frequency.csv", index=True, float_format="%.4g")
        write_csv(run.draws, tmp / "draws.csv", float_format="%.6g")
        files += [Path("selection_frequency.csv"), Path("draws.csv")]
    placeholder = bool(pp.candidates["placeholder"].any())
    figures: dict[str, Path] = {}
    fig = plot_frontier(run.frontier[~run.frontier["requested"]], unit=pp.problem.unit, highlight=run.budgets,
                        title=f"{pp.scenario.name}: efficient frontier ({len(pp.candidates)} candidates)",
                        placeholder=placeholder)
    files += _save(fig, tmp / "frontier")
    figures["frontier"] = tmp / "frontier.png"
    if run.frequency is not None:
        fig = plot_selection(run.frequency, dict(zip(pp.candidates.index, pp.candidates["label"])),
                             title=f"{pp.scenario.name}: share of draws each intervention is chosen")
        files += _save(fig, tmp / "selection")
        figures["selection"] = tmp / "selection.png"
    geoms = _geoms(run)
    layers: dict[str, gpd.GeoDataFrame] = {}
    if geoms is not None:
        attrs = pp.candidates.reset_index()
        layers["candidates"] = geoms[["candidate", "geometry"]].merge(attrs, on="candidate", how="left")
        port = run.portfolios.merge(geoms[["candidate", "geometry"]], on="candidate", how="left")
        layers["portfolios"] = gpd.GeoDataFrame(port, geometry="geometry", crs=settings.WORKING_CRS)
        write_geopackage(layers, tmp / "portfolio.gpkg")
        files.append(Path("portfolio.gpkg"))
    if draw_map and run.budgets:
        top = max(run.budgets)
        chosen = run.portfolios.loc[run.portfolios["budget"] == top, "candidate"].tolist()
        an = full_analysis(pp, chosen)
        nodes = an.graph.nodes.drop(columns=["geometry"], errors="ignore")
        links = an.graph.links.drop(columns=["geometry"], errors="ignore")
        iv = geoms[geoms["candidate"].isin(chosen)] if geoms is not None else None
        fig = scenario_map(pp.ctx.sites, nodes, links, bounds=pp.ctx.bounds,
                           title=f"Best portfolio at {top:,.0f} {pp.problem.unit}: {len(chosen)} measures"
                                 + (" (placeholder costs)" if placeholder else ""),
                           interventions=iv if iv is not None and len(iv) else None,
                           corridor_width_m=pp.scenario.landscape.corridor_width_m)
        files += _save(fig, tmp / "portfolio_map")
        figures["map"] = tmp / "portfolio_map.png"
    blocks = _blocks(run, tmp, figures)
    write_report(blocks, tmp, "report", title=f"corridors portfolio {pp.scenario.name}")
    files += [Path("report.md"), Path("report.html")]
    inputs = {"costs": pp.costs_path}
    if pp.scenario.source_path:
        inputs["scenario"] = pp.scenario.source_path
    prov = {
        "command": "corridors portfolio",
        "scenario": pp.scenario.name,
        "candidates": list(pp.candidates.index),
        "budgets": run.budgets,
        "median_dispersal_m": pp.problem.median_dispersal_m,
        "rules": {"exclusive": pp.problem.rules.exclusive, "requires": pp.problem.rules.requires,
                  "at_least_one": pp.problem.rules.at_least_one, "include": list(pp.problem.rules.include),
                  "exclude": list(pp.problem.rules.exclude)},
        "inputs": {k: input_entry(v) for k, v in inputs.items()},
        "rests_on": caveats(run),
        "packages": package_versions(),
        "seconds": round(seconds, 2),
    }
    (tmp / "provenance.json").write_text(json.dumps(prov, indent=2, default=str) + "\n")
    files.append(Path("provenance.json"))
    return files


__all__ = ["caveats", "write_outputs"]
