"""Management actions of the metapopulation model: translocation, reintroduction, harvest and captive release.

Each is a frozen dataclass checked when made (stage, sex, numbers); :func:`corridors.pva.model.simulate`
applies them in step 8 of its year (harvests, then translocations, reintroductions and releases).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from corridors._errors import ConfigError
from corridors.pva.params import SEXES, STAGES

_S = {s: i for i, s in enumerate(STAGES)}
_X = {x: i for i, x in enumerate(SEXES)}


def _years(value: int | Iterable[int]) -> tuple[int, ...]:
    return (int(value),) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)


def _check_stage_sex(what: str, stage: str | None, sex: str | None) -> None:
    if stage is not None and stage not in _S:
        raise ConfigError(f"{what}: unknown stage {stage!r}; use one of {', '.join(STAGES)} (or None for all).")
    if sex is not None and sex not in _X:
        raise ConfigError(f"{what}: unknown sex {sex!r}; use female, male or None for both.")


@dataclass(frozen=True)
class Translocation:
    """Move ``number`` animals of a stage (and sex) from ``source`` to ``target`` in each of ``years``.

    ``years`` counts simulated years (1 = the first); ``sex=None`` takes either
    sex, ``stage=None`` any stage, at random. Never more than the source holds.
    """

    source: str
    target: str
    number: int
    stage: str | None = "adult"
    sex: str | None = None
    years: int | tuple[int, ...] = (1,)
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "years", _years(self.years))
        _check_stage_sex(f"Translocation {self.source}->{self.target}", self.stage, self.sex)
        if self.number < 0:
            raise ConfigError(f"Translocation {self.source}->{self.target}: number must be >= 0, got {self.number}.")


@dataclass(frozen=True)
class Reintroduction:
    """A founder group released into ``target`` in ``year``: ``founders`` maps (stage, sex) to animals, or a (3, 2) array."""

    target: str
    founders: Mapping[tuple[str, str], int] | np.ndarray
    year: int = 1
    label: str | None = None

    def __post_init__(self) -> None:
        arr = np.zeros((3, 2), dtype=np.int64)
        if isinstance(self.founders, Mapping):
            for key, v in self.founders.items():
                if not (isinstance(key, tuple) and len(key) == 2):
                    raise ConfigError(f"Reintroduction {self.target}: founders keys are (stage, sex), got {key!r}.")
                _check_stage_sex(f"Reintroduction {self.target}", key[0], key[1])
                arr[_S[key[0]], _X[key[1]]] += int(v)
        else:
            a = np.asarray(self.founders)
            if a.shape != (3, 2):
                raise ConfigError(f"Reintroduction {self.target}: founders array of shape (3, 2) expected, got {a.shape}.")
            arr = a.astype(np.int64)
        if (arr < 0).any():
            raise ConfigError(f"Reintroduction {self.target}: founder numbers must be >= 0.")
        object.__setattr__(self, "founders", arr)


@dataclass(frozen=True)
class Harvest:
    """Remove a ``number`` of animals, or each animal with ``rate``, of a stage and sex (None: all) in each of ``years``."""

    population: str
    number: int | None = None
    rate: float | None = None
    stage: str | None = None
    sex: str | None = None
    years: int | tuple[int, ...] = (1,)
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "years", _years(self.years))
        _check_stage_sex(f"Harvest {self.population}", self.stage, self.sex)
        if (self.number is None) == (self.rate is None):
            raise ConfigError(f"Harvest {self.population}: give either number or rate, not both nor neither.")
        if self.number is not None and self.number < 0:
            raise ConfigError(f"Harvest {self.population}: number must be >= 0, got {self.number}.")
        if self.rate is not None and not 0 <= self.rate <= 1:
            raise ConfigError(f"Harvest {self.population}: rate must lie within 0-1, got {self.rate}.")


@dataclass(frozen=True)
class Release:
    """Add ``number`` captive-bred animals (from outside the model, e.g. the unit-8 groups) to ``target``.

    ``sex=None`` splits them, females first (``ceil(number / 2)`` females).
    """

    target: str
    number: int
    stage: str = "adult"
    sex: str | None = None
    years: int | tuple[int, ...] = (1,)
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "years", _years(self.years))
        _check_stage_sex(f"Release {self.target}", self.stage, self.sex)
        if self.number < 0:
            raise ConfigError(f"Release {self.target}: number must be >= 0, got {self.number}.")


Action = Translocation | Reintroduction | Harvest | Release
