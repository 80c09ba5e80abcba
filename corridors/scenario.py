"""Scenario files: the YAML schema (validated with pydantic, errors naming key and line) and the pipeline that runs one scenario."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
import re
import typing
from pathlib import Path
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from corridors import settings
from corridors._errors import ConfigError
from corridors.programme import (
    CANDIDATE_SITE_KINDS,
    DEFAULT_LINK_SOURCE,
    DEFAULT_MEDIAN_DISPERSAL_M,
    DEFAULT_REACH_M,
    NETWORK_MARGIN_M,
    NETWORK_RESOLUTION_M,
    PROGRAMME_CORRIDORS,
    PROTECTED_KINDS,
    TYPICAL_MEASURES,
    known_measures,
    network_sites,
)
from corridors.io.provenance import package_versions
from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA

# --------------------------------------------------------------------------- reusable field types


def _input_path(value: Path, info: ValidationInfo) -> Path:
    """Resolve a path relative to the scenario file's folder and check it exists."""
    base = (info.context or {}).get("base_dir")
    p = Path(value).expanduser()
    if not p.is_absolute() and base is not None:
        p = Path(base) / p
    if not p.exists():
        raise ValueError(f"file {str(value)!r} not found (paths are relative to the scenario file's folder)")
    return p


InputPath = Annotated[Path, AfterValidator(_input_path)]

_BORDER_RE = re.compile(r"^[A-Z]{3}-[A-Z]{3}$")


def _border(value: str) -> str:
    if not _BORDER_RE.match(value):
        raise ValueError(f"border id {value!r} must read like 'TKM-UZB' (two ISO3 codes, sorted, joined by '-')")
    a, b = value.split("-")
    if a >= b:
        raise ValueError(f"border id {value!r} must list its two ISO3 codes in alphabetical order: '{b}-{a}'")
    return value


BorderId = Annotated[str, AfterValidator(_border)]


def _measure(value: Any) -> str:
    v = str(value).strip()
    if isinstance(value, float):
        raise ValueError(
            f"measure {value!r} must be quoted text (YAML reads 2.10 as the number 2.1); write '{value}' in quotes"
        )
    if v not in known_measures():
        raise ValueError(f"unknown measure {v!r}; use a measure id of data/programme/measures.csv (e.g. '2.1', 'A6.1')")
    return v


MeasureId = Annotated[Union[str, float, int], AfterValidator(_measure)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=True)


# --------------------------------------------------------------------------- sections


class BaseData(_Model):
    """The data a scenario starts from: the bundled programme data unless the user names files."""

    sites: InputPath | None = Field(None, description="Sites file of the sites schema (default: data/sites.geojson).")
    rivers: InputPath | None = Field(None, description="River centrelines (default: data/rivers/).")
    extent: tuple[float, float, float, float] | None = Field(
        None, description="Analysis window in WGS84 degrees (west, south, east, north); default: the programme's."
    )
    population_units: list[Annotated[int, Field(ge=1, le=8)]] | None = Field(
        None, description="Keep only the sites of these population units (1-8); default: all."
    )

    @field_validator("extent")
    @classmethod
    def _extent_ok(cls, v: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if v is None:
            return v
        w, s, e, n = v
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise ValueError("extent must be [west, south, east, north] in degrees with west < east and south < north")
        return v


class Landscape(_Model):
    """How the resistance and suitability surfaces are built."""

    resolution_m: float = Field(NETWORK_RESOLUTION_M, gt=0, description="Cell size in metres.")
    resistance_table: InputPath | None = Field(None, description="Resistance table (default: data/resistance.yml).")
    resistance_raster: InputPath | None = Field(None, description="A ready resistance GeoTIFF instead of the table.")
    class_overrides: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Resistance per landscape class, replacing the table's value."
    )
    border_overrides: dict[BorderId, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Crossing resistance per border id (e.g. TKM-UZB), replacing the table's."
    )
    corridor_width_m: float = Field(
        200000.0, gt=0,
        description="Truncation of the normalized least-cost corridors (cost-weighted m; Linkage Mapper's default).",
    )


    @model_validator(mode="after")
    def _raster_has_no_classes(self) -> "Landscape":
        if self.resistance_raster is not None and (self.class_overrides or self.border_overrides):
            raise ValueError(
                "class_overrides and border_overrides need the resistance table; a resistance_raster has "
                "no classes or borders (remove them, or drop resistance_raster)"
            )
        return self


class Links(_Model):
    """The habitat graph's links: distance source and dispersal."""

    source: Literal["least_cost", "effective_resistance", "river", "euclidean"] = DEFAULT_LINK_SOURCE  # type: ignore[assignment]
    median_dispersal_m: float = Field(
        DEFAULT_MEDIAN_DISPERSAL_M, gt=0, description="Distance at which the dispersal probability is 0.5 (m, or cost-weighted m)."
    )
    cutoff_m: float | None = Field(None, gt=0, description="Links longer than this are dropped.")
    max_euclid_m: float | None = Field(
        None, gt=0, description="Candidate linkages only between cores closer than this (m)."
    )
    border_permeability: dict[BorderId, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="Factor (0-1) multiplying the probability of links crossing each border."
    )


class Robustness(_Model):
    """Monte-Carlo robustness of the rankings."""

    draws: int = Field(500, ge=1)
    concentration: float = Field(50.0, gt=0, description="Dirichlet concentration around the weights.")
    dispersal_sd_log: float = Field(0.3, ge=0, description="SD of log(median dispersal distance).")
    dispersal_levels: int = Field(5, ge=1, description="Network recomputations for the dispersal perturbation.")
    top_k: int = Field(3, ge=1)


def _weights_of(catalogue: dict) -> typing.Callable[[dict[str, float]], dict[str, float]]:
    def check(v: dict[str, float]) -> dict[str, float]:
        for k, w in v.items():
            if k not in catalogue:
                raise ValueError(f"unknown criterion {k!r}; use one of {', '.join(catalogue)}")
            if not w >= 0:
                raise ValueError(f"weight of {k!r} must be >= 0")
        if v and sum(v.values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return v

    return check


DEFAULT_CORRIDOR_WEIGHTS: dict[str, float] = {
    "cwd": 2.0,
    "cwd_to_euclid": 1.0,
    "effective_resistance": 1.0,
    "min_width_m": 1.0,
    "n_borders": 1.0,
    "share_protected": 1.0,
    "settlement_overlap": 1.0,
    "ec_gain": 3.0,
}

DEFAULT_SITE_WEIGHTS: dict[str, float] = {
    "mean_suitability": 2.0,
    "suitable_area_ha": 1.0,
    "ec_gain": 3.0,
    "source_cwd": 1.0,
    "isolation_m": 1.0,
    "settlement_share": 1.0,
    "n_borders": 0.5,
    "degradation": 1.0,
}


class Scoring(_Model):
    """Weights of the multi-criteria scores and the robustness analysis."""

    corridor_weights: Annotated[dict[str, float], AfterValidator(_weights_of(CORRIDOR_CRITERIA))] = Field(
        default_factory=lambda: dict(DEFAULT_CORRIDOR_WEIGHTS)
    )
    site_weights: Annotated[dict[str, float], AfterValidator(_weights_of(SITE_CRITERIA))] = Field(
        default_factory=lambda: dict(DEFAULT_SITE_WEIGHTS)
    )
    density_per_km2: float = Field(
        2.0, gt=0, description="Deer per km2 of suitable habitat, for the carrying capacity of candidate sites."
    )
    suitable_threshold: float = Field(0.5, ge=0, le=1, description="Suitability from which a cell counts as habitat.")
    reach_m: float = Field(DEFAULT_REACH_M, gt=0, description="Radius around a candidate site that counts as within reach (m).")
    robustness: Robustness = Field(default_factory=Robustness)


# --------------------------------------------------------------------------- interventions


class _Intervention(_Model):
    measure: MeasureId = Field(description="The programme measure this intervention models, e.g. '2.1'.")
    label: str | None = Field(None, description="Short name shown in tables and maps.")


class _Area(_Intervention):
    """An intervention acting on an area: sites, a line between two sites, a river, a geometry or a file."""

    sites: list[str] | None = Field(None, description="Site ids; their geometries (buffered) are the area.")
    between: tuple[str, str] | None = Field(None, description="Two site ids; the straight line between them, buffered.")
    river: str | None = Field(None, description="River name; its centreline (buffered) is the area.")
    near_sites: list[str] | None = Field(None, description="With river: keep the river within within_m of these sites.")
    within_m: float = Field(50000.0, gt=0)
    geometry: dict | None = Field(None, description="A GeoJSON geometry in WGS84.")
    file: InputPath | None = Field(None, description="A vector file; its features are the area.")
    buffer_m: float = Field(2000.0, ge=0, description="Buffer around the target geometry (m).")

    @model_validator(mode="after")
    def _one_target(self) -> "_Area":
        given = [k for k in ("sites", "between", "river", "geometry", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one target among sites, between, river, geometry, file"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.near_sites is not None and self.river is None:
            raise ValueError("near_sites only goes with river")
        if self.geometry is not None:
            gtype = self.geometry.get("type")
            if gtype not in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"):
                raise ValueError(f"geometry type {gtype!r} is not a GeoJSON geometry (Point, LineString, Polygon ...)")
            if "coordinates" not in self.geometry:
                raise ValueError("geometry has no 'coordinates'")
        return self


class CorridorRestoration(_Area):
    """Lower resistance and raise suitability along a corridor (measures 2.1, 3.1, 4.2, 5.7, 6.4, 7.4)."""

    type: Literal["corridor_restoration"]
    resistance_multiplier: float = Field(0.5, gt=0, le=1)
    suitability_add: float = Field(0.1, ge=0, le=1)


class RiparianReforestation(_Area):
    """Riparian forest restored along a river (measures 2.4, 3.3, 5.3, 6.2, 7.1)."""

    type: Literal["riparian_reforestation"]
    buffer_m: float = Field(1500.0, ge=0)
    resistance_multiplier: float = Field(0.6, gt=0, le=1)
    suitability_add: float = Field(0.25, ge=0, le=1)


class ProtectedArea(_Area):
    """A protected area created or extended (measures 3.2, 4.7, 5.1, 6.1, 7.3): less disturbance, counts as protected."""

    type: Literal["protected_area"]
    buffer_m: float = Field(5000.0, ge=0)
    resistance_multiplier: float = Field(0.8, gt=0, le=1)
    suitability_add: float = Field(0.1, ge=0, le=1)


class BorderPermeability(_Intervention):
    """A change in how easily deer cross one border (measures 1.3, 2.9, 3.7): law, fence removal, or a new fence."""

    type: Literal["border_permeability"]
    border: BorderId
    permeability: float | None = Field(
        None, ge=0, le=1, description="Factor (0-1) on the probability of links crossing the border."
    )
    resistance: float | None = Field(None, gt=0, description="New crossing resistance of the border cells.")

    @model_validator(mode="after")
    def _something(self) -> "BorderPermeability":
        if self.permeability is None and self.resistance is None:
            raise ValueError("give permeability (0-1), resistance (> 0) or both")
        return self


class HabitatLoss(_Area):
    """Habitat lost or degraded by a reservoir, extraction or dam operations (measures 2.8, 4.4, 5.3)."""

    type: Literal["habitat_loss"]
    resistance_multiplier: float = Field(5.0, ge=1)
    suitability_multiplier: float = Field(0.2, ge=0, le=1)
    impassable: bool = False


class Reintroduction(_Intervention):
    """A (re)introduction at a candidate site with a capacity (measures 2.5, 2.10, 6.3, 6.6, 7.2, 7.5, 7.9)."""

    type: Literal["reintroduction"]
    site: str
    capacity: float = Field(gt=0, description="Animals the site is stocked / planned for.")


class PopulationControl(_Intervention):
    """Population control at a site (measure 2.3): its capacity scaled or set."""

    type: Literal["population_control"]
    site: str
    capacity_multiplier: float | None = Field(None, ge=0)
    target_capacity: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> "PopulationControl":
        if (self.capacity_multiplier is None) == (self.target_capacity is None):
            raise ValueError("give exactly one of capacity_multiplier or target_capacity")
        return self


Intervention = Annotated[
    Union[
        CorridorRestoration,
        RiparianReforestation,
        ProtectedArea,
        BorderPermeability,
        HabitatLoss,
        Reintroduction,
        PopulationControl,
    ],
    Field(discriminator="type"),
]

INTERVENTION_TYPES: dict[str, type[_Intervention]] = {
    "corridor_restoration": CorridorRestoration,
    "riparian_reforestation": RiparianReforestation,
    "protected_area": ProtectedArea,
    "border_permeability": BorderPermeability,
    "habitat_loss": HabitatLoss,
    "reintroduction": Reintroduction,
    "population_control": PopulationControl,
}


class Scenario(_Model):
    """One scenario: base data, landscape, links, scoring, seed and interventions.

    Every key is optional except ``name``; leaving one out takes the
    documented default. Relative paths are read from the scenario file's folder.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$", description="Short id; names the output folder.")
    title: str | None = None
    description: str | None = None
    base: BaseData = Field(default_factory=BaseData)
    landscape: Landscape = Field(default_factory=Landscape)
    links: Links = Field(default_factory=Links)
    scoring: Scoring = Field(default_factory=Scoring)
    seed: int = Field(0, ge=0)
    interventions: list[Intervention] = Field(default_factory=list)

    #: the file the scenario was read from (not a YAML key)
    source_path: Path | None = Field(None, exclude=True)
    # how errors found while running name the file (as the user gave it) and the line of each key
    _label: str | None = PrivateAttr(None)
    _lines: dict = PrivateAttr(default_factory=dict)

    def where(self, *key: str | int) -> str:
        """The file, line and key of a part of this scenario, for an error message.

        Parameters
        ----------
        *key : str or int
            The key path, e.g. ``('interventions', 2)``.

        Returns
        -------
        str
            ``'scenarios/x.yml, line 14, key 'interventions[2]''`` (the line when
            the scenario came from a file).
        """
        src = self._label or (str(self.source_path) if self.source_path else self.name)
        line = self._lines.get(tuple(key))
        return f"{src}{f', line {line}' if line else ''}, key '{_dotted(tuple(key))}'"

    @property
    def measures(self) -> list[str]:
        """Distinct measure ids the interventions model, in order of first appearance."""
        seen: dict[str, None] = {}
        for iv in self.interventions:
            seen.setdefault(iv.measure, None)
        return list(seen)

    @model_validator(mode="after")
    def _raster_has_no_classes(self) -> "Scenario":
        if self.landscape.resistance_raster is None:
            return self
        for i, iv in enumerate(self.interventions):
            if isinstance(iv, BorderPermeability) and iv.resistance is not None:
                raise ValueError(
                    f"interventions[{i}] sets a border resistance, which needs the resistance table; with a "
                    "resistance_raster give only permeability"
                )
        return self

    def baseline(self) -> "Scenario":
        """The same scenario without interventions: what every scenario is compared against."""
        return self.model_copy(update={"interventions": [], "name": f"{self.name}-baseline"})


# --------------------------------------------------------------------------- YAML with line numbers


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every key path of a composed YAML document to its 1-based line.

    Keys of a mapping map to the line of the key; the mapping or sequence
    itself to the line where it starts. Duplicate keys (which yaml silently
    collapses, keeping the last) are an error here because the first value
    would vanish without a word.
    """
    if out is None:
        out = {}
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for k, v in node.value:
            key = k.value
            if key in seen:
                raise _DuplicateKey(path + (key,), k.start_mark.line + 1, seen[key])
            seen[key] = k.start_mark.line + 1
            out[path + (key,)] = k.start_mark.line + 1
            _line_map(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[path + (i,)] = v.start_mark.line + 1
            _line_map(v, path + (i,), out)
    return out


class _DuplicateKey(Exception):
    def __init__(self, path: tuple, line: int, first: int) -> None:
        super().__init__(path, line, first)
        self.path, self.line, self.first = path, line, first


def _keep_raw_measures(node: yaml.Node, data: Any) -> None:
    """Put back the text of every ``measure:`` value as written.

    YAML reads ``measure: 2.10`` as the float 2.1, which is another measure;
    the composed node still holds the characters the user typed.
    """
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for k, v in node.value:
            if k.value not in data:
                continue
            if k.value == "measure" and isinstance(v, yaml.ScalarNode):
                data[k.value] = v.value
            else:
                _keep_raw_measures(v, data[k.value])
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for v, d in zip(node.value, data):
            _keep_raw_measures(v, d)


def _dotted(loc: tuple) -> str:
    out = ""
    for el in loc:
        if isinstance(el, int):
            out += f"[{el}]"
        else:
            out += ("." if out else "") + str(el)
    return out


def _clean_loc(loc: tuple, lines: dict[tuple, int]) -> tuple:
    """Drop pydantic's union-tag steps (e.g. 'corridor_restoration') that are not YAML keys."""
    out: tuple = ()
    for i, el in enumerate(loc):
        if (out + (el,)) in lines:
            out = out + (el,)
        elif isinstance(el, str) and el in INTERVENTION_TYPES and i > 0 and isinstance(loc[i - 1], int):
            continue
        elif el == "[key]":
            continue
        elif isinstance(el, str) and el.startswith(("function-", "tuple[", "list[", "dict[", "str", "float", "int")):
            continue
        else:
            out = out + (el,)
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model whose fields a key path points into (for 'allowed keys' hints)."""
    model: Any = Scenario
    for el in loc[:-1]:
        if isinstance(el, int):
            continue
        if isinstance(model, type) and issubclass(model, BaseModel) and el in model.model_fields:
            ann = model.model_fields[el].annotation
            model = _unwrap(ann)
        elif el in INTERVENTION_TYPES:
            model = INTERVENTION_TYPES[el]
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(ann: Any) -> Any:
    for _ in range(6):
        origin = typing.get_origin(ann)
        if origin is Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (list, Union, typing.Union) or str(origin) == "types.UnionType":
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) == 1:
                ann = args[0]
            else:
                return None  # a union of models: resolved by the tag step
        else:
            break
    return ann


def _hint(err: dict, loc: tuple) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(tuple(err["loc"]))
        allowed = ", ".join(k for k in model.model_fields if k != "source_path") if model else ""
        return f"unknown key; remove it or fix its spelling (allowed here: {allowed})"
    if kind == "missing":
        return "required key missing; add it"
    if kind == "union_tag_invalid":
        tag = (err.get("ctx") or {}).get("tag", "")
        return f"unknown intervention type {tag!r}; use one of {', '.join(INTERVENTION_TYPES)}"
    if kind == "union_tag_not_found":
        return f"intervention has no 'type'; add one of {', '.join(INTERVENTION_TYPES)}"
    msg = err["msg"]
    msg = re.sub(r"^(Value error|Assertion failed), ", "", msg)
    return msg[0].lower() + msg[1:] if msg else kind


def _format_error(path: object, exc: ValidationError, lines: dict[tuple, int]) -> str:
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = _clean_loc(tuple(err["loc"]), lines)
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    line = lines.get(probe, 1)
    key = _dotted(loc) or "(top level)"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    value = ""
    if err["type"] not in ("missing", "extra_forbidden") and "input" in err and not isinstance(err["input"], (dict, list)):
        if repr(err["input"]) not in err["msg"]:
            value = f" (got {err['input']!r})"
    return f"{path}, line {line}, key '{key}': {_hint(err, loc)}{value}{more}."


def scenario_from_dict(
    data: dict, source: object = "<scenario>", base_dir: Path | None = None, lines: dict[tuple, int] | None = None
) -> Scenario:
    """Validate a scenario given as a mapping (as read from YAML).

    Parameters
    ----------
    data : dict
        The scenario's keys.
    source : object, default '<scenario>'
        Name used in error messages (the file).
    base_dir : path-like, optional
        Folder relative paths start from (default: current directory).
    lines : dict, optional
        Key path to line number, from the YAML file; used in error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        One sentence naming the file, line, key and what would fix it.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}, line 1: a scenario must be a YAML mapping of keys (name:, landscape: ...).")
    try:
        model = Scenario.model_validate(data, context={"base_dir": Path(base_dir) if base_dir else Path.cwd()})
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc, lines or {})) from None
    model._label = str(source)
    model._lines = dict(lines or {})
    return model


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path : path-like
        The scenario file. Relative paths inside it start from its folder.

    Returns
    -------
    Scenario
        With ``source_path`` set to the file.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML, or a key is wrong: the
        message names the file, the line and the key (e.g.
        ``scenarios/x.yml, line 12, key 'interventions[0].measure': unknown measure '9.9' ...``).
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: scenario file not found; check the path (see scenarios/ for examples).")
    text = p.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{p}{line}: not valid YAML ({problem}); fix the indentation or quoting there.") from None
    if node is None:
        raise ConfigError(f"{p}, line 1: the file is empty; a scenario needs at least 'name:'.")
    try:
        lines = _line_map(node)
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{p}, line {dup.line}, key '{_dotted(dup.path)}': given twice (first on line {dup.first}); keep one."
        ) from None
    _keep_raw_measures(node, data)
    model = scenario_from_dict(data, source=p, base_dir=p.parent, lines=lines)
    model.source_path = p.resolve()
    return model


# --------------------------------------------------------------------------- interventions on the landscape


def _site_rows(sites: Any, ids: Sequence[str], where_: str) -> Any:
    """The rows of ``sites`` with these ids, located; an unknown or unresolved id is an error."""
    known = set(sites["id"])
    for sid in ids:
        if sid not in known:
            raise ConfigError(
                f"{where_}: site {sid!r} is not in the sites file; use an id of data/sites.geojson "
                "(`corridors sites list` lists them) or give geometry/file instead."
            )
    rows = sites[sites["id"].isin(list(ids))]
    bad = rows[rows.geometry.isna() | rows.geometry.is_empty]
    if len(bad):
        raise ConfigError(
            f"{where_}: site {bad['id'].iloc[0]!r} is unresolved (the programme gives no place for it); "
            "give geometry or file for this intervention instead."
        )
    return rows


def _rivers_named(rivers: Any, name: str, where_: str) -> Any:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    cols = [c for c in ("river", "name", "id", "system", "river_system") if c in rivers.columns]
    hit = None
    for c in cols:
        norm = rivers[c].astype(str).str.lower().str.replace(" ", "_").str.replace("-", "_")
        sel = norm == key
        if sel.any():
            hit = rivers[sel]
            break
    if hit is None:
        names = sorted({str(v) for c in cols[:1] for v in rivers[c].dropna()})
        raise ConfigError(f"{where_}: river {name!r} not found; use one of {', '.join(names)}.")
    return hit


def intervention_area(iv: _Area, sites: Any, rivers: Any = None, where_: str = "intervention") -> Any:
    """The area (shapely geometry, working CRS) an areal intervention acts on.

    Parameters
    ----------
    iv : CorridorRestoration, RiparianReforestation, ProtectedArea or HabitatLoss
    sites : geopandas.GeoDataFrame
        Sites in the working CRS (schema of data/sites.geojson).
    rivers : geopandas.GeoDataFrame, optional
        River centrelines in the working CRS (needed for ``river:`` targets).
    where_ : str
        How to name the intervention in errors (e.g. ``"scenarios/x.yml, interventions[2]"``).

    Returns
    -------
    shapely.Geometry
        ``sites``: the sites' geometries; ``between``: the straight line
        between the two sites' representative points; ``river``: the named
        centreline (within ``within_m`` of ``near_sites`` if given);
        ``geometry`` / ``file``: as given. Each buffered by ``buffer_m``.

    Raises
    ------
    ConfigError
        Unknown or unresolved site, unknown river, or an empty area.
    """
    import geopandas as gpd
    import shapely
    from shapely.geometry import LineString, shape

    from corridors.io import read_vector

    if iv.sites is not None:
        geom = shapely.union_all(_site_rows(sites, iv.sites, where_).geometry.values)
    elif iv.between is not None:
        rows = _site_rows(sites, list(iv.between), where_).set_index("id")
        a, b = (rows.loc[s].geometry.representative_point() for s in iv.between)
        geom = LineString([a, b])
    elif iv.river is not None:
        if rivers is None:
            raise ConfigError(f"{where_}: a river target needs the river layer; give base.rivers or use geometry.")
        geom = shapely.union_all(_rivers_named(rivers, iv.river, where_).geometry.values)
        if iv.near_sites:
            near = shapely.union_all(_site_rows(sites, iv.near_sites, where_).geometry.values).buffer(iv.within_m)
            geom = geom.intersection(near)
    elif iv.geometry is not None:
        g = gpd.GeoSeries([shape(iv.geometry)], crs=settings.GEOGRAPHIC_CRS).to_crs(settings.WORKING_CRS)
        geom = g.iloc[0]
    else:
        geom = shapely.union_all(read_vector(iv.file).geometry.values)
    if iv.buffer_m > 0:
        geom = geom.buffer(iv.buffer_m)
    if geom is None or geom.is_empty:
        raise ConfigError(f"{where_}: the target area is empty; check the sites, river or geometry it names.")
    return geom


def area_mask(raster: Any, geom: Any) -> Any:
    """Cells of ``raster`` an area acts on.

    A cell belongs to the area when its centre lies inside it (GDAL's
    rasterization rule). An area too thin to hold any cell centre (a narrow
    corridor on a coarse grid) takes the cells it touches instead, so an
    intervention never silently does nothing.

    Parameters
    ----------
    raster : Raster
    geom : shapely.Geometry
        In the raster's CRS.

    Returns
    -------
    numpy.ndarray of bool
    """
    from rasterio.features import geometry_mask

    kw = dict(out_shape=raster.shape, transform=raster.transform, invert=True)
    mask = geometry_mask([geom], all_touched=False, **kw)
    if not mask.any():
        mask = geometry_mask([geom], all_touched=True, **kw)
    return mask


def apply_area_intervention(
    resistance: Any, suitability: Any, iv: _Area, geom: Any
) -> tuple[Any, Any, dict]:
    """Apply an areal intervention to the resistance and suitability rasters.

    Parameters
    ----------
    resistance, suitability : Raster
        Aligned rasters; not modified.
    iv : CorridorRestoration, RiparianReforestation, ProtectedArea or HabitatLoss
    geom : shapely.Geometry
        Its area (:func:`intervention_area`).

    Returns
    -------
    (Raster, Raster, dict)
        New resistance and suitability, and a record (cells changed, area in ha).
        Restoration types multiply resistance by ``resistance_multiplier``
        (<= 1) and add ``suitability_add`` (capped at 1); habitat loss
        multiplies resistance by ``resistance_multiplier`` (>= 1, or makes
        the cells no data when ``impassable``) and suitability by
        ``suitability_multiplier``. No-data cells stay no data.
    """
    import numpy as np

    resistance.check_aligned(suitability)
    mask = area_mask(resistance, geom) & resistance.valid
    res = resistance.array.astype("float64", copy=True)
    suit = suitability.array.astype("float64", copy=True)
    sval = mask & suitability.valid
    if isinstance(iv, HabitatLoss):
        if iv.impassable:
            res[mask] = np.nan
        else:
            res[mask] *= iv.resistance_multiplier
        suit[sval] *= iv.suitability_multiplier
    else:
        res[mask] *= iv.resistance_multiplier
        suit[sval] = np.minimum(1.0, suit[sval] + iv.suitability_add)
    cell_ha = resistance.res[0] * resistance.res[1] / 1e4
    record = {"cells": int(mask.sum()), "area_ha": float(mask.sum() * cell_ha)}
    return resistance.replace(res), suitability.replace(suit), record


# =========================================================================== the pipeline
#
# run_scenario: inputs -> landscape -> interventions -> (linkages, circuit) ->
# network -> scoring -> outputs, all written into a temporary folder that
# replaces the output folder in one rename at the end.



@dataclass
class _Context:
    """Everything a scenario's analyses share (inputs, grid, candidate lists)."""

    model: Scenario
    sites: Any  # all sites (working CRS), including unresolved ones
    rivers: Any
    bounds: tuple[float, float, float, float]
    classes: Any  # Raster of landscape classes or None
    table: Any  # ResistanceTable or None
    node_sites: Any
    candidate_sites: Any
    corridors: list  # corridors.lcp.ProgrammeCorridor whose two ends lie in the selection
    located_ids: set
    protected: Any  # shapely geometry of the protected areas (sites)
    inputs: dict[str, Path]
    landscape_area_ha: float = 0.0


@dataclass
class _State:
    """One landscape state: the baseline, or the baseline with some interventions."""

    resistance: Any
    suitability: Any
    capacity_factor: dict[str, float] = field(default_factory=dict)
    capacity_set_ha: dict[str, float] = field(default_factory=dict)
    new_nodes: dict[str, float] = field(default_factory=dict)  # site id -> capacity (ha)
    permeability: dict[str, float] = field(default_factory=dict)
    border_resistance: dict[str, float] = field(default_factory=dict)
    degraded: Any = None  # bool mask of habitat loss
    protected_extra: list = field(default_factory=list)
    log: list = field(default_factory=list)


@dataclass
class Analysis:
    """The connectivity analysis of one landscape state.

    Attributes
    ----------
    graph : corridors.network.HabitatGraph
    connectivity : corridors.network.Connectivity
    by_system : pandas.DataFrame
        EC (ha) and PC per river system (and ``all``).
    costs : dict
        Core id -> accumulated cost raster (numpy array, cost-weighted m).
    """

    state: _State
    graph: Any
    connectivity: Any
    by_system: Any
    cores: dict
    costs: dict


@dataclass
class ScenarioResult:
    """What :func:`run_scenario` produced.

    Attributes
    ----------
    scenario : Scenario
    outdir : pathlib.Path
        The output folder (complete: it appears only when the run succeeded).
    summary : dict
        Key metrics (EC, PC, per river system, changes against the baseline,
        counts, best options); what ``corridors batch`` puts side by side.
    tables : dict of str to pandas.DataFrame
        Every table written as CSV, by name.
    files : list of pathlib.Path
        Every file written, relative to ``outdir``.
    """

    scenario: Scenario
    outdir: Path
    summary: dict
    tables: dict
    files: list


# --------------------------------------------------------------------------- inputs


def _load_sites(model: Scenario) -> Any:
    """Sites in the working CRS, with list fields as lists (the sites helper's loader when it is there)."""
    path = model.base.sites or settings.SITES_PATH
    try:
        from corridors.sites import load_sites
    except ImportError:
        load_sites = None
    if load_sites is not None:
        gdf = load_sites(path)
    else:
        from corridors.io import read_vector

        gdf = read_vector(path)
    if gdf.crs is not None and gdf.crs != settings.WORKING_CRS:
        gdf = gdf.to_crs(settings.WORKING_CRS)
    for col in ("population_unit", "countries", "measures", "alt_names"):
        if col in gdf.columns:
            gdf[col] = gdf[col].map(_as_list)
    if "population_unit" in gdf.columns:
        gdf["population_unit"] = gdf["population_unit"].map(lambda v: [int(x) for x in v])
    return gdf


def _as_list(v: Any) -> list:
    if v is None or (isinstance(v, float) and v != v):
        return []
    if isinstance(v, (list, tuple)):
        return list(v)
    if hasattr(v, "tolist"):
        return list(v.tolist())
    s = str(v).strip()
    return [x.strip() for x in s.split(";") if x.strip()] if s else []


def _load_rivers(model: Scenario) -> Any:
    if model.base.rivers is not None:
        from corridors.io import read_vector

        p = model.base.rivers
        if p.is_dir():
            import pandas as pd

            files = sorted(q for q in p.iterdir() if q.suffix.lower() in (".geojson", ".gpkg", ".shp"))
            return pd.concat([read_vector(q) for q in files], ignore_index=True)
        return read_vector(p)
    from corridors.landscape import load_river_lines

    return load_river_lines()


def _bounds(model: Scenario, sites: Any) -> tuple[float, float, float, float]:
    from pyproj import Transformer

    if model.base.extent is not None:
        tr = Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)
        return tuple(float(v) for v in tr.transform_bounds(*model.base.extent))  # type: ignore[return-value]
    located = sites[~sites.geometry.isna() & ~sites.geometry.is_empty]
    x0, y0, x1, y1 = located.total_bounds
    m = NETWORK_MARGIN_M
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def _select(model: Scenario, sites: Any) -> Any:
    units = model.base.population_units
    if units:
        keep = sites["population_unit"].map(lambda u: bool(set(u) & set(units)))
        sites = sites[keep]
    if model.base.extent is not None:
        import shapely
        from pyproj import Transformer

        tr = Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)
        box = shapely.box(*tr.transform_bounds(*model.base.extent))
        inside = sites.geometry.isna() | sites.geometry.intersects(box)
        sites = sites[inside]
    return sites.copy()


def _file_hash(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _context(model: Scenario, quiet: bool = True) -> _Context:
    import shapely

    from corridors import landscape

    sites_all = _load_sites(model)
    sites = _select(model, sites_all)
    located = sites[~sites.geometry.isna() & ~sites.geometry.is_empty]
    if len(located) == 0:
        raise ConfigError(
            f"{model.source_path or model.name}, key 'base': no located site falls in the chosen population units "
            "and extent; widen base.extent or base.population_units."
        )
    rivers = _load_rivers(model)
    bounds = _bounds(model, located)
    table = landscape.load_table(model.landscape.resistance_table)
    classes = None
    if model.landscape.resistance_raster is None:
        classes = landscape.build_classes(bounds, model.landscape.resolution_m, table, rivers=rivers)
    nodes = network_sites(located)
    if len(nodes) < 2:
        raise ConfigError(
            f"{model.source_path or model.name}, key 'base.population_units': fewer than two wild populations "
            "(subpopulation or outside_range sites) are selected; a habitat network needs at least two."
        )
    cands = located[located["kind"].isin(CANDIDATE_SITE_KINDS)].copy()
    ok_ids = set(located["id"])
    corridors = [c for c in PROGRAMME_CORRIDORS if c.end_a in ok_ids and c.end_b in ok_ids]
    prot = located[located["kind"].isin(PROTECTED_KINDS)]
    r = [min(float(p or 10.0) * 1000.0, model.scoring.reach_m) for p in prot.get("location_precision_km", [])]
    protected = shapely.union_all([g if g.geom_type != "Point" else g.buffer(rr) for g, rr in zip(prot.geometry, r)])
    inputs: dict[str, Path] = {}
    if model.source_path is not None:
        inputs["scenario"] = Path(model.source_path)
    inputs["sites"] = Path(model.base.sites or settings.SITES_PATH)
    for key, p in (("resistance_table", model.landscape.resistance_table or settings.RESISTANCE_TABLE_PATH),
                   ("resistance_raster", model.landscape.resistance_raster),
                   ("measures", settings.MEASURES_PATH)):
        if p is not None and Path(p).exists():
            inputs[key] = Path(p)
    if model.base.rivers is not None:
        inputs["rivers"] = Path(model.base.rivers)
    else:
        for q in sorted(settings.RIVERS_DIR.glob("*.geojson")):
            inputs[f"rivers/{q.name}"] = q
    for name in ("countries", "borders", "lakes", "regions", "towns"):
        inputs[f"base/{name}"] = settings.BASE_DIR / f"{name}.geojson"
    for iv in model.interventions:
        f = getattr(iv, "file", None)
        if f is not None:
            inputs[f"intervention:{Path(f).name}"] = Path(f)
    return _Context(model, sites_all, rivers, bounds, classes, table, nodes, cands, corridors, ok_ids, protected, inputs)


def _base_state(ctx: _Context, border_resistance: dict[str, float] | None = None) -> _State:
    from corridors import landscape

    m = ctx.model.landscape
    overrides: dict[str, Any] = {"classes": dict(m.class_overrides), "borders": dict(m.border_overrides)}
    if border_resistance:
        overrides["borders"].update(border_resistance)
    if m.resistance_raster is not None:
        grid = landscape.make_grid(ctx.bounds, m.resolution_m)
        res = landscape.resistance_from_raster(m.resistance_raster, grid)
        # a user resistance raster has no classes: suitability falls as resistance grows (1 at the lowest)
        import numpy as np

        arr = res.masked()
        lo = np.nanmin(arr)
        suit = res.replace(np.where(np.isfinite(arr), lo / arr, np.nan), name="suitability")
        return _State(res, suit, border_resistance=dict(border_resistance or {}))
    res = landscape.build_resistance(ctx.bounds, m.resolution_m, ctx.table, overrides=overrides, classes=ctx.classes)
    suit = landscape.build_suitability(
        ctx.bounds, m.resolution_m, ctx.table, overrides={"classes": {}}, classes=ctx.classes
    )
    return _State(res.replace(res.array.astype("float64")), suit.replace(suit.array.astype("float64")),
                  border_resistance=dict(border_resistance or {}))


def _where(ctx: _Context, i: int) -> str:
    return ctx.model.where("interventions", i)


def _apply(ctx: _Context, interventions: list, index: list[int] | None = None) -> _State:
    """The baseline state with these interventions applied, in order."""
    import numpy as np

    index = index if index is not None else list(range(len(interventions)))
    border_res: dict[str, float] = {}
    for iv in interventions:
        if isinstance(iv, BorderPermeability) and iv.resistance is not None:
            border_res[iv.border] = iv.resistance
    state = _base_state(ctx, border_res)
    state.degraded = np.zeros(state.resistance.shape, dtype=bool)
    ids = set(ctx.sites["id"])
    for i, iv in zip(index, interventions):
        where_ = _where(ctx, i)
        rec = {"intervention": i, "type": iv.type, "measure": iv.measure, "label": iv.label or "", "cells": 0,
               "area_ha": 0.0}
        if isinstance(iv, _Area):
            geom = intervention_area(iv, ctx.sites, ctx.rivers, where_)
            state.resistance, state.suitability, r = apply_area_intervention(
                state.resistance, state.suitability, iv, geom
            )
            rec.update(r)
            if isinstance(iv, HabitatLoss):
                state.degraded |= area_mask(state.resistance, geom)
            if isinstance(iv, ProtectedArea):
                state.protected_extra.append(geom)
        elif isinstance(iv, BorderPermeability):
            if iv.permeability is not None:
                state.permeability[iv.border] = iv.permeability
        elif isinstance(iv, Reintroduction):
            _site_rows(ctx.sites, [iv.site], where_)
            state.new_nodes[iv.site] = iv.capacity / ctx.model.scoring.density_per_km2 * 100.0
        elif isinstance(iv, PopulationControl):
            if iv.site not in ids:
                _site_rows(ctx.sites, [iv.site], where_)
            node = _node_of(ctx, iv.site, where_)
            if iv.capacity_multiplier is not None:
                state.capacity_factor[node] = state.capacity_factor.get(node, 1.0) * iv.capacity_multiplier
            else:
                state.capacity_set_ha[node] = iv.target_capacity / ctx.model.scoring.density_per_km2 * 100.0
            rec["node"] = node
        state.log.append(rec)
    return state


def _node_of(ctx: _Context, site: str, where_: str) -> str:
    """The network node a site belongs to: itself, its parent, or the nearest node."""
    node_ids = list(ctx.node_sites["id"])
    if site in node_ids:
        return site
    row = ctx.sites[ctx.sites["id"] == site].iloc[0]
    parent = row.get("parent")
    if isinstance(parent, str) and parent in node_ids:
        return parent
    g = row.geometry
    if g is None or g.is_empty:
        raise ConfigError(f"{where_}: site {site!r} is unresolved and belongs to no network node; name a located site.")
    d = ctx.node_sites.geometry.distance(g)
    return str(ctx.node_sites["id"].iloc[int(d.to_numpy().argmin())])


# --------------------------------------------------------------------------- cores, cost distance, network


def _disc_mask(raster: Any, geom: Any, radius: float) -> Any:
    m = area_mask(raster, geom.buffer(radius) if radius > 0 else geom)
    return m & raster.valid


def _cost_distance(resistance: Any, source: Any) -> Any:
    """Accumulated cost (cost-weighted metres) from a mask of source cells; inf where unreachable.

    The least-cost engine (:func:`corridors.lcp.cost_distance`, scikit-image
    MCP_Geometric, 8 neighbours) does the work.
    """
    import numpy as np

    from corridors.lcp import cost_distance

    cum = cost_distance(resistance, source).array
    return np.where(np.isnan(cum), np.inf, cum)


def _habitat_ha(suitability: Any) -> float:
    """Suitability-weighted habitat area of a grid (ha)."""
    cell_ha = suitability.res[0] * suitability.res[1] / 1e4
    return float(suitability.masked(0.0).sum() * cell_ha)


def _node_table(ctx: _Context, state: _State) -> Any:
    """Nodes of the habitat graph: wild populations plus reintroduced sites, capacity in ha."""
    m = ctx.model.scoring
    rows = []
    cell_ha = state.suitability.res[0] * state.suitability.res[1] / 1e4
    suit = state.suitability.masked(0.0)
    src = ctx.node_sites
    extra = ctx.sites[ctx.sites["id"].isin(list(state.new_nodes))]
    cores = {}
    for _, r in list(src.iterrows()) + list(extra.iterrows()):
        sid = str(r["id"])
        disc = _disc_mask(state.suitability, r.geometry, m.reach_m)
        cores[sid] = disc
        if sid in state.new_nodes:
            cap = state.new_nodes[sid]
        else:
            cap = float((suit[disc]).sum() * cell_ha)
            if sid in state.capacity_set_ha:
                cap = state.capacity_set_ha[sid]
            cap *= state.capacity_factor.get(sid, 1.0)
        rows.append(
            {
                "id": sid,
                "name": r.get("name", sid),
                "kind": r.get("kind", ""),
                "river_system": r.get("river_system") or "none",
                "population_unit": ";".join(str(u) for u in r.get("population_unit", [])),
                "status": "reintroduced" if sid in state.new_nodes else r.get("status", ""),
                "capacity": max(cap, 0.0),
                "geometry": r.geometry,
            }
        )
    import geopandas as gpd

    nodes = gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.WORKING_CRS)
    return nodes, cores


def _pair_distances(ctx: _Context, state: _State, nodes: Any, cores: dict, costs: dict) -> Any:
    """Link table with distances from the scenario's link source.

    ``least_cost``: every pair, the cost-weighted distance between the two
    nodes' habitat discs (one cost-distance run per node, kept in ``costs``
    for the candidate sites). Every pair rather than Linkage Mapper's
    neighbours only: PC follows the best path anyway, and a restoration can
    then only shorten distances (never swap a link out), so EC never falls
    when resistance falls. ``river``, ``effective_resistance`` and
    ``euclidean`` use the network engine's link sources
    (:mod:`corridors.network.sources`).
    """
    import numpy as np
    import pandas as pd
    from shapely.geometry import LineString

    from corridors.borders import borders_crossed, load_borders

    src = ctx.model.links.source
    ids = list(nodes["id"])
    geoms = dict(zip(nodes["id"], nodes.geometry))
    if src != "least_cost":
        from corridors.network import sources

        indexed = nodes.set_index("id")
        if src == "river":
            maker = sources.AlongRiver(rivers=ctx.rivers)
        elif src == "effective_resistance":
            maker = sources.EffectiveResistance(state.resistance)
        else:
            maker = sources.StraightLine()
        links = maker(indexed)
        out = pd.DataFrame({"i": links["i"].astype(str), "j": links["j"].astype(str),
                            "distance_m": links["distance_m"].astype(float),
                            "borders": [list(b) if isinstance(b, (list, tuple)) else _as_list(b) for b in links["borders"]]})
        return out[np.isfinite(out["distance_m"]) & (out["distance_m"] >= 0)].reset_index(drop=True)
    rows = []
    for sid in ids:
        if sid not in costs:
            costs[sid] = _cost_distance(state.resistance, cores[sid])
    for a_i in range(len(ids)):
        for b_i in range(a_i + 1, len(ids)):
            a, b = ids[a_i], ids[b_i]
            vals = costs[a][cores[b]]
            d = float(vals.min()) if vals.size else float("inf")
            if not np.isfinite(d):
                continue
            rows.append({"i": a, "j": b, "distance_m": d, "line": LineString([geoms[a].centroid, geoms[b].centroid])})
    links = pd.DataFrame(rows, columns=["i", "j", "distance_m", "line"])
    links["borders"] = borders_crossed(list(links["line"]), load_borders()) if len(links) else []
    return links.drop(columns="line")


def _graph(ctx: _Context, state: _State, nodes: Any, links: Any, median_m: float) -> Any:
    from corridors.network import build_graph

    # A_L, the landscape area of PC, is the suitability-weighted habitat area of the whole grid in the
    # baseline: the same for the baseline, every measure and the scenario of one run, so their PC
    # values compare (PC change = (EC / EC_base)^2 - 1). Never below the nodes' total capacity.
    area_l = max(ctx.landscape_area_ha, float(nodes["capacity"].sum()))

    perm = dict(ctx.model.links.border_permeability)
    perm.update(state.permeability)
    return build_graph(
        nodes.drop(columns="geometry"),
        links,
        median_dispersal_m=median_m,
        max_distance_m=ctx.model.links.cutoff_m,
        permeability=perm,
        landscape_area=area_l,
        name=ctx.model.name,
        label=f"{ctx.model.name} links",
        node_label=f"{ctx.model.name} nodes",
    )


def _by_system(g: Any) -> Any:
    import pandas as pd

    from corridors.network import connectivity

    rows = []
    c = connectivity(g, nodes=False, betweenness=False, iic_metrics=False)
    rows.append({"river_system": "all", "n_nodes": g.n, "capacity_ha": g.total_capacity,
                 "ec_ha": c.summary["EC_PC"], "pc": c.summary["PC"]})
    for sysname in sorted(set(g.nodes["river_system"])):
        ids = [i for i, s in zip(g.ids, g.nodes["river_system"]) if s == sysname]
        sub = g.subgraph(ids, name=f"{g.name}:{sysname}")
        cs = connectivity(sub, nodes=False, betweenness=False, iic_metrics=False)
        rows.append({"river_system": sysname, "n_nodes": sub.n, "capacity_ha": sub.total_capacity,
                     "ec_ha": cs.summary["EC_PC"], "pc": cs.summary["PC"]})
    return pd.DataFrame(rows).set_index("river_system")


def _analyse(ctx: _Context, state: _State, median_m: float | None = None, node_metrics: bool = True) -> Analysis:
    from corridors.network import connectivity

    median_m = median_m or ctx.model.links.median_dispersal_m
    nodes, cores = _node_table(ctx, state)
    costs: dict = {}
    links = _pair_distances(ctx, state, nodes, cores, costs)
    g = _graph(ctx, state, nodes, links, median_m)
    conn = connectivity(g, nodes=node_metrics, betweenness=node_metrics, iic_metrics=node_metrics)
    return Analysis(state, g, conn, _by_system(g), cores, costs)


# --------------------------------------------------------------------------- candidate corridors and sites


def _with_median(g: Any, median_m: float) -> Any:
    """The same graph with probabilities recomputed for another median dispersal distance."""
    from corridors.network.graph import HabitatGraph, dispersal_k, link_probability

    k = dispersal_k(median_m)
    links = g.links.copy()
    perm = links["permeability"].to_numpy(dtype=float) if "permeability" in links else 1.0
    links["probability"] = link_probability(links["distance_m"].to_numpy(dtype=float), k) * perm
    meta = dict(g.meta, k=k, median_dispersal_m=median_m)
    return HabitatGraph(g.nodes, links, g.landscape_area, g.name, meta)


def _corridor_table(ctx: _Context, an: Analysis) -> tuple[Any, Any, Any, Any]:
    """Metrics of the programme's candidate corridors on one landscape state.

    The least-cost engine (:func:`corridors.lcp.programme_corridors`) gives
    the Linkage Mapper metrics of each corridor; this adds what depends on
    the scenario: the share inside protected areas (sites and protected-area
    interventions), the overlap with settlements, the circuit metrics and
    the EC gain.

    Returns
    -------
    (DataFrame, GeoDataFrame, numpy.ndarray, numpy.ndarray)
        Criteria (index: corridor key), least-cost paths, the truncated
        normalized corridor mosaic and the maximum current over the
        corridors (NaN outside).
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from corridors import landscape, lcp

    state = an.state
    res = state.resistance
    keep = [c for c in ctx.corridors if c.end_a in ctx.located_ids and c.end_b in ctx.located_ids]
    cols = ["corridor", "measure", "name", "a", "b", "cwd", "lcp_length_m", "euclid_m", "cwd_to_euclid", "cwd_to_path",
            "effective_resistance", "pinch_current", "min_width_m", "n_borders", "borders",
            "share_protected", "settlement_overlap", "ec_gain"]
    empty = (pd.DataFrame(columns=cols + ["note"]).set_index("corridor"),
             gpd.GeoDataFrame({"corridor": []}, geometry=[], crs=settings.WORKING_CRS), np.full(res.shape, np.nan),
             np.full(res.shape, np.nan))
    if not keep:
        return empty
    result = lcp.programme_corridors(
        res, ctx.sites, corridors=keep, core_radius_m=max(ctx.model.scoring.reach_m / 3, res.cellsize),
        truncate_m=ctx.model.landscape.corridor_width_m, quiet=True,
    )
    lk = result.linkages
    if len(lk) == 0:
        return empty
    protected = shapely.union_all([ctx.protected, *state.protected_extra]) if state.protected_extra else ctx.protected
    prot_mask = area_mask(res, protected) if protected is not None and not protected.is_empty else np.zeros(res.shape, bool)
    settle = (ctx.classes.array == landscape.CLASS_CODES["settlement"]) if ctx.classes is not None else np.zeros(res.shape, bool)
    core_geo = dict(zip(result.cores["core_id"], result.cores.geometry))
    current = np.full(res.shape, np.nan)
    rows = []
    for _, r in lk.iterrows():
        a, b = r["core_a"], r["core_b"]
        corridor = np.isfinite(result.corridor(a, b).array)
        n_cells = int(corridor.sum())
        borders = r["borders"] if isinstance(r["borders"], (list, tuple)) else _as_list(r["borders"])
        row = {
            "corridor": r["corridor"], "measure": r["measure"], "name": r["name"], "a": a, "b": b,
            "cwd": r["cwd_m"], "lcp_length_m": r["lcp_length_m"], "euclid_m": r["euclid_m"],
            "cwd_to_euclid": r["cwd_to_euclid"], "cwd_to_path": r["cwd_to_path"], "min_width_m": r["min_width_m"],
            "n_borders": len(borders), "borders": ";".join(borders),
            "share_protected": float(prot_mask[corridor].mean()) if n_cells else 0.0,
            "settlement_overlap": float(settle[corridor].mean()) if n_cells else 0.0,
        }
        metrics, cur = _circuit_metrics(res, area_mask(res, core_geo[a]), area_mask(res, core_geo[b]), corridor)
        row.update(metrics)
        if cur is not None:
            current = np.fmax(current, cur)
        rows.append(row)
    done = {r["corridor"] for r in rows}
    for c in keep:
        if c.key in done:
            continue
        # not computed by the least-cost engine: keep the row, say why, never drop it silently
        why = result.dropped[(result.dropped["core_a"] == c.end_a) & (result.dropped["core_b"] == c.end_b)]["reason"]
        rows.append({"corridor": c.key, "measure": c.measure, "name": c.name, "a": c.end_a, "b": c.end_b,
                     "note": (why.iloc[0] if len(why) else "no least-cost path")
                     + f" at {res.cellsize / 1000:g} km cells; a finer resolution separates the ends"})
    order = {c.key: k for k, c in enumerate(keep)}
    rows.sort(key=lambda r: order.get(r["corridor"], len(order)))
    table = pd.DataFrame(rows).reindex(columns=cols + ["note"]).set_index("corridor")
    table["note"] = table["note"].astype(object).where(table["note"].notna(), "")
    table["ec_gain"] = _corridor_ec_gain(ctx, an, table, an.graph)
    paths = gpd.GeoDataFrame({"corridor": lk["corridor"].to_numpy()}, geometry=lk.geometry.to_numpy(),
                             crs=settings.WORKING_CRS)
    return table, paths, result.corridor_mosaic.masked(), current


def _circuit_metrics(res: Any, core_a: Any, core_b: Any, corridor: Any) -> tuple[dict, Any]:
    """Effective resistance and the largest current between two cores within their corridor.

    The circuit engine's Pinchpoint Mapper step
    (:func:`corridors.circuit.pinch.corridor_current`): 1 A from core A to
    core B through the truncated corridor. The largest node current outside
    the cores is the pinch point. Cores that touch (no corridor between
    them at this resolution) give NaN.
    """
    import numpy as np

    from corridors._errors import CorridorsError
    from corridors.circuit.pinch import corridor_current

    out = {"effective_resistance": np.nan, "pinch_current": np.nan}
    a = core_a & ~core_b
    if not a.any() or not core_b.any():
        return out, None
    try:
        cc = corridor_current(res, corridor, a, core_b)
    except CorridorsError:
        return out, None
    if cc.effective_resistance >= 0:
        out["effective_resistance"] = float(cc.effective_resistance)
        cur = cc.current.masked()
        if np.isfinite(cur).any():
            out["pinch_current"] = float(np.nanmax(cur))
    return out, cc.current.masked()


def _corridor_ec_gain(ctx: _Context, an: Analysis, table: Any, g: Any, median_m: float | None = None) -> Any:
    """EC gain of restoring each candidate corridor (the network engine's what-if, one at a time).

    The link between the nodes the corridor's two ends belong to gets the
    probability of the restored corridor: its cost-weighted distance times
    the default restoration multiplier (0.5), or keeps its own if better.
    """
    import numpy as np

    from corridors.network.graph import link_probability
    from corridors.network.whatif import link_candidate, rank_candidates

    mult = CorridorRestoration.model_fields["resistance_multiplier"].default
    base_g = g if median_m is None else _with_median(g, median_m)
    k = base_g.meta["k"]
    cutoff = base_g.meta.get("max_distance_m")
    cands, out = [], {}
    for cid, r in table.iterrows():
        if not np.isfinite(float(r.get("cwd", np.nan))):
            out[cid] = np.nan
            continue
        na = _node_of(ctx, r["a"], f"corridor {cid}")
        nb = _node_of(ctx, r["b"], f"corridor {cid}")
        d = float(r["cwd"]) * mult
        if na == nb or na not in base_g.ids or nb not in base_g.ids or (cutoff is not None and d > cutoff):
            out[cid] = 0.0
            continue
        cands.append(link_candidate(str(cid), na, nb, float(link_probability(d, k))))
    if cands:
        ranked = rank_candidates(base_g, cands)
        for cid in ranked.index:
            out[cid] = _clean(float(ranked.loc[cid, "dEC"]))
    return [out[str(c)] if str(c) in out else out.get(c, np.nan) for c in table.index]


def _clean(gain: float) -> float:
    """Round away floating-point noise: EC gains below a millionth of a hectare are zero."""
    return 0.0 if abs(gain) < 1e-6 else float(gain)


def _site_table(ctx: _Context, an: Analysis) -> Any:
    """Criteria of the candidate reintroduction sites on one landscape state (index: site id)."""
    import numpy as np
    import pandas as pd

    from corridors import landscape
    from corridors.borders import load_borders

    state = an.state
    res, suit = state.resistance, state.suitability
    m = ctx.model.scoring
    cell_ha = res.res[0] * res.res[1] / 1e4
    s = suit.masked(np.nan)
    settle = (ctx.classes.array == landscape.CLASS_CODES["settlement"]) if ctx.classes is not None else np.zeros(res.shape, bool)
    borders = load_borders()
    rows = []
    site_geom = dict(zip(ctx.sites["id"], ctx.sites.geometry))
    node_geoms = {n: site_geom[n] for n in an.graph.ids}
    for _, c in ctx.candidate_sites.iterrows():
        sid = str(c["id"])
        if sid in an.graph.ids:
            continue  # already reintroduced in this scenario: a node, not a candidate
        disc = _disc_mask(res, c.geometry, m.reach_m)
        vals = s[disc]
        vals = vals[np.isfinite(vals)]
        suitable_ha = float((vals >= m.suitable_threshold).sum() * cell_ha)
        key = f"candidate:{sid}"
        if key not in an.costs:
            an.costs[key] = _cost_distance(res, disc)
        cost = an.costs[key]
        dists = {n: float(cost[an.cores[n]].min()) if an.cores[n].any() else np.inf for n in an.graph.ids}
        reach_poly = c.geometry.buffer(m.reach_m)
        rows.append(
            {
                "site": sid,
                "name": c.get("name", sid),
                "river_system": c.get("river_system") or "none",
                "measures": ";".join(_as_list(c.get("measures"))),
                "mean_suitability": float(vals.mean()) if vals.size else 0.0,
                "suitable_area_ha": suitable_ha,
                "capacity": suitable_ha / 100.0 * m.density_per_km2,
                "habitat_ha": float(vals.sum() * cell_ha),
                "source_cwd": min(dists.values()) if dists else np.nan,
                "nearest_source": min(dists, key=dists.get) if dists else "",
                "isolation_m": float(min(c.geometry.distance(g) for g in node_geoms.values())) if node_geoms else np.nan,
                "settlement_share": float(settle[disc].mean()) if disc.any() else 0.0,
                "n_borders": int(borders.geometry.intersects(reach_poly).sum()),
                "degradation": float(state.degraded[disc].mean()) if disc.any() and state.degraded is not None else 0.0,
                "_dists": dists,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["site"]).set_index("site")
    table = table.set_index("site")
    gains = _site_gains(ctx, an.graph, table)
    table["ec_gain"] = gains["ec_gain"]
    table["pc_gain"] = gains["pc_gain"]
    return table


def _site_gains(ctx: _Context, g: Any, table: Any, median_m: float | None = None) -> Any:
    """EC gain (ha) and PC gain (% of the baseline PC, A_L kept) of adding each candidate site as a node.

    The network engine's what-if (:func:`corridors.network.whatif.rank_candidates`),
    one site at a time: the node's capacity is its suitability-weighted
    habitat within reach, its links the least-cost distances to every node.
    """
    import math

    import pandas as pd

    from corridors.network.graph import link_probability
    from corridors.network.whatif import node_candidate, rank_candidates

    base_g = g if median_m is None else _with_median(g, median_m)
    k = base_g.meta["k"]
    cutoff = base_g.meta.get("max_distance_m")
    cands = []
    for sid, r in table.iterrows():
        links = {n: float(link_probability(d, k)) for n, d in r["_dists"].items()
                 if math.isfinite(d) and (cutoff is None or d <= cutoff)}
        cands.append(node_candidate(str(sid), float(r["habitat_ha"]), links))
    if not cands:
        return pd.DataFrame(columns=["ec_gain", "pc_gain"])
    ranked = rank_candidates(base_g, cands)
    out = pd.DataFrame({"ec_gain": [_clean(float(v)) for v in ranked["dEC"]],
                        "pc_gain": [_clean(float(v)) for v in ranked["dPC_pct"]]}, index=ranked.index)
    out.index.name = "site"
    return out.reindex([str(s) for s in table.index])


# --------------------------------------------------------------------------- scoring


def _score(table: Any, weights: dict[str, float], catalogue: dict, rob: Robustness, seed: int,
           recompute: Any, median_m: float) -> tuple[Any, Any]:
    """Weighted scores and their robustness for one decision table (empty tables give empty results)."""
    from corridors.scoring import robustness, weighted_score

    if table is None or len(table) == 0:
        return None, None
    w = {k: v for k, v in weights.items() if k in table.columns}
    if not w or sum(w.values()) <= 0:
        return None, None
    scored = weighted_score(table, w, catalogue)
    rr = robustness(
        table, w, catalogue, draws=rob.draws, concentration=rob.concentration, top_k=min(rob.top_k, len(table)),
        seed=seed, dispersal_m=median_m, dispersal_sd_log=rob.dispersal_sd_log,
        dispersal_levels=rob.dispersal_levels, recompute=recompute if rob.dispersal_sd_log > 0 else None,
    )
    return scored, rr


# --------------------------------------------------------------------------- run


def _csv(df: Any, path: Path, index: bool = True) -> None:
    """Write a table with a fixed float format so reruns give byte-identical files."""
    from corridors.io import atomic_path

    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=index, float_format="%.10g", lineterminator="\n")


def run_scenario(
    scenario: Scenario | str | Path,
    outdir: str | Path,
    quiet: bool = False,
    per_measure: bool = True,
) -> ScenarioResult:
    """Run one scenario and write its self-contained output folder.

    Steps: the landscape (resistance and suitability) of the scenario's
    extent and resolution; the baseline analysis (no interventions); the
    interventions applied; the habitat network (nodes = wild populations,
    capacity = suitability-weighted habitat within ``scoring.reach_m``;
    links = all pairs, distance from ``links.source``); the programme's
    candidate corridors and reintroduction sites measured and scored, with
    Monte-Carlo robustness; then the outputs and the report comparing the
    scenario with its baseline (the same settings without interventions),
    overall, per river system and per measure touched.

    Parameters
    ----------
    scenario : Scenario or path-like
        A validated model or a YAML file.
    outdir : path-like
        The output folder. Everything is written into a temporary folder
        beside it that replaces ``outdir`` in one rename at the end; a
        failure leaves ``outdir`` as it was (absent, or the previous run).
    quiet : bool, default False
        No progress display.
    per_measure : bool, default True
        Also run each measure's interventions alone, to report the change
        each measure brings (one extra network analysis per measure).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ConfigError, DataError
        Bad scenario or input data (one sentence naming file, key and fix).
    """
    import json
    import time

    import numpy as np

    from corridors.io import atomic_path
    from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA

    model = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    t0 = time.perf_counter()
    out = Path(outdir)
    progress = _Steps(quiet, model.name)
    with progress:
        progress.step("inputs and landscape")
        ctx = _context(model)
        progress.step("baseline network")
        base_state = _apply(ctx, [])
        ctx.landscape_area_ha = _habitat_ha(base_state.suitability)
        base = _analyse(ctx, base_state)
        progress.step("interventions")
        scen_state = _apply(ctx, list(model.interventions)) if model.interventions else base.state
        progress.step("scenario network")
        scen = _analyse(ctx, scen_state) if model.interventions else base
        progress.step("candidate corridors")
        corr_base = _corridor_table(ctx, base)[0] if model.interventions else None
        corr, paths, mosaic, current = _corridor_table(ctx, scen)
        progress.step("candidate sites")
        sites_base = _site_table(ctx, base) if model.interventions else None
        sites_tab = _site_table(ctx, scen)
        progress.step("scores and robustness")
        median = model.links.median_dispersal_m
        rob = model.scoring.robustness

        def corr_at(d: float) -> Any:
            t = scorable.copy()
            t["ec_gain"] = _corridor_ec_gain(ctx, scen, scorable, scen.graph, median_m=d)
            return t

        def sites_at(d: float) -> Any:
            t = sites_tab.copy()
            gains = _site_gains(ctx, scen.graph, sites_tab, median_m=d)
            t["ec_gain"], t["pc_gain"] = gains["ec_gain"], gains["pc_gain"]
            return t

        scorable = corr[np.isfinite(corr["cwd"].astype(float))] if len(corr) else corr
        c_scored, c_rob = _score(scorable, model.scoring.corridor_weights, CORRIDOR_CRITERIA, rob, model.seed, corr_at, median)
        s_scored, s_rob = _score(sites_tab.drop(columns="_dists", errors="ignore") if len(sites_tab) else sites_tab,
                                 model.scoring.site_weights, SITE_CRITERIA, rob, model.seed,
                                 lambda d: sites_at(d).drop(columns="_dists"), median)
        by_measure = None
        if per_measure and model.interventions:
            progress.step("per-measure effects")
            by_measure = _per_measure(ctx, model, base, scen)
        progress.step("outputs")
        tables = _tables(ctx, model, base, scen, corr, corr_base, sites_tab, sites_base, c_scored, c_rob,
                         s_scored, s_rob, by_measure)
        summary = _summary(model, base, scen, c_scored, s_scored)
        with atomic_path(out) as tmp:
            tmp.mkdir(parents=True)
            files = _write_outputs(tmp, ctx, model, base, scen, tables, paths, mosaic, current, c_rob, s_rob, summary)
            prov = {
                "scenario": model.name,
                "seed": model.seed,
                "parameters": json.loads(model.model_dump_json()),
                "inputs": {k: {"path": str(p), "sha256": _file_hash(p)} for k, p in sorted(ctx.inputs.items())
                           if Path(p).is_file()},
                "packages": package_versions(),
                "engines": _engines(),
                "grid": {"bounds": list(ctx.bounds), "resolution_m": model.landscape.resolution_m,
                         "shape": list(base.state.resistance.shape), "crs": settings.WORKING_CRS.name},
                "seconds": round(time.perf_counter() - t0, 2),
            }
            (tmp / "provenance.json").write_text(json.dumps(prov, indent=2, default=str) + "\n")
            files.append(Path("provenance.json"))
            from corridors.report import write_report

            blocks = _report_blocks(ctx, model, tables, summary, tmp)
            write_report(blocks, tmp, "report", title=f"corridors scenario {model.name}")
            files += [Path("report.md"), Path("report.html")]
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return ScenarioResult(model, out, summary, tables, sorted(files))


def _engines() -> dict[str, str]:
    """Which engines the run used (a module missing here means its criteria are empty)."""
    import importlib.util

    out = {}
    for mod in ("corridors.sites", "corridors.rivers", "corridors.landscape", "corridors.lcp", "corridors.circuit",
                "corridors.network"):
        out[mod] = "present" if importlib.util.find_spec(mod) is not None else "absent"
    return out


class _Steps:
    """A rich status line naming the pipeline step; silent when quiet."""

    def __init__(self, quiet: bool, name: str) -> None:
        self.quiet, self.name, self._status = quiet, name, None

    def __enter__(self) -> "_Steps":
        if not self.quiet:
            from rich.console import Console

            self._status = Console(stderr=True).status(f"{self.name}: starting")
            self._status.__enter__()
        return self

    def step(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"{self.name}: {text}")

    def __exit__(self, *exc: Any) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)


def _per_measure(ctx: _Context, model: Scenario, base: Analysis, scen: Analysis) -> Any:
    """EC and PC per river system: baseline, each measure alone, all interventions."""
    import pandas as pd

    rows = []

    def add(label: str, measure: str, an: Analysis) -> None:
        for sysname, r in an.by_system.iterrows():
            b = base.by_system.loc[sysname] if sysname in base.by_system.index else None
            rows.append({
                "measure": measure, "what": label, "river_system": sysname,
                "ec_ha": r["ec_ha"], "ec_base_ha": b["ec_ha"] if b is not None else float("nan"),
                "ec_change_ha": r["ec_ha"] - (b["ec_ha"] if b is not None else 0.0),
                "ec_change_pct": (r["ec_ha"] / b["ec_ha"] - 1) * 100 if b is not None and b["ec_ha"] > 0 else float("nan"),
                "pc": r["pc"], "pc_base": b["pc"] if b is not None else float("nan"),
                "pc_change_pct": (r["pc"] / b["pc"] - 1) * 100 if b is not None and b["pc"] > 0 else float("nan"),
            })

    measures = model.measures
    for m in measures:
        idx = [i for i, iv in enumerate(model.interventions) if iv.measure == m]
        if len(measures) == 1:
            an = scen
        else:
            an = _analyse(ctx, _apply(ctx, [model.interventions[i] for i in idx], idx), node_metrics=False)
        types = sorted({model.interventions[i].type for i in idx})
        add(", ".join(types), m, an)
    if len(measures) > 1:
        add("all interventions", "all", scen)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- tables, outputs, report


def _tables(ctx: _Context, model: Scenario, base: Analysis, scen: Analysis, corr: Any, corr_base: Any,
            sites_tab: Any, sites_base: Any, c_scored: Any, c_rob: Any, s_scored: Any, s_rob: Any,
            by_measure: Any) -> dict:
    import numpy as np
    import pandas as pd

    from corridors.scoring import weighted_score

    t: dict[str, Any] = {}
    b, s = base.by_system, scen.by_system
    eb = pd.DataFrame(index=s.index.union(b.index, sort=False))
    eb.index.name = "river_system"
    eb["n_nodes"] = s["n_nodes"]
    eb["capacity_base_ha"], eb["capacity_ha"] = b["capacity_ha"], s["capacity_ha"]
    eb["ec_base_ha"], eb["ec_ha"] = b["ec_ha"], s["ec_ha"]
    eb["ec_change_pct"] = (eb["ec_ha"] / eb["ec_base_ha"] - 1) * 100
    eb["pc_base"], eb["pc"] = b["pc"], s["pc"]
    eb["pc_change_pct"] = (eb["pc"] / eb["pc_base"] - 1) * 100
    t["ec_by_system"] = eb
    if by_measure is not None:
        t["ec_by_measure"] = by_measure.set_index(["measure", "river_system"])
    nodes = scen.graph.nodes.drop(columns=["geometry"], errors="ignore").copy()
    metrics = scen.connectivity.nodes.drop(columns=["capacity"], errors="ignore")
    t["network_nodes"] = nodes.join(metrics)
    links = scen.graph.links.copy()
    for col in ("borders",):
        if col in links:
            links[col] = links[col].map(lambda v: ";".join(v) if isinstance(v, (list, tuple)) else (v or ""))
    t["network_links"] = links.drop(columns=["geometry"], errors="ignore")
    cc = corr.copy()
    if corr_base is not None and len(corr_base):
        cc.insert(cc.columns.get_loc("cwd") + 1, "cwd_base", corr_base["cwd"].reindex(cc.index))
        cc.insert(cc.columns.get_loc("cwd_base") + 1, "cwd_change_pct", (cc["cwd"] / cc["cwd_base"] - 1) * 100)
    t["corridors"] = cc
    if c_scored is not None:
        cs = c_scored.join(cc[[c for c in cc.columns if c not in c_scored.columns]])
        t["corridor_scores"] = cs[["score", "rank"] + [c for c in cs.columns if c not in ("score", "rank")]]
        rt = c_rob.table()
        rt.index.name = "corridor"
        t["corridor_robustness"] = rt
    st = sites_tab.drop(columns=["_dists"], errors="ignore")
    t["sites"] = st
    if s_scored is not None:
        sc = s_scored.copy()
        if sites_base is not None and len(sites_base):
            w = {k: v for k, v in model.scoring.site_weights.items() if k in sites_base.columns}
            bs = weighted_score(sites_base.drop(columns=["_dists"], errors="ignore"), w)
            sc.insert(1, "score_base", bs["score"].reindex(sc.index))
            sc.insert(3, "rank_base", bs["rank"].reindex(sc.index))
        sc = sc.join(st[[c for c in st.columns if c not in sc.columns]])  # unweighted facts too (capacity ...)
        t["site_scores"] = sc[["score", "rank"] + [c for c in sc.columns if c not in ("score", "rank")]]
        rt = s_rob.table()
        rt.index.name = "site"
        t["site_robustness"] = rt
    log = pd.DataFrame(scen.state.log if model.interventions else [],
                       columns=["intervention", "type", "measure", "label", "cells", "area_ha", "node"])
    t["interventions"] = log.set_index("intervention")
    un = ctx.sites[ctx.sites.get("location_status", pd.Series(index=ctx.sites.index, dtype=str)) == "unresolved"]
    cols = [c for c in ("id", "name", "kind", "population_unit", "measures", "source") if c in un.columns]
    ut = pd.DataFrame(un[cols]).copy()
    for c in ("population_unit", "measures"):
        if c in ut:
            ut[c] = ut[c].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    t["unresolved"] = ut.set_index("id") if "id" in ut else ut
    for k, df in t.items():
        t[k] = df.replace([np.inf, -np.inf], np.nan)
    return t


def _summary(model: Scenario, base: Analysis, scen: Analysis, c_scored: Any, s_scored: Any) -> dict:
    sb, ss = base.connectivity.summary, scen.connectivity.summary
    out: dict[str, Any] = {
        "scenario": model.name,
        "measures": ";".join(model.measures),
        "n_interventions": len(model.interventions),
        "ec_ha": round(ss["EC_PC"], 6),
        "ec_base_ha": round(sb["EC_PC"], 6),
        "ec_change_pct": round((ss["EC_PC"] / sb["EC_PC"] - 1) * 100, 6) if sb["EC_PC"] > 0 else 0.0,
        "pc": ss["PC"],
        "pc_base": sb["PC"],
        "n_nodes": ss["n_nodes"],
        "n_links": ss["n_links"],
        "n_components": ss["n_components"],
        "n_linkages": int(len(c_scored)) if c_scored is not None else 0,
        "top_corridor": str(c_scored.index[0]) if c_scored is not None and len(c_scored) else "",
        "top_site": str(s_scored.index[0]) if s_scored is not None and len(s_scored) else "",
        "median_dispersal_m": model.links.median_dispersal_m,
        "resolution_m": model.landscape.resolution_m,
    }
    for sysname, r in scen.by_system.iterrows():
        if sysname != "all":
            out[f"ec_{sysname}_ha"] = round(float(r["ec_ha"]), 6)
    return out


def _write_outputs(tmp: Path, ctx: _Context, model: Scenario, base: Analysis, scen: Analysis, tables: dict,
                   paths: Any, mosaic: Any, current: Any, c_rob: Any, s_rob: Any, summary: dict) -> list[Path]:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    from corridors.io import write_geopackage
    from corridors.scoring import plot_robustness

    files: list[Path] = []
    for name, df in tables.items():
        _csv(df, tmp / f"{name}.csv")
        files.append(Path(f"{name}.csv"))
    # rasters
    st = scen.state
    st.resistance.replace(st.resistance.array.astype("float32"), name="resistance").write(tmp / "resistance.tif")
    st.suitability.replace(st.suitability.array.astype("float32"), name="suitability").write(tmp / "suitability.tif")
    st.resistance.replace(mosaic.astype("float32"), name="corridors").write(tmp / "corridors.tif")
    st.resistance.replace(current.astype("float32"), name="current").write(tmp / "current.tif")
    files += [Path("resistance.tif"), Path("suitability.tif"), Path("corridors.tif"), Path("current.tif")]
    if model.interventions:
        ratio = st.resistance.masked() / base.state.resistance.masked()
        st.resistance.replace(ratio.astype("float32"), name="resistance change").write(tmp / "resistance_change.tif")
        files.append(Path("resistance_change.tif"))
    # vectors
    layers: dict[str, gpd.GeoDataFrame] = {}
    sel = _select(model, ctx.sites).drop(columns=[c for c in ("_dists",) if c in ctx.sites.columns])
    layers["sites"] = sel
    nodes = scen.graph.nodes.copy()
    geo = dict(zip(ctx.sites["id"], ctx.sites.geometry))
    nodes_gdf = gpd.GeoDataFrame(tables["network_nodes"].reset_index(), geometry=[geo[i] for i in nodes.index],
                                 crs=settings.WORKING_CRS)
    layers["network_nodes"] = nodes_gdf
    lk = tables["network_links"].copy()
    if len(lk):
        lines = [LineString([geo[a].centroid, geo[b].centroid]) for a, b in zip(lk["i"], lk["j"])]
        layers["network_links"] = gpd.GeoDataFrame(lk.reset_index(drop=True), geometry=lines, crs=settings.WORKING_CRS)
    if len(paths):
        cs = tables.get("corridor_scores")
        attrs = tables["corridors"].join(cs[["score", "rank"]]) if cs is not None else tables["corridors"]
        layers["corridor_paths"] = paths.merge(attrs.reset_index(), on="corridor", how="left")
    if len(tables["sites"]):
        ss = tables.get("site_scores")
        attrs = tables["sites"].join(ss[["score", "rank"]]) if ss is not None else tables["sites"]
        attrs = attrs.reset_index()
        layers["candidate_sites"] = gpd.GeoDataFrame(attrs, geometry=[geo[s] for s in attrs["site"]],
                                                     crs=settings.WORKING_CRS)
    iv_geoms = _intervention_geoms(ctx, model)
    if iv_geoms is not None:
        layers["interventions"] = iv_geoms
    write_geopackage(tmp / "scenario.gpkg", layers)
    files.append(Path("scenario.gpkg"))
    # maps and figures
    files += _map(tmp / "map", ctx, model, scen, paths, mosaic, tables, iv_geoms)
    import matplotlib.pyplot as plt

    for key, rr, title in (("corridors", c_rob, "Candidate corridors"), ("sites", s_rob, "Candidate reintroduction sites")):
        if rr is None:
            continue
        fig = plot_robustness(rr, title=f"{title}: rank under perturbed weights and dispersal ({model.name})")
        files += _save(fig, tmp / f"robustness_{key}")
        plt.close(fig)
    if model.interventions:
        fig = _comparison_figure(tables, model)
        files += _save(fig, tmp / "comparison")
        plt.close(fig)
    return [f.relative_to(tmp) if f.is_absolute() else f for f in files]


def _save(fig: Any, stem: Path, tight: bool = False) -> list[Path]:
    """PNG (150 dpi) and SVG without timestamps or random ids, so reruns write identical files."""
    import matplotlib

    from corridors.io import atomic_path

    matplotlib.rcParams["svg.hashsalt"] = "corridors"
    out = []
    extra = {"bbox_inches": "tight", "pad_inches": 0.15} if tight else {}
    for fmt, kw in (("png", {"dpi": 150, "metadata": {"Software": None}}), ("svg", {"metadata": {"Date": None}})):
        p = stem.with_suffix(f".{fmt}")
        with atomic_path(p) as tmp:
            fig.savefig(tmp, format=fmt, **kw, **extra)
        out.append(p)
    return out


def _intervention_geoms(ctx: _Context, model: Scenario) -> Any:
    import geopandas as gpd

    rows = []
    for i, iv in enumerate(model.interventions):
        if isinstance(iv, _Area):
            geom = intervention_area(iv, ctx.sites, ctx.rivers, _where(ctx, i))
        elif isinstance(iv, (Reintroduction, PopulationControl)):
            g = ctx.sites.loc[ctx.sites["id"] == iv.site].geometry
            geom = g.iloc[0].buffer(ctx.model.scoring.reach_m) if len(g) and g.iloc[0] is not None else None
        else:
            from corridors.borders import load_borders

            b = load_borders()
            g = b.loc[b["border_id"] == iv.border].geometry
            geom = g.iloc[0] if len(g) else None
        if geom is None:
            continue
        rows.append({"intervention": i, "type": iv.type, "measure": iv.measure, "label": iv.label or "", "geometry": geom})
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.WORKING_CRS)


_TYPE_COLOURS = {
    "corridor_restoration": "#2b8a3e",
    "riparian_reforestation": "#66a61e",
    "protected_area": "#1971c2",
    "border_permeability": "#e67700",
    "habitat_loss": "#c92a2a",
    "reintroduction": "#7048e8",
    "population_control": "#862e9c",
}


def _map(stem: Path, ctx: _Context, model: Scenario, scen: Analysis, paths: Any, mosaic: Any, tables: dict,
         iv_geoms: Any) -> list[Path]:
    """The scenario map over the programme base map: corridors, network, candidates, interventions."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from corridors import plot

    fig, ax = plot.base_map(bounds=ctx.bounds)
    z = plot.STYLE["z"]["overlay"]
    res = scen.state.resistance
    l, b_, r, t = res.bounds
    if np.isfinite(mosaic).any():
        ax.imshow(np.ma.masked_invalid(mosaic), extent=(l, r, b_, t), cmap="YlGn_r", alpha=0.55, zorder=z,
                  interpolation="nearest", vmin=0, vmax=model.landscape.corridor_width_m)
    handles = []
    if iv_geoms is not None:
        for typ, grp in iv_geoms.groupby("type", sort=True):
            col = _TYPE_COLOURS.get(typ, "k")
            lines = grp.geom_type.isin(["LineString", "MultiLineString"])
            if (~lines).any():
                grp[~lines].plot(ax=ax, facecolor=col, edgecolor=col, alpha=0.35, linewidth=1.2, zorder=z + 1)
            if lines.any():  # borders: drawn as lines, a fill would close them into false polygons
                grp[lines].plot(ax=ax, color=col, linewidth=2.5, alpha=0.8, zorder=z + 1)
            handles.append(Line2D([], [], color=col, lw=2.5, label=typ.replace("_", " ")) if lines.all()
                           else Patch(facecolor=col, edgecolor=col, alpha=0.5, label=typ.replace("_", " ")))
    lk = tables["network_links"]
    geo = dict(zip(ctx.sites["id"], ctx.sites.geometry))
    for _, row in lk.iterrows():
        p = float(row.get("probability", 0))
        if p < 1e-4:
            continue
        w = min(1.0, (math.log10(p) + 4) / 4)  # 1e-4 -> 0, 1 -> 1: probabilities span decades
        a, b = geo[row["i"]].centroid, geo[row["j"]].centroid
        ax.plot([a.x, b.x], [a.y, b.y], color="#364fc7", lw=0.4 + 3 * w, alpha=0.2 + 0.6 * w, zorder=z + 2)
    if len(paths):
        paths.plot(ax=ax, color="#d9480f", linewidth=1.4, linestyle="--", zorder=z + 3)
        handles.append(Line2D([], [], color="#d9480f", ls="--", label="candidate corridor (least-cost path)"))
    nodes = tables["network_nodes"]
    cap = nodes["capacity"].to_numpy(dtype=float)
    size = 15 + 220 * np.sqrt(cap / cap.max()) if cap.max() > 0 else np.full(len(cap), 30.0)
    unit_col = plot.STYLE["unit_colours"]
    cols = []
    for nid in nodes.index:
        units = ctx.sites.loc[ctx.sites["id"] == nid, "population_unit"].iloc[0]
        cols.append(unit_col.get(units[0] if units else 8, "k"))
    xs = [geo[n].centroid.x for n in nodes.index]
    ys = [geo[n].centroid.y for n in nodes.index]
    ax.scatter(xs, ys, s=size, c=cols, edgecolors="k", linewidths=0.6, zorder=z + 4)
    texts = []
    for n, x, y in zip(nodes.index, xs, ys):
        code = ctx.sites.loc[ctx.sites["id"] == n, "code"].iloc[0] if "code" in ctx.sites else None
        texts.append(ax.text(x, y, f" {code or n}", fontsize=6.5, zorder=z + 6, va="bottom"))
    ss = tables.get("site_scores")
    if ss is not None and len(ss):
        for sid, row in ss.iterrows():
            g = geo[sid]
            ax.scatter([g.x], [g.y], marker="*", s=110, c="#f59f00", edgecolors="k", linewidths=0.5, zorder=z + 5)
            texts.append(ax.text(g.x, g.y, f" #{int(row['rank'])}", fontsize=6.5, zorder=z + 6, va="top"))
        handles.append(Line2D([], [], marker="*", color="w", markerfacecolor="#f59f00", markeredgecolor="k",
                              markersize=10, label="candidate site (#score rank)"))
    handles.append(Line2D([], [], marker="o", color="w", markerfacecolor="0.6", markeredgecolor="k", markersize=8,
                          label="population (size: habitat capacity)"))
    handles.append(Line2D([], [], color="#364fc7", lw=2, alpha=0.6, label="network link (width: log probability, p >= 1e-4)"))
    try:
        from adjustText import adjust_text

        adjust_text(texts, ax=ax, expand=(1.05, 1.2), max_move=None, ensure_inside_axes=True)
    except Exception:  # label placement is cosmetic; never fail a run on it
        pass
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    un = tables["unresolved"]
    if len(un):
        ax.text(1.01, 0.0, "Not mapped (unresolved in the programme):\n" + "\n".join(map(str, un.index)),
                transform=ax.transAxes, ha="left", va="bottom", fontsize=6.5)
    ax.set_title(f"{model.title or model.name}: EC {tables['ec_by_system'].loc['all', 'ec_ha']:,.0f} ha", fontsize=10)
    plot.add_scale_bar(ax)
    plot.add_north_arrow(ax)
    files = _save(fig, stem, tight=True)
    plt.close(fig)
    return files


def _comparison_figure(tables: dict, model: Scenario) -> Any:
    import matplotlib.pyplot as plt
    import numpy as np

    eb = tables["ec_by_system"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    x = np.arange(len(eb))
    ch = eb["ec_change_pct"].fillna(0.0).to_numpy()
    axes[0].bar(x, ch, 0.6, color=["#2b8a3e" if c >= 0 else "#c92a2a" for c in ch])
    for xi, c, b, a in zip(x, ch, eb["ec_base_ha"], eb["ec_ha"]):
        axes[0].text(xi, c, f"{c:+.2f}%\n{b / 1000:,.1f} -> {a / 1000:,.1f}k ha", ha="center",
                     va="bottom" if c >= 0 else "top", fontsize=7)
    axes[0].axhline(0, color="0.3", lw=0.8)
    axes[0].set_xticks(x, [s.replace("_", " ") for s in eb.index], fontsize=8)
    axes[0].set_ylabel("EC(PC) change against the baseline (%)")
    axes[0].set_title(f"{model.name}: EC per river system", fontsize=10)
    axes[0].margins(y=0.25)
    bm = tables.get("ec_by_measure")
    if bm is not None:
        allrows = bm.xs("all", level="river_system")
        axes[1].barh(np.arange(len(allrows)), allrows["ec_change_pct"], color="#2b8a3e")
        labels = ["all measures together" if m == "all" else f"{m} ({w.replace('_', ' ')})"
                  for m, w in zip(allrows.index, allrows["what"])]
        axes[1].set_yticks(np.arange(len(allrows)), labels, fontsize=7)
        axes[1].invert_yaxis()
        axes[1].axvline(0, color="0.3", lw=0.8)
        axes[1].set_xlabel("EC change against the baseline (%)")
        axes[1].set_title("Effect of each measure alone", fontsize=10)
    else:
        axes[1].axis("off")
    return fig


def _report_blocks(ctx: _Context, model: Scenario, tables: dict, summary: dict, folder: Path) -> list:
    from corridors.report import Block

    B: list = [Block("h1", f"Scenario {model.name}" + (f": {model.title}" if model.title else ""))]
    if model.description:
        B.append(Block("p", model.description.strip()))
    B.append(Block("p", (
        f"Resolution {model.landscape.resolution_m / 1000:g} km, link source {model.links.source}, median dispersal "
        f"distance {model.links.median_dispersal_m / 1000:g} km, seed {model.seed}. "
        + ("Compared against its baseline: the same settings without interventions. " if model.interventions
           else "This scenario has no intervention: it is the baseline other scenarios are compared against. ")
        + "EC is the equivalent connected area EC(PC) in hectares of suitability-weighted habitat; PC is the "
        "probability of connectivity with the total capacity as landscape area.")))
    against = (f" against {summary['ec_base_ha']:,.0f} ha in the baseline ({summary['ec_change_pct']:+.2f}%)"
               if model.interventions else "")
    B.append(Block("p", (
        f"EC {summary['ec_ha']:,.0f} ha{against}; {summary['n_nodes']} populations, {summary['n_links']} links, "
        f"{summary['n_components']} connected component(s).")))
    if (folder / "map.png").exists():
        B.append(Block("image", "Scenario map: candidate corridors, network, candidate sites and interventions.",
                       path=folder / "map.png"))
    B.append(Block("h2", "Change in EC and PC per river system"))
    B.append(Block("table", table=tables["ec_by_system"]))
    if model.interventions:
        B.append(Block("h2", "Measures touched"))
        items = []
        meas = known_measures()
        for m in model.measures:
            txt = meas.get(m, "")
            items.append(f"{m}: {txt[:160]}{'...' if len(txt) > 160 else ''}" if txt else m)
        B.append(Block("list", items=items))
        B.append(Block("table", "Interventions applied (cells changed on the grid)", table=tables["interventions"]))
        if "ec_by_measure" in tables:
            B.append(Block("h3", "Each measure alone: EC and PC per river system"))
            bm = tables["ec_by_measure"].reset_index().set_index("measure")
            B.append(Block("table", table=bm[["what", "river_system", "ec_base_ha", "ec_ha", "ec_change_pct",
                                              "pc_base", "pc", "pc_change_pct"]]))
        if (folder / "comparison.png").exists():
            B.append(Block("image", "Baseline against scenario.", path=folder / "comparison.png"))
    B.append(Block("h2", "Candidate corridors"))
    cols = [c for c in ("measure", "a", "b", "cwd", "cwd_base", "cwd_change_pct", "lcp_length_m", "cwd_to_euclid",
                        "effective_resistance", "pinch_current", "min_width_m", "n_borders", "borders",
                        "share_protected", "settlement_overlap", "ec_gain", "note") if c in tables["corridors"].columns]
    B.append(Block("table", "Corridor metrics (cost-weighted distances in cost-weighted metres; ec_gain in ha)",
                   table=tables["corridors"][cols]))
    if "corridor_scores" in tables:
        B.append(Block("table", "Weighted scores (1 = best) and robustness", table=tables["corridor_robustness"]))
        if (folder / "robustness_corridors.png").exists():
            B.append(Block("image", "Rank distributions of the candidate corridors.",
                           path=folder / "robustness_corridors.png"))
    B.append(Block("h2", "Candidate reintroduction sites"))
    if "site_scores" in tables:
        ss = tables["site_scores"]
        cols = [c for c in ("score", "score_base", "rank", "rank_base", "mean_suitability", "suitable_area_ha",
                            "capacity", "ec_gain", "pc_gain", "source_cwd", "isolation_m", "settlement_share",
                            "n_borders", "degradation") if c in ss.columns]
        B.append(Block("table", "Site scores: scenario against baseline (capacity in deer at "
                       f"{model.scoring.density_per_km2:g} per km2 of suitable habitat)", table=ss[cols]))
        B.append(Block("table", "Robustness", table=tables["site_robustness"]))
        if (folder / "robustness_sites.png").exists():
            B.append(Block("image", "Rank distributions of the candidate sites.", path=folder / "robustness_sites.png"))
    else:
        B.append(Block("p", "No located candidate reintroduction site lies in this scenario's extent."))
    B.append(Block("h2", "Criteria and their direction"))
    from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA

    items = [f"corridor {c.name} ({c.direction}, weight {model.scoring.corridor_weights.get(c.name, 0):g}): "
             f"{c.description}" for c in CORRIDOR_CRITERIA.values()]
    items += [f"site {c.name} ({c.direction}, weight {model.scoring.site_weights.get(c.name, 0):g}): {c.description}"
              for c in SITE_CRITERIA.values()]
    B.append(Block("list", items=items))
    B.append(Block("h2", "Places of the programme that could not be located"))
    un = tables["unresolved"]
    B.append(Block("p", "The programme names these places but they could not be identified (its footnotes 4, 5 "
                        "and 6); they have no geometry and take no part in the analysis."))
    B.append(Block("table", table=un))
    eng = _engines()
    missing = [k for k, v in eng.items() if v == "absent"]
    if missing:
        B.append(Block("p", "Engines not available in this installation (their criteria are empty): "
                            + ", ".join(missing) + "."))
    return B
