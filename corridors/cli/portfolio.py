"""``corridors portfolio``: the best set of interventions for a budget, the efficient frontier, and how robust the choice is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from corridors.cli._options import format_number, is_quiet, no_map_option, outdir_option


@click.command("portfolio")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@outdir_option(Path("out/portfolio"), "Output folder: candidates.csv, frontier.csv, portfolios.csv, checks.csv, "
               "selection_frequency.csv, draws.csv, frontier.png/.svg, selection.png/.svg, portfolio_map.png/.svg, "
               "portfolio.gpkg, report.md/.html, provenance.json.")
@click.option("--budget", "budgets", type=click.FloatRange(min=0), multiple=True,
              help="A budget to report in full (repeat for several), in the costs table's unit. Default: the cost of "
                   "the cheapest portfolio reaching 50 %, 90 % and 100 % of the largest EC gain.")
@click.option("--costs", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Costs table (default data/programme/costs.yml, all placeholders).")
@click.option("--levels", type=click.IntRange(min=2), default=20, show_default=True,
              help="Budget levels of the efficient frontier.")
@click.option("--draws", type=click.IntRange(min=0), default=100, show_default=True,
              help="Monte Carlo draws over the cost ranges and the dispersal distance (0: none).")
@click.option("--seed", type=int, default=2025, show_default=True, help="Random seed of the draws.")
@click.option("--each", "each", type=click.Choice(["country", "unit"]), multiple=True,
              help="At least one funded measure per country (or population unit) that has a candidate; repeat for both.")
@click.option("--include", multiple=True, metavar="KEY", help="Fund this intervention in any case (repeatable).")
@click.option("--exclude", multiple=True, metavar="KEY", help="Never fund this intervention (repeatable).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds the solver may take per budget; when it stops early the gap to the best bound is reported.")
@no_map_option
@click.pass_context
def portfolio_cmd(ctx: click.Context, scenarios: tuple[Path, ...], outdir: Path, budgets: tuple[float, ...],
                  costs: Path | None, levels: int, draws: int, seed: int, each: tuple[str, ...],
                  include: tuple[str, ...], exclude: tuple[str, ...], time_limit: float, no_map: bool) -> None:
    """Which interventions give the most connectivity (EC) for the money.

    The interventions of the SCENARIOS files are the candidates (the first
    file's landscape and links define the network; habitat_loss is a threat,
    not a candidate). Each candidate's effect is measured by running the
    network with it alone; the best portfolio under a budget is found
    exactly by a mixed-integer model (HiGHS) over the terms of PC, with
    capacity changes adding up and each link taking the best probability a
    funded measure gives it; the best portfolios are then checked by running
    the network with their interventions together. Costs come from
    data/programme/costs.yml (placeholders until national estimates replace
    them) or --costs.
    """
    # Local: the scenario layer loads every engine, geopandas and matplotlib (+1.5 s before --help could print).
    from corridors.scenario.portfolio import run_portfolio

    quiet = is_quiet(ctx)

    def say(text: str) -> None:
        if not quiet:
            click.echo(f"  {text}", err=True)

    run = run_portfolio(list(scenarios), outdir, budgets=budgets, levels=levels, draws=draws, seed=seed, costs=costs,
                        at_least_one=each, include=include, exclude=exclude, time_limit=time_limit,
                        progress=say, draw_map=not no_map)
    if not quiet:
        print_portfolio(run)


def print_portfolio(run: Any) -> None:
    """Print the best portfolio at each reported budget and the files written."""
    pp = run.programme
    c = pp.candidates
    unit = pp.problem.unit
    n_ph = int(c["placeholder"].sum())
    click.echo(f"portfolio: {len(c)} candidates, costs in {unit}"
               + (f" ({n_ph} placeholders: {pp.costs_path.name})" if n_ph else ""))
    req = run.frontier[run.frontier["requested"]]
    for r in req.itertuples():
        click.echo(f"  budget {format_number(r.budget)}: EC gain {format_number(r.ec_gain_ha)} ha ({r.ec_gain_pct:+.1f} %), "
                   f"{r.n_chosen} measures costing {format_number(r.cost)}; greedy {format_number(r.greedy_ec_gain_ha)} ha"
                   + (f"; gap {100 * r.gap:.2g} %" if r.gap > 0 else ""))
        chosen = [x for x in r.chosen.split(";") if x]
        for cid in chosen:
            row = c.loc[cid]
            share = ""
            col = f"budget_{r.budget:g}"
            if run.frequency is not None and col in run.frequency:
                share = f", chosen in {100 * run.frequency.loc[cid, col]:.0f} % of draws"
            click.echo(f"    {row['measure']:<5} {cid:<40} {format_number(row['cost']):>7}{share}")
    if run.outdir is not None:
        click.echo(f"  written to {run.outdir} (report.html)")
