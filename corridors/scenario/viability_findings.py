"""The scenario report's viability section: its sentences, caveats and blocks, computed from the PVA's tables.

As :mod:`corridors.scenario.findings` (whose sentence helpers it uses), every
sentence names what the tables and ``data/pva.yml`` hold, so a change of the
parameters or the actions changes the sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from corridors.analyses.pva import catastrophes_basis
from corridors.report import Block
from corridors.scenario.findings import _names, _pct, site_names

if TYPE_CHECKING:  # the viability step imports the engines; these findings only read its result
    from corridors.scenario.viability import ScenarioViability


def _assumed_values(obj: Any, path: str = "") -> list[tuple[str, bool]]:
    """Every sourced value of a parameter model (``source`` and ``assumed`` fields) and whether it is marked assumed."""
    out: list[tuple[str, bool]] = []
    if hasattr(obj, "assumed") and hasattr(obj, "source"):
        out.append((path, bool(obj.assumed)))
    fields = getattr(type(obj), "model_fields", None)
    if fields:
        for name in fields:
            if name in ("populations", "notes", "unresolved"):
                continue  # the counts have their own caveat
            out += _assumed_values(getattr(obj, name), f"{path}.{name}" if path else name)
    elif isinstance(obj, list):
        for k, el in enumerate(obj):
            out += _assumed_values(el, f"{path}[{k}]")
    return out


def _first_sentence(text: str) -> str:
    t = " ".join(str(text).split())
    return t.split(". ")[0].rstrip(".") + "."


def viability_caveats(v: ScenarioViability) -> list[str]:
    """What the viability figures rest on, each sentence computed from data/pva.yml's fields and the run's populations.

    Parameters
    ----------
    v : ScenarioViability

    Returns
    -------
    list of str
        The vital rates marked assumed; the starting counts, their ranges and
        sources; K; the quasi-extinction threshold; the nodes left out.
    """
    prm, table = v.params, v.table[v.table["id"] != "all"]
    vals = _assumed_values(prm)
    assumed = [p for p, a in vals if a]
    groups = sorted({p.split(".")[0].split("[")[0] for p in assumed})
    out = [f"{len(assumed)} of the {len(vals)} sourced values of data/pva.yml the model uses are marked assumed "
           f"({', '.join(g.replace('_', ' ') for g in groups)}): taken from other red deer populations, not measured "
           "on Bukhara deer, so the risks are those of these rates, not a forecast."]
    counted = table[table["count"] > 0]
    if len(counted):
        lo, hi = counted["count_low"].astype(float), counted["count_high"].astype(float)
        ratio = (hi / counted["count"].astype(float)).where(hi > 0)
        low_ratio = lo / counted["count"].astype(float)
        order = counted["count_source"].astype(str).str.contains("order of magnitude", case=False)
        years = sorted({int(y) for y in counted["count_year"].dropna()})
        text = (f"The {len(counted)} starting counts ({int(counted['count'].sum()):,} animals, counts of "
                f"{', '.join(map(str, years))}) lie within ranges of {int(lo.min()):,}-{int(hi.max()):,} animals in "
                f"data/pva.yml ({low_ratio.min():.2g} to {ratio.max():.3g} times the count)")
        if order.any():
            text += (f"; {int(order.sum())} of them are order-of-magnitude figures by their own source, split from a "
                     "range-wide total, so a population's risk is no better known than its count")
        out.append(text + ".")
    dens = prm.density_dependence.density_per_km2
    out.append(f"K is each node's suitability-weighted habitat times {(dens.low + dens.high) / 2:g} deer per km2, "
               f"the middle of the {dens.low:g}-{dens.high:g} of data/pva.yml"
               + (" (an assumption)" if dens.assumed else "") + f", with a {prm.density_dependence.form} form.")
    empty = table[table["count_source"].astype(str).str.startswith("reintroduced")]
    if len(empty):
        out.append(f"{len(empty)} reintroduced site(s) ({_names(list(empty['name'].astype(str)))}) start with no "
                   "animals and K the capacity the scenario plans; only the pva actions and dispersal bring deer there.")
    out += [t[0].upper() + t[1:] + "." for t in
            catastrophes_basis([{"name": c.name, "probability": c.probability} for c in prm.catastrophes])]
    q = prm.quasi_extinction
    out.append(f"Quasi-extinct means fewer than {q.value:g} animals"
               + (" (an assumption: " + _first_sentence(q.source).rstrip(".") + ")" if q.assumed else "") + ".")
    if len(v.left_out):
        out.append(f"{len(v.left_out)} node(s) of the network have no count in data/pva.yml and are left out of the "
                   f"model: {_names(list(v.left_out['name'].astype(str)))}.")
    return out


def viability_sentences(v: ScenarioViability) -> list[str]:
    """The findings of the viability step: the total against the baseline, and the population the scenario moves most."""
    t = v.table.set_index("id")
    last = v.horizons[-1]
    a = t.loc["all"]
    out = [f"All populations together: median {a[f'median_{last}']:,.0f} animals in {last} "
           f"(baseline {a[f'median_{last}_base']:,.0f}), from {int(a['count']):,} at the start; "
           f"expected minimum abundance {a['expected_minimum_abundance']:,.0f} "
           f"(baseline {a['expected_minimum_abundance_base']:,.0f})."]
    pops = t.drop(index="all")
    col, base = f"p_quasi_extinct_{last}", f"p_quasi_extinct_{last}_base"
    d = (pops[col].astype(float) - pops[base].astype(float)).dropna()
    if len(d) and d.abs().max() > 0:
        k = str(d.abs().idxmax())
        out.append(f"The scenario changes P(quasi-extinct by {last}) most in {pops.loc[k, 'name']}: "
                   f"{_pct(float(pops.loc[k, base]))} in the baseline, {_pct(float(pops.loc[k, col]))} here.")
    elif len(d):
        out.append(f"No population's P(quasi-extinct by {last}) differs from the baseline's.")
    m, mb = pops[f"median_{last}"].astype(float), pops[f"median_{last}_base"].astype(float)
    dm = (m - mb).dropna()
    if len(dm) and dm.abs().max() > 0:
        k = str(dm.abs().idxmax())
        out.append(f"The scenario changes the median abundance in {last} most in {pops.loc[k, 'name']}: "
                   f"{mb[k]:,.0f} animals in the baseline, {m[k]:,.0f} here ({(m[k] / mb[k] - 1) * 100:+.0f} %)."
                   if mb[k] > 0 else f"The scenario changes the median abundance in {last} most in "
                   f"{pops.loc[k, 'name']}: {mb[k]:,.0f} animals in the baseline, {m[k]:,.0f} here.")
    new = pops[pops[base].isna()]
    for k, r in new.iterrows():
        out.append(f"{r['name']} is a population of this scenario only, founded by its actions: below "
                   f"{v.parameters['quasi_extinction']:g} animals in {last} in {_pct(float(r[col]))} of the runs, "
                   f"median {r[f'median_{last}']:,.0f} animals.")
    at_risk = pops[(pops[col].astype(float) >= 0.5) & pops[base].notna()]
    if len(at_risk):
        out.append(f"{len(at_risk)} population(s) fall below the threshold by {last} in half the runs or more: "
                   f"{_names(list(at_risk['name'].astype(str)))}.")
    return out


def viability_blocks(v: ScenarioViability, sites: pd.DataFrame, folder: Path) -> list[Block]:
    """The report's Viability section: settings, findings, the table against the baseline, actions, figures, caveats."""
    p = v.parameters
    names = site_names(sites)
    B = [Block("h2", "Viability"),
         Block("p", (f"The stochastic metapopulation model (corridors.pva) on this scenario's network: "
                     f"{p['replicates']:,} replicates from {p['start_year']} to {p['last_year']}, seed {p['seed']}, "
                     f"{p['actions']} management action(s). The baseline column of each figure is the baseline "
                     "network with no action, run with the same seed, replicates and years, so that each population "
                     "draws the same years in both runs. P(quasi-extinct by a year): the share of runs in which the "
                     f"population has fallen below {p['quasi_extinction']:g} animals by then.")),
         Block("list", items=viability_sentences(v))]
    cols = ["name", "count", "K"]
    for y in v.horizons:
        cols += [f"p_quasi_extinct_{y}", f"p_quasi_extinct_{y}_base", f"median_{y}", f"median_{y}_base"]
    tab = v.table.set_index("id")[cols].copy()
    tab.index = pd.Index([str(i) for i in tab.index], name="population")
    tab["name"] = [names.get(i, n) if i != "all" else n for i, n in zip(tab.index, tab["name"].astype(str))]
    B.append(Block("table", "Per population: P(quasi-extinct) and median abundance, scenario against baseline",
                   table=tab))
    if len(v.actions):
        B.append(Block("table", "Management actions of the model (years: calendar years they are taken in)",
                       table=v.actions.set_index("action")))
    for stem, text in (("viability_trajectories", "Abundance: median and 5-95 % of the runs, per population and in total."),
                       ("viability_risk", "Quasi-extinction risk by year.")):
        if (folder / f"{stem}.png").exists():
            B.append(Block("image", text, path=folder / f"{stem}.png"))
    B.append(Block("h3", "What the viability figures rest on"))
    B.append(Block("list", items=viability_caveats(v)))
    return B


__all__ = ["viability_blocks", "viability_caveats", "viability_sentences"]
