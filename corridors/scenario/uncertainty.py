"""What a run's robustness draws vary besides the weights and the dispersal distance: where each place lies and the expert resistances.

Each perturbed landscape moves every located site by a random offset within
its ``location_precision_km`` (uniform over the disc of that radius, kept to
habitat cells: the true place of a riparian population or reserve lies
somewhere in that disc, on habitat) and multiplies every class and border
resistance of the table by its own factor, log-uniform in ``[1/f, f]``
(``f = scoring.robustness.resistance_factor``). The run then measures the
candidates again on it (:func:`corridors.scenario.pipeline.run_scenario`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from corridors.landscape.table import draw_resistances
from corridors.scenario.context import _Context, _placed


def draw_locations(sites: Any, rng: np.random.Generator, scale: float = 1.0,
                   accept: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                   tries: int = 32) -> tuple[Any, np.ndarray]:
    """Move every located site by a random offset within its precision radius.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Sites of the schema in a metric CRS, with ``location_precision_km``
        (the radius the true place lies within; missing or 0: the place is
        where it is drawn). Sites without geometry (unresolved) stay as they are.
    rng : numpy.random.Generator
    scale : float, default 1
        Fraction of the precision radius to draw within (0 keeps every site in place).
    accept : callable, optional
        ``accept(x, y) -> bool array``: where a place may truly lie (e.g. on
        habitat: a deer population or reserve is not in open desert). Each
        site takes the first of ``tries`` offsets whose moved centroid is
        accepted, and stays where it is drawn if none is.
    tries : int, default 32
        Offsets drawn per site when ``accept`` is given.

    Returns
    -------
    (geopandas.GeoDataFrame, numpy.ndarray)
        A copy with the moved geometries (a polygon moves as a whole), and the
        (n, 2) offsets drawn in metres, one row per site in order (0 for sites
        not moved). An offset is ``R sqrt(u)`` long at angle ``2 pi v``
        (``u``, ``v`` uniform), uniform over the disc of radius ``R``.
    """
    n = len(sites)
    k = max(1, int(tries)) if accept is not None else 1
    # drawn for every site, so one site's draw never depends on the others
    u, v = rng.random((n, k)), rng.random((n, k))
    prec = sites["location_precision_km"] if "location_precision_km" in sites.columns else np.zeros(n)
    radius = np.nan_to_num(np.asarray(prec, dtype="float64"), nan=0.0) * 1000.0 * float(scale)
    geoms = sites.geometry.to_numpy()
    has = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    r = np.where(has[:, None], radius[:, None] * np.sqrt(u), 0.0)
    cand = np.stack([r * np.cos(2 * math.pi * v), r * np.sin(2 * math.pi * v)], axis=-1)  # (n, k, 2)
    pick = np.zeros(n, dtype=int)
    ok = np.ones(n, dtype=bool)
    if accept is not None:
        c = np.array([[g.centroid.x, g.centroid.y] if h else [np.nan, np.nan] for g, h in zip(geoms, has)])
        good = np.asarray(accept(c[:, None, 0] + cand[..., 0], c[:, None, 1] + cand[..., 1]), dtype=bool)
        ok = good.any(axis=1)
        pick = np.argmax(good, axis=1)
    offsets = np.where(ok[:, None], cand[np.arange(n), pick], 0.0)
    out = sites.copy()
    moved = [shapely.transform(g, lambda xy, d=d: xy + d) if h else g for g, h, d in zip(geoms, has, offsets)]
    out = out.set_geometry(moved, crs=sites.crs)
    return out, offsets


def on_habitat(suitability: Any, threshold: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``accept(x, y)`` for :func:`draw_locations`: True on cells of ``suitability >= threshold`` inside the grid.

    Parameters
    ----------
    suitability : corridors.raster.Raster
    threshold : float

    Returns
    -------
    callable
    """
    arr = suitability.masked(np.nan)

    def accept(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        fin = np.isfinite(x) & np.isfinite(y)
        row, col = suitability.rowcol(np.where(fin, x, 0.0), np.where(fin, y, 0.0))
        row, col = np.asarray(row), np.asarray(col)
        inside = fin & suitability.contains(row, col)
        out = np.zeros(x.shape, dtype=bool)
        out[inside] = arr[row[inside], col[inside]] >= threshold
        return out

    return accept


def perturbed_context(ctx: _Context, rng: np.random.Generator, suitability: Any = None) -> _Context:
    """The run's context with the sites moved within their precision and the resistances drawn within the stated range.

    Parameters
    ----------
    ctx : _Context
    rng : numpy.random.Generator
    suitability : corridors.raster.Raster, optional
        The run's suitability: when given, a place moves only onto habitat
        (suitability >= ``scoring.suitable_threshold``, :func:`on_habitat`),
        as the true place of a riparian population or reserve is.

    Returns
    -------
    _Context
        The same grid, classes and candidate lists; the sites (and so the
        nodes, candidates and protected areas) moved by :func:`draw_locations`
        and, when the landscape comes from the resistance table, the table
        drawn by :func:`draw_resistances`. A user's resistance raster has no
        classes to vary: it is kept as it is.
    """
    rob = ctx.model.scoring.robustness
    accept = on_habitat(suitability, ctx.model.scoring.suitable_threshold) if suitability is not None else None
    sites, _ = draw_locations(ctx.sites, rng, rob.location_scale, accept=accept)
    nodes, cands, protected = _placed(ctx.model, sites[sites["id"].isin(ctx.located_ids)])
    table = ctx.table
    if table is not None and ctx.model.landscape.resistance_raster is None:
        table, _ = draw_resistances(table, rng, rob.resistance_factor)
    return dataclasses.replace(ctx, sites=sites, node_sites=nodes, candidate_sites=cands, protected=protected, table=table)


__all__ = ["draw_locations", "draw_resistances", "on_habitat", "perturbed_context"]
