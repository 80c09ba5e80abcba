"""Pinch points of least-cost corridors (Linkage Mapper's Pinchpoint Mapper) and current-flow centrality of a linkage network (Centrality Mapper).

The computation only; their maps are :mod:`corridors.plot.pinch_map`, and the
main job's pinch and centrality steps (corridors, cores, files) are
:mod:`corridors.analyses.pinch` and :mod:`corridors.analyses.centrality`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors._errors import ConfigError, DataError, where
from corridors.circuit.graph import network_graph
from corridors.circuit.grid import build_grid_circuit
from corridors.circuit.modes import pairwise
from corridors.circuit.solve import DEFAULT_RTOL
from corridors.io import provenance, staged_folder, write_csv, write_geopackage
from corridors.lcp import source_cells
from corridors.raster import Raster


@dataclass
class CorridorCurrent:
    """Current through one corridor with 1 A flowing from core A to core B.

    Attributes
    ----------
    current : Raster
        Node current (A) on the full grid; NaN outside the corridor and, by
        default, inside the two cores.
    voltage : Raster
        Voltage, core A at ``effective_resistance`` volts, core B at 0.
    effective_resistance : float
        Effective resistance between the cores through the corridor, in
        Circuitscape's units (cell resistances); -1 if the corridor does not
        join them.
    """

    current: Raster
    voltage: Raster
    effective_resistance: float


def _mask_of(corridor: np.ndarray | Raster, shape: tuple[int, int]) -> np.ndarray:
    if isinstance(corridor, Raster):
        m = corridor.valid & np.isfinite(corridor.array.astype("float64"))
    else:
        m = np.asarray(corridor)
        m = m.astype(bool) if m.dtype == bool else np.isfinite(m.astype("float64")) & (m.astype("float64") != 0)
    if m.shape != shape:
        raise DataError(f"corridor mask shape {m.shape} differs from the resistance grid {shape}; use the same grid.")
    return m


def corridor_current(
    resistance: Raster,
    corridor: np.ndarray | Raster,
    core_a: np.ndarray,
    core_b: np.ndarray,
    *,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    mask_cores: bool = True,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
) -> CorridorCurrent:
    """Run Circuitscape pairwise between two cores inside one corridor (one Pinchpoint Mapper linkage).

    As Linkage Mapper does: the resistance raster is clipped to the corridor
    (plus the two cores), the cores are focal regions (each short-circuited
    into one node), and 1 A is driven from A to B. The current map shows the
    pinch points: cells where the current crowds through a narrow passage.
    Only the bounding window of corridor and cores is solved.

    Parameters
    ----------
    resistance : Raster
        Resistance per cell (> 0; no data impassable).
    corridor : numpy.ndarray or Raster
        Boolean mask, or a raster whose finite cells are the corridor (e.g. a
        truncated normalized least-cost corridor of :mod:`corridors.lcp`).
    core_a, core_b : numpy.ndarray of bool
        The two cores' cells on the resistance grid.
    four_neighbors, avg_resistances
        Circuitscape's connection scheme (Linkage Mapper uses 8 neighbours
        and average conductance, Circuitscape's defaults).
    mask_cores : bool, default True
        Leave core cells out of the current map (they carry the full 1 A and
        would hide the corridor).
    solver, rtol
        See :func:`corridors.circuit.modes.pairwise`.
    memory_limit : int, optional
        Bytes the circuit may use (:func:`corridors.circuit.grid.build_grid_circuit`; default the memory available).

    Returns
    -------
    CorridorCurrent

    Raises
    ------
    DataError
        If the masks do not fit the grid, are empty, or the cores overlap.
    """
    shape = resistance.shape
    corr = _mask_of(corridor, shape)
    a = np.asarray(core_a, dtype=bool)
    b = np.asarray(core_b, dtype=bool)
    if a.shape != shape or b.shape != shape:
        raise DataError(f"core masks {a.shape} / {b.shape} differ from the resistance grid {shape}; rasterize them on it.")
    valid = resistance.valid
    if not (a & valid).any() or not (b & valid).any():
        raise DataError("corridor_current: a core has no cell with a resistance; check the cores lie on the resistance grid.")
    if (a & b).any():
        raise DataError("corridor_current: the two cores share cells; give disjoint cores (their resistance is 0).")
    keep = (corr | a | b) & valid
    rows, cols = np.nonzero(keep)
    r0, r1 = max(rows.min() - 1, 0), min(rows.max() + 2, shape[0])
    c0, c1 = max(cols.min() - 1, 0), min(cols.max() + 2, shape[1])
    win = (slice(r0, r1), slice(c0, c1))
    sub = np.where(keep[win], resistance.array[win].astype("float64"), np.nan)
    t = resistance.transform @ resistance.transform.translation(c0, r0)
    hab = Raster(sub, t, resistance.crs, None, resistance.label)
    focal = np.zeros(sub.shape, dtype=np.int64)
    # Circuitscape's pairwise orientation drives 1 A into the second id and holds the first at 0 V: core A is id 2.
    focal[a[win] & keep[win]] = 2
    focal[b[win] & keep[win]] = 1
    gc = build_grid_circuit(hab, focal, four_neighbors=four_neighbors, avg_resistances=avg_resistances, solver=solver, n_vectors=2,
                            memory_limit=memory_limit)
    volts: dict[str, np.ndarray] = {}

    def grab(ij, v, cur):
        volts["v"], volts["c"] = v, cur

    res = pairwise(gc.graph, gc.focal_nodes, gc.focal_ids, solver=solver, rtol=rtol, currents=True, on_pair=grab)
    cur_full = np.full(shape, np.nan)
    volt_full = np.full(shape, np.nan)
    on = gc.graph.nodemap >= 0
    if "v" in volts:
        cw = gc.graph.cell_values(volts["c"], fill=np.nan)
        vw = gc.graph.cell_values(volts["v"], fill=np.nan)
    else:
        cw = np.where(on, 0.0, np.nan)
        vw = np.where(on, 0.0, np.nan)
    if mask_cores:
        cw[(a | b)[win]] = np.nan
    cur_full[win] = cw
    volt_full[win] = vw
    return CorridorCurrent(
        current=resistance.replace(cur_full, nodata=None, name="current"),
        voltage=resistance.replace(volt_full, nodata=None, name="voltage"),
        effective_resistance=float(res.resistances[0, 1]),
    )


@dataclass
class PinchResult:
    """Pinch points of every linkage.

    Attributes
    ----------
    current : Raster
        Current of every corridor mosaicked by maximum (1 A per corridor);
        NaN outside the corridors.
    table : pandas.DataFrame
        One row per linkage: ``core_a``, ``core_b``, ``cwd_m`` (if known),
        ``eff_resist`` (Circuitscape units, -1 if the corridor does not join
        the cores), ``cwd_to_eff_resist`` (Linkage Mapper's ratio),
        ``max_current`` (A, the worst pinch) and ``corridor_cells``.
    per_linkage : dict
        (core_a, core_b) -> CorridorCurrent.
    """

    current: Raster
    table: pd.DataFrame
    per_linkage: dict[tuple[str, str], CorridorCurrent] = field(default_factory=dict, repr=False)

    def write(self, outdir: str | os.PathLike, *, table: pd.DataFrame | None = None,
              layers: Mapping[str, Any] | None = None, figure: Callable[["PinchResult", Path], Sequence[Path]] | None = None,
              inputs: Mapping[str, str | os.PathLike] | None = None, parameters: Mapping[str, Any] | None = None,
              command: str = "corridors.circuit.pinch.pinch_points") -> dict[str, Path]:
        """Write ``pinchpoints.tif``, ``pinch_linkages.csv`` (and ``pinch.gpkg``) and ``provenance.json`` into a folder, all or none.

        The files are written into a hidden folder beside the target and
        renamed into place only when all are written
        (:func:`corridors.io.staged_folder`); other files of the folder are
        left alone. This engine does not draw: ``figure`` writes the map.

        Parameters
        ----------
        outdir : path-like
            Created if missing.
        table : DataFrame, optional
            The table written as ``pinch_linkages.csv``; default :attr:`table`.
        layers : mapping of str to GeoDataFrame, optional
            Written as the layers of ``pinch.gpkg`` (e.g. the linkages and cores).
        figure : callable, optional
            ``figure(result, stem_path) -> paths`` writes the map (``pinch_map`` files).
        inputs : mapping of str to path, optional
            Input files, listed with their SHA-256 in ``provenance.json``.
        parameters : mapping, optional
            The run's parameters for ``provenance.json``.
        command : str
            What produced the folder, for ``provenance.json``.

        Returns
        -------
        dict of str to Path
            ``current``, ``csv``, ``provenance``, with layers ``gpkg`` and, with a figure, ``map_png``, ``map_svg`` (those written).
        """
        out = Path(outdir)
        names = {"current": "pinchpoints.tif", "csv": "pinch_linkages.csv", "provenance": "provenance.json"}
        with staged_folder(out, name="pinch") as tmp:
            self.current.write(tmp / names["current"], dtype="float32")
            write_csv(self.table if table is None else table, tmp / names["csv"])
            if layers:
                names["gpkg"] = "pinch.gpkg"
                write_geopackage(layers, tmp / names["gpkg"])
            if figure is not None:
                for p in figure(self, tmp / "pinch_map"):
                    names[f"map_{Path(p).suffix[1:]}"] = Path(p).name
            rec = provenance.record(inputs, dict(parameters or {}), command=command)
            provenance.write(rec, tmp / names["provenance"])
        return {k: out / v for k, v in names.items()}


def check_cutoff(cutoff_m: float) -> float:
    """``cutoff_m`` if it is a corridor width (a finite number > 0), else a one-line ConfigError naming ``--cutoff``.

    Parameters
    ----------
    cutoff_m : float
        Corridor width in cost-weighted metres.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        For 0, a negative number, NaN, infinity or a non-number: a corridor narrower than its own path holds no cell.
    """
    ok = isinstance(cutoff_m, (int, float)) and not isinstance(cutoff_m, bool) and 0 < cutoff_m < math.inf
    if not ok:
        raise ConfigError(f"{where(field='cutoff_m')} (--cutoff): {cutoff_m!r} is not a corridor width; give a positive number "
                          "of cost-weighted metres (e.g. 200000), or leave it out to use the run's truncation.")
    return float(cutoff_m)


def pinch_points(
    linkages: Any,
    *,
    cutoff_m: float | None = ...,  # type: ignore[assignment]
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    keep_per_linkage: bool = False,
) -> PinchResult:
    """Pinch points of the least-cost corridors of a linkage run (Linkage Mapper's Pinchpoint Mapper).

    For each linkage the normalized least-cost corridor is cut at
    ``cutoff_m`` (Linkage Mapper's "CWD cutoff distance"), and
    :func:`corridor_current` drives 1 A between its two cores inside it. The
    per-corridor current maps are mosaicked by maximum; the table holds each
    linkage's effective resistance and Linkage Mapper's CWD : effective
    resistance ratio.

    Parameters
    ----------
    linkages : corridors.linkages.LinkageResult
        Anything with ``resistance`` (Raster), ``cores`` (GeoDataFrame with
        ``core_id``), ``linkages`` (``core_a``, ``core_b``, optionally
        ``cwd_m``) and ``corridor(a, b, truncate_m)`` returning the
        normalized corridor Raster.
    cutoff_m : float or None, optional
        Corridor width in cost-weighted metres; default the run's truncation;
        None for the whole landscape.
    four_neighbors, avg_resistances, solver, rtol
        As in :func:`corridor_current`.
    keep_per_linkage : bool, default False
        Keep each linkage's current and voltage rasters in ``per_linkage``.

    Returns
    -------
    PinchResult

    Raises
    ------
    ConfigError
        If ``cutoff_m`` is not a positive number (a corridor narrower than its own path holds no cell).
    """
    if cutoff_m is not ... and cutoff_m is not None:
        check_cutoff(cutoff_m)
    resistance: Raster = linkages.resistance
    shape = resistance.shape
    masks: dict[str, np.ndarray] = {}
    for cid, geom in zip(linkages.cores["core_id"], linkages.cores.geometry):
        m = np.zeros(shape[0] * shape[1], dtype=bool)
        m[source_cells(resistance, geom, label=f"core {cid}")] = True
        masks[str(cid)] = m.reshape(shape)
    mosaic = np.full(shape, np.nan)
    rows = []
    per: dict[tuple[str, str], CorridorCurrent] = {}
    kwargs = {} if cutoff_m is ... else {"truncate_m": cutoff_m}
    for _, link in linkages.linkages.iterrows():
        a, b = str(link["core_a"]), str(link["core_b"])
        corr = linkages.corridor(a, b, **kwargs)
        cc = corridor_current(resistance, corr, masks[a], masks[b], four_neighbors=four_neighbors,
                              avg_resistances=avg_resistances, solver=solver, rtol=rtol)
        np.fmax(mosaic, cc.current.array, out=mosaic)
        cwd = float(link["cwd_m"]) if "cwd_m" in link.index else np.nan
        er = cc.effective_resistance
        rows.append({
            "core_a": a, "core_b": b, "cwd_m": cwd, "eff_resist": er,
            "cwd_to_eff_resist": cwd / er if er > 0 else np.nan,
            "max_current": float(np.nanmax(cc.current.array)) if np.isfinite(cc.current.array).any() else 0.0,
            "corridor_cells": int(np.isfinite(corr.array.astype("float64")).sum()),
        })
        if keep_per_linkage:
            per[(a, b)] = cc
    table = pd.DataFrame(rows, columns=["core_a", "core_b", "cwd_m", "eff_resist", "cwd_to_eff_resist", "max_current", "corridor_cells"])
    return PinchResult(current=resistance.replace(mosaic, nodata=None, name="pinch points"), table=table, per_linkage=per)


def centrality(
    node_a: Sequence[str],
    node_b: Sequence[str],
    resistance: Sequence[float],
    nodes: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current-flow centrality of a network (Linkage Mapper's Centrality Mapper).

    Linkage Mapper runs Circuitscape in network pairwise mode with every
    core as a focal node and takes the cumulative current through each core
    and each link (1 A between every pair) as ``CF_Central``. That is what
    ``cf_central`` holds. A core is the source or the ground of the ``k - 1``
    pairs it belongs to (``k`` cores in its component) and carries 1 A in
    each; ``cf_betweenness = cf_central - (k - 1)`` leaves only the current it
    passes on for others, which equals networkx's unnormalized
    ``current_flow_betweenness_centrality``.

    Parameters
    ----------
    node_a, node_b : sequence of str
        Ends of each link.
    resistance : sequence of float
        Link resistances (Linkage Mapper uses the cost-weighted distance).
    nodes : sequence of str, optional
        All nodes, so that isolated ones are listed with 0.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Nodes (``node``, ``cf_central``, ``cf_betweenness``, ``component``) and
        links (``node_a``, ``node_b``, ``resistance``, ``cf_central``).
    """
    a = np.asarray([str(x) for x in node_a], dtype=object)
    b = np.asarray([str(x) for x in node_b], dtype=object)
    r = np.asarray(resistance, dtype="float64")
    all_nodes = sorted(set(a) | set(b) | set(str(n) for n in (nodes if nodes is not None else [])))
    if len(a) == 0:
        n_df = pd.DataFrame({"node": all_nodes, "cf_central": 0.0, "cf_betweenness": 0.0, "component": range(len(all_nodes))})
        return n_df, pd.DataFrame(columns=["node_a", "node_b", "resistance", "cf_central"])
    g = network_graph(a.astype(str), b.astype(str), r, is_resistance=True, label="linkage network")
    names = [str(x) for x in g.names]
    bi, bj, gb = g.branches()
    cum_branch = np.zeros(len(bi))

    def on_pair(ij, v, cur):
        cum_branch[:] += np.abs(gb * (v[bi] - v[bj]))

    res = pairwise(g, np.arange(g.n_nodes), names, currents=True, on_pair=on_pair, solver="direct")
    labels = g.components
    k = np.bincount(labels)[labels]
    central = dict(zip(names, res.cum_current))
    bt = res.cum_current - (k - 1)
    bt[np.abs(bt) < 1e-9 * np.maximum(k, 1)] = 0.0  # round-off of "no current passed on"
    between = dict(zip(names, bt))
    comp = dict(zip(names, labels))
    n_df = pd.DataFrame({
        "node": all_nodes,
        "cf_central": [float(central.get(n, 0.0)) for n in all_nodes],
        "cf_betweenness": [float(between.get(n, 0.0)) for n in all_nodes],
        "component": [int(comp.get(n, -1)) for n in all_nodes],
    })
    by_pair = {frozenset((names[i], names[j])): c for i, j, c in zip(bi, bj, cum_branch)}
    l_df = pd.DataFrame({"node_a": a, "node_b": b, "resistance": r,
                         "cf_central": [float(by_pair.get(frozenset((x, y)), 0.0)) for x, y in zip(a, b)]})
    return n_df, l_df


def linkage_centrality(linkages: Any, weight: str = "cwd_m") -> tuple[Any, Any]:
    """Centrality Mapper on a linkage run: cores and linkages with ``cf_central`` (and ``cf_betweenness`` for cores).

    Parameters
    ----------
    linkages : corridors.linkages.LinkageResult
        Anything with ``cores`` (``core_id``) and ``linkages`` (``core_a``,
        ``core_b`` and the ``weight`` column) GeoDataFrames.
    weight : str, default 'cwd_m'
        Link resistance column: Linkage Mapper's default is the cost-weighted
        distance; ``eff_resist`` from :func:`pinch_points` also works.

    Returns
    -------
    (GeoDataFrame, GeoDataFrame)
        Copies of the cores and linkages with the centrality columns.
    """
    links = linkages.linkages
    if weight not in links.columns:
        raise DataError(f"linkages: no column {weight!r} to use as link resistance; choose one of {', '.join(map(str, links.columns))}.")
    w = links[weight].astype(float).to_numpy()
    if np.any(~(w > 0)):
        bad = links.iloc[int(np.argmax(~(w > 0)))]
        raise DataError(f"linkage {bad['core_a']}-{bad['core_b']}, field {weight!r}: {bad[weight]!r} is not a positive resistance.")
    n_df, l_df = centrality(links["core_a"], links["core_b"], w, nodes=linkages.cores["core_id"].astype(str))
    cores = linkages.cores.copy()
    cores = cores.merge(n_df.rename(columns={"node": "core_id"}), on="core_id", how="left")
    out_links = links.copy()
    out_links["cf_central"] = l_df["cf_central"].to_numpy()
    return cores, out_links
