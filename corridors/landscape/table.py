"""The resistance table (``data/resistance.yml``): landscape classes, zone widths and border resistances, validated."""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from corridors import settings
from corridors._errors import ConfigError, where
from corridors.borders import border_id
from corridors.io import read_text


#: The landscape classes every resistance table must define, in the order they are
#: painted (a later class overwrites an earlier one).
CLASSES: tuple[str, ...] = ("open_lowland", "desert", "mountain", "floodplain", "riparian", "lake", "settlement")

#: Integer code of each class in the class raster (:func:`build_classes`); 0 is no data (sea).
CLASS_CODES: dict[str, int] = {name: i + 1 for i, name in enumerate(CLASSES)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LandClass(_Strict):
    """One landscape class of the resistance table."""

    resistance: float = Field(gt=0, description="Cost of one metre through the class, relative to riparian = 1.")
    suitability: float = Field(ge=0, le=1, description="Habitat quality, 0 (none) to 1 (best).")
    why: str = Field(min_length=1, description="The expert reasoning behind the values.")


class Zones(_Strict):
    """Distances that turn vector layers into zones."""

    riparian_m: float = Field(gt=0)
    floodplain_m: float = Field(gt=0)
    settlement_per_100k_m: float = Field(ge=0)
    settlement_min_m: float = Field(ge=0)
    settlement_max_m: float = Field(ge=0)
    border_width_m: float = Field(ge=0)


class ResistanceTable(_Strict):
    """The whole resistance/suitability model (``data/resistance.yml``)."""

    version: int = 1
    classes: dict[str, LandClass]
    regions: dict[str, str] = Field(default_factory=dict)
    region_names: dict[str, str] = Field(default_factory=dict)
    zones: Zones
    borders: dict[str, float]


def _table_error(path: object, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    return ConfigError(f"{where(path, field=field)}: {err['msg']}; fix the value in the resistance table.")


def load_table(table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None) -> ResistanceTable:
    """Read and validate a resistance table.

    Parameters
    ----------
    table : path-like, mapping, ResistanceTable or None
        A YAML file like ``data/resistance.yml`` (the default), its content as
        a mapping, or an already loaded table.

    Returns
    -------
    ResistanceTable

    Raises
    ------
    ConfigError
        If a class is missing, a value is out of range (resistance must be
        > 0, suitability within 0-1), a region maps to an unknown class, or a
        border id is malformed.
    """
    if isinstance(table, ResistanceTable):
        return table
    path: object = "resistance table"
    if table is None or isinstance(table, (str, os.PathLike)):
        path = Path(table) if table is not None else settings.RESISTANCE_TABLE_PATH
        if not Path(path).exists():
            raise ConfigError(f"{path}: resistance table not found; give the path of a YAML file like data/resistance.yml.")
        try:
            raw = yaml.safe_load(read_text(path, ConfigError))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax.") from exc
    else:
        raw = dict(table)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: a resistance table must be a YAML mapping with classes, zones and borders.")
    try:
        t = ResistanceTable.model_validate(raw)
    except ValidationError as exc:
        raise _table_error(path, exc) from exc
    missing = [c for c in CLASSES if c not in t.classes]
    if missing:
        raise ConfigError(
            f"{where(path, field='classes')}: class {missing[0]!r} is missing; every table defines {', '.join(CLASSES)}."
        )
    extra = [c for c in t.classes if c not in CLASSES]
    if extra:
        raise ConfigError(f"{where(path, field='classes')}: unknown class {extra[0]!r}; use only {', '.join(CLASSES)}.")
    for group in ("regions", "region_names"):
        for feat, cls in getattr(t, group).items():
            if cls not in CLASSES:
                raise ConfigError(f"{where(path, field=f'{group}.{feat}')}: unknown class {cls!r}; use one of {', '.join(CLASSES)}.")
    if "default" not in t.borders:
        raise ConfigError(f"{where(path, field='borders.default')}: missing; give the resistance of borders not listed.")
    for bid, value in t.borders.items():
        _check_border_key(path, bid)
        if not value > 0:
            raise ConfigError(f"{where(path, field=f'borders.{bid}')}: resistance must be > 0, got {value}.")
    return t


def _check_border_key(path: object, bid: str) -> None:
    if bid == "default":
        return
    parts = bid.split("-")
    if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() and p.isupper() for p in parts):
        raise ConfigError(f"{where(path, field=f'borders.{bid}')}: a border id reads like 'TKM-UZB' (two ISO3 codes).")
    if border_id(*parts) != bid:
        raise ConfigError(
            f"{where(path, field=f'borders.{bid}')}: write the ISO3 codes in alphabetical order: {border_id(*parts)!r}."
        )


def apply_overrides(table: ResistanceTable, overrides: Mapping[str, Any] | None) -> ResistanceTable:
    """A copy of ``table`` with some resistances replaced.

    Parameters
    ----------
    table : ResistanceTable
    overrides : mapping, optional
        Either nested, ``{"classes": {"desert": 80}, "borders": {"TKM-UZB": 50}}``
        (a class value may also be a mapping of ``resistance``/``suitability``),
        or flat, ``{"desert": 80, "TKM-UZB": 50}`` (border ids are told from
        class names by their form).

    Returns
    -------
    ResistanceTable

    Raises
    ------
    ConfigError
        If a key names no class or border id, or a value is not positive.
    """
    if not overrides:
        return table
    t = copy.deepcopy(table)
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("classes", "borders") and isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    for key, value in flat.items():
        if key in t.classes:
            fields = value if isinstance(value, Mapping) else {"resistance": value}
            data = t.classes[key].model_dump() | dict(fields)
            try:
                t.classes[key] = LandClass.model_validate(data)
            except ValidationError as exc:
                raise _table_error("overrides", exc) from exc
        elif key == "default" or "-" in key:
            _check_border_key("overrides", key)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ConfigError(f"{where('overrides', field=key)}: a border resistance must be a number > 0, got {value!r}.")
            t.borders[key] = float(value)
        else:
            raise ConfigError(
                f"{where('overrides', field=key)}: not a class ({', '.join(CLASSES)}) nor a border id like 'TKM-UZB'; fix the key."
            )
    return t


def draw_resistances(table: Any, rng: np.random.Generator, factor: float) -> tuple[Any, dict[str, float]]:
    """Multiply every class and border resistance of a table by its own random factor.

    Parameters
    ----------
    table : corridors.landscape.ResistanceTable
    rng : numpy.random.Generator
    factor : float
        >= 1; each factor is ``exp(U(-log f, log f))``, log-uniform in ``[1/f, f]``
        (1 leaves the table as it is).

    Returns
    -------
    (corridors.landscape.ResistanceTable, dict)
        The new table (:func:`apply_overrides`) and the
        factor drawn for each class and border id, in the table's order.
    """
    keys = list(table.classes) + list(table.borders)
    f = np.exp(rng.uniform(-math.log(factor), math.log(factor), len(keys)))
    factors = dict(zip(keys, f.tolist()))
    values = {k: table.classes[k].resistance if k in table.classes else table.borders[k] for k in keys}
    return apply_overrides(table, {k: values[k] * factors[k] for k in keys}), factors
