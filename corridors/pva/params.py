"""The PVA parameter file (``data/pva.yml``): vital rates, catastrophes, dispersal and starting counts, validated.

Every number carries a ``source``; ``assumed: true`` marks a value taken
from other red deer (Cervus elaphus) populations. :func:`load_parameters`
reads the file, maps every key to its line and turns pydantic's first error
into one sentence naming the file, the line and the key.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from corridors import settings
from corridors._errors import ConfigError
from corridors.io.yamldoc import read_yaml, validation_error

#: The stages, in the order of the arrays' stage axis (ages 0, 1, 2+).
STAGES: tuple[str, ...] = ("calf", "yearling", "adult")
#: The sexes, in the order of the arrays' sex axis.
SEXES: tuple[str, ...] = ("female", "male")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeanSd(_Strict):
    """A vital rate's mean and the standard deviation of its yearly (environmental) variation."""

    mean: float = Field(ge=0)
    sd: float = Field(default=0.0, ge=0)


class _Sourced(_Strict):
    source: str = Field(min_length=1)
    assumed: bool = False


class SexSurvival(_Sourced):
    """Annual survival of one stage, by sex."""

    female: MeanSd
    male: MeanSd

    @model_validator(mode="after")
    def _beta_possible(self) -> SexSurvival:
        for sex in SEXES:
            r: MeanSd = getattr(self, sex)
            if not 0 <= r.mean <= 1:
                raise ValueError(f"{sex} survival mean must lie within 0-1, got {r.mean}")
            if r.sd > 0 and not (0 < r.mean < 1 and r.sd**2 < r.mean * (1 - r.mean)):
                raise ValueError(
                    f"{sex} survival sd {r.sd} is too large for mean {r.mean}: a beta distribution needs "
                    f"sd < sqrt(mean x (1 - mean)) = {math.sqrt(max(r.mean * (1 - r.mean), 0)):.3g}; lower it"
                )
        return self


class Survival(_Strict):
    calf: SexSurvival
    yearling: SexSurvival
    adult: SexSurvival


class Rate(_Sourced):
    """Calves born per female of a stage per year (both sexes together)."""

    mean: float = Field(ge=0)
    sd: float = Field(default=0.0, ge=0)


class Fecundity(_Strict):
    yearling: Rate
    adult: Rate


class Value(_Sourced):
    value: float


class Share(_Sourced):
    value: float = Field(ge=0, le=1)


class Positive(_Sourced):
    value: float = Field(gt=0)


class Range(_Sourced):
    low: float = Field(gt=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high}); swap them")
        return self

    @property
    def mid(self) -> float:
        """The midpoint of the range."""
        return (self.low + self.high) / 2


class DensityDependence(_Strict):
    form: Literal["ceiling", "beverton_holt"] = "ceiling"
    density_per_km2: Range


class Catastrophe(_Sourced):
    """A yearly probability and the multipliers of survival and fecundity in a year it strikes."""

    name: str = Field(min_length=1)
    probability: float = Field(ge=0, le=1)
    survival: float = Field(ge=0, le=1)
    fecundity: float = Field(ge=0)


class Dispersal(_Strict):
    stages: list[Literal["calf", "yearling", "adult"]] = Field(default_factory=lambda: ["yearling"])
    rate: Share
    density_dependent: bool = False


class StartingCount(_Strict):
    """The starting abundance of one population (animals, both sexes), with its uncertainty."""

    count: int = Field(ge=0)
    low: int | None = Field(default=None, ge=0)
    high: int | None = Field(default=None, ge=0)
    year: int
    source: str = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _brackets(self) -> StartingCount:
        lo = self.count if self.low is None else self.low
        hi = self.count if self.high is None else self.high
        if not lo <= self.count <= hi:
            raise ValueError(f"count {self.count} must lie within low-high ({lo}-{hi})")
        return self


class PVAParameters(_Strict):
    """The whole parameter file (schema of issue 16; README, Population viability)."""

    stages: list[str] = Field(default_factory=lambda: list(STAGES))
    survival: Survival
    fecundity: Fecundity
    male_share_at_birth: Share
    environmental_correlation_km: Positive
    density_dependence: DensityDependence
    catastrophes: list[Catastrophe] = Field(default_factory=list)
    dispersal: Dispersal
    quasi_extinction: Value
    populations: dict[str, StartingCount] = Field(default_factory=dict)
    #: Free text kept with the file (places left out, caveats); not used by the model.
    notes: str | list[Any] | None = None
    unresolved: list[Any] | dict[str, Any] | None = None

    @model_validator(mode="after")
    def _checks(self) -> PVAParameters:
        if list(self.stages) != list(STAGES):
            raise ValueError(f"stages must be exactly {list(STAGES)} (the model's fixed order), got {self.stages}")
        names = [c.name for c in self.catastrophes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"catastrophe {dup[0]!r} is given twice; keep one")
        return self

    def survival_array(self) -> tuple[list[list[float]], list[list[float]]]:
        """Mean and sd of survival as nested lists indexed [stage][sex]."""
        rows = [getattr(self.survival, s) for s in STAGES]
        return ([[getattr(r, x).mean for x in SEXES] for r in rows], [[getattr(r, x).sd for x in SEXES] for r in rows])


# ---------------------------------------------------------------------------- reading


def parameters_from_dict(data: Mapping[str, Any], source: object = "<pva parameters>",
                         lines: Mapping[tuple, int] | None = None) -> PVAParameters:
    """Validate PVA parameters given as a mapping (as read from YAML).

    Parameters
    ----------
    data : mapping
        The file's keys.
    source : object, default '<pva parameters>'
        Name used in error messages (the file).
    lines : mapping, optional
        Key path to line number, used in error messages.

    Returns
    -------
    PVAParameters

    Raises
    ------
    ConfigError
        Naming the source, the line (when known) and the key.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}, line 1: PVA parameters must be a YAML mapping (survival:, fecundity: ...).")
    try:
        return PVAParameters.model_validate(dict(data))
    except ValidationError as exc:
        raise validation_error(source, exc, lines or {}) from None


def load_parameters(path: str | os.PathLike | None = None) -> PVAParameters:
    """Read and validate a PVA parameter file.

    Parameters
    ----------
    path : path-like, optional
        A YAML file like ``data/pva.yml`` (the default, ``settings.DATA_DIR / "pva.yml"``).

    Returns
    -------
    PVAParameters

    Raises
    ------
    ConfigError
        If the file is missing or not YAML, a key is given twice, missing or
        unknown, or a value is out of range; the message names the file, the
        line and the key (e.g. ``pva.yml, line 7, key 'survival.adult.female.mean': ...``).
    """
    p = Path(path) if path is not None else settings.DATA_DIR / "pva.yml"
    if not p.exists():
        raise ConfigError(f"{p}: PVA parameter file not found; give the path of a YAML file like data/pva.yml.")
    data, lines, _node = read_yaml(p, what="PVA parameter file",
                                   empty_hint="it needs survival:, fecundity:, ... (see data/pva.yml)")
    return parameters_from_dict(data, source=p, lines=lines)
