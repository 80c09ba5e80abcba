"""Per-cell sensitivity of connectivity: effective resistance, the network's EC(PC) and least-cost distance.

Every value here is a **gain from raising a cell's conductance** (``c = 1/r``),
so that a higher value marks a better place to restore:

- circuit: ``gain_ab(k) = -dR_ab/dc_k >= 0``, ``R_ab`` the effective resistance
  between focal nodes a and b. With ``v`` the voltages of 1 A from a to b,
  ``dR_ab/dw_e = -(v_i - v_j)^2`` for the branch ``e = (i, j)`` of conductance
  ``w_e`` (the adjoint: the pair's own solve is its own adjoint, no extra
  solve per cell), and the chain rule through how the circuit engine
  (:mod:`corridors.circuit.graph`, Circuitscape's conventions) builds ``w_e``
  from the two cells' conductances: ``w = (c_i + c_j) / 2 / s`` (average
  conductance, ``dw/dc_i = 1 / (2 s)``) or ``w = 2 c_i c_j / (c_i + c_j) / s``
  (average resistance, ``dw/dc_i = 2 c_j^2 / (c_i + c_j)^2 / s``), ``s = sqrt 2``
  on diagonals of the 8-neighbour graph and 1 otherwise. Branches inside a
  focal region carry no voltage difference and add nothing.
- EC(PC): ``EC = sqrt(sum_i sum_j a_i a_j p*_ij)``; ``p*_ij`` is the product of
  the link probabilities on the maximum-product path, so
  ``dEC/dp_l = sum_{(i, j) whose best path uses l} a_i a_j p*_ij / p_l / (2 EC)``
  over ordered pairs; ``p_l = f_l exp(-k d_l)`` gives ``dp_l/dd_l = -k p_l``; with
  links of effective resistance, ``d_l = scale R_l``, so the cell gain is
  ``dEC/dc_k = sum_l (-dEC/dd_l) scale gain_l(k) >= 0``.
- least-cost distance: a step between cells i and j of length ``len`` costs
  ``(r_i + r_j) / 2 len`` (scikit-image's ``MCP_Geometric``, Linkage Mapper's
  rule), so along the least-cost path ``dLCD/dr_k`` is half the length of the
  path's steps touching k (0 off the path), and ``gain(k) = -dLCD/dc_k = r_k^2 dLCD/dr_k``.
  Where several paths tie, LCD is not differentiable: the value given is the
  one-sided gain along the path the engine traces; cells on the other tied
  paths get 0 though lowering their resistance would lower LCD too.

An engine: rasters, focal grids and habitat graphs in; no programme data, no drawing.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from corridors._errors import ConfigError, DataError
from corridors.circuit.grid import GridCircuit, build_grid_circuit
from corridors.circuit.modes import GroundedComponent
from corridors.circuit.solve import DEFAULT_RTOL
from corridors.io import provenance, staged_folder, write_csv
from corridors.io.files import check_output_folder
from corridors.lcp import least_cost_path
from corridors.network.graph import HabitatGraph, dispersal_k
from corridors.raster import Raster
from corridors.restore.adjoint import EdgeStencil

#: The measures a sensitivity is taken of.
MEASURES = ("resistance", "lcd", "ec")

#: What each measure's gain is, for tables, files and provenance.
GAIN_MEANING = {
    "resistance": "-dR/dc: drop in the pair's effective resistance per unit of conductance added to the cell (>= 0; higher = better to restore)",
    "lcd": "-dLCD/dc = r^2 dLCD/dr: drop in the pair's least-cost distance (cost-weighted m) per unit of conductance added to the cell "
           "(>= 0; 0 off the least-cost path)",
    "ec": "dEC/dc: rise in the network's EC(PC) (capacity units) per unit of conductance added to the cell (>= 0)",
}



# ----------------------------------------------------------------------------- result
@dataclass
class SensitivityResult:
    """Per-cell gains of one measure, per pair and summed.

    Attributes
    ----------
    measure : str
        ``'resistance'``, ``'lcd'`` or ``'ec'`` (see :data:`GAIN_MEANING`).
    total : Raster
        The gain summed over the pairs (for ``'ec'``: the gain of EC itself),
        NaN where the cell is no data.
    by_pair : dict of (id, id) to Raster
        Each pair's gain (empty unless asked for).
    table : pandas.DataFrame
        One row per pair: ``id_a``, ``id_b``, ``value`` (the pair's R, LCD, or
        its link's ``dEC/dd`` for ``'ec'``), ``max_gain`` and the cell holding it
        (``row``, ``col``, ``x``, ``y``).
    parameters : dict
        The run's conventions, for ``provenance.json``.
    """

    measure: str
    total: Raster
    by_pair: dict[tuple[Any, Any], Raster] = field(default_factory=dict, repr=False)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, str]:
        """The file names :meth:`write` gives: key -> name."""
        names = {"total": f"sensitivity_{self.measure}.tif", "csv": f"sensitivity_{self.measure}.csv"}
        for a, b in self.by_pair:
            names[f"pair {a}-{b}"] = f"sensitivity_{self.measure}_{_safe(a)}_{_safe(b)}.tif"
        return names

    def write(self, outdir: str | os.PathLike, *, inputs: Mapping[str, str | os.PathLike] | None = None,
              parameters: Mapping[str, Any] | None = None, command: str = "corridors.restore.sensitivity") -> list[Path]:
        """Write the GeoTIFFs, the table and ``provenance.json`` into a folder, all or none (:func:`write_results`)."""
        return write_results([self], outdir, inputs=inputs, parameters=parameters, command=command)


def _safe(x: Any) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(x)).strip("-") or "x"


def write_results(results: Sequence[SensitivityResult], outdir: str | os.PathLike, *,
                  inputs: Mapping[str, str | os.PathLike] | None = None, parameters: Mapping[str, Any] | None = None,
                  command: str = "corridors.restore.sensitivity", extra_tables: Mapping[str, pd.DataFrame] | None = None,
                  figure: Callable[[Path], Sequence[Path]] | None = None) -> list[Path]:
    """Write several measures' results into one folder, all or none.

    Each result gives ``sensitivity_<measure>.tif`` (float32, nodata -9999, in
    the raster's CRS), ``sensitivity_<measure>.csv`` and one
    ``sensitivity_<measure>_<a>_<b>.tif`` per pair kept; the folder gets one
    ``provenance.json`` saying what each gain means.

    Parameters
    ----------
    results : sequence of SensitivityResult
    outdir : path-like
        Created if missing; refused if it holds files corridors did not write.
    inputs, parameters, command
        For ``provenance.json``.
    extra_tables : mapping of str to DataFrame, optional
        More CSV files (name -> table), e.g. the EC link derivatives.
    figure : callable, optional
        Given the temporary folder, draws a map into it and returns its
        files (so the map is written with the rest, or not at all).

    Returns
    -------
    list of pathlib.Path
    """
    out = Path(outdir)
    check_output_folder(out)
    written: list[str] = []
    with staged_folder(out, name="sensitivity") as tmp:
        for res in results:
            names = res.files
            res.total.write(tmp / names["total"], dtype="float32")
            write_csv(res.table, tmp / names["csv"])
            written += [names["total"], names["csv"]]
            for (a, b), r in res.by_pair.items():
                r.write(tmp / names[f"pair {a}-{b}"], dtype="float32")
                written.append(names[f"pair {a}-{b}"])
        for name, df in (extra_tables or {}).items():
            write_csv(df, tmp / name)
            written.append(name)
        if figure is not None:
            written += [Path(f).name for f in figure(tmp)]
        params = dict(parameters or {})
        params["measures"] = {r.measure: {"gain": GAIN_MEANING[r.measure], **r.parameters} for r in results}
        provenance.write(provenance.record(inputs, params, command=command), tmp / "provenance.json")
        written.append("provenance.json")
    return [out / n for n in written]


def _pair_row(a: Any, b: Any, value: float, gain: np.ndarray | None, template: Raster) -> dict[str, Any]:
    row = {"id_a": a, "id_b": b, "value": value, "max_gain": np.nan, "row": -1, "col": -1, "x": np.nan, "y": np.nan}
    if gain is not None and gain.size and np.nanmax(gain) > 0:
        k = int(np.nanargmax(gain))
        r, c = divmod(k, gain.shape[1])
        x, y = template.xy(r, c)
        row.update(max_gain=float(gain.flat[k]), row=r, col=c, x=float(x), y=float(y))
    return row


def _as_raster(template: Raster, gain: np.ndarray, name: str) -> Raster:
    arr = np.where(template.valid, gain, np.nan)
    return Raster(arr, template.transform, template.crs, -9999.0, name)


# ----------------------------------------------------------------------------- circuit
@dataclass
class _Circuit:
    """A grid circuit solved once per focal node, voltages kept, ready for every pair's adjoint."""

    grid: GridCircuit
    stencil: EdgeStencil
    components: dict[int, GroundedComponent]
    local: np.ndarray  # node -> index in its component
    pairs: list[tuple[int, int]]  # (row a, row b) into grid.focal_ids, same component
    resistance: dict[tuple[int, int], float]

    def cell_voltage(self, a: int, b: int) -> np.ndarray:
        """Cell voltages of 1 A between rows a and b (0 off the pair's component)."""
        g = self.grid
        na, nb = int(g.focal_nodes[a]), int(g.focal_nodes[b])
        comp = self.components[int(g.graph.components[na])]
        v = np.zeros(g.graph.n_nodes)
        v[comp.nodes_c] = comp.voltages(int(self.local[na]), int(self.local[nb]))
        return g.graph.cell_values(v, fill=0.0)


def _check_focal(resistance: Raster, focal: np.ndarray | Raster) -> np.ndarray:
    if isinstance(focal, Raster):
        resistance.check_aligned(focal)
        focal = np.where(focal.valid, np.nan_to_num(focal.array.astype("float64")), 0).astype(np.int64)
    f = np.asarray(focal)
    if f.shape != resistance.shape:
        raise DataError(f"focal id grid shape {f.shape} differs from {resistance.label} {resistance.shape}; "
                        "burn the focal points on the resistance grid (corridors.circuit.focal_grid_from_points).")
    if not np.issubdtype(f.dtype, np.integer):
        if np.any(f[np.isfinite(f)] % 1):
            raise DataError("focal id grid: ids must be whole numbers > 0 (0 = no focal node).")
        f = np.nan_to_num(f).astype(np.int64)
    ids = np.unique(f[f > 0])
    if len(ids) < 2:
        raise DataError(f"focal id grid on {resistance.label}: {len(ids)} focal id(s) found; a sensitivity needs at least two "
                        "(cells sharing an id > 0 form one focal region).")
    return f.astype(np.int64)


def _pair_mask(ids: np.ndarray, pairs: Sequence[tuple[Any, Any]] | None) -> set[tuple[int, int]] | None:
    """Rows (a, b), a < b, of the pairs asked for (None: all)."""
    if pairs is None:
        return None
    row = {int(i): k for k, i in enumerate(ids)}
    out = set()
    for p in pairs:
        try:
            x, y = (int(v) for v in p)
        except (TypeError, ValueError):
            raise ConfigError(f"pairs: {p!r} is not a pair of focal ids; give (id, id) tuples.") from None
        if x not in row or y not in row:
            missing = x if x not in row else y
            raise ConfigError(f"pairs: focal id {missing} is not in the focal grid (ids: {', '.join(map(str, ids.tolist()))}).")
        if x == y:
            raise ConfigError(f"pairs: ({x}, {y}) joins a focal id to itself; give two different ids.")
        a, b = sorted((row[x], row[y]))
        out.add((a, b))
    return out


def _solve_circuit(resistance: Raster, focal: np.ndarray | Raster, *, pairs: Sequence[tuple[Any, Any]] | None,
                   is_resistance: bool, four_neighbors: bool, avg_resistances: bool, solver: str, rtol: float,
                   memory_limit: int | None) -> _Circuit:
    f = _check_focal(resistance, focal)
    nf = len(np.unique(f[f > 0]))
    gc = build_grid_circuit(resistance, f, is_resistance=is_resistance, four_neighbors=four_neighbors,
                            avg_resistances=avg_resistances, solver=solver, n_vectors=nf, memory_limit=memory_limit)
    want = _pair_mask(gc.focal_ids, pairs)
    graph = gc.graph
    labels = graph.components
    comp_of = labels[gc.focal_nodes]
    todo = [(a, b) for a in range(nf) for b in range(a + 1, nf) if (want is None or (a, b) in want) and comp_of[a] == comp_of[b]]
    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    comps: dict[int, GroundedComponent] = {}
    for comp in sorted({int(comp_of[a]) for ab in todo for a in ab}):
        nodes_c = np.nonzero(labels == comp)[0]
        local[nodes_c] = np.arange(len(nodes_c))
        used = list(dict.fromkeys(int(gc.focal_nodes[a]) for ab in todo for a in ab if comp_of[a] == comp))
        # The circuit engine's pairwise kernel (modes.solve_pairs): grounded once, one solve per focal node, full columns kept.
        comps[comp] = GroundedComponent(graph.laplacian, nodes_c, [int(local[u]) for u in used], keep_full=True, solver=solver,
                                        rtol=rtol)
    res = {}
    for a, b in todo:
        na, nb = int(gc.focal_nodes[a]), int(gc.focal_nodes[b])
        res[(a, b)] = 0.0 if na == nb else comps[int(labels[na])].resistance(int(local[na]), int(local[nb]))
    cond = graph.cell_values(np.ones(graph.n_nodes), fill=0.0) > 0  # cells on the graph
    c = np.where(cond, _conductance(resistance, is_resistance), 0.0)
    stencil = EdgeStencil(c, four_neighbors=four_neighbors, avg_resistances=avg_resistances)
    return _Circuit(gc, stencil, comps, local, todo, res)


def _conductance(resistance: Raster, is_resistance: bool) -> np.ndarray:
    a = resistance.masked(np.nan)
    if is_resistance:
        with np.errstate(divide="ignore", invalid="ignore"):
            c = 1.0 / a
    else:
        c = a
    return np.where(np.isfinite(c) & (c > 0), c, 0.0)


def _circuit_parameters(is_resistance: bool, four_neighbors: bool, avg_resistances: bool, solver: str, rtol: float) -> dict[str, Any]:
    return {"is_resistance": is_resistance, "four_neighbors": four_neighbors, "avg_resistances": avg_resistances,
            "solver": solver, "rtol": rtol,
            "conductance": "1 / resistance of the cell" if is_resistance else "the cell value",
            "rests_on": "one unit-current solve per focal node (Circuitscape pairwise); the adjoint -dR/dw_e = (v_i - v_j)^2 "
                        "and the chain rule through the branch conductance"}


def resistance_sensitivity(
    resistance: Raster,
    focal: np.ndarray | Raster,
    *,
    pairs: Sequence[tuple[Any, Any]] | None = None,
    is_resistance: bool = True,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    per_pair: bool = True,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
) -> SensitivityResult:
    """Gain in effective resistance per cell: ``-dR_ab/dc_k >= 0`` for every pair, and summed over the pairs.

    One grounded solve per focal node (the circuit engine's pairwise kernel,
    :class:`corridors.circuit.modes.GroundedComponent`) gives every pair's
    voltages; each pair's gain is ``sum_e (v_i - v_j)^2 dw_e/dc_k`` over the
    branches of cell k (see the module docstring): no solve per cell.
    Higher = a better place to raise conductance (restore).

    Parameters
    ----------
    resistance : Raster
        Cell resistances (or conductances with ``is_resistance=False``); no data is no node.
    focal : numpy.ndarray or Raster
        Grid of focal ids (> 0; cells sharing an id form one focal region).
    pairs : sequence of (id, id), optional
        The pairs to take; default every pair in one component.
    is_resistance, four_neighbors, avg_resistances
        Circuitscape's conventions (:func:`corridors.circuit.grid_graph`); the gain is
        with respect to the conductance ``1/r`` of each cell (or the given conductance).
    per_pair : bool, default True
        Keep each pair's gain raster in ``by_pair``.
    solver, rtol, memory_limit
        As in :func:`corridors.circuit.pairwise_raster`.

    Returns
    -------
    SensitivityResult
        ``table.value`` is the pair's effective resistance.

    Raises
    ------
    DataError
        Fewer than two focal ids, a focal id on no data, grids of different shapes.
    ConfigError
        A pair naming an id not in the grid.
    """
    circ = _solve_circuit(resistance, focal, pairs=pairs, is_resistance=is_resistance, four_neighbors=four_neighbors,
                          avg_resistances=avg_resistances, solver=solver, rtol=rtol, memory_limit=memory_limit)
    ids = circ.grid.focal_ids
    total = np.zeros(resistance.shape)
    rows, by_pair = [], {}
    for a, b in circ.pairs:
        g = circ.stencil.gain(circ.cell_voltage(a, b))
        total += g
        ia, ib = int(ids[a]), int(ids[b])
        rows.append(_pair_row(ia, ib, circ.resistance[(a, b)], g, resistance))
        if per_pair:
            by_pair[(ia, ib)] = _as_raster(resistance, g, f"-dR/dc {ia}-{ib}")
    table = pd.DataFrame(rows, columns=["id_a", "id_b", "value", "max_gain", "row", "col", "x", "y"])
    params = {**_circuit_parameters(is_resistance, four_neighbors, avg_resistances, solver, rtol),
              "value": "effective resistance of the pair (cell-resistance units)", "pairs": len(circ.pairs)}
    return SensitivityResult("resistance", _as_raster(resistance, total, "-dR/dc summed over pairs"), by_pair, table, params)


# ----------------------------------------------------------------------------- EC(PC)
def ec_link_sensitivity(graph: HabitatGraph, k: float | None = None) -> pd.DataFrame:
    """Derivative of the network's EC(PC) with respect to each link's probability (and distance).

    ``EC = sqrt(sum_i sum_j a_i a_j p*_ij)`` over ordered pairs, i = j included
    (Conefor's convention, :func:`corridors.network.metrics.equivalent_connected_area`).
    ``p*_ij`` is the product of the probabilities on the maximum-product path,
    so ``dEC/dp_l = sum a_i a_j p*_ij / p_l / (2 EC)`` over the ordered pairs
    whose best path (scipy's Dijkstra on ``-ln p``, the predecessors
    :mod:`corridors.network.metrics` uses too) runs through l. Where two
    paths tie, EC is not differentiable: the pairs are charged to the path
    Dijkstra keeps. A link on no best path gets 0.

    Parameters
    ----------
    graph : HabitatGraph
    k : float, optional
        The decay constant of ``p = exp(-k d)`` (per metre); gives ``dEC_dd = -k p dEC/dp``.

    Returns
    -------
    pandas.DataFrame
        One row per link: ``i``, ``j``, ``probability``, ``pairs`` (ordered pairs
        whose best path uses it), ``dEC_dp`` and, with ``k``, ``dEC_dd`` (per metre, <= 0).
    """
    u, v, p = graph.edge_arrays()
    a = graph.capacity
    n = graph.n
    out = pd.DataFrame({"i": graph.links["i"].astype(str).to_numpy(), "j": graph.links["j"].astype(str).to_numpy(), "probability": p})
    dp = np.zeros(len(p))
    used = np.zeros(len(p), dtype=np.int64)
    ec = 0.0
    if n and len(p):
        keep = p > 0
        best: dict[tuple[int, int], int] = {}
        for idx in np.nonzero(keep)[0]:  # parallel links: the stronger one carries the pairs
            key = (min(u[idx], v[idx]), max(u[idx], v[idx]))
            if key not in best or p[idx] > p[best[key]]:
                best[key] = int(idx)
        ks = np.array(list(best.values()), dtype=np.int64)
        w = np.maximum(-np.log(p[ks]), 0.0)
        # explicit zeros (p = 1) stay in the CSR arrays: scipy.sparse.csgraph reads them as zero-cost edges
        m = sp.csr_array((np.r_[w, w], (np.r_[u[ks], v[ks]], np.r_[v[ks], u[ks]])), shape=(n, n))
        d, pred = dijkstra(m, directed=True, return_predecessors=True)
        pstar = np.exp(-d)
        ec = math.sqrt(float(a @ pstar @ a))
        link_of = {key: idx for key, idx in best.items()}
        for i in range(n):
            # Subtree sums of a_t p*_it in the shortest-path tree of source i, children before parents: the
            # reverse of a breadth-first order of the tree (distances alone do not order it when p = 1 links tie).
            reach = np.isfinite(d[i])
            acc = np.where(reach, a * pstar[i], 0.0)
            cnt = reach.astype(np.int64)
            children: dict[int, list[int]] = {}
            for t in np.nonzero(reach)[0]:
                if t != i and pred[i, t] >= 0:
                    children.setdefault(int(pred[i, t]), []).append(int(t))
            order, head = [i], 0
            while head < len(order):
                order.extend(children.get(order[head], ()))
                head += 1
            for t in reversed(order[1:]):
                s = int(pred[i, t])
                idx = link_of[(min(s, t), max(s, t))]
                dp[idx] += a[i] * acc[t] / p[idx]
                used[idx] += cnt[t]
                acc[s] += acc[t]
                cnt[s] += cnt[t]
        dp = dp / (2.0 * ec) if ec > 0 else dp
    out["pairs"] = used
    out["dEC_dp"] = dp
    if k is not None:
        out["dEC_dd"] = -float(k) * p * dp
    out.attrs["EC"] = ec
    return out


def ec_sensitivity(
    resistance: Raster,
    focal: np.ndarray | Raster,
    capacity: Mapping[int, float],
    *,
    median_dispersal_m: float,
    scale_m: float | None = None,
    landscape_area: float | None = None,
    is_resistance: bool = True,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    per_pair: bool = False,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
) -> SensitivityResult:
    """Gain in the network's EC(PC) per cell, through effective-resistance links: ``dEC/dc_k >= 0``.

    Nodes are the focal ids with their capacities; every pair in one
    component is a link of distance ``d = scale_m R_ab`` (as
    :class:`corridors.network.EffectiveResistance` builds it) and probability
    ``exp(-k d)``, ``k = ln 2 / median_dispersal_m``. Then
    ``dEC/dc_k = sum_l (-dEC/dd_l) scale_m (-dR_l/dc_k)`` (:func:`ec_link_sensitivity`,
    :func:`resistance_sensitivity`), from the same solves.

    Parameters
    ----------
    resistance, focal
        As in :func:`resistance_sensitivity`.
    capacity : mapping of int to float
        Capacity of each focal id (area, habitat, head count).
    median_dispersal_m : float
        Distance at which p = 0.5.
    scale_m : float, optional
        Metres per unit of effective resistance; default the cell size.
    landscape_area : float, optional
        A_L (does not change EC).
    per_pair : bool, default False
        Keep each link's weighted share of the gain in ``by_pair``.
    Others
        As in :func:`resistance_sensitivity`.

    Returns
    -------
    SensitivityResult
        ``table`` holds each link's R, d, p, ``dEC_dd`` and ``max_gain`` of its share;
        ``parameters['EC']`` the network's EC.
    """
    k = dispersal_k(median_dispersal_m)
    scale = float(scale_m) if scale_m is not None else float(max(resistance.res))
    if not (scale > 0 and math.isfinite(scale)):
        raise ConfigError(f"scale_m is {scale_m!r}; give the metres per unit of effective resistance (> 0).")
    circ = _solve_circuit(resistance, focal, pairs=None, is_resistance=is_resistance, four_neighbors=four_neighbors,
                          avg_resistances=avg_resistances, solver=solver, rtol=rtol, memory_limit=memory_limit)
    ids = [int(i) for i in circ.grid.focal_ids]
    missing = [i for i in ids if i not in capacity]
    if missing:
        raise ConfigError(f"capacity: no capacity for focal id(s) {', '.join(map(str, missing))}; give one per focal id.")
    cap = np.array([float(capacity[i]) for i in ids])
    if np.any(~np.isfinite(cap)) or np.any(cap < 0):
        raise DataError("capacity: capacities must be finite and >= 0.")
    nodes = pd.DataFrame({"capacity": cap}, index=[str(i) for i in ids])
    ab = circ.pairs
    dist = np.array([circ.resistance[x] * scale for x in ab])
    links = pd.DataFrame({"i": [str(ids[a]) for a, _ in ab], "j": [str(ids[b]) for _, b in ab], "distance_m": dist,
                          "probability": np.exp(-k * dist)})
    hg = HabitatGraph(nodes, links, landscape_area=landscape_area, name="effective-resistance network")
    lk = ec_link_sensitivity(hg, k)
    total = np.zeros(resistance.shape)
    rows, by_pair = [], {}
    for n_l, (a, b) in enumerate(ab):
        wgt = -float(lk["dEC_dd"].iloc[n_l]) * scale  # dEC/dR_l, <= 0, negated
        g = None
        if wgt > 0:
            g = circ.stencil.gain(circ.cell_voltage(a, b), weight=wgt)
            total += g
        row = _pair_row(ids[a], ids[b], float(lk["dEC_dd"].iloc[n_l]), g, resistance)
        row.update(effective_resistance=circ.resistance[(a, b)], distance_m=dist[n_l], probability=float(links["probability"].iloc[n_l]),
                   pairs=int(lk["pairs"].iloc[n_l]))
        rows.append(row)
        if per_pair:
            by_pair[(ids[a], ids[b])] = _as_raster(resistance, g if g is not None else np.zeros(resistance.shape),
                                                   f"dEC/dc via {ids[a]}-{ids[b]}")
    table = pd.DataFrame(rows, columns=["id_a", "id_b", "value", "effective_resistance", "distance_m", "probability", "pairs",
                                        "max_gain", "row", "col", "x", "y"])
    params = {**_circuit_parameters(is_resistance, four_neighbors, avg_resistances, solver, rtol),
              "value": "dEC/dd of the link (capacity units per metre, <= 0)", "EC": lk.attrs["EC"],
              "median_dispersal_m": median_dispersal_m, "k_per_m": k, "scale_m": scale,
              "links": "d = scale_m x effective resistance, p = exp(-k d), every pair of focal ids in one component",
              "ties": "pairs whose maximum-product paths tie are charged to the path Dijkstra keeps"}
    return SensitivityResult("ec", _as_raster(resistance, total, "dEC/dc"), by_pair, table, params)


# ----------------------------------------------------------------------------- least-cost distance
def path_gain(resistance: Raster, path_rc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dLCD/dr`` and ``-dLCD/dc`` per cell along one least-cost path.

    Each step between cells i and j of length ``len`` (metres; diagonals
    ``hypot`` of the cell sizes) costs ``(r_i + r_j) / 2 len``, so each cell
    of the path gets half the length of each of its steps.

    Parameters
    ----------
    resistance : Raster
    path_rc : numpy.ndarray
        (row, col) of the path's cells in order, shape (m, 2).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``dLCD/dr`` (metres) and ``-dLCD/dc = r^2 dLCD/dr``, 0 off the path.
    """
    rc = np.asarray(path_rc, dtype=np.int64).reshape(-1, 2)
    d_r = np.zeros(resistance.shape)
    if len(rc) >= 2:
        sx, sy = resistance.res
        step = np.hypot(np.diff(rc[:, 0]) * sy, np.diff(rc[:, 1]) * sx)
        np.add.at(d_r, (rc[:-1, 0], rc[:-1, 1]), step / 2.0)
        np.add.at(d_r, (rc[1:, 0], rc[1:, 1]), step / 2.0)
    r = resistance.masked(np.nan)
    return d_r, np.where(d_r > 0, r * r * d_r, 0.0)


def lcd_sensitivity(
    resistance: Raster,
    focal: np.ndarray | Raster,
    *,
    pairs: Sequence[tuple[Any, Any]] | None = None,
    fully_connected: bool = True,
    per_pair: bool = True,
    memory_limit: int | None = None,
) -> SensitivityResult:
    """Gain in least-cost distance per cell: ``-dLCD_ab/dc_k = r_k^2 dLCD_ab/dr_k >= 0``, on the least-cost path.

    Each pair's least-cost path (:func:`corridors.lcp.least_cost_path`, the
    focal regions as source and target) is traced and every cell on it gets
    half the length of its steps (:func:`path_gain`); cells off the path get
    0. Where paths tie the gain is one-sided, along the traced path only.

    Parameters
    ----------
    resistance : Raster
        Cost per metre of each cell (> 0).
    focal : numpy.ndarray or Raster
        Grid of focal ids (> 0), as in :func:`resistance_sensitivity`.
    pairs : sequence of (id, id), optional
        Default every pair joined by a path.
    fully_connected : bool, default True
        8-neighbour moves.
    per_pair : bool, default True
        Keep each pair's gain raster.
    memory_limit : int, optional
        Bytes a cost-distance run may use.

    Returns
    -------
    SensitivityResult
        ``table.value`` is the least-cost distance (cost-weighted m); the table
        also holds ``path_cells``.
    """
    f = _check_focal(resistance, focal)
    ids = np.unique(f[f > 0])
    want = _pair_mask(ids, pairs)
    valid = resistance.valid
    total = np.zeros(resistance.shape)
    rows, by_pair = [], {}
    masks = {}
    for i in ids:
        m = (f == i) & valid
        if not m.any():
            raise DataError(f"{resistance.label}: focal id {int(i)} lies only on no-data cells; move it onto passable cells.")
        masks[int(i)] = m
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            if want is not None and (a, b) not in want:
                continue
            ia, ib = int(ids[a]), int(ids[b])
            try:
                line, cost, _ = least_cost_path(resistance, masks[ia], masks[ib], fully_connected=fully_connected,
                                                memory_limit=memory_limit)
            except DataError:
                continue  # not joined: no least-cost distance, no derivative
            xy = np.asarray(line.coords)
            rr, cc = resistance.rowcol(xy[:, 0], xy[:, 1])
            rc = np.column_stack([rr, cc])
            if len(rc) > 1:
                keep = np.r_[True, np.any(np.diff(rc, axis=0) != 0, axis=1)]
                rc = rc[keep]
            _, g = path_gain(resistance, rc)
            total += g
            row = _pair_row(ia, ib, float(cost), g, resistance)
            row["path_cells"] = int(len(rc))
            rows.append(row)
            if per_pair:
                by_pair[(ia, ib)] = _as_raster(resistance, g, f"-dLCD/dc {ia}-{ib}")
    table = pd.DataFrame(rows, columns=["id_a", "id_b", "value", "path_cells", "max_gain", "row", "col", "x", "y"])
    params = {"fully_connected": fully_connected, "value": "least-cost distance of the pair (cost-weighted m)",
              "rests_on": "one cost-distance run and traced path per pair; step cost (r_i + r_j) / 2 x length",
              "ties": "on tied least-cost paths the gain is one-sided, along the traced path only",
              "pairs": len(rows)}
    return SensitivityResult("lcd", _as_raster(resistance, total, "-dLCD/dc summed over pairs"), by_pair, table, params)


__all__ = [
    "GAIN_MEANING",
    "MEASURES",
    "SensitivityResult",
    "ec_link_sensitivity",
    "ec_sensitivity",
    "lcd_sensitivity",
    "path_gain",
    "resistance_sensitivity",
    "write_results",
]
