"""Scenario files: the YAML schema (validated with pydantic, errors naming key and line) and the pipeline that runs one scenario."""

from __future__ import annotations

import csv
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
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from corridors import settings
from corridors._errors import ConfigError
from corridors.scoring import CORRIDOR_CRITERIA, SITE_CRITERIA

# --------------------------------------------------------------------------- measures

#: The measures each intervention type models (issue 6, section 1). Used to
#: check a scenario while data/programme/measures.csv is absent, and to tell a
#: user which measures a type usually stands for.
TYPICAL_MEASURES: dict[str, tuple[str, ...]] = {
    "corridor_restoration": ("2.1", "3.1", "4.2", "5.7", "6.4", "7.4"),
    "riparian_reforestation": ("2.4", "3.3", "5.3", "6.2", "7.1"),
    "protected_area": ("3.2", "4.7", "5.1", "6.1", "7.3"),
    "border_permeability": ("1.3", "2.9", "3.7"),
    "habitat_loss": ("2.8", "4.4", "5.3"),
    "reintroduction": ("2.5", "2.10", "6.3", "6.6", "7.2", "7.5", "7.9"),
    "population_control": ("2.3",),
}


def known_measures(path: Path | None = None) -> dict[str, str]:
    """Measure ids of the programme and a short text for each.

    Parameters
    ----------
    path : path-like, optional
        The measures table (default ``data/programme/measures.csv``, column
        ``id``, and ``text`` when present).

    Returns
    -------
    dict of str to str
        Measure id (``'2.1'``, ``'A6.1'`` ...) to its text (empty if the table
        has none). When the table does not exist, the measures of
        :data:`TYPICAL_MEASURES` with empty texts.
    """
    p = Path(path) if path is not None else settings.MEASURES_PATH
    if not p.exists():
        return {m: "" for ms in TYPICAL_MEASURES.values() for m in ms}
    with open(p, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    key = "id" if rows and "id" in rows[0] else "number"
    return {str(r[key]).strip(): str(r.get("text") or "").strip() for r in rows if r.get(key)}


_MEASURES_CACHE: dict[str, dict[str, str]] = {}


def _measures() -> dict[str, str]:
    key = str(settings.MEASURES_PATH)
    if key not in _MEASURES_CACHE:
        _MEASURES_CACHE[key] = known_measures()
    return _MEASURES_CACHE[key]


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
    if v not in _measures():
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

    resolution_m: float = Field(5000.0, gt=0, description="Cell size in metres.")
    resistance_table: InputPath | None = Field(None, description="Resistance table (default: data/resistance.yml).")
    resistance_raster: InputPath | None = Field(None, description="A ready resistance GeoTIFF instead of the table.")
    class_overrides: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Resistance per landscape class, replacing the table's value."
    )
    border_overrides: dict[BorderId, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Crossing resistance per border id (e.g. TKM-UZB), replacing the table's."
    )
    corridor_width_m: float = Field(
        20000.0, gt=0, description="Truncation width of the normalized least-cost corridors (cost-weighted m)."
    )


class Links(_Model):
    """The habitat graph's links: distance source and dispersal."""

    source: Literal["least_cost", "effective_resistance", "river", "euclidean"] = "least_cost"
    median_dispersal_m: float = Field(
        30000.0, gt=0, description="Distance at which the dispersal probability is 0.5 (m, or cost-weighted m)."
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
    reach_m: float = Field(15000.0, gt=0, description="Radius around a candidate site that counts as within reach (m).")
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

    @property
    def measures(self) -> list[str]:
        """Distinct measure ids the interventions model, in order of first appearance."""
        seen: dict[str, None] = {}
        for iv in self.interventions:
            seen.setdefault(iv.measure, None)
        return list(seen)

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
                "(`corridors sites` lists them) or give geometry/file instead."
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
