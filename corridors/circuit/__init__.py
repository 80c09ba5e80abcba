"""Circuitscape-compatible circuit theory: conductance graphs, the four modes, INI jobs, pinch points and centrality."""

from corridors.circuit.graph import CircuitGraph, conductance_from_values, grid_graph, merge_nodes, network_graph
from corridors.circuit.grid import (
    GridCircuit,
    build_grid_circuit,
    focal_grid_from_points,
    one_to_all_raster,
    pairwise_raster,
    read_point_file,
)
from corridors.circuit.modes import (
    AdvancedResult,
    FocalResult,
    PairwiseResult,
    advanced,
    apply_ground_policy,
    one_to_all,
    pairwise,
)
from corridors.circuit.solve import GroundedSolver, SolveStats, branch_currents, estimate_memory, node_currents

__all__ = [
    "AdvancedResult",
    "CircuitGraph",
    "FocalResult",
    "GridCircuit",
    "GroundedSolver",
    "PairwiseResult",
    "SolveStats",
    "advanced",
    "apply_ground_policy",
    "branch_currents",
    "build_grid_circuit",
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
    "read_point_file",
]
