"""Exact grid cost distance in bounded memory: Bellman-Ford row sweeps, the lean engine behind corridors.lcp for large rasters.

Arrays in, arrays out (no Raster or geo types). The semantics are those of
scikit-image's ``MCP_Geometric(costs, fully_connected, sampling=(sy, sx))``:
a move between two neighbouring cells a -> b costs ``(costs[a] + costs[b]) / 2``
times its length (``sy`` vertical, ``sx`` horizontal, ``hypot(sy, sx)``
diagonal; diagonals only when ``fully_connected``; a diagonal move depends on
its two end cells only, the corner cells are not looked at). ``inf`` costs
are impassable, sources cost 0 and unreachable cells are ``inf``.

Why this is written by hand: none of the libraries the project builds on
(scipy.sparse.csgraph, scikit-image, networkx) computes grid cost distance in
bounded memory. ``MCP_Geometric`` peaks at about 77 bytes per cell, the costs
included (padded float64 copies of the costs, cumulative costs, traceback,
heap cross-reference, unpadded output copies: 4.58 GiB on an 8000 x 8000
grid). ``scipy.sparse.csgraph.dijkstra`` needs the graph as a sparse matrix:
measured 58 bytes per edge with its construction, 464 bytes per cell with 8
neighbours (1000 x 1000 grid). networkx keeps Python objects per edge. The
sweep holds only the float64 result (8 bytes per cell) next to the caller's
costs, plus temporaries the size of a row.

The algorithm: D is inf everywhere and 0 at the sources. Passes alternate
down (rows 0 .. H-1) and up (rows H-1 .. 0). In a down pass row r is first
relaxed from row r-1 (the vertical move and the two diagonals, vectorised
over the row), then closed horizontally: within each run of passable cells
the exact min-plus closure ``D'[j] = min_i D[i] + |S[j] - S[i]|`` (S the
prefix sums of the horizontal step costs) is one ``minimum.accumulate`` per
direction. After a down pass every cell satisfies the constraints of the row
above and of its own row; after an up pass those of the row below. So when a
pass after the first changes nothing, every edge constraint holds at once:
the values are shortest-path distances (Bellman-Ford's fixed point). A row is
only revisited when the row it reads from changed since it last read it, and
only over the columns that changed (one more each side for the diagonals), so
the later passes, which fix the few detours that turn up and down, are cheap.
A value is lowered only by more than its rounding (``rtol``, and a few ulps of
the row's prefix sums in a horizontal closure), so two summation orders of the
same path cannot trade ulps back and forth for ever.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from corridors._errors import ConfigError, DataError, SolverError

#: A row with more than ``_FEW_RUNS + width / _RUNS_PER_CELL`` runs of passable cells is closed with one
#: segmented scan over the whole row (about 2 log2(run length) vectorised steps) instead of run by run.
#: Measured: a run costs ~12 us + 0.02 us per cell, the segmented scan ~90 us + 0.06 us per cell.
_FEW_RUNS = 8
_RUNS_PER_CELL = 300

_EPS = float(np.finfo(np.float64).eps)

#: Rounding allowance of a horizontal closure, in units of ``eps x`` the run's total step cost:
#: ``D - S`` and ``S + min(...)`` each round by half an ulp of the larger operand, so a
#: candidate that differs from the old value by less than this is rounding, not a shorter path.
_NOISE_ULPS = 4.0

#: Cells checked at once when validating the costs (bounds the check's temporaries).
_CHECK_CELLS = 1 << 20


def _check_costs(costs: np.ndarray) -> np.ndarray:
    a = np.asarray(costs)
    if a.ndim != 2 or a.size == 0:
        raise ConfigError(f"costs: give a non-empty 2-D array, got shape {a.shape}.")
    if a.dtype != np.float64 or not a.flags.c_contiguous:
        a = np.ascontiguousarray(a, dtype=np.float64)  # a copy: pass float64 to avoid it on big grids
    step = max(1, _CHECK_CELLS // a.shape[1])
    for r0 in range(0, a.shape[0], step):
        blk = a[r0 : r0 + step]
        bad = ~(blk > 0)  # NaN, 0, negatives and -inf
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataError(
                f"costs: cell (row {r0 + r}, col {c}) holds {blk[r, c]!r}; costs must be > 0, with +inf for impassable cells."
            )
    return a


def _check_sources(sources: np.ndarray | Sequence[int], n_cells: int) -> np.ndarray:
    src = np.unique(np.asarray(sources, dtype=np.int64).ravel())
    if src.size == 0:
        raise ConfigError("sources: no source cell given; give at least one flat cell index.")
    if src[0] < 0 or src[-1] >= n_cells:
        bad = src[0] if src[0] < 0 else src[-1]
        raise ConfigError(f"sources: flat index {bad} lies outside the grid of {n_cells} cells; give indices 0 .. {n_cells - 1}.")
    return src


def _check_sampling(sampling: Sequence[float]) -> tuple[float, float]:
    try:
        sy, sx = (float(v) for v in sampling)
    except (TypeError, ValueError):
        raise ConfigError(f"sampling: give two cell sizes (sy, sx), got {sampling!r}.") from None
    if not (sy > 0 and sx > 0 and math.isfinite(sy) and math.isfinite(sx)):
        raise ConfigError(f"sampling: cell sizes must be finite and > 0, got {sampling!r}.")
    return sy, sx


def _row_runs(costs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Per row, the starts and stops (exclusive) of the runs of >= 2 passable cells; None for a row without barrier."""
    h, w = costs.shape
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    edge = np.zeros(w + 2, dtype=np.int8)
    for r in range(h):
        fin = np.isfinite(costs[r])
        if w >= 2 and fin.all():
            out.append(None)
            continue
        edge[1:-1] = fin
        d = np.diff(edge)
        starts = np.flatnonzero(d == 1)
        stops = np.flatnonzero(d == -1)
        keep = stops - starts >= 2
        out.append((starts[keep], stops[keep]))
    return out


def _span(mask: np.ndarray) -> tuple[int, int] | None:
    """First and one-past-last True index of a boolean row, None if there is none."""
    nz = np.flatnonzero(mask)
    if nz.size == 0:
        return None
    return int(nz[0]), int(nz[-1]) + 1


def _relax_from(d_src: np.ndarray, c_src: np.ndarray, d: np.ndarray, c: np.ndarray, a: int, b: int,
                hy: float, hd: float, fully: bool, keep: float) -> tuple[int, int] | None:
    """Lower ``d[a:b]`` by the moves from the neighbouring row (vertical and diagonal); the span changed, or None."""
    w = d.size
    cand = c_src[a:b] + c[a:b]
    cand *= hy
    cand += d_src[a:b]
    if fully and w > 1:
        a1 = max(a, 1)  # from the neighbour row's cell to the left: targets 1 .. w-1
        if a1 < b:
            t = c_src[a1 - 1 : b - 1] + c[a1:b]
            t *= hd
            t += d_src[a1 - 1 : b - 1]
            np.minimum(cand[a1 - a :], t, out=cand[a1 - a :])
        b1 = min(b, w - 1)  # from the cell to the right: targets 0 .. w-2
        if a < b1:
            t = c_src[a + 1 : b1 + 1] + c[a:b1]
            t *= hd
            t += d_src[a + 1 : b1 + 1]
            np.minimum(cand[: b1 - a], t, out=cand[: b1 - a])
    old = d[a:b]
    mask = cand < old * keep  # inf * keep stays inf; 0 * keep stays 0
    span = _span(mask)
    if span is None:
        return None
    np.copyto(old, cand, where=mask)
    return a + span[0], a + span[1]


def _close_run(d: np.ndarray, c: np.ndarray, hx: float, keep: float, lo: int, hi: int) -> tuple[int, int] | None:
    """Exact horizontal closure of one run of passable cells (len >= 2) after cells ``lo:hi`` were lowered, in place.

    Only the lowered cells can shorten anything (the run was closed before), so the
    left-to-right scan starts at ``lo`` and the right-to-left one at ``hi - 1``.
    Returns the span of the cells changed, or None.
    """
    n = d.size
    s = np.empty(n)  # s[j]: cost of the walk from the run's first cell to cell j
    s[0] = 0.0
    h = c[:-1] + c[1:]
    h *= hx
    np.cumsum(h, out=s[1:])
    left = d[lo:] - s[lo:]  # inf - finite = inf: no inf - inf anywhere
    np.minimum.accumulate(left, out=left)
    left += s[lo:]
    right = d[:hi] + s[:hi]
    rev = right[::-1]
    np.minimum.accumulate(rev, out=rev)
    right -= s[:hi]
    cand = np.empty(n)
    cand[lo:] = left
    cand[:lo] = right[:lo]
    np.minimum(cand[lo:hi], right[lo:], out=cand[lo:hi])
    thr = d * keep
    np.minimum(thr, d - _NOISE_ULPS * _EPS * s[-1], out=thr)
    mask = cand < thr
    span = _span(mask)
    if span is None:
        return None
    np.copyto(d, cand, where=mask)
    return span


def _close_segmented(d: np.ndarray, c: np.ndarray, starts: np.ndarray, stops: np.ndarray, hx: float, keep: float) -> tuple[int, int] | None:
    """Horizontal closure of a row with many runs: one segmented min-scan (Hillis-Steele) per direction, in place."""
    w = d.size
    idx = np.arange(w)
    # edges (j, j+1) inside a run: j in [start, stop - 1)
    delta = np.zeros(w, dtype=np.int32)
    delta[starts] = 1
    delta[stops - 1] = -1  # runs are maximal and >= 2 long, so these never collide
    inside = np.cumsum(delta[:-1]) > 0
    h = c[:-1] + c[1:]
    h *= hx
    h[~inside] = 0.0  # across a barrier or outside runs: no step (and no inf in the prefix sums)
    s = np.empty(w)
    s[0] = 0.0
    np.cumsum(h, out=s[1:])
    # cells in runs, and each one's distance to its run's start and end (0 outside runs: they neither give nor take)
    cell = np.zeros(w + 1, dtype=np.int32)
    cell[starts] = 1
    cell[stops] = -1
    in_run = np.cumsum(cell[:-1]) > 0
    first = np.zeros(w, dtype=np.intp)
    first[starts] = starts
    to_start = idx - np.maximum.accumulate(first)
    to_start[~in_run] = 0
    last = np.full(w, w - 1, dtype=np.intp)
    last[stops - 1] = stops - 1
    to_end = np.minimum.accumulate(last[::-1])[::-1] - idx
    to_end[~in_run] = 0
    longest = int((stops - starts).max())
    left = d - s
    right = d + s
    k = 1
    while k < longest:
        np.minimum(left[k:], left[:-k], out=left[k:], where=to_start[k:] >= k)  # numpy copies the overlapping input first
        np.minimum(right[:-k], right[k:], out=right[:-k], where=to_end[:-k] >= k)
        k *= 2
    left += s
    right -= s
    np.minimum(left, right, out=left)
    thr = d * keep
    np.minimum(thr, d - _NOISE_ULPS * _EPS * s[-1], out=thr)
    mask = (left < thr) & in_run
    span = _span(mask)
    if span is None:
        return None
    np.copyto(d, left, where=mask)
    return span


def _close_row(d: np.ndarray, c: np.ndarray, runs: tuple[np.ndarray, np.ndarray] | None, hx: float, keep: float,
               lo: int, hi: int) -> tuple[int, int]:
    """Close a row horizontally after its cells ``lo:hi`` were lowered; the span changed (``lo:hi`` included)."""
    if runs is None:
        span = _close_run(d, c, hx, keep, lo, hi)
        return (lo, hi) if span is None else (min(lo, span[0]), max(hi, span[1]))
    starts, stops = runs
    i0 = int(np.searchsorted(stops, lo, side="right"))  # the runs that overlap lo:hi
    i1 = int(np.searchsorted(starts, hi, side="left"))
    if i0 >= i1:
        return lo, hi
    out_lo, out_hi = lo, hi
    if i1 - i0 > _FEW_RUNS + d.size // _RUNS_PER_CELL:
        a, b = int(starts[i0]), int(stops[i1 - 1])
        span = _close_segmented(d[a:b], c[a:b], starts[i0:i1] - a, stops[i0:i1] - a, hx, keep)
        if span is not None:
            out_lo, out_hi = min(out_lo, a + span[0]), max(out_hi, a + span[1])
        return out_lo, out_hi
    for a, b in zip(starts[i0:i1].tolist(), stops[i0:i1].tolist()):
        span = _close_run(d[a:b], c[a:b], hx, keep, max(lo - a, 0), min(hi - a, b - a))
        if span is not None:
            out_lo, out_hi = min(out_lo, a + span[0]), max(out_hi, a + span[1])
    return out_lo, out_hi


def sweep_cost_distance(
    costs: np.ndarray,
    sources: np.ndarray | Sequence[int],
    sampling: Sequence[float] = (1.0, 1.0),
    fully_connected: bool = True,
    rtol: float = 1e-13,
) -> tuple[np.ndarray, int]:
    """Accumulated cost distance from many sources, exact, in 8 bytes per cell beside the costs.

    Parameters
    ----------
    costs : numpy.ndarray
        2-D cost per unit length of each cell, > 0; ``+inf`` is impassable.
        float64 C-contiguous arrays are used as they are (others are copied).
    sources : array of int
        Flat (row-major) indices of the source cells.
    sampling : (float, float), default (1, 1)
        Cell size (sy, sx): the length of a vertical and of a horizontal move.
    fully_connected : bool, default True
        8-neighbour moves (diagonals of length ``hypot(sy, sx)``); False for 4.
    rtol : float, default 1e-13
        A cell is lowered only when its new value is below ``old x (1 - rtol)``
        (and, in a horizontal closure, by more than the prefix sums' rounding),
        so that two summation orders of the same path cannot ping-pong by an ulp.

    Returns
    -------
    cum : numpy.ndarray
        float64 of the costs' shape: the least accumulated cost from any
        source, the cost of a move being the mean of its two cells times its
        length (as ``MCP_Geometric``); 0 at the sources, ``inf`` where no
        path exists. It differs from ``MCP_Geometric`` only by rounding:
        at most a few ulps of a row's summed step costs (measured: 1.4e-13
        relative at most on an 8000 x 8000 landscape).
    passes : int
        Row sweeps taken (down and up alternate; at least 2). Grids whose
        least-cost paths turn up and down many times (mazes, walls with
        gaps) need more.

    Raises
    ------
    DataError
        If a cost is NaN or <= 0.
    ConfigError
        If the sources are empty or outside the grid, or the sampling is not
        two positive sizes.

    Notes
    -----
    Memory: the result (8 bytes per cell), the caller's costs and
    temporaries of a few rows; the runs of passable cells of every row are
    kept (16 bytes per run, one run per row on a grid without barriers).
    """
    c = _check_costs(costs)
    sy, sx = _check_sampling(sampling)
    if not 0 <= rtol < 1:
        raise ConfigError(f"rtol: give a relative tolerance in [0, 1), got {rtol!r}.")
    h, w = c.shape
    src = _check_sources(sources, c.size)
    hy, hx, hd = 0.5 * sy, 0.5 * sx, 0.5 * math.hypot(sy, sx)
    keep = 1.0 - rtol
    fully = bool(fully_connected)
    runs = _row_runs(c)

    d = np.full((h, w), np.inf)
    d.ravel()[src] = 0.0
    # Each row keeps the span of columns lowered in this pass and in the previous one. A row reads its
    # neighbour row again only over the neighbour's spans (this or the last pass: what changed since the
    # row last read it), widened by one column for the diagonals. The sources count as changes of the first pass.
    empty = (w, 0)
    now = [empty] * h
    for r in np.unique(src // w).tolist():
        now[r] = _close_row(d[r], c[r], runs[r], hx, keep, 0, w)
    before = list(now)
    pad = 1 if fully else 0
    passes = 0
    while True:
        passes += 1
        down = passes % 2 == 1
        order = range(1, h) if down else range(h - 2, -1, -1)
        step = -1 if down else 1
        changed = False
        for r in order:
            q = r + step
            lo = min(now[q][0], before[q][0])
            hi = max(now[q][1], before[q][1])
            if lo >= hi:
                continue
            span = _relax_from(d[q], c[q], d[r], c[r], max(lo - pad, 0), min(hi + pad, w), hy, hd, fully, keep)
            if span is not None:
                span = _close_row(d[r], c[r], runs[r], hx, keep, *span)
                old = now[r]
                now[r] = (min(old[0], span[0]), max(old[1], span[1]))
                changed = True
        if passes >= 2 and not changed:
            return d, passes
        before, now = now, [empty] * h


def sweep_path(
    cum: np.ndarray,
    costs: np.ndarray,
    end_flat: int,
    sampling: Sequence[float] = (1.0, 1.0),
    fully_connected: bool = True,
) -> np.ndarray:
    """The least-cost path from a source to a cell, by backtracking on the cumulative costs.

    From the end cell it steps to the neighbour ``n`` minimising
    ``cum[n] + cost(n -> current)`` among the neighbours closer to a source,
    until it reaches a cell of cumulative cost 0 (a source).

    Parameters
    ----------
    cum : numpy.ndarray
        The result of :func:`sweep_cost_distance` on these costs.
    costs : numpy.ndarray
        The same costs.
    end_flat : int
        Flat index of the end cell.
    sampling : (float, float), default (1, 1)
        As given to :func:`sweep_cost_distance`.
    fully_connected : bool, default True
        As given to :func:`sweep_cost_distance`.

    Returns
    -------
    numpy.ndarray of int64, shape (k, 2)
        (row, col) of the path's cells, from the source to the end cell.

    Raises
    ------
    DataError
        If the end cell is unreachable (its cumulative cost is inf).
    SolverError
        If no neighbour of a path cell lies closer to a source, or the walk
        grows longer than the grid: ``cum`` does not belong to these costs.
    """
    sy, sx = _check_sampling(sampling)
    h, w = cum.shape
    if costs.shape != cum.shape:
        raise ConfigError(f"costs: shape {costs.shape} differs from the cumulative costs' {cum.shape}; give the costs of the run.")
    if not 0 <= int(end_flat) < h * w:
        raise ConfigError(f"end_flat: index {end_flat} lies outside the grid of {h * w} cells.")
    r, col = divmod(int(end_flat), w)
    if not math.isfinite(cum[r, col]):
        raise DataError(f"end cell (row {r}, col {col}): no path reaches it from a source (impassable cells separate them).")
    moves = [(-1, 0, sy), (1, 0, sy), (0, -1, sx), (0, 1, sx)]
    if fully_connected:
        dg = math.hypot(sy, sx)
        moves += [(-1, -1, dg), (-1, 1, dg), (1, -1, dg), (1, 1, dg)]
    out = [(r, col)]
    for _ in range(h * w):
        here = float(cum[r, col])
        if here == 0.0:
            return np.asarray(out[::-1], dtype=np.int64)
        c_here = float(costs[r, col])
        best, nxt = math.inf, None
        for dr, dc, length in moves:
            rr, cc = r + dr, col + dc
            if 0 <= rr < h and 0 <= cc < w:
                there = float(cum[rr, cc])
                if there < here:
                    v = there + 0.5 * (float(costs[rr, cc]) + c_here) * length
                    if v < best:
                        best, nxt = v, (rr, cc)
        if nxt is None:
            raise SolverError(f"cell (row {r}, col {col}): no neighbour lies closer to a source; "
                              "give the cumulative costs computed from these costs and this sampling.")
        r, col = nxt
        out.append(nxt)
    raise SolverError("the path back to a source is longer than the grid; give the cumulative costs computed from these costs.")


__all__ = ["sweep_cost_distance", "sweep_path"]
