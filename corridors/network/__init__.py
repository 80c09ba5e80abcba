"""Habitat-connectivity graph and its metrics (IIC, PC, EC, dPC fractions, betweenness, what-if gains)."""

from corridors.network.conefor import read_conefor, write_conefor
from corridors.network.graph import HabitatGraph, build_graph, dispersal_k, link_probability
from corridors.network.metrics import Connectivity, connectivity, equivalent_connected_area, iic, pc, probability_matrix

__all__ = [
    "Connectivity",
    "HabitatGraph",
    "build_graph",
    "connectivity",
    "dispersal_k",
    "equivalent_connected_area",
    "iic",
    "link_probability",
    "pc",
    "probability_matrix",
    "read_conefor",
    "write_conefor",
]
