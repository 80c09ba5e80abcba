"""The programme's habitat graph: populations from the sites data, links from a link source, candidate sites and corridors as what-ifs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import settings
from corridors._errors import ConfigError, DataError
from corridors.network.graph import HabitatGraph, build_graph, dispersal_k, link_probability
from corridors.network.sources import AlongRiver, LinkSource, StraightLine
from corridors.network.metrics import Connectivity
from corridors.network.whatif import Candidate

#: Kinds of site that are habitat nodes of the programme graph.
POPULATION_KINDS: tuple[str, ...] = ("subpopulation", "protected_area")
#: Statuses of free-ranging groups (captive groups and candidates are not habitat nodes).
POPULATION_STATUSES: tuple[str, ...] = ("native", "introduced", "reintroduced")
#: Kinds of site that enter as what-if additions.
CANDIDATE_KINDS: tuple[str, ...] = ("candidate_reintroduction", "candidate_protected_area")

#: Default median dispersal distance of the Bukhara deer along tugay corridors, metres.
#: An assumption to replace with telemetry (measure 10.x): red deer disperse mostly
#: within a few tens of km; 25 km gives p = 0.5 at 25 km and p = 0.06 at 100 km.
DEFAULT_MEDIAN_DISPERSAL_M: float = 25_000.0

#: Default factor by which a programme corridor shortens the effective distance between its ends.
DEFAULT_CORRIDOR_FACTOR: float = 0.5

#: Node attributes carried from the sites into the graph.
NODE_FIELDS: tuple[str, ...] = ("name", "kind", "code", "status", "population_unit", "countries", "river", "river_system",
                                "parent", "measures", "location_precision_km")


def site_capacity(sites: gpd.GeoDataFrame, capacity: str = "area") -> pd.Series:
    """Capacity of each site (the node attribute), by the user's choice.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites of the schema (``id`` column), any CRS.
    capacity : str, default 'area'
        ``'area'``: hectares, from ``area_ha`` where a source states it,
        else the area of the site's polygon, else of its precision circle
        (``corridors.sites.precision_areas``: a point buffered by
        ``location_precision_km``). That circle is where the place lies, not
        its habitat, so the default is a placeholder until surveyed areas
        or head counts are filled in; a site nested in another node (its
        ``parent``) is cut out of the parent so no hectare counts twice.
        ``'equal'``: 1 per site (topology only). Any other value names a
        numeric column of the sites (a census count, a carrying capacity).

    Returns
    -------
    pandas.Series
        Indexed by site id.

    Raises
    ------
    ConfigError
        If the column does not exist.
    DataError
        If a value of the chosen column is missing or negative.
    """
    ids = sites["id"].astype(str).to_numpy()
    if capacity == "equal":
        return pd.Series(1.0, index=pd.Index(ids, name="id"))
    if capacity != "area":
        if capacity not in sites.columns:
            raise ConfigError(
                f"option 'capacity' is {capacity!r}, which is no column of the sites; choose 'area', 'equal' or one of "
                f"{', '.join(c for c in sites.columns if c != sites.geometry.name)}."
            )
        vals = pd.to_numeric(sites[capacity], errors="coerce")
        bad = vals.isna() | (vals < 0)
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raw = sites[capacity].iloc[r]
            value = "empty" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else f"{raw!r}"
            raise DataError(
                f"sites, feature {ids[r]!r}, field {capacity!r}: capacity is {value}, not a number >= 0; "
                "give every site a number >= 0 (a count or an area in ha) or use capacity 'area' or 'equal'."
            )
        return pd.Series(vals.to_numpy(dtype=float), index=pd.Index(ids, name="id"))
    from corridors.sites import precision_areas

    work = sites.to_crs(settings.WORKING_CRS)
    areas = precision_areas(work)
    geom = dict(zip(areas["id"].astype(str), areas.geometry))
    own = {}
    for sid in ids:
        g = geom.get(sid)
        own[sid] = g
    # cut nested nodes out of their parents (only parents that are nodes here)
    parent = dict(zip(ids, work["parent"] if "parent" in work.columns else [None] * len(ids)))
    children: dict[str, list[str]] = {}
    for sid, par in parent.items():
        if isinstance(par, str) and par in own and par != sid:
            children.setdefault(par, []).append(sid)
    stated = dict(zip(ids, pd.to_numeric(work["area_ha"], errors="coerce") if "area_ha" in work.columns else [np.nan] * len(ids)))
    out = {}
    for sid in ids:
        if stated.get(sid) is not None and math.isfinite(stated[sid]):
            out[sid] = float(stated[sid])
            continue
        g = own[sid]
        if g is None or g.is_empty:
            raise DataError(f"sites, feature {sid!r}, field 'geometry': no location, so no area; drop it or give capacity values.")
        kids = [own[c] for c in children.get(sid, []) if own[c] is not None]
        if kids:
            g = g.difference(shapely.union_all(kids))
        out[sid] = g.area / 1e4
    return pd.Series(out, name="capacity").rename_axis("id")


def _node_frame(sites: gpd.GeoDataFrame, capacity: str) -> gpd.GeoDataFrame:
    work = sites.to_crs(settings.WORKING_CRS)
    cap = site_capacity(work, capacity)
    cols = [c for c in NODE_FIELDS if c in work.columns]
    out = gpd.GeoDataFrame(work[cols].copy(), geometry=work.geometry.values, crs=settings.WORKING_CRS)
    out.index = pd.Index(work["id"].astype(str).to_numpy(), name="id")
    out["capacity"] = cap.reindex(out.index).to_numpy()
    out.attrs["capacity_field"] = capacity
    return out


def population_nodes(sites: gpd.GeoDataFrame | None = None, capacity: str = "area") -> gpd.GeoDataFrame:
    """The programme's populations as habitat nodes.

    Subpopulations and protected areas (``POPULATION_KINDS``) of free-ranging
    groups (``POPULATION_STATUSES``: native, introduced, reintroduced) with
    a location. Captive groups, hotspots, localities and candidates are not
    nodes; unresolved places have no location and are left out.

    Parameters
    ----------
    sites : GeoDataFrame, optional
        Default ``corridors.sites.load_sites()``.
    capacity : str, default 'area'
        See :func:`site_capacity`.

    Returns
    -------
    GeoDataFrame
        Working CRS, indexed by site id, with ``capacity`` and the site fields.
    """
    s = _sites(sites)
    sel = s[s["kind"].isin(POPULATION_KINDS) & s["status"].isin(POPULATION_STATUSES) & _located(s)]
    if len(sel) == 0:
        raise DataError("sites: no located subpopulation or protected area of a free-ranging group; check 'kind' and 'status'.")
    return _node_frame(sel, capacity)


def candidate_nodes(sites: gpd.GeoDataFrame | None = None, capacity: str = "area") -> gpd.GeoDataFrame:
    """The programme's candidate sites (reintroduction, new protected areas) that have a location.

    Parameters
    ----------
    sites : GeoDataFrame, optional
    capacity : str, default 'area'

    Returns
    -------
    GeoDataFrame
        As :func:`population_nodes`; unresolved candidates are listed in
        ``attrs['unresolved']``.
    """
    s = _sites(sites)
    cand = s[s["kind"].isin(CANDIDATE_KINDS)]
    loc = cand[_located(cand)]
    out = _node_frame(loc, capacity) if len(loc) else gpd.GeoDataFrame(geometry=[], crs=settings.WORKING_CRS)
    out.attrs["unresolved"] = sorted(cand.loc[~_located(cand), "id"].astype(str))
    return out


def _sites(sites: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if sites is None:
        from corridors.sites import load_sites

        sites = load_sites()
    for col in ("id", "kind", "status"):
        if col not in sites.columns:
            raise DataError(f"sites, field {col!r}: missing; give sites of the schema in the README (section 'The sites schema').")
    return sites


def _located(s: gpd.GeoDataFrame) -> pd.Series:
    return ~(s.geometry.isna() | s.geometry.is_empty)


def _source(source: str | LinkSource) -> LinkSource:
    if isinstance(source, str):
        if source == "river":
            return AlongRiver()
        if source == "straight":
            return StraightLine()
        raise ConfigError(
            f"option 'source' is {source!r}; choose 'river' or 'straight', or pass a LinkSource "
            "(e.g. LeastCost(resistance) or EffectiveResistance(resistance))."
        )
    if not callable(source):
        raise ConfigError(f"option 'source' is {source!r}; give a link source name or a callable nodes -> links table.")
    return source


def _links(src: LinkSource, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Links of ``nodes`` from the source, reusing links computed once on a superset when the source allows it."""
    memo = getattr(src, "_network_memo", None)
    if memo is not None and getattr(src, "pairwise_independent", False):
        ids = {str(x) for x in nodes.index}
        if ids <= memo["ids"]:
            lk = memo["links"]
            return lk[lk["i"].isin(ids) & lk["j"].isin(ids)].reset_index(drop=True)
    return src(nodes)


def graph_from_nodes(
    nodes: gpd.GeoDataFrame,
    source: str | LinkSource = "river",
    *,
    median_dispersal_m: float | None = DEFAULT_MEDIAN_DISPERSAL_M,
    k: float | None = None,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    name: str = "",
) -> HabitatGraph:
    """A habitat graph from nodes with a geometry and a link source.

    Parameters
    ----------
    nodes : GeoDataFrame
        Indexed by node id, with ``capacity``.
    source : 'river', 'straight' or LinkSource, default 'river'
        Where link distances come from (see :mod:`corridors.network.sources`).
    median_dispersal_m, k, max_distance_m, permeability, landscape_area, name
        As in :func:`corridors.network.build_graph`. Give ``k=...`` with
        ``median_dispersal_m=None`` to set k directly.

    Returns
    -------
    HabitatGraph
        ``meta['source']`` names the link source.
    """
    src = _source(source)
    links = _links(src, nodes)
    links = links[np.isfinite(pd.to_numeric(links["distance_m"], errors="coerce"))] if "distance_m" in links.columns else links
    if "source" not in links.columns:
        links = links.assign(source=getattr(src, "name", type(src).__name__))
    g = build_graph(
        nodes, links, id_field=None, median_dispersal_m=median_dispersal_m if k is None else None, k=k,
        max_distance_m=max_distance_m, permeability=permeability, landscape_area=landscape_area, name=name,
        label=f"links from source {getattr(src, 'name', type(src).__name__)!r}",
    )
    g.meta["source"] = getattr(src, "name", type(src).__name__)
    g.meta["source_object"] = src
    return g


def programme_graph(
    source: str | LinkSource = "river",
    sites: gpd.GeoDataFrame | None = None,
    capacity: str = "area",
    **graph_kwargs,
) -> HabitatGraph:
    """The habitat graph of the programme's populations.

    Parameters
    ----------
    source : 'river', 'straight' or LinkSource, default 'river'
    sites : GeoDataFrame, optional
        Default the bundled sites.
    capacity : str, default 'area'
        See :func:`site_capacity`.
    **graph_kwargs
        As in :func:`graph_from_nodes` (``median_dispersal_m`` defaults to
        :data:`DEFAULT_MEDIAN_DISPERSAL_M`).

    Returns
    -------
    HabitatGraph
    """
    nodes = population_nodes(sites, capacity)
    graph_kwargs.setdefault("name", "programme")
    return graph_from_nodes(nodes, source, **graph_kwargs)


def by_river_system(g: HabitatGraph) -> dict[str, HabitatGraph]:
    """The graph split by the nodes' ``river_system`` (Amu Darya, Zarafshon, Syr Darya, Ile).

    Parameters
    ----------
    g : HabitatGraph
        Nodes with a ``river_system`` column.

    Returns
    -------
    dict of str to HabitatGraph
        One subgraph per system (links with both ends in it); A_L of each is
        its own total capacity unless the graph has a landscape area.
    """
    if "river_system" not in g.nodes.columns:
        raise DataError(f"graph {g.name!r}: nodes have no 'river_system' field to split by.")
    out = {}
    for sysname in sorted(g.nodes["river_system"].dropna().unique()):
        ids = g.nodes.index[g.nodes["river_system"] == sysname].tolist()
        out[str(sysname)] = g.subgraph(ids, name=str(sysname))
    return out


def _k_of(g: HabitatGraph) -> float:
    k = g.meta.get("k")
    if k is None:
        raise ConfigError(f"graph {g.name!r} was built from probabilities; candidates need distances and a k to get theirs.")
    return float(k)


def site_candidates(
    g: HabitatGraph,
    candidates: gpd.GeoDataFrame,
    source: str | LinkSource | None = None,
) -> list[Candidate]:
    """Each candidate site as a what-if addition: a node with its capacity and links to the graph's nodes.

    The candidate's links come from the same link source as the graph,
    computed on the graph's nodes plus that one candidate, with the graph's
    k, cut-off and border permeability.

    Parameters
    ----------
    g : HabitatGraph
        Built with :func:`graph_from_nodes` (it knows its source and k).
    candidates : GeoDataFrame
        As :func:`candidate_nodes`.
    source : optional
        Default the graph's own link source.

    Returns
    -------
    list of Candidate
    """
    src = _source(source) if source is not None else g.meta.get("source_object") or _source("river")
    k = _k_of(g)
    out = []
    for cid, row in candidates.iterrows():
        cid = str(cid)
        one = candidates.loc[[cid]]
        both = pd.concat([g.nodes, one])
        both = gpd.GeoDataFrame(both, geometry=both.geometry.name, crs=settings.WORKING_CRS)
        lk = _links(src, both)
        lk = lk[(lk["i"] == cid) | (lk["j"] == cid)]
        lk = _probabilities(lk, k, g)
        nodes = pd.DataFrame({"capacity": [float(row["capacity"])]}, index=pd.Index([cid], name="id"))
        out.append(Candidate(cid, nodes, lk[["i", "j", "probability"]], "site", str(row.get("name", "")),
                             list(row.get("measures") or []), {"n_links": len(lk)}))
    return out


def _probabilities(lk: pd.DataFrame, k: float, g: HabitatGraph) -> pd.DataFrame:
    lk = lk[np.isfinite(pd.to_numeric(lk["distance_m"], errors="coerce"))].copy()
    cut = g.meta.get("max_distance_m")
    if cut is not None:
        lk = lk[lk["distance_m"] <= cut]
    perm = g.meta.get("permeability") or {}
    bs = lk["borders"] if "borders" in lk.columns else pd.Series([[]] * len(lk), index=lk.index)
    factor = np.array([float(np.prod([perm.get(b, 1.0) for b in (x or [])])) for x in bs])
    lk["probability"] = link_probability(lk["distance_m"].to_numpy(dtype=float), k) * (factor if len(lk) else 1.0)
    return lk


@dataclass
class CorridorSpec:
    """A corridor to test: two site ids and how much it shortens the effective distance."""

    key: str
    end_a: str
    end_b: str
    name: str = ""
    measure: str = ""
    reading: str = ""


def programme_corridor_specs() -> list[CorridorSpec]:
    """The corridors the work programme names (from :data:`corridors.programme.PROGRAMME_CORRIDORS`).

    Returns
    -------
    list of CorridorSpec
    """
    from corridors.programme import PROGRAMME_CORRIDORS

    return [CorridorSpec(c.key, c.end_a, c.end_b, c.name, c.measure, c.reading) for c in PROGRAMME_CORRIDORS]


def corridor_candidates(
    g: HabitatGraph,
    specs: Sequence[CorridorSpec],
    sites: gpd.GeoDataFrame | None = None,
    factor: float = DEFAULT_CORRIDOR_FACTOR,
    capacity: str = "area",
    source: str | LinkSource | None = None,
) -> list[Candidate]:
    """Each corridor as a what-if: a link between its two ends with the distance times ``factor`` and open borders.

    An end that is a graph node is used as it is. An end that is a
    candidate site enters with its capacity (the corridor then scores
    together with that site); any other end (a corridor end point, a
    hotspot) enters as a stepping stone of capacity 0 linked to the graph
    by the link source. The corridor link's distance is the source's
    distance between the two ends, times ``factor``, and border
    permeability does not apply to it (a corridor secures the crossing,
    programme measure 1.3).

    Parameters
    ----------
    g : HabitatGraph
    specs : sequence of CorridorSpec
    sites : GeoDataFrame, optional
        Where ends that are not nodes are looked up (default the bundled sites).
    factor : float, default 0.5
        Effective-distance multiplier of the corridor, in (0, 1].
    capacity : str, default 'area'
        Capacity of candidate-site ends (see :func:`site_capacity`).
    source : optional
        Default the graph's own link source.

    Returns
    -------
    list of Candidate
        Corridors with an end that has no location (an unresolved place)
        are left out.
    """
    if not (isinstance(factor, (int, float)) and 0 < factor <= 1):
        raise ConfigError(f"option 'corridor_factor' is {factor!r}; give a number in (0, 1] (0.5 halves the effective distance).")
    src = _source(source) if source is not None else g.meta.get("source_object") or _source("river")
    k = _k_of(g)
    s = _sites(sites).to_crs(settings.WORKING_CRS)
    by_id = s.set_index(s["id"].astype(str))
    out = []
    for spec in specs:
        new_ids = [e for e in (spec.end_a, spec.end_b) if e not in g.nodes.index]
        missing = [e for e in new_ids if e not in by_id.index or by_id.loc[e].geometry is None or by_id.loc[e].geometry.is_empty]
        if missing:
            continue
        extra = by_id.loc[new_ids].reset_index(drop=True) if new_ids else None
        if extra is not None and len(extra):
            enodes = _node_frame(extra, capacity)
            is_cand = enodes["kind"].isin(CANDIDATE_KINDS) if "kind" in enodes.columns else pd.Series(False, index=enodes.index)
            enodes.loc[~is_cand.to_numpy(), "capacity"] = 0.0
        else:
            enodes = g.nodes.iloc[0:0]
        allnodes = pd.concat([g.nodes, enodes]) if len(enodes) else g.nodes
        allnodes = gpd.GeoDataFrame(allnodes, geometry=g.nodes.geometry.name, crs=settings.WORKING_CRS)
        if len(enodes):
            lk = _links(src, allnodes)
            touch = lk["i"].isin(enodes.index) | lk["j"].isin(enodes.index)
            new_links = _probabilities(lk[touch], k, g)
        else:
            new_links = pd.DataFrame({"i": [], "j": [], "probability": []})
        # the corridor link itself: the source's distance between the ends, shortened
        pair = _links(src, allnodes.loc[[spec.end_a, spec.end_b]])
        pair = pair[np.isfinite(pd.to_numeric(pair["distance_m"], errors="coerce"))]
        if len(pair) == 0:
            d = float(allnodes.geometry.loc[spec.end_a].distance(allnodes.geometry.loc[spec.end_b]))
            how = "straight line (the link source does not join the ends)"
        else:
            d = float(pair["distance_m"].iloc[0])
            how = getattr(src, "name", "source")
        corridor = pd.DataFrame({"i": [spec.end_a], "j": [spec.end_b], "probability": [float(link_probability(d * factor, k))]})
        links = pd.concat([new_links[["i", "j", "probability"]], corridor], ignore_index=True)
        nodes = pd.DataFrame({"capacity": enodes["capacity"].to_numpy(dtype=float)}, index=pd.Index(enodes.index, name="id"))
        out.append(Candidate(spec.key, nodes, links, "corridor", spec.name, [spec.measure] if spec.measure else [],
                             {"end_a": spec.end_a, "end_b": spec.end_b, "corridor_distance_m": d, "distance_from": how,
                              "added_nodes": ";".join(map(str, enodes.index))}))
    return out


@dataclass
class ProgrammeAnalysis:
    """Everything ``corridors network`` computes on the programme's populations.

    Attributes
    ----------
    graph : HabitatGraph
        All populations (every river system).
    connectivity : Connectivity
        Metrics of the whole graph; ``connectivity.nodes`` also has
        ``dPC_system`` and ``dIIC_system``: the node's importance within
        its own river system's graph.
    systems : pandas.DataFrame
        One summary row per river system (PC, EC, IIC... of its subgraph).
    ranking : pandas.DataFrame or None
        Candidate sites and programme corridors ranked by EC gain.
    borders : pandas.DataFrame or None
        EC loss per border when its crossings are fenced (``fence_factor``).
    candidates : GeoDataFrame
        The located candidate sites (with their ``rank``).
    unresolved : list of str
        Candidate sites that have no location (the programme's footnotes).
    corridors : GeoDataFrame
        The corridors tested, as straight lines between their ends, with their rank.
    """

    graph: HabitatGraph
    connectivity: Connectivity
    systems: pd.DataFrame
    ranking: pd.DataFrame | None
    borders: pd.DataFrame | None
    candidates: gpd.GeoDataFrame
    unresolved: list[str]
    corridors: gpd.GeoDataFrame


def analyse_programme(
    source: str | LinkSource = "river",
    sites: gpd.GeoDataFrame | None = None,
    capacity: str = "area",
    *,
    median_dispersal_m: float = DEFAULT_MEDIAN_DISPERSAL_M,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    corridor_factor: float = DEFAULT_CORRIDOR_FACTOR,
    fence_factor: float = 0.0,
    whatif: bool = True,
    link_metrics: bool = True,
    quiet: bool = True,
) -> ProgrammeAnalysis:
    """The programme's habitat network: graph, metrics per graph and per river system, what-if ranking, fence losses.

    Parameters
    ----------
    source : 'river', 'straight' or LinkSource, default 'river'
    sites : GeoDataFrame, optional
        Default the bundled sites.
    capacity : str, default 'area'
        See :func:`site_capacity`.
    median_dispersal_m : float, default 25 km
        p = 0.5 at this distance (see :data:`DEFAULT_MEDIAN_DISPERSAL_M`).
    max_distance_m : float, optional
        Links longer than this are dropped.
    permeability : mapping of str to float, optional
        Per-border factors (measure 1.3).
    landscape_area : float, optional
        A_L (ha for capacity 'area'); default the total capacity.
    corridor_factor : float, default 0.5
        Effective-distance multiplier of a programme corridor.
    fence_factor : float, default 0
        Permeability multiplier of a fenced border in the fence losses.
    whatif : bool, default True
        Rank candidate sites and corridors.
    link_metrics : bool, default True
        dPC / dIIC of each link.
    quiet : bool, default True

    Returns
    -------
    ProgrammeAnalysis
    """
    from corridors.network.metrics import connectivity
    from corridors.network.whatif import border_losses, rank_candidates

    s = _sites(sites)
    src = _source(source)
    nodes = population_nodes(s, capacity)
    cands = candidate_nodes(s, capacity)
    if whatif and getattr(src, "pairwise_independent", False):
        # one run of the source on every node the what-ifs can need (costly engines: circuit)
        ends = {e for c in programme_corridor_specs() for e in (c.end_a, c.end_b)} - set(nodes.index) - set(cands.index)
        extra = s[s["id"].astype(str).isin(ends) & _located(s)]
        parts = [nodes, cands] + ([_node_frame(extra, "equal")] if len(extra) else [])
        union = gpd.GeoDataFrame(pd.concat([p for p in parts if len(p)]), geometry="geometry", crs=settings.WORKING_CRS)
        src._network_memo = {"ids": {str(x) for x in union.index}, "links": src(union)}
    g = graph_from_nodes(nodes, src, median_dispersal_m=median_dispersal_m, max_distance_m=max_distance_m,
                         permeability=permeability, landscape_area=landscape_area, name="programme")
    conn = connectivity(g, links=link_metrics, quiet=quiet)
    rows = []
    conn.nodes["dPC_system"] = np.nan
    conn.nodes["dIIC_system"] = np.nan
    for name, sub in by_river_system(g).items():
        c = connectivity(sub, betweenness=False, quiet=True)
        rows.append(c.summary)
        conn.nodes.loc[c.nodes.index, "dPC_system"] = c.nodes["dPC"]
        conn.nodes.loc[c.nodes.index, "dIIC_system"] = c.nodes["dIIC"]
    systems = pd.DataFrame(rows)
    ranking = None
    lines = gpd.GeoDataFrame({"key": [], "rank": []}, geometry=[], crs=settings.WORKING_CRS)
    if whatif:
        items = site_candidates(g, cands) if len(cands) else []
        items += corridor_candidates(g, programme_corridor_specs(), s, factor=corridor_factor, capacity=capacity)
        ranking = rank_candidates(g, items)
        if len(cands):
            cands = cands.assign(rank=ranking["rank"].reindex(cands.index).to_numpy(), dEC=ranking["dEC"].reindex(cands.index).to_numpy())
        by_id = s.to_crs(settings.WORKING_CRS).set_index(s["id"].astype(str).to_numpy())
        corr = ranking[ranking["kind"] == "corridor"]
        if len(corr):
            geoms = [shapely.LineString([by_id.geometry.loc[a].representative_point(), by_id.geometry.loc[b].representative_point()])
                     for a, b in zip(corr["end_a"], corr["end_b"])]
            lines = gpd.GeoDataFrame({"key": corr.index.to_numpy(), "name": corr["name"].to_numpy(), "rank": corr["rank"].to_numpy(),
                                      "dEC": corr["dEC"].to_numpy(), "dEC_pct": corr["dEC_pct"].to_numpy()},
                                     geometry=geoms, crs=settings.WORKING_CRS)
    fences = border_losses(g, factor=fence_factor) if len(g.links) else None
    return ProgrammeAnalysis(g, conn, systems, ranking, fences, cands, cands.attrs.get("unresolved", []), lines)
