"""The costs table of budgeted portfolios (``data/programme/costs.yml`` or the user's): one entry per intervention key."""

from __future__ import annotations

import math
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from corridors import settings
from corridors._errors import ConfigError
from corridors.io.yamldoc import read_yaml, validation_error

#: Where the costs come from unless the user gives a table.
COSTS_FILE = settings.DATA_DIR / "programme" / "costs.yml"
#: The source text that marks a cost as a placeholder (the table's own wording).
PLACEHOLDER = "placeholder"


class CostEntry(BaseModel):
    """One intervention's cost: a range (low, high), optionally a central value; what it rests on."""

    model_config = ConfigDict(extra="forbid")
    measure: str | None = Field(None, description="The programme measure (checked against the scenario).")
    cost: tuple[float, float] = Field(description="Low and high cost, in the table's unit.")
    central: float | None = Field(None, description="Central cost (default: the middle of the range).")
    basis: str = Field("", description="How the range was reached.")
    source: str = Field(description="Where it comes from, or 'placeholder: ...'.")

    @model_validator(mode="after")
    def _range(self) -> "CostEntry":
        lo, hi = self.cost
        if not (0 <= lo <= hi) or not math.isfinite(hi):
            raise ValueError(f"cost range [{lo}, {hi}] must be 0 <= low <= high")
        if self.central is not None and not lo <= self.central <= hi:
            raise ValueError(f"central {self.central} lies outside the range [{lo}, {hi}]")
        return self

    @property
    def mid(self) -> float:
        """The central cost."""
        return self.central if self.central is not None else (self.cost[0] + self.cost[1]) / 2

    @property
    def placeholder(self) -> bool:
        """True when the source says the value is a placeholder."""
        return PLACEHOLDER in self.source.lower()


class CostRules(BaseModel):
    """A planner's rules kept with the costs."""

    model_config = ConfigDict(extra="forbid")
    exclusive: list[list[str]] = Field(default_factory=list, description="Groups of keys of which at most one is funded.")
    requires: dict[str, list[str]] = Field(default_factory=dict, description="Key -> keys it needs.")


class Costs(BaseModel):
    """The costs table: unit, one entry per intervention key, rules."""

    model_config = ConfigDict(extra="forbid")
    unit: str = Field(description="Cost unit, e.g. 'thousand USD, total 2025-2032'.")
    interventions: dict[str, CostEntry]
    rules: CostRules = Field(default_factory=CostRules)


def load_costs(path: str | os.PathLike | None = None) -> tuple[Costs, Path, dict]:
    """Read and validate a costs table.

    Parameters
    ----------
    path : path-like, optional
        Default ``data/programme/costs.yml``.

    Returns
    -------
    (Costs, pathlib.Path, dict)
        The table, its path and the line of every key.

    Raises
    ------
    ConfigError
        Naming the file, the line and the key.
    """
    p = Path(path) if path is not None else COSTS_FILE
    data, lines, _node = read_yaml(p, what="costs table",
                                   empty_hint="it needs unit: and interventions: (see data/programme/costs.yml)")
    if not isinstance(data, dict):
        raise ConfigError(f"{p}, line 1: a costs table is a YAML mapping (unit:, interventions:).")
    try:
        return Costs.model_validate(data), p, lines
    except ValidationError as exc:
        raise validation_error(p, exc, lines) from None
