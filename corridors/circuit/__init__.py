"""Circuitscape-compatible circuit theory: conductance graphs, the four modes, INI jobs, pinch points and centrality.

Modules: ``graph`` (conductance graphs), ``solve`` (grounded solvers, memory
estimates, currents), ``modes`` (pairwise, one-to-all, all-to-one,
advanced), ``grid`` (raster circuits), and the INI job in Circuitscape.jl's
split: ``ini`` (read and check the job), ``inputs`` (read its files as
Circuitscape does), ``run`` (solve it as Circuitscape does) and ``out``
(write Circuitscape's files); ``pinch`` (pinch points and centrality of
least-cost corridors).
"""

from corridors.circuit.graph import CircuitGraph, conductance_from_values, grid_graph, merge_nodes, network_graph
from corridors.circuit.grid import (
    GridCircuit,
    build_grid_circuit,
    focal_grid_from_points,
    one_to_all_raster,
    pairwise_raster,
    read_point_file,
)
from corridors.circuit.ini import CircuitscapeJob, read_ini
from corridors.circuit.inputs import read_included_pairs, read_network, read_points
from corridors.circuit.modes import (
    AdvancedResult,
    FocalResult,
    PairwiseResult,
    advanced,
    apply_ground_policy,
    one_to_all,
    pairwise,
)
from corridors.circuit.out import JobWriter
from corridors.circuit.run import JobResult, compute_job, run_job
from corridors.circuit.solve import GroundedSolver, SolveStats, branch_currents, estimate_memory, node_currents

__all__ = [
    "AdvancedResult",
    "CircuitGraph",
    "CircuitscapeJob",
    "FocalResult",
    "GridCircuit",
    "GroundedSolver",
    "JobResult",
    "JobWriter",
    "PairwiseResult",
    "SolveStats",
    "advanced",
    "apply_ground_policy",
    "branch_currents",
    "build_grid_circuit",
    "compute_job",
    "conductance_from_values",
    "estimate_memory",
    "focal_grid_from_points",
    "grid_graph",
    "merge_nodes",
    "network_graph",
    "node_currents",
    "one_to_all",
    "one_to_all_raster",
    "pairwise",
    "pairwise_raster",
    "read_included_pairs",
    "read_ini",
    "read_network",
    "read_point_file",
    "read_points",
    "run_job",
]
