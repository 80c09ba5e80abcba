"""``corridors network``: the programme's habitat network, its Conefor metrics per river system, what-if ranking and fence losses."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import programme, settings
from corridors._errors import ConfigError
from corridors.io import staged_folder
from corridors.analyses.programme_network import (
    DEFAULT_CORRIDOR_FACTOR,
    WHATIF_KINDS,
    Surfaces,
    _links,
    _source,
    by_river_system,
    candidate_nodes,
    graph_from_nodes,
    OLD_SOURCE_NAMES,
    needs_surfaces,
    extension_of,
    node_frame,
    node_of,
    site_role,
    programme_parts,
)
from corridors.network.graph import HabitatGraph, link_probability
from corridors.network.metrics import Connectivity, connectivity
from corridors.network.sources import LinkSource
from corridors.network.export import write_results
from corridors.network.whatif import Candidate, border_losses, rank_candidates
from corridors.plot.network_map import plot_network
from corridors.plot.save import save_figure
from corridors.raster import Raster
from corridors.sites import load_sites


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
    k, cut-off and border permeability. A candidate at link distance 0 from
    a population (its habitat disc overlaps the population's) is marked
    ``role`` 'extension' of it (``extends``, :func:`extension_of`); the others
    are 'reintroduction' or 'new protected area' by their kind.

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
    src = _source(source) if source is not None else g.meta["source_object"]
    k = _k_of(g)
    out = []
    for cid, row in candidates.iterrows():
        cid = str(cid)
        one = candidates.loc[[cid]]
        both = pd.concat([g.nodes, one])
        both = gpd.GeoDataFrame(both, geometry=both.geometry.name, crs=settings.WORKING_CRS)
        lk = _links(src, both)
        lk = lk[(lk["i"] == cid) | (lk["j"] == cid)]
        ext = extension_of({(j if i == cid else i): d for i, j, d in zip(lk["i"], lk["j"], lk["distance_m"])},
                           prefer=node_of(cid, g.ids, both.assign(id=both.index)))
        lk = _probabilities(lk, k, g)
        nodes = pd.DataFrame({"capacity": [float(row["capacity"])]}, index=pd.Index([cid], name="id"))
        out.append(Candidate(cid, nodes, lk[["i", "j", "probability"]], "site", str(row.get("name", "")),
                             list(row.get("measures") or []),
                             {"n_links": len(lk), "role": site_role(str(row.get("kind", "")), ext), "extends": ext or ""}))
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
    """The corridors the work programme names (:data:`corridors.programme.PROGRAMME_CORRIDORS`).

    Returns
    -------
    list of CorridorSpec
    """
    return [CorridorSpec(c.key, c.end_a, c.end_b, c.name, c.measure, c.reading) for c in programme.PROGRAMME_CORRIDORS]


def corridor_candidates(
    g: HabitatGraph,
    specs: Sequence[CorridorSpec],
    sites: gpd.GeoDataFrame | None = None,
    factor: float = DEFAULT_CORRIDOR_FACTOR,
    capacity: str = "habitat",
    source: str | LinkSource | None = None,
    suitability: Raster | None = None,
    reach_m: float = programme.DEFAULT_REACH_M,
) -> list[Candidate]:
    """Each corridor as a what-if: a link between its two ends with the distance times ``factor`` and open borders.

    An end that is a graph node, or a place inside one (a reserve whose
    ``parent`` chain reaches a node, :func:`node_of`: ``labr`` is ``uz1``), is
    that node: a population is counted once. An end that is a
    candidate site enters with its capacity (the corridor then scores
    together with that site); any other end (a corridor end point, a
    hotspot) enters as a stepping stone of capacity 0 linked to the graph
    by the link source. The corridor link joins the two ends' nodes; its
    distance is the source's distance between the two places the measure
    names, times ``factor`` (a corridor whose ends lie in one node adds
    nothing), and border
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
    capacity : str, default 'habitat'
        Capacity of candidate-site ends (see :func:`node_frame`).
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
    src = _source(source) if source is not None else g.meta["source_object"]
    k = _k_of(g)
    s = (sites if sites is not None else load_sites()).to_crs(settings.WORKING_CRS)
    by_id = s.set_index(s["id"].astype(str))
    out = []
    for spec in specs:
        ends = (spec.end_a, spec.end_b)
        missing = [e for e in ends if e not in by_id.index or by_id.loc[e].geometry is None or by_id.loc[e].geometry.is_empty]
        if missing:
            continue
        # an end inside a population (a reserve of it, a place in it) is that population's node, counted once
        joins = {e: node_of(e, g.ids, s) for e in ends}
        new_ids = [e for e in ends if joins[e] is None]
        extra = by_id.loc[new_ids].reset_index(drop=True) if new_ids else None
        if extra is not None and len(extra):
            enodes = node_frame(extra, capacity, suitability, reach_m)
            is_cand = enodes["kind"].isin(WHATIF_KINDS) if "kind" in enodes.columns else pd.Series(False, index=enodes.index)
            enodes.loc[~is_cand.to_numpy(), "capacity"] = 0.0
        else:
            enodes = g.nodes.iloc[0:0]
        node_a, node_b = (joins[e] or e for e in ends)
        if len(enodes):
            allnodes = gpd.GeoDataFrame(pd.concat([g.nodes, enodes]), geometry=g.nodes.geometry.name, crs=settings.WORKING_CRS)
            lk = _links(src, allnodes)
            touch = lk["i"].isin(enodes.index) | lk["j"].isin(enodes.index)
            new_links = _probabilities(lk[touch], k, g)
        else:
            new_links = pd.DataFrame({"i": [], "j": [], "probability": []})
        # the corridor link itself: the source's distance between the two places the measure names, shortened,
        # laid between the nodes they belong to
        ends_frame = node_frame(by_id.loc[list(ends)].reset_index(drop=True), "equal")
        pair = _links(src, ends_frame)
        pair = pair[np.isfinite(pd.to_numeric(pair["distance_m"], errors="coerce"))]
        if len(pair) == 0:
            d = float(ends_frame.geometry.iloc[0].distance(ends_frame.geometry.iloc[1]))
            how = "straight line (the link source does not join the ends)"
        else:
            d = float(pair["distance_m"].iloc[0])
            how = getattr(src, "name", "source")
        corridor = pd.DataFrame({"i": [node_a], "j": [node_b], "probability": [float(link_probability(d * factor, k))]})
        if node_a == node_b:
            corridor = corridor.iloc[0:0]  # both ends lie in one population: the corridor joins it to itself
        links = pd.concat([new_links[["i", "j", "probability"]], corridor], ignore_index=True)
        nodes = pd.DataFrame({"capacity": enodes["capacity"].to_numpy(dtype=float)}, index=pd.Index(enodes.index, name="id"))
        out.append(Candidate(spec.key, nodes, links, "corridor", spec.name, [spec.measure] if spec.measure else [],
                             {"end_a": spec.end_a, "end_b": spec.end_b, "node_a": node_a, "node_b": node_b,
                              "corridor_distance_m": d, "distance_from": how,
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
    surfaces : Surfaces or None
        The surfaces the network was built on (None for sources and capacities that need none).
    """

    graph: HabitatGraph
    connectivity: Connectivity
    systems: pd.DataFrame
    ranking: pd.DataFrame | None
    borders: pd.DataFrame | None
    candidates: gpd.GeoDataFrame
    unresolved: list[str]
    corridors: gpd.GeoDataFrame
    surfaces: Surfaces | None = None

    def write(self, outdir: str | os.PathLike, map: bool = True, export_conefor: bool = False) -> dict[str, Path]:
        """Write the network's files into ``outdir``, as :meth:`NetworkRun.write` (no parameters or inputs to record).

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
        export_conefor : bool, default False

        Returns
        -------
        dict of str to pathlib.Path
        """
        return NetworkRun(self, {}, {}).write(outdir, map=map, export_conefor=export_conefor)


def analyse_programme(
    source: str | LinkSource = programme.DEFAULT_LINK_SOURCE,
    sites: gpd.GeoDataFrame | None = None,
    capacity: str = "habitat",
    *,
    median_dispersal_m: float = programme.DEFAULT_MEDIAN_DISPERSAL_M,
    resolution_m: float = programme.NETWORK_RESOLUTION_M,
    reach_m: float = programme.DEFAULT_REACH_M,
    surfaces: Surfaces | None = None,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    corridor_factor: float = DEFAULT_CORRIDOR_FACTOR,
    fence_factor: float = 0.0,
    whatif: bool = True,
    link_metrics: bool = True,
    memory_limit: int | None = None,
    quiet: bool = True,
) -> ProgrammeAnalysis:
    """The programme's habitat network: graph, metrics per graph and per river system, what-if ranking, fence losses.

    With the defaults this is the network of the baseline scenario
    (``corridors run scenarios/baseline.yml``): the same nodes, capacities,
    links, probabilities and A_L, so the same EC.

    Parameters
    ----------
    source : str or LinkSource, default 'least_cost'
        See :func:`link_source`.
    sites : GeoDataFrame, optional
        Default the bundled sites.
    capacity : str, default 'habitat'
        See :func:`node_frame`.
    median_dispersal_m : float, default 30 km
        p = 0.5 at this distance (cost-weighted metres for least-cost links).
    resolution_m : float, default 5 km
        Cell size of the surfaces (when they are built here).
    reach_m : float, default 15 km
        Radius of a node's habitat disc (capacity 'habitat', least-cost links).
    surfaces : Surfaces, optional
        Surfaces to build on instead of the bundled expert model over the sites' extent.
    max_distance_m : float, optional
        Links longer than this are dropped.
    permeability : mapping of str to float, optional
        Per-border factors (measure 1.3).
    landscape_area : float, optional
        A_L; default the habitat of the whole grid when there are surfaces, else the total capacity.
    corridor_factor : float, default 0.5
        Effective-distance multiplier of a programme corridor.
    fence_factor : float, default 0
        Permeability multiplier of a fenced border in the fence losses.
    whatif : bool, default True
        Rank candidate sites and corridors.
    link_metrics : bool, default True
        dPC / dIIC of each link.
    memory_limit : int, optional
        Bytes the cost-distance engine may use.
    quiet : bool, default True

    Returns
    -------
    ProgrammeAnalysis
    """
    p = programme_parts(source, sites, capacity, surfaces=surfaces, resolution_m=resolution_m, reach_m=reach_m,
                        memory_limit=memory_limit)
    s, surfaces, src, nodes = p.sites, p.surfaces, p.source, p.nodes
    suit = surfaces.suitability if surfaces else None
    cands = candidate_nodes(s, capacity, suit, reach_m)
    if whatif and getattr(src, "pairwise_independent", False):
        # one run of the source on every node the what-ifs can need (costly engines: circuit)
        ends = {e for c in programme_corridor_specs() for e in (c.end_a, c.end_b)} - set(nodes.index) - set(cands.index)
        extra = s[s["id"].astype(str).isin(ends) & ~(s.geometry.isna() | s.geometry.is_empty)]
        parts = [nodes, cands] + ([node_frame(extra, "equal")] if len(extra) else [])
        union = gpd.GeoDataFrame(pd.concat([p for p in parts if len(p)]), geometry="geometry", crs=settings.WORKING_CRS)
        src._network_memo = {"ids": {str(x) for x in union.index}, "links": src(union)}
    if landscape_area is None:
        landscape_area = p.landscape_area
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
        items += corridor_candidates(g, programme_corridor_specs(), s, factor=corridor_factor, capacity=capacity,
                                     suitability=suit, reach_m=reach_m)
        ranking = rank_candidates(g, items)
        if len(cands):
            cands = cands.assign(rank=ranking["rank"].reindex(cands.index).to_numpy(), dEC=ranking["dEC"].reindex(cands.index).to_numpy())
        by_id = s.set_index(s["id"].astype(str).to_numpy())
        corr = ranking[ranking["kind"] == "corridor"]
        if len(corr):
            geoms = [shapely.LineString([by_id.geometry.loc[a].representative_point(), by_id.geometry.loc[b].representative_point()])
                     for a, b in zip(corr["end_a"], corr["end_b"])]
            lines = gpd.GeoDataFrame({"key": corr.index.to_numpy(), "name": corr["name"].to_numpy(), "rank": corr["rank"].to_numpy(),
                                      "dEC": corr["dEC"].to_numpy(), "dEC_pct": corr["dEC_pct"].to_numpy()},
                                     geometry=geoms, crs=settings.WORKING_CRS)
    fences = border_losses(g, factor=fence_factor) if len(g.links) else None
    return ProgrammeAnalysis(g, conn, systems, ranking, fences, cands, cands.attrs.get("unresolved", []), lines, surfaces)


@dataclass
class NetworkRun:
    """What ``corridors network`` computed on the programme's populations, ready to write.

    Attributes
    ----------
    analysis : ProgrammeAnalysis
    parameters : dict
        The run's parameters, as written to ``provenance.json``.
    inputs : dict of str to pathlib.Path
        The input files, listed with their SHA-256 in ``provenance.json``.
    """

    analysis: ProgrammeAnalysis
    parameters: dict
    inputs: dict[str, Path]

    def write(self, outdir: str | os.PathLike, map: bool = True, export_conefor: bool = False) -> dict[str, Path]:
        """Write the network's files into ``outdir``.

        Parameters
        ----------
        outdir : path-like
            Created if missing; files of other names are left alone.
        map : bool, default True
            Also ``network_map.png`` / ``.svg``.
        export_conefor : bool, default False
            Also ``conefor_nodes.txt`` and ``conefor_links.txt``.

        Returns
        -------
        dict of str to pathlib.Path
            ``network.gpkg`` (layers nodes, links, candidates, corridors),
            ``network_nodes.csv``, ``network_links.csv``, ``network_summary.csv``,
            ``network_whatif.csv``, ``network_borders.csv``, ``provenance.json``
            and the map and Conefor files asked for.
        """
        a, out = self.analysis, Path(outdir)
        extra = {}
        if len(a.candidates):
            extra["candidates"] = a.candidates.reset_index()
        if len(a.corridors):
            extra["corridors"] = a.corridors
        with staged_folder(out, name="network") as tmp:  # all files or none, by the rule of output folders
            files = write_results(a.graph, a.connectivity, tmp, ranking=a.ranking, borders=a.borders, systems=a.systems,
                                  extra_layers=extra, params={**self.parameters, "unresolved_candidates": a.unresolved},
                                  inputs=self.inputs, command="corridors network", conefor=export_conefor)
            if map:
                fig = plot_network(a.graph, a.connectivity, candidates=a.candidates, corridors=a.corridors)
                files.update({f"map_{p.suffix[1:]}": p for p in save_figure(fig, tmp / "network_map")})
        return {key: out / p.name for key, p in files.items()}


def run_network(
    sites: gpd.GeoDataFrame | str | os.PathLike | None = None,
    *,
    source: str = programme.DEFAULT_LINK_SOURCE,
    capacity: str = "habitat",
    median_dispersal_m: float = programme.DEFAULT_MEDIAN_DISPERSAL_M,
    resolution_m: float = programme.NETWORK_RESOLUTION_M,
    reach_m: float = programme.DEFAULT_REACH_M,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    corridor_factor: float = DEFAULT_CORRIDOR_FACTOR,
    fence_factor: float = 0.0,
    whatif: bool = True,
    memory_limit: int | None = None,
    quiet: bool = True,
) -> NetworkRun:
    """The network step of the main job (what ``corridors network`` runs on the programme's sites).

    Parameters
    ----------
    sites : GeoDataFrame or path-like, optional
        Sites of the schema; default the bundled ``data/sites.geojson``.
    source, capacity, median_dispersal_m, resolution_m, reach_m, max_distance_m, permeability,
    landscape_area, corridor_factor, fence_factor, whatif, memory_limit, quiet
        As in :func:`analyse_programme`; ``source`` takes the names of
        :data:`corridors.analyses.programme_network.LINK_SOURCES` (the old
        ``straight``, ``lcp``, ``circuit`` with a DeprecationWarning).

    Returns
    -------
    NetworkRun
    """
    inputs: dict[str, Path] = {}
    if isinstance(sites, gpd.GeoDataFrame):
        gdf = sites
    else:
        gdf = load_sites(sites) if sites is not None else load_sites()
        inputs["sites"] = Path(sites) if sites is not None else settings.SITES_PATH
    name = OLD_SOURCE_NAMES.get(source, source)
    if needs_surfaces(source, capacity):
        inputs["resistance_table"] = settings.RESISTANCE_TABLE_PATH
    if name == "river":
        inputs["rivers"] = settings.RIVERS_DIR
    a = analyse_programme(
        source, gdf, capacity, median_dispersal_m=median_dispersal_m, resolution_m=resolution_m, reach_m=reach_m,
        max_distance_m=max_distance_m, permeability=permeability, landscape_area=landscape_area,
        corridor_factor=corridor_factor, fence_factor=fence_factor, whatif=whatif, memory_limit=memory_limit, quiet=quiet,
    )
    parameters = {"source": name, "capacity": capacity, "median_dispersal_m": median_dispersal_m,
                  "resolution_m": resolution_m, "reach_m": reach_m, "max_distance_m": max_distance_m,
                  "permeability": dict(permeability or {}), "landscape_area": landscape_area,
                  "corridor_factor": corridor_factor, "fence_factor": fence_factor, "whatif": whatif}
    return NetworkRun(a, parameters, inputs)
