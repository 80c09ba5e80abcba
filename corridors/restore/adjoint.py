"""The circuit adjoint on a grid: per-branch conductances of a cell grid and the gain of each cell from a pair's voltages.

Split out of :mod:`corridors.restore.sensitivity` (which explains the
derivative ``-dR/dc``): the stencil of branches as the circuit engine builds
them (Circuitscape's conventions), and :func:`voltage_gain`, the chain rule
from branch to cell.
"""

from __future__ import annotations

import math

import numpy as np

from corridors._errors import DataError

_SQRT2 = math.sqrt(2.0)


class EdgeStencil:
    """The branches of a grid circuit and the derivative of each branch conductance with respect to its two cells.

    Built once per grid and reused for every pair: :meth:`gain` turns a pair's
    cell voltages into ``-dR/dc`` per cell with a few whole-grid array
    operations per neighbour offset (no gathers, no extra solve).

    Parameters
    ----------
    conductance : numpy.ndarray
        Cell conductances, 0 where the cell is no node.
    four_neighbors : bool, default False
        4 instead of 8 neighbours.
    avg_resistances : bool, default False
        Branch conductance from the mean of the cell resistances instead of
        the mean of the conductances (Circuitscape's ``connect_using_avg_resistances``).
    """

    def __init__(self, conductance: np.ndarray, *, four_neighbors: bool = False, avg_resistances: bool = False):
        c = np.asarray(conductance, dtype="float64")
        if c.ndim != 2:
            raise DataError(f"conductance grid must be 2-D, got shape {c.shape}.")
        self.shape = c.shape
        offsets = ((0, 1), (1, 0)) if four_neighbors else ((0, 1), (1, 0), (1, 1), (1, -1))
        self.parts: list[tuple[tuple[slice, slice], tuple[slice, slice], np.ndarray, np.ndarray]] = []
        for dr, dc in offsets:
            src, dst = _shifted(c.shape, dr, dc)
            cp, cq = c[src], c[dst]
            both = (cp > 0) & (cq > 0)
            s = _SQRT2 if (dr and dc) else 1.0
            if avg_resistances:
                tot = np.where(both, cp + cq, 1.0)
                kp = np.where(both, 2.0 * cq * cq / (tot * tot) / s, 0.0)
                kq = np.where(both, 2.0 * cp * cp / (tot * tot) / s, 0.0)
            else:
                kp = np.where(both, 0.5 / s, 0.0)
                kq = kp
            self.parts.append((src, dst, kp, kq))

    def gain(self, voltage: np.ndarray, out: np.ndarray | None = None, weight: float = 1.0) -> np.ndarray:
        """``weight x (-dR/dc)`` per cell for one unit-current solve, added to ``out`` if given.

        Parameters
        ----------
        voltage : numpy.ndarray
            Cell voltages of 1 A between the pair (any finite value off the graph).
        out : numpy.ndarray, optional
            Grid to add into (float64, the grid's shape).
        weight : float, default 1
            Multiplies the gain (the chain rule of a measure built on R).

        Returns
        -------
        numpy.ndarray
            ``out``, or a new grid.
        """
        v = np.asarray(voltage, dtype="float64")
        if v.shape != self.shape:
            raise DataError(f"voltage grid {v.shape} differs from the conductance grid {self.shape}.")
        g = np.zeros(self.shape) if out is None else out
        for src, dst, kp, kq in self.parts:
            dv = v[src] - v[dst]
            dv *= dv
            if weight != 1.0:
                dv *= weight
            g[src] += dv * kp
            g[dst] += dv * kq
        return g


def _shifted(shape: tuple[int, int], dr: int, dc: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Slices of the cells p and of their neighbours p + (dr, dc) that lie inside the grid (dr >= 0)."""
    rows, cols = shape
    rs, rd = slice(0, rows - dr), slice(dr, rows)
    if dc >= 0:
        cs, cd = slice(0, cols - dc), slice(dc, cols)
    else:
        cs, cd = slice(-dc, cols), slice(0, cols + dc)
    return (rs, cs), (rd, cd)


def voltage_gain(
    conductance: np.ndarray,
    voltage: np.ndarray,
    *,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
) -> np.ndarray:
    """``-dR/dc`` per cell from the voltages of one unit-current solve (the adjoint).

    Parameters
    ----------
    conductance : numpy.ndarray
        The cell conductances the circuit was built from (0 or NaN: no node).
    voltage : numpy.ndarray
        The cell voltages of 1 A between the pair (NaN off the circuit, e.g.
        the voltage map of :func:`corridors.circuit.pinch.corridor_current`).
    four_neighbors, avg_resistances
        The circuit's conventions (see :class:`EdgeStencil`).

    Returns
    -------
    numpy.ndarray
        float64 gain per cell (>= 0), 0 off the circuit.
    """
    c = np.nan_to_num(np.asarray(conductance, dtype="float64"), nan=0.0)
    v = np.asarray(voltage, dtype="float64")
    on = np.isfinite(v)
    c = np.where(on, c, 0.0)
    return EdgeStencil(c, four_neighbors=four_neighbors, avg_resistances=avg_resistances).gain(np.where(on, v, 0.0))
