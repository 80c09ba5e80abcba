"""Cost distance, least-cost paths and Linkage-Mapper-style linkages and normalized least-cost corridors."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
import shapely.ops
from affine import Affine
from scipy import ndimage
from shapely.geometry import LineString
from skimage.graph import MCP_Geometric

from corridors import settings, sweep
from corridors._errors import ConfigError, DataError, where
from corridors.io import write_geopackage
from corridors.landscape import check_resistance
from corridors.programme import PROGRAMME_CORRIDORS, ProgrammeCorridor  # moves out with programme_corridors (analyses)
from corridors.raster import Raster

#: Linkage Mapper's default corridor truncation, in cost-weighted metres.
DEFAULT_TRUNCATE_M: float = 200_000.0

#: Adjacency rules for candidate linkages (see :func:`build_linkages`).
ADJACENCY = ("cost", "euclidean", "both", "all")


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


def _cells_of_geometry(grid: Raster, geom: Any) -> np.ndarray:
    """Flat indices of the cells a geometry occupies (cells whose centre it covers, else every cell it touches)."""
    if geom is None or geom.is_empty:
        return np.empty(0, dtype=np.int64)
    if geom.geom_type in ("Point", "MultiPoint"):
        pts = shapely.get_coordinates(geom)
        r, c = grid.rowcol(pts[:, 0], pts[:, 1])
        inside = grid.contains(r, c)
        return np.unique(r[inside] * grid.shape[1] + c[inside])
    x0, y0, x1, y1 = geom.bounds
    left, bottom, right, top = grid.bounds
    if x1 < left or x0 > right or y1 < bottom or y0 > top:
        return np.empty(0, dtype=np.int64)
    # Rasterize into the geometry's window only: a core is small next to the grid.
    r0, c0 = grid.rowcol(x0, y1)
    r1, c1 = grid.rowcol(x1, y0)
    r0, c0 = max(int(r0), 0), max(int(c0), 0)
    r1, c1 = min(int(r1), grid.shape[0] - 1), min(int(c1), grid.shape[1] - 1)
    h, w = r1 - r0 + 1, c1 - c0 + 1
    t = grid.transform @ Affine.translation(c0, r0)
    touched = geom.geom_type not in ("Polygon", "MultiPolygon")
    m = rasterio.features.rasterize([(geom, 1)], out_shape=(h, w), transform=t, all_touched=touched, dtype="uint8")
    if not m.any():
        m = rasterio.features.rasterize([(geom, 1)], out_shape=(h, w), transform=t, all_touched=True, dtype="uint8")
    rr, cc = np.nonzero(m)
    return (rr + r0) * grid.shape[1] + (cc + c0)


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
        cells = _cells_of_geometry(resistance, g)
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


def _cell_centres(grid: Raster, flat: np.ndarray) -> np.ndarray:
    r, c = np.unravel_index(flat, grid.shape)
    x, y = grid.xy(r, c)
    return np.column_stack([x, y])


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


# ----------------------------------------------------------------------------- cores
def cores_from_sites(
    sites: gpd.GeoDataFrame,
    id_field: str = "id",
    radius_m: float | str = "precision",
    kinds: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Core areas from sites: polygons as they are, points buffered.

    Parameters
    ----------
    sites : GeoDataFrame
        In the working CRS; e.g. ``corridors.sites.load_sites()``. Rows
        without geometry (unresolved places) are skipped.
    id_field : str, default 'id'
        Column holding the core id.
    radius_m : float or 'precision', default 'precision'
        Buffer of points: ``'precision'`` uses each site's
        ``location_precision_km`` (the area within which the place lies, as
        ``corridors.sites.precision_areas``); a number gives every point a core
        of that radius (a habitat patch of known size around the best guess).
    kinds : sequence of str, optional
        Keep only sites of these ``kind`` values.

    Returns
    -------
    GeoDataFrame
        Columns ``core_id`` and, if present, ``name``, ``kind``, ``measures``,
        ``location_precision_km``; polygon geometry.
    """
    if id_field not in sites.columns:
        raise DataError(f"{where(field=id_field)}: the sites have no such column; name the column holding core ids.")
    s = sites
    if kinds is not None:
        if "kind" not in s.columns:
            raise DataError(f"{where(field='kind')}: the sites have no 'kind' column to select {list(kinds)} by.")
        s = s[s["kind"].isin(list(kinds))]
    s = s[~s.geometry.isna() & ~s.geometry.is_empty]
    if len(s) == 0:
        raise DataError("cores: no site with a geometry is left; check the kinds selected.")
    if radius_m == "precision":
        if "location_precision_km" not in s.columns:
            raise DataError(f"{where(field='location_precision_km')}: missing; give radius_m in metres instead.")
        radius = pd.to_numeric(s["location_precision_km"], errors="coerce").fillna(0).to_numpy() * 1000.0
    elif isinstance(radius_m, (int, float)) and radius_m >= 0:
        radius = np.full(len(s), float(radius_m))
    else:
        raise ConfigError(f"{where(field='radius_m')}: give 'precision' or a radius >= 0 in metres, got {radius_m!r}.")
    geoms = []
    for g, r in zip(s.geometry, radius):
        if g.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString") and r > 0:
            geoms.append(g.buffer(r, quad_segs=16))
        else:
            geoms.append(g)
    out = gpd.GeoDataFrame({"core_id": s[id_field].astype(str).to_numpy()}, geometry=geoms, crs=s.crs)
    for col in ("name", "kind", "measures", "location_precision_km"):
        if col in s.columns:
            out[col] = s[col].to_numpy()
    return out


def _check_metric_crs(resistance: Raster, vector_crs: object) -> None:
    # Costs are resistance x metres travelled: a grid in degrees would give
    # distances near 0 without any error, and a grid without a CRS cannot be
    # matched to cores that have one.
    if resistance.crs is not None and resistance.crs.is_geographic:
        raise DataError(
            f"{resistance.label}: the raster is in a geographic CRS ({resistance.crs.name}), so its cells are degrees, not metres; "
            f"resample it onto the working grid first (`corridors resistance --raster {resistance.label}`) or reproject it to a projected CRS."
        )
    if resistance.crs is None and vector_crs is not None:
        raise DataError(
            f"{resistance.label}: the raster has no CRS, so the cores cannot be placed on it; "
            "set its CRS (e.g. `gdal_edit.py -a_srs EPSG:<code>`) or give cores without a CRS in the raster's coordinates."
        )


def _check_cores(cores: gpd.GeoDataFrame, resistance: Raster, id_field: str) -> gpd.GeoDataFrame:
    if not isinstance(cores, gpd.GeoDataFrame):
        raise ConfigError(f"{where(field='cores')}: give a GeoDataFrame of core areas.")
    _check_metric_crs(resistance, cores.crs)
    if id_field not in cores.columns:
        raise DataError(f"{where(field=id_field)}: the cores have no such column; pass id_field= the column holding core ids.")
    if cores.crs is not None and resistance.crs is not None and cores.crs != resistance.crs:
        cores = cores.to_crs(resistance.crs)
    ids = cores[id_field].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(f"{where(feature=dup.iloc[0], field=id_field)}: core id is not unique; give each core its own id.")
    if len(cores) < 2:
        raise DataError("cores: fewer than two cores; linkages need at least two.")
    out = cores.copy()
    out["core_id"] = ids.to_numpy()
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- linkages
@dataclass
class _CoreRun:
    window: tuple[slice, slice]
    cwd: np.ndarray  # float32 cost distance inside the window, inf where unreached


@dataclass
class LinkageResult:
    """Linkages, least-cost paths and normalized corridors between core areas.

    Attributes
    ----------
    cores : GeoDataFrame
        ``core_id``, ``n_cells``, ``area_ha`` and the polygon.
    linkages : GeoDataFrame
        One row per kept linkage: ``core_a``, ``core_b``, ``euclid_m``,
        ``cwd_m``, ``lcp_length_m``, ``cwd_to_euclid``, ``cwd_to_path``,
        ``min_width_m``, ``borders``, ``measures``, ``through_cores`` and the
        least-cost path as LineString geometry.
    dropped : DataFrame
        Candidate linkages that were dropped, with the ``reason``.
    corridor_mosaic : Raster
        Minimum over linkages of the normalized corridor (CWD_A + CWD_B - CWD_AB),
        truncated at ``truncate_m``; NaN elsewhere.
    truncate_m : float
        The truncation used, cost-weighted metres.
    params : dict
        The parameters of the run (written to the provenance file).
    """

    cores: gpd.GeoDataFrame
    linkages: gpd.GeoDataFrame
    dropped: pd.DataFrame
    corridor_mosaic: Raster
    truncate_m: float | None
    resistance: Raster = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    _runs: dict[str, _CoreRun] = field(default_factory=dict, repr=False)
    _pairs: dict[tuple[str, str], tuple[tuple[slice, slice], np.ndarray]] = field(default_factory=dict, repr=False)

    def corridor(self, core_a: str, core_b: str, truncate_m: float | None = ...) -> Raster:  # type: ignore[assignment]
        """The normalized least-cost corridor of one pair of cores.

        Parameters
        ----------
        core_a, core_b : str
            Core ids (in either order: the corridor is symmetric).
        truncate_m : float or None, optional
            Cells above this normalized cost are NaN; default the run's
            truncation, ``None`` for no truncation.

        Returns
        -------
        Raster
            float32 CWD_A + CWD_B - CWD_AB (0 on the least-cost path).
        """
        t = self.truncate_m if truncate_m is ... else truncate_m
        out = np.full(self.resistance.shape, np.nan, dtype="float32")
        key = (core_a, core_b) if (core_a, core_b) in self._pairs else (core_b, core_a)
        if key in self._pairs:
            win, n = self._pairs[key]
            n = n.copy()
        else:
            for c in (core_a, core_b):
                if c not in self._runs:
                    raise ConfigError(f"{where(field='core')}: {c!r} is not a core of this result (cores: {', '.join(self._runs)}).")
            a, b = self._runs[core_a], self._runs[core_b]
            win, n = _normalized(a, b, _pair_cwd(a, b))
        if t is not None:
            n[n > t] = np.nan
        out[win] = n
        return self.resistance.replace(out, nodata=None, name=f"corridor {core_a}-{core_b}")

    def write(self, outdir: str | os.PathLike, stem: str = "linkages", extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None) -> dict[str, Path]:
        """Write the result atomically into a folder.

        Files: ``<stem>.gpkg`` (layers ``cores``, ``linkages`` with straight
        sticks between the cores' nearest points, ``paths`` with the
        least-cost paths; both carrying every attribute), ``<stem>.csv`` (the
        attribute table), ``corridors.tif`` (the truncated normalized
        corridor mosaic) and ``provenance.json``. The folder is built beside
        the target and its files renamed into place only when all are
        written, so a failure leaves no partial output; other files in the
        folder are left alone.

        Parameters
        ----------
        outdir : path-like
        stem : str, default 'linkages'
        extra_layers : mapping, optional
            More GeoPackage layers to include.

        Returns
        -------
        dict of str to Path
        """
        out = Path(outdir)
        names = {"gpkg": f"{stem}.gpkg", "csv": f"{stem}.csv", "mosaic": "corridors.tif", "provenance": "provenance.json"}
        out.mkdir(parents=True, exist_ok=True)
        # Build every file in a hidden folder beside the outputs, then move them in with renames:
        # a failure leaves the folder as it was (other files in it are never touched).
        tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=out))
        try:
            paths = self.linkages
            sticks = paths.set_geometry(_sticks(self.cores, paths), crs=paths.crs)
            layers = {"cores": self.cores, "linkages": sticks, "paths": paths}
            layers.update(extra_layers or {})
            write_geopackage(tmp / names["gpkg"], layers)
            table = pd.DataFrame(paths.drop(columns=paths.geometry.name))
            for col in table.columns:
                if table[col].map(lambda v: isinstance(v, (list, tuple))).any():
                    table[col] = table[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
            table.to_csv(tmp / names["csv"], index=False)
            self.corridor_mosaic.write(tmp / names["mosaic"], dtype="float32")
            prov = {
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "tool": "corridors.lcp.build_linkages",
                "units": "cost-weighted metres (resistance x metres)",
                "params": self.params,
                "n_cores": int(len(self.cores)),
                "n_linkages": int(len(self.linkages)),
                "n_dropped": int(len(self.dropped)),
                "dropped": self.dropped.to_dict(orient="records"),
                "crs": self.resistance.crs.to_wkt() if self.resistance.crs is not None else None,
            }
            (tmp / names["provenance"]).write_text(json.dumps(prov, indent=2, default=str), encoding="utf-8")
            for name in names.values():
                os.replace(tmp / name, out / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return {k: out / v for k, v in names.items()}


def _sticks(cores: gpd.GeoDataFrame, links: gpd.GeoDataFrame) -> list[LineString]:
    geo = dict(zip(cores["core_id"], cores.geometry))
    out = []
    for a, b in zip(links["core_a"], links["core_b"]):
        pa, pb = shapely.ops.nearest_points(geo[a], geo[b])
        out.append(LineString([pa, pb]))
    return out


def _intersect(w1: tuple[slice, slice], w2: tuple[slice, slice]) -> tuple[slice, slice] | None:
    r0, r1 = max(w1[0].start, w2[0].start), min(w1[0].stop, w2[0].stop)
    c0, c1 = max(w1[1].start, w2[1].start), min(w1[1].stop, w2[1].stop)
    if r0 >= r1 or c0 >= c1:
        return None
    return (slice(r0, r1), slice(c0, c1))


def _sub(run: _CoreRun, win: tuple[slice, slice]) -> np.ndarray:
    r0, c0 = run.window[0].start, run.window[1].start
    return run.cwd[win[0].start - r0 : win[0].stop - r0, win[1].start - c0 : win[1].stop - c0]


def _pair_cwd(a: _CoreRun, b: _CoreRun) -> float:
    win = _intersect(a.window, b.window)
    if win is None:
        return math.inf
    s = _sub(a, win).astype("float64") + _sub(b, win)
    return float(np.min(s))


def _normalized(a: _CoreRun, b: _CoreRun, d: float) -> tuple[tuple[slice, slice], np.ndarray]:
    win = _intersect(a.window, b.window)
    if win is None:
        return (slice(0, 0), slice(0, 0)), np.empty((0, 0), dtype="float32")
    n = (_sub(a, win).astype("float64") + _sub(b, win) - d).astype("float32")
    n[~np.isfinite(n)] = np.nan
    np.maximum(n, 0, out=n, where=~np.isnan(n))  # float32 rounding may dip a hair below 0 on the path
    return win, n


def _progress(quiet: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), disable=quiet, transient=True)


def _adjacent_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of distinct positive labels that touch (8-neighbourhood) in an allocation raster."""
    pairs: set[tuple[int, int]] = set()
    for a, b in (
        (labels[:, :-1], labels[:, 1:]),
        (labels[:-1, :], labels[1:, :]),
        (labels[:-1, :-1], labels[1:, 1:]),
        (labels[:-1, 1:], labels[1:, :-1]),
    ):
        m = (a != b) & (a > 0) & (b > 0)
        if m.any():
            lo = np.minimum(a[m], b[m]).astype(np.int64)
            hi = np.maximum(a[m], b[m]).astype(np.int64)
            for code in np.unique(lo * 1_000_003 + hi):
                pairs.add((int(code // 1_000_003), int(code % 1_000_003)))
    return pairs


def build_linkages(
    resistance: Raster,
    cores: gpd.GeoDataFrame,
    max_euclid_m: float | None = None,
    max_cwd_m: float | None = None,
    truncate_m: float | None = DEFAULT_TRUNCATE_M,
    id_field: str = "core_id",
    adjacency: str = "both",
    pairs: Sequence[tuple[str, str]] | None = None,
    drop_through_cores: bool = True,
    drop_overlapping: bool = True,
    borders: gpd.GeoDataFrame | None = None,
    measures: Mapping[tuple[str, str], Sequence[str]] | None = None,
    fully_connected: bool = True,
    quiet: bool = True,
    memory_limit: int | None = None,
) -> LinkageResult:
    """Linkage-Mapper-style linkages, least-cost paths and normalized corridors between core areas.

    Steps (as Linkage Mapper's Build Network and Map Linkages):

    1. one cost-distance run per core (MCP_Geometric, or the lean row sweep
       when MCP would not fit in ``memory_limit``), kept as float32 and
       reused for every linkage of that core;
    2. candidate pairs: cores whose cost-distance allocation zones touch
       (``adjacency='cost'``), whose Euclidean allocation zones touch
       (``'euclidean'``), either (``'both'``, Linkage Mapper's default), every
       pair (``'all'``), or the explicit ``pairs``;
    3. pairs farther apart than ``max_euclid_m`` (edge to edge) or
       ``max_cwd_m`` are dropped, and so is a pair whose least-cost path passes
       through a third core (``drop_through_cores``);
    4. per kept linkage: Euclidean distance, cost-weighted distance (CWD),
       path length, CWD:Euclidean and CWD:path ratios, the borders the path
       crosses, and the corridor's narrowest width within the truncation;
    5. the normalized corridor CWD_A + CWD_B - CWD_AB of every linkage,
       truncated at ``truncate_m`` and mosaicked by minimum.

    Parameters
    ----------
    resistance : Raster
        Cost per metre (> 0), no data impassable.
    cores : GeoDataFrame
        Core areas (polygons, or points: a point takes its cell), with an id
        column; reprojected to the raster's CRS if needed. :func:`cores_from_sites`
        makes them from the programme's sites.
    max_euclid_m, max_cwd_m : float, optional
        Maximum Euclidean (edge-to-edge, m) and cost-weighted distance of a
        linkage. ``max_cwd_m`` also bounds each cost-distance run to the
        window it can reach (exact: no cell farther than
        (max_cwd_m + truncate_m) / min resistance can matter), which makes
        large grids fast.
    truncate_m : float or None, default 200 000 (Linkage Mapper's default)
        Corridor truncation in cost-weighted metres: a cell belongs to a
        linkage's corridor if a path through it costs at most ``truncate_m``
        more than the least-cost path. ``None`` keeps the whole surface.
    id_field : str, default 'core_id'
        Column of core ids (falls back to ``id`` if ``core_id`` is absent).
    adjacency : {'cost', 'euclidean', 'both', 'all'}, default 'both'
        How candidate pairs are found; ignored when ``pairs`` is given.
    pairs : sequence of (str, str), optional
        Exactly these linkages (e.g. the programme's corridors).
    drop_through_cores : bool, default True
        Drop linkages whose least-cost path enters a third core; if False,
        keep them and list the cores in ``through_cores``.
    drop_overlapping : bool, default True
        Drop pairs of cores that share cells (e.g. a reserve inside its
        subpopulation's area): their CWD is 0 and there is no corridor to map.
    borders : GeoDataFrame, optional
        National borders for the ``borders`` column (default the bundled ones;
        skipped when the raster has no CRS).
    measures : mapping (core_a, core_b) -> list of str, optional
        Programme measures to record per linkage (either order). Without it,
        a linkage lists the measures both cores share, if the cores have a
        ``measures`` column.
    fully_connected : bool, default True
        8-neighbour moves.
    quiet : bool, default True
        No progress bar.
    memory_limit : int, optional
        Bytes one cost-distance run may use; picks its engine as in
        :func:`cost_distance` (the per-core float32 surfaces this function
        keeps come on top).

    Returns
    -------
    LinkageResult

    Raises
    ------
    DataError
        Bad resistance (all no data, values <= 0), cores outside the raster or
        on no data only, duplicate core ids.
    ConfigError
        Unknown adjacency, a pair naming an unknown core, negative limits.
    """
    if adjacency not in ADJACENCY:
        raise ConfigError(f"{where(field='adjacency')}: unknown rule {adjacency!r}; use one of {', '.join(ADJACENCY)}.")
    for name, v in (("max_euclid_m", max_euclid_m), ("max_cwd_m", max_cwd_m), ("truncate_m", truncate_m)):
        if v is not None and not v >= 0:
            raise ConfigError(f"{where(field=name)}: must be a non-negative number of metres, got {v!r}.")
    if id_field not in cores.columns and id_field == "core_id" and "id" in cores.columns:
        id_field = "id"
    cores = _check_cores(cores, resistance, id_field)
    ids = list(cores["core_id"])
    index = {c: i for i, c in enumerate(ids)}
    costs = check_resistance(resistance)
    grid_valid = np.isfinite(costs)
    shape = resistance.shape
    cell = max(resistance.res)

    # --- core cells and the label raster (for the third-core test and allocation)
    core_cells: list[np.ndarray] = []
    labels = np.zeros(shape, dtype=np.int32)
    for i, (cid, geom) in enumerate(zip(ids, cores.geometry)):
        cells = source_cells(resistance, [geom], label=f"core {cid!r}")
        core_cells.append(cells)
        labels.ravel()[cells] = i + 1
    n_cells = [len(c) for c in core_cells]

    # --- candidate pairs
    if pairs is not None:
        cand: set[tuple[int, int]] = set()
        for a, b in pairs:
            for c in (a, b):
                if c not in index:
                    raise ConfigError(f"{where(field='pairs')}: {c!r} is not a core id (cores: {', '.join(ids[:12])}).")
            if a != b:
                cand.add(tuple(sorted((index[a], index[b]))))  # type: ignore[arg-type]
    else:
        cand = set()
    geoms = list(cores.geometry)

    # --- one cost-distance run per core
    rmin = float(np.min(costs[grid_valid]))
    reach = None
    if max_cwd_m is not None:
        reach = (max_cwd_m + (truncate_m or 0.0)) / rmin + 2 * cell
    shared = None if reach is not None else _engine(resistance, costs=costs, fully_connected=fully_connected, memory_limit=memory_limit)
    runs: dict[str, _CoreRun] = {}
    paths: dict[tuple[int, int], tuple[float, np.ndarray]] = {}
    best = np.full(shape, np.inf, dtype=np.float32) if (pairs is None and adjacency in ("cost", "both")) else None
    alloc = np.zeros(shape, dtype=np.int32) if best is not None else None
    limit_pairs = pairs is not None
    with _progress(quiet) as prog:
        task = prog.add_task("cost distance per core", total=len(ids))
        for i, cid in enumerate(ids):
            cells = core_cells[i]
            if reach is None:
                window = (slice(0, shape[0]), slice(0, shape[1]))
                engine = shared
                local = cells
            else:
                rr, cc = np.unravel_index(cells, shape)
                k = int(math.ceil(reach / cell))
                window = (slice(max(rr.min() - k, 0), min(rr.max() + k + 1, shape[0])), slice(max(cc.min() - k, 0), min(cc.max() + k + 1, shape[1])))
                sub = costs[window]
                sub_r = Raster(resistance.array[window], resistance.transform @ Affine.translation(window[1].start, window[0].start), resistance.crs, resistance.nodata, resistance.label)
                engine = _engine(sub_r, costs=sub, fully_connected=fully_connected, memory_limit=memory_limit)
                local = np.ravel_multi_index((rr - window[0].start, cc - window[1].start), sub.shape)
            cum = engine.run(local)
            # Least-cost paths to every later core, while this MCP's traceback is alive.
            for j in range(i + 1, len(ids)):
                if limit_pairs and (i, j) not in cand:
                    continue
                jr, jc = np.unravel_index(core_cells[j], shape)
                inside = (jr >= window[0].start) & (jr < window[0].stop) & (jc >= window[1].start) & (jc < window[1].stop)
                if not inside.any():
                    continue
                jl = np.ravel_multi_index((jr[inside] - window[0].start, jc[inside] - window[1].start), cum.shape)
                vals = cum.ravel()[jl]
                k = int(np.argmin(vals))
                d = float(vals[k])
                if not np.isfinite(d) or (max_cwd_m is not None and d > max_cwd_m):
                    continue
                rc = engine.path(jl[k])
                rc[:, 0] += window[0].start
                rc[:, 1] += window[1].start
                paths[(i, j)] = (d, rc)
            cwd32 = cum.astype(np.float32)
            runs[cid] = _CoreRun(window, cwd32)
            if best is not None:
                view = best[window]
                better = cwd32 < view
                view[better] = cwd32[better]
                alloc[window][better] = i + 1  # type: ignore[index]
            prog.advance(task)
            del cum

    # --- candidates by adjacency
    if pairs is None:
        if adjacency == "all":
            cand = {(i, j) for i in range(len(ids)) for j in range(i + 1, len(ids))}
        if adjacency in ("cost", "both"):
            cand |= {(a - 1, b - 1) for a, b in _adjacent_pairs(alloc)}  # type: ignore[arg-type]
        if adjacency in ("euclidean", "both"):
            core_mask = labels > 0
            _, (ri, ci) = ndimage.distance_transform_edt(~core_mask, return_indices=True)
            ealloc = labels[ri, ci]
            ealloc[~grid_valid] = 0
            cand |= {(a - 1, b - 1) for a, b in _adjacent_pairs(ealloc)}
            del ri, ci, ealloc
    del best, alloc

    # --- filter and measure
    from corridors.borders import borders_crossed

    rows, dropped = [], []
    for i, j in sorted(cand):
        a, b = ids[i], ids[j]
        e = float(geoms[i].distance(geoms[j]))
        if max_euclid_m is not None and e > max_euclid_m:
            dropped.append({"core_a": a, "core_b": b, "reason": f"euclidean distance {e:.0f} m > max_euclid_m"})
            continue
        if (i, j) not in paths:
            dropped.append({"core_a": a, "core_b": b, "reason": "no path within max_cwd_m" if max_cwd_m is not None else "unreachable"})
            continue
        d, rc = paths[(i, j)]
        if d == 0.0 and drop_overlapping:
            dropped.append({"core_a": a, "core_b": b, "reason": "cores overlap or share cells (merge them or keep one)"})
            continue
        flat = rc[:, 0] * shape[1] + rc[:, 1]
        on = np.unique(labels.ravel()[flat])
        through = [ids[k - 1] for k in on if k > 0 and k - 1 not in (i, j)]
        if through and drop_through_cores:
            dropped.append({"core_a": a, "core_b": b, "reason": f"least-cost path passes through core(s) {', '.join(through)}"})
            continue
        line, length = _path_line(resistance, rc)
        width = _min_width(runs[a], runs[b], d, truncate_m, rc, labels, (i + 1, j + 1), cell)
        rows.append(
            {
                "core_a": a,
                "core_b": b,
                "euclid_m": e,
                "cwd_m": d,
                "lcp_length_m": length,
                "cwd_to_euclid": d / e if e > 0 else math.nan,
                "cwd_to_path": d / length if length > 0 else math.nan,
                "min_width_m": width,
                "through_cores": through,
                "geometry": line,
            }
        )
    crs = resistance.crs
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else gpd.GeoDataFrame(
        {c: [] for c in ("core_a", "core_b", "euclid_m", "cwd_m", "lcp_length_m", "cwd_to_euclid", "cwd_to_path", "min_width_m", "through_cores")},
        geometry=gpd.GeoSeries([], crs=crs),
    )
    # borders its path crosses
    if len(links) and crs is not None:
        if borders is None:
            from corridors.borders import load_borders

            borders = load_borders().to_crs(crs)
        links["borders"] = borders_crossed(links.geometry, borders) if borders is not None else [[] for _ in range(len(links))]
    else:
        links["borders"] = [[] for _ in range(len(links))]
    links["measures"] = [_link_measures(a, b, cores, measures) for a, b in zip(links["core_a"], links["core_b"])]
    cols = ["core_a", "core_b", "euclid_m", "cwd_m", "lcp_length_m", "cwd_to_euclid", "cwd_to_path", "min_width_m", "borders", "measures", "through_cores", "geometry"]
    links = links[cols]

    # --- mosaic of normalized corridors
    mosaic = np.full(shape, np.nan, dtype=np.float32)
    for a, b, d in zip(links["core_a"], links["core_b"], links["cwd_m"]):
        win, n = _normalized(runs[a], runs[b], float(d))
        if truncate_m is not None:
            n[n > truncate_m] = np.nan
        mosaic[win] = np.fmin(mosaic[win], n)

    core_out = cores[["core_id"] + [c for c in ("name", "kind") if c in cores.columns]].copy()
    core_out["n_cells"] = n_cells
    core_out["area_ha"] = cores.geometry.area.to_numpy() / 1e4
    core_out = gpd.GeoDataFrame(core_out, geometry=cores.geometry.to_numpy(), crs=cores.crs)
    params = {
        "max_euclid_m": max_euclid_m,
        "max_cwd_m": max_cwd_m,
        "truncate_m": truncate_m,
        "adjacency": adjacency if pairs is None else "explicit pairs",
        "drop_through_cores": drop_through_cores,
        "fully_connected": fully_connected,
        "resolution_m": cell,
        "shape": list(shape),
        "resistance": resistance.label,
    }
    return LinkageResult(
        cores=core_out,
        linkages=links.reset_index(drop=True),
        dropped=pd.DataFrame(dropped, columns=["core_a", "core_b", "reason"]),
        corridor_mosaic=resistance.replace(mosaic, nodata=None, name="normalized corridors"),
        truncate_m=truncate_m,
        resistance=resistance,
        params=params,
        _runs=runs,
    )


def _as_list(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.split(";") if s.strip()]
    return [str(s) for s in v]


def _link_measures(a: str, b: str, cores: gpd.GeoDataFrame, measures: Mapping[tuple[str, str], Sequence[str]] | None) -> list[str]:
    if measures is not None:
        return sorted(set(_as_list(measures.get((a, b)))) | set(_as_list(measures.get((b, a)))))
    if "measures" not in cores.columns:
        return []
    m = dict(zip(cores["core_id"], cores["measures"]))
    return sorted(set(_as_list(m.get(a))) & set(_as_list(m.get(b))))


def _min_width(
    ra: _CoreRun, rb: _CoreRun, d: float, truncate_m: float | None, rc: np.ndarray, labels: np.ndarray, own: tuple[int, int], cell: float
) -> float:
    """Width (m) of the truncated corridor at its narrowest point along the least-cost path.

    The corridor is the set of cells whose normalized cost is within the
    truncation, plus the two cores. Its width at a path cell is the diameter
    of the largest disc that lies inside the corridor and covers the cell
    (the "local thickness" of image analysis), with discs centred outside
    the cores but free to reach into them, measured on cell centres: a
    straight strip k cells wide measures k cells (k - 1 for even k). The
    result is the minimum over path cells outside the two cores, in metres;
    NaN without truncation or when the whole path lies inside the cores.
    Written by hand because no well-kept library computes local thickness on
    a path (porespy does it for whole images, at much higher cost).
    """
    if truncate_m is None:
        return math.nan
    win, n = _normalized(ra, rb, d)
    r0, c0 = win[0].start, win[1].start
    keep = ~np.isin(labels[rc[:, 0], rc[:, 1]], own)
    rc = rc[keep]
    inside = (rc[:, 0] >= r0) & (rc[:, 0] < win[0].stop) & (rc[:, 1] >= c0) & (rc[:, 1] < win[1].stop)
    rc = rc[inside]
    if len(rc) == 0:
        return math.nan
    in_cores = np.isin(labels[win], own)
    # The two cores are habitat the corridor opens into, not its edge...
    mask = (n <= truncate_m) | in_cores  # NaN compares False: outside
    # Distance from each corridor cell centre to the nearest cell outside (the grid edge counts as outside).
    dist = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    # ...but they are not corridor: discs are centred outside them, so a core's bulk does not pass for width.
    dist[in_cores] = 0.0
    rr, cc = rc[:, 0] - r0, rc[:, 1] - c0
    reach = int(math.ceil(float(dist[rr, cc].max()) * 2)) + 1  # a covering disc's centre lies within 2 radii
    reach = min(reach, int(math.ceil(float(dist.max()))) + 1)
    padded = np.pad(dist, reach)
    dy, dx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    d2 = (dy * dy + dx * dx).astype(float)
    best = math.inf
    for r, c in zip(rr, cc):
        patch = padded[r : r + 2 * reach + 1, c : c + 2 * reach + 1]
        covers = d2 < patch * patch  # discs centred at q of radius dist(q) that contain this path cell
        lt = float(patch[covers].max()) if covers.any() else float(dist[r, c])
        best = min(best, lt)
    return (2.0 * best - 1.0) * cell


def _fmt_bounds(bounds: Sequence[float]) -> str:
    """'(left, bottom, right, top)' rounded to whole units, without numpy reprs, for messages."""
    return "(" + ", ".join(f"{float(b):.0f}" for b in bounds) + ")"


def crop(raster: Raster, bounds: Sequence[float]) -> tuple[Raster, tuple[int, int]]:
    """The part of a raster inside ``bounds`` (whole cells), and its (row, col) offset in the parent.

    Parameters
    ----------
    raster : Raster
    bounds : (left, bottom, right, top)
        In the raster's CRS; clipped to the raster.

    Returns
    -------
    (Raster, (int, int))
    """
    r0, c0 = raster.rowcol(bounds[0], bounds[3])
    r1, c1 = raster.rowcol(bounds[2], bounds[1])
    r0, c0 = max(int(r0), 0), max(int(c0), 0)
    r1, c1 = min(int(r1) + 1, raster.shape[0]), min(int(c1) + 1, raster.shape[1])
    if r0 >= r1 or c0 >= c1:
        raise DataError(f"{raster.label}: the area {_fmt_bounds(bounds)} lies outside the raster {_fmt_bounds(raster.bounds)}; "
                        "give places inside it or a raster that covers them.")
    t = raster.transform @ Affine.translation(c0, r0)
    return Raster(raster.array[r0:r1, c0:c1], t, raster.crs, raster.nodata, raster.label), (r0, c0)


def programme_corridors(
    resistance: Raster | None = None,
    sites: gpd.GeoDataFrame | None = None,
    corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
    core_radius_m: float = 5000.0,
    truncate_m: float | None = DEFAULT_TRUNCATE_M,
    margin_m: float = 100_000.0,
    quiet: bool = True,
    memory_limit: int | None = None,
) -> LinkageResult:
    """The candidate corridors the work programme names, with their metrics and measure numbers.

    Each corridor joins two sites of ``data/sites.geojson`` (see
    :data:`PROGRAMME_CORRIDORS`). It is computed like a Linkage Mapper
    linkage (:func:`build_linkages` with the pair given), inside a window
    around its two ends grown by ``margin_m`` (or half the distance between
    the ends, if larger); if the least-cost path touches the window's edge
    the window is doubled and the corridor recomputed, so the window never
    cuts a path short.

    Parameters
    ----------
    resistance : Raster, optional
        Default: :func:`corridors.landscape.build_resistance` at 1 km over the
        ends' extent plus 150 km.
    sites : GeoDataFrame, optional
        Default ``corridors.sites.load_sites()``.
    corridors : sequence of ProgrammeCorridor
        Which corridors (default all of the programme's).
    core_radius_m : float, default 5 km
        Each end is a core of this radius around the site's point: a tugay
        patch, not the site's (much larger) location uncertainty, which is
        reported as ``precision_km_a`` / ``precision_km_b``.
    truncate_m : float or None, default 200 000
        Corridor truncation (cost-weighted metres).
    margin_m : float, default 100 km
        Initial margin of each corridor's window.
    quiet : bool, default True
        No progress bar.
    memory_limit : int, optional
        Bytes one cost-distance run may use; picks its engine as in
        :func:`cost_distance`.

    Returns
    -------
    LinkageResult
        ``linkages`` has, besides the linkage metrics, ``corridor`` (key,
        e.g. '2.1a'), ``measure``, ``name``, ``reading``, ``precision_km_a``
        and ``precision_km_b``; ``corridor_mosaic`` covers the whole
        resistance grid.

    Raises
    ------
    DataError
        If an end id is not among the sites or has no location.
    """
    from corridors import sites as sites_mod
    from corridors.landscape import bounds_around, build_resistance

    s = sites_mod.load_sites() if sites is None else sites
    if resistance is not None:
        _check_metric_crs(resistance, s.crs)
    if resistance is not None and resistance.crs is not None and s.crs is not None and s.crs != resistance.crs:
        s = s.to_crs(resistance.crs)
    by_id = s.set_index("id")
    ends: list[str] = []
    for c in corridors:
        for e in (c.end_a, c.end_b):
            if e not in by_id.index:
                raise DataError(f"{where('sites', feature=e, field='id')}: corridor {c.key} needs this end; add the site or change the corridor.")
            g = by_id.loc[e].geometry
            if g is None or g.is_empty:
                raise DataError(f"{where('sites', feature=e, field='geometry')}: corridor {c.key} needs a located end; the site is unresolved.")
            if e not in ends:
                ends.append(e)
    core_sites = s[s["id"].isin(ends)]
    cores = cores_from_sites(core_sites, radius_m=core_radius_m)
    if resistance is None:
        resistance = build_resistance(bounds=bounds_around(core_sites, 150_000.0))
    geo = dict(zip(cores["core_id"], cores.geometry))
    prec = dict(zip(by_id.index, pd.to_numeric(by_id["location_precision_km"], errors="coerce")))
    mosaic = np.full(resistance.shape, np.nan, dtype=np.float32)
    rows, dropped, pair_cache = [], [], {}
    with _progress(quiet) as prog:
        task = prog.add_task("programme corridors", total=len(corridors))
        for c in corridors:
            pair = cores[cores["core_id"].isin([c.end_a, c.end_b])]
            dist = geo[c.end_a].distance(geo[c.end_b])
            margin = max(margin_m, 0.5 * dist)
            for _attempt in range(4):
                window = bounds_around(pair, margin)
                try:
                    sub, (r0, c0) = crop(resistance, window)
                except DataError:
                    raise DataError(
                        f"{resistance.label}: corridor {c.key} ({c.end_a} - {c.end_b}) lies outside the raster "
                        f"{_fmt_bounds(resistance.bounds)}; give a resistance raster that covers the programme's corridors "
                        "(or leave --resistance out to build one)."
                    ) from None
                res = build_linkages(
                    sub, pair, pairs=[(c.end_a, c.end_b)], truncate_m=truncate_m, drop_through_cores=False,
                    measures={(c.end_a, c.end_b): [c.measure]}, quiet=True,
                    memory_limit=memory_limit,
                )
                if len(res.linkages) == 0:
                    break
                xy = shapely.get_coordinates(res.linkages.geometry.iloc[0])
                rr, cc = sub.rowcol(xy[:, 0], xy[:, 1])
                full = sub.shape == resistance.shape
                at_edge = (rr.min() <= 0) or (cc.min() <= 0) or (rr.max() >= sub.shape[0] - 1) or (cc.max() >= sub.shape[1] - 1)
                if not at_edge or full:
                    break
                margin *= 2
            if len(res.linkages) == 0:
                dropped.append({"core_a": c.end_a, "core_b": c.end_b, "reason": f"corridor {c.key}: no path (ends separated by no data)"})
                prog.advance(task)
                continue
            row = res.linkages.iloc[0].to_dict()
            row.update(corridor=c.key, measure=c.measure, name=c.name, reading=c.reading,
                       precision_km_a=float(prec[row["core_a"]]), precision_km_b=float(prec[row["core_b"]]))
            rows.append(row)
            n = res.corridor(c.end_a, c.end_b, truncate_m=None).array
            win = (slice(r0, r0 + sub.shape[0]), slice(c0, c0 + sub.shape[1]))
            pair_cache[(c.end_a, c.end_b)] = (win, n)
            t = n if truncate_m is None else np.where(n <= truncate_m, n, np.nan)
            mosaic[win] = np.fmin(mosaic[win], t)
            prog.advance(task)
    cols = ["corridor", "measure", "name", "core_a", "core_b", "euclid_m", "cwd_m", "lcp_length_m", "cwd_to_euclid", "cwd_to_path",
            "min_width_m", "borders", "measures", "precision_km_a", "precision_km_b", "reading", "geometry"]
    links = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=resistance.crs)
    core_out = cores[[c for c in ("core_id", "name", "kind", "location_precision_km") if c in cores.columns]].copy()
    core_out = gpd.GeoDataFrame(core_out, geometry=cores.geometry.to_numpy(), crs=cores.crs)
    core_out["area_ha"] = core_out.geometry.area / 1e4
    params = {"mode": "programme corridors", "core_radius_m": core_radius_m, "truncate_m": truncate_m, "margin_m": margin_m,
              "corridors": [c.key for c in corridors], "resolution_m": max(resistance.res), "shape": list(resistance.shape),
              "resistance": resistance.label}
    return LinkageResult(
        cores=core_out, linkages=links, dropped=pd.DataFrame(dropped, columns=["core_a", "core_b", "reason"]),
        corridor_mosaic=resistance.replace(mosaic, nodata=None, name="normalized corridors"), truncate_m=truncate_m,
        resistance=resistance, params=params, _pairs=pair_cache,
    )


# ----------------------------------------------------------------------------- map
def plot_linkages(result: LinkageResult, ax: Any = None, bounds: Sequence[float] | None = None, title: str | None = None,
                  label: str = "auto") -> tuple[Any, Any]:
    """Draw corridors, least-cost paths and cores over the programme base map.

    Parameters
    ----------
    result : LinkageResult
    ax : matplotlib Axes, optional
    bounds : (left, bottom, right, top), optional
        Map frame in working-CRS metres; default the cores' extent plus 150 km.
    title : str, optional
    label : {'auto', 'corridor', 'pair', 'none'}
        Path labels: programme corridor keys, the core pair (the cores are then
        labelled with their ids too), or none; ``auto`` picks corridor keys when
        present, pairs for up to 12 linkages, else none.

    Returns
    -------
    (Figure, Axes)
    """
    import matplotlib.colors as mcolors
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from corridors import plot
    from corridors.landscape import bounds_around

    b = tuple(bounds) if bounds is not None else bounds_around(result.cores, 150_000.0)
    fig, ax = plot.base_map(ax=ax, bounds=b)
    m = result.corridor_mosaic
    arr = np.ma.masked_invalid(m.array.astype(float))
    left, bottom, right, top = m.bounds
    vmax = result.truncate_m or float(np.nanmax(m.array)) if np.isfinite(m.array).any() else 1.0
    cmap = mcolors.LinearSegmentedColormap.from_list("corr", ["#7a0177", "#f768a1", "#fde0dd"])
    im = ax.imshow(arr, extent=(left, right, bottom, top), cmap=cmap, vmin=0, vmax=vmax, alpha=0.75,
                   zorder=plot.STYLE["z"]["overlay"], interpolation="nearest")
    result.cores.plot(ax=ax, facecolor="#1b7837", edgecolor="#00441b", linewidth=0.6, alpha=0.8, zorder=plot.STYLE["z"]["overlay"] + 1)
    links = result.linkages
    if len(links):
        links.plot(ax=ax, color="#08306b", linewidth=1.2, zorder=plot.STYLE["z"]["overlay"] + 2)
        if label == "auto":
            mode = "corridor" if "corridor" in links.columns else ("pair" if len(links) <= 12 else "none")
        else:
            mode = label
        if mode != "none":
            texts = []
            if mode == "pair":
                # the pair labels 'a-b' say nothing unless the cores carry their ids too
                for cid, geom in zip(result.cores["core_id"], result.cores.geometry):
                    pt = geom.representative_point()
                    texts.append(ax.text(pt.x, pt.y, str(cid), fontsize=plot.STYLE["font_size"], color="#00441b",
                                         fontweight="bold", zorder=plot.STYLE["z"]["labels"], path_effects=plot._halo()))
            for _, r in links.iterrows():
                pt = r.geometry.interpolate(0.5, normalized=True)
                txt = r["corridor"] if mode == "corridor" else f"{r['core_a']}-{r['core_b']}"
                texts.append(ax.text(pt.x, pt.y, txt, fontsize=plot.STYLE["font_size"], color="#08306b", fontweight="bold",
                                     zorder=plot.STYLE["z"]["labels"], path_effects=plot._halo()))
            try:
                from adjustText import adjust_text

                adjust_text(texts, ax=ax, expand=(1.2, 1.4))
            except Exception:  # label placement is cosmetic; never fail a map over it
                pass
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("normalized corridor cost (cost-weighted m above the least-cost path)", fontsize=plot.STYLE["font_size"])
    cb.ax.tick_params(labelsize=plot.STYLE["font_size"])
    handles = [Patch(facecolor="#1b7837", edgecolor="#00441b", label="core area / corridor end"),
               Line2D([], [], color="#08306b", lw=1.2, label="least-cost path")]
    ax.legend(handles=handles, loc="lower left", fontsize=plot.STYLE["font_size"], framealpha=0.85).set_zorder(plot.STYLE["z"]["labels"])
    if title:
        ax.set_title(title, fontsize=plot.STYLE["font_size"] + 2)
    return fig, ax


__all__ = [
    "ADJACENCY",
    "DEFAULT_TRUNCATE_M",
    "MCP_BYTES_PER_CELL",
    "SWEEP_BYTES_PER_CELL",
    "LinkageResult",
    "crop",
    "plot_linkages",
    "programme_corridors",
    "build_linkages",
    "cores_from_sites",
    "cost_distance",
    "cost_distance_engine",
    "least_cost_path",
    "source_cells",
]

