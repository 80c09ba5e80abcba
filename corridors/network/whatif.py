"""What-if gains: PC and EC when a candidate site, corridor or link is added, or a border is fenced, ranked.

Adding things never needs the whole graph again. With the baseline p*
matrix P (n x n):

- a new link u-v of probability q: ``P' = max(P, q P[:, u] P[v, :], q P[:, v] P[u, :])``
  (a best path uses the new link at most once);
- a new node c with links q_m to nodes m: ``p*_cj = max_m q_m P[m, j]`` and
  ``P'_ij = max(P_ij, p*_ic p*_cj)`` (a best path visits c at most once).

Each step is O(n^2) numpy; a candidate made of several new nodes and links
is applied one step at a time, each exact given the previous one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from corridors._errors import ConfigError, DataError
from corridors.network.graph import HabitatGraph
from corridors.network.metrics import _baseline, _limit, _pc_baseline


@dataclass
class Candidate:
    """One what-if addition: new nodes (with capacity) and new or better links.

    Attributes
    ----------
    id : str
        Key of the candidate (a site id, a corridor key such as '2.1a').
    nodes : pandas.DataFrame
        New nodes: index = node id, column ``capacity`` (0 for a stepping
        stone such as a corridor end). May be empty.
    links : pandas.DataFrame
        Columns ``i``, ``j``, ``probability``: links among new and existing
        nodes. A link between two existing nodes replaces theirs if better
        (a corridor that shortens the effective distance).
    kind : str
        ``'site'``, ``'corridor'`` or ``'link'``.
    name : str
    measures : list of str
        The programme measures behind it.
    meta : dict
        Anything to carry into the ranking table (e.g. ``reading``).
    """

    id: str
    nodes: pd.DataFrame
    links: pd.DataFrame
    kind: str = "site"
    name: str = ""
    measures: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _add_link(pm: np.ndarray, u: int, v: int, q: float) -> np.ndarray:
    if q <= 0:
        return pm
    via_uv = q * np.outer(pm[:, u], pm[v, :])
    return np.maximum(pm, np.maximum(via_uv, via_uv.T))


def _add_node(pm: np.ndarray, nbrs: np.ndarray, q: np.ndarray) -> np.ndarray:
    n = pm.shape[0]
    out = np.zeros((n + 1, n + 1))
    if len(nbrs):
        pc_row = np.max(q[:, None] * pm[nbrs, :], axis=0)
    else:
        pc_row = np.zeros(n)
    out[:n, :n] = np.maximum(pm, np.outer(pc_row, pc_row))
    out[n, :n] = pc_row
    out[:n, n] = pc_row
    out[n, n] = 1.0
    return out


def apply_candidate(
    pm: np.ndarray, capacity: np.ndarray, ids: Sequence[str], cand: Candidate
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The p* matrix, capacities and ids once a candidate is added.

    Parameters
    ----------
    pm : numpy.ndarray
        Baseline p* (n x n), e.g. from :func:`corridors.network.probability_matrix`.
    capacity : numpy.ndarray
        Node capacities (n).
    ids : sequence of str
        Node ids (n).
    cand : Candidate

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, list of str)
        New p*, capacities and ids (new nodes appended).

    Raises
    ------
    DataError
        A link naming a node that is neither in the graph nor among the
        candidate's nodes, a new node that already exists, a probability
        outside [0, 1] or a negative capacity.
    """
    ids = list(ids)
    pos = {nid: k for k, nid in enumerate(ids)}
    links = cand.links.copy()
    if len(links):
        links["i"] = links["i"].astype(str)
        links["j"] = links["j"].astype(str)
        p = pd.to_numeric(links["probability"], errors="coerce").to_numpy(dtype=float)
        if not np.all((p >= 0) & (p <= 1)):
            raise DataError(f"candidate {cand.id!r}, field 'probability': every link probability must lie in [0, 1].")
        links["probability"] = p
    new_ids = [str(x) for x in cand.nodes.index]
    for nid in new_ids:
        if nid in pos:
            raise DataError(f"candidate {cand.id!r}, node {nid!r}: already in the graph; give new nodes new ids.")
    known = set(ids) | set(new_ids)
    for col in ("i", "j"):
        bad = links[~links[col].isin(known)] if len(links) else links
        if len(bad):
            raise DataError(
                f"candidate {cand.id!r}, link {bad['i'].iloc[0]!r}-{bad['j'].iloc[0]!r}, field {col!r}: node "
                f"{bad[col].iloc[0]!r} is neither in the graph nor among the candidate's nodes; fix the id."
            )
    cap = np.asarray(capacity, dtype=float)
    done = np.zeros(len(links), dtype=bool)
    for nid in new_ids:
        a = float(cand.nodes.loc[nid, "capacity"])
        if not (math.isfinite(a) and a >= 0):
            raise DataError(f"candidate {cand.id!r}, node {nid!r}, field 'capacity': {a!r}; give a number >= 0.")
        # links of this node to nodes already placed
        mine = ((links["i"] == nid) & links["j"].isin(pos)) | ((links["j"] == nid) & links["i"].isin(pos)) if len(links) else np.zeros(0, bool)
        mine = np.asarray(mine) & ~done
        other = np.where(links["i"].to_numpy()[mine] == nid, links["j"].to_numpy()[mine], links["i"].to_numpy()[mine]) if mine.any() else []
        nbrs = np.array([pos[o] for o in other], dtype=np.int64)
        q = links["probability"].to_numpy()[mine] if mine.any() else np.zeros(0)
        pm = _add_node(pm, nbrs, q)
        done |= mine
        pos[nid] = len(ids)
        ids.append(nid)
        cap = np.append(cap, a)
    for r in np.flatnonzero(~done):
        pm = _add_link(pm, pos[links["i"].iloc[r]], pos[links["j"].iloc[r]], float(links["probability"].iloc[r]))
    return pm, cap, ids


def rank_candidates(
    g: HabitatGraph, candidates: Iterable[Candidate], p_min: float = 0.0
) -> pd.DataFrame:
    """Gain in PC and EC from each candidate alone, ranked by EC gain.

    Parameters
    ----------
    g : HabitatGraph
        The baseline graph.
    candidates : iterable of Candidate
    p_min : float, default 0
        As in :func:`corridors.network.probability_matrix`.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, index ``id``, sorted by ``dEC`` (largest
        first): ``rank``, ``kind``, ``name``, ``measures``,
        ``capacity_added``, ``EC_before``, ``EC_after``, ``dEC`` (capacity
        units), ``dEC_pct``, ``PC_before``, ``PC_after``, ``dPC_pct``
        (percent of the baseline PC; A_L kept), ``dPCnum_intra`` (the new
        nodes' own a^2: what the site adds even if isolated) and
        ``dPCnum_links`` (the rest: what its connections add).
    """
    b = _pc_baseline(g, p_min)
    al2 = g.area_l**2
    ec0 = math.sqrt(b.num)
    rows = []
    for c in candidates:
        pm, cap, _ = apply_candidate(b.val, g.capacity, g.ids, c)
        num = float(cap @ pm @ cap)
        intra = float(np.sum(cap[g.n:] ** 2))
        ec1 = math.sqrt(num)
        rows.append({
            "id": c.id, "kind": c.kind, "name": c.name, "measures": list(c.measures),
            "capacity_added": float(np.sum(cap[g.n:])),
            "EC_before": ec0, "EC_after": ec1, "dEC": ec1 - ec0,
            "dEC_pct": 100.0 * (ec1 - ec0) / ec0 if ec0 > 0 else float("nan"),
            "PC_before": b.num / al2 if al2 > 0 else float("nan"),
            "PC_after": num / al2 if al2 > 0 else float("nan"),
            "dPC_pct": 100.0 * (num - b.num) / b.num if b.num > 0 else float("nan"),
            "dPCnum_intra": intra, "dPCnum_links": num - b.num - intra, **c.meta,
        })
    cols = ["id", "kind", "name", "measures", "capacity_added", "EC_before", "EC_after", "dEC", "dEC_pct",
            "PC_before", "PC_after", "dPC_pct", "dPCnum_intra", "dPCnum_links"]
    out = pd.DataFrame(rows, columns=cols + sorted({k for r in rows for k in r} - set(cols)))
    out = out.sort_values("dEC", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    return out.set_index("id")


def border_losses(
    g: HabitatGraph, factor: float = 0.0, borders: Iterable[str] | None = None, p_min: float = 0.0
) -> pd.DataFrame:
    """Loss of PC and EC when the links across one border get their probability multiplied by ``factor`` (a fence).

    Parameters
    ----------
    g : HabitatGraph
        Links must carry ``borders`` (the link sources fill it).
    factor : float, default 0
        New permeability multiplier of the border, in [0, 1]: 0 closes it,
        0.5 halves every crossing probability.
    borders : iterable of str, optional
        Border ids to test (default: every border some link crosses).
    p_min : float, default 0

    Returns
    -------
    pandas.DataFrame
        Index ``border_id``: ``n_links`` crossing it, ``EC_before``,
        ``EC_after``, ``dEC``, ``dEC_pct``, ``dPC_pct`` (losses are negative),
        ranked from the largest loss.
    """
    if not (isinstance(factor, (int, float)) and 0 <= factor <= 1):
        raise ConfigError(f"option 'factor' is {factor!r}; give a permeability multiplier in [0, 1].")
    u, v, p = g.edge_arrays()
    lim = _limit(p_min)
    base = _baseline(g.capacity, u, v, p, False, lim).num
    crossed = [list(b) for b in g.links.get("borders", pd.Series([[]] * len(g.links)))]
    ids = sorted({b for bs in crossed for b in bs}) if borders is None else list(borders)
    rows = []
    for bid in ids:
        hit = np.array([bid in bs for bs in crossed], dtype=bool)
        p2 = np.where(hit, p * factor, p)
        num = _baseline(g.capacity, u, v, p2, False, lim).num
        ec0, ec1 = math.sqrt(base), math.sqrt(num)
        rows.append({"border_id": bid, "n_links": int(hit.sum()), "EC_before": ec0, "EC_after": ec1, "dEC": ec1 - ec0,
                     "dEC_pct": 100 * (ec1 - ec0) / ec0 if ec0 > 0 else float("nan"),
                     "dPC_pct": 100 * (num - base) / base if base > 0 else float("nan")})
    out = pd.DataFrame(rows, columns=["border_id", "n_links", "EC_before", "EC_after", "dEC", "dEC_pct", "dPC_pct"])
    return out.sort_values("dEC", kind="stable").set_index("border_id")


def link_candidate(key: str, a: str, b: str, probability: float, name: str = "", measures: Sequence[str] = (), **meta) -> Candidate:
    """A candidate that adds (or improves) one link between two existing nodes.

    Parameters
    ----------
    key : str
    a, b : str
        Node ids.
    probability : float
        The link's probability once the corridor exists.
    name : str
    measures : sequence of str
    **meta
        Extra columns for the ranking table.

    Returns
    -------
    Candidate
    """
    return Candidate(key, pd.DataFrame({"capacity": []}, index=pd.Index([], name="id")),
                     pd.DataFrame({"i": [a], "j": [b], "probability": [probability]}), "link", name, list(measures), dict(meta))


def node_candidate(
    key: str, capacity: float, links: Mapping[str, float], name: str = "", measures: Sequence[str] = (), **meta
) -> Candidate:
    """A candidate that adds one node (a reintroduction site, a new reserve) with its links.

    Parameters
    ----------
    key : str
        The new node's id.
    capacity : float
    links : mapping of str to float
        Existing node id -> link probability.
    name : str
    measures : sequence of str
    **meta
        Extra columns for the ranking table.

    Returns
    -------
    Candidate
    """
    nodes = pd.DataFrame({"capacity": [float(capacity)]}, index=pd.Index([key], name="id"))
    lk = pd.DataFrame({"i": [key] * len(links), "j": list(links), "probability": [float(x) for x in links.values()]})
    return Candidate(key, nodes, lk, "site", name, list(measures), dict(meta))
