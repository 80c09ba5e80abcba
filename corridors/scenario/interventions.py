"""Interventions on the landscape: the area each acts on, its cells, and a list of interventions applied to a state.

:func:`intervention_area` turns a target (sites, a line between two sites, a
river, a geometry or a file) into a shapely geometry; :func:`corridors.raster.geometry_mask`
(``all_touched=False``) into cells; :func:`apply_area_intervention` changes resistance and suitability
there. :func:`_apply` applies a scenario's interventions, in order, to the
baseline landscape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from corridors import settings
from corridors._errors import ConfigError
from corridors.analyses.programme_network import node_of
from corridors.borders import load_borders
from corridors.io import geometry_from_geojson, geometry_problem, read_vector
from corridors.raster import geometry_mask
from corridors.scenario.context import _base_state, _Context, _State
from corridors.scenario.schema import (
    BorderPermeability,
    HabitatLoss,
    PopulationControl,
    ProtectedArea,
    Reintroduction,
    Scenario,
    _Area,
)


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
        Unknown or unresolved site, unknown river, an empty area, or an
        invalid feature in ``file`` (:func:`corridors.io.geometry_problem`,
        the check of ``corridors sites check``).
    """
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
        g = gpd.GeoSeries([geometry_from_geojson(iv.geometry)], crs=settings.GEOGRAPHIC_CRS)
        geom = g.to_crs(settings.WORKING_CRS).iloc[0]
    else:
        table = read_vector(iv.file)
        if iv.top is not None:
            if "rank" not in table.columns:
                raise ConfigError(f"{where_}: top {iv.top} needs a 'rank' column in {iv.file} (the restoration_sites.gpkg of "
                                  "`corridors restore sites` or of the main job's restoration step has one); it has "
                                  f"{', '.join(map(str, table.columns[:8]))}.")
            table = table.sort_values("rank", kind="stable").head(iv.top)
        feats = table.geometry
        for i, g in enumerate(feats):
            problem = geometry_problem(g)
            if problem:
                raise ConfigError(f"{where_}: {iv.file}, feature {i}: {problem}.")
        geom = shapely.union_all(feats.values)
    if iv.buffer_m > 0:
        geom = geom.buffer(iv.buffer_m)
    if geom is None or geom.is_empty:
        raise ConfigError(f"{where_}: the target area is empty; check the sites, river or geometry it names.")
    return geom


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
        New resistance and suitability, and a record: ``cells`` and
        ``area_ha`` (the area's cells), ``habitat_change_ha`` (the
        suitability-weighted habitat added, negative for a loss) and
        ``at_cap_cells`` (cells of a restoration whose suitability was
        already 1, so that it adds no habitat there).
        The area's cells are those whose centre it covers, or those it
        touches when it covers no centre (:func:`corridors.raster.geometry_mask`
        with ``all_touched=False``), so an intervention never silently does nothing.
        Restoration types multiply resistance by ``resistance_multiplier``
        (<= 1) and add ``suitability_add`` (capped at 1); habitat loss
        multiplies resistance by ``resistance_multiplier`` (>= 1, or makes
        the cells no data when ``impassable``) and suitability by
        ``suitability_multiplier``. No-data cells stay no data.
    """
    resistance.check_aligned(suitability)
    mask = geometry_mask(resistance, geom, all_touched=False) & resistance.valid
    res = resistance.array.astype("float64", copy=True)
    suit = suitability.array.astype("float64", copy=True)
    sval = mask & suitability.valid
    if isinstance(iv, HabitatLoss):
        if iv.impassable:
            res[mask] = np.nan
        else:
            res[mask] *= iv.resistance_multiplier
        suit[sval] *= iv.suitability_multiplier
        at_cap = 0
    else:
        res[mask] *= iv.resistance_multiplier
        at_cap = int(np.count_nonzero(suit[sval] >= 1.0))
        suit[sval] = np.minimum(1.0, suit[sval] + iv.suitability_add)
    cell_ha = resistance.res[0] * resistance.res[1] / 1e4
    before = suitability.array[sval].astype("float64")
    record = {"cells": int(mask.sum()), "area_ha": float(mask.sum() * cell_ha),
              "habitat_change_ha": float((suit[sval] - before).sum() * cell_ha), "at_cap_cells": at_cap}
    return resistance.replace(res), suitability.replace(suit), record


# --------------------------------------------------------------------------- a list of interventions on a state


def _where(ctx: _Context, i: int) -> str:
    return ctx.model.where("interventions", i)


def _apply(ctx: _Context, interventions: list, index: list[int] | None = None) -> _State:
    """The baseline state with these interventions applied, in order."""
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
               "area_ha": 0.0, "habitat_change_ha": 0.0, "at_cap_cells": 0}
        if isinstance(iv, _Area):
            geom = intervention_area(iv, ctx.sites, ctx.rivers, where_)
            state.resistance, state.suitability, r = apply_area_intervention(
                state.resistance, state.suitability, iv, geom
            )
            if r["cells"] == 0:
                name = f" ({iv.label!r})" if iv.label else ""
                raise ConfigError(
                    f"{where_}{name}: the target area lies outside the study area (or on its no-data cells only), "
                    "so the intervention would change nothing; check its coordinates (GeoJSON positions are "
                    "[longitude, latitude]) or widen landscape.extent."
                )
            rec.update(r)
            if isinstance(iv, HabitatLoss):
                state.degraded |= geometry_mask(state.resistance, geom, all_touched=False)
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
    """The network node a site belongs to: itself or the first node up its parents (:func:`node_of`), else the nearest node."""
    node = node_of(site, list(ctx.node_sites["id"]), ctx.sites)
    if node is not None:
        return node
    row = ctx.sites[ctx.sites["id"] == site].iloc[0]
    g = row.geometry
    if g is None or g.is_empty:
        raise ConfigError(f"{where_}: site {site!r} is unresolved and belongs to no network node; name a located site.")
    d = ctx.node_sites.geometry.distance(g)
    return str(ctx.node_sites["id"].iloc[int(d.to_numpy().argmin())])


def _intervention_geoms(ctx: _Context, model: Scenario) -> Any:
    """The area of every intervention (a border's line for border permeability, working CRS), or None if none has one."""
    rows = []
    for i, iv in enumerate(model.interventions):
        if isinstance(iv, _Area):
            geom = intervention_area(iv, ctx.sites, ctx.rivers, _where(ctx, i))
        elif isinstance(iv, (Reintroduction, PopulationControl)):
            g = ctx.sites.loc[ctx.sites["id"] == iv.site].geometry
            geom = g.iloc[0].buffer(ctx.model.scoring.reach_m) if len(g) and g.iloc[0] is not None else None
        else:
            b = load_borders()
            g = b.loc[b["border_id"] == iv.border].geometry
            geom = g.iloc[0] if len(g) else None
        if geom is None:
            continue
        rows.append({"intervention": i, "type": iv.type, "measure": iv.measure, "label": iv.label or "", "geometry": geom})
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=settings.WORKING_CRS)

