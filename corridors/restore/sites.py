"""Ranked restoration sites: connected patches of the top cells of a score surface.

A score surface (Barrier Mapper's improvement score, a circuit sensitivity,
a Linkage Priority surface) says how much each cell, restored, would bring.
Planners restore places, not cells: :func:`restoration_sites` keeps the
cells at or above a cut (the top ``top_percent`` of the cells that score
above zero, or an explicit ``min_score``), joins them into connected
patches (8 neighbours, ``scipy.ndimage.label``), and ranks the patches by
their best cell. Each patch becomes a polygon of its cells
(``rasterio.features.shapes``), in the surface's own CRS.

:func:`restored_gain` measures what a patch is worth on a linkage: the
least-cost distance between the two cores before and after the patch's
cells are set to the restored resistance (two cost-distance runs of
:func:`corridors.lcp.cost_distance`, exact on the grid, not the score's
moving-window estimate).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from scipy import ndimage

from corridors._errors import ConfigError, DataError
from corridors.io import provenance, staged_folder, write_csv, write_geopackage
from corridors.lcp import cost_distance
from corridors.raster import Raster

#: Columns of :func:`restoration_sites`' table, in order (geometry last).
SITE_COLUMNS = ("rank", "site_id", "n_cells", "area_ha", "score_max", "score_mean", "x", "y")


def score_cut(score: np.ndarray, top_percent: float | None = 1.0, min_score: float | None = None) -> float:
    """The score at or above which a cell is a restoration candidate.

    Parameters
    ----------
    score : ndarray
        The surface; NaN, infinite and values <= 0 are no improvement.
    top_percent : float or None, default 1
        Keep the best ``top_percent`` % of the cells scoring above 0.
    min_score : float, optional
        An explicit cut instead (``top_percent`` is then ignored).

    Returns
    -------
    float
        The cut; ``inf`` when no cell scores above 0.

    Raises
    ------
    ConfigError
        If ``top_percent`` is not in (0, 100] or ``min_score`` is not
        positive and finite.
    """
    if min_score is not None:
        if not np.isfinite(min_score) or min_score <= 0:
            raise ConfigError(f"min_score {min_score!r}: give a positive score (cells at or above it are kept).")
        return float(min_score)
    if top_percent is None or not (0 < top_percent <= 100):
        raise ConfigError(f"top_percent {top_percent!r}: give a share of the improving cells in (0, 100], e.g. 1.")
    pos = score[np.isfinite(score) & (score > 0)]
    if not len(pos):
        return float("inf")
    # 'higher': the cut is a value some cell holds, so the top 1 % of 50 cells keeps the best one, not none.
    return float(np.quantile(pos, 1.0 - top_percent / 100.0, method="higher"))


def restoration_sites(score: Raster, *, top_percent: float | None = 1.0, min_score: float | None = None,
                      min_cells: int = 1, max_sites: int | None = 20) -> gpd.GeoDataFrame:
    """Connected patches of the top cells of ``score``, ranked by their best cell.

    Parameters
    ----------
    score : Raster
        A score surface, higher = better to restore (NaN: no data).
    top_percent, min_score : float, optional
        The cut (:func:`score_cut`).
    min_cells : int, default 1
        Patches of fewer cells are dropped.
    max_sites : int or None, default 20
        Keep the best this many (None: all).

    Returns
    -------
    GeoDataFrame
        One row per site, in ``score``'s CRS: ``rank`` (1 = best),
        ``site_id`` (``R1``, ``R2``... by rank), ``n_cells``, ``area_ha``,
        ``score_max``, ``score_mean``, ``x``/``y`` of the best cell's centre,
        ``row``/``col`` of that cell, and the patch's cells as a polygon.
        Ties of ``score_max`` go to the larger patch, then the one met
        first in row order.

    Raises
    ------
    ConfigError
        For a bad cut, ``min_cells`` < 1 or ``max_sites`` < 1.
    """
    if min_cells < 1:
        raise ConfigError(f"min_cells {min_cells!r}: give 1 or more cells.")
    if max_sites is not None and max_sites < 1:
        raise ConfigError(f"max_sites {max_sites!r}: give 1 or more sites, or None for all.")
    a = np.asarray(score.array, dtype="float64")
    if score.nodata is not None and not np.isnan(score.nodata):
        a = np.where(a == score.nodata, np.nan, a)
    cut = score_cut(a, top_percent, min_score)
    keep = np.isfinite(a) & (a >= cut) & (a > 0)
    labels, n = ndimage.label(keep, structure=np.ones((3, 3), bool))
    columns = [*SITE_COLUMNS, "row", "col", "geometry"]
    if n == 0:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry="geometry", crs=score.crs)
    idx = np.arange(1, n + 1)
    counts = ndimage.sum_labels(np.ones_like(a), labels, idx).astype(int)
    vals = np.where(keep, a, 0.0)
    best = ndimage.maximum(vals, labels, idx)
    mean = ndimage.mean(vals, labels, idx)
    where_best = ndimage.maximum_position(vals, labels, idx)
    cell_ha = abs(score.res[0] * score.res[1]) / 10_000.0
    order = sorted((i for i in range(n) if counts[i] >= min_cells),
                   key=lambda i: (-best[i], -counts[i], where_best[i]))
    if max_sites is not None:
        order = order[:max_sites]
    chosen = {int(idx[i]): k for k, i in enumerate(order)}
    polys: dict[int, list] = {lab: [] for lab in chosen}
    sub = np.where(np.isin(labels, list(chosen)), labels, 0).astype("int32")
    for geom, lab in rasterio.features.shapes(sub, mask=sub > 0, transform=score.transform, connectivity=8):
        polys[int(lab)].append(shapely.geometry.shape(geom))
    rows = []
    for k, i in enumerate(order):
        r, c = where_best[i]
        x, y = score.xy(int(r), int(c))
        rows.append({"rank": k + 1, "site_id": f"R{k + 1}", "n_cells": int(counts[i]), "area_ha": counts[i] * cell_ha,
                     "score_max": float(best[i]), "score_mean": float(mean[i]), "x": float(x), "y": float(y),
                     "row": int(r), "col": int(c), "geometry": shapely.union_all(polys[int(idx[i])])})
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=score.crs)


def restored_gain(resistance: Raster, cells_a: np.ndarray, cells_b: np.ndarray, patch: np.ndarray,
                  restored_resistance: float = 1.0, *, lcd_before: float | None = None) -> tuple[float, float]:
    """The least-cost distance between two cores before and after a patch is restored.

    Parameters
    ----------
    resistance : Raster
        The resistance surface (NaN or nodata: impassable).
    cells_a, cells_b : ndarray of int, shape (n, 2)
        Row and column of each core's cells.
    patch : ndarray of bool
        The cells restored, on ``resistance``'s grid.
    restored_resistance : float, default 1
        Their resistance once restored (a cell already below keeps its own:
        restoring never makes a cell worse).
    lcd_before : float, optional
        The distance before, if known (saves one run).

    Returns
    -------
    (float, float)
        Least-cost distance before and after, cost-weighted map units
        (``inf`` when the cores are not connected).

    Raises
    ------
    ConfigError
        If ``restored_resistance`` is not positive or the patch is not on
        the grid.
    DataError
        If a core has no cell.
    """
    if not np.isfinite(restored_resistance) or restored_resistance <= 0:
        raise ConfigError(f"restored_resistance {restored_resistance!r}: give a positive resistance.")
    if patch.shape != resistance.shape:
        raise ConfigError(f"the patch is {patch.shape[0]} x {patch.shape[1]} cells, the resistance "
                          f"{resistance.shape[0]} x {resistance.shape[1]}; give it on the resistance grid.")
    for name, cells in (("core A", cells_a), ("core B", cells_b)):
        if len(cells) == 0:
            raise DataError(f"{name} has no cell on the resistance grid.")
    costs = np.asarray(resistance.masked(), dtype="float64")

    source = np.zeros(resistance.shape, bool)
    source[cells_a[:, 0], cells_a[:, 1]] = True

    def lcd(c: np.ndarray) -> float:
        cwd = cost_distance(resistance.replace(c, nodata=None), source)
        vals = np.asarray(cwd.array, dtype="float64")[cells_b[:, 0], cells_b[:, 1]]
        vals = vals[np.isfinite(vals)]
        return float(vals.min()) if len(vals) else float("inf")

    before = lcd(costs) if lcd_before is None else float(lcd_before)
    restored = np.where(patch & np.isfinite(costs), np.minimum(costs, restored_resistance), costs)
    return before, lcd(restored)


def write_sites(sites: gpd.GeoDataFrame, outdir: str | os.PathLike, *, inputs: Mapping[str, str | os.PathLike] | None = None,
                parameters: Mapping[str, Any] | None = None, rests_on: Sequence[str] = (),
                command: str = "corridors.restore.sites.restoration_sites") -> list[Path]:
    """Write ranked restoration sites into a folder, all files or none.

    Files: ``restoration_sites.gpkg`` (layer ``sites``, the polygons with
    every column), ``restoration_sites.csv`` (the table without geometry)
    and ``provenance.json`` (inputs with their SHA-256, the parameters, and
    ``rests_on``: what the scores assume). Other outputs of corridors in
    ``outdir`` are left alone (:func:`corridors.io.staged_folder`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(outdir)
    with staged_folder(out, name="restoration-sites") as tmp:
        write_geopackage({"sites": sites}, tmp / "restoration_sites.gpkg")
        write_csv(pd.DataFrame(sites.drop(columns="geometry")), tmp / "restoration_sites.csv")
        params = dict(parameters or {})
        params["sites"] = len(sites)
        rec = provenance.record(inputs=inputs, parameters=params, command=command)
        rec["rests_on"] = list(rests_on)
        provenance.write(rec, tmp / "provenance.json")
    return [out / "restoration_sites.gpkg", out / "restoration_sites.csv", out / "provenance.json"]


def circle_sites(sites: gpd.GeoDataFrame, radius: Raster) -> gpd.GeoDataFrame:
    """Barrier Mapper's sites as what would be restored: the union of the circles round each top cell of a patch.

    Barrier Mapper scores a cell by restoring the circle of radius r centred
    on it (:mod:`corridors.restore.barriers`), so a patch of top cells is
    restored as the union of those circles, not as its own cells (which may
    already be habitat next to the barrier).

    Parameters
    ----------
    sites : GeoDataFrame
        :func:`restoration_sites` of a Barrier Mapper score.
    radius : Raster
        The radius (map units) that gave each cell its score (``best_radius``).

    Returns
    -------
    GeoDataFrame
        A copy of ``sites`` whose geometry is the union of circles;
        ``n_cells`` and ``area_ha`` count the cells whose centre lies in it
        (the cells restored), ``radius_m`` is the largest circle used.

    Raises
    ------
    ConfigError
        If ``radius`` is not on the score's grid, or a site cell has no radius.
    """
    out = sites.copy()
    if not len(out):
        out["radius_m"] = []
        return out
    rad = np.asarray(radius.array, dtype="float64")
    cell_ha = abs(radius.res[0] * radius.res[1]) / 10_000.0
    geoms, n_cells, areas, radii = [], [], [], []
    for geom in sites.geometry:
        rows, cols = np.unravel_index(_cells_in(radius, geom), radius.shape)
        r = rad[rows, cols]
        if not np.isfinite(r).all() or (r <= 0).any():
            raise ConfigError("a site cell has no radius in the radius raster; give the best_radius of the same Barrier "
                              "Mapper run as the score.")
        xs, ys = radius.xy(rows, cols)
        union = shapely.union_all(shapely.buffer(shapely.points(np.asarray(xs), np.asarray(ys)), r, quad_segs=16))
        k = len(_cells_in(radius, union))
        geoms.append(union)
        n_cells.append(k)
        areas.append(k * cell_ha)
        radii.append(float(r.max()))
    out["n_cells"], out["area_ha"], out["radius_m"] = n_cells, areas, radii
    return out.set_geometry(geoms)


def _cells_in(grid: Raster, geom: Any) -> np.ndarray:
    """Flat indices of the cells whose centre lies in ``geom``."""
    mask = rasterio.features.geometry_mask([geom], out_shape=grid.shape, transform=grid.transform, invert=True)
    return np.flatnonzero(mask)
