"""The landscape-class raster of the bundled data and the rasterized national borders."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from scipy import ndimage

from corridors.borders import load_borders
from corridors.io import load_base
from corridors.landscape.table import CLASS_CODES, ResistanceTable, load_table
from corridors.raster import Raster, make_grid, rasterize
from corridors.raster.grid import _resolution_m
from corridors.rivers import load_rivers


def _distance_m(mask: np.ndarray, cell: float) -> np.ndarray:
    """Euclidean distance (m) from each cell centre to the nearest True cell (scipy's exact EDT)."""
    if not mask.any():
        return np.full(mask.shape, np.inf, dtype="float32")
    return (ndimage.distance_transform_edt(~mask) * cell).astype("float32")


# ----------------------------------------------------------------------------- layers
@functools.lru_cache(maxsize=1)
def _layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: load_base(name) for name in ("countries", "lakes", "regions", "towns")}


def build_classes(
    bounds: Sequence[float] | None = None,
    resolution_m: float | None = None,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    *,
    resolution: float | None = None,
) -> Raster:
    """The landscape-class raster (codes of :data:`CLASS_CODES`; 0 = sea/no data).

    Parameters
    ----------
    bounds, resolution_m
        The grid (see :func:`make_grid`).
    table : path, mapping or ResistanceTable, optional
        Supplies the zone widths and the region -> class map (default ``data/resistance.yml``).
    rivers : GeoDataFrame, optional
        River centrelines (default :func:`corridors.rivers.load_rivers`, the bundled rivers).

    Returns
    -------
    Raster
        uint8 codes; ``nodata`` 0.
    """
    resolution_m = _resolution_m(resolution_m, resolution)
    t = load_table(table)
    grid = make_grid(bounds, resolution_m)
    cell = grid.cellsize
    layers = _layers()
    land = rasterize(list(layers["countries"].geometry), 1, grid, all_touched=True).astype(bool)
    codes = np.where(land, CLASS_CODES["open_lowland"], 0).astype("uint8")
    regions = layers["regions"]
    # Paint regions in their order of class (desert, then mountain) so mountains win where outlines overlap.
    # A region's class: by its name if the table lists it (region_names), else by its feature class.
    region_class = [t.region_names.get(str(n), t.regions.get(str(fc))) for n, fc in zip(regions["name"], regions["featurecla"])]
    for cls in ("open_lowland", "desert", "mountain"):
        feats = [g for g, c in zip(regions.geometry, region_class) if c == cls]
        m = rasterize(feats, 1, grid).astype(bool) & land
        codes[m] = CLASS_CODES[cls]
    rivers = load_rivers() if rivers is None else rivers
    river_mask = rasterize(list(rivers.geometry), 1, grid, all_touched=True).astype(bool)
    dist = _distance_m(river_mask, cell)
    codes[(dist <= t.zones.floodplain_m) & land] = CLASS_CODES["floodplain"]
    codes[((dist <= t.zones.riparian_m) | river_mask) & land] = CLASS_CODES["riparian"]
    del dist
    lakes = rasterize(list(layers["lakes"].geometry), 1, grid).astype(bool)
    codes[lakes] = CLASS_CODES["lake"]
    towns = layers["towns"]
    pop = towns["pop_max"].fillna(0).clip(lower=0).to_numpy(dtype=float)
    z = t.zones
    radius = np.clip(z.settlement_per_100k_m * np.sqrt(pop / 1e5), z.settlement_min_m, max(z.settlement_min_m, z.settlement_max_m))
    town_geoms = list(towns.geometry.buffer(radius))
    towns_mask = rasterize(town_geoms, 1, grid).astype(bool)
    codes[towns_mask & land] = CLASS_CODES["settlement"]
    return Raster(codes, grid.transform, grid.crs, 0, "landscape classes")


def build_border_ids(grid: Raster, table: ResistanceTable, borders: gpd.GeoDataFrame | None = None) -> tuple[np.ndarray, list[str]]:
    """Rasterize the national borders: cell -> 1-based index into the returned border ids (0 = no border).

    Lines are burnt with ``all_touched`` and corner-only contacts are sealed,
    so the strip is 4-connected and an 8-neighbour path cannot slip
    diagonally through it; wider strips follow ``zones.border_width_m``.
    """
    borders = load_borders() if borders is None else borders
    ids = list(borders["border_id"])
    width = table.zones.border_width_m
    geoms = list(borders.geometry)
    if width > grid.cellsize:
        geoms = [g.buffer(width / 2) for g in geoms]
    dtype = "uint8" if len(ids) < 255 else "uint16"
    codes = rasterize(geoms, list(range(1, len(ids) + 1)), grid, all_touched=True, dtype=dtype)
    return _seal_diagonals(codes), ids


def _seal_diagonals(codes: np.ndarray, max_passes: int = 8) -> np.ndarray:
    """Fill one cell wherever two line cells touch only by a corner.

    A line through a cell corner is burnt as two diagonal cells, and an
    8-neighbour path (MCP) would slip between them across the border. Filling
    one of the two other cells of that 2 x 2 block makes the strip
    4-connected. Done by hand: no raster library offers it.
    """
    out = codes.copy()
    for _ in range(max_passes):
        m = out > 0
        corner = m[:-1, :-1] & m[1:, 1:] & ~m[:-1, 1:] & ~m[1:, :-1]
        anti = m[:-1, 1:] & m[1:, :-1] & ~m[:-1, :-1] & ~m[1:, 1:]
        if not (corner.any() or anti.any()):
            break
        r, c = np.nonzero(corner)
        out[r, c + 1] = out[r, c]
        r, c = np.nonzero(anti & ~np.pad(corner, ((0, 0), (1, 0)))[:, :-1])
        out[r, c] = out[r, c + 1]
    return out
