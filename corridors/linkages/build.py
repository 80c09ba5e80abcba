"""Linkage-Mapper-style linkages between core areas, in named steps: checks, per-core cost distance, adjacency, per-pair metrics, mosaic."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from scipy import ndimage
import shapely

from corridors._errors import ConfigError, where
from corridors.io import decode_list
from corridors.borders import borders_crossed, load_borders
from corridors.landscape import check_resistance
from corridors.lcp import _engine, _Engine, _path_line, _SweepEngine, source_cells
from corridors.linkages.cores import _check_cores
from corridors.linkages.result import LinkageResult, _CoreRun, _min_width, _normalized
from corridors.raster import Raster

#: Linkage Mapper's default corridor truncation, in cost-weighted metres.
DEFAULT_TRUNCATE_M: float = 200_000.0

#: Adjacency rules for candidate linkages (see :func:`build_linkages`).
ADJACENCY = ("cost", "euclidean", "both", "all")

#: Columns of :attr:`LinkageResult.linkages`, in order.
LINKAGE_COLUMNS = ["core_a", "core_b", "euclid_m", "cwd_m", "lcp_length_m", "cwd_to_euclid", "cwd_to_path", "min_width_m",
                   "borders", "measures", "through_cores", "geometry"]


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


def _progress(quiet: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), disable=quiet, transient=True)


# ----------------------------------------------------------------------------- build_linkages, step by step
@dataclass(frozen=True)
class _Rules:
    """The parameters of one :func:`build_linkages` run, checked once and passed to its steps together."""

    max_euclid_m: float | None
    max_cwd_m: float | None
    truncate_m: float | None
    adjacency: str
    pairs: Sequence[tuple[str, str]] | None
    drop_through_cores: bool
    drop_overlapping: bool
    fully_connected: bool
    memory_limit: int | None

    def check(self) -> None:
        """Raise ConfigError on an unknown adjacency rule or a negative limit."""
        if self.adjacency not in ADJACENCY:
            raise ConfigError(f"{where(field='adjacency')}: unknown rule {self.adjacency!r}; use one of {', '.join(ADJACENCY)}.")
        for name, v in (("max_euclid_m", self.max_euclid_m), ("max_cwd_m", self.max_cwd_m), ("truncate_m", self.truncate_m)):
            if v is not None and not v >= 0:
                raise ConfigError(f"{where(field=name)}: must be a non-negative number of metres, got {v!r}.")


@dataclass
class _CoreGrid:
    """The cores placed on the resistance grid: their cells and a label raster (core i has label i + 1, 0 elsewhere)."""

    resistance: Raster
    costs: np.ndarray  # check_resistance's float64 costs, NaN on no data
    cores: gpd.GeoDataFrame
    ids: list[str]
    cells: list[np.ndarray]
    labels: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.resistance.shape

    @property
    def cell(self) -> float:
        return max(self.resistance.res)


def _cores_on_grid(resistance: Raster, cores: gpd.GeoDataFrame, id_field: str) -> _CoreGrid:
    """Step 1, checks: the cores (ids unique, CRS matched) and the resistance (> 0), and the cells of every core."""
    if id_field not in cores.columns and id_field == "core_id" and "id" in cores.columns:
        id_field = "id"
    cores, resistance = _check_cores(cores, resistance, id_field)
    ids = list(cores["core_id"])
    costs = check_resistance(resistance)
    cells: list[np.ndarray] = []
    labels = np.zeros(resistance.shape, dtype=np.int32)
    for i, (cid, geom) in enumerate(zip(ids, cores.geometry)):
        c = source_cells(resistance, [geom], label=f"core {cid!r}")
        cells.append(c)
        labels.ravel()[c] = i + 1
    return _CoreGrid(resistance, costs, cores, ids, cells, labels)


def _explicit_pairs(pairs: Sequence[tuple[str, str]], ids: list[str]) -> set[tuple[int, int]]:
    """The given pairs as sorted index pairs; ConfigError naming a pair's unknown core."""
    index = {c: i for i, c in enumerate(ids)}
    cand: set[tuple[int, int]] = set()
    for a, b in pairs:
        for c in (a, b):
            if c not in index:
                raise ConfigError(f"{where(field='pairs')}: {c!r} is not a core id (cores: {', '.join(ids[:12])}).")
        if a != b:
            cand.add(tuple(sorted((index[a], index[b]))))  # type: ignore[arg-type]
    return cand


def _window(cells: np.ndarray, shape: tuple[int, int], reach: float, cell: float) -> tuple[slice, slice]:
    """The cells within ``reach`` metres (as a square) of a core's cells, clipped to the grid."""
    rr, cc = np.unravel_index(cells, shape)
    k = int(math.ceil(reach / cell))
    return (slice(max(rr.min() - k, 0), min(rr.max() + k + 1, shape[0])), slice(max(cc.min() - k, 0), min(cc.max() + k + 1, shape[1])))


def _paths_from(i: int, cum: np.ndarray, engine: _Engine | _SweepEngine, window: tuple[slice, slice], grid: _CoreGrid,
                rules: _Rules, cand: set[tuple[int, int]], paths: dict[tuple[int, int], tuple[float, np.ndarray]]) -> None:
    """Least-cost paths from core i to every later core (only the explicit pairs, if given) that its run reached."""
    for j in range(i + 1, len(grid.ids)):
        if rules.pairs is not None and (i, j) not in cand:
            continue
        jr, jc = np.unravel_index(grid.cells[j], grid.shape)
        inside = (jr >= window[0].start) & (jr < window[0].stop) & (jc >= window[1].start) & (jc < window[1].stop)
        if not inside.any():
            continue
        jl = np.ravel_multi_index((jr[inside] - window[0].start, jc[inside] - window[1].start), cum.shape)
        vals = cum.ravel()[jl]
        k = int(np.argmin(vals))
        d = float(vals[k])
        if not np.isfinite(d) or (rules.max_cwd_m is not None and d > rules.max_cwd_m):
            continue
        rc = engine.path(jl[k])
        rc[:, 0] += window[0].start
        rc[:, 1] += window[1].start
        paths[(i, j)] = (d, rc)


def _cost_runs(grid: _CoreGrid, rules: _Rules, cand: set[tuple[int, int]], quiet: bool
               ) -> tuple[dict[str, _CoreRun], dict[tuple[int, int], tuple[float, np.ndarray]], np.ndarray | None]:
    """Step 2, per-core cost distance: one run per core, its paths to later cores, and the cost allocation.

    With ``max_cwd_m`` each run is bounded to the window it can reach (exact:
    no cell farther than (max_cwd_m + truncate_m) / min resistance can
    matter); else one engine over the whole grid serves every core.

    Returns
    -------
    runs : dict of core id to _CoreRun
        float32 cost distance inside the run's window.
    paths : dict of (i, j) to (cwd, path cells)
    alloc : ndarray or None
        Cost allocation (label of the nearest core by cost), when adjacency needs it.
    """
    resistance, costs, shape, cell = grid.resistance, grid.costs, grid.shape, grid.cell
    rmin = float(np.min(costs[np.isfinite(costs)]))
    reach = None
    if rules.max_cwd_m is not None:
        reach = (rules.max_cwd_m + (rules.truncate_m or 0.0)) / rmin + 2 * cell
    shared = None if reach is not None else _engine(resistance, costs=costs, fully_connected=rules.fully_connected,
                                                    memory_limit=rules.memory_limit)
    runs: dict[str, _CoreRun] = {}
    paths: dict[tuple[int, int], tuple[float, np.ndarray]] = {}
    best = np.full(shape, np.inf, dtype=np.float32) if (rules.pairs is None and rules.adjacency in ("cost", "both")) else None
    alloc = np.zeros(shape, dtype=np.int32) if best is not None else None
    with _progress(quiet) as prog:
        task = prog.add_task("cost distance per core", total=len(grid.ids))
        for i, cid in enumerate(grid.ids):
            cells = grid.cells[i]
            if reach is None:
                window = (slice(0, shape[0]), slice(0, shape[1]))
                engine = shared
                local = cells
            else:
                window = _window(cells, shape, reach, cell)
                sub = costs[window]
                sub_r = Raster(resistance.array[window], resistance.transform @ Affine.translation(window[1].start, window[0].start),
                               resistance.crs, resistance.nodata, resistance.label)
                engine = _engine(sub_r, costs=sub, fully_connected=rules.fully_connected, memory_limit=rules.memory_limit)
                rr, cc = np.unravel_index(cells, shape)
                local = np.ravel_multi_index((rr - window[0].start, cc - window[1].start), sub.shape)
            cum = engine.run(local)
            # Least-cost paths to every later core, while this MCP's traceback is alive.
            _paths_from(i, cum, engine, window, grid, rules, cand, paths)
            cwd32 = cum.astype(np.float32)
            runs[cid] = _CoreRun(window, cwd32)
            if best is not None:
                view = best[window]
                better = cwd32 < view
                view[better] = cwd32[better]
                alloc[window][better] = i + 1  # type: ignore[index]
            prog.advance(task)
            del cum
    return runs, paths, alloc


def _candidates(grid: _CoreGrid, rules: _Rules, alloc: np.ndarray | None) -> set[tuple[int, int]]:
    """Step 3, adjacency: the pairs whose cost (``alloc``) or Euclidean allocation zones touch, or every pair."""
    n = len(grid.ids)
    cand: set[tuple[int, int]] = set()
    if rules.adjacency == "all":
        cand = {(i, j) for i in range(n) for j in range(i + 1, n)}
    if rules.adjacency in ("cost", "both"):
        cand |= {(a - 1, b - 1) for a, b in _adjacent_pairs(alloc)}  # type: ignore[arg-type]
    if rules.adjacency in ("euclidean", "both"):
        labels = grid.labels
        _, (ri, ci) = ndimage.distance_transform_edt(~(labels > 0), return_indices=True)
        ealloc = labels[ri, ci]
        ealloc[~np.isfinite(grid.costs)] = 0
        cand |= {(a - 1, b - 1) for a, b in _adjacent_pairs(ealloc)}
    return cand


def _measure_pair(i: int, j: int, grid: _CoreGrid, rules: _Rules, runs: dict[str, _CoreRun],
                  paths: dict[tuple[int, int], tuple[float, np.ndarray]]) -> tuple[dict[str, Any] | None, str | None]:
    """Step 4 for one pair: its row of metrics, or None and the reason it is dropped."""
    a, b = grid.ids[i], grid.ids[j]
    geoms = grid.cores.geometry
    e = float(geoms.iloc[i].distance(geoms.iloc[j]))
    if rules.max_euclid_m is not None and e > rules.max_euclid_m:
        return None, f"euclidean distance {e:.0f} m > max_euclid_m"
    if (i, j) not in paths:
        return None, "no path within max_cwd_m" if rules.max_cwd_m is not None else "unreachable"
    d, rc = paths[(i, j)]
    if d == 0.0 and rules.drop_overlapping:
        return None, "cores overlap or share cells (merge them or keep one)"
    on = np.unique(grid.labels.ravel()[rc[:, 0] * grid.shape[1] + rc[:, 1]])
    through = [grid.ids[k - 1] for k in on if k > 0 and k - 1 not in (i, j)]
    if through and rules.drop_through_cores:
        return None, f"least-cost path passes through core(s) {', '.join(through)}"
    line, length = _path_line(grid.resistance, rc)
    width = _min_width(runs[a], runs[b], d, rules.truncate_m, rc, grid.labels, (i + 1, j + 1), grid.cell)
    return {
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
    }, None


def _whole_paths(links: gpd.GeoDataFrame, cores: gpd.GeoDataFrame) -> list[shapely.LineString]:
    """Each least-cost path extended inside its end cores, from core A's representative point to core B's.

    The path itself runs from a cell at the edge of one core to the edge of
    the other; a border inside a core (a reserve whose disc spans the river
    that is the border) is still crossed by the animals that use the
    corridor, and counting it on the whole path makes the count the same at
    any cell size.
    """
    at = dict(zip(cores["core_id"], cores.geometry.representative_point()))
    out = []
    for a, b, line in zip(links["core_a"], links["core_b"], links.geometry):
        xy = list(line.coords)
        pa, pb = at[a], at[b]
        if pa.distance(shapely.Point(xy[0])) > pa.distance(shapely.Point(xy[-1])):
            xy = xy[::-1]
        out.append(shapely.LineString([(pa.x, pa.y), *xy, (pb.x, pb.y)]))
    return out


def _linkage_frame(rows: list[dict[str, Any]], grid: _CoreGrid, borders: gpd.GeoDataFrame | None,
                   measures: Mapping[tuple[str, str], Sequence[str]] | None) -> gpd.GeoDataFrame:
    """Step 4, the table: the kept linkages with the borders their paths cross and their measures."""
    crs = grid.resistance.crs
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else gpd.GeoDataFrame(
        {c: [] for c in LINKAGE_COLUMNS if c not in ("borders", "measures", "geometry")}, geometry=gpd.GeoSeries([], crs=crs),
    )
    if len(links) and crs is not None:
        if borders is None:
            borders = load_borders().to_crs(crs)
        links["borders"] = borders_crossed(_whole_paths(links, grid.cores), borders)
    else:
        links["borders"] = [[] for _ in range(len(links))]
    links["measures"] = [_link_measures(a, b, grid.cores, measures) for a, b in zip(links["core_a"], links["core_b"])]
    return links[LINKAGE_COLUMNS].reset_index(drop=True)


def _mosaic(links: gpd.GeoDataFrame, runs: dict[str, _CoreRun], shape: tuple[int, int], truncate_m: float | None) -> np.ndarray:
    """Step 5: the normalized corridor of every linkage, truncated, mosaicked by minimum."""
    mosaic = np.full(shape, np.nan, dtype=np.float32)
    for a, b, d in zip(links["core_a"], links["core_b"], links["cwd_m"]):
        win, n = _normalized(runs[a], runs[b], float(d))
        if truncate_m is not None:
            n[n > truncate_m] = np.nan
        mosaic[win] = np.fmin(mosaic[win], n)
    return mosaic


def _cores_table(grid: _CoreGrid) -> gpd.GeoDataFrame:
    cores = grid.cores
    out = cores[["core_id"] + [c for c in ("name", "kind") if c in cores.columns]].copy()
    out["n_cells"] = [len(c) for c in grid.cells]
    out["area_ha"] = cores.geometry.area.to_numpy() / 1e4
    return gpd.GeoDataFrame(out, geometry=cores.geometry.to_numpy(), crs=cores.crs)


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
       crosses (on the whole path, from core centre to core centre), and the corridor's narrowest width within the truncation;
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
    rules = _Rules(max_euclid_m, max_cwd_m, truncate_m, adjacency, pairs, drop_through_cores, drop_overlapping,
                   fully_connected, memory_limit)
    rules.check()
    grid = _cores_on_grid(resistance, cores, id_field)
    resistance = grid.resistance  # a raster without a CRS now carries the cores' (linkages.cores.place_raster)
    cand = _explicit_pairs(pairs, grid.ids) if pairs is not None else set()
    runs, paths, alloc = _cost_runs(grid, rules, cand, quiet)
    if pairs is None:
        cand = _candidates(grid, rules, alloc)
    del alloc

    rows, dropped = [], []
    for i, j in sorted(cand):
        row, reason = _measure_pair(i, j, grid, rules, runs, paths)
        if row is None:
            dropped.append({"core_a": grid.ids[i], "core_b": grid.ids[j], "reason": reason})
        else:
            rows.append(row)
    links = _linkage_frame(rows, grid, borders, measures)
    params = {
        "max_euclid_m": max_euclid_m,
        "max_cwd_m": max_cwd_m,
        "truncate_m": truncate_m,
        "adjacency": adjacency if pairs is None else "explicit pairs",
        "drop_through_cores": drop_through_cores,
        "fully_connected": fully_connected,
        "resolution_m": grid.cell,
        "shape": list(grid.shape),
        "resistance": resistance.label,
    }
    return LinkageResult(
        cores=_cores_table(grid),
        linkages=links,
        dropped=pd.DataFrame(dropped, columns=["core_a", "core_b", "reason"]),
        corridor_mosaic=resistance.replace(_mosaic(links, runs, grid.shape, truncate_m), nodata=None, name="normalized corridors"),
        truncate_m=truncate_m,
        resistance=resistance,
        params=params,
        _runs=runs,
    )


def _link_measures(a: str, b: str, cores: gpd.GeoDataFrame, measures: Mapping[tuple[str, str], Sequence[str]] | None) -> list[str]:
    if measures is not None:
        return sorted(set(decode_list(measures.get((a, b)))) | set(decode_list(measures.get((b, a)))))
    if "measures" not in cores.columns:
        return []
    m = dict(zip(cores["core_id"], cores["measures"]))
    return sorted(set(decode_list(m.get(a))) & set(decode_list(m.get(b))))


__all__ = ["ADJACENCY", "DEFAULT_TRUNCATE_M", "LINKAGE_COLUMNS", "build_linkages"]
