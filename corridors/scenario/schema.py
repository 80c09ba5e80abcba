"""The scenario file's schema: pydantic models of every section and intervention, the default weights and the field types.

A scenario is validated here; :mod:`corridors.scenario.yamlerrors` turns a
validation error into one sentence naming the file, line and key.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from corridors.io import geometry_from_geojson
from corridors.io.yamldoc import dotted as _dotted
from corridors.programme import (
    DEFAULT_LINK_SOURCE,
    DEFAULT_MEDIAN_DISPERSAL_M,
    DEFAULT_REACH_M,
    LINK_SOURCES,
    NETWORK_RESOLUTION_M,
    known_measures,
)
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

    source: Literal[LINK_SOURCES] = DEFAULT_LINK_SOURCE  # type: ignore[valid-type]
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
    landscapes: int = Field(
        4, ge=0, description="Perturbed landscapes the draws spread over: site locations within their precision "
        "radius and resistances within resistance_factor (0: only weights and dispersal vary)."
    )
    location_scale: float = Field(
        1.0, ge=0, description="Sites move within this fraction of their location_precision_km (0: fixed)."
    )
    resistance_factor: float = Field(
        2.0, ge=1, description="Each class and border resistance is multiplied by a factor log-uniform in [1/f, f] (1: fixed)."
    )


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
        2.0, gt=0, description="Deer per km2 of suitability-weighted habitat, for the carrying capacity of candidate sites and reintroductions."
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
    top: int | None = Field(None, ge=1, description="With file: only the first `top` features by the file's `rank` column "
                            "(e.g. the best restoration sites of `corridors restore sites`).")
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
        if self.top is not None and self.file is None:
            raise ValueError("top only goes with file (the features of highest rank)")
        if self.geometry is not None:
            gtype = self.geometry.get("type")
            if gtype not in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"):
                raise ValueError(f"geometry type {gtype!r} is not a GeoJSON geometry (Point, LineString, Polygon ...)")
            if "coordinates" not in self.geometry:
                raise ValueError("geometry has no 'coordinates'")
            geometry_from_geojson(self.geometry)  # the check `corridors sites check` makes of a site
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



# --------------------------------------------------------------------------- population viability (issue 16)

#: First calendar year the viability model simulates (corridors.analyses.pva.START_YEAR; repeated here, checked by a test,
#: because the schema is read before any engine is imported).
PVA_START_YEAR = 2025
PVA_STAGES = ("calf", "yearling", "adult")


def _calendar_years(value: Any) -> list[int]:
    years = [value] if isinstance(value, int) else list(value)
    for y in years:
        if not isinstance(y, int) or isinstance(y, bool):
            raise ValueError(f"year {y!r} must be a whole calendar year such as 2026")
        if y < PVA_START_YEAR:
            raise ValueError(f"year {y} is before the model's start ({PVA_START_YEAR}); give calendar years "
                             f"{PVA_START_YEAR} or later")
    if not years:
        raise ValueError("give at least one calendar year")
    return years


CalendarYears = Annotated[Union[int, list[int]], AfterValidator(_calendar_years)]


class _PVAAction(_Model):
    """One management action of the viability model, carrying the programme measure it models."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    measure: MeasureId = Field(description="The programme measure this action models, e.g. '2.2'.")
    label: str | None = None
    stage: Literal[PVA_STAGES] | None = Field("adult", description="calf, yearling or adult (null: any stage).")  # type: ignore[valid-type]
    sex: Literal["female", "male"] | None = Field(None, description="female or male (null: either).")
    years: CalendarYears = Field(PVA_START_YEAR, description="Calendar years (2025 or later) the action is taken in.")


class PVATranslocation(_PVAAction):
    """Move ``number`` animals from one population to another (measures 2.2, 7.2)."""

    type: Literal["translocation"]
    from_: str = Field(alias="from", description="Source population (network node or a site of it).")
    to: str = Field(description="Target population (network node, e.g. a reintroduction site of this scenario).")
    number: int = Field(gt=0)


class PVAReintroduction(_PVAAction):
    """A founder group from outside the model released where a population is (re)founded (2.5, 2.10, 6.3, 6.6, 7.5, 7.9)."""

    type: Literal["reintroduction"]
    to: str
    number: int = Field(gt=0, description="Founders; with sex null, ceil(number / 2) females and the rest males.")


class PVAHarvest(_PVAAction):
    """Culling or hunting in one population: a number or a rate (measures 2.3, 2.7, 6.5, 7.7)."""

    type: Literal["harvest"]
    population: str
    stage: Literal[PVA_STAGES] | None = None  # type: ignore[valid-type]
    number: int | None = Field(None, gt=0)
    rate: float | None = Field(None, gt=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> "PVAHarvest":
        if (self.number is None) == (self.rate is None):
            raise ValueError("give exactly one of number or rate")
        return self


class PVARelease(_PVAAction):
    """Captive-bred animals released from the unit-8 captive groups (measures 9.1-9.3 and the reintroductions they supply)."""

    type: Literal["release"]
    to: str
    number: int = Field(gt=0)


PVA_ACTION_TYPES: dict[str, type[_PVAAction]] = {
    "translocation": PVATranslocation,
    "reintroduction": PVAReintroduction,
    "harvest": PVAHarvest,
    "release": PVARelease,
}

PVAAction = Annotated[Union[PVATranslocation, PVAReintroduction, PVAHarvest, PVARelease], Field(discriminator="type")]


class PVA(_Model):
    """The population viability model run on the scenario's network (issue 16): settings and management actions."""

    replicates: int = Field(1000, ge=1, le=100_000, description="Simulated futures.")
    years: int = Field(2050, gt=PVA_START_YEAR, le=2200, description="Last calendar year simulated (from 2025).")
    seed: int | None = Field(None, ge=0, description="Seed of the model (default: the scenario's seed).")
    actions: list[PVAAction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _within_run(self) -> "PVA":
        for i, a in enumerate(self.actions):
            late = [y for y in a.years if y >= self.years]
            if late:
                raise ValueError(f"actions[{i}] is taken in {late[0]}, at or after the last year simulated "
                                 f"({self.years}); move it earlier or raise pva.years")
        return self

class PortfolioSection(_Model):
    """The budgeted portfolio of the scenario's interventions (``corridors portfolio`` on this file), in its report."""

    budgets: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=list, description="Budgets reported in full, in the costs table's unit (default: the cheapest "
        "portfolios reaching 50, 90 and 100 % of the largest EC gain).")
    levels: int = Field(20, ge=2, le=200, description="Budget levels of the efficient frontier.")
    draws: int = Field(100, ge=0, le=10_000, description="Monte Carlo draws over cost ranges and dispersal (0: none).")
    costs: InputPath | None = Field(None, description="Costs table (default: data/programme/costs.yml).")
    each: list[Literal["country", "unit"]] = Field(default_factory=list,
                                                   description="At least one funded measure per country / population unit.")
    include: list[str] = Field(default_factory=list, description="Keys funded in any case.")
    exclude: list[str] = Field(default_factory=list, description="Keys never funded.")
    time_limit: float = Field(60.0, gt=0, description="Seconds the solver may take per budget.")


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
    pva: PVA | None = Field(None, description="Population viability run on the scenario's network (none without it).")
    portfolio: PortfolioSection | None = Field(
        None, description="Best portfolios of the interventions under budgets (none without it).")

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

    @property
    def pva_measures(self) -> list[str]:
        """Distinct measure ids the ``pva:`` actions model, in order of first appearance (none without ``pva:``)."""
        return list(dict.fromkeys(a.measure for a in (self.pva.actions if self.pva is not None else ())))

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

    @model_validator(mode="after")
    def _portfolio_has_candidates(self) -> "Scenario":
        if self.portfolio is None:
            return self
        if not self.interventions:
            raise ValueError("portfolio: needs interventions (they are its candidates); add some or remove portfolio:")
        for i, iv in enumerate(self.interventions):
            if isinstance(iv, HabitatLoss):
                raise ValueError(f"interventions[{i}] is habitat_loss, a threat, not a measure one funds; a scenario "
                                 "with portfolio: holds only measures (run the threat as a scenario of its own)")
        return self

    def baseline(self) -> "Scenario":
        """The same scenario without interventions: what every scenario is compared against."""
        return self.model_copy(update={"interventions": [], "name": f"{self.name}-baseline", "portfolio": None})
