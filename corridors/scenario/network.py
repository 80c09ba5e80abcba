"""The scenario's habitat network: nodes, link distances, the graph, EC per river system and the what-if gains.

The network itself is the programme network's one definition
(:mod:`corridors.analyses.programme_network`, also built by ``corridors
network``): habitat discs and capacity, the link sources, the rule for the
probabilities and A_L, the per-system table. This module adds what a
scenario changes (reintroduced nodes, capacity changes, border permeability)
and the what-if gains of its candidates. Only :func:`_analyse` reads the
run's context; the functions below it take what they use.

Nodes are the wild populations (plus reintroduced sites); a node's core is
its habitat disc of radius ``reach_m`` and its capacity the
suitability-weighted habitat there (ha). Links join every pair, their
distance from the scenario's link source.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors import settings
from corridors.io import encode_list
from corridors.analyses.programme_network import (
    HabitatLeastCost,
    clean_links,
    habitat_capacity,
    link_source,
    network_graph,
    systems_table,
)
from corridors.network import connectivity
from corridors.network.graph import HabitatGraph, dispersal_k, link_probability
from corridors.programme import DEFAULT_REACH_M
from corridors.network.whatif import link_candidate, node_candidate, rank_candidates
from corridors.scenario.context import Analysis, _Context, _State
from corridors.scenario.schema import CorridorRestoration

#: Resistance multiplier of a restored candidate corridor in the EC-gain what-if (the schema's default).
RESTORATION_MULTIPLIER: float = CorridorRestoration.model_fields["resistance_multiplier"].default


def _node_table(node_sites: Any, sites: Any, state: _State, reach_m: float) -> tuple[Any, dict]:
    """Nodes of the habitat graph: wild populations plus reintroduced sites, capacity in ha.

    Parameters
    ----------
    node_sites : geopandas.GeoDataFrame
        The wild populations (:func:`corridors.programme.network_sites`), working CRS.
    sites : geopandas.GeoDataFrame
        All sites; the reintroduced ones (``state.new_nodes``) are taken from here.
    state : _State
        The landscape state: suitability, reintroductions and capacity changes.
    reach_m : float
        Radius of a node's habitat disc (m).

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        The node table (id, name, kind, river_system, population_unit,
        status, capacity, geometry) and node id -> bool mask of its core.
    """
    rows = []
    extra = sites[sites["id"].isin(list(state.new_nodes))]
    every = pd.concat([node_sites, extra]) if len(extra) else node_sites
    habitat, cores = habitat_capacity(every, state.suitability, reach_m)
    for _, r in every.iterrows():
        sid = str(r["id"])
        if sid in state.new_nodes:
            cap = state.new_nodes[sid]
        else:
            cap = float(habitat[sid])
            if sid in state.capacity_set_ha:
                cap = state.capacity_set_ha[sid]
            cap *= state.capacity_factor.get(sid, 1.0)
        rows.append(
            {
                "id": sid,
                "name": r.get("name", sid),
                "kind": r.get("kind", ""),
                "river_system": r.get("river_system") or "none",
                "population_unit": encode_list(r.get("population_unit", [])),
                "status": "reintroduced" if sid in state.new_nodes else r.get("status", ""),
                "capacity": max(cap, 0.0),
                "geometry": r.geometry,
            }
        )
    nodes = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.WORKING_CRS)
    return nodes, cores


def _pair_distances(
    nodes: Any, cores: dict, costs: dict, resistance: Any, source: str, rivers: Any = None,
    reach_m: float = DEFAULT_REACH_M, memory_limit: int | None = None,
) -> Any:
    """Link table with distances from the scenario's link source.

    ``least_cost``: every pair, the cost-weighted distance between the two
    nodes' habitat discs (one cost-distance run per node, kept in ``costs``
    for the candidate sites). Every pair rather than Linkage Mapper's
    neighbours only: PC follows the best path anyway, and a restoration can
    then only shorten distances (never swap a link out), so EC never falls
    when resistance falls. ``river``, ``effective_resistance`` and
    ``euclidean`` use the network engine's link sources
    (:mod:`corridors.network.sources`).

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame
        The node table of :func:`_node_table`.
    cores : dict
        Node id -> bool mask of its core.
    costs : dict
        Node id -> accumulated cost array; filled here (``least_cost``) and reused by the caller.
    resistance : Raster
        The landscape state's resistance.
    source : {'least_cost', 'effective_resistance', 'river', 'euclidean'}
        Where link distances come from.
    rivers : geopandas.GeoDataFrame, optional
        River centrelines, for ``source='river'``.
    reach_m : float
        Disc radius of the least-cost source (the discs are ``cores`` already).
    memory_limit : int, optional
        Bytes each cost-distance run of the least-cost source may use.

    Returns
    -------
    pandas.DataFrame
        Columns i, j, distance_m (cost-weighted m for least_cost), borders (list of border ids).
    """
    src = link_source(source, resistance=resistance, rivers=rivers, reach_m=reach_m, memory_limit=memory_limit)
    if isinstance(src, HabitatLeastCost):
        # the cores are the nodes' discs already computed; the cost surfaces stay in ``costs`` for the candidates
        src.cores, src.costs = cores, costs
    return clean_links(src(nodes.set_index("id", drop=False)))


def _graph(
    nodes: Any,
    links: Any,
    median_m: float,
    *,
    landscape_area_ha: float,
    cutoff_m: float | None,
    permeability: dict[str, float],
    name: str,
) -> Any:
    """The habitat graph of a node and a link table.

    Parameters
    ----------
    nodes : geopandas.GeoDataFrame
        The node table (capacity in ha).
    links : pandas.DataFrame
        The link table of :func:`_pair_distances`.
    median_m : float
        Median dispersal distance (m, or cost-weighted m): probability 0.5.
    landscape_area_ha : float
        A_L of PC: the suitability-weighted habitat area of the whole grid in
        the baseline, the same for the baseline, every measure and the
        scenario of one run, so their PC values compare (PC change =
        (EC / EC_base)^2 - 1). Never taken below the nodes' total capacity.
    cutoff_m : float or None
        Links longer than this are dropped.
    permeability : dict of str to float
        Border id -> factor (0-1) on the probability of links crossing it.
    name : str
        The scenario's name (names the graph and its tables).

    Returns
    -------
    corridors.network.HabitatGraph
    """
    return network_graph(nodes, links, median_dispersal_m=median_m, max_distance_m=cutoff_m, permeability=permeability,
                         landscape_area=landscape_area_ha, name=name, id_field="id")


def _analyse(ctx: _Context, state: _State, median_m: float | None = None, node_metrics: bool = True) -> Analysis:
    """The connectivity analysis of one landscape state of a run.

    Parameters
    ----------
    ctx : _Context
        The run: its node sites, sites, rivers, landscape area, memory limit
        and the scenario's ``links`` and ``scoring.reach_m`` settings.
    state : _State
    median_m : float, optional
        Median dispersal distance; default the scenario's ``links.median_dispersal_m``.
    node_metrics : bool, default True
        Also the per-node metrics (dPC fractions, betweenness, IIC).

    Returns
    -------
    Analysis
    """
    links_cfg = ctx.model.links
    median_m = median_m or links_cfg.median_dispersal_m
    nodes, cores = _node_table(ctx.node_sites, ctx.sites, state, ctx.model.scoring.reach_m)
    costs: dict = {}
    links = _pair_distances(nodes, cores, costs, state.resistance, links_cfg.source, rivers=ctx.rivers,
                            reach_m=ctx.model.scoring.reach_m, memory_limit=ctx.memory_limit)
    perm = dict(links_cfg.border_permeability)
    perm.update(state.permeability)
    g = _graph(nodes, links, median_m, landscape_area_ha=ctx.landscape_area_ha, cutoff_m=links_cfg.cutoff_m,
               permeability=perm, name=ctx.model.name)
    conn = connectivity(g, nodes=node_metrics, betweenness=node_metrics, iic_metrics=node_metrics)
    return Analysis(state, g, conn, systems_table(g), cores, costs)


# --------------------------------------------------------------------------- what-if gains of candidates


def _with_median(g: Any, median_m: float) -> Any:
    """The same graph with probabilities recomputed for another median dispersal distance."""
    k = dispersal_k(median_m)
    links = g.links.copy()
    perm = links["permeability"].to_numpy(dtype=float) if "permeability" in links else 1.0
    links["probability"] = link_probability(links["distance_m"].to_numpy(dtype=float), k) * perm
    meta = dict(g.meta, k=k, median_dispersal_m=median_m)
    return HabitatGraph(g.nodes, links, g.landscape_area, g.name, meta)


def _corridor_ec_gain(
    table: Any,
    g: Any,
    node_of: Callable[[str, str], str],
    median_m: float | None = None,
    multiplier: float = RESTORATION_MULTIPLIER,
) -> list[float]:
    """EC gain of restoring each candidate corridor (the network engine's what-if, one at a time).

    The link between the nodes the corridor's two ends belong to gets the
    probability of the restored corridor: its cost-weighted distance times
    the restoration multiplier, or keeps its own if better.

    Parameters
    ----------
    table : pandas.DataFrame
        Candidate corridors (index: corridor key) with columns a, b (end site ids) and cwd.
    g : corridors.network.HabitatGraph
    node_of : callable (site id, where) -> node id
        The network node a corridor end belongs to; ``where`` names the corridor in errors.
    median_m : float, optional
        Another median dispersal distance (robustness); default the graph's own.
    multiplier : float, default RESTORATION_MULTIPLIER
        Factor on the corridor's cost-weighted distance once restored.

    Returns
    -------
    list of float
        EC gain (ha) per row of ``table``; NaN where the corridor has no cost distance.
    """
    base_g = g if median_m is None else _with_median(g, median_m)
    k = base_g.meta["k"]
    cutoff = base_g.meta.get("max_distance_m")
    cands, out = [], {}
    for cid, r in table.iterrows():
        if not np.isfinite(float(r.get("cwd", np.nan))):
            out[cid] = np.nan
            continue
        na = node_of(r["a"], f"corridor {cid}")
        nb = node_of(r["b"], f"corridor {cid}")
        d = float(r["cwd"]) * multiplier
        if na == nb or na not in base_g.ids or nb not in base_g.ids or (cutoff is not None and d > cutoff):
            out[cid] = 0.0
            continue
        cands.append(link_candidate(str(cid), na, nb, float(link_probability(d, k))))
    if cands:
        ranked = rank_candidates(base_g, cands)
        for cid in ranked.index:
            out[cid] = _clean(float(ranked.loc[cid, "dEC"]))
    return [out[str(c)] if str(c) in out else out.get(c, np.nan) for c in table.index]


def _clean(gain: float) -> float:
    """Round away floating-point noise: EC gains below a millionth of a hectare are zero."""
    return 0.0 if abs(gain) < 1e-6 else float(gain)


def _site_gains(g: Any, table: Any, median_m: float | None = None) -> Any:
    """EC gain (ha) and PC gain (% of the baseline PC, A_L kept) of adding each candidate site as a node.

    The network engine's what-if (:func:`corridors.network.whatif.rank_candidates`),
    one site at a time: the node's capacity is its suitability-weighted
    habitat within reach, its links the least-cost distances to every node.

    Parameters
    ----------
    g : corridors.network.HabitatGraph
    table : pandas.DataFrame
        Candidate sites (index: site id) with columns habitat_ha and _dists
        (node id -> cost-weighted distance).
    median_m : float, optional
        Another median dispersal distance (robustness); default the graph's own.

    Returns
    -------
    pandas.DataFrame
        Columns ec_gain, pc_gain; index: site id, in the order of ``table``.
    """
    base_g = g if median_m is None else _with_median(g, median_m)
    k = base_g.meta["k"]
    cutoff = base_g.meta.get("max_distance_m")
    cands = []
    for sid, r in table.iterrows():
        links = {n: float(link_probability(d, k)) for n, d in r["_dists"].items()
                 if math.isfinite(d) and (cutoff is None or d <= cutoff)}
        cands.append(node_candidate(str(sid), float(r["habitat_ha"]), links))
    if not cands:
        return pd.DataFrame(columns=["ec_gain", "pc_gain"])
    ranked = rank_candidates(base_g, cands)
    out = pd.DataFrame({"ec_gain": [_clean(float(v)) for v in ranked["dEC"]],
                        "pc_gain": [_clean(float(v)) for v in ranked["dPC_pct"]]}, index=ranked.index)
    out.index.name = "site"
    return out.reindex([str(s) for s in table.index])
