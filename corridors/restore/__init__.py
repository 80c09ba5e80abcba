"""Where to restore: which cells, restored, would raise connectivity most.

Three answers, each on the user's rasters and cores as on the programme's:

- Barrier Mapper (McRae et al. 2012; Linkage Mapper's ``s6_barriers``):
  :mod:`corridors.restore.barriers`, the drop in least-cost distance per
  unit of restored width, by moving windows of several radii.
- Circuit sensitivity: :mod:`corridors.restore.sensitivity` (with the grid adjoint of
  :mod:`corridors.restore.adjoint`), the derivative
  of each pair's effective resistance (and of the network's EC) with respect
  to each cell's conductance, from the solves already made (the adjoint).
- Linkage Priority (Linkage Mapper 3): :mod:`corridors.restore.priority`.

:mod:`corridors.restore.sites` turns any of these score surfaces into ranked
restoration sites (connected patches of top cells).

An engine: arrays, rasters, linkage results and the user's files in; it
knows nothing of the programme's data, of drawing or of the command line.
"""

from corridors.restore.barriers import BarrierResult, barrier_mapper, disc_minimum
from corridors.restore.priority import PriorityResult, PriorityWeights, core_area_values, linkage_priority
from corridors.restore.adjoint import voltage_gain
from corridors.restore.sensitivity import (  # circuit, EC and least-cost sensitivity (issue 15, part 2)
    SensitivityResult,
    ec_link_sensitivity,
    ec_sensitivity,
    lcd_sensitivity,
    resistance_sensitivity,
)

__all__ = [
    "BarrierResult", "barrier_mapper", "disc_minimum", "PriorityResult", "PriorityWeights", "SensitivityResult", "core_area_values", "ec_link_sensitivity", "ec_sensitivity",
    "lcd_sensitivity", "linkage_priority", "resistance_sensitivity", "voltage_gain",
]
