"""The surfaces and capacities of the programme network: the expert resistance and suitability over the sites, habitat within reach, site areas.

Part of the programme network's one definition (:mod:`corridors.analyses.programme_network`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import landscape, programme, settings
from corridors._errors import ConfigError, DataError, MemoryLimitError, where
from corridors.network.sources import habitat_disc
from corridors.raster import Raster
from corridors.sites import precision_areas


@dataclass
class Surfaces:
    """The resistance and suitability surfaces a programme network is built on.

    Attributes
    ----------
    resistance : Raster
        Cost per metre (float64), working CRS.
    suitability : Raster
        Habitat suitability 0-1 (float64), same grid.
    classes : Raster or None
        Landscape classes the two were built from (None for a user's resistance raster).
    """

    resistance: Raster
    suitability: Raster
    classes: Raster | None = None

    @property
    def landscape_area_ha(self) -> float:
        """A_L: the suitability-weighted habitat area of the whole grid, in hectares."""
        return habitat_ha(self.suitability)


def network_bounds(sites: gpd.GeoDataFrame, margin_m: float = programme.NETWORK_MARGIN_M) -> tuple[float, float, float, float]:
    """Working-CRS bounds of the located sites plus a margin (the extent of the network's surfaces).

    Parameters
    ----------
    sites : GeoDataFrame
        In the working CRS; rows without a geometry are ignored.
    margin_m : float, default :data:`corridors.programme.NETWORK_MARGIN_M`

    Returns
    -------
    tuple of float
        (left, bottom, right, top) in metres.
    """
    located = sites[~sites.geometry.isna() & ~sites.geometry.is_empty]
    x0, y0, x1, y1 = located.total_bounds
    return (x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)


#: Peak bytes per cell of :func:`network_surfaces`: the classes (1), resistance and suitability (8 each) it
#: keeps, and the rasterized layers and float copies it builds them from. Measured (peak RSS over the start,
#: the vector layers loaded) on the programme network's grid at 2 km and 1 km: 51.7 and 51.3 bytes per cell.
SURFACE_BYTES_PER_CELL: int = 52


def check_surface_memory(bounds: Sequence[float], resolution_m: float, memory_limit: int | None = None) -> int:
    """Refuse, before anything is built, surfaces that would not fit in memory; their estimated peak otherwise.

    The least-cost runs that follow need less (the kept surfaces, 17 bytes a
    cell, plus at least the row sweep's 18: :func:`corridors.lcp.cost_distance_engine`
    checks each against the limit).

    Parameters
    ----------
    bounds : sequence of float
        Working-CRS extent of the surfaces.
    resolution_m : float
        Cell size, metres.
    memory_limit : int, optional
        Bytes allowed (``--memory-limit``); default :data:`corridors.settings.MEMORY_LIMIT`, else the memory available now.

    Returns
    -------
    int
        Estimated peak bytes (:data:`SURFACE_BYTES_PER_CELL` per cell).

    Raises
    ------
    MemoryLimitError
        Naming ``--resolution``, the grid's size and both figures, if the estimate exceeds the limit or the memory available.
    """
    grid = Raster.from_bounds(bounds, resolution_m, None, dtype="uint8")  # the snapped shape, 1 byte a cell
    rows, cols = grid.shape
    need = SURFACE_BYTES_PER_CELL * rows * cols
    limit = memory_limit if memory_limit is not None else settings.MEMORY_LIMIT
    have = limit if limit is not None else settings.available_memory()
    if have and need > have:
        whose = "is allowed (--memory-limit)" if limit is not None else "is available"
        raise MemoryLimitError(
            f"{where(field='resolution_m')} (--resolution) {resolution_m:g} m: the network's surfaces on {rows:,} x {cols:,} cells "
            f"need about {settings.format_bytes(need)}, but only {settings.format_bytes(have)} {whose}; use a coarser "
            f"--resolution (default {programme.NETWORK_RESOLUTION_M:g} m) or allow more memory."
        )
    return need


def network_surfaces(
    bounds: Sequence[float],
    resolution_m: float = programme.NETWORK_RESOLUTION_M,
    table: landscape.ResistanceTable | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    overrides: Mapping | None = None,
    classes: Raster | None = None,
) -> Surfaces:
    """Resistance and suitability from the expert table (``data/resistance.yml``) on one grid.

    Parameters
    ----------
    bounds : sequence of float
        Working-CRS extent (see :func:`network_bounds`).
    resolution_m : float, default :data:`corridors.programme.NETWORK_RESOLUTION_M`
    table : ResistanceTable, optional
        Default the bundled table.
    rivers : GeoDataFrame, optional
        River lines (default the bundled ones).
    overrides : mapping, optional
        ``{"classes": {...}, "borders": {...}}`` resistance overrides (see
        :func:`corridors.landscape.apply_overrides`); suitability ignores them.
    classes : Raster, optional
        Landscape classes already built on this grid.

    Returns
    -------
    Surfaces
    """
    table = table if table is not None else landscape.load_table()
    if classes is None:
        classes = landscape.build_classes(bounds, resolution_m, table, rivers=rivers)
    ov = {"classes": dict((overrides or {}).get("classes", {})), "borders": dict((overrides or {}).get("borders", {}))}
    res = landscape.build_resistance(bounds, resolution_m, table, overrides=ov, classes=classes)
    suit = landscape.build_suitability(bounds, resolution_m, table, overrides={"classes": {}}, classes=classes)
    return Surfaces(res.replace(res.array.astype("float64")), suit.replace(suit.array.astype("float64")), classes)


def habitat_ha(suitability: Raster) -> float:
    """Suitability-weighted habitat area of a grid, in hectares."""
    cell_ha = suitability.res[0] * suitability.res[1] / 1e4
    return float(suitability.masked(0.0).sum() * cell_ha)


def habitat_capacity(nodes: gpd.GeoDataFrame, suitability: Raster, reach_m: float = programme.DEFAULT_REACH_M
                     ) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """Capacity of each node: the suitability-weighted habitat within ``reach_m`` of it, in hectares.

    Parameters
    ----------
    nodes : GeoDataFrame
        Indexed by node id (or with an ``id`` column), in the suitability's CRS.
    suitability : Raster
    reach_m : float, default :data:`corridors.programme.DEFAULT_REACH_M`

    Returns
    -------
    (pandas.Series, dict)
        Capacity (ha) by node id, and each node's habitat disc (bool mask).
    """
    ids = [str(x) for x in (nodes["id"] if "id" in nodes.columns else nodes.index)]
    cell_ha = suitability.res[0] * suitability.res[1] / 1e4
    suit = suitability.masked(0.0)
    cores, cap = {}, {}
    for nid, geom in zip(ids, nodes.geometry):
        cores[nid] = habitat_disc(suitability, geom, reach_m)
        cap[nid] = float(suit[cores[nid]].sum() * cell_ha)
    return pd.Series(cap, name="capacity").rename_axis("id"), cores


def site_capacity(sites: gpd.GeoDataFrame, capacity: str = "area") -> pd.Series:
    """Capacity of each site (the node attribute), by the user's choice.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites of the schema (``id`` column), any CRS.
    capacity : str, default 'area'
        ``'habitat'`` is computed from a suitability surface by
        :func:`habitat_capacity`, not here. ``'area'``: hectares, from ``area_ha`` where a source states it,
        else the area of the site's polygon, else of its precision circle
        (``corridors.sites.precision_areas``: a point buffered by
        ``location_precision_km``). That circle is where the place lies, not
        its habitat, so the default is a placeholder until surveyed areas
        or head counts are filled in; a site nested in another node (its
        ``parent``) is cut out of the parent so no hectare counts twice.
        ``'equal'``: 1 per site (topology only). Any other value names a
        numeric column of the sites (a census count, a carrying capacity).

    Returns
    -------
    pandas.Series
        Indexed by site id.

    Raises
    ------
    ConfigError
        If the column does not exist.
    DataError
        If a value of the chosen column is missing or negative.
    """
    ids = sites["id"].astype(str).to_numpy()
    if capacity == "equal":
        return pd.Series(1.0, index=pd.Index(ids, name="id"))
    if capacity != "area":
        if capacity not in sites.columns:
            raise ConfigError(
                f"option 'capacity' is {capacity!r}, which is no column of the sites; choose 'area', 'equal' or one of "
                f"{', '.join(c for c in sites.columns if c != sites.geometry.name)}."
            )
        vals = pd.to_numeric(sites[capacity], errors="coerce")
        bad = vals.isna() | (vals < 0)
        if bad.any():
            r = int(np.flatnonzero(bad.to_numpy())[0])
            raw = sites[capacity].iloc[r]
            value = "empty" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else f"{raw!r}"
            raise DataError(
                f"sites, feature {ids[r]!r}, field {capacity!r}: capacity is {value}, not a number >= 0; "
                "give every site a number >= 0 (a count or an area in ha) or use capacity 'area' or 'equal'."
            )
        return pd.Series(vals.to_numpy(dtype=float), index=pd.Index(ids, name="id"))
    work = sites.to_crs(settings.WORKING_CRS)
    areas = precision_areas(work)
    geom = dict(zip(areas["id"].astype(str), areas.geometry))
    own = {}
    for sid in ids:
        g = geom.get(sid)
        own[sid] = g
    # cut nested nodes out of their parents (only parents that are nodes here)
    parent = dict(zip(ids, work["parent"] if "parent" in work.columns else [None] * len(ids)))
    children: dict[str, list[str]] = {}
    for sid, par in parent.items():
        if isinstance(par, str) and par in own and par != sid:
            children.setdefault(par, []).append(sid)
    stated = dict(zip(ids, pd.to_numeric(work["area_ha"], errors="coerce") if "area_ha" in work.columns else [np.nan] * len(ids)))
    out = {}
    for sid in ids:
        if stated.get(sid) is not None and math.isfinite(stated[sid]):
            out[sid] = float(stated[sid])
            continue
        g = own[sid]
        if g is None or g.is_empty:
            raise DataError(f"sites, feature {sid!r}, field 'geometry': no location, so no area; drop it or give capacity values.")
        kids = [own[c] for c in children.get(sid, []) if own[c] is not None]
        if kids:
            g = g.difference(shapely.union_all(kids))
        out[sid] = g.area / 1e4
    return pd.Series(out, name="capacity").rename_axis("id")
