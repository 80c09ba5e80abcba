"""Circuits on rasters: habitat, mask, polygons and focal points/regions to a CircuitGraph, and results back to rasters."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corridors._errors import DataError
from corridors.circuit.graph import CircuitGraph, conductance_from_values, grid_graph
from corridors.circuit import inputs
from corridors.circuit.modes import FocalResult, PairwiseResult, one_to_all, pairwise
from corridors.circuit.solve import DEFAULT_RTOL, check_memory, resolve_memory_limit
from corridors.raster import Raster


@dataclass
class GridCircuit:
    """A raster circuit ready to solve.

    Attributes
    ----------
    template : Raster
        The habitat raster (grid, transform, CRS of every output map).
    graph : CircuitGraph
        Its conductance graph (focal regions and polygons merged).
    focal_ids : numpy.ndarray
        Sorted focal ids (empty without focal nodes).
    focal_nodes : numpy.ndarray
        Node of each focal id.
    """

    template: Raster
    graph: CircuitGraph
    focal_ids: np.ndarray
    focal_nodes: np.ndarray

    def to_raster(self, node_values: np.ndarray, fill: float = 0.0, name: str = "") -> Raster:
        """A raster on the habitat grid holding one value per node (``fill`` off the graph)."""
        arr = self.graph.cell_values(node_values, fill=fill)
        return Raster(arr, self.template.transform, self.template.crs, -9999.0, name)


def read_point_file(path: str | os.PathLike, template: Raster) -> np.ndarray:
    """Read Circuitscape focal points as an id grid on the habitat grid (0 = no focal node).

    Parameters
    ----------
    path : path-like
        A text file of ``id x y`` lines (Circuitscape's point list), or a
        raster (.asc, .asc.gz, .tif) whose cells hold focal ids (> 0), read
        as :func:`corridors.circuit.inputs.read_points` reads them. Several
        cells with one id form a focal region.
    template : Raster
        The habitat raster.

    Returns
    -------
    numpy.ndarray
        int64 grid of focal ids.

    Raises
    ------
    DataError
        If the file is missing or malformed, a point lies outside the grid,
        or two ids fall in one cell (a grid holds one id per cell; a
        Circuitscape job takes them, see :func:`corridors.circuit.run_job`).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: focal point file not found; check point_file (paths are relative to the current directory).")
    pts = inputs.read_points(p, template)
    return _burn(template.shape, pts.ids, pts.rows, pts.cols, str(p))


def _burn(shape: tuple[int, int], ids: np.ndarray, rows: np.ndarray, cols: np.ndarray, label: str) -> np.ndarray:
    """An id grid holding each focal id at its cell; two ids in one cell are an error naming both."""
    grid = np.zeros(shape, dtype=np.int64)
    for i, r, c in zip(ids, rows, cols):
        if grid[r, c] not in (0, i):
            raise DataError(f"{label}: focal ids {int(grid[r, c])} and {int(i)} fall in the same cell (row {r}, col {c}); move one.")
        grid[r, c] = i
    return grid


def focal_grid_from_points(template: Raster, ids: np.ndarray, x: np.ndarray, y: np.ndarray, label: str = "focal points") -> np.ndarray:
    """Burn focal points into an id grid on the template's grid.

    Parameters
    ----------
    template : Raster
        The habitat raster.
    ids : numpy.ndarray
        Positive integer id of each point (repeats make a focal region).
    x, y : numpy.ndarray
        Coordinates in the template's CRS.
    label : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray
        int64 id grid, 0 where no focal node.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if np.any(ids <= 0):
        raise DataError(f"{label}: focal id {int(ids[ids <= 0][0])} is not positive; Circuitscape ids are integers > 0.")
    row, col = inputs.cells_of_xy(template, x, y)
    inside = template.contains(row, col)
    if not inside.all():
        k = int(np.argmin(inside))
        raise DataError(
            f"{label}, focal id {int(ids[k])}: point ({float(np.asarray(x)[k])}, {float(np.asarray(y)[k])}) lies outside "
            f"the habitat grid {template.bounds}; move it inside or enlarge the habitat map."
        )
    return _burn(template.shape, ids, row, col, label)


def habitat_conductance(habitat: Raster, is_resistance: bool = True, mask: Raster | None = None) -> np.ndarray:
    """Conductance grid of a habitat raster (0 = no node), with an optional mask (cells <= 0 or no data dropped)."""
    g = conductance_from_values(habitat.array, habitat.valid, is_resistance=is_resistance, label=habitat.label)
    if mask is not None:
        habitat.check_aligned(mask)
        keep = mask.valid & (np.nan_to_num(mask.array.astype("float64")) > 0)
        g = np.where(keep, g, 0.0)
    return g


def build_grid_circuit(
    habitat: Raster,
    focal: np.ndarray | None = None,
    *,
    is_resistance: bool = True,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Raster | np.ndarray | None = None,
    mask: Raster | None = None,
    solver: str = "amg",
    n_vectors: int = 0,
    memory_limit: int | None = None,
    max_memory: int | None = None,
) -> GridCircuit:
    """Build the circuit of a habitat raster, checking the memory it needs first.

    Parameters
    ----------
    habitat : Raster
        Resistances (default) or conductances.
    focal : numpy.ndarray, optional
        Grid of focal ids (> 0; cells sharing an id form a focal region,
        merged into one node).
    is_resistance, four_neighbors, avg_resistances
        See :func:`corridors.circuit.graph.grid_graph`.
    polygons : Raster or numpy.ndarray, optional
        Short-circuit regions (cells sharing a value > 0 become one node).
    mask : Raster, optional
        Cells with mask <= 0 or no data are dropped.
    solver : {'amg', 'direct', 'cholmod'}
        Used for the memory estimate.
    n_vectors : int
        Voltage vectors that will be kept at once (memory estimate).
    memory_limit : int, optional
        Bytes allowed (default: the available memory).
    max_memory : int, optional
        Deprecated spelling of ``memory_limit``; accepted with a DeprecationWarning for one release.

    Returns
    -------
    GridCircuit

    Raises
    ------
    DataError
        Bad values, misaligned rasters, or a focal id lying wholly on no-data cells.
    SolverError
        If the problem would not fit in memory.
    """
    memory_limit = resolve_memory_limit(memory_limit, max_memory)
    cond = habitat_conductance(habitat, is_resistance, mask)
    n_nodes = int(np.count_nonzero(cond))
    if n_nodes == 0:
        raise DataError(f"{habitat.label}: no cell holds a usable resistance or conductance; check the habitat map and mask.")
    check_memory(cond.size, n_nodes, 4 if four_neighbors else 8, solver, n_vectors, memory_limit)
    regions = []
    if polygons is not None:
        if isinstance(polygons, Raster):
            habitat.check_aligned(polygons)
            parr = np.where(polygons.valid, np.nan_to_num(polygons.array.astype("float64")), 0)
        else:
            parr = np.asarray(polygons)
        regions.append(np.where(parr > 0, parr, 0).astype(np.int64))
    ids = np.zeros(0, dtype=np.int64)
    if focal is not None:
        focal = np.asarray(focal, dtype=np.int64)
        if focal.shape != habitat.shape:
            raise DataError(f"focal id grid shape {focal.shape} differs from {habitat.label} {habitat.shape}; use the habitat grid.")
        ids = np.unique(focal[focal > 0])
        regions.append(np.where(cond > 0, focal, 0))
    graph = grid_graph(cond, four_neighbors=four_neighbors, avg_resistances=avg_resistances, regions=regions)
    nodes = np.full(len(ids), -1, dtype=np.int64)
    if len(ids):
        on = (focal > 0) & (graph.nodemap >= 0)
        nodes[np.searchsorted(ids, focal[on])] = graph.nodemap[on]
        missing = ids[nodes < 0]
        if len(missing):
            r, c = np.argwhere(focal == missing[0])[0]
            x, y = habitat.xy(r, c)
            raise DataError(
                f"{habitat.label}: focal id {int(missing[0])} (cell centre {float(x):g}, {float(y):g}; row {r + 1}, column {c + 1} "
                "from the top left) lies on a no-data or masked cell; move the point onto habitat or give the cell a resistance."
            )
    return GridCircuit(habitat, graph, ids, nodes)


def pairwise_raster(
    habitat: Raster,
    focal: np.ndarray,
    *,
    is_resistance: bool = True,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Raster | None = None,
    mask: Raster | None = None,
    pairs: np.ndarray | None = None,
    currents: bool = True,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    max_memory: int | None = None,
) -> PairwiseResult:
    """Pairwise effective resistances on a raster, with cumulative and maximum current maps.

    Parameters
    ----------
    habitat : Raster
        Resistances (or conductances with ``is_resistance=False``).
    focal : numpy.ndarray
        Grid of focal ids (see :func:`read_point_file`,
        :func:`focal_grid_from_points`).
    pairs : numpy.ndarray of bool, optional
        Pairs to solve, in the order of the sorted ids.
    currents : bool, default True
        Also compute the cumulative and maximum current maps (Rasters).
    memory_limit : int, optional
        Bytes allowed (default: the available memory).
    max_memory : int, optional
        Deprecated spelling of ``memory_limit``; accepted with a DeprecationWarning for one release.
    Others
        As in :func:`build_grid_circuit` and :func:`~corridors.circuit.modes.pairwise`.

    Returns
    -------
    PairwiseResult
        ``cum_current`` / ``max_current`` are Rasters on the habitat grid.

    Examples
    --------
    >>> res = pairwise_raster(resistance, focal_ids)      # doctest: +SKIP
    >>> res.resistances[0, 1]                             # doctest: +SKIP
    """
    memory_limit = resolve_memory_limit(memory_limit, max_memory)
    nf = int(len(np.unique(focal[focal > 0])))
    gc = build_grid_circuit(
        habitat, focal, is_resistance=is_resistance, four_neighbors=four_neighbors, avg_resistances=avg_resistances,
        polygons=polygons, mask=mask, solver=solver, n_vectors=nf if currents else 0, memory_limit=memory_limit,
    )
    res = pairwise(gc.graph, gc.focal_nodes, gc.focal_ids, pairs=pairs, solver=solver, rtol=rtol, currents=currents)
    if currents:
        res.cum_current = gc.to_raster(res.cum_current, name="cum_curmap")
        res.max_current = gc.to_raster(res.max_current, name="max_curmap")
    return res


def one_to_all_raster(
    habitat: Raster,
    focal: np.ndarray,
    *,
    reverse: bool = False,
    strengths: dict[int, float] | None = None,
    is_resistance: bool = True,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Raster | None = None,
    mask: Raster | None = None,
    solver: str = "amg",
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
) -> FocalResult:
    """one-to-all (or all-to-one with ``reverse``) on a raster; cumulative and maximum current as Rasters.

    ``strengths`` maps focal ids to source strengths in amperes (default 1); ``memory_limit`` is the
    bytes allowed (default: the available memory). Others as in :func:`pairwise_raster`.
    """
    gc = build_grid_circuit(
        habitat, focal, is_resistance=is_resistance, four_neighbors=four_neighbors, avg_resistances=avg_resistances,
        polygons=polygons, mask=mask, solver=solver, n_vectors=int(len(np.unique(focal[focal > 0]))),
        memory_limit=memory_limit,
    )
    s = None if strengths is None else [float(strengths.get(int(i), 1.0)) for i in gc.focal_ids]
    res = one_to_all(gc.graph, gc.focal_nodes, gc.focal_ids, strengths=s, reverse=reverse, solver=solver, rtol=rtol)
    res.cum_current = gc.to_raster(res.cum_current, name="cum_curmap")
    res.max_current = gc.to_raster(res.max_current, name="max_curmap")
    return res
