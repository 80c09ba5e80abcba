"""Barrier Mapper (McRae et al. 2012; Linkage Mapper's ``s6_barriers``): where restoring a circle of cells lowers a linkage's least-cost distance most.

For a linkage between cores A and B with least-cost distance LCD, and a
circle of radius r (map units) centred on cell x, Linkage Mapper estimates
the least-cost distance once every cell of the circle is restored as

    LCD'(x, r) = min CWD_A within r of x + min CWD_B within r of x + 2 r R

(the cheapest way into the circle from A, the cheapest way out of it to B,
and the circle's diameter crossed at the restored resistance R), and scores x by

    score(x, r) = (LCD - LCD'(x, r)) / (2 r)           (the default: drop in LCD per map unit restored)
    score(x, r) = 100 (LCD - LCD'(x, r)) / LCD         (``percent=True``: drop as a percentage of LCD)

Scores below zero (the circle would not help) are set to zero, as Linkage
Mapper does; cells no cost-distance run reached, and no-data cells, are NaN.
Several radii are combined per cell by their maximum (with the radius that
gives it) or their sum, and the linkages by the maximum
(:func:`barrier_mapper`, :class:`BarrierResult`).

The cost distances are the ones :func:`corridors.linkages.build_linkages`
computed (one run per core, :attr:`LinkageResult._runs`), reused for every
linkage and radius of that core; the circular moving-window minimum is
:func:`disc_minimum` (exact, on :func:`scipy.ndimage.minimum_filter1d`).

An engine: linkage results in, rasters and tables out; it knows nothing of
the programme's data, of drawing or of the command line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import ndimage

from corridors._errors import ConfigError, where
from corridors.io import provenance, staged_folder, write_csv
from corridors.lcp import cost_distance
from corridors.linkages import LinkageResult
from corridors.raster import Raster

#: How several radii are combined per cell: ``max`` (Linkage Mapper's default; with the radius of the best score) or ``sum``.
COMBINE = ("max", "sum")

#: Columns of :attr:`BarrierResult.table`, in order.
TABLE_COLUMNS = ["core_a", "core_b", "lcd", "score", "lcd_drop", "lcd_after", "pct_drop", "radius_m", "x", "y", "score_combined"]

#: Window = (rows, cols) slices of the full grid.
Window = tuple[slice, slice]


# ----------------------------------------------------------------------------- the moving-window minimum
def disc_footprint(radius_cells: float) -> np.ndarray:
    """The circular moving window: cells whose centres lie within ``radius_cells`` of the centre cell's.

    As ArcGIS's ``FocalStatistics`` ``CIRCLE`` neighbourhood (Linkage
    Mapper's window): a cell belongs to the circle if its centre does.

    Parameters
    ----------
    radius_cells : float
        Radius in cell widths (>= 0).

    Returns
    -------
    numpy.ndarray of bool
        Square of side 2 floor(radius_cells) + 1.
    """
    k = int(math.floor(radius_cells + 1e-9))
    dy, dx = np.mgrid[-k : k + 1, -k : k + 1]
    return dy * dy + dx * dx <= radius_cells * radius_cells + 1e-9


def disc_minimum(values: np.ndarray, radius_cells: float) -> np.ndarray:
    """Minimum of ``values`` within a circle of ``radius_cells`` round every cell; cells beyond the array count as +inf.

    The same as ``scipy.ndimage.minimum_filter(values, footprint=disc_footprint(radius_cells),
    mode='constant', cval=inf)``, computed as the minimum over the circle's
    rows: each row of the circle is a horizontal segment, whose minimum is
    :func:`scipy.ndimage.minimum_filter1d` (cost independent of its length),
    shifted to its row offset. Written this way because ``minimum_filter``
    with a footprint visits every footprint cell for every cell (k² work per
    cell: 20.9 s for a 50-cell radius on a 2000² surface, against 0.62 s here,
    benchmarks/bench_barriers.py) and no well-kept library decomposes a
    circle exactly (scikit-image's disk decompositions are approximate, and
    for whole-cell radii only); this is 2k + 1 passes.

    Parameters
    ----------
    values : ndarray
        2-D, float; +inf for cells that must never be the minimum (NaN is not allowed: give +inf).
    radius_cells : float
        Radius in cell widths (>= 0).

    Returns
    -------
    ndarray
        Same shape and dtype as ``values``.
    """
    a = np.asarray(values)
    k = int(math.floor(radius_cells + 1e-9))
    out = np.full(a.shape, np.inf, dtype=a.dtype)
    n = a.shape[0]
    half_prev, m = -1, a
    for d in range(0, min(k, n - 1) + 1):
        # The circle's rows d above and below the centre are segments of the same half-width: one filtered copy at a
        # time (the half-width shrinks as d grows), so the memory is that of two arrays, whatever the radius.
        half = int(math.floor(math.sqrt(max(radius_cells * radius_cells - d * d, 0.0)) + 1e-9))
        if half != half_prev:
            m = a if half == 0 else ndimage.minimum_filter1d(a, size=2 * half + 1, axis=1, mode="constant", cval=np.inf)
            half_prev = half
        # out[i] takes the segments of rows i + d and i - d
        np.minimum(out[: n - d], m[d:], out=out[: n - d])
        if d:
            np.minimum(out[d:], m[: n - d], out=out[d:])
    return out


# ----------------------------------------------------------------------------- the result
@dataclass
class BarrierResult:
    """Barrier Mapper's improvement scores: the mosaic over linkages, the best radius, per linkage and per radius.

    Attributes
    ----------
    score : Raster
        float32 mosaic (maximum over linkages) of each linkage's score
        combined over the radii; 0 where no circle helps, NaN where no
        cost-distance run reached or the resistance has no data.
    best_radius : Raster or None
        float32 radius (map units) of the best score at each cell (of the
        linkage that gives the mosaic's value), NaN where the score is 0 or
        NaN; None when the radii are combined by ``sum``.
    radius_scores : dict of float to Raster
        Per radius, the mosaic over linkages of that radius's score
        (Linkage Mapper's "save radius rasters").
    table : DataFrame
        One row per linkage (:data:`TABLE_COLUMNS`): its ``lcd``, the best
        single circle (``score``, the ``lcd_drop`` it gives, ``lcd_after``,
        ``pct_drop`` = 100 lcd_drop / lcd, its ``radius_m`` and centre
        ``x``, ``y``; radius and centre NaN when nothing helps) and
        ``score_combined``, the maximum of the linkage's combined surface.
    radii_m : tuple of float
        The radii, ascending.
    restored_resistance : float
    percent : bool
    combine : str
    parameters : dict
        The engine's parameters and units, as written to ``provenance.json``.
    """

    score: Raster
    best_radius: Raster | None
    radius_scores: dict[float, Raster]
    table: pd.DataFrame
    radii_m: tuple[float, ...]
    restored_resistance: float
    percent: bool
    combine: str
    parameters: dict[str, Any] = field(default_factory=dict)
    _links: dict[tuple[str, str], tuple[Window, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def units(self) -> str:
        """What a score is: the drop in least-cost distance per map unit restored, or as a percentage of it."""
        if self.percent:
            return "percent of the linkage's least-cost distance"
        return "cost-weighted metres of least-cost distance per metre restored"

    def by_linkage(self, core_a: str, core_b: str) -> Raster:
        """One linkage's score combined over the radii (either order of the cores).

        Parameters
        ----------
        core_a, core_b : str
            Core ids of a linkage of this result.

        Returns
        -------
        Raster
            float32, NaN outside the cells its two cost-distance runs reached.

        Raises
        ------
        ConfigError
            If the pair is not a linkage of this result.
        """
        key = (str(core_a), str(core_b))
        if key not in self._links:
            key = (key[1], key[0])
        if key not in self._links:
            known = ", ".join(f"{a}-{b}" for a, b in self._links) or "none"
            raise ConfigError(f"{where(field='linkage')}: {core_a}-{core_b} is not a linkage of this result (linkages: {known}).")
        win, arr = self._links[key]
        out = np.full(self.score.shape, np.nan, dtype="float32")
        out[win] = arr
        return self.score.replace(out, nodata=None, name=f"barrier score {key[0]}-{key[1]}")

    def write(self, outdir: str | os.PathLike, *, radius_rasters: bool = False, table: pd.DataFrame | None = None,
              figure: Callable[["BarrierResult", Path], Sequence[Path]] | None = None,
              inputs: Mapping[str, str | os.PathLike] | None = None, parameters: Mapping[str, Any] | None = None,
              command: str = "corridors.restore.barriers.barrier_mapper") -> dict[str, Path]:
        """Write ``barriers.tif``, ``best_radius.tif``, ``barrier_linkages.csv`` and ``provenance.json`` into a folder, all or none.

        The files are written into a hidden folder and renamed into place
        only when all are written (:func:`corridors.io.staged_folder`); other
        outputs of corridors in the folder are left alone. GeoTIFFs are
        float32 in the resistance's CRS, no data -9999.

        Parameters
        ----------
        outdir : path-like
            Created if missing.
        radius_rasters : bool, default False
            Also ``barriers_r<radius>m.tif`` per radius (Linkage Mapper's "save radius rasters").
        table : DataFrame, optional
            Written as ``barrier_linkages.csv``; default :attr:`table`.
        figure : callable, optional
            ``figure(result, stem_path) -> paths`` writes the map (``barriers_map`` files); this engine does not draw.
        inputs : mapping of str to path, optional
            Input files, listed with their SHA-256 in ``provenance.json``.
        parameters : mapping, optional
            More parameters for ``provenance.json`` (the engine's own are always written).
        command : str
            What produced the folder.

        Returns
        -------
        dict of str to Path
            ``score``, ``csv``, ``provenance``, ``best_radius`` (with ``combine='max'``),
            ``radius_<r>`` per radius raster, ``map_png``/``map_svg`` with a figure.
        """
        out = Path(outdir)
        names = {"score": "barriers.tif", "csv": "barrier_linkages.csv", "provenance": "provenance.json"}
        with staged_folder(out, name="barriers") as tmp:
            self.score.write(tmp / names["score"], dtype="float32")
            if self.best_radius is not None:
                names["best_radius"] = "best_radius.tif"
                self.best_radius.write(tmp / names["best_radius"], dtype="float32")
            if radius_rasters:
                for r, ras in self.radius_scores.items():
                    key = f"radius_{r:g}"
                    names[key] = f"barriers_r{r:g}m.tif"
                    ras.write(tmp / names[key], dtype="float32")
            write_csv(self.table if table is None else table, tmp / names["csv"])
            if figure is not None:
                for p in figure(self, tmp / "barriers_map"):
                    names[f"map_{Path(p).suffix[1:]}"] = Path(p).name
            rec = provenance.record(inputs, {**self.parameters, **dict(parameters or {})}, command=command)
            rec["rests_on"] = (
                "the linkages' least-cost distances and each core's cost-distance surface (one run per core); "
                "Linkage Mapper's estimate that a restored circle is crossed along its diameter at the restored resistance"
            )
            provenance.write(rec, tmp / names["provenance"])
        return {k: out / v for k, v in names.items()}


# ----------------------------------------------------------------------------- checks
def check_radii(radii_m: float | Iterable[float], cell_m: float | None = None) -> tuple[float, ...]:
    """The search radii, ascending and without repeats, or a ConfigError naming ``radii_m`` (``--radius-km``).

    Parameters
    ----------
    radii_m : float or iterable of float
        Radii in map units (metres), each finite and > 0.
    cell_m : float, optional
        Cell size: a radius smaller than one cell is refused (its circle holds
        only its own cell, so nothing is restored across).

    Returns
    -------
    tuple of float
    """
    vals = [radii_m] if isinstance(radii_m, (int, float, np.floating, np.integer)) else list(radii_m)
    if not vals:
        raise ConfigError(f"{where(field='radius')}: give at least one search radius (e.g. --radius-km 1,2,5).")
    out = []
    for v in vals:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ConfigError(f"{where(field='radius')}: {v!r} is not a number of metres.") from None
        if not (math.isfinite(f) and f > 0):
            raise ConfigError(f"{where(field='radius')}: a search radius must be a number > 0, got {v!r}.")
        if cell_m is not None and f < cell_m * (1 - 1e-9):
            raise ConfigError(f"{where(field='radius')}: {f:g} m is smaller than one cell ({cell_m:g} m), so its circle holds "
                              f"only its own cell; give a radius of at least {cell_m:g} m.")
        out.append(f)
    return tuple(sorted(set(out)))


def check_restored_resistance(value: float) -> float:
    """``value`` if it is a resistance (finite, > 0), else a ConfigError naming ``restored_resistance`` (``--restored-resistance``)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where(field='restored_resistance')}: {value!r} is not a number.") from None
    if not (math.isfinite(f) and f > 0):
        raise ConfigError(f"{where(field='restored_resistance')}: the resistance of restored cells must be a number > 0 "
                          f"(1 is the lowest of the bundled table), got {value!r}.")
    return f


def check_combine(combine: str) -> str:
    """``combine`` if it is ``'max'`` or ``'sum'``, else a ConfigError naming it."""
    if combine not in COMBINE:
        raise ConfigError(f"{where(field='combine')}: unknown rule {combine!r}; use one of {', '.join(COMBINE)}.")
    return combine


# ----------------------------------------------------------------------------- the cost distances, padded
def _pad_window(win: Window, k: int, shape: tuple[int, int]) -> Window:
    return (slice(max(win[0].start - k, 0), min(win[0].stop + k, shape[0])),
            slice(max(win[1].start - k, 0), min(win[1].stop + k, shape[1])))


def _intersect(w1: Window, w2: Window) -> Window | None:
    r0, r1 = max(w1[0].start, w2[0].start), min(w1[0].stop, w2[0].stop)
    c0, c1 = max(w1[1].start, w2[1].start), min(w1[1].stop, w2[1].stop)
    if r0 >= r1 or c0 >= c1:
        return None
    return (slice(r0, r1), slice(c0, c1))


def _sub(arr: np.ndarray, own: Window, win: Window) -> np.ndarray:
    r0, c0 = own[0].start, own[1].start
    return arr[win[0].start - r0 : win[0].stop - r0, win[1].start - c0 : win[1].stop - c0]


def _border_min(cwd: np.ndarray, win: Window, shape: tuple[int, int]) -> float:
    """Least cost on the sides of a run's window that are not the grid's edge (+inf if the window is the whole grid)."""
    sides = []
    if win[0].start > 0:
        sides.append(cwd[0, :])
    if win[0].stop < shape[0]:
        sides.append(cwd[-1, :])
    if win[1].start > 0:
        sides.append(cwd[:, 0])
    if win[1].stop < shape[1]:
        sides.append(cwd[:, -1])
    vals = [float(np.min(s)) for s in sides if s.size]
    return min(vals) if vals else math.inf


def _core_surfaces(links: LinkageResult, need: Mapping[str, float], pad: int,
                   memory_limit: int | None = None) -> tuple[dict[str, tuple[Window, np.ndarray]], list[str]]:
    """Each core's cost distance (float32, +inf where unreached) on its run's window padded by ``pad`` cells.

    The runs are :attr:`LinkageResult._runs`, one per core, as
    :func:`build_linkages` made them. A run made with ``max_cwd_m`` covers
    only a window round its core. Every positive score rests on cells whose
    cost distance is below the linkage's LCD (the circle's minimum must
    undercut it), so a window is enough when the least cost on its inner
    sides is at least the largest LCD of the core's linkages (``need``): a
    path leaving the window costs that much by the time it leaves. A run
    that fails this, or a core with no run (the programme's corridors are
    each built in a window of their own, whose runs are not kept), is
    computed once on the whole grid. The padding lets the circles centred
    just outside a window see into it.

    Returns
    -------
    surfaces : dict of core id to (window, array)
    recomputed : list of str
        The cores whose cost distance was computed here.
    """
    shape = links.resistance.shape
    out: dict[str, tuple[Window, np.ndarray]] = {}
    recomputed: list[str] = []
    geoms = dict(zip(links.cores["core_id"].astype(str), links.cores.geometry))
    whole = (slice(0, shape[0]), slice(0, shape[1]))
    for cid, lcd in need.items():
        run = links._runs.get(cid)
        if run is not None and _border_min(run.cwd, run.window, shape) >= lcd:
            win, cwd = run.window, run.cwd
        else:
            if cid not in geoms:
                raise ConfigError(f"{where(field='linkages')}: core {cid!r} of a linkage is not among the result's cores.")
            win, cwd = whole, cost_distance(links.resistance, geoms[cid], memory_limit=memory_limit).array.astype("float32")
            recomputed.append(cid)
        pw = _pad_window(win, pad, shape)
        arr = np.full((pw[0].stop - pw[0].start, pw[1].stop - pw[1].start), np.inf, dtype="float32")
        _sub(arr, pw, win)[...] = np.where(np.isfinite(cwd), cwd, np.inf)
        out[cid] = (pw, arr)
    return out, recomputed


# ----------------------------------------------------------------------------- Barrier Mapper
def barrier_mapper(linkages: LinkageResult, radii_m: float | Iterable[float], *, restored_resistance: float = 1.0,
                   percent: bool = False, combine: str = "max", memory_limit: int | None = None) -> BarrierResult:
    """Barrier Mapper: the improvement score of every cell for every linkage, radii combined, linkages mosaicked.

    For linkage A-B (least-cost distance LCD, :attr:`LinkageResult.linkages`
    ``cwd_m``), radius r and cell x::

        drop(x, r)  = LCD - min_{|y-x|<=r} CWD_A(y) - min_{|y-x|<=r} CWD_B(y) - 2 r R
        score(x, r) = drop / (2 r)         or, with percent, 100 drop / LCD

    negative scores set to 0 (no improvement), as Linkage Mapper does.

    Parameters
    ----------
    linkages : LinkageResult
        From :func:`corridors.linkages.build_linkages`; its per-core cost
        distances are reused (a core's run is recomputed on the whole grid
        only if its window is too small for the scores, see :func:`_core_surfaces`).
    radii_m : float or iterable of float
        Search radii in map units (metres of a projected CRS), each at least one cell.
    restored_resistance : float, default 1.0
        Resistance of restored cells (the cost per metre of crossing the restored circle).
    percent : bool, default False
        Score as the percentage of LCD saved instead of the LCD saved per map unit restored.
    combine : {'max', 'sum'}, default 'max'
        How the radii are combined at each cell; ``max`` also gives the best radius.
    memory_limit : int, optional
        Bytes a cost-distance run may use, for the cores whose run must be made here
        (:func:`corridors.lcp.cost_distance`).

    Returns
    -------
    BarrierResult

    Raises
    ------
    ConfigError
        A radius <= 0 or smaller than one cell, a restored resistance <= 0,
        an unknown ``combine``.
    DataError
        Cells that are not square.

    Examples
    --------
    >>> from corridors import linkages
    >>> from corridors.restore import barrier_mapper
    >>> links = linkages.build_linkages(resistance, cores)
    >>> result = barrier_mapper(links, [1000, 2000, 5000])
    >>> result.table[["core_a", "core_b", "score", "lcd_drop", "radius_m"]]
    >>> result.write("out/barriers")
    """
    res = linkages.resistance
    cell = res.cellsize
    radii = check_radii(radii_m, cell)
    rr = check_restored_resistance(restored_resistance)
    combine = check_combine(combine)
    shape = res.shape
    valid = res.valid
    kmax = int(math.floor(radii[-1] / cell + 1e-9))
    pairs = [(str(a), str(b), float(d)) for a, b, d in zip(linkages.linkages["core_a"], linkages.linkages["core_b"],
                                                           linkages.linkages["cwd_m"])]
    need: dict[str, float] = {}
    for a, b, d in pairs:
        need[a], need[b] = max(need.get(a, 0.0), d), max(need.get(b, 0.0), d)
    surfaces, recomputed = _core_surfaces(linkages, need, kmax, memory_limit)
    wins: dict[tuple[str, str], Window | None] = {(a, b): _intersect(surfaces[a][0], surfaces[b][0]) for a, b, _ in pairs}
    # The LCD the scores are measured against is the one of the surfaces themselves, min(CWD_A + CWD_B) (the cost of the
    # least-cost path through each cell): the linkage's cwd_m where the runs are build_linkages' own, and the consistent
    # value where a core was recomputed on a larger grid than its corridor's window (else a shorter path found there
    # would score everywhere along it).
    pairs = [(a, b, _surface_lcd(surfaces[a], surfaces[b], wins[(a, b)], d)) for a, b, d in pairs]

    mosaic = np.full(shape, np.nan, dtype="float32")
    mosaic_radius = np.full(shape, np.nan, dtype="float32") if combine == "max" else None
    per_radius = {r: np.full(shape, np.nan, dtype="float32") for r in radii}
    links: dict[tuple[str, str], tuple[Window, np.ndarray]] = {}
    best_rows = []
    comb: dict[tuple[str, str], np.ndarray] = {}
    crad: dict[tuple[str, str], np.ndarray] = {}
    best: dict[tuple[str, str], tuple[float, float, int, int]] = {}
    for ri, r in enumerate(radii):
        # Each core's moving-window minimum once per radius, shared by all its linkages.
        focal = {cid: disc_minimum(arr, r / cell) for cid, (_, arr) in surfaces.items()}
        for a, b, lcd in pairs:
            win = wins[(a, b)]
            if win is None:
                continue
            fa = _sub(focal[a], surfaces[a][0], win).astype("float64")
            fb = _sub(focal[b], surfaces[b][0], win)
            drop = lcd - fa - fb - 2.0 * r * rr
            # The stored cost distances are float32 (7 significant digits): a drop within that rounding of 0 is none.
            drop[np.abs(drop) <= 1e-6 * lcd] = 0.0
            s = 100.0 * drop / lcd if percent and lcd > 0 else drop / (2.0 * r)
            s[~np.isfinite(s)] = np.nan  # a circle no run reached: no score
            np.maximum(s, 0.0, out=s, where=~np.isnan(s))  # no improvement is 0, as Linkage Mapper
            s[~valid[win]] = np.nan
            s32 = s.astype("float32")
            view = per_radius[r][win]
            view[...] = np.fmax(view, s32)
            key = (a, b)
            if key not in comb:
                comb[key] = s32.copy()
                if combine == "max":
                    crad[key] = np.zeros(s32.shape, dtype=np.uint8)  # index into radii: 1 byte a cell, not 4
            elif combine == "max":
                better = (s32 > comb[key]) | (np.isnan(comb[key]) & ~np.isnan(s32))  # a larger circle reaches farther
                comb[key][better] = s32[better]
                crad[key][better] = ri
            else:
                comb[key] = np.where(np.isnan(comb[key]), s32, comb[key] + np.nan_to_num(s32))
            if np.isfinite(s).any():
                i = int(np.nanargmax(s))  # float64: the table's LCD drop is not rounded to float32
                v = float(s.ravel()[i])
                if key not in best or v > best[key][0]:
                    row, col = np.unravel_index(i, s.shape)
                    best[key] = (v, r, int(row) + win[0].start, int(col) + win[1].start)
        del focal
    for a, b, lcd in pairs:
        key = (a, b)
        if key in comb:
            win = wins[key]
            c = comb[key]
            links[key] = (win, c)  # type: ignore[assignment]
            view = mosaic[win]  # type: ignore[index]
            better = (c > view) | (np.isnan(view) & ~np.isnan(c))
            view[better] = c[better]
            if mosaic_radius is not None:
                mosaic_radius[win][better] = np.asarray(radii, dtype="float32")[crad[key][better]]  # type: ignore[index]
        best_rows.append(_table_row(a, b, lcd, best.get(key), comb.get(key), res, percent))
    table = pd.DataFrame(best_rows, columns=TABLE_COLUMNS)
    if mosaic_radius is not None:
        mosaic_radius[~(mosaic > 0)] = np.nan
    params = {
        "radii_m": list(radii), "restored_resistance": rr, "percent": percent, "combine": combine,
        "cell_m": cell, "shape": list(shape), "n_linkages": len(pairs),
        "cost_distance_runs": {"reused": sorted(set(need) - set(recomputed)), "computed_on_the_whole_grid": recomputed},
        "lcd": "min over cells of CWD_A + CWD_B of the surfaces used (the linkage's cwd_m when its runs are reused)",
        "units": {"score": ("percent of the linkage's LCD" if percent else
                            "cost-weighted metres of LCD per metre restored (LCD drop / 2r)"),
                  "lcd, lcd_drop, lcd_after": "cost-weighted metres", "radius_m, x, y": "map units of the resistance's CRS"},
        "negative_scores": "set to 0 (no improvement), as Linkage Mapper",
    }
    return BarrierResult(
        score=res.replace(mosaic, nodata=None, name="barrier improvement score"),
        best_radius=res.replace(mosaic_radius, nodata=None, name="radius of the best score") if mosaic_radius is not None else None,
        radius_scores={r: res.replace(a, nodata=None, name=f"barrier score, radius {r:g}") for r, a in per_radius.items()},
        table=table, radii_m=radii, restored_resistance=rr, percent=percent, combine=combine, parameters=params, _links=links,
    )


def _surface_lcd(sa: tuple[Window, np.ndarray], sb: tuple[Window, np.ndarray], win: Window | None, fallback: float) -> float:
    """min(CWD_A + CWD_B) over the two surfaces' common window, in float64; ``fallback`` (the linkage's cwd_m) if they do not meet."""
    if win is None:
        return fallback
    total = _sub(sa[1], sa[0], win).astype("float64") + _sub(sb[1], sb[0], win)
    v = float(np.min(total))
    return v if math.isfinite(v) else fallback


def _table_row(a: str, b: str, lcd: float, best: tuple[float, float, int, int] | None, comb: np.ndarray | None,
               res: Raster, percent: bool) -> dict[str, Any]:
    """One linkage's row: its best single circle (score, LCD drop, radius, centre) and its combined surface's maximum."""
    combined = float(np.nanmax(comb)) if comb is not None and np.isfinite(comb).any() else math.nan
    if best is None or not best[0] > 0:
        score = 0.0 if best is not None else math.nan
        return {"core_a": a, "core_b": b, "lcd": lcd, "score": score, "lcd_drop": 0.0 if best is not None else math.nan,
                "lcd_after": lcd if best is not None else math.nan, "pct_drop": 0.0 if best is not None else math.nan,
                "radius_m": math.nan, "x": math.nan, "y": math.nan, "score_combined": combined}
    v, r, row, col = best
    drop = v * lcd / 100.0 if percent else v * 2.0 * r
    x, y = res.xy(row, col)
    return {"core_a": a, "core_b": b, "lcd": lcd, "score": v, "lcd_drop": drop, "lcd_after": lcd - drop,
            "pct_drop": 100.0 * drop / lcd if lcd > 0 else math.nan, "radius_m": r, "x": float(x), "y": float(y),
            "score_combined": combined}


__all__ = ["COMBINE", "TABLE_COLUMNS", "BarrierResult", "barrier_mapper", "check_combine", "check_radii",
           "check_restored_resistance", "disc_footprint", "disc_minimum"]
