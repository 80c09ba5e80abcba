"""What one scenario run shares: its context (inputs, grid, candidates), the landscape states and their analyses.

:func:`_context` reads the inputs a scenario names (sites, rivers, the
resistance table) once; :func:`_base_state` builds the landscape (resistance
and suitability) every state starts from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from corridors import landscape, settings
from corridors._errors import ConfigError
from corridors.io import decode_list
from corridors.programme import (
    CANDIDATE_SITE_KINDS,
    NETWORK_MARGIN_M,
    PROGRAMME_CORRIDORS,
    PROTECTED_KINDS,
    network_sites,
)
from corridors.raster import degree_bounds
from corridors.rivers import load_rivers
from corridors.scenario.schema import Scenario
from corridors.sites import load_sites


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
    corridors: list  # corridors.programme.ProgrammeCorridor whose two ends lie in the selection
    located_ids: set
    protected: Any  # shapely geometry of the protected areas (sites)
    inputs: dict[str, Path]
    landscape_area_ha: float = 0.0
    memory_limit: int | None = None  # bytes each cost-distance run may use (None: the engine's default budget)


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


# --------------------------------------------------------------------------- inputs


def _load_sites(model: Scenario) -> Any:
    """Sites in the working CRS (:func:`corridors.sites.load_sites`), with list fields as lists."""
    gdf = load_sites(model.base.sites or settings.SITES_PATH)
    if gdf.crs is not None and gdf.crs != settings.WORKING_CRS:
        gdf = gdf.to_crs(settings.WORKING_CRS)
    for col in ("population_unit", "countries", "measures", "alt_names"):
        if col in gdf.columns:
            gdf[col] = gdf[col].map(decode_list)
    if "population_unit" in gdf.columns:
        gdf["population_unit"] = gdf["population_unit"].map(lambda v: [int(x) for x in v])
    return gdf


def _load_rivers(model: Scenario) -> Any:
    """The scenario's river lines: its own layer as read (``base.rivers``, file or folder), else the bundled ones, checked."""
    if model.base.rivers is not None:
        return load_rivers(model.base.rivers, check=False)
    return load_rivers()


def _bounds(model: Scenario, sites: Any) -> tuple[float, float, float, float]:
    if model.base.extent is not None:
        return degree_bounds(model.base.extent)
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
        box = shapely.box(*degree_bounds(model.base.extent))
        inside = sites.geometry.isna() | sites.geometry.intersects(box)
        sites = sites[inside]
    return sites.copy()


def _placed(model: Scenario, located: Any) -> tuple[Any, Any, Any]:
    """What the located sites' geometries give the run: network nodes, candidate sites and the protected area."""
    nodes = network_sites(located)
    cands = located[located["kind"].isin(CANDIDATE_SITE_KINDS)].copy()
    prot = located[located["kind"].isin(PROTECTED_KINDS)]
    r = [min(float(p or 10.0) * 1000.0, model.scoring.reach_m) for p in prot.get("location_precision_km", [])]
    protected = shapely.union_all([g if g.geom_type != "Point" else g.buffer(rr) for g, rr in zip(prot.geometry, r)])
    return nodes, cands, protected


def _context(model: Scenario, memory_limit: int | None = None) -> _Context:
    """The run's context: the scenario's sites, rivers, grid bounds, classes, nodes and candidates, and its input files.

    Parameters
    ----------
    model : Scenario
    memory_limit : int, optional
        Bytes each cost-distance run of the run may use (kept in the context for the analyses).

    Raises
    ------
    ConfigError
        No located site in the selection, or fewer than two wild populations.
    """
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
    nodes, cands, protected = _placed(model, located)
    if len(nodes) < 2:
        raise ConfigError(
            f"{model.source_path or model.name}, key 'base.population_units': fewer than two wild populations "
            "(subpopulation or outside_range sites) are selected; a habitat network needs at least two."
        )
    ok_ids = set(located["id"])
    corridors = [c for c in PROGRAMME_CORRIDORS if c.end_a in ok_ids and c.end_b in ok_ids]
    inputs: dict[str, Path] = {}
    if model.source_path is not None:
        given = Path(model._label or model.source_path)  # listed in provenance.json as the user gave it, if it still leads there
        inputs["scenario"] = given if given.resolve() == Path(model.source_path).resolve() else Path(model.source_path)
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
    return _Context(model, sites_all, rivers, bounds, classes, table, nodes, cands, corridors, ok_ids, protected, inputs,
                    memory_limit=memory_limit)


def _base_state(ctx: _Context, border_resistance: dict[str, float] | None = None) -> _State:
    m = ctx.model.landscape
    overrides: dict[str, Any] = {"classes": dict(m.class_overrides), "borders": dict(m.border_overrides)}
    if border_resistance:
        overrides["borders"].update(border_resistance)
    if m.resistance_raster is not None:
        grid = landscape.make_grid(ctx.bounds, m.resolution_m)
        res = landscape.resistance_from_raster(m.resistance_raster, grid)
        # a user resistance raster has no classes: suitability falls as resistance grows (1 at the lowest)
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

