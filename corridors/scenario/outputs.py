"""The files of a scenario run: tables, rasters, the GeoPackage, figures, provenance and the report.

Everything is written into the run's temporary folder (see
:func:`corridors.scenario.pipeline.run_scenario`), which replaces the output
folder as a whole (:func:`corridors.io.staged_folder`) when every file is there.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from corridors import settings
from corridors.io import encode_list, write_csv, write_geopackage
from corridors.plot.pva import plot_risk_curves, plot_trajectories, population_label
from corridors.plot.save import save_figure
from corridors.plot.scenario_map import comparison_figure, scenario_map
from corridors.programme import known_measures
from corridors.io.provenance import input_entry, package_versions
from corridors.report import Block, write_report
from corridors.scenario.context import _select
from corridors.scenario.findings import caveat_items, corridor_names, site_names, summary_items, system_name, varied
from corridors.scenario.viability_findings import viability_blocks, viability_caveats
from corridors.scenario.interventions import _intervention_geoms
from corridors.scenario.portfolio_outputs import provenance_of, section_blocks, write_figures, write_tables
from corridors.scenario.schema import Scenario
from corridors.scenario.tables import ScenarioRun, _csv
from corridors.scenario.viability import ScenarioViability
from corridors.plot import plot_robustness
from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA
from corridors.web import write_scenario_maps
from corridors.web.layers import Layer, network_layers, resistance_layer

#: Resolution of the PNG figures of a run (their SVG twins are vector).
FIGURE_DPI = 150


def _save(fig: Any, stem: Path) -> list[Path]:
    """Write a figure with :func:`corridors.plot.save.save_figure` (PNG at FIGURE_DPI, SVG) and close it."""
    return save_figure(fig, stem, dpi=FIGURE_DPI, close=True)


def _write_provenance(run: ScenarioRun, tmp: Path, seconds: float, viability: ScenarioViability | None = None,
                      portfolio: Any = None) -> Path:
    """Write ``provenance.json`` (parameters, input hashes, package versions, grid, viability settings) into ``tmp``; its name."""
    ctx, model = run.ctx, run.model
    prov = {
        "scenario": model.name,
        "seed": model.seed,
        "parameters": json.loads(model.model_dump_json()),
        "inputs": {k: input_entry(p) for k, p in sorted(ctx.inputs.items()) if Path(p).is_file()},
        "packages": package_versions(),
        "engines": _engines(),
        "grid": {"bounds": list(ctx.bounds), "resolution_m": model.landscape.resolution_m,
                 "shape": list(run.base.state.resistance.shape), "crs": settings.WORKING_CRS.name},
        "seconds": seconds,
    }
    if viability is not None:
        prov["viability"] = {**viability.parameters, "rests_on": viability_caveats(viability)}
    if portfolio is not None:
        prov["portfolio"] = {k: v for k, v in provenance_of(portfolio).items() if k not in ("packages", "command")}
    (tmp / "provenance.json").write_text(json.dumps(prov, indent=2, default=str) + "\n")
    return Path("provenance.json")


def _write_report(run: ScenarioRun, tables: dict[str, Any], summary: dict, tmp: Path,
                  viability: ScenarioViability | None = None, portfolio: Any = None) -> list[Path]:
    """Write ``report.md`` and ``report.html`` into ``tmp`` (after the figures they show); their names."""
    blocks = _report_blocks(run, tables, summary, tmp)
    # the Viability and Budgeted portfolio sections go before the list of unlocated places, which closes every report
    if viability is not None:
        at = next(k for k, b in enumerate(blocks) if b.kind == "h2" and b.text.startswith("Places of the programme"))
        blocks[at:at] = viability_blocks(viability, run.ctx.sites, tmp)
    if portfolio is not None:
        at = next(k for k, b in enumerate(blocks) if b.kind == "h2" and b.text.startswith("Places of the programme"))
        figures = {"frontier": tmp / "portfolio_frontier.png"}
        if (tmp / "portfolio_selection.png").exists():
            figures["selection"] = tmp / "portfolio_selection.png"
        blocks[at:at] = [Block("h2", "Budgeted portfolio"),
                         Block("p", f"The best sets of this scenario's {len(portfolio.programme.candidates)} "
                                    f"interventions under budgets (costs in {portfolio.programme.problem.unit}, "
                                    f"{portfolio.programme.costs_path.name}); tables portfolio_*.csv.")]
        blocks[at + 2:at + 2] = section_blocks(portfolio, figures, level=3)
    write_report(blocks, tmp, "report", title=f"corridors scenario {run.model.name}")
    return [Path("report.md"), Path("report.html")]


def _write_outputs(run: ScenarioRun, tables: dict[str, Any], tmp: Path,
                   viability: ScenarioViability | None = None, portfolio: Any = None) -> list[Path]:
    """Write the tables, rasters, GeoPackage, map and figures of a run (and its viability) into ``tmp``; the files."""
    ctx, model, base, scen = run.ctx, run.model, run.base, run.scen
    paths, mosaic, current = run.paths, run.mosaic, run.current
    files: list[Path] = []
    for name, df in tables.items():
        _csv(df, tmp / f"{name}.csv")
        files.append(Path(f"{name}.csv"))
    # rasters
    st = scen.state
    st.resistance.replace(st.resistance.array.astype("float32"), name="resistance").write(tmp / "resistance.tif")
    st.suitability.replace(st.suitability.array.astype("float32"), name="suitability").write(tmp / "suitability.tif")
    st.resistance.replace(mosaic.astype("float32"), name="corridors").write(tmp / "corridors.tif")
    st.resistance.replace(current.astype("float32"), name="current").write(tmp / "current.tif")
    files += [Path("resistance.tif"), Path("suitability.tif"), Path("corridors.tif"), Path("current.tif")]
    if model.interventions:
        ratio = st.resistance.masked() / base.state.resistance.masked()
        st.resistance.replace(ratio.astype("float32"), name="resistance change").write(tmp / "resistance_change.tif")
        files.append(Path("resistance_change.tif"))
    # vectors
    layers: dict[str, gpd.GeoDataFrame] = {}
    sel = _select(model, ctx.sites).drop(columns=[c for c in ("_dists",) if c in ctx.sites.columns])
    layers["sites"] = sel
    nodes = scen.graph.nodes.copy()
    geo = dict(zip(ctx.sites["id"], ctx.sites.geometry))
    nodes_gdf = gpd.GeoDataFrame(tables["network_nodes"].reset_index(), geometry=[geo[i] for i in nodes.index],
                                 crs=settings.WORKING_CRS)
    layers["network_nodes"] = nodes_gdf
    lk = tables["network_links"].copy()
    if len(lk):
        lines = [LineString([geo[a].centroid, geo[b].centroid]) for a, b in zip(lk["i"], lk["j"])]
        layers["network_links"] = gpd.GeoDataFrame(lk.reset_index(drop=True), geometry=lines, crs=settings.WORKING_CRS)
    if len(paths):
        cs = tables.get("corridor_scores")
        attrs = tables["corridors"].join(cs[["score", "rank"]]) if cs is not None else tables["corridors"]
        layers["corridor_paths"] = paths.merge(attrs.reset_index(), on="corridor", how="left")
    if len(tables["sites"]):
        ss = tables.get("site_scores")
        attrs = tables["sites"].join(ss[["score", "rank"]]) if ss is not None else tables["sites"]
        attrs = attrs.reset_index()
        layers["candidate_sites"] = gpd.GeoDataFrame(attrs, geometry=[geo[s] for s in attrs["site"]],
                                                     crs=settings.WORKING_CRS)
    iv_geoms = _intervention_geoms(ctx, model)
    if iv_geoms is not None:
        layers["interventions"] = iv_geoms
    write_geopackage(tmp / "scenario.gpkg", layers)
    files.append(Path("scenario.gpkg"))
    # maps and figures
    fig = scenario_map(
        ctx.sites, tables["network_nodes"], tables["network_links"], bounds=ctx.bounds,
        title=f"{model.title or model.name}: EC {tables['ec_by_system'].loc['all', 'ec_ha']:,.0f} ha",
        mosaic=mosaic, mosaic_extent=scen.state.resistance.bounds, corridor_width_m=model.landscape.corridor_width_m,
        interventions=iv_geoms, paths=paths, site_scores=tables.get("site_scores"),
        unresolved=list(tables["unresolved"].index),
    )
    files += _save(fig, tmp / "scenario_map")
    # issue 18: the interactive map (map.html) and, against the baseline, the side-by-side view (compare.html)
    files += write_scenario_maps(tmp, model.name, _baseline_layers(run, geo) if model.interventions else None)
    names = {"corridors": corridor_names(tables["corridors"]), "sites": site_names(ctx.sites)}
    for key, rr, title in (("corridors", run.corridor_robustness, "Candidate corridors"),
                           ("sites", run.site_robustness, "Candidate reintroduction sites")):
        if rr is None:
            continue
        what = varied(model.scoring.robustness, raster=model.landscape.resistance_raster is not None)
        fig = plot_robustness(rr, title=f"{title}: rank under perturbed {what} ({model.name})", labels=names[key])
        files += _save(fig, tmp / f"robustness_{key}")
    if model.interventions:
        fig = comparison_figure(tables["ec_by_system"], tables.get("ec_by_measure"), model.name)
        files += _save(fig, tmp / "comparison")
    if viability is not None:
        files += _write_viability(viability, site_names(ctx.sites), model, tmp)
    if portfolio is not None:
        files += write_tables(portfolio, tmp, prefix="portfolio_")
        files += write_figures(portfolio, tmp, prefix="portfolio_")[0]
    return [f.relative_to(tmp) if f.is_absolute() else f for f in files]


def _baseline_layers(run: ScenarioRun, geo: dict[str, Any]) -> list[Layer]:
    """The baseline's habitat network and resistance as layers of the web map (left side of ``compare.html``)."""
    base = run.base
    nodes = base.graph.nodes.drop(columns=["geometry"], errors="ignore")
    nodes = nodes.join(base.connectivity.nodes.drop(columns=["capacity"], errors="ignore"))
    nodes = gpd.GeoDataFrame(nodes.reset_index(), geometry=[geo[i] for i in nodes.index], crs=settings.WORKING_CRS)
    lk = base.graph.links.drop(columns=["geometry"], errors="ignore").reset_index(drop=True)
    if "borders" in lk:
        lk["borders"] = lk["borders"].map(encode_list)
    links = gpd.GeoDataFrame(lk, geometry=[LineString([geo[a].centroid, geo[b].centroid]) for a, b in zip(lk["i"], lk["j"])],
                             crs=settings.WORKING_CRS)
    out = network_layers(nodes, links, "Baseline", "", prefix="baseline_network", visible=True)
    return [resistance_layer(base.state.resistance, "baseline_resistance", "Resistance (baseline)", "Baseline",
                             visible=True)] + out


def _write_viability(v: ScenarioViability, names: dict[str, str], model: Scenario, tmp: Path) -> list[Path]:
    """``viability.csv``, ``viability_actions.csv``, ``viability_left_out.csv`` and the fans and risk curves."""
    write_csv(v.table, tmp / "viability.csv", float_format="%.6g")
    write_csv(v.actions, tmp / "viability_actions.csv")
    write_csv(v.left_out, tmp / "viability_left_out.csv")
    files = [Path("viability.csv"), Path("viability_actions.csv"), Path("viability_left_out.csv")]
    t, years = v.scenario, v.calendar_years
    labels = [population_label(i, names.get(i)) for i in t.names]
    what = "with its actions" if len(v.actions) else "no action"
    fig = plot_trajectories(t.abundance, labels, years, marks=v.horizons,
                            title=f"{model.name}: abundance, {what} (assumed vital rates)")
    files += _save(fig, tmp / "viability_trajectories")
    fig = plot_risk_curves(t.abundance, labels, years, t.quasi_extinction,
                           title=f"{model.name}: quasi-extinction risk (below {t.quasi_extinction:g} animals)")
    files += _save(fig, tmp / "viability_risk")
    return files



def _engines() -> dict[str, str]:
    """Which engines the run used (a module missing here means its criteria are empty)."""
    out = {}
    for mod in ("corridors.sites", "corridors.rivers", "corridors.landscape", "corridors.lcp", "corridors.circuit",
                "corridors.network"):
        out[mod] = "present" if importlib.util.find_spec(mod) is not None else "absent"
    return out


def _named(df: Any, names: dict[str, str], label: str) -> Any:
    """``df`` with its index (ids) replaced by names, under the heading ``label``, for the report's rows."""
    out = df.copy()
    out.index = pd.Index([names.get(str(i), str(i)) for i in df.index], name=label)
    return out


def _extends_named(ss: Any, names: dict[str, str]) -> dict[str, Any]:
    """The ``extends`` column (population ids) as names, when the site table has it."""
    if "extends" not in ss.columns:
        return {}
    return {"extends": ss["extends"].map(lambda v: names.get(str(v), str(v)) if isinstance(v, str) and v else v)}


def _report_blocks(run: ScenarioRun, tables: dict, summary: dict, folder: Path) -> list:
    """The blocks of the run's report (Markdown and HTML): findings, caveats, EC, measures, corridors, sites, criteria."""
    ctx, model = run.ctx, run.model
    cn, sn = corridor_names(tables["corridors"]), site_names(ctx.sites)
    B: list = [Block("h1", f"Scenario {model.name}" + (f": {model.title}" if model.title else ""))]
    if model.description:
        B.append(Block("p", model.description.strip()))
    B.append(Block("h2", "Summary of findings"))
    B.append(Block("list", items=summary_items(run, tables, summary)))
    B.append(Block("h2", "Caveats: what these results rest on"))
    B.append(Block("list", items=caveat_items(run, tables)))
    B.append(Block("h2", "Settings"))
    B.append(Block("p", (
        f"Resolution {model.landscape.resolution_m / 1000:g} km, link source {model.links.source}, median dispersal "
        f"distance {model.links.median_dispersal_m / 1000:g} km, seed {model.seed}. "
        + ("Compared against its baseline: the same settings without interventions. " if model.interventions
           else "This scenario has no intervention: it is the baseline other scenarios are compared against. ")
        + "EC is the equivalent connected area EC(PC) in hectares of suitability-weighted habitat; PC is the "
        "probability of connectivity with the total capacity as landscape area.")))
    against = (f" against {summary['ec_base_ha']:,.0f} ha in the baseline ({summary['ec_change_pct']:+.2f}%)"
               if model.interventions else "")
    B.append(Block("p", (
        f"EC {summary['ec_ha']:,.0f} ha{against}; {summary['n_nodes']} populations, {summary['n_links']} links, "
        f"{summary['n_components']} connected component(s).")))
    if (folder / "scenario_map.png").exists():
        B.append(Block("image", "Scenario map: candidate corridors, network, candidate sites and interventions.",
                       path=folder / "scenario_map.png"))
    for name, text in (("map.html", "Interactive map of this scenario (map.html; opens offline in any browser)"),
                       ("compare.html", "Scenario and baseline side by side (compare.html; two synchronised maps)")):
        if (folder / name).exists():
            B.append(Block("link", text, path=Path(name)))
    eb = tables["ec_by_system"]
    if model.interventions:
        B.append(Block("h2", "Change in EC and PC per river system"))
    else:  # the baseline against itself: base and change columns would be copies and zeros
        B.append(Block("h2", "EC and PC per river system"))
        eb = eb[[c for c in eb.columns if not c.endswith(("_base_ha", "_base", "_change_pct"))]]
    B.append(Block("table", table=_named(eb, {str(k): system_name(str(k)) for k in eb.index}, "river system")))
    if model.interventions:
        B.append(Block("h2", "Measures touched"))
        items = []
        meas = known_measures()
        for m in model.measures:
            txt = meas.get(m, "")
            items.append(f"{m}: {txt[:160]}{'...' if len(txt) > 160 else ''}" if txt else m)
        B.append(Block("list", items=items))
        B.append(Block("table", "Interventions applied (cells changed on the grid)", table=tables["interventions"]))
        if "ec_by_measure" in tables:
            B.append(Block("h3", "Each measure alone: EC and PC per river system"))
            bm = tables["ec_by_measure"].reset_index().set_index("measure")
            bm["river_system"] = bm["river_system"].map(lambda v: system_name(str(v)))
            B.append(Block("table", table=bm[["what", "river_system", "ec_base_ha", "ec_ha", "ec_change_pct",
                                              "pc_base", "pc", "pc_change_pct"]]))
        if (folder / "comparison.png").exists():
            B.append(Block("image", "Baseline against scenario.", path=folder / "comparison.png"))
    B.append(Block("h2", "Candidate corridors"))
    corr = tables["corridors"].copy()
    for end, col in (("a", "from"), ("b", "to")):
        if end in corr.columns:
            corr[col] = corr[end].map(lambda v: sn.get(str(v), str(v)))
    cols = [c for c in ("from", "to", "cwd", "cwd_base", "cwd_change_pct", "lcp_length_m", "cwd_to_euclid",
                        "effective_resistance", "pinch_current", "min_width_m", "n_borders", "borders",
                        "share_protected", "settlement_overlap", "ec_gain", "note") if c in corr.columns]
    if "note" in cols and not corr["note"].fillna("").astype(str).str.strip().any():
        cols.remove("note")  # every corridor was measured: no column of blanks
    B.append(Block("table", "Corridor metrics (cost-weighted distances in cost-weighted metres; ec_gain in ha)",
                   table=_named(corr[cols], cn, "corridor")))
    if "corridor_scores" in tables:
        B.append(Block("table", "Weighted scores (1 = best) and robustness",
                       table=_named(tables["corridor_robustness"], cn, "corridor")))
        if (folder / "robustness_corridors.png").exists():
            B.append(Block("image", "Rank distributions of the candidate corridors.",
                           path=folder / "robustness_corridors.png"))
    B.append(Block("h2", "Candidate reintroduction sites"))
    if "site_scores" in tables:
        ss = tables["site_scores"]
        cols = [c for c in ("role", "extends", "score", "score_base", "rank", "rank_base", "mean_suitability", "suitable_area_ha",
                            "capacity", "ec_gain", "pc_gain", "source_cwd", "isolation_m", "settlement_share",
                            "n_borders", "degradation") if c in ss.columns]
        B.append(Block("table", "Site scores: scenario against baseline (capacity in deer at "
                       f"{model.scoring.density_per_km2:g} per km2 of suitability-weighted habitat)",
                       table=_named(ss[cols].assign(**_extends_named(ss, sn)), sn, "site")))
        ext = ss.index[ss["role"] == "extension"].tolist() if "role" in ss.columns else []
        if ext:
            B.append(Block("p", f"Extensions, not reintroductions: {', '.join(sn.get(str(e), str(e)) for e in ext)} "
                           "already touch a source population's habitat (least-cost distance 0, source_cwd 0); their "
                           "column 'extends' names it."))
        B.append(Block("table", "Robustness", table=_named(tables["site_robustness"], sn, "site")))
        if (folder / "robustness_sites.png").exists():
            B.append(Block("image", "Rank distributions of the candidate sites.", path=folder / "robustness_sites.png"))
    else:
        B.append(Block("p", "No located candidate reintroduction site lies in this scenario's extent."))
    B.append(Block("h2", "Criteria and their direction"))
    items = [f"corridor {c.name} ({c.direction}, weight {model.scoring.corridor_weights.get(c.name, 0):g}): "
             f"{c.description}" for c in CORRIDOR_CRITERIA.values()]
    items += [f"site {c.name} ({c.direction}, weight {model.scoring.site_weights.get(c.name, 0):g}): {c.description}"
              for c in SITE_CRITERIA.values()]
    B.append(Block("list", items=items))
    B.append(Block("h2", "Places of the programme that could not be located"))
    un = tables["unresolved"]
    B.append(Block("p", "The programme names these places but they could not be identified (its footnotes 4, 5 "
                        "and 6); they have no geometry and take no part in the analysis."))
    un_names = {str(i): str(n) for i, n in un["name"].items()} if "name" in un.columns else {}
    # the row is the place's name; its id stays beside it, the key to fix it in the sites file
    un_rows = _named(un.drop(columns="name", errors="ignore"), un_names, "place")
    un_rows.insert(0, "id", [str(i) for i in un.index])
    B.append(Block("table", table=un_rows))
    eng = _engines()
    missing = [k for k, v in eng.items() if v == "absent"]
    if missing:
        B.append(Block("p", "Engines not available in this installation (their criteria are empty): "
                            + ", ".join(missing) + "."))
    return B
