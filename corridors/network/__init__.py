"""Habitat-connectivity graph and its metrics (IIC, PC, EC, dPC fractions, betweenness, what-if gains)."""

from corridors.network.conefor import read_conefor, write_conefor
from corridors.network.export import write_results
from corridors.network.graph import HabitatGraph, build_graph, dispersal_k, link_probability
from corridors.network.metrics import Connectivity, connectivity, equivalent_connected_area, iic, pc, probability_matrix
from corridors.network.sources import (
    AlongRiver,
    EffectiveResistance,
    FromTable,
    HabitatLeastCost,
    LeastCost,
    LinkSource,
    StraightLine,
)
from corridors.network.whatif import Candidate, border_losses, link_candidate, node_candidate, rank_candidates

__all__ = [
    "AlongRiver",
    "Candidate",
    "Connectivity",
    "EffectiveResistance",
    "FromTable",
    "HabitatGraph",
    "HabitatLeastCost",
    "LeastCost",
    "LinkSource",
    "StraightLine",
    "border_losses",
    "build_graph",
    "connectivity",
    "dispersal_k",
    "equivalent_connected_area",
    "iic",
    "link_candidate",
    "link_probability",
    "node_candidate",
    "pc",
    "probability_matrix",
    "rank_candidates",
    "read_conefor",
    "write_conefor",
    "write_results",
]
