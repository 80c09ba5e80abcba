"""The habitat-connectivity graph: nodes with a capacity, links with a dispersal probability, checked in one place."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from corridors._errors import ConfigError, DataError, where
from corridors.io import decode_list

#: Columns of a links table, in the order they are written.
LINK_COLUMNS = ("i", "j", "distance_m", "probability", "borders", "permeability", "source")


def dispersal_k(median_dispersal_m: float) -> float:
    """The decay constant ``k`` of ``p = exp(-k d)`` that gives ``p = 0.5`` at the median dispersal distance.

    Parameters
    ----------
    median_dispersal_m : float
        Distance (metres, or the unit of the link distances) at which half
        the dispersers still arrive.

    Returns
    -------
    float
        ``ln 2 / median_dispersal_m``.

    Raises
    ------
    ConfigError
        If the distance is not a positive finite number.
    """
    if not (isinstance(median_dispersal_m, (int, float)) and math.isfinite(median_dispersal_m) and median_dispersal_m > 0):
        raise ConfigError(
            f"option 'median_dispersal_m' is {median_dispersal_m!r}; give a positive distance in metres "
            "(the distance at which the dispersal probability is 0.5)."
        )
    return math.log(2.0) / float(median_dispersal_m)


def link_probability(distance_m: np.ndarray | float, k: float) -> np.ndarray:
    """Dispersal probability of a link, ``p = exp(-k d)`` (the negative exponential of Conefor and Graphab).

    Parameters
    ----------
    distance_m : array-like of float
        Link distances, non-negative.
    k : float
        Decay constant (per metre); see :func:`dispersal_k`.

    Returns
    -------
    numpy.ndarray
        Probabilities in (0, 1].
    """
    return np.exp(-float(k) * np.asarray(distance_m, dtype=float))


@dataclass
class HabitatGraph:
    """A habitat-connectivity graph: what Conefor reads as a node file plus a connection file.

    Build it with :func:`build_graph` (checks everything) rather than directly.

    Attributes
    ----------
    nodes : pandas.DataFrame or geopandas.GeoDataFrame
        One row per node, indexed by the node id (str), with a ``capacity``
        column (the Conefor node attribute: area in ha, quality-weighted area,
        carrying capacity or a head count) and any other attributes
        (population unit, countries, status, river system, geometry).
    links : pandas.DataFrame
        One row per undirected link: ``i``, ``j`` (node ids), ``probability``
        (direct dispersal probability, after border permeability), and when
        known ``distance_m``, ``borders`` (list of border ids crossed),
        ``permeability`` (the product of their factors) and ``source``; a
        ``geometry`` column (LineString) if the link source drew one.
    landscape_area : float or None
        A_L, the denominator of IIC and PC, in capacity units. ``None`` means
        the total capacity of the nodes (the habitat-only landscape: PC is then
        (EC / total capacity)^2). Conefor asks the user for it.
    name : str
        A label used in tables, maps and error messages.
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    landscape_area: float | None = None
    name: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """Node ids in graph order."""
        return [str(x) for x in self.nodes.index]

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def capacity(self) -> np.ndarray:
        """Node capacities (the Conefor attribute) as a float array in graph order."""
        return self.nodes["capacity"].to_numpy(dtype=float)

    @property
    def total_capacity(self) -> float:
        """Sum of the node capacities."""
        return float(self.capacity.sum())

    @property
    def area_l(self) -> float:
        """A_L used as the denominator (the landscape area, or the total capacity when unset)."""
        return float(self.landscape_area) if self.landscape_area is not None else self.total_capacity

    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Links as integer node positions and probabilities.

        Returns
        -------
        u, v : numpy.ndarray of int
            Positions of the two ends in :attr:`nodes`.
        p : numpy.ndarray of float
            Link probabilities.
        """
        pos = {nid: k for k, nid in enumerate(self.ids)}
        u = np.array([pos[str(x)] for x in self.links["i"]], dtype=np.int64)
        v = np.array([pos[str(x)] for x in self.links["j"]], dtype=np.int64)
        p = self.links["probability"].to_numpy(dtype=float)
        return u, v, p

    def to_networkx(self) -> nx.Graph:
        """The graph as a networkx Graph.

        Node attributes are the node columns (geometry excluded); link
        attributes are the link columns plus ``weight = -ln(p)`` (so shortest
        paths on ``weight`` are maximum-product-probability paths).

        Returns
        -------
        networkx.Graph
        """
        g = nx.Graph(name=self.name)
        geom = self.nodes.geometry.name if isinstance(self.nodes, gpd.GeoDataFrame) else None
        for nid, row in self.nodes.iterrows():
            g.add_node(str(nid), **{c: row[c] for c in self.nodes.columns if c != geom})
        for row in self.links.to_dict("records"):
            p = float(row["probability"])
            attrs = {c: v for c, v in row.items() if c not in ("i", "j", "geometry")}
            attrs["weight"] = -math.log(p) if p > 0 else math.inf
            g.add_edge(str(row["i"]), str(row["j"]), **attrs)
        return g

    def subgraph(self, node_ids: list[str], name: str | None = None) -> HabitatGraph:
        """The graph induced by some nodes (links with both ends among them).

        Parameters
        ----------
        node_ids : list of str
            Nodes to keep.
        name : str, optional
            Label of the subgraph.

        Returns
        -------
        HabitatGraph
            Same landscape area as this graph.
        """
        keep = set(map(str, node_ids))
        nodes = self.nodes.loc[[i for i in self.ids if i in keep]]
        links = self.links[self.links["i"].astype(str).isin(keep) & self.links["j"].astype(str).isin(keep)]
        return HabitatGraph(nodes, links.reset_index(drop=True), self.landscape_area, name or self.name, dict(self.meta))


def _check_nodes(nodes: pd.DataFrame, id_field: str | None, capacity: str, label: str) -> pd.DataFrame:
    if id_field is not None:
        if id_field not in nodes.columns:
            raise DataError(
                f"{where(label, field=id_field)}: no such column; name the node id column "
                f"(columns: {', '.join(map(str, nodes.columns))})."
            )
        ids = nodes[id_field]
    else:
        ids = pd.Series(nodes.index, index=nodes.index)
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(f"{label}, row {row + 1}, field {id_field or 'index'!r}: node id is empty; give every node an id.")
    ids = ids.astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(
            f"{where(label, feature=dup.iloc[0], field=id_field or 'index')}: duplicate node id; "
            "give every node a unique id (or merge the duplicates into one node)."
        )
    if capacity not in nodes.columns:
        raise DataError(
            f"{where(label, field=capacity)}: no such column for the node capacity; choose one of "
            f"{', '.join(map(str, nodes.columns))} or add the column."
        )
    cap = pd.to_numeric(nodes[capacity], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(cap) | (cap < 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where(label, feature=ids.iloc[r], field=capacity)}: capacity is {_num(nodes[capacity].iloc[r])}; "
            "give a number >= 0 for every node (area in ha, carrying capacity or a count)."
        )
    out = nodes.copy()
    out.index = pd.Index(ids.to_numpy(), name="id")
    if id_field is not None and id_field in out.columns:
        out = out.drop(columns=id_field)
    if capacity != "capacity" and "capacity" in out.columns:
        out = out.drop(columns="capacity")
    out["capacity"] = cap
    if capacity != "capacity":
        out = out.drop(columns=capacity)
        out.attrs["capacity_field"] = capacity
    return out


def _num(x: object) -> str:
    """A value as the user wrote it (no numpy repr)."""
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(x)
    return f"{f:g}"


def _at(label: str, lk: pd.DataFrame, r: int, field: str) -> str:
    """'links table, link 'a'-'b' (row 3), field 'j'' for error messages."""
    return f"{label}, link {lk['i'].iloc[r]!r}-{lk['j'].iloc[r]!r} (row {r + 1}), field {field!r}"


def _reject_first(bad: np.ndarray, label: str, lk: pd.DataFrame, field: str, noun: str, rule: str) -> None:
    """A DataError naming the first link where ``bad`` holds (its ends, row, field and value) and the rule it breaks."""
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise DataError(f"{_at(label, lk, r, field)}: {noun} {_num(lk[field].iloc[r])}; {rule}")


def _check_links(
    links: pd.DataFrame,
    node_ids: pd.Index,
    k: float | None,
    max_distance_m: float | None,
    permeability: Mapping[str, float] | None,
    label: str,
) -> pd.DataFrame:
    for col in ("i", "j"):
        if col not in links.columns:
            raise DataError(f"{where(label, field=col)}: missing column; a links table needs columns 'i', 'j' and 'distance_m' or 'probability'.")
    lk = links.copy().reset_index(drop=True)
    lk["i"] = lk["i"].astype(str)
    lk["j"] = lk["j"].astype(str)
    known = set(node_ids)
    for col in ("i", "j"):
        unknown = ~lk[col].isin(known)
        if unknown.any():
            r = int(np.flatnonzero(unknown.to_numpy())[0])
            raise DataError(
                f"{_at(label, lk, r, col)}: node id {lk[col].iloc[r]!r} is not in the node table; "
                "fix the id or add the node."
            )
    self_loop = lk["i"] == lk["j"]
    if self_loop.any():
        r = int(np.flatnonzero(self_loop.to_numpy())[0])
        raise DataError(f"{_at(label, lk, r, 'j')}: a link from a node to itself; drop it (p_ii = 1 by definition).")
    has_d = "distance_m" in lk.columns
    has_p = "probability" in lk.columns
    if not has_d and not has_p:
        raise DataError(f"{where(label)}: the links table needs a 'distance_m' or a 'probability' column.")
    if has_d:
        d = pd.to_numeric(lk["distance_m"], errors="coerce").to_numpy(dtype=float)
        _reject_first(~(d >= 0) if not has_p else (d < 0), label, lk, "distance_m", "distance",
                      "distances must be numbers >= 0 (metres).")
        lk["distance_m"] = d
        if max_distance_m is not None:
            if not max_distance_m > 0:
                raise ConfigError(f"option 'max_distance_m' is {max_distance_m!r}; give a positive cut-off distance in metres or none.")
            lk = lk[~(lk["distance_m"] > max_distance_m)].reset_index(drop=True)
    elif max_distance_m is not None:
        raise ConfigError(f"option 'max_distance_m' needs link distances, but {label} has probabilities only; drop the option.")
    if has_p:
        p = pd.to_numeric(lk["probability"], errors="coerce").to_numpy(dtype=float)
        _reject_first(~((p >= 0) & (p <= 1)), label, lk, "probability", "probability", "probabilities must lie in [0, 1].")
        lk["probability"] = p
    else:
        if k is None:
            raise ConfigError(
                f"{label} gives distances only; set 'median_dispersal_m' (p = 0.5 at that distance) or 'k' "
                "so that p = exp(-k d) can be computed."
            )
        if not (math.isfinite(k) and k > 0):
            raise ConfigError(f"option 'k' is {k!r}; give a positive decay constant per metre.")
        lk["probability"] = link_probability(lk["distance_m"].to_numpy(), k)
    if "borders" not in lk.columns:
        lk["borders"] = [[] for _ in range(len(lk))]
    else:
        lk["borders"] = [decode_list(b) for b in lk["borders"]]
    perm = dict(permeability or {})
    for bid, f in perm.items():
        if not (isinstance(f, (int, float)) and 0 <= f <= 1):
            raise ConfigError(f"option 'permeability', border {bid!r}: factor {f!r}; give a number in [0, 1] (1 = open, 0 = closed).")
    lk["permeability"] = [float(np.prod([perm.get(b, 1.0) for b in bs])) if bs else 1.0 for bs in lk["borders"]]
    lk["probability"] = lk["probability"] * lk["permeability"]
    # A pair listed twice (both directions, or by two sources) keeps its best link:
    # the maximum-product path would use that one anyway, so PC is unchanged.
    a = np.where(lk["i"] < lk["j"], lk["i"], lk["j"])
    b = np.where(lk["i"] < lk["j"], lk["j"], lk["i"])
    lk["i"], lk["j"] = a, b
    lk = lk.sort_values("probability", ascending=False, kind="stable").drop_duplicates(["i", "j"], keep="first")
    order = {nid: k for k, nid in enumerate(node_ids)}
    lk = lk.assign(_a=lk["i"].map(order), _b=lk["j"].map(order)).sort_values(["_a", "_b"]).drop(columns=["_a", "_b"])
    if "source" not in lk.columns:
        lk["source"] = label
    cols = [c for c in LINK_COLUMNS if c in lk.columns] + [c for c in lk.columns if c not in LINK_COLUMNS]
    return lk[cols].reset_index(drop=True)


def build_graph(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    *,
    capacity: str = "capacity",
    id_field: str | None = "id",
    median_dispersal_m: float | None = None,
    k: float | None = None,
    max_distance_m: float | None = None,
    permeability: Mapping[str, float] | None = None,
    landscape_area: float | None = None,
    name: str = "",
    label: str = "links table",
    node_label: str = "nodes table",
) -> HabitatGraph:
    """Build and check a habitat-connectivity graph from a node table and a link table.

    Parameters
    ----------
    nodes : DataFrame or GeoDataFrame
        One row per habitat patch or site.
    links : DataFrame
        Columns ``i``, ``j`` (node ids) and ``distance_m`` and/or
        ``probability``; optional ``borders`` (list of border ids, or
        ``;``-joined text), ``source`` and ``geometry``. Given a
        probability, it is used as is; otherwise ``p = exp(-k d)``.
    capacity : str, default 'capacity'
        Node column holding the capacity (area, quality-weighted area,
        carrying capacity, head count...).
    id_field : str or None, default 'id'
        Node column holding the ids; ``None`` uses the index.
    median_dispersal_m : float, optional
        Sets ``k = ln 2 / median`` so that ``p = 0.5`` at this distance.
    k : float, optional
        Decay constant per metre, used when ``median_dispersal_m`` is not set.
    max_distance_m : float, optional
        Links longer than this are dropped (the cut-off).
    permeability : mapping of str to float, optional
        Per-border factors in [0, 1] (key: ``corridors.borders.border_id``)
        multiplying the probability of every link that crosses the border
        (programme measure 1.3: fences, legal barriers to transboundary
        movement). Borders not named keep factor 1.
    landscape_area : float, optional
        A_L in capacity units; default the total capacity.
    name : str
        Label of the graph.
    label, node_label : str
        How error messages name the two inputs (e.g. their file names).

    Returns
    -------
    HabitatGraph

    Raises
    ------
    DataError
        Duplicate or empty node ids, missing or negative capacities, links
        naming unknown nodes, self-links, negative distances, probabilities
        outside [0, 1].
    ConfigError
        Missing or invalid ``k`` / ``median_dispersal_m`` / cut-off /
        permeability / landscape area.
    """
    if median_dispersal_m is not None:
        if k is not None:
            raise ConfigError("options 'median_dispersal_m' and 'k' both set; give only one of them.")
        k = dispersal_k(median_dispersal_m)
    nd = _check_nodes(nodes, id_field, capacity, node_label)
    lk = _check_links(links, nd.index, k, max_distance_m, permeability, label)
    if landscape_area is not None:
        if not (math.isfinite(landscape_area) and landscape_area > 0):
            raise ConfigError(f"option 'landscape_area' is {landscape_area!r}; give a positive area in capacity units.")
        if landscape_area < nd["capacity"].sum() * (1 - 1e-12):
            raise ConfigError(
                f"option 'landscape_area' is {landscape_area:g}, less than the total node capacity "
                f"{nd['capacity'].sum():g}; give an area at least that large (PC would exceed 1)."
            )
    meta = {"k": k, "median_dispersal_m": median_dispersal_m, "max_distance_m": max_distance_m,
            "permeability": dict(permeability or {})}
    return HabitatGraph(nd, lk, landscape_area, name, meta)
