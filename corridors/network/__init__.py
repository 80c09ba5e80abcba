"""Habitat-connectivity graph and its metrics (IIC, PC, EC, dPC fractions, betweenness, what-if gains)."""

from corridors.network.conefor import read_conefor, write_conefor
from corridors.network.export import write_results
from corridors.network.graph import HabitatGraph, build_graph, dispersal_k, link_probability
from corridors.network.metrics import Connectivity, connectivity, equivalent_connected_area, iic, pc, probability_matrix
from corridors.network.programme import (
    ProgrammeAnalysis,
    analyse_programme,
    by_river_system,
    candidate_nodes,
    graph_from_nodes,
    population_nodes,
    programme_graph,
    site_capacity,
)
from corridors.network.sources import AlongRiver, EffectiveResistance, FromTable, LeastCost, LinkSource, StraightLine
from corridors.network.whatif import Candidate, border_losses, link_candidate, node_candidate, rank_candidates

__all__ = [
    "AlongRiver",
    "Candidate",
    "Connectivity",
    "EffectiveResistance",
    "FromTable",
    "HabitatGraph",
    "LeastCost",
    "LinkSource",
    "ProgrammeAnalysis",
    "StraightLine",
    "analyse_programme",
    "border_losses",
    "build_graph",
    "by_river_system",
    "candidate_nodes",
    "connectivity",
    "dispersal_k",
    "equivalent_connected_area",
    "graph_from_nodes",
    "iic",
    "link_candidate",
    "link_probability",
    "node_candidate",
    "pc",
    "population_nodes",
    "probability_matrix",
    "programme_graph",
    "rank_candidates",
    "read_conefor",
    "site_capacity",
    "write_conefor",
    "write_results",
]
