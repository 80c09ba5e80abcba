"""What the modes of a Circuitscape job share: its result, where its maps go, and its context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from corridors.circuit import inputs
from corridors.circuit.graph import CircuitGraph
from corridors.circuit.ini import CircuitscapeJob
from corridors._errors import DataError
from corridors.circuit.modes import advanced, solve_pairs
from corridors.circuit.solve import SolveStats
from corridors.raster import Raster

NODATA = inputs.NODATA

#: ``progress(done, total)`` after each solve of a pair or focal node.
Progress = Callable[[int, int], None]


class Sink(Protocol):
    """Where the maps of a job go (:class:`~corridors.circuit.out.JobWriter`)."""

    def grid(self, suffix: str, values: np.ndarray, template: Raster) -> None: ...

    def table(self, suffix: str, rows: list[tuple]) -> None: ...


@dataclass
class JobResult:
    """What a Circuitscape job computed.

    Attributes
    ----------
    job : CircuitscapeJob
        The job.
    ids : numpy.ndarray or None
        Focal ids (pairwise, one-to-all, all-to-one) in the order of ``resistances``.
    resistances : numpy.ndarray or None
        Pairwise: the square matrix (0 on the diagonal, -1 for pairs not
        connected, off the graph or excluded). One-to-all: the resistance
        between each focal node and all others grounded (-1 where not
        solved); all-to-one: 0 for each solved focal node, -1 otherwise, as
        Circuitscape reports them.
    voltages : numpy.ndarray or None
        Advanced mode: node voltages (raster jobs: a grid; network jobs: one per node id).
    cum_current, max_current : numpy.ndarray or None
        The cumulative and maximum current maps (raster) when the job writes them.
    template : Raster or None
        Raster jobs: the habitat grid.
    node_ids : numpy.ndarray or None
        Network jobs: the id of every node.
    stats : SolveStats
        Setups and solves done.
    """

    job: CircuitscapeJob
    ids: np.ndarray | None = None
    resistances: np.ndarray | None = None
    voltages: np.ndarray | None = None
    cum_current: np.ndarray | None = None
    max_current: np.ndarray | None = None
    template: Raster | None = None
    node_ids: np.ndarray | None = None
    stats: SolveStats = field(default_factory=SolveStats)


class NullSink:
    """Drops every map (:func:`~corridors.circuit.run.compute_job` without a sink)."""

    def grid(self, suffix: str, values: np.ndarray, template: Raster) -> None:
        pass

    def table(self, suffix: str, rows: list[tuple]) -> None:
        pass


@dataclass
class JobContext:
    """What every mode of a job shares: the job, its solver, where maps go, the solve count for progress."""

    job: CircuitscapeJob
    solver: str
    rtol: float
    memory_limit: int | None
    sink: Sink
    progress: Progress | None
    stats: SolveStats = field(default_factory=SolveStats)
    template: Raster | None = None
    done: int = 0
    total: int = 0

    def grid(self, suffix: str, values: np.ndarray) -> None:
        """Hand a raster map to the sink, on the habitat grid."""
        self.sink.grid(suffix, values, self.template)

    def step(self) -> None:
        """One solve done."""
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def pairs(self, graph: CircuitGraph, pnode: np.ndarray, pid: np.ndarray, exclude: set, maps: bool,
              on_pair: Callable | None) -> np.ndarray:
        """The pairwise kernel (:func:`~corridors.circuit.modes.solve_pairs`) with this job's solver and progress."""
        return solve_pairs(graph.laplacian, graph.components, pnode, pid, exclude=exclude, keep_voltages=maps,
                           on_pair=on_pair, solver=self.solver, rtol=self.rtol, stats=self.stats,
                           batch_size=self.job.cholmod_batch_size, step=self.step)

    def advanced(self, graph: CircuitGraph, sources: np.ndarray, grounds: np.ndarray,
                 on_component: Callable | None = None) -> np.ndarray:
        """Advanced mode (:func:`~corridors.circuit.modes.advanced`) with this job's solver; the node voltages."""
        self.total = 1
        try:
            res = advanced(graph, sources, grounds, solver=self.solver, rtol=self.rtol, currents=False, on_component=on_component)
        except DataError as exc:
            raise DataError(f"{self.job.source}, key 'ground_file': {exc}") from None
        self.stats.add(res.stats)
        self.step()
        return res.voltages

    def file(self, key: str) -> Path:
        """The existing input file of INI key ``key``."""
        return inputs.exists(getattr(self.job, key), key, self.job.source)


def pair_solves(graph: CircuitGraph, pnode: np.ndarray) -> int:
    """Solves the pairwise kernel will do: per component, one less than its distinct focal nodes."""
    nodes = np.unique(pnode[pnode >= 0])
    if not len(nodes):
        return 0
    per = np.bincount(graph.components[nodes])
    return int(np.maximum(per - 1, 0).sum())
