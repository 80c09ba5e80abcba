"""Omniscape's moving-window algorithm on arrays: targets, window sources and grounds, artifact correction, one solve per target.

McRae et al.'s omnidirectional method as Omniscape.jl implements it
(Landau et al. 2021; ``src/utils.jl``, ``src/main.jl``): every target cell on
a ``block_size`` lattice is grounded in turn; the source cells within
``radius`` of it (a circle, its own block excluded) inject a total current
equal to the source strength of the target's block, shared in proportion to
their strengths; the currents of every window are summed into one map. Flow
potential is the same solve on a uniform conductance, and the normalised
current their ratio.

Arrays are row-major (row 0 at the top, as in the rasters), with NaN for no
data. Every window is solved as Circuitscape's advanced mode solves it
(:func:`corridors.circuit.modes.advanced`), so the current of a cell is
Circuitscape's node current. The quirks of Omniscape.jl that change numbers
are kept and named where they are (the block cleared around the window's
centre cell even where the window is cut by the grid's edge; the flow
potential solved on the whole square window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from corridors._errors import DataError
from corridors.circuit.graph import circuitscape_graph
from corridors.circuit.modes import advanced, apply_ground_policy
from corridors.circuit.solve import SymbolicCache, circuitscape_node_currents

#: The no-data value of Omniscape's outputs.
NODATA = -9999.0
#: Windows of fewer nodes are solved by sparse Cholesky (CHOLMOD) whatever the solver asked: it is exact, and
#: faster than setting up an AMG hierarchy per window. Measured on random windows (benchmarks/bench_omniscape.py):
#: radius 5 (81 nodes) 0.8 ms against 11.7 ms with cg+amg, radius 20 (1,257) 2.6 against 29.1 ms, radius 50 (7,845)
#: 11.9 against 41.5 ms; cg+amg catches up only beyond about 30,000 nodes (radius ~100).
DIRECT_WINDOW_NODES = 30_000


@dataclass(frozen=True)
class Window:
    """The moving-window geometry of a run, in cells (Omniscape's ``radius``, ``buffer``, ``block_size``)."""

    radius: int
    buffer: int = 0
    block_size: int = 1

    def __post_init__(self) -> None:
        if self.radius < 1 or self.buffer < 0 or self.block_size < 1 or self.block_size % 2 == 0:
            raise DataError(f"window radius {self.radius}, buffer {self.buffer}, block_size {self.block_size}: the radius must be "
                            ">= 1, the buffer >= 0 and the block size an odd number >= 1.")

    @property
    def block_radius(self) -> int:
        """``(block_size - 1) / 2``."""
        return (self.block_size - 1) // 2

    @property
    def reach(self) -> int:
        """``radius + buffer``: the half-width of a window."""
        return self.radius + self.buffer

    @property
    def width(self) -> int:
        """Cells across a whole window, ``2 * reach + 1``."""
        return 2 * self.reach + 1


@dataclass(frozen=True)
class Targets:
    """The grounded targets: 0-based row and column of each, and its current (the sum of source strength in its block)."""

    rows: np.ndarray
    cols: np.ndarray
    amps: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Conditions:
    """Conditional connectivity (Omniscape's ``conditional``): a source only feeds a target whose conditions it matches.

    ``present[k]`` is condition k+1 at the sources, ``future[k]`` the one
    compared at the target (the same array when ``compare_to_future`` does
    not name k+1). ``comparison[k]`` is 'within' (the source's value minus
    the target block's median must lie in ``[lower[k], upper[k]]``) or
    'equal' (the source's value equals the target block's mode).
    """

    present: tuple[np.ndarray, ...]
    future: tuple[np.ndarray, ...]
    comparison: tuple[str, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]


# ---------------------------------------------------------------------- inputs
def source_from_resistance(resistance: np.ndarray, r_cutoff: float = np.inf, *, is_conductance: bool = False) -> np.ndarray:
    """Source strength from resistance (``source_from_resistance``): 1 / resistance, 0 where resistance > ``r_cutoff`` or no data.

    Parameters
    ----------
    resistance : numpy.ndarray
        Resistances (or conductances with ``is_conductance``), NaN for no data.
    r_cutoff : float, default inf
        Cells of higher resistance are no source.
    is_conductance : bool, default False
        ``resistance`` holds conductances: the source strength is the value itself.

    Returns
    -------
    numpy.ndarray
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.asarray(resistance, dtype="float64") if is_conductance else 1.0 / np.asarray(resistance, dtype="float64")
        cutoff = 1.0 / r_cutoff if r_cutoff else np.inf
        return np.where(np.isfinite(s) & (s >= cutoff), s, 0.0)


def reclassify(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Replace values by a two-column table (Omniscape's ``reclassify_resistance!``): old value -> new value, NaN for no data.

    Every row is matched against the original values, so chains (1 -> 2,
    2 -> 3) do not cascade.
    """
    old = np.asarray(values, dtype="float64")
    out = old.copy()
    for frm, to in np.asarray(table, dtype="float64"):
        out[old == frm] = to
    return out


def find_targets(source: np.ndarray, window: Window) -> Targets:
    """Targets on the ``block_size`` lattice with their block's total source strength (``get_targets``); blocks of 0 dropped.

    The lattice starts ``block_radius`` cells in from the top left corner and
    steps by ``block_size``; blocks cut by the bottom or right edge are
    summed over the cells that exist.
    """
    nrows, ncols = source.shape
    br, bs = window.block_radius, window.block_size
    ys = np.arange(br, nrows - br, bs)
    xs = np.arange(br, ncols - br, bs)
    s = np.nan_to_num(np.asarray(source, dtype="float64"))
    # Block sums with a summed-area table: each block is s[y-br : y+br+1, x-br : x+br+1], cut at the grid's edge.
    sat = np.zeros((nrows + 1, ncols + 1))
    sat[1:, 1:] = s.cumsum(0).cumsum(1)
    y0, y1 = ys - br, np.minimum(ys + br + 1, nrows)
    x0, x1 = xs - br, np.minimum(xs + br + 1, ncols)
    amps = sat[y1][:, x1] - sat[y0][:, x1] - sat[y1][:, x0] + sat[y0][:, x0]
    # Omniscape orders targets column by column; its sums do not depend on the order.
    cc, rr = np.meshgrid(xs, ys)
    keep = amps > 0
    return Targets(rows=rr[keep], cols=cc[keep], amps=amps[keep])


def _clip(a: np.ndarray, row: int, col: int, distance: int) -> np.ndarray:
    """The square of half-width ``distance`` around (row, col), cut at the edges, NaN outside the circle of that radius (``clip``)."""
    nrows, ncols = a.shape
    r0, r1 = max(row - distance, 0), min(row + distance, nrows - 1)
    c0, c1 = max(col - distance, 0), min(col + distance, ncols - 1)
    sub = np.array(a[r0:r1 + 1, c0:c1 + 1], dtype="float64")
    cy, cx = min(distance, row), min(distance, col)
    ii, jj = np.ogrid[:sub.shape[0], :sub.shape[1]]
    sub[np.sqrt((jj - cx) ** 2 + (ii - cy) ** 2) > distance] = np.nan
    return sub


def _window_box(shape: tuple[int, int], row: int, col: int, reach: int) -> tuple[slice, slice]:
    """The rows and columns of the grid a window centred on (row, col) covers."""
    return (slice(max(row - reach, 0), min(row + reach, shape[0] - 1) + 1),
            slice(max(col - reach, 0), min(col + reach, shape[1] - 1) + 1))


def _shift(box: tuple[slice, slice], origin: tuple[int, int]) -> tuple[slice, slice]:
    """A box of the grid as a box of the part of it that starts at ``origin``."""
    return (slice(box[0].start - origin[0], box[0].stop - origin[0]), slice(box[1].start - origin[1], box[1].stop - origin[1]))


def window_source(source: np.ndarray, row: int, col: int, amps: float, window: Window, shape: tuple[int, int],
                  conditions: Conditions | None = None, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The source currents of one window (``get_source``): ``amps`` shared over the sources of the circle, the block excluded.

    Parameters
    ----------
    source : numpy.ndarray
        Source strengths of the grid (or a stand-in grid, for the artifact correction).
    row, col : int
        The target.
    amps : float
        The target's current.
    window : Window
    shape : (int, int)
        The shape of the analysed grid: it decides where a window is cut
        (Omniscape uses the grid's shape even for the correction's stand-in).
    conditions : Conditions, optional
        Conditional connectivity: sources whose conditions do not match the
        target's are dropped after the current is shared (as in Omniscape, the
        total then falls short of ``amps``).
    origin : (int, int), default (0, 0)
        Row and column of the grid at which ``source`` (and the condition
        arrays) start, when they are a part of the grid that holds every
        window of the target; ``row``, ``col`` and ``shape`` stay the grid's.

    Returns
    -------
    numpy.ndarray
        The window's source currents, 0 elsewhere.
    """
    nrows, ncols = shape
    r, b, br = window.radius, window.buffer, window.block_radius
    sub = _clip(source, row - origin[0], col - origin[1], r)
    if b > 0:
        left, right = max(0, min(b, col - r)), max(0, min(b, ncols - (col + 1 + r)))
        top, bottom = max(0, min(b, row - r)), max(0, min(b, nrows - (row + 1 + r)))
        sub = np.pad(sub, ((top, bottom), (left, right)), constant_values=np.nan)
    sub = np.nan_to_num(sub, nan=0.0)
    # Omniscape clears the block around the window's middle cell, (reach, reach), also where the window is cut
    # by the grid's edge and the target sits elsewhere in it: kept, since it changes Omniscape's numbers.
    c = window.reach
    sub[c - br:min(c + br + 1, nrows), c - br:min(c + br + 1, ncols)] = 0.0
    pos = sub > 0
    total = sub[pos].sum()
    if total > 0:
        sub[pos] = sub[pos] * amps / total
    if conditions is not None:
        _match_conditions(sub, row, col, window, shape, conditions, origin)
    return sub


def _mode(values: np.ndarray) -> float:
    """The most frequent value; of equally frequent ones, the first to reach that count in order (StatsBase's ``mode``)."""
    uniq, inverse = np.unique(values, return_inverse=True)
    # Running count of each value at each position: the mode is the value whose count first reaches the maximum.
    order = np.argsort(inverse, kind="stable")
    running = np.empty(len(values), dtype=np.int64)
    starts = np.r_[0, np.cumsum(np.bincount(inverse))[:-1]]
    running[order] = np.arange(len(values)) - np.repeat(starts, np.bincount(inverse))
    top = running.max()
    return float(values[np.argmax(running == top)])


def _match_conditions(sub: np.ndarray, row: int, col: int, window: Window, shape: tuple[int, int], cond: Conditions,
                      origin: tuple[int, int]) -> None:
    """Drop the sources whose conditions differ from the target block's (``source_target_match!``)."""
    rows, cols = _shift(_window_box(shape, row, col, window.reach), origin)
    br = window.block_radius
    block = _shift((slice(row - br, min(row + br, shape[0] - 1) + 1), slice(col - br, min(col + br, shape[1] - 1) + 1)), origin)
    for present, future, comparison, lo, hi in zip(cond.present, cond.future, cond.comparison, cond.lower, cond.upper):
        here = present[rows, cols]
        at_target = future[block].T.ravel()  # column-major, as Omniscape iterates
        at_target = at_target[np.isfinite(at_target)]
        if not len(at_target):
            # Omniscape takes the median or mode of no value and fails; no condition can be matched.
            sub[:] = 0.0
            continue
        with np.errstate(invalid="ignore"):
            if comparison == "within":
                d = here - float(np.median(at_target))
                off = (d > hi) | (d < lo)
            else:
                off = here != _mode(at_target)
        sub[off & np.isfinite(here)] = 0.0


def window_conductance(resistance: np.ndarray, row: int, col: int, window: Window, *, is_conductance: bool = False) -> np.ndarray:
    """The conductances of one window (``get_conductance``): the circle of radius ``radius + buffer``, NaN outside."""
    sub = _clip(resistance, row, col, window.reach)
    if is_conductance:
        return sub
    with np.errstate(divide="ignore"):
        return 1.0 / sub


def window_current(conductance: np.ndarray, source: np.ndarray, ground_at: tuple[int, int], *, four_neighbors: bool = False,
                   solver: str = "amg", pattern: SymbolicCache | None = None) -> np.ndarray:
    """Circuitscape's advanced-mode current map of one window (``compute_omniscape_current``).

    Cells of conductance > 0 are nodes (8 or 4 neighbours, average
    conductance); ``source`` injects current, the cell ``ground_at`` is tied
    directly to ground (a source there is removed, as ``rmvsrc``). Each
    connected component with both is solved; the others carry no current.

    Parameters
    ----------
    conductance, source : numpy.ndarray
        Of one shape; NaN or <= 0 conductance is no node.
    ground_at : (int, int)
        Row and column of the grounded cell in the window.
    four_neighbors : bool, default False
    solver : {'amg', 'cholmod', 'direct'}, default 'amg'
        'amg' is used only for windows of :data:`DIRECT_WINDOW_NODES` nodes
        or more; smaller ones are solved by CHOLMOD (exact, and faster).
    pattern : SymbolicCache, optional
        Reuse CHOLMOD's analysis of the last window of the same pattern
        (every window no no-data cell cuts has the same one).

    Returns
    -------
    numpy.ndarray
        The current through every cell (0 off the graph).
    """
    cond = np.where(np.isfinite(conductance) & (conductance > 0), conductance, 0.0)
    out = np.zeros(cond.shape)
    if cond[ground_at] <= 0 or not cond.any():
        return out  # the target is no node: nothing is grounded, no current flows (as in Circuitscape)
    graph = circuitscape_graph(cond, four_neighbors=four_neighbors)
    on = graph.nodemap >= 0
    nodes = graph.nodemap[on]
    sources = np.bincount(nodes, weights=source[on], minlength=graph.n_nodes)
    grounds = np.zeros(graph.n_nodes)
    grounds[graph.nodemap[ground_at]] = np.inf
    sources, grounds = apply_ground_policy(sources, grounds, "rmvsrc")
    flat = out.reshape(-1)
    cells = np.flatnonzero(on)
    node_cell = np.empty(graph.n_nodes, dtype=np.int64)
    node_cell[nodes] = cells

    def each(nodes_c, lap_c, vc, finite_c):
        flat[node_cell[nodes_c]] += circuitscape_node_currents(lap_c, vc, finite_c)

    if solver == "amg" and graph.n_nodes < DIRECT_WINDOW_NODES:
        solver = "cholmod"
    advanced(graph, sources, grounds, solver=solver, currents=False, on_component=each, pattern=pattern)
    return out


def correction_array(window: Window, shape: tuple[int, int], *, four_neighbors: bool = False, solver: str = "amg") -> np.ndarray:
    """The block-artifact correction (``calc_correction``): the current of a uniform landscape solved cell by cell over one solved per block.

    On a uniform window, the current of solving every cell of a block as its
    own target is summed and divided by the current of the block's one
    target; multiplying each window's current by this ratio removes the
    grid pattern that ``block_size > 1`` leaves.

    Parameters
    ----------
    window : Window
    shape : (int, int)
        The analysed grid's shape (Omniscape cuts the stand-in window by it).
    four_neighbors, solver
        As in :func:`window_current`.

    Returns
    -------
    numpy.ndarray
        ``window.width`` x ``window.width`` factors.
    """
    r, b, bs, br = window.radius, window.buffer, window.block_size, window.block_radius
    w, c = window.width, window.reach
    ones = np.ones((w, w))
    null_src = _clip(ones, c, c, r)
    if b > 0:
        null_src = np.pad(null_src, b, constant_values=np.nan)
    n_sources = np.nansum(null_src)
    null_src = np.nan_to_num(null_src, nan=0.0)
    null_src[c, c] = 0.0
    null_src[null_src != 0] = 1.0 / (n_sources - 1)
    blocked = window_source(ones, c, c, float(bs * bs), window, shape)
    cond = _clip(ones, c, c, c)
    if blocked.shape != cond.shape:
        raise DataError(f"the grid ({shape[0]} x {shape[1]} cells) is smaller than one window ({w} x {w} cells: radius {r} + "
                        f"buffer {b}); lower the radius or the buffer, or set correct_artifacts = false.")
    block_cur = window_current(cond, blocked, (c, c), four_neighbors=four_neighbors, solver=solver)
    null_cur = window_current(cond, null_src, (c, c), four_neighbors=four_neighbors, solver=solver)
    total = np.zeros((w + bs - 1, w + bs - 1))
    for i in range(bs):
        for j in range(bs):
            total[i:i + w, j:j + w] += null_cur
    total = total[br:br + w, br:br + w]
    total[block_cur == 0] = 0.0
    total[total == 0] = 1.0
    block_cur = np.where(block_cur == 0, 1.0, block_cur)
    return total / block_cur


def _correction_cut(corr: np.ndarray, row: int, col: int, window: Window, shape: tuple[int, int], win_shape: tuple[int, int]) -> np.ndarray:
    """The part of the correction that lies on a window cut by the grid's edge (as in ``solve_target!``)."""
    nrows, ncols = shape
    reach = window.reach

    def cut(pos: int, n: int, size: int) -> slice:
        lo, hi = 1, corr.shape[0]
        if pos + 1 > n - reach:
            hi = size
        if pos + 1 < reach + 1:
            lo = hi - size + 1
        return slice(lo - 1, hi)

    return corr[cut(row, nrows, win_shape[0]), cut(col, ncols, win_shape[1])]


# ---------------------------------------------------------------------- the run
@dataclass
class OmniscapeMaps:
    """Summed maps of a set of targets: cumulative current and (when asked) flow potential, on the part of the grid given."""

    cum_current: np.ndarray
    flow_potential: np.ndarray | None
    targets: int = 0
    origin: tuple[int, int] = (0, 0)


def solve_targets(
    resistance: np.ndarray,
    source: np.ndarray,
    targets: Targets,
    window: Window,
    *,
    is_conductance: bool = False,
    flow_potential: bool = False,
    correction: np.ndarray | None = None,
    conditions: Conditions | None = None,
    four_neighbors: bool = False,
    solver: str = "amg",
    progress: Callable[[int], None] | None = None,
    origin: tuple[int, int] = (0, 0),
    shape: tuple[int, int] | None = None,
) -> OmniscapeMaps:
    """Solve each target's window and sum the currents (Omniscape's loop over ``solve_target!``).

    Parameters
    ----------
    resistance : numpy.ndarray
        Resistances (conductances with ``is_conductance``), NaN for no data:
        the whole grid, or a part of it holding every window of ``targets``
        (see ``origin``).
    source : numpy.ndarray
        Source strengths, 0 where none, on the same cells as ``resistance``.
    targets : Targets
        From :func:`find_targets`, in the grid's rows and columns.
    window : Window
    is_conductance : bool, default False
    flow_potential : bool, default False
        Also solve every window on a uniform conductance of 1.
    correction : numpy.ndarray, optional
        From :func:`correction_array`; multiplies every window's current.
    conditions : Conditions, optional
        Conditional connectivity, on the same cells as ``resistance``.
    four_neighbors, solver
        As in :func:`window_current`.
    progress : callable, optional
        Called with 1 after each target.
    origin : (int, int), default (0, 0)
        Grid row and column of ``resistance[0, 0]`` when it is a part of the grid.
    shape : (int, int), optional
        The whole grid's shape (default ``resistance.shape``).

    Returns
    -------
    OmniscapeMaps
        On the cells of ``resistance``.
    """
    shape = tuple(shape or resistance.shape)
    opts = {"four_neighbors": four_neighbors, "solver": solver}
    patterns = (SymbolicCache(), SymbolicCache())  # the windows' graphs, and the square uniform ones of flow potential
    cum = np.zeros(resistance.shape)
    fp = np.zeros(resistance.shape) if flow_potential else None
    for k in range(len(targets)):
        row, col, amps = int(targets.rows[k]), int(targets.cols[k]), float(targets.amps[k])
        src = window_source(source, row, col, amps, window, shape, conditions, origin)
        cond = window_conductance(resistance, row - origin[0], col - origin[1], window, is_conductance=is_conductance)
        centre = (min(window.reach, row), min(window.reach, col))
        cur = window_current(cond, src, centre, pattern=patterns[0], **opts)
        box = _shift(_window_box(shape, row, col, window.reach), origin)
        corr = _correction_cut(correction, row, col, window, shape, cur.shape) if correction is not None else None
        cum[box] += cur * corr if corr is not None else cur
        if fp is not None:
            pot = window_current(np.ones(cur.shape), src, centre, pattern=patterns[1], **opts)
            fp[box] += pot * corr if corr is not None else pot
        if progress is not None:
            progress(1)
    return OmniscapeMaps(cum, fp, len(targets), origin)


def normalized_current(cum_current: np.ndarray, flow_potential: np.ndarray) -> np.ndarray:
    """Cumulative current over flow potential (``calc_normalized_current``); 0/0 is 0, as in Omniscape."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = cum_current / flow_potential
    return np.where(np.isnan(out), 0.0, out)
