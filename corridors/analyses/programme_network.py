"""The programme's habitat network, defined once: used by ``corridors network``, every scenario and so the main job.

Nodes are the free-ranging populations (:func:`corridors.programme.network_sites`);
a node's capacity is the suitability-weighted habitat within ``reach_m`` of
it; links come from a link source (least-cost distance between the nodes'
habitat discs by default); the probability of a link is ``exp(-k d)`` with
``k`` from the median dispersal distance; A_L, the landscape area of PC, is the
suitability-weighted habitat of the whole grid. Every default is a constant of
:mod:`corridors.programme`; a scenario changes them through its named
parameters (``links.source``, ``links.median_dispersal_m``,
``landscape.resolution_m``, ``scoring.reach_m``).
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors import programme, settings
from corridors._errors import ConfigError, DataError
from corridors.io import decode_list
from corridors.network.graph import HabitatGraph, build_graph
from corridors.network.metrics import connectivity
from corridors.network.sources import (
    AlongRiver,
    EffectiveResistance,
    HabitatLeastCost,
    LinkSource,
    StraightLine,
    accumulated_cost,
    habitat_disc,
)
from corridors.analyses.network_surfaces import (
    Surfaces,
    check_surface_memory,
    habitat_capacity,
    habitat_ha,
    network_bounds,
    network_surfaces,
    site_capacity,
)
from corridors.raster import Raster
from corridors.sites import load_sites

__all__ = [
    "LINK_SOURCES", "OLD_SOURCE_NAMES", "WHATIF_KINDS", "NODE_FIELDS", "DEFAULT_CORRIDOR_FACTOR",
    # the definition's parts, from the modules they live in (engines and network_surfaces)
    "Surfaces", "HabitatLeastCost", "accumulated_cost", "habitat_disc", "habitat_ha", "habitat_capacity",
    "network_bounds", "network_surfaces", "site_capacity",
    # this module
    "link_source", "clean_links", "node_frame", "population_nodes", "candidate_nodes", "network_graph",
    "graph_from_nodes", "systems_table", "by_river_system", "programme_graph", "ProgrammeParts", "programme_parts",
    "needs_surfaces", "node_of", "extension_of", "site_role",
]

#: The link sources by name and their first-release spellings (defined with the network's defaults in corridors.programme).
LINK_SOURCES = programme.LINK_SOURCES
OLD_SOURCE_NAMES = programme.OLD_SOURCE_NAMES
#: Kinds of site that enter the what-if ranking as new nodes.
WHATIF_KINDS: tuple[str, ...] = (*programme.CANDIDATE_SITE_KINDS, "candidate_protected_area")
#: Node attributes carried from the sites into the graph.
NODE_FIELDS: tuple[str, ...] = ("name", "kind", "code", "status", "population_unit", "countries", "river", "river_system",
                                "parent", "measures", "location_precision_km")
#: Default factor by which a programme corridor shortens the effective distance between its ends.
DEFAULT_CORRIDOR_FACTOR: float = 0.5


# ----------------------------------------------------------------------------- link sources
def link_source(
    source: str | LinkSource = programme.DEFAULT_LINK_SOURCE,
    *,
    resistance: Raster | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    reach_m: float = programme.DEFAULT_REACH_M,
    memory_limit: int | None = None,
) -> LinkSource:
    """The link source of a name (:data:`LINK_SOURCES`), or the source given.

    Parameters
    ----------
    source : str or LinkSource, default 'least_cost'
        ``'least_cost'`` (:class:`HabitatLeastCost`), ``'effective_resistance'``
        (Circuitscape pairwise, :class:`corridors.network.EffectiveResistance`),
        ``'river'`` (along the rivers, :class:`corridors.network.AlongRiver`)
        or ``'euclidean'`` (straight line). The first release's ``'straight'``,
        ``'lcp'`` and ``'circuit'`` still work, with a DeprecationWarning.
    resistance : Raster, optional
        Needed by the least-cost and effective-resistance sources.
    rivers : GeoDataFrame, optional
        River lines for ``'river'`` (default the bundled ones).
    reach_m : float
        Disc radius of the least-cost source.
    memory_limit : int, optional
        Bytes the cost-distance engine may use.

    Returns
    -------
    LinkSource
    """
    if not isinstance(source, str):
        if not callable(source):
            raise ConfigError(f"option 'source' is {source!r}; give a link source name or a callable nodes -> links table.")
        return source
    if source in OLD_SOURCE_NAMES:
        new = OLD_SOURCE_NAMES[source]
        warnings.warn(f"link source {source!r} is now called {new!r}; the old name goes in the next release.",
                      DeprecationWarning, stacklevel=2)
        source = new
    if source == "river":
        return AlongRiver(rivers=rivers) if rivers is not None else AlongRiver()
    if source == "euclidean":
        return StraightLine()
    if source in ("least_cost", "effective_resistance"):
        if resistance is None:
            raise ConfigError(f"link source {source!r} needs a resistance surface; build one with "
                              "corridors.analyses.network.network_surfaces() or give the source 'river' or 'euclidean'.")
        if source == "least_cost":
            return HabitatLeastCost(resistance, reach_m, memory_limit)
        return EffectiveResistance(resistance, memory_limit=memory_limit)
    raise ConfigError(f"option 'source' is {source!r}; choose one of {', '.join(LINK_SOURCES)}.")


def _source(source: str | LinkSource) -> LinkSource:
    """A source name that needs no surface, or a source object (for the what-ifs of a built graph)."""
    return link_source(source)


def _links(src: LinkSource, nodes: gpd.GeoDataFrame) -> pd.DataFrame:
    """Links of ``nodes`` from the source, reusing links computed once on a superset when the source allows it."""
    memo = getattr(src, "_network_memo", None)
    if memo is not None and getattr(src, "pairwise_independent", False):
        ids = {str(x) for x in nodes.index}
        if ids <= memo["ids"]:
            lk = memo["links"]
            return lk[lk["i"].isin(ids) & lk["j"].isin(ids)].reset_index(drop=True)
    return src(nodes)


def clean_links(links: pd.DataFrame) -> pd.DataFrame:
    """Links with str ids, float distances, list borders, and only finite distances >= 0.

    Parameters
    ----------
    links : DataFrame
        ``i``, ``j``, ``distance_m`` and optionally ``borders`` (lists or ``;``-joined text).

    Returns
    -------
    DataFrame
        Columns ``i``, ``j``, ``distance_m``, ``borders``.
    """
    bs = links["borders"] if "borders" in links.columns else [[]] * len(links)
    out = pd.DataFrame({"i": links["i"].astype(str), "j": links["j"].astype(str),
                        "distance_m": links["distance_m"].astype(float),
                        "borders": [list(b) if isinstance(b, (list, tuple)) else decode_list(b) for b in bs]})
    return out[np.isfinite(out["distance_m"]) & (out["distance_m"] >= 0)].reset_index(drop=True)


# ----------------------------------------------------------------------------- nodes
def node_frame(sites: gpd.GeoDataFrame, capacity: str = "habitat", suitability: Raster | None = None,
               reach_m: float = programme.DEFAULT_REACH_M) -> gpd.GeoDataFrame:
    """Sites as graph nodes: working CRS, indexed by id, the site fields and ``capacity``.

    Parameters
    ----------
    sites : GeoDataFrame
        Located sites of the schema, any CRS.
    capacity : str, default 'habitat'
        ``'habitat'``: suitability-weighted habitat within ``reach_m``
        (:func:`habitat_capacity`; needs ``suitability``); otherwise as
        :func:`site_capacity` (``'area'``, ``'equal'`` or a numeric column).
    suitability : Raster, optional
    reach_m : float

    Returns
    -------
    GeoDataFrame
    """
    work = sites.to_crs(settings.WORKING_CRS)
    if capacity == "habitat":
        if suitability is None:
            raise ConfigError("capacity 'habitat' needs a suitability surface (network_surfaces()); "
                              "or choose capacity 'area', 'equal' or a numeric column of the sites.")
        cap, _ = habitat_capacity(work.set_index(work["id"].astype(str)), suitability, reach_m)
    else:
        cap = site_capacity(work, capacity)
    cols = [c for c in NODE_FIELDS if c in work.columns]
    out = gpd.GeoDataFrame(work[cols].copy(), geometry=work.geometry.values, crs=settings.WORKING_CRS)
    out.index = pd.Index(work["id"].astype(str).to_numpy(), name="id")
    out["capacity"] = cap.reindex(out.index).to_numpy()
    out.attrs["capacity_field"] = capacity
    return out


def population_nodes(sites: gpd.GeoDataFrame | None = None, capacity: str = "habitat", suitability: Raster | None = None,
                     reach_m: float = programme.DEFAULT_REACH_M) -> gpd.GeoDataFrame:
    """The programme's populations as habitat nodes (:func:`corridors.programme.network_sites`).

    Parameters
    ----------
    sites : GeoDataFrame, optional
        Default ``corridors.sites.load_sites()``.
    capacity, suitability, reach_m
        See :func:`node_frame`.

    Returns
    -------
    GeoDataFrame
        Working CRS, indexed by site id, with ``capacity`` and the site fields.
    """
    sel = programme.network_sites(sites if sites is not None else load_sites())
    if len(sel) == 0:
        raise DataError("sites: no located subpopulation or outside-range group of free-ranging deer; check 'kind' and 'status'.")
    return node_frame(sel, capacity, suitability, reach_m)


def candidate_nodes(sites: gpd.GeoDataFrame | None = None, capacity: str = "habitat", suitability: Raster | None = None,
                    reach_m: float = programme.DEFAULT_REACH_M) -> gpd.GeoDataFrame:
    """The programme's candidate sites (reintroduction, new protected areas) that have a location.

    Parameters
    ----------
    sites : GeoDataFrame, optional
    capacity, suitability, reach_m
        See :func:`node_frame`.

    Returns
    -------
    GeoDataFrame
        As :func:`population_nodes`; unresolved candidates are listed in ``attrs['unresolved']``.
    """
    s = sites if sites is not None else load_sites()
    cand = s[s["kind"].isin(WHATIF_KINDS)]
    located = ~(cand.geometry.isna() | cand.geometry.is_empty)
    loc = cand[located]
    out = node_frame(loc, capacity, suitability, reach_m) if len(loc) else gpd.GeoDataFrame(geometry=[], crs=settings.WORKING_CRS)
    out.attrs["unresolved"] = sorted(cand.loc[~located, "id"].astype(str))
    return out


def node_of(site: str, node_ids: Collection[str], sites: pd.DataFrame) -> str | None:
    """The network node a site is part of: the site itself, or the first node up its chain of ``parent`` ids.

    A reserve, a place in it or a captive group inside a population is the
    same population as the node it lies in (``labr`` and ``nazarkhan`` are
    ``uz1``): the network counts it once, as that node, never as a second
    node at distance 0.

    Parameters
    ----------
    site : str
        Site id.
    node_ids : collection of str
        Ids of the network's nodes.
    sites : DataFrame
        Sites of the schema (``id`` and ``parent`` columns).

    Returns
    -------
    str or None
        The node id, or None when neither the site nor any of its parents is a node.
    """
    nodes = {str(n) for n in node_ids}
    parent = dict(zip(sites["id"].astype(str), sites["parent"])) if "parent" in sites.columns else {}
    seen: set[str] = set()
    cur: object = site
    while isinstance(cur, str) and cur not in seen:
        if cur in nodes:
            return cur
        seen.add(cur)
        cur = parent.get(cur)
    return None


def extension_of(distances: Mapping[str, float], prefer: str | None = None) -> str | None:
    """The population a candidate site extends: a node at link distance 0 from it, if any.

    A candidate whose habitat disc already overlaps a population's (least-cost
    distance 0 between the discs: ``source_cwd`` 0 in a scenario's site table)
    is an extension of that population, not a new one: the deer are there.

    Parameters
    ----------
    distances : mapping of str to float
        Node id -> link distance from the candidate (cost-weighted m for least-cost links).
    prefer : str, optional
        The node the site lies in by its ``parent`` (:func:`node_of`), named when it is among those touched.

    Returns
    -------
    str or None
        ``prefer`` if it is touched, else the first touched node id in sorted order, or None.
    """
    touching = sorted(str(n) for n, d in distances.items() if d == 0)
    if prefer in touching:
        return prefer
    return touching[0] if touching else None


def site_role(kind: str, extends: str | None) -> str:
    """What adding a candidate site means: ``'extension'`` of a population it touches, else by its kind.

    Parameters
    ----------
    kind : str
        The site's kind (``candidate_reintroduction``, ``candidate_protected_area``).
    extends : str or None
        The node it extends (:func:`extension_of`).

    Returns
    -------
    str
        ``'extension'``, ``'reintroduction'`` or ``'new protected area'``.
    """
    if extends:
        return "extension"
    return "reintroduction" if kind in programme.CANDIDATE_SITE_KINDS else "new protected area"


# ----------------------------------------------------------------------------- the graph
def network_graph(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    *,
    median_dispersal_m: float | None = programme.DEFAULT_MEDIAN_DISPERSAL_M,
    k: float | None = None,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    name: str = "programme",
    id_field: str | None = None,
) -> HabitatGraph:
    """The habitat graph of nodes and links: the one rule for the probabilities and A_L.

    Parameters
    ----------
    nodes : DataFrame
        ``capacity`` per node, indexed by id (``id_field=None``) or with an id column.
    links : DataFrame
        ``i``, ``j``, ``distance_m``, ``borders``.
    median_dispersal_m : float, default :data:`corridors.programme.DEFAULT_MEDIAN_DISPERSAL_M`
        p = 0.5 at this distance; give ``k`` with ``median_dispersal_m=None`` to set k directly.
    max_distance_m : float, optional
        Links longer than this are dropped.
    permeability : mapping of str to float, optional
        Per-border factors (measure 1.3).
    landscape_area : float, optional
        A_L; never below the nodes' total capacity (default: that total).
    name : str

    Returns
    -------
    HabitatGraph
    """
    geom = nodes.geometry.name if isinstance(nodes, gpd.GeoDataFrame) else None
    table = pd.DataFrame(nodes.drop(columns=geom)) if geom else nodes
    total = float(pd.to_numeric(table["capacity"]).sum())
    area_l = None if landscape_area is None else max(float(landscape_area), total)
    return build_graph(
        table, links, id_field=id_field, median_dispersal_m=median_dispersal_m if k is None else None, k=k,
        max_distance_m=max_distance_m, permeability=dict(permeability or {}), landscape_area=area_l, name=name,
        label=f"{name} links", node_label=f"{name} nodes",
    )


def graph_from_nodes(
    nodes: gpd.GeoDataFrame,
    source: str | LinkSource = "euclidean",
    *,
    median_dispersal_m: float | None = programme.DEFAULT_MEDIAN_DISPERSAL_M,
    k: float | None = None,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    name: str = "",
) -> HabitatGraph:
    """A habitat graph from nodes with a geometry and a link source (:func:`link_source`, :func:`network_graph`).

    Parameters
    ----------
    nodes : GeoDataFrame
        Indexed by node id, with ``capacity``.
    source : str or LinkSource, default 'euclidean'
        A name that needs no surface (``'river'``, ``'euclidean'``) or a source object.
    median_dispersal_m, k, max_distance_m, permeability, landscape_area, name
        As in :func:`network_graph`.

    Returns
    -------
    HabitatGraph
        ``meta['source']`` names the link source; ``meta['source_object']`` is it.
    """
    src = _source(source)
    links = _links(src, nodes)
    links = links[np.isfinite(pd.to_numeric(links["distance_m"], errors="coerce"))] if "distance_m" in links.columns else links
    sname = getattr(src, "name", type(src).__name__)
    if "source" not in links.columns:
        links = links.assign(source=sname)
    g = build_graph(
        nodes, links, id_field=None, median_dispersal_m=median_dispersal_m if k is None else None, k=k,
        max_distance_m=max_distance_m, permeability=permeability, landscape_area=landscape_area, name=name,
        label=f"links from source {sname!r}",
    )
    g.meta["source"] = sname
    g.meta["source_object"] = src
    return g


def systems_table(g: HabitatGraph) -> pd.DataFrame:
    """EC (ha) and PC of the whole graph (``all``) and of each river system's subgraph.

    Parameters
    ----------
    g : HabitatGraph
        Nodes with a ``river_system`` column.

    Returns
    -------
    DataFrame
        Indexed by ``river_system``: ``n_nodes``, ``capacity_ha``, ``ec_ha``, ``pc``.
    """
    c = connectivity(g, nodes=False, betweenness=False, iic_metrics=False)
    rows = [{"river_system": "all", "n_nodes": g.n, "capacity_ha": g.total_capacity, "ec_ha": c.summary["EC_PC"],
             "pc": c.summary["PC"]}]
    for sysname in sorted(set(g.nodes["river_system"])):
        ids = [i for i, s in zip(g.ids, g.nodes["river_system"]) if s == sysname]
        sub = g.subgraph(ids, name=f"{g.name}:{sysname}")
        cs = connectivity(sub, nodes=False, betweenness=False, iic_metrics=False)
        rows.append({"river_system": sysname, "n_nodes": sub.n, "capacity_ha": sub.total_capacity,
                     "ec_ha": cs.summary["EC_PC"], "pc": cs.summary["PC"]})
    return pd.DataFrame(rows).set_index("river_system")


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


def programme_graph(
    source: str | LinkSource = programme.DEFAULT_LINK_SOURCE,
    sites: gpd.GeoDataFrame | None = None,
    capacity: str = "habitat",
    *,
    surfaces: Surfaces | None = None,
    resolution_m: float = programme.NETWORK_RESOLUTION_M,
    reach_m: float = programme.DEFAULT_REACH_M,
    memory_limit: int | None = None,
    **graph_kwargs,
) -> HabitatGraph:
    """The habitat graph of the programme's populations, by the one definition of this module.

    Parameters
    ----------
    source : str or LinkSource, default 'least_cost'
        See :func:`link_source`.
    sites : GeoDataFrame, optional
        Default the bundled sites.
    capacity : str, default 'habitat'
        See :func:`node_frame`.
    surfaces : Surfaces, optional
        Default the bundled expert model on the sites' extent at ``resolution_m``
        (built only when the source or the capacity needs it).
    resolution_m, reach_m, memory_limit
        See :func:`network_surfaces`, :func:`habitat_capacity`, :func:`link_source`.
    **graph_kwargs
        As in :func:`graph_from_nodes` (``median_dispersal_m`` defaults to
        :data:`corridors.programme.DEFAULT_MEDIAN_DISPERSAL_M`); ``landscape_area``
        defaults to the habitat of the whole grid when there are surfaces.

    Returns
    -------
    HabitatGraph
    """
    p = programme_parts(source, sites, capacity, surfaces=surfaces, resolution_m=resolution_m, reach_m=reach_m,
                        memory_limit=memory_limit)
    if graph_kwargs.get("landscape_area") is None:
        graph_kwargs["landscape_area"] = p.landscape_area
    graph_kwargs.setdefault("name", "programme")
    return graph_from_nodes(p.nodes, p.source, **graph_kwargs)


@dataclass
class ProgrammeParts:
    """What a programme network is built from: the sites, surfaces, link source, nodes and A_L."""

    sites: gpd.GeoDataFrame
    surfaces: Surfaces | None
    source: LinkSource
    nodes: gpd.GeoDataFrame
    landscape_area: float | None


def programme_parts(
    source: str | LinkSource = programme.DEFAULT_LINK_SOURCE,
    sites: gpd.GeoDataFrame | None = None,
    capacity: str = "habitat",
    *,
    surfaces: Surfaces | None = None,
    resolution_m: float = programme.NETWORK_RESOLUTION_M,
    reach_m: float = programme.DEFAULT_REACH_M,
    memory_limit: int | None = None,
) -> ProgrammeParts:
    """The parts of the programme network, by this module's one definition (see :func:`programme_graph`).

    Returns
    -------
    ProgrammeParts
        ``landscape_area`` is the habitat of the whole grid (never below the
        nodes' total) for capacity 'habitat' on surfaces, else None (the total).
    """
    s = (sites if sites is not None else load_sites()).to_crs(settings.WORKING_CRS)
    if surfaces is None and needs_surfaces(source, capacity):
        bounds = network_bounds(s)
        check_surface_memory(bounds, resolution_m, memory_limit)  # refused in a second, not by NumPy after minutes
        surfaces = network_surfaces(bounds, resolution_m)
    src = link_source(source, resistance=surfaces.resistance if surfaces else None, reach_m=reach_m, memory_limit=memory_limit)
    nodes = population_nodes(s, capacity, surfaces.suitability if surfaces else None, reach_m)
    area = None
    if surfaces is not None and capacity == "habitat":
        area = max(surfaces.landscape_area_ha, float(nodes["capacity"].sum()))
    return ProgrammeParts(s, surfaces, src, nodes, area)


def needs_surfaces(source: str | LinkSource, capacity: str) -> bool:
    """Whether a link source name or a capacity rule needs the resistance and suitability surfaces."""
    name = OLD_SOURCE_NAMES.get(source, source) if isinstance(source, str) else None
    return capacity == "habitat" or name in ("least_cost", "effective_resistance")
