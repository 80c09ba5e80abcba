"""The layers of the web map: what each output file of corridors shows, with its style, popup fields and legend.

A :class:`Layer` is plain data (GeoJSON or an image overlay, a style, the
fields of its popups, its legend entries), turned into JSON for the page's
script (``static/map.js``), which only draws what it is given. Styles that
vary by feature (a unit's colour, a link's width by its probability) are
decided here, in Python, and carried in each feature's ``_style``, so the
script holds no rule of the analysis and the tests can check them without a
browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import matplotlib.colors as mcolors
import pandas as pd
import pyogrio

from corridors import settings
from corridors._errors import DataError
from corridors.borders import border_lines
from corridors.io import decode_list, load_base
from corridors.plot.pinch_map import MIN_CURRENT_A
from corridors.plot.style import RANGE_STATES, STYLE
from corridors.programme import load_measures
from corridors.rivers import load_rivers
from corridors.sites import load_sites, located, unresolved
from corridors.web.geo import Overlay, raster_overlay, to_geojson

#: Simplification of the base layers for the web, in metres (Douglas-Peucker in the working CRS): the map
#: is read at zoom 5-9, where a pixel is 150 m-5 km; with these the four layers' 840 KB of GeoJSON become
#: 237 KB of the page (countries 371 KB to 110 KB) without a visible change at zoom 8.
SIMPLIFY_M = {"countries": 1000.0, "borders": 500.0, "lakes": 500.0, "rivers": 200.0}
#: Kinds of the sites file shown as candidate sites (each with its measures).
CANDIDATE_KINDS = ("candidate_reintroduction", "candidate_protected_area")
#: Other kinds of place drawn in one layer.
OTHER_KINDS = ("protected_area", "outside_range", "captive", "corridor_end", "locality")
#: Popup fields of a place, in this order (those a layer lacks are skipped).
SITE_FIELDS = ["id", "code", "kind", "population_unit", "countries", "river", "status", "measures", "measure_text",
               "area_ha", "location_status", "location_precision_km", "source"]


@dataclass
class Layer:
    """One layer of the web map.

    Attributes
    ----------
    id : str
        Stable identifier (``data-layer`` of its legend entry; the tests find layers by it).
    name : str
        Shown in the layer switcher.
    group : str
        Heading of the switcher it is listed under.
    geojson : dict, optional
        Features in longitude/latitude (see :func:`corridors.web.geo.to_geojson`).
    overlay : Overlay, optional
        A raster image overlay (exactly one of ``geojson`` and ``overlay``).
    style : dict
        Leaflet path options for every feature (``color``, ``weight``, ``fillColor``, ``radius`` ...).
    popup : list of str
        Properties shown in a feature's popup, in order.
    title : str
        The property that heads a popup (``name``).
    legend : list of dict
        Entries ``{"label", "color", "shape"}`` (shape: ``line``, ``dash``, ``circle``, ``box``) or one
        ``{"ramp": [...], "low", "high"}`` for a raster.
    visible : bool
        Shown when the page opens.
    source : str
        The file it comes from, relative to the page (linked in the legend).
    note : str
        What it rests on, shown under its legend.
    """

    id: str
    name: str
    group: str
    geojson: dict | None = None
    overlay: Overlay | None = None
    style: dict = field(default_factory=dict)
    popup: list[str] = field(default_factory=list)
    title: str = "name"
    legend: list[dict] = field(default_factory=list)
    visible: bool = True
    source: str = ""
    note: str = ""

    def level(self) -> int:
        """Drawing level: 0 base areas, 1 rasters, 2 base lines (rivers, borders), 3 areas, 4 lines, 5 points."""
        if self.overlay is not None:
            return 1
        kinds = {f["geometry"]["type"].replace("Multi", "") for f in (self.geojson or {}).get("features", [])}
        if self.group == "Base map":
            return 0 if kinds <= {"Polygon"} else 2
        return 5 if "Point" in kinds else 4 if "LineString" in kinds else 3

    def spec(self) -> dict[str, Any]:
        """The layer as JSON for the page's script."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "group": self.group, "z": self.level(), "style": self.style,
                               "popup": self.popup, "title": self.title, "legend": self.legend,
                               "visible": self.visible, "source": self.source, "note": self.note}
        if self.overlay is not None:
            out["image"] = {"url": self.overlay.data_uri(), "bounds": [list(self.overlay.bounds[:2]),
                                                                       list(self.overlay.bounds[2:])]}
        else:
            out["geojson"] = self.geojson
        return out


# --------------------------------------------------------------------------- helpers
def _hex(value: float, cmap: str, norm: mcolors.Normalize) -> str:
    """The colour of ``value`` on a colormap as ``#rrggbb``."""
    return mcolors.to_hex(matplotlib.colormaps[cmap](norm(value)))


def _units(value: Any) -> list[int]:
    """Population unit numbers of a ``population_unit`` field (a list, or text such as ``"2;3"``)."""
    return [int(float(v)) for v in decode_list(value)]


def _styled(gj: dict, styles: list[dict]) -> dict:
    """``gj`` with each feature's ``_style`` set (one style per feature, in order)."""
    for feat, st in zip(gj["features"], styles):
        feat["properties"]["_style"] = st
    return gj


def _ramp_legend(ov: Overlay, what: str) -> list[dict]:
    """The legend entry of a raster: its colour ramp and the values at both ends."""
    fmt = (lambda v: f"{v:.3g}")
    return [{"ramp": ov.ramp(), "low": fmt(ov.vmin), "high": fmt(ov.vmax) + (" (and above)" if ov.vmax else ""),
             "label": what + (" (log scale)" if ov.log else "")}]


def _overlay_layer(path: Any, rel: str, lid: str, name: str, group: str, what: str, note: str, visible: bool = False,
                   **kw: Any) -> Layer:
    """A raster layer: :func:`corridors.web.geo.raster_overlay` of ``path`` (options ``kw``) with its ramp legend."""
    ov = raster_overlay(path, **kw)
    return Layer(lid, name, group, overlay=ov, legend=_ramp_legend(ov, what), visible=visible, source=rel, note=note)


def _read(gpkg: Path, layer: str) -> gpd.GeoDataFrame | None:
    """A layer of a GeoPackage, or None when the file or the layer is missing."""
    if not gpkg.is_file() or layer not in {name for name, _ in pyogrio.list_layers(gpkg)}:
        return None
    return gpd.read_file(gpkg, layer=layer, engine="pyogrio")


# --------------------------------------------------------------------------- base map
def base_layers() -> list[Layer]:
    """Countries, lakes, rivers and national borders of the bundled base map (Natural Earth, the programme's rivers).

    Returns
    -------
    list of Layer
        Simplified for the web by :data:`SIMPLIFY_M`.
    """
    g = "Base map"
    countries = load_base("countries")
    gj = to_geojson(countries, SIMPLIFY_M["countries"], ["NAME", "ISO_A3"])
    _styled(gj, [{"fillColor": STYLE["land"] if f["properties"]["ISO_A3"] in RANGE_STATES else STYLE["land_other"]}
                 for f in gj["features"]])
    out = [Layer("countries", "Countries", g, gj, style={"color": STYLE["coast"], "weight": 0.6, "fillOpacity": 1.0},
                 popup=["ISO_A3"], title="NAME", source="",
                 legend=[{"label": "Range State of the MOU", "color": STYLE["land"], "shape": "box"},
                         {"label": "other country", "color": STYLE["land_other"], "shape": "box"}],
                 note="Natural Earth 1:10m, public domain; simplified to 1 km for the web.")]
    lakes = load_base("lakes")
    out.append(Layer("lakes", "Lakes and reservoirs", g, to_geojson(lakes, SIMPLIFY_M["lakes"], ["name"]),
                     style={"color": STYLE["water_edge"], "weight": 0.5, "fillColor": STYLE["water"], "fillOpacity": 1.0},
                     legend=[{"label": "lake, reservoir", "color": STYLE["water"], "shape": "box"}],
                     note="Natural Earth 1:10m lakes."))
    rivers = load_rivers()
    cols = [c for c in ("name", "river_system", "approximate", "precision_km", "source") if c in rivers.columns]
    gj = to_geojson(rivers, SIMPLIFY_M["rivers"], cols)
    _styled(gj, [{"dashArray": "6 4"} if f["properties"].get("approximate") else {} for f in gj["features"]])
    out.append(Layer("rivers", "Rivers", g, gj, style={"color": STYLE["river"], "weight": 1.6}, popup=cols[1:],
                     legend=[{"label": "river (Natural Earth)", "color": STYLE["river"], "shape": "line"},
                             {"label": "hand-traced reach (10-15 km)", "color": STYLE["river"], "shape": "dash"}],
                     note="Natural Earth 1:10m centrelines and hand-traced Vakhsh, Kafirnigan, Surkhandarya."))
    borders = border_lines()
    out.append(Layer("borders", "National borders", g,
                     to_geojson(borders, SIMPLIFY_M["borders"], ["adm0_a3_l", "adm0_a3_r"]),
                     style={"color": STYLE["border"], "weight": 1.2, "dashArray": "5 3 1 3"},
                     popup=["adm0_a3_l", "adm0_a3_r"], title="",
                     legend=[{"label": "national border", "color": STYLE["border"], "shape": "dash"}],
                     note="Natural Earth 1:10m land borders."))
    return out


# --------------------------------------------------------------------------- the programme's places
def _with_measures(sites: gpd.GeoDataFrame, measures: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Sites with list fields as text and ``measure_text``: each measure's number and the start of its text."""
    out = sites.copy()
    text = {} if measures is None else dict(zip(measures["id"].astype(str), measures["text"].astype(str)))
    out["measure_text"] = [
        " | ".join(f"{m}: {text[m][:140]}{'...' if len(text[m]) > 140 else ''}" for m in decode_list(v) if m in text)
        for v in out["measures"]]
    for col in ("population_unit", "countries", "measures", "alt_names"):
        if col in out.columns:
            out[col] = out[col].map(lambda v: ", ".join(str(x) for x in decode_list(v)))
    return out


def site_layers(sites: gpd.GeoDataFrame, measures: pd.DataFrame | None = None, source: str = "",
                group: str = "Work programme") -> list[Layer]:
    """Population units, subpopulations, hotspots, candidate sites (with their measures) and the other places.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        The sites schema (:func:`corridors.sites.load_sites` or a scenario's ``sites`` layer).
    measures : pandas.DataFrame, optional
        :func:`corridors.programme.load_measures` (index: measure id; column ``text``): popups quote each measure.
    source : str
        The file the sites come from, as linked from the page.
    group : str
        Heading in the layer switcher.

    Returns
    -------
    list of Layer
        Only the kinds ``sites`` has.
    """
    s = _with_measures(located(sites), measures)
    fields = [c for c in SITE_FIELDS if c in s.columns]
    prec = "Every location is approximate: the popup gives the radius (location_precision_km) the true place lies within."
    out = []

    def add(lid: str, name: str, rows: gpd.GeoDataFrame, style: dict, styles: list[dict] | None, legend: list[dict],
            visible: bool = True) -> None:
        """Add the layer of ``rows`` (none when empty), each feature styled by ``styles`` if given."""
        if rows.empty:
            return
        gj = to_geojson(rows, 0.0, fields + ["name"])
        if styles is not None:
            _styled(gj, styles)
        out.append(Layer(lid, name, group, gj, style=style, popup=fields, legend=legend, visible=visible,
                         source=source, note=prec))

    colour = STYLE["unit_colours"]
    units = s[s["kind"] == "population_unit"]
    first = [(_units(v) or [0])[0] for v in units["population_unit"]]
    add("population_units", "Population units", units, {"weight": 1.5, "fillOpacity": 0.18},
        [{"color": colour.get(u, STYLE["text"]), "fillColor": colour.get(u, STYLE["text"])} for u in first],
        [{"label": f"{u} {STYLE['unit_names'][u]}", "color": colour[u], "shape": "box"} for u in sorted(set(first))
         if u in colour])
    subs = s[s["kind"] == "subpopulation"]
    add("subpopulations", "Subpopulations (Tj1 ... Kz1)", subs,
        {"radius": 6, "color": STYLE["text"], "weight": 1, "fillOpacity": 0.95},
        [{"fillColor": colour.get((_units(v) or [0])[0], STYLE["text"])} for v in subs["population_unit"]],
        [{"label": "subpopulation (colour of its unit)", "color": "#888888", "shape": "circle"}])
    add("hotspots", "Transboundary hotspots", s[s["kind"] == "hotspot"],
        {"radius": 9, "color": STYLE["hotspot"], "weight": 2.5, "fillOpacity": 0.0}, None,
        [{"label": "transboundary hotspot", "color": STYLE["hotspot"], "shape": "circle"}])
    add("candidate_sites", "Candidate sites (measures)", s[s["kind"].isin(CANDIDATE_KINDS)],
        {"radius": 6, "color": STYLE["candidate"], "weight": 2.5, "fillColor": "#ffffff", "fillOpacity": 1.0}, None,
        [{"label": "candidate reintroduction site or protected area", "color": STYLE["candidate"], "shape": "circle"}])
    add("other_places", "Reserves, captive groups, other places", s[s["kind"].isin(OTHER_KINDS)],
        {"radius": 4, "color": "#555555", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 1.0}, None,
        [{"label": "reserve, captive group, corridor end, locality", "color": "#555555", "shape": "circle"}],
        visible=False)
    return out


def unresolved_places(sites: gpd.GeoDataFrame, folder: Path | None = None) -> list[dict[str, str]]:
    """The places with no geometry (the programme's footnotes 4-6): id, name, measures and why, for the page's note.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        The places the results rest on.
    folder : pathlib.Path, optional
        A scenario's folder: its ``unresolved.csv`` (every unlocated place of the sites file, also those
        outside the scenario's units) is the list, as in its report.

    Returns
    -------
    list of dict
        ``id``, ``name``, ``measures``, ``source``.
    """
    csv = folder / "unresolved.csv" if folder is not None else None
    un = pd.read_csv(csv, dtype=str, keep_default_na=False) if csv is not None and csv.is_file() else unresolved(sites)
    return [{"id": str(r["id"]), "name": str(r.get("name", "")),
             "measures": ", ".join(str(m) for m in decode_list(r.get("measures"))),
             "source": str(r.get("source", "") or "")} for _, r in un.iterrows()]


# --------------------------------------------------------------------------- results
def _lines(gdf: gpd.GeoDataFrame, lid: str, name: str, group: str, source: str, colour: str, fields: list[str],
           note: str, legend: str, weight: float = 3.0, visible: bool = True, title: str = "name") -> Layer:
    """A layer of lines (or areas) in one colour with the popup ``fields`` the frame has."""
    fields = [c for c in fields if c in gdf.columns]
    return Layer(lid, name, group, to_geojson(gdf, 0.0, fields + ([title] if title in gdf.columns else [])),
                 style={"color": colour, "weight": weight, "opacity": 0.9}, popup=fields, title=title,
                 legend=[{"label": legend, "color": colour, "shape": "line"}], visible=visible, source=source, note=note)


#: One scale for every resistance overlay (log, 1 to 1,000: the range of data/resistance.yml's classes), so a
#: scenario and its baseline side by side read alike.
RESISTANCE_LIMITS = (1.0, 1000.0)


def resistance_layer(raster: Any, lid: str, name: str, group: str, visible: bool = False, source: str = "") -> Layer:
    """A resistance raster (a GeoTIFF or an in-memory :class:`corridors.raster.Raster`) on the shared log scale."""
    return _overlay_layer(raster, source, lid, name, group, "resistance per cell", "Cost of crossing a cell "
                          "(1 = best habitat); raster warped to Web Mercator (nearest cell).", visible=visible,
                          cmap="YlOrBr", log=True, limits=RESISTANCE_LIMITS, alpha=0.6)


LINKAGE_FIELDS = ["corridor", "measure", "core_a", "core_b", "cwd_m", "lcp_length_m", "euclid_m", "cwd_to_euclid",
                  "cwd_to_path", "min_width_m", "borders", "eff_resist", "max_current", "precision_km_a",
                  "precision_km_b", "reading"]


def network_layers(nodes: gpd.GeoDataFrame, links: gpd.GeoDataFrame | None, group: str, source: str,
                   prefix: str = "network", visible: bool = False) -> list[Layer]:
    """The habitat network: nodes sized by capacity, links coloured and widened by their probability.

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame
        Points with ``capacity`` (and Conefor metrics: ``dPC`` ...).
    links : geopandas.GeoDataFrame, optional
        Lines with ``i``, ``j``, ``probability`` (and ``distance_m``, ``borders``, ``source``).
    group, source, prefix : str
        Switcher heading, source file, and the prefix of the layer ids (``network_links``, ``network_nodes``).
    visible : bool, default False
        Shown when the page opens (105 links over the whole map hide the rest: off at first).

    Returns
    -------
    list of Layer
    """
    out = []
    if links is not None and len(links):
        lk = links.sort_values("probability")  # the likeliest links drawn last, on top
        norm = mcolors.LogNorm(vmin=1e-3, vmax=1.0, clip=True)
        p = lk["probability"].astype(float).clip(lower=1e-3)
        fields = [c for c in ("i", "j", "probability", "distance_m", "borders", "permeability", "source", "dPC")
                  if c in lk.columns]
        gj = to_geojson(lk, 0.0, fields)
        _styled(gj, [{"color": _hex(v, "viridis_r", norm), "weight": round(0.8 + 3.2 * v, 2)} for v in p])
        out.append(Layer(f"{prefix}_links", "Network links (probability)", group, gj, style={"opacity": 0.85},
                         popup=fields, title="", source=source, visible=visible,
                         legend=[{"label": f"p = {v:g}", "color": _hex(v, "viridis_r", norm), "shape": "line"}
                                 for v in (0.001, 0.01, 0.1, 0.5, 1.0)],
                         note="Probability of dispersal between two populations (PC, Saura & Pascual-Hortal 2007)."))
    if nodes is not None and len(nodes):
        cap = nodes["capacity"].astype(float) if "capacity" in nodes.columns else pd.Series(1.0, index=nodes.index)
        top = max(float(cap.max()), 1e-9)
        fields = [c for c in ("id", "kind", "river_system", "capacity", "dPC", "dPCintra", "dPCflux", "dPCconnector",
                              "BCPC", "component", "location_precision_km") if c in nodes.columns]
        gj = to_geojson(nodes, 0.0, fields + ["name"])
        _styled(gj, [{"radius": round(4 + 12 * math.sqrt(max(c, 0) / top), 1)} for c in cap])
        out.append(Layer(f"{prefix}_nodes", "Network nodes (capacity, dPC)", group, gj,
                         style={"color": "#20324f", "weight": 1, "fillColor": "#fde725", "fillOpacity": 0.8},
                         popup=fields, source=source, visible=visible,
                         legend=[{"label": "population (area by habitat capacity)", "color": "#fde725", "shape": "circle"}],
                         note="Capacity: suitability-weighted habitat in ha; dPC: % of PC lost without the node."))
    return out


def scenario_layers(folder: Path, rel: str, group: str, visible: bool = True) -> list[Layer]:
    """The layers of one scenario output folder: scored corridors and sites, network, interventions, rasters.

    Parameters
    ----------
    folder : pathlib.Path
        A folder written by ``corridors run`` (holds ``scenario.gpkg``).
    rel : str
        That folder relative to the page (``""`` or ``"baseline/"``), for the links.
    group : str
        Switcher heading.
    visible : bool
        Show the corridors and sites when the page opens.

    Returns
    -------
    list of Layer
    """
    gpkg = folder / "scenario.gpkg"
    src = rel + "scenario.gpkg"
    out = []
    paths = _read(gpkg, "corridor_paths")
    if paths is not None and len(paths):
        out.append(_lines(paths, "scenario_corridors", "Scored corridors (rank)", group, src, "#b2182b",
                          ["corridor", "measure", "a", "b", "score", "rank", "cwd", "cwd_base", "cwd_change_pct",
                           "lcp_length_m", "effective_resistance", "pinch_current", "min_width_m", "borders",
                           "share_protected", "settlement_overlap", "ec_gain", "note"],
                          "Weighted score of the scenario's criteria (rank 1 = best); cwd in cost-weighted metres.",
                          "candidate corridor (least-cost path)", visible=visible))
    cand = _read(gpkg, "candidate_sites")
    places = _read(gpkg, "sites")
    if cand is not None and len(cand) and places is not None and "site" in cand.columns:
        # a score rests on where the site is: its precision and the source of its placement in the popup too
        extra = [c for c in ("location_precision_km", "source") if c in places.columns and c not in cand.columns]
        cand = cand.merge(pd.DataFrame(places[["id", *extra]]).rename(columns={"id": "site"}), on="site", how="left")
    if cand is not None and len(cand):
        fields = [c for c in ("site", "measures", "role", "extends", "score", "rank", "mean_suitability",
                              "suitable_area_ha", "capacity", "ec_gain", "pc_gain", "source_cwd", "nearest_source",
                              "isolation_m", "settlement_share", "n_borders", "degradation", "location_precision_km",
                              "source") if c in cand.columns]
        out.append(Layer("scenario_sites", "Scored candidate sites (rank)", group, to_geojson(cand, 0.0, fields + ["name"]),
                         style={"radius": 8, "color": "#b2182b", "weight": 2, "fillColor": "#fddbc7", "fillOpacity": 0.9},
                         popup=fields, legend=[{"label": "candidate site, scored", "color": "#b2182b", "shape": "circle"}],
                         visible=visible, source=src, note="Weighted score (rank 1 = best); capacity in deer."))
    nodes, links = _read(gpkg, "network_nodes"), _read(gpkg, "network_links")
    if nodes is not None:
        out += network_layers(nodes, links, group, src, prefix="scenario_network")
    iv = _read(gpkg, "interventions")
    if iv is not None and len(iv):
        fields = [c for c in iv.columns if c != iv.geometry.name]
        out.append(Layer("interventions", "Interventions", group, to_geojson(iv, 0.0, fields),
                         style={"color": "#1a9850", "weight": 2, "fillOpacity": 0.25, "radius": 6}, popup=fields,
                         title="", legend=[{"label": "intervention", "color": "#1a9850", "shape": "box"}],
                         source=src, note="Where the scenario changes the landscape."))
    if (folder / "resistance.tif").is_file():
        out.append(resistance_layer(folder / "resistance.tif", "scenario_resistance", "Resistance (scenario)", group,
                                    source=rel + "resistance.tif"))
    for name, lid, label, what, kw in (
        ("current.tif", "scenario_current", "Current density (scenario)", "current (A)",
         dict(cmap="inferno", log=True, top_percentile=99.0, floor=MIN_CURRENT_A)),
        ("resistance_change.tif", "resistance_change", "Resistance change (scenario / baseline)", "ratio",
         dict(cmap="RdYlGn_r", top_percentile=100.0)),
    ):
        if (folder / name).is_file():
            out.append(_overlay_layer(folder / name, rel + name, lid, label, group, what,
                                      "Raster of the scenario's grid, warped to Web Mercator (nearest cell).", **kw))
    return out


def programme_layers(outdir: Path) -> list[Layer]:
    """The results of the main job's folders that ``outdir`` holds (each step optional).

    Parameters
    ----------
    outdir : pathlib.Path
        A folder written by ``corridors programme``.

    Returns
    -------
    list of Layer
        Least-cost corridors and their raster, pinch points, Omniscape, restoration sites, the habitat
        network and the baseline scenario.
    """
    out: list[Layer] = []
    g = "Corridors and connectivity"
    paths = _read(outdir / "linkages" / "linkages.gpkg", "paths")
    pinch = _read(outdir / "pinch" / "pinch.gpkg", "linkages")
    if paths is not None and pinch is not None:  # one popup with the least-cost and the circuit numbers
        extra = [c for c in ("eff_resist", "cwd_to_eff_resist", "max_current") if c in pinch.columns]
        paths = paths.merge(pd.DataFrame(pinch[["corridor", *extra]]), on="corridor", how="left")
    if paths is not None and len(paths):
        out.append(_lines(paths, "lcp_corridors", "Least-cost corridors (programme)", g, "linkages/linkages.gpkg",
                          "#7a0177", LINKAGE_FIELDS,
                          "Least-cost paths between the ends of the programme's candidate corridors; cwd in "
                          "cost-weighted metres; precision_km_a/b: how far each end may lie from where it is drawn.",
                          "least-cost path of a candidate corridor"))
    for path, rel, lid, name, what, note, kw in (
        (outdir / "linkages" / "corridors.tif", "linkages/corridors.tif", "corridor_raster", "Corridor widths (cost-weighted distance)",
         "cwd above the least-cost path", "Low = close to the best route; truncated as in the step.", dict(cmap="RdPu_r")),
        (outdir / "pinch" / "pinchpoints.tif", "pinch/pinchpoints.tif", "pinch_raster", "Pinch points (current)",
         "current (A)", "Circuitscape current in the corridors: bright = pinch point.",
         dict(cmap="inferno", log=True, floor=MIN_CURRENT_A, visible=True)),
        (outdir / "omniscape" / "normalized_cum_currmap.tif", "omniscape/normalized_cum_currmap.tif", "omniscape_raster",
         "Omniscape normalised current", "normalised current", "Above 1: flow channelled more than the resistance "
         "alone predicts; below 1: impeded.", dict(cmap="RdYlBu_r", top_percentile=99.0)),
        (outdir / "restoration" / "barriers.tif", "restoration/barriers.tif", "barrier_raster", "Barriers (restoration gain)",
         "cwd drop per m restored", "Barrier Mapper: where restoring a circle shortens a corridor most.",
         dict(cmap="YlOrRd", top_percentile=99.0, floor=0.0)),
    ):
        if path.is_file():
            out.append(_overlay_layer(path, rel, lid, name, g, what, note, **kw))
    rest = _read(outdir / "restoration" / "restoration_sites.gpkg", "sites")
    if rest is not None and len(rest):
        fields = ["rank", "corridor", "measure", "country", "barrier", "area_ha", "lcd_before_km", "lcd_after_km",
                  "lcd_drop_km", "lcd_drop_pct", "gain_m_per_ha", "resistance_mean"]
        out.append(_lines(rest, "restoration_sites", "Where to restore (ranked sites)", g,
                          "restoration/restoration_sites.gpkg", "#d94801", fields,
                          "Exact gain of restoring each circle, least-cost distance before and after.",
                          "restoration site", weight=2.0, title="site_id"))
        out[-1].style.update({"fillColor": "#fdae6b", "fillOpacity": 0.6})
        out[-1].legend[0]["shape"] = "box"
        out[-1].legend[0]["color"] = "#fdae6b"
    net = outdir / "network" / "network.gpkg"
    nodes = _read(net, "nodes")
    if nodes is not None:
        out += network_layers(nodes, _read(net, "links"), "Habitat network", "network/network.gpkg")
        cand = _read(net, "candidates")
        if cand is not None and len(cand):
            fields = [c for c in ("id", "kind", "measures", "capacity", "rank", "dEC", "location_precision_km")
                      if c in cand.columns]
            out.append(Layer("network_candidates", "What-if: candidates by EC gain", "Habitat network",
                             to_geojson(cand, 0.0, fields + ["name"]),
                             style={"radius": 7, "color": "#1f4e9c", "weight": 2, "fillColor": "#9ecae1", "fillOpacity": 0.9},
                             popup=fields, visible=False, source="network/network.gpkg",
                             legend=[{"label": "candidate site, rank by dEC", "color": "#1f4e9c", "shape": "circle"}],
                             note="dEC: gain of equivalent connected area (ha) if the site were added."))
    if (outdir / "baseline" / "scenario.gpkg").is_file():
        out += scenario_layers(outdir / "baseline", "baseline/", "Baseline scenario", visible=False)
    return out


def sites_of(folder: Path) -> tuple[gpd.GeoDataFrame, str]:
    """The places a folder's results rest on: a scenario's ``sites`` layer, else the bundled sites file.

    Parameters
    ----------
    folder : pathlib.Path
        A scenario output folder, or the main job's (whose ``baseline/`` holds one).

    Returns
    -------
    (geopandas.GeoDataFrame, str)
        The sites (working CRS, list fields decoded) and the file they come from, relative to ``folder``.
    """
    for sub in ("", "baseline/"):
        gpkg = folder / sub / "scenario.gpkg"
        got = _read(gpkg, "sites")
        if got is not None:
            got = got.to_crs(settings.WORKING_CRS)
            for col in ("population_unit", "countries", "measures", "alt_names"):
                if col in got.columns:
                    got[col] = got[col].map(decode_list)
            return got, sub + "scenario.gpkg"
    return load_sites(), ""  # the main job without its baseline step ran on the bundled sites


def measures_or_none() -> pd.DataFrame | None:
    """The programme's measures (for the text in site popups), or None if the bundled table cannot be read."""
    try:
        return load_measures()
    except DataError:  # popups then carry the measure numbers only; the map itself does not depend on the texts
        return None
