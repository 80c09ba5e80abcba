"""Population viability (issue 16): a stochastic, stage- and sex-structured metapopulation model of the deer.

An engine: arrays, tables and files in, arrays and tables out; it knows
nothing of the programme's sites, of drawing or of the command line.

Modules
-------
params
    The parameter file (``data/pva.yml``): pydantic models and :func:`load_parameters`.
model
    :class:`Population`, the management actions, :func:`simulate` and the projection matrix.
results
    Risk curves, expected minimum abundance, bands, targets, time to quasi-extinction, tables,
    Latin-hypercube sensitivity.
"""

from __future__ import annotations

from corridors.pva.actions import Action, Harvest, Reintroduction, Release, Translocation
from corridors.pva.model import Population, Trajectories, growth_rate, projection_matrix, simulate
from corridors.pva.params import SEXES, STAGES, PVAParameters, load_parameters, parameters_from_dict
from corridors.pva.results import (
    TOTAL,
    bands,
    expected_minimum_abundance,
    extinction_risk,
    lhs_sensitivity,
    probability_of_reaching,
    quasi_extinction_risk,
    risk_curve,
    summary_table,
    time_to_quasi_extinction,
)

__all__ = [
    "Action", "Harvest", "Population", "Reintroduction", "Release", "Trajectories", "Translocation", "growth_rate",
    "projection_matrix", "simulate", "SEXES", "STAGES", "PVAParameters", "load_parameters", "parameters_from_dict",
    "TOTAL", "bands", "expected_minimum_abundance", "extinction_risk", "lhs_sensitivity", "probability_of_reaching",
    "quasi_extinction_risk", "risk_curve", "summary_table", "time_to_quasi_extinction",
]
