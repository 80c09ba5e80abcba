"""Cost distance and least-cost paths: the least-cost engine (source cells, MCP or row sweep by memory, paths).

Linkages and normalized corridors between core areas, built on this engine,
are :mod:`corridors.linkages`; the programme's corridors are
:mod:`corridors.analyses.linkages`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString
from skimage.graph import MCP_Geometric

from corridors import settings, sweep
from corridors._errors import ConfigError, DataError, where
from corridors.landscape import check_resistance
from corridors.raster import Raster, geometry_cells


# ----------------------------------------------------------------------------- sources
def _geoms_of(sources: Any) -> list[Any]:
    if isinstance(sources, gpd.GeoDataFrame):
        return list(sources.geometry)
    if isinstance(sources, gpd.GeoSeries):
        return list(sources)
    if isinstance(sources, shapely.Geometry):
        return [sources]
    if isinstance(sources, tuple) and len(sources) == 2 and all(isinstance(v, (int, float, np.number)) for v in sources):
        return [shapely.Point(*sources)]
    if isinstance(sources, Iterable):
        out = []
        for s in sources:
            if isinstance(s, shapely.Geometry):
                out.append(s)
            elif isinstance(s, (tuple, list)) and len(s) == 2:
                out.append(shapely.Point(*s))
            else:
                raise ConfigError(f"{where(field='sources')}: {s!r} is neither a geometry nor an (x, y) pair.")
        return out
    raise ConfigError(f"{where(field='sources')}: give geometries, a GeoDataFrame, (x, y) pairs or a boolean mask.")


def source_cells(resistance: Raster, sources: Any, label: str = "source") -> np.ndarray:
    """Flat indices of the valid cells that a set of sources occupies.

    Parameters
    ----------
    resistance : Raster
        The grid.
    sources : geometry, GeoDataFrame, GeoSeries, (x, y) pairs, Raster, or boolean mask
        Points take the cell they fall in; polygons the cells whose centres
        they cover (every cell they touch if they cover no centre); lines every
        cell they touch. Coordinates are in the raster's CRS. A boolean array
        of the grid's shape is used as is; a Raster on the same grid marks
        sources by non-zero values.
    label : str
        Names the sources in error messages.

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    DataError
        If a source lies outside the raster or only on no-data cells, or a
        source Raster is on another grid or CRS.
    """
    valid = resistance.valid
    if isinstance(sources, Raster):
        # A source grid (as Circuitscape's): every cell holding a value other than 0 is a source.
        resistance.check_aligned(sources)
        sources = sources.valid & (np.nan_to_num(sources.array.astype("float64")) != 0)
    if isinstance(sources, np.ndarray) and sources.dtype == bool:
        if sources.shape != resistance.shape:
            raise DataError(f"{label}: mask shape {sources.shape} differs from {resistance.label} {resistance.shape}.")
        cells = np.flatnonzero(sources & valid)
        if cells.size == 0:
            raise DataError(f"{label}: the mask selects no valid cell of {resistance.label}; mark at least one passable cell.")
        return cells
    geoms = _geoms_of(sources)
    if not geoms:
        raise DataError(f"{label}: no source given; give at least one point or polygon.")
    out = []
    flat_valid = valid.ravel()
    for k, g in enumerate(geoms):
        name = label if len(geoms) == 1 else f"{label} {k}"  # a lone core or source needs no index
        cells = geometry_cells(resistance, g)
        if cells.size == 0:
            raise DataError(
                f"{name}: lies outside {resistance.label} (bounds {tuple(round(b) for b in resistance.bounds)}); "
                "give sources inside the raster, in its CRS."
            )
        cells = cells[flat_valid[cells]]
        if cells.size == 0:
            raise DataError(f"{name}: lies only on no-data (impassable) cells of {resistance.label}; move it onto passable cells.")
        out.append(cells)
    return np.unique(np.concatenate(out))


# ----------------------------------------------------------------------------- cost distance
#: Peak bytes per cell of a scikit-image ``MCP_Geometric`` run, the float64 costs included, counted on
#: the grid padded by one cell as MCP pads it. Measured (VmHWM of the process, reset after the costs
#: were built) on random 2000 x 2000 and 4000 x 4000 grids: 68.9 and 69.0 bytes per cell on top of
#: the costs (0.28 GB and 1.10 GB), so 77 with them: padded float64 copies of the costs, cumulative
#: costs, traceback, heap cross-reference and the unpadded output copies. (benchmarks/bench_lcp.py:
#: 4.58 GiB on 8000 x 8000, 76.8 bytes per cell with the interpreter.)
MCP_BYTES_PER_CELL: int = 77

#: Peak bytes per cell of a :func:`cost_distance` run on the row sweep (``corridors.sweep``), the float64
#: costs included: costs 8, result 8, and the byte-per-cell masks of the resistance checks. Measured
#: (benchmarks/bench_lcp.py): 1.14 GiB on 8000 x 8000, 19.1 bytes per cell with the interpreter and imports.
SWEEP_BYTES_PER_CELL: int = 18


def cost_distance_engine(shape: tuple[int, int], memory_limit: int | None = None) -> str:
    """The engine a cost-distance run on a grid of this shape uses: ``'mcp'`` or ``'sweep'``.

    scikit-image's ``MCP_Geometric`` when its estimated peak,
    :data:`MCP_BYTES_PER_CELL` x (rows + 2) x (cols + 2), fits within the
    memory limit; otherwise the exact row sweep of :mod:`corridors.sweep`
    (:data:`SWEEP_BYTES_PER_CELL` per cell). Both give the same cost
    distances (to 1e-9 relative; measured differences are about 1e-13).

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the grid.
    memory_limit : int, optional
        Bytes the run may use. Default :data:`corridors.settings.MEMORY_LIMIT`;
        if that is None too, MCP is used while its estimate fits in
        :data:`corridors.settings.MEMORY_BUDGET` (4 GiB) and in the memory
        available now (:func:`corridors.settings.available_memory`), and
        nothing is refused.

    Returns
    -------
    str
        ``'mcp'`` or ``'sweep'``.

    Raises
    ------
    ConfigError
        If the limit is not a positive number of bytes, or a limit was given
        (here or in ``settings.MEMORY_LIMIT``) that even the sweep would exceed.
    """
    limit = memory_limit if memory_limit is not None else settings.MEMORY_LIMIT
    explicit = limit is not None
    if explicit and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit <= 0):
        raise ConfigError(f"{where(field='memory_limit')}: give a positive whole number of bytes, got {limit!r}.")
    rows, cols = (int(v) for v in shape)
    if explicit:
        have = int(limit)
    else:
        avail = settings.available_memory()
        have = min(settings.MEMORY_BUDGET, avail) if avail else settings.MEMORY_BUDGET
    if MCP_BYTES_PER_CELL * (rows + 2) * (cols + 2) <= have:
        return "mcp"
    need = SWEEP_BYTES_PER_CELL * rows * cols
    if explicit and need > have:
        raise ConfigError(
            f"{where(field='memory_limit')} (--memory-limit) {settings.format_bytes(have)}: a cost-distance run on {rows:,} x {cols:,} cells "
            f"needs about {settings.format_bytes(need)} even with the lean row sweep; raise the limit or coarsen the raster."
        )
    return "sweep"


class _Engine:
    """One MCP_Geometric over a cost array, reused for many source sets (MCP allows repeated find_costs)."""

    def __init__(self, resistance: Raster, costs: np.ndarray | None = None, fully_connected: bool = True):
        self.resistance = resistance
        self.costs = check_resistance(resistance) if costs is None else costs
        cell = resistance.res
        # sampling in metres makes MCP_Geometric return cost-weighted metres: sum of resistance x metres,
        # each step costed as the mean of the two cells times its length, as ArcGIS / Linkage Mapper do.
        self.mcp = MCP_Geometric(self.costs, fully_connected=fully_connected, sampling=(cell[1], cell[0]))

    def run(self, cells: np.ndarray) -> np.ndarray:
        starts = np.column_stack(np.unravel_index(cells, self.costs.shape))
        cum, _ = self.mcp.find_costs(starts)
        return cum

    def path(self, end_flat: int) -> np.ndarray:
        end = np.unravel_index(int(end_flat), self.costs.shape)
        return np.asarray(self.mcp.traceback(end), dtype=np.int64)


class _SweepEngine:
    """The row sweep of corridors.sweep behind _Engine's interface: the same numbers in a quarter of MCP's memory.

    ``path`` backtracks on the result of the last ``run`` (as MCP's traceback does).
    """

    def __init__(self, resistance: Raster, costs: np.ndarray | None = None, fully_connected: bool = True):
        self.resistance = resistance
        self.costs = check_resistance(resistance) if costs is None else costs
        cell = resistance.res
        self.sampling = (cell[1], cell[0])  # as _Engine gives MCP: (row size, column size)
        self.fully_connected = fully_connected
        self.cum: np.ndarray | None = None
        self.passes = 0

    def run(self, cells: np.ndarray) -> np.ndarray:
        self.cum, self.passes = sweep.sweep_cost_distance(self.costs, cells, self.sampling, self.fully_connected)
        return self.cum

    def path(self, end_flat: int) -> np.ndarray:
        if self.cum is None:
            raise RuntimeError("run() before path()")  # internal misuse, not a user error
        return sweep.sweep_path(self.cum, self.costs, int(end_flat), self.sampling, self.fully_connected)


def _engine(resistance: Raster, costs: np.ndarray | None = None, fully_connected: bool = True,
            memory_limit: int | None = None) -> _Engine | _SweepEngine:
    """The cost-distance engine for this grid and memory limit (see :func:`cost_distance_engine`)."""
    kind = cost_distance_engine(resistance.shape, memory_limit)
    cls = _Engine if kind == "mcp" else _SweepEngine
    return cls(resistance, costs=costs, fully_connected=fully_connected)


def cost_distance(resistance: Raster, sources: Any, fully_connected: bool = True, memory_limit: int | None = None) -> Raster:
    """Accumulated cost distance from one or many sources (skimage MCP_Geometric, or the lean row sweep on large grids).

    Parameters
    ----------
    resistance : Raster
        Cost per metre of each cell (> 0); no data is impassable.
    sources : geometry, GeoDataFrame, (x, y) pairs, Raster, or boolean mask
        See :func:`source_cells`. The cost at every source cell is 0.
    fully_connected : bool, default True
        8-neighbour moves (diagonals cost sqrt(2) x cell); False for 4-neighbour.
    memory_limit : int, optional
        Bytes the run may use; it picks the engine (:func:`cost_distance_engine`):
        scikit-image's MCP_Geometric when its estimate (77 bytes per cell) fits,
        else the exact row sweep of :mod:`corridors.sweep` (about 18 bytes per
        cell). The results are the same either way up to 1e-9 relative.
        Default ``settings.MEMORY_LIMIT``; with no limit set, MCP up to the
        4 GiB ``settings.MEMORY_BUDGET`` (and the memory available), the sweep above.

    Returns
    -------
    Raster
        float64 cost-weighted metres (sum over the path of resistance x metres,
        each step costed as the mean of its two cells): the units Linkage Mapper
        reports. NaN where no path exists.

    Raises
    ------
    DataError
        If the resistance is all no data or holds values <= 0, or a source lies
        outside the raster or on no data only.
    ConfigError
        If ``memory_limit`` is not a positive number of bytes or is too small
        even for the row sweep.
    """
    engine = _engine(resistance, fully_connected=fully_connected, memory_limit=memory_limit)
    cum = engine.run(source_cells(resistance, sources))
    del engine  # frees MCP's arrays before the mask below
    cum[np.isinf(cum)] = np.nan
    return resistance.replace(cum, nodata=None, name="cost distance")


def _path_line(grid: Raster, rc: np.ndarray) -> tuple[LineString, float]:
    r, c = rc[:, 0], rc[:, 1]
    x, y = grid.xy(r, c)
    xy = np.column_stack([x, y])
    if len(xy) == 1:
        xy = np.vstack([xy, xy])
    length = float(np.hypot(*np.diff(xy, axis=0).T).sum())
    return LineString(xy), length


def least_cost_path(resistance: Raster, source: Any, target: Any, fully_connected: bool = True,
                    memory_limit: int | None = None) -> tuple[LineString, float, float]:
    """The least-cost path between two places.

    Parameters
    ----------
    resistance : Raster
    source, target : geometry, GeoDataFrame or (x, y)
        Points or polygons (see :func:`source_cells`); a polygon's cheapest
        cell is used.
    fully_connected : bool, default True
        8-neighbour moves.
    memory_limit : int, optional
        Bytes the run may use; picks the engine as in :func:`cost_distance`
        (the same path cost either way up to 1e-9 relative; among paths of
        equal cost the engines may pick different cells).

    Returns
    -------
    line : shapely.LineString
        Through the centres of the path's cells, from source to target.
    cost_m : float
        Cost-weighted distance (cost-weighted metres).
    length_m : float
        Length of the line in metres.

    Raises
    ------
    DataError
        If the target cannot be reached from the source (separated by no data).
    ConfigError
        If ``memory_limit`` is not a positive number of bytes or is too small
        even for the row sweep.
    """
    engine = _engine(resistance, fully_connected=fully_connected, memory_limit=memory_limit)
    src = source_cells(resistance, source, "source")
    dst = source_cells(resistance, target, "target")
    cum = engine.run(src)
    vals = cum.ravel()[dst]
    k = int(np.argmin(vals))
    if not np.isfinite(vals[k]):
        raise DataError("target: cannot be reached from the source; no-data cells separate them (check the resistance).")
    rc = engine.path(dst[k])
    line, length = _path_line(resistance, rc)
    return line, float(vals[k]), length


__all__ = [
    "MCP_BYTES_PER_CELL",
    "SWEEP_BYTES_PER_CELL",
    "cost_distance",
    "cost_distance_engine",
    "least_cost_path",
    "source_cells",
]
