"""The main job's restoration step: where restoring cells helps the programme's corridors most, as ranked sites.

:func:`run_restoration` runs Barrier Mapper on the programme's candidate
corridors (:func:`corridors.analyses.barriers.run_barriers`: the bundled
surface at 1 km, radii 1, 2 and 5 km), takes the best 5 % of the improving
cells as patches (:func:`corridors.restore.sites.restoration_sites`), and
gives each site the corridor and measure it serves (the linkage whose score
is highest at its best cell), its country, and its exact gain: the
corridor's least-cost distance before and after the site's cells are set to
the restored resistance (:func:`corridors.restore.sites.restored_gain`),
per hectare restored. :meth:`RestorationProgramme.write` writes
``restoration_sites.gpkg/.csv``, ``barriers.tif``, ``restoration_map.png/.svg``
and ``provenance.json`` (with what the ranking rests on).

Example
-------
>>> from corridors.analyses.restoration import run_restoration
>>> result = run_restoration()          # about 30 s on two cores
>>> result.sites[["site_id", "corridor", "country", "area_ha", "lcd_drop_km", "gain_m_per_ha"]]
>>> result.write("out/restoration")
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import ndimage

from corridors import io, landscape
from corridors._errors import ConfigError
from corridors.borders import load_borders
from corridors.analyses.barriers import DEFAULT_RADII_M, BarrierAnalysis, run_barriers
from corridors.io import provenance, staged_folder, write_csv, write_geopackage
from corridors.programme import PROGRAMME_CORRIDORS
from corridors.plot.restoration_map import plot_restoration
from corridors.plot.save import save_figure
from corridors.raster import crop, geometry_cells, rasterize
from corridors.restore.sites import circle_sites, restoration_sites, restored_gain

#: Title of the step's map.
MAP_TITLE = "Where to restore for the programme's corridors (Barrier Mapper)"
#: Cells round a linkage's cores and path kept for the exact before/after least-cost runs of a site (map units):
#: restoring only lowers costs, and a path leaving this frame would be 100 km longer than the best one.
GAIN_FRAME_M = 100_000.0


@dataclass
class RestorationProgramme:
    """The restoration step's result.

    Attributes
    ----------
    barriers : corridors.analyses.barriers.BarrierAnalysis
        Barrier Mapper on the programme's corridors.
    sites : GeoDataFrame
        The ranked habitat sites, off the national border strips
        (:func:`corridors.restore.sites.restoration_sites`, ids ``R1``...)
        with ``corridor``, ``measure``, ``corridor_name``, ``core_a``,
        ``core_b``, ``country``, ``lcd_before_km``, ``lcd_after_km``,
        ``lcd_drop_km``, ``lcd_drop_pct`` and ``gain_m_per_ha`` (cost-weighted
        metres of least-cost distance saved per hectare restored).
    crossings : GeoDataFrame
        The same for the cells on national border strips (:func:`border_cells`,
        ids ``B1``...): their resistance is the expert crossing cost, so
        "restoring" one is the border-permeability measure 1.3, not habitat work.
    parameters : dict
    inputs : dict of str to pathlib.Path
    robustness : DataFrame, optional
        :func:`resistance_robustness` of this run, when asked
        (``resistance_robustness.csv``).
    """

    barriers: BarrierAnalysis
    sites: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Path] = field(default_factory=dict)
    robustness: pd.DataFrame | None = None

    def write(self, outdir: str | os.PathLike, *, map: bool = True) -> list[Path]:
        """Write the step's files into a folder, all or none.

        Parameters
        ----------
        outdir : path-like
        map : bool, default True
            Draw ``restoration_map.png/.svg`` in the surface's own CRS.

        Returns
        -------
        list of pathlib.Path
            ``restoration_sites.gpkg`` (layers ``sites``, ``border_crossings``
            and ``corridors``), ``restoration_sites.csv``,
            ``border_crossings.csv``, ``barriers.tif``, the map files and
            ``provenance.json``.
        """
        out = Path(outdir)
        names = ["restoration_sites.gpkg", "restoration_sites.csv", "border_crossings.csv", "barriers.tif"]
        with staged_folder(out, name="restoration") as tmp:
            write_geopackage({"sites": self.sites, "border_crossings": self.crossings,
                              "corridors": self.barriers.linkages.linkages}, tmp / "restoration_sites.gpkg")
            write_csv(pd.DataFrame(self.sites.drop(columns="geometry")), tmp / "restoration_sites.csv")
            write_csv(pd.DataFrame(self.crossings.drop(columns="geometry")), tmp / "border_crossings.csv")
            score = self.barriers.score
            score.replace(np.where(np.isfinite(score.array), score.array, -9999.0).astype("float32"), nodata=-9999.0).write(
                tmp / "barriers.tif")
            if map:
                fig, _ = plot_restoration(self.barriers.score, self.sites, self.barriers.linkages, crossings=self.crossings,
                                          title=MAP_TITLE,
                                          score_label=_score_label(self.barriers.barriers))
                names += [p.name for p in save_figure(fig, tmp / "restoration_map", formats=("png", "svg"), dpi=200)]
            if self.robustness is not None:
                write_csv(self.robustness, tmp / "resistance_robustness.csv")
                names.append("resistance_robustness.csv")
            rec = provenance.record(inputs=self.inputs, parameters=self.parameters, command="corridors restore sites")
            rec["rests_on"] = self.rests_on
            provenance.write(rec, tmp / "provenance.json")
            names.append("provenance.json")
        return [out / n for n in names]


    @property
    def rests_on(self) -> list[str]:
        """What this run's ranking rests on (``provenance.json``): the surface, the restored value, the ends, the cell size."""
        p = self.parameters
        restored = float(self.barriers.barriers.restored_resistance)
        what = " (the table's tugay)" if restored == 1.0 and self.inputs.get("resistance_table") else ""
        if self.inputs.get("resistance_table"):
            surface = ("the bundled expert table data/resistance.yml on the Natural Earth layers (no telemetry, occupancy "
                       "or genetic data fitted)")
        else:
            surface = "the resistance surface given, used as is (what it rests on is its own)"
        if "cores" in p:
            ends = f"corridor ends: the cores given ({p['cores'].get('n_cores', '?')}), as drawn (a point core: a disc of " \
                   f"{p.get('core_radius_m', 5000.0) / 1000:g} km)"
        else:
            ends = ("corridor ends: the programme's places, located within 10-130 km (location_precision_km of "
                    f"data/sites.geojson), each a {p.get('core_radius_m', 5000.0) / 1000:g} km disc")
        cell = p.get("resolution_m")
        grid = f"the same surface of {float(cell) / 1000:g} km cells" if cell else "the same surface"
        return [f"resistance: {surface}; a restored cell takes resistance {restored:g}{what}, an assumption", ends,
                "Barrier Mapper scores are moving-window estimates; lcd_before/lcd_after are exact least-cost runs with the "
                f"site's cells restored, on {grid}"]


def _score_label(result: Any) -> str:
    """The colour bar's label, on two lines: a score per unit restored is km saved per km restored."""
    if result.percent:
        return "Barrier Mapper score\n(% of the corridor's least-cost distance saved)"
    return "Barrier Mapper score\n(km of least-cost distance saved per km restored)"


def _countries() -> gpd.GeoDataFrame:
    return io.load_base("countries")[["ISO_A3", "NAME", "geometry"]]


def _country_of(points: gpd.GeoSeries) -> list[str]:
    countries = _countries().to_crs(points.crs)
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=points.values, crs=points.crs), countries, how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    return [str(v) if isinstance(v, str) else "" for v in hit["ISO_A3"]]


def _what_is_there(barriers: BarrierAnalysis, sites: gpd.GeoDataFrame, *, crossing: bool = False) -> tuple[list[str], list[float]]:
    """What each site's cells are: ``border TKM-UZB`` (its id) where the site holds a national border strip, else
    ``land``; and the mean resistance of its cells before restoration.

    A border strip's resistance is the expert crossing cost of ``data/resistance.yml`` (a fence, a patrolled strip),
    so restoring it is the border-permeability measure (1.3), not habitat work: the table says which it is. A site
    holds a strip when its circles cross a border line, or when they hold a cell a border line touches
    (:func:`border_cells`, the rule :func:`split_by_border` sorts the sites by; every border crossing, ``crossing``,
    holds one): the line may pass through such a cell outside the circles. The border named is then the nearest line
    within a cell of the site (``border`` alone when none is: a strip of the grid with no line of the bundled layer).
    """
    if not len(sites):
        return [], []
    res = barriers.linkages.resistance
    arr = np.asarray(res.masked(), dtype="float64")
    strip = border_cells(res)
    borders = load_borders().to_crs(res.crs)
    kinds, means = [], []
    for geom in sites.geometry:
        flat = geometry_cells(res, geom)
        near = borders[borders.intersects(geom)]
        if len(near):
            kinds.append(f"border {near.iloc[0]['border_id']}")
        elif crossing or strip.flat[flat].any():
            dist = borders.distance(geom)
            close = dist[dist <= float(res.cellsize)]
            kinds.append(f"border {borders.loc[close.idxmin(), 'border_id']}" if len(close) else "border")
        else:
            kinds.append("land")
        vals = arr.flat[flat]
        means.append(float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan"))
    return kinds, means


def _linkage_at(barriers: BarrierAnalysis, row: int, col: int) -> tuple[str, str] | None:
    """The linkage whose combined score is highest at one cell."""
    best, which = -np.inf, None
    for _, link in barriers.linkages.linkages.iterrows():
        a, b = str(link["core_a"]), str(link["core_b"])
        v = float(barriers.by_linkage(a, b).array[row, col])
        if np.isfinite(v) and v > best:
            best, which = v, (a, b)
    return which


def _gain(barriers: BarrierAnalysis, a: str, b: str, patch_geom: Any, restored: float) -> tuple[float, float]:
    """Least-cost distance of linkage a-b before and after the patch is restored, on a frame round its cores and path."""
    res = barriers.linkages.resistance
    cores = barriers.linkages.cores.set_index("core_id")
    links = barriers.linkages.linkages
    path = links[((links["core_a"] == a) & (links["core_b"] == b)) | ((links["core_a"] == b) & (links["core_b"] == a))]
    parts = [cores.loc[a].geometry, cores.loc[b].geometry, patch_geom] + list(path.geometry)
    x0, y0, x1, y1 = gpd.GeoSeries(parts, crs=res.crs).total_bounds
    frame, _ = crop(res, (x0 - GAIN_FRAME_M, y0 - GAIN_FRAME_M, x1 + GAIN_FRAME_M, y1 + GAIN_FRAME_M))
    frame = frame.replace(np.array(frame.array, dtype="float64"), nodata=frame.nodata)

    def cells(geom: Any) -> np.ndarray:
        flat = geometry_cells(frame, geom)
        return np.stack(np.unravel_index(flat, frame.shape), axis=1)

    patch = np.zeros(frame.shape, bool)
    rc = cells(patch_geom)
    patch[rc[:, 0], rc[:, 1]] = True
    return restored_gain(frame, cells(cores.loc[a].geometry), cells(cores.loc[b].geometry), patch, restored)


def run_restoration(*, radii_m: float | Iterable[float] = DEFAULT_RADII_M, top_percent: float = 5.0, max_sites: int = 10,
                    per_corridor: int = 2, restored_resistance: float = 1.0, resolution_m: float | None = None,
                    barriers: BarrierAnalysis | None = None) -> RestorationProgramme:
    """Ranked restoration sites for the programme's candidate corridors (``corridors restore sites``).

    Parameters
    ----------
    radii_m : float or iterable of float, default (1000, 2000, 5000)
        Barrier Mapper's search radii.
    top_percent : float, default 5
        The best this % of the improving cells (of each kind: land, border
        crossings) make the candidate patches.
    max_sites : int, default 10
        Sites kept of each kind, best first.
    per_corridor : int, default 2
        At most this many sites of a kind serve one corridor, so the table
        is not ten circles along one border strip.
    restored_resistance : float, default 1
        Resistance of a restored cell (the table's tugay).
    resolution_m : float, optional
        Cell size of the bundled surface (default 1 km, as the pinch step).
    barriers : BarrierAnalysis, optional
        A Barrier Mapper run already made (e.g. with your own settings).

    Returns
    -------
    RestorationProgramme
    """
    if barriers is None:
        barriers = run_barriers(radii_m=radii_m, restored_resistance=restored_resistance, resolution_m=resolution_m)
    restored = float(barriers.barriers.restored_resistance)
    (land_score, land_radius), (cross_score, cross_radius) = split_by_border(barriers)
    land = _describe(barriers, restoration_sites(land_score, top_percent=top_percent, max_sites=None), land_radius,
                     restored, "R", max_sites, per_corridor)
    crossings = _describe(barriers, restoration_sites(cross_score, top_percent=top_percent, max_sites=None), cross_radius,
                          restored, "B", max_sites, per_corridor)
    params = {**barriers.parameters, "top_percent": top_percent, "max_sites": max_sites, "per_corridor": per_corridor,
              "gain_frame_m": GAIN_FRAME_M, "sites": len(land), "border_crossings": len(crossings)}
    return RestorationProgramme(barriers=barriers, sites=land, crossings=crossings, parameters=params,
                                inputs=dict(barriers.inputs))


def border_cells(grid: Any) -> np.ndarray:
    """Cells a national border line touches on ``grid``: where the bundled surface carries a crossing cost."""
    borders = load_borders()
    if grid.crs is None:
        return np.zeros(grid.shape, bool)
    # Only the borders over the grid are reprojected: a user's grid far from Central Asia (UTM 17N) has none, and
    # reprojecting the whole layer into a far zone bends it out of shape for nothing.
    x0, y0, x1, y1 = Transformer.from_crs(grid.crs, borders.crs, always_xy=True).transform_bounds(*grid.bounds, densify_pts=21)
    near = borders.cx[x0:x1, y0:y1]
    if not len(near) or not np.isfinite([x0, y0, x1, y1]).all():
        return np.zeros(grid.shape, bool)
    return rasterize(list(near.to_crs(grid.crs).geometry), 1, grid, all_touched=True).astype(bool)


def split_by_border(barriers: BarrierAnalysis) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Barrier Mapper's score split by whether the restored circle holds a border cell, each with its best radius.

    A cell's score at radius r restores the circle of radius r round it; when that circle holds a cell a national
    border crosses, most of the gain is the expert crossing cost of ``data/resistance.yml`` (a fence, a patrolled
    strip): measure 1.3's border permeability, not habitat restoration. The land score keeps, per cell, the best
    radius whose circle stays off every border cell; the crossing score the best one whose circle holds one.

    Returns
    -------
    ((Raster, Raster), (Raster, Raster))
        (land score, its radius), (crossing score, its radius); NaN where no radius of that kind scores.
    """
    res = barriers.barriers
    grid = res.score
    # distance from each cell centre to the nearest border cell's centre, in map units
    dist = ndimage.distance_transform_edt(~border_cells(grid)) * float(grid.cellsize)
    out = []
    for holds_border in (False, True):
        best = np.full(grid.shape, -np.inf)
        radius = np.full(grid.shape, np.nan)
        for r, ras in sorted(res.radius_scores.items()):
            v = np.asarray(ras.array, dtype="float64")
            ok = (dist <= r) if holds_border else (dist > r)
            better = ok & np.isfinite(v) & (v > best)
            best[better], radius[better] = v[better], r
        best[~np.isfinite(best)] = np.nan
        out.append((grid.replace(best.astype("float32"), nodata=None), grid.replace(radius.astype("float32"), nodata=None)))
    return out[0], out[1]


def _describe(barriers: BarrierAnalysis, patches: gpd.GeoDataFrame, radius: Any, restored: float, prefix: str,
              max_sites: int, per_corridor: int) -> gpd.GeoDataFrame:
    """The best patches, at most ``per_corridor`` a corridor, as circles restored, with the corridor each serves, its
    country, what it sits on and its exact gain; ranked again 1, 2 ... with ids ``<prefix>1``..."""
    keep, pairs, count = [], [], {}
    for i, s in patches.iterrows():
        if len(keep) >= max_sites:
            break
        pair = _linkage_at(barriers, int(s["row"]), int(s["col"]))
        if pair is not None and count.get(pair, 0) >= per_corridor:
            continue
        count[pair] = count.get(pair, 0) + 1
        keep.append(i)
        pairs.append(pair)
    sites = circle_sites(patches.loc[keep].reset_index(drop=True), radius)
    sites["rank"] = np.arange(1, len(sites) + 1)
    sites["site_id"] = [f"{prefix}{k}" for k in sites["rank"]]
    links = barriers.linkages.linkages
    extra: dict[str, list] = {k: [] for k in ("corridor", "measure", "corridor_name", "core_a", "core_b", "lcd_before_km",
                                              "lcd_after_km", "lcd_drop_km", "lcd_drop_pct", "gain_m_per_ha")}
    for (_, s), pair in zip(sites.iterrows(), pairs):
        if pair is None:
            for k in extra:
                extra[k].append(np.nan if k.startswith(("lcd_", "gain_")) else "")
            continue
        a, b = pair
        link = links[(links["core_a"] == a) & (links["core_b"] == b)].iloc[0]
        before, after = _gain(barriers, a, b, s.geometry, restored)
        drop = before - after
        extra["corridor"].append(str(link.get("corridor", f"{a}-{b}")))
        extra["measure"].append(str(link.get("measure", "")))
        extra["corridor_name"].append(str(link.get("name", "")))
        extra["core_a"].append(a)
        extra["core_b"].append(b)
        extra["lcd_before_km"].append(before / 1000.0)
        extra["lcd_after_km"].append(after / 1000.0)
        extra["lcd_drop_km"].append(drop / 1000.0)
        extra["lcd_drop_pct"].append(100.0 * drop / before if before > 0 else np.nan)
        extra["gain_m_per_ha"].append(drop / s["area_ha"] if s["area_ha"] > 0 else np.nan)
    for k, v in extra.items():
        sites[k] = v
    sites["barrier"], sites["resistance_mean"] = _what_is_there(barriers, sites, crossing=prefix == "B")
    sites["country"] = _country_of(gpd.GeoSeries(gpd.points_from_xy(sites["x"], sites["y"]), crs=sites.crs)) if len(sites) else []
    order = ["rank", "site_id", "corridor", "measure", "corridor_name", "country", "barrier", "resistance_mean", "radius_m",
             "n_cells", "area_ha", "score_max",
             "score_mean", "lcd_before_km", "lcd_after_km", "lcd_drop_km", "lcd_drop_pct", "gain_m_per_ha",
             "core_a", "core_b", "x", "y", "row", "col", "geometry"]
    return gpd.GeoDataFrame(sites[order], geometry="geometry", crs=sites.crs)


#: Distance within which a site of a perturbed run counts as the same place as a site of the base run (map units):
#: two 1 km cells of one restoration reach, well under the 10-130 km the places themselves are known to.
SAME_SITE_M = 10_000.0


def resistance_robustness(base: RestorationProgramme, draws: int = 8, factor: float = 2.0, *, top: int = 5,
                          seed: int = 2025) -> pd.DataFrame:
    """How much the best sites rest on the expert resistance table: the run again on perturbed tables.

    Each draw multiplies every class and border resistance of
    ``data/resistance.yml`` by its own factor, log-uniform in ``[1/f, f]``
    (:func:`corridors.landscape.draw_resistances`, as the scenarios'
    robustness draws), rebuilds the surface on the base run's grid, and runs
    Barrier Mapper and the site ranking again with the same settings. A base
    site holds in a draw when a site of the same kind among that draw's best
    ``top`` lies within :data:`SAME_SITE_M` of it.

    Parameters
    ----------
    base : RestorationProgramme
        A run on the bundled surface (:func:`run_restoration` without a
        user's raster).
    draws : int, default 8
    factor : float, default 2
        ``f`` >= 1.
    top : int, default 5
    seed : int, default 2025

    Returns
    -------
    DataFrame
        One row per base site among the best ``top`` of each kind:
        ``site_id``, ``kind``, ``corridor``, ``p_top`` (share of the draws
        in which it holds), ``lcd_drop_pct`` of the base run and the median
        ``lcd_drop_pct_draws`` of the matching sites (NaN when none matched).

    Raises
    ------
    ConfigError
        If the base run is not on the bundled surface, or draws < 1 or factor < 1.
    """
    if not base.inputs.get("resistance_table"):
        raise ConfigError("the resistance robustness draws perturb the bundled expert table (data/resistance.yml); this run "
                          "used a resistance raster of its own: drop --robustness, or run on the bundled surface.")
    if draws < 1 or not factor >= 1:
        raise ConfigError(f"robustness draws {draws!r} and factor {factor!r}: give draws >= 1 and a factor >= 1.")
    res0 = base.barriers.linkages.resistance
    cell = float(res0.cellsize)
    classes = landscape.build_classes(res0.bounds, cell)
    table = landscape.load_table()
    rng = np.random.default_rng(seed)
    p = base.parameters
    # The draws join the same ends as the base run: its corridors (all, or the ones it was given) or its cores, with
    # its core radius and corridor width.
    same: dict[str, Any] = {"core_radius_m": p.get("core_radius_m", 5000.0), "truncate_m": p.get("truncate_m", 200_000.0)}
    if "cores" in p:
        same["cores"] = base.barriers.linkages.cores[["core_id", "geometry"]]
    elif "corridors" in p:
        same["corridors"] = [c for c in PROGRAMME_CORRIDORS if c.key in set(p["corridors"])]
    kinds = (("habitat", base.sites), ("border crossing", base.crossings))
    matched: dict[tuple[str, str], list[float]] = {(k, sid): [] for k, t in kinds for sid in t["site_id"].head(top)}
    for _ in range(draws):
        t, _factors = landscape.draw_resistances(table, rng, factor)
        surface = landscape.build_resistance(res0.bounds, cell, table=t, classes=classes)
        b = run_barriers(surface, radii_m=base.barriers.barriers.radii_m,
                         restored_resistance=base.barriers.barriers.restored_resistance, **same)
        d = run_restoration(barriers=b, top_percent=p["top_percent"], max_sites=p["max_sites"], per_corridor=p["per_corridor"])
        for (kind, mine), theirs in zip(kinds, (d.sites, d.crossings)):
            best = theirs.head(top)
            for _, s in mine.head(top).iterrows():
                dist = best.distance(s.geometry)
                if len(best) and float(dist.min()) <= SAME_SITE_M:
                    matched[(kind, s["site_id"])].append(float(best.loc[dist.idxmin(), "lcd_drop_pct"]))
    rows = []
    for kind, mine in kinds:
        for _, s in mine.head(top).iterrows():
            hits = matched[(kind, s["site_id"])]
            rows.append({"site_id": s["site_id"], "kind": kind, "corridor": s["corridor"], "p_top": len(hits) / draws,
                         "lcd_drop_pct": s["lcd_drop_pct"],
                         "lcd_drop_pct_draws": float(np.median(hits)) if hits else float("nan")})
    return pd.DataFrame(rows)
