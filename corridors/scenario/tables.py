"""The tables of a scenario run: what :func:`_tables` makes of a :class:`ScenarioRun`, the summary, and the per-measure effects.

Every table is written as CSV (:func:`_csv`, fixed float format, so reruns
give byte-identical files) and returned in ``ScenarioResult.tables``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors.io import atomic_path, encode_list, encode_list_columns
from corridors.scenario.context import Analysis, _Context
from corridors.scenario.interventions import _apply
from corridors.scenario.network import _analyse
from corridors.scenario.schema import Scenario
from corridors.scoring import weighted_score


@dataclass
class ScenarioRun:
    """Everything one run computed, before it is turned into tables, files and a report.

    Attributes
    ----------
    ctx : _Context
        The run's inputs, grid and candidate lists.
    model : Scenario
    base, scen : Analysis
        The baseline (no intervention) and the scenario; the same object when
        the scenario has no intervention.
    corridors : pandas.DataFrame
        Candidate corridor criteria on the scenario (index: corridor key).
    corridors_base : pandas.DataFrame or None
        The same on the baseline (None without interventions).
    paths : geopandas.GeoDataFrame
        Least-cost paths of the candidate corridors.
    mosaic, current : numpy.ndarray
        Truncated normalized corridor mosaic and maximum current over the corridors (NaN outside).
    sites : pandas.DataFrame
        Candidate site criteria on the scenario (index: site id; ``_dists`` column kept).
    sites_base : pandas.DataFrame or None
        The same on the baseline (None without interventions).
    corridor_scores, site_scores : pandas.DataFrame or None
        Weighted scores (None when nothing could be scored).
    corridor_robustness, site_robustness : corridors.scoring.RobustnessResult or None
    by_measure : pandas.DataFrame or None
        EC and PC per measure and river system (:func:`_per_measure`).
    """

    ctx: _Context
    model: Scenario
    base: Analysis
    scen: Analysis
    corridors: Any
    corridors_base: Any
    paths: Any
    mosaic: Any
    current: Any
    sites: Any
    sites_base: Any
    corridor_scores: Any
    corridor_robustness: Any
    site_scores: Any
    site_robustness: Any
    by_measure: Any = None


def _csv(df: Any, path: Path, index: bool = True) -> None:
    """Write a table with a fixed float format so reruns give byte-identical files."""
    with atomic_path(path) as tmp:
        # list columns ';'-joined, as every CSV of corridors (corridors.io.write_csv)
        encode_list_columns(df).to_csv(tmp, index=index, float_format="%.10g", lineterminator="\n")


def _per_measure(ctx: _Context, model: Scenario, base: Analysis, scen: Analysis) -> Any:
    """EC and PC per river system: baseline, each measure alone, all interventions."""
    rows = []

    def add(label: str, measure: str, an: Analysis) -> None:
        for sysname, r in an.by_system.iterrows():
            b = base.by_system.loc[sysname] if sysname in base.by_system.index else None
            rows.append({
                "measure": measure, "what": label, "river_system": sysname,
                "ec_ha": r["ec_ha"], "ec_base_ha": b["ec_ha"] if b is not None else float("nan"),
                "ec_change_ha": r["ec_ha"] - (b["ec_ha"] if b is not None else 0.0),
                "ec_change_pct": (r["ec_ha"] / b["ec_ha"] - 1) * 100 if b is not None and b["ec_ha"] > 0 else float("nan"),
                "pc": r["pc"], "pc_base": b["pc"] if b is not None else float("nan"),
                "pc_change_pct": (r["pc"] / b["pc"] - 1) * 100 if b is not None and b["pc"] > 0 else float("nan"),
            })

    measures = model.measures
    for m in measures:
        idx = [i for i, iv in enumerate(model.interventions) if iv.measure == m]
        if len(measures) == 1:
            an = scen
        else:
            an = _analyse(ctx, _apply(ctx, [model.interventions[i] for i in idx], idx), node_metrics=False)
        types = sorted({model.interventions[i].type for i in idx})
        add(", ".join(types), m, an)
    if len(measures) > 1:
        add("all interventions", "all", scen)
    return pd.DataFrame(rows)


def _tables(run: ScenarioRun) -> dict[str, Any]:
    """Every table of a run, by the name of its CSV file (infinities written as empty cells)."""
    ctx, model, base, scen = run.ctx, run.model, run.base, run.scen
    corr, corr_base, sites_tab, sites_base = run.corridors, run.corridors_base, run.sites, run.sites_base
    c_scored, c_rob, s_scored, s_rob = run.corridor_scores, run.corridor_robustness, run.site_scores, run.site_robustness
    by_measure = run.by_measure
    t: dict[str, Any] = {}
    b, s = base.by_system, scen.by_system
    eb = pd.DataFrame(index=s.index.union(b.index, sort=False))
    eb.index.name = "river_system"
    eb["n_nodes"] = s["n_nodes"]
    eb["capacity_base_ha"], eb["capacity_ha"] = b["capacity_ha"], s["capacity_ha"]
    eb["ec_base_ha"], eb["ec_ha"] = b["ec_ha"], s["ec_ha"]
    eb["ec_change_pct"] = (eb["ec_ha"] / eb["ec_base_ha"] - 1) * 100
    eb["pc_base"], eb["pc"] = b["pc"], s["pc"]
    eb["pc_change_pct"] = (eb["pc"] / eb["pc_base"] - 1) * 100
    t["ec_by_system"] = eb
    if by_measure is not None:
        t["ec_by_measure"] = by_measure.set_index(["measure", "river_system"])
    nodes = scen.graph.nodes.drop(columns=["geometry"], errors="ignore").copy()
    metrics = scen.connectivity.nodes.drop(columns=["capacity"], errors="ignore")
    t["network_nodes"] = nodes.join(metrics)
    links = scen.graph.links.copy()
    if "borders" in links:
        links["borders"] = links["borders"].map(encode_list)
    t["network_links"] = links.drop(columns=["geometry"], errors="ignore")
    cc = corr.copy()
    if corr_base is not None and len(corr_base):
        cc.insert(cc.columns.get_loc("cwd") + 1, "cwd_base", corr_base["cwd"].reindex(cc.index))
        cc.insert(cc.columns.get_loc("cwd_base") + 1, "cwd_change_pct", (cc["cwd"] / cc["cwd_base"] - 1) * 100)
    t["corridors"] = cc
    if c_scored is not None:
        cs = c_scored.join(cc[[c for c in cc.columns if c not in c_scored.columns]])
        t["corridor_scores"] = cs[["score", "rank"] + [c for c in cs.columns if c not in ("score", "rank")]]
        rt = c_rob.table()
        rt.index.name = "corridor"
        t["corridor_robustness"] = rt
    st = sites_tab.drop(columns=["_dists"], errors="ignore")
    t["sites"] = st
    if s_scored is not None:
        sc = s_scored.copy()
        if sites_base is not None and len(sites_base):
            w = {k: v for k, v in model.scoring.site_weights.items() if k in sites_base.columns}
            bs = weighted_score(sites_base.drop(columns=["_dists"], errors="ignore"), w)
            sc.insert(1, "score_base", bs["score"].reindex(sc.index))
            sc.insert(3, "rank_base", bs["rank"].reindex(sc.index))
        sc = sc.join(st[[c for c in st.columns if c not in sc.columns]])  # unweighted facts too (capacity ...)
        t["site_scores"] = sc[["score", "rank"] + [c for c in sc.columns if c not in ("score", "rank")]]
        rt = s_rob.table()
        rt.index.name = "site"
        t["site_robustness"] = rt
    log = pd.DataFrame(scen.state.log if model.interventions else [],
                       columns=["intervention", "type", "measure", "label", "cells", "area_ha", "habitat_change_ha",
                                "at_cap_cells", "node"])
    t["interventions"] = log.set_index("intervention")
    un = ctx.sites[ctx.sites.get("location_status", pd.Series(index=ctx.sites.index, dtype=str)) == "unresolved"]
    cols = [c for c in ("id", "name", "kind", "population_unit", "measures", "source") if c in un.columns]
    ut = pd.DataFrame(un[cols]).copy()
    for c in ("population_unit", "measures"):
        if c in ut:
            ut[c] = ut[c].map(encode_list)
    t["unresolved"] = ut.set_index("id") if "id" in ut else ut
    for k, df in t.items():
        t[k] = df.replace([np.inf, -np.inf], np.nan)
    return t


def _summary(run: ScenarioRun) -> dict:
    """Key metrics of a run: what ``corridors batch`` puts side by side."""
    model, base, scen, c_scored, s_scored = run.model, run.base, run.scen, run.corridor_scores, run.site_scores
    sb, ss = base.connectivity.summary, scen.connectivity.summary
    out: dict[str, Any] = {
        "scenario": model.name,
        "measures": encode_list(model.measures),
        "n_interventions": len(model.interventions),
        "ec_ha": round(ss["EC_PC"], 6),
        "ec_base_ha": round(sb["EC_PC"], 6),
        "ec_change_pct": round((ss["EC_PC"] / sb["EC_PC"] - 1) * 100, 6) if sb["EC_PC"] > 0 else 0.0,
        "pc": ss["PC"],
        "pc_base": sb["PC"],
        "n_nodes": ss["n_nodes"],
        "n_links": ss["n_links"],
        "n_components": ss["n_components"],
        "n_linkages": int(len(c_scored)) if c_scored is not None else 0,
        "top_corridor": str(c_scored.index[0]) if c_scored is not None and len(c_scored) else "",
        "top_site": str(s_scored.index[0]) if s_scored is not None and len(s_scored) else "",
        "median_dispersal_m": model.links.median_dispersal_m,
        "resolution_m": model.landscape.resolution_m,
    }
    for sysname, r in scen.by_system.iterrows():
        if sysname != "all":
            out[f"ec_{sysname}_ha"] = round(float(r["ec_ha"]), 6)
    return out

