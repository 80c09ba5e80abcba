"""``corridors pva``: population viability of the programme's populations (the main job's ``viability`` step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from corridors.cli._options import is_quiet, no_map_option, outdir_option


@click.command("pva")
@click.argument("scenario", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@outdir_option(Path("out/viability"), "Output folder: viability.csv, left_out.csv, trajectories_map.png/.svg, "
               "risk_map.png/.svg, provenance.json (with SCENARIO: viability.csv with the baseline beside, "
               "viability_actions.csv, viability_left_out.csv, the two figures, provenance.json).")
@click.option("--replicates", type=click.IntRange(min=10), default=2_000, show_default=True,
              help="Simulated futures (10,000 for a final figure).")
@click.option("--seed", type=int, default=2025, show_default=True, help="Random seed: the same seed gives the same tables.")
@click.option("--sensitivity", "sensitivity", type=click.IntRange(min=0), default=0, show_default=True,
              help="Latin-hypercube draws of the assumed parameters (500 runs each), ranked by their effect on the total's "
                   "expected minimum abundance (0: none; 100 takes about a minute).")
@no_map_option
@click.pass_context
def pva_cmd(ctx: click.Context, scenario: Path | None, outdir: Path, replicates: int, seed: int, sensitivity: int,
            no_map: bool) -> None:
    """Population viability to 2032 and 2050: the baseline of the programme's populations, or of a scenario.

    With SCENARIO (a scenario YAML), its network and its pva: section (actions
    with their measures; defaults and no action without one) against the
    baseline network, same seed: the viability part of `corridors run`
    alone, without the scoring.

    A stochastic stage- and sex-structured metapopulation model (corridors.pva)
    on the programme's habitat network: starting counts, vital rates,
    catastrophes and the density range of data/pva.yml (rates of other red
    deer populations, marked assumed; the bundled counts are order-of-magnitude
    placeholders split from a range-wide total, said so in the file), K from
    each population's suitable habitat, dispersal along the network's links.
    Populations without a count in the file are left out and listed.
    """
    # Local: the analysis loads the habitat network (least-cost engine, geopandas) and matplotlib (+0.8 s at start).
    from corridors.analyses.pva import run_programme_pva

    if scenario is not None:
        given = [o for o, k in (("--replicates", "replicates"), ("--seed", "seed"), ("--sensitivity", "sensitivity"),
                                ("--no-map", "no_map"))
                 if ctx.get_parameter_source(k) == click.core.ParameterSource.COMMANDLINE]
        if given:
            raise click.UsageError(f"{', '.join(given)}: with a SCENARIO the run's settings come from its pva: section "
                                   "(replicates, seed, actions); set them there.")
        # Local: the scenario pipeline loads every engine (+1 s); the baseline run needs only the network.
        from corridors.scenario.pipeline import run_scenario_viability

        v, files = run_scenario_viability(scenario, outdir, quiet=is_quiet(ctx))
        if not is_quiet(ctx):
            print_scenario_pva(v, files)
        return

    result = run_programme_pva(replicates=replicates, seed=seed, sensitivity_draws=sensitivity)
    written = result.write(outdir, map=not no_map)
    if not is_quiet(ctx):
        print_pva(result, written)


def _deer(x: Any) -> str:
    """A number of deer as a whole number with thousands separators (a median of counts can end in .5: rounded)."""
    return "n/a" if x is None or x != x else f"{float(x):,.0f}"


def print_pva(result: Any, written: list[Path]) -> None:
    """Print the viability table and the files written (``corridors pva``, ``corridors programme``)."""
    p = result.parameters
    click.echo(f"viability: {len(result.table) - 1} populations, {p['replicates']:,} runs from {p['start_year']}, "
               f"quasi-extinction below {p['quasi_extinction']:g} deer, lambda0 {p['lambda0']:.3f} "
               "(assumed vital rates)")
    def pct(v: float) -> str:
        return "n/a" if v != v else f"{100 * v:.1f} %"

    for _, r in result.table.iterrows():
        click.echo(f"  {str(r['id']):<10} start {_deer(r.get('count')):>6}  P(quasi-extinct) 2032 "
                   f"{pct(r['p_quasi_extinct_2032'])}, 2050 {pct(r['p_quasi_extinct_2050'])}  median 2050 "
                   f"{_deer(r['median_2050'])}" + (f"  ({r['note']})" if r.get("note") else ""))
    if result.sensitivity is not None:
        click.echo("  most influential assumed parameters (Spearman rank correlation with the total's expected minimum abundance):")
        for _, r in result.sensitivity.head(5).iterrows():
            click.echo(f"    {r['parameter']:<32} {r['spearman']:+.2f}")
    if len(result.left_out):
        click.echo(f"  left out (no count in data/pva.yml): {', '.join(result.left_out['id'])}")
    for f in written:
        click.echo(f"  {f}")


def print_scenario_pva(v: Any, written: list[Path]) -> None:
    """Print a scenario's viability against the baseline and the files written (``corridors pva SCENARIO``)."""
    last = max(v.horizons)

    def pct(x: Any) -> str:
        return "n/a" if x is None or x != x else f"{100 * float(x):.1f} %"

    click.echo(f"viability: {v.parameters.get('replicates', '?'):,} runs, {len(v.actions)} action(s); P(quasi-extinct by "
               f"{last}) and median {last}, scenario (baseline)")
    for _, r in v.table.iterrows():
        click.echo(f"  {str(r['id']):<24} {pct(r.get(f'p_quasi_extinct_{last}'))} ({pct(r.get(f'p_quasi_extinct_{last}_base'))})  "
                   f"median {_deer(r.get(f'median_{last}'))} ({_deer(r.get(f'median_{last}_base'))})")
    for f in written:
        click.echo(f"  {f}")
