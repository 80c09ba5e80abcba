"""The report's summary of findings and its caveats, every sentence computed from the run's own tables and settings.

Nothing here is fixed text about the results: a sentence names what the
tables hold (which option ranks first, by how much, how often the robustness
draws agree; how many corridors are one cell wide; how precisely the places
are known), so a change of the data or the settings changes the sentence.
The building blocks take plain tables, so each can be checked on a table
written by hand; :func:`summary_items` and :func:`caveat_items` compose them
for a :class:`~corridors.scenario.tables.ScenarioRun`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors import settings
from corridors.scenario.schema import Robustness, Scoring
from corridors.scenario.tables import ScenarioRun
from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA, Criterion

#: Places known only to this radius (km) or worse are named in the precision caveat.
COARSE_KM = 50.0
#: At most this many names in one sentence; the rest are counted.
MAX_NAMES = 5


def _names(items: Sequence[str]) -> str:
    """``a, b and c``; past :data:`MAX_NAMES`, ``a, b, ... and 3 more``."""
    items = list(items)
    if len(items) > MAX_NAMES:
        return ", ".join(items[:MAX_NAMES]) + f" and {len(items) - MAX_NAMES} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pct(p: float) -> str:
    return f"{100 * p:.0f} %"


def _km(m: float) -> str:
    return f"{m / 1000:.3g} km"


def ranking_sentence(what: str, rob: pd.DataFrame, names: Mapping[str, str], top_k: int, draws: int,
                     scores: pd.DataFrame | None = None, weights: Mapping[str, float] | None = None,
                     criteria: Mapping[str, Criterion] | None = None) -> str:
    """What ranks first, by how much, on what, and how often the robustness draws agree.

    Parameters
    ----------
    what : str
        Plural noun of the options, e.g. ``'candidate corridors'``.
    rob : pandas.DataFrame
        :meth:`corridors.scoring.RobustnessResult.table`: ``score``, ``rank``,
        ``p_best``, ``p_top<k>`` per option (index: option id).
    names : mapping of str to str
        Option id -> the name shown.
    top_k : int
    draws : int
        Number of robustness draws.
    scores : pandas.DataFrame, optional
        :func:`corridors.scoring.weighted_score` of the options (``<criterion>_norm`` columns):
        with ``weights``, the criterion that sets the first apart from the second is named.
    weights : mapping of str to float, optional
    criteria : mapping of str to Criterion, optional
        Descriptions of the criteria (their text up to the first parenthesis is shown).

    Returns
    -------
    str
    """
    rob = rob.sort_values("rank", kind="stable")
    ids = [str(i) for i in rob.index]
    label = {i: names.get(i, i) for i in ids}
    first = ids[0]
    s1 = float(rob.loc[first, "score"])
    if len(ids) == 1:
        text = f"Only one of the {what} could be scored: {label[first]} (score {s1:.3f})."
    else:
        second = ids[1]
        s2 = float(rob.loc[second, "score"])
        text = (f"Of the {len(ids)} {what} scored, {label[first]} ranks first with a score of {s1:.3f}, "
                f"{s1 - s2:.3f} ahead of {label[second]} ({s2:.3f})")
        why = _deciding_criterion(scores, weights, criteria, first, second)
        text += f", mostly on {why}." if why else "."
    col = f"p_top{top_k}"
    pb, pk = float(rob.loc[first, "p_best"]), float(rob.loc[first, col])
    text += f" Across {draws} robustness draws it is first in {_pct(pb)} of them and in the top {top_k} in {_pct(pk)}"
    most = str(rob["p_best"].astype(float).idxmax())
    if most != first and float(rob.loc[most, "p_best"]) > pb:
        text += f"; {label[most]} is first more often ({_pct(float(rob.loc[most, 'p_best']))})"
    return text + "."


def _deciding_criterion(scores: pd.DataFrame | None, weights: Mapping[str, float] | None,
                        criteria: Mapping[str, Criterion] | None, first: str, second: str) -> str:
    """The criterion whose weighted normalized value most favours ``first`` over ``second`` ('' if none)."""
    if scores is None or not weights:
        return ""
    total = sum(weights.values())
    best, gap = "", 0.0
    for c, w in weights.items():
        col = f"{c}_norm"
        if col in scores.columns and first in scores.index and second in scores.index:
            g = w / total * (float(scores.loc[first, col]) - float(scores.loc[second, col]))
            if g > gap + 1e-12:
                best, gap = c, g
    if not best:
        return ""
    desc = criteria[best].description.split(" (")[0] if criteria and best in criteria else best
    return f"{desc} ({best})"


def change_sentence(ec_by_system: pd.DataFrame, interventions: int) -> str:
    """How EC changed against the baseline, overall and in the river system that changed most.

    Parameters
    ----------
    ec_by_system : pandas.DataFrame
        Index river system (with ``all``), columns ``ec_base_ha``, ``ec_ha``, ``ec_change_pct``.
    interventions : int
        Number of interventions of the scenario (0: the baseline itself).

    Returns
    -------
    str
    """
    if not interventions:
        return ("This run is the baseline (no intervention), so there is no change to report; every other "
                "scenario reports its change against it.")
    a = ec_by_system.loc["all"]
    ch = float(a["ec_change_pct"])
    verb = "does not change" if abs(ch) < 0.005 else ("rises" if ch > 0 else "falls")
    text = (f"Against the baseline, EC {verb}: {a['ec_base_ha']:,.0f} ha -> {a['ec_ha']:,.0f} ha ({ch:+.2f} %) "
            f"with {interventions} intervention(s)")
    per = ec_by_system.drop(index="all")["ec_change_pct"].astype(float).dropna()
    if len(per) and per.abs().max() >= 0.005:
        top = per.abs().idxmax()
        text += f"; the largest change is in the {system_name(str(top))} system ({per[top]:+.2f} %)"
    return text + "."


def corridor_change_sentence(corridors: pd.DataFrame, names: Mapping[str, str]) -> str | None:
    """Which corridor's cost-weighted distance the interventions changed most (None without a baseline column)."""
    if "cwd_change_pct" not in corridors.columns:
        return None
    ch = corridors["cwd_change_pct"].astype(float).dropna()
    moved = ch[ch.abs() >= 0.005]
    if not len(moved):
        return f"No candidate corridor's cost-weighted distance changes against the baseline ({len(ch)} measured)."
    k = str(moved.abs().idxmax())
    return (f"The interventions change the cost-weighted distance of {len(moved)} of {len(ch)} candidate corridors; "
            f"most that of {names.get(k, k)} ({moved[k]:+.1f} %).")


def width_caveat(corridors: pd.DataFrame, names: Mapping[str, str], cell_m: float) -> str | None:
    """How many corridors are as narrow as one cell: their width is the grid's, not the landscape's (None if none)."""
    w = corridors["min_width_m"].astype(float).dropna() if "min_width_m" in corridors.columns else pd.Series(dtype=float)
    one = w[w <= cell_m * (1 + 1e-9)]
    if not len(one):
        return None
    return (f"{len(one)} of the {len(w)} measured candidate corridors report min_width_m = {one.max():,.0f} m, one "
            f"{_km(cell_m)} cell ({_names([names.get(str(i), str(i)) for i in one.index])}): their narrowest point "
            "is below what the grid resolves, so the width criterion cannot tell them apart; a finer "
            "landscape.resolution_m measures it.")


def unmeasured_caveat(corridors: pd.DataFrame, names: Mapping[str, str]) -> str | None:
    """Corridors the least-cost engine could not measure (their ``note``), None if every one was measured."""
    if "note" not in corridors.columns:
        return None
    notes = corridors["note"].fillna("").astype(str)
    bad = notes[notes != ""]
    if not len(bad):
        return None
    return (f"{len(bad)} candidate corridor(s) could not be measured and are not ranked: "
            + "; ".join(f"{names.get(str(k), str(k))}: {v}" for k, v in bad.items()) + ".")


def precision_caveat(places: pd.DataFrame, cell_m: float) -> str | None:
    """How precisely the places a run uses are located (``location_precision_km``), naming the coarsest.

    Parameters
    ----------
    places : pandas.DataFrame
        The located places the run uses (network nodes, candidate sites, corridor ends),
        with ``name``, ``location_precision_km`` and ``location_status``.
    cell_m : float
        Cell size of the grid (m).

    Returns
    -------
    str or None
        None when no place carries a precision.
    """
    prec = places["location_precision_km"].astype(float) if "location_precision_km" in places.columns else None
    if prec is None or not prec.notna().any():
        return None
    p = prec.dropna()
    status = places.get("location_status", pd.Series(["?"] * len(places), index=places.index)).astype(str)
    counts = status.value_counts()
    how = ", ".join(f"{n} {s}" for s, n in counts.items())
    coarse = places.loc[p[p >= COARSE_KM].index]
    coarse = coarse.sort_values("location_precision_km", ascending=False, kind="stable").drop_duplicates("name")
    text = (f"The {len(places)} places this run uses ({how}) lie within {p.min():g}-{p.max():g} km of where they are "
            f"drawn (median {p.median():g} km, location_precision_km of the sites file), that is "
            f"{p.median() * 1000 / cell_m:.0f} cells of {_km(cell_m)} for the median place")
    if len(coarse):
        text += (f"; {len(coarse)} are known only to {COARSE_KM:g} km or worse: "
                 + _names([f"{n} ({v:g} km)" for n, v in zip(coarse["name"], coarse["location_precision_km"])]))
    return text + ". Distances, widths and habitat around a place move with it; the robustness draws move them."


def unresolved_caveat(unresolved: pd.DataFrame) -> str | None:
    """The programme's places that could not be located (None if there are none)."""
    if not len(unresolved):
        return None
    names = unresolved["name"].astype(str).tolist() if "name" in unresolved.columns else [str(i) for i in unresolved.index]
    return (f"{len(unresolved)} place(s) the programme names could not be located and take no part in the analysis: "
            f"{_names(names)} (listed at the end).")


def capacity_caveat(n_nodes: int, n_set: int, reach_m: float, density: float, n_candidates: int) -> str:
    """Where the capacities come from: modelled habitat round each point, not surveys (unless the scenario set them).

    Parameters
    ----------
    n_nodes : int
        Populations of the network.
    n_set : int
        Of them, those whose capacity the scenario set (``capacity_change`` with an area).
    reach_m : float
        Radius of the habitat disc round each place (m).
    density : float
        Deer per km2 of suitable habitat of the candidate sites' capacity.
    n_candidates : int
        Candidate sites scored.

    Returns
    -------
    str
    """
    default = Scoring.model_fields["density_per_km2"].default
    modelled = n_nodes - n_set
    of = f"all {n_nodes}" if not n_set else f"{modelled} of the {n_nodes}"
    text = (f"The capacity of {of} populations is modelled, not surveyed: the "
            f"suitability-weighted habitat within {_km(reach_m)} of where the place is drawn, a placeholder until "
            "surveyed areas or head counts are supplied")
    if n_set:
        text += f"; the scenario sets {n_set} itself"
    if n_candidates:
        text += (f". The capacity of the {n_candidates} candidate sites assumes {density:g} deer per km2 of "
                 "suitability-weighted habitat" + (" (the default, an assumption: scoring.density_per_km2)" if density == default
                              else " (scoring.density_per_km2 of this scenario)"))
    return text + "."


def saturated_caveat(log: pd.DataFrame, resistance_raster: str | Path | None) -> str | None:
    """Restorations whose cells were mostly at suitability 1 already: they add little habitat (None if there are none).

    Parameters
    ----------
    log : DataFrame
        The interventions table (``type``, ``measure``, ``label``, ``cells``,
        ``habitat_change_ha``, ``at_cap_cells``).
    resistance_raster : path or None
        The scenario's own resistance raster (its suitability falls with
        resistance); None: suitability from the resistance table's classes.
    """
    if not len(log) or "at_cap_cells" not in log.columns:
        return None
    cells = pd.to_numeric(log["cells"], errors="coerce").fillna(0)
    capped = pd.to_numeric(log["at_cap_cells"], errors="coerce").fillna(0)
    hit = log[(log["type"] != "habitat_loss") & (cells > 0) & (capped >= 0.5 * cells)]
    if not len(hit):
        return None
    parts = [f"{r['measure']}{' (' + str(r['label']) + ')' if r.get('label') else ''}: {int(r['at_cap_cells'])} of "
             f"{int(r['cells'])} cells, {float(r['habitat_change_ha']):,.0f} ha of habitat added"
             for _, r in hit.iterrows()]
    base = ("the resistance table rates every riparian cell 1 (the class has no degraded state), so a restoration "
            "there shows only its lower resistance" if resistance_raster is None else
            "suitability falls with the resistance raster and is 1 on its lowest cells, so there a restoration shows "
            "only its lower resistance")
    return (f"{len(hit)} restoration intervention(s) lie mostly on cells already at suitability 1 ({'; '.join(parts)}): "
            f"{base}. Their habitat gain is not measured here; widen buffer_m to reach the floodplain, or give a "
            "resistance raster whose lowest values leave out the degraded reaches they repair.")


def resistance_caveat(table: str | Path | None, raster: str | Path | None, rivers: str | Path | None) -> str:
    """What the resistance surface rests on: the bundled expert table on the bundled Natural Earth layers, or the user's inputs.

    Parameters
    ----------
    table, raster, rivers : path-like or None
        The scenario's ``landscape.resistance_table``, ``landscape.resistance_raster`` and
        ``base.rivers`` (None: the bundled ones).

    Returns
    -------
    str
    """
    if raster is not None:
        return (f"Resistances are those of the resistance raster {Path(raster).name} as given; its values are not "
                "varied by the robustness draws (a raster has no classes to vary).")
    bundled = table is None or Path(table).resolve() == Path(settings.RESISTANCE_TABLE_PATH).resolve()
    src = ("the bundled expert-opinion table data/resistance.yml (no telemetry, genetic or occupancy data fitted it)"
           if bundled else f"the resistance table {Path(str(table)).name} of this scenario")
    layers = ("the bundled Natural Earth layers (countries, regions, lakes, towns in data/base, rivers in data/rivers)"
              if rivers is None else f"the bundled Natural Earth layers of data/base and the rivers of {Path(rivers).name}")
    return f"Resistance and suitability come from {src}, mapped onto {layers}; they are a model, not a measurement."


def robustness_caveat(rob: Robustness, draws: int, dispersal_m: np.ndarray | None, top_k: int,
                      perturbs_resistance: bool = True, habitat_threshold: float | None = None) -> str:
    """What the robustness draws vary, with their ranges, and what they do not.

    Parameters
    ----------
    rob : Robustness
        The scenario's ``scoring.robustness``.
    draws : int
    dispersal_m : numpy.ndarray or None
        The dispersal distance of every draw (None if it was not varied).
    top_k : int
    perturbs_resistance : bool, default True
        False when the landscape is a user's raster (no classes to vary).
    habitat_threshold : float, optional
        Places move only onto cells of at least this suitability (None: anywhere in the disc).

    Returns
    -------
    str
    """
    parts = [f"the weights (Dirichlet, concentration {rob.concentration:g})"]
    if dispersal_m is not None and len(dispersal_m):
        lo, hi = float(np.min(dispersal_m)), float(np.max(dispersal_m))
        parts.append(f"the median dispersal distance (from {_km(lo)} to {_km(hi)}, log-normal with sd of log "
                     f"{rob.dispersal_sd_log:g})")
    if rob.landscapes:
        if rob.location_scale > 0:
            share = "" if rob.location_scale == 1 else f"{rob.location_scale:g} x "
            where = (f", on habitat of suitability >= {habitat_threshold:g}" if habitat_threshold is not None else "")
            parts.append(f"where each place lies (uniformly within {share}its precision radius{where})")
        if perturbs_resistance and rob.resistance_factor > 1:
            f = rob.resistance_factor
            parts.append(f"every class and border resistance (each times a factor log-uniform in [{1 / f:.2g}, {f:g}])")
    text = f"The {draws} robustness draws behind P(top {top_k}) vary " + _names(parts)
    if rob.landscapes:
        text += f", over {rob.landscapes} perturbed landscape{'s' if rob.landscapes > 1 else ''}"
    fixed = []
    if not rob.landscapes or rob.location_scale == 0:
        fixed.append("where the places lie")
    if not rob.landscapes or not perturbs_resistance or rob.resistance_factor == 1:
        fixed.append("the resistances")
    if fixed:
        text += (f". They keep {' and '.join(fixed)} fixed, so the ranks are less certain than P(top {top_k}) says "
                 "(scoring.robustness.landscapes, location_scale, resistance_factor)")
    return text + "."


def varied(rob: Robustness, raster: bool = False) -> str:
    """What the robustness draws perturb, in a few words (the charts' titles)."""
    parts = ["weights", "dispersal"] if rob.dispersal_sd_log > 0 else ["weights"]
    if rob.landscapes and rob.location_scale > 0:
        parts.append("locations")
    if rob.landscapes and rob.resistance_factor > 1 and not raster:
        parts.append("resistances")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def system_name(system: str) -> str:
    """``amu_darya`` -> ``Amu Darya``; ``all`` -> ``all river systems``."""
    return "all river systems" if system == "all" else system.replace("_", " ").title()


# --------------------------------------------------------------------------- a run


def corridor_names(corridors: pd.DataFrame) -> dict[str, str]:
    """Corridor key -> ``key name`` (e.g. ``7.4 Ile: Kapchagai - Ile-Balkhash reserve``)."""
    if "name" not in corridors.columns:
        return {str(k): str(k) for k in corridors.index}
    return {str(k): f"{k} {n}" if isinstance(n, str) and n else str(k) for k, n in corridors["name"].items()}


def site_names(sites: pd.DataFrame) -> dict[str, str]:
    """Site id -> its name (the id where it has none)."""
    return {str(i): str(n) if isinstance(n, str) and n else str(i) for i, n in zip(sites["id"], sites["name"])}


def _used_places(run: ScenarioRun) -> pd.DataFrame:
    ctx = run.ctx
    ids = set(ctx.node_sites["id"]) | set(ctx.candidate_sites["id"])
    ids |= {e for c in ctx.corridors for e in (c.end_a, c.end_b)}
    return pd.DataFrame(ctx.sites[ctx.sites["id"].isin(ids)].drop(columns="geometry"))


def summary_items(run: ScenarioRun, tables: Mapping[str, Any], summary: Mapping[str, Any]) -> list[str]:
    """The summary of findings of a run: the rankings, the change against the baseline, the network."""
    model = run.model
    out = []
    cn, sn = corridor_names(tables["corridors"]), site_names(run.ctx.sites)
    if run.corridor_robustness is not None:
        out.append(ranking_sentence("candidate corridors", tables["corridor_robustness"], cn,
                                    run.corridor_robustness.top_k, run.corridor_robustness.ranks.shape[0],
                                    run.corridor_scores, model.scoring.corridor_weights, CORRIDOR_CRITERIA))
    if run.site_robustness is not None:
        out.append(ranking_sentence("candidate reintroduction sites", tables["site_robustness"], sn,
                                    run.site_robustness.top_k, run.site_robustness.ranks.shape[0],
                                    run.site_scores, model.scoring.site_weights, SITE_CRITERIA))
    out.append(change_sentence(tables["ec_by_system"], len(model.interventions)))
    cc = corridor_change_sentence(tables["corridors"], cn) if model.interventions else None
    if cc:
        out.append(cc)
    ss = tables.get("site_scores")
    if ss is not None and "rank_base" in ss.columns and len(ss):
        top = str(ss.index[0])
        rb = ss.loc[top, "rank_base"]
        if pd.notna(rb) and int(rb) != 1:
            out.append(f"The scenario moves {sn.get(top, top)} to the first site, from rank {int(rb)} in the baseline.")
    out.append(f"The habitat network holds {summary['n_nodes']} populations and {summary['n_links']} links in "
               f"{summary['n_components']} connected component(s); EC is {summary['ec_ha']:,.0f} ha of "
               f"{float(tables['ec_by_system'].loc['all', 'capacity_ha']):,.0f} ha of total capacity.")
    return out


def caveat_items(run: ScenarioRun, tables: Mapping[str, Any]) -> list[str]:
    """The caveats of a run, each computed from its data and settings (those that do not apply are left out)."""
    model = run.model
    cell = float(model.landscape.resolution_m)
    cn = corridor_names(tables["corridors"])
    state = run.scen.state
    n_nodes = len(run.scen.graph.ids)
    n_set = len(set(state.capacity_set_ha) & set(run.scen.graph.ids))
    n_cand = len(tables["sites"])
    rr = run.corridor_robustness or run.site_robustness
    items = [
        capacity_caveat(n_nodes, n_set, model.scoring.reach_m, model.scoring.density_per_km2, n_cand),
        precision_caveat(_used_places(run), cell),
        resistance_caveat(model.landscape.resistance_table, model.landscape.resistance_raster, model.base.rivers),
        saturated_caveat(tables["interventions"], model.landscape.resistance_raster),
        width_caveat(tables["corridors"], cn, cell),
        unmeasured_caveat(tables["corridors"], cn),
        unresolved_caveat(tables["unresolved"]),
    ]
    if rr is not None:
        items.append(robustness_caveat(model.scoring.robustness, rr.ranks.shape[0], rr.dispersal_m, rr.top_k,
                                       perturbs_resistance=model.landscape.resistance_raster is None,
                                       habitat_threshold=model.scoring.suitable_threshold))
    return [i for i in items if i]


__all__ = [
    "capacity_caveat", "caveat_items", "change_sentence", "corridor_change_sentence", "corridor_names",
    "precision_caveat", "ranking_sentence", "resistance_caveat", "robustness_caveat", "site_names",
    "saturated_caveat", "summary_items", "system_name", "varied", "unmeasured_caveat", "unresolved_caveat",
    "width_caveat",
]
