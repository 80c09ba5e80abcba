"""Omniscape: omnidirectional moving-window circuit connectivity (McRae et al.; Landau et al. 2021), Omniscape.jl configs unchanged.

:func:`run_config` runs a config file as ``corridors omniscape run`` does;
:mod:`corridors.omniscape.core` holds the algorithm on arrays and
:mod:`corridors.omniscape.config` the reading of config files.
"""

from corridors.omniscape.config import OmniscapeConfig, config_from_dict, read_config
from corridors.omniscape.core import Conditions, Targets, Window, correction_array, find_targets, solve_targets, window_current
from corridors.omniscape.run import OmniscapeResult, compute, prepare_inputs, run_config

__all__ = [
    "Conditions", "OmniscapeConfig", "OmniscapeResult", "Targets", "Window", "compute", "config_from_dict",
    "correction_array", "find_targets", "prepare_inputs", "read_config", "run_config", "solve_targets", "window_current",
]
