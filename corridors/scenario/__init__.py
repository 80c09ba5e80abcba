"""Scenarios: the YAML schema (validated with pydantic, errors naming key and line) and the pipeline that runs one.

Modules, in the order they build on each other
----------------------------------------------
schema
    The pydantic models of a scenario file, its intervention types and the default weights.
yamlerrors
    :func:`load_scenario` / :func:`scenario_from_dict`: reading a file, with the line of every key in errors.
context
    What a run shares (inputs, grid, candidates), the landscape states and their analyses.
interventions
    The area an intervention acts on, its cells, and a list of interventions applied to a state.
network
    The scenario's habitat network (nodes, link distances, EC per river system, what-if gains).
tables, outputs
    The run's tables, files, figures and report.
pipeline
    :func:`run_scenario`: one scenario, from its file to its complete output folder.

Example
-------
>>> from corridors.scenario import load_scenario, run_scenario
>>> result = run_scenario(load_scenario("scenarios/baseline.yml"), "out/baseline")
>>> result.summary["ec_ha"]  # doctest: +SKIP
"""

from corridors.scenario.context import Analysis
from corridors.scenario.interventions import apply_area_intervention, intervention_area
from corridors.scenario.pipeline import ScenarioResult, run_scenario
from corridors.scenario.schema import (
    DEFAULT_CORRIDOR_WEIGHTS,
    DEFAULT_SITE_WEIGHTS,
    INTERVENTION_TYPES,
    BaseData,
    BorderId,
    BorderPermeability,
    CorridorRestoration,
    HabitatLoss,
    InputPath,
    Intervention,
    Landscape,
    Links,
    MeasureId,
    PopulationControl,
    ProtectedArea,
    Reintroduction,
    RiparianReforestation,
    Robustness,
    Scenario,
    Scoring,
)
from corridors.scenario.tables import ScenarioRun
from corridors.scenario.yamlerrors import load_scenario, scenario_from_dict

__all__ = [
    "DEFAULT_CORRIDOR_WEIGHTS",
    "DEFAULT_SITE_WEIGHTS",
    "INTERVENTION_TYPES",
    "Analysis",
    "BaseData",
    "BorderId",
    "BorderPermeability",
    "CorridorRestoration",
    "HabitatLoss",
    "InputPath",
    "Intervention",
    "Landscape",
    "Links",
    "MeasureId",
    "PopulationControl",
    "ProtectedArea",
    "Reintroduction",
    "RiparianReforestation",
    "Robustness",
    "Scenario",
    "ScenarioResult",
    "ScenarioRun",
    "Scoring",
    "apply_area_intervention",
    "intervention_area",
    "load_scenario",
    "run_scenario",
    "scenario_from_dict",
]
