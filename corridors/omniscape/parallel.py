"""Omniscape's targets in tiles, solved in this process or on Dask distributed, the tiles' partial maps summed.

Targets are independent: each one's window is solved on its own and its
current added to the map. The grid is cut into square tiles of targets;
a tile's task receives only the part of the grid its windows reach (the
tile plus ``radius + buffer`` cells around it), and returns the current on
that part alone. A worker's memory is therefore bounded by the tile and the
window, never by the grid: about ``(tile + 2 * reach)^2`` cells of input and
output arrays plus one window's solve (see :func:`tile_memory`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from corridors.omniscape.core import Conditions, OmniscapeMaps, Targets, Window, solve_targets

#: Cells of input and output per cell of a tile's part of the grid (resistance, source, current, flow potential, conditions),
#: 8 bytes each; the figure :func:`tile_memory` uses.
_ARRAYS_PER_CELL = 6


@dataclass(frozen=True)
class Tile:
    """One task: targets, and the part of the grid their windows reach (rows ``r0:r1``, columns ``c0:c1``)."""

    index: np.ndarray
    r0: int
    r1: int
    c0: int
    c1: int


def tile_side(window: Window) -> int:
    """Cells along a tile's side: the window's width (rounded up to whole blocks), so each part of the grid is at most 3 windows across."""
    bs = window.block_size
    return max(bs, -(-window.width // bs) * bs)


def tile_memory(window: Window, side: int | None = None) -> int:
    """Bytes a task holds at most: its part of the grid's arrays and one window's graph and solver (an estimate)."""
    side = side or tile_side(window)
    part = (side + 2 * window.reach) ** 2
    win = window.width ** 2
    return 8 * _ARRAYS_PER_CELL * part + 400 * win  # ~400 B per node: Laplacian, AMG hierarchy, vectors


def make_tiles(targets: Targets, window: Window, shape: tuple[int, int], side: int | None = None) -> list[Tile]:
    """Group targets into square tiles of ``side`` cells, each with the part of the grid its windows reach."""
    side = side or tile_side(window)
    key_r, key_c = targets.rows // side, targets.cols // side
    order = np.lexsort((key_c, key_r))
    keys = np.stack([key_r[order], key_c[order]], axis=1)
    cuts = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
    reach = window.reach
    tiles = []
    for idx in np.split(order, cuts):
        if not len(idx):
            continue
        rows, cols = targets.rows[idx], targets.cols[idx]
        tiles.append(Tile(idx, max(int(rows.min()) - reach, 0), min(int(rows.max()) + reach + 1, shape[0]),
                          max(int(cols.min()) - reach, 0), min(int(cols.max()) + reach + 1, shape[1])))
    return tiles


def _part(a: np.ndarray | None, t: Tile) -> np.ndarray | None:
    return None if a is None else np.ascontiguousarray(a[t.r0:t.r1, t.c0:t.c1])


def _tile_task(resistance: np.ndarray, source: np.ndarray, rows: np.ndarray, cols: np.ndarray, amps: np.ndarray,
               window: Window, options: dict, conditions: Conditions | None, origin: tuple[int, int],
               shape: tuple[int, int]) -> OmniscapeMaps:
    """Solve one tile's targets on its part of the grid (runs on a worker)."""
    return solve_targets(resistance, source, Targets(rows, cols, amps), window, conditions=conditions, origin=origin,
                         shape=shape, **options)


def _tile_args(t: Tile, resistance: np.ndarray, source: np.ndarray, targets: Targets, conditions: Conditions | None) -> tuple:
    cond = None
    if conditions is not None:
        cond = Conditions(tuple(_part(a, t) for a in conditions.present), tuple(_part(a, t) for a in conditions.future),
                          conditions.comparison, conditions.lower, conditions.upper)
    return (_part(resistance, t), _part(source, t), targets.rows[t.index], targets.cols[t.index], targets.amps[t.index], cond,
            (t.r0, t.c0))


def run_tiles(
    resistance: np.ndarray,
    source: np.ndarray,
    targets: Targets,
    window: Window,
    options: dict,
    *,
    conditions: Conditions | None = None,
    client=None,
    progress: Callable[[int], None] | None = None,
) -> OmniscapeMaps:
    """Solve every target tile by tile and sum the tiles' maps.

    Parameters
    ----------
    resistance, source : numpy.ndarray
        The whole grid.
    targets : Targets
    window : Window
    options : dict
        Keyword arguments of :func:`corridors.omniscape.core.solve_targets`
        (``is_conductance``, ``flow_potential``, ``correction``,
        ``four_neighbors``, ``solver``).
    conditions : Conditions, optional
    client : distributed.Client, optional
        Run the tiles on its workers; None solves them here, in the same
        tiles (the maps then agree with a parallel run to rounding).
    progress : callable, optional
        Called with the number of targets of each finished tile.

    Returns
    -------
    OmniscapeMaps
        On the whole grid.
    """
    shape = resistance.shape
    cum = np.zeros(shape)
    fp = np.zeros(shape) if options.get("flow_potential") else None
    tiles = make_tiles(targets, window, shape)

    def add(t: Tile, part: OmniscapeMaps) -> None:
        cum[t.r0:t.r1, t.c0:t.c1] += part.cum_current
        if fp is not None:
            fp[t.r0:t.r1, t.c0:t.c1] += part.flow_potential
        if progress is not None:
            progress(part.targets)

    if client is None:
        for t in tiles:
            res, src, rows, cols, amps, cond, origin = _tile_args(t, resistance, source, targets, conditions)
            add(t, _tile_task(res, src, rows, cols, amps, window, options, cond, origin, shape))
    else:
        for t, part in _on_cluster(client, tiles, resistance, source, targets, window, options, conditions, shape):
            add(t, part)
    return OmniscapeMaps(cum, fp, len(targets))


def _on_cluster(client, tiles: list[Tile], resistance, source, targets, window, options, conditions,
                shape) -> Iterator[tuple[Tile, OmniscapeMaps]]:
    """Run the tiles on the cluster, a few ahead of the workers, and yield each as it finishes.

    Only ``2 x workers + 2`` tiles are in flight at once, and each finished
    tile's future is released as soon as its maps are fetched: submitting
    every tile at once kept all their inputs on the scheduler, and holding
    the futures kept every result on the workers until the run ended (a
    worker's peak grew with the grid: +22 MiB over its start on 200 x 200,
    +31 MiB on 500 x 500, radius 50).
    """
    # Local: distributed costs 0.2-0.6 s to import (measured); a run on one worker never needs it.
    from distributed import as_completed

    pending = iter(enumerate(tiles))
    running = as_completed()
    tile_of: dict[str, Tile] = {}

    def submit_next() -> None:
        k, t = next(pending, (None, None))
        if t is None:
            return
        res, src, rows, cols, amps, cond, origin = _tile_args(t, resistance, source, targets, conditions)
        fut = client.submit(_tile_task, res, src, rows, cols, amps, window, options, cond, origin, shape,
                            key=f"omniscape-tile-{k}", pure=False)
        tile_of[fut.key] = t
        running.add(fut)

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    for _ in range(2 * n_workers + 2):
        submit_next()
    for fut in running:
        part = fut.result()
        t = tile_of.pop(fut.key)
        fut.release()
        del fut
        submit_next()
        yield t, part
