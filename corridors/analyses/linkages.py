"""The ``linkages`` and ``resistance`` steps: the programme's corridors, and the library decisions of their commands.

:func:`programme_corridors` maps the corridors the work programme names
(:data:`corridors.programme.PROGRAMME_CORRIDORS`) with the linkage engine
(:mod:`corridors.linkages`). :func:`run_linkages` and :func:`run_resistance`
are what ``corridors linkages`` and ``corridors resistance`` run: they choose
the extent (the corridor ends or cores plus :data:`EXTENT_MARGIN_M`), the
resolution (:data:`corridors.settings.DEFAULT_RESOLUTION_M`) and build the
resistance surface, and return a result whose ``write(outdir)`` writes the
files, ``<step>_map.png`` and ``provenance.json``.

Example
-------
>>> from corridors.analyses import linkages
>>> run = linkages.run_linkages()            # the programme's corridors at 1 km
>>> run.write("out/linkages")                # linkages.gpkg/.csv, corridors.tif, linkages_map.png/.svg, provenance.json
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.crs import CRS as RioCRS
from rasterio.warp import transform_bounds

from corridors import landscape, settings
from corridors.io import provenance, staged_folder
from corridors._errors import ConfigError, DataError, where
from corridors.io import read_vector
from corridors.landscape import bounds_around, build_resistance
from corridors.linkages import DEFAULT_TRUNCATE_M, LinkageResult, build_linkages, cores_from_sites
from corridors.linkages.build import _progress
from corridors.linkages.cores import place_raster
from corridors.plot.linkages_map import write_linkages_map
from corridors.plot.save import save_figure
from corridors.plot.style import STYLE, base_map
from corridors.programme import PROGRAMME_CORRIDORS, ProgrammeCorridor
from corridors.raster import Raster, crop, format_bounds, no_crs_message
from corridors.sites import load_sites

#: Margin around the corridor ends (or the cores) of a resistance surface built for a linkage run, in metres.
EXTENT_MARGIN_M: float = 150_000.0

#: Titles of the linkage maps.
PROGRAMME_TITLE = "Candidate corridors of the Bukhara deer work programme 2025-2032"


def _check_ends(by_id: pd.DataFrame, corridors: Sequence[ProgrammeCorridor]) -> None:
    """DataError naming the first corridor end that is not a site, or not a located one."""
    for c in corridors:
        for e in (c.end_a, c.end_b):
            if e not in by_id.index:
                raise DataError(f"{where('sites', feature=e, field='id')}: corridor {c.key} needs this end; add the site or change the corridor.")
            g = by_id.loc[e].geometry
            if g is None or g.is_empty:
                raise DataError(f"{where('sites', feature=e, field='geometry')}: corridor {c.key} needs a located end; the site is unresolved.")


def _corridor_in_window(resistance: Raster, pair: gpd.GeoDataFrame, c: ProgrammeCorridor, margin: float,
                        truncate_m: float | None, memory_limit: int | None) -> tuple[LinkageResult, Raster, tuple[int, int]]:
    """One programme corridor, in a window around its ends doubled (up to 3 times) while its path touches the edge."""
    for _attempt in range(4):
        window = bounds_around(pair, margin)
        try:
            sub, offset = crop(resistance, window)
        except DataError:
            raise DataError(
                f"{resistance.label}: corridor {c.key} ({c.end_a} - {c.end_b}) lies outside the raster "
                f"{format_bounds(resistance.bounds)}; give a resistance raster that covers the programme's corridors "
                "(or leave --resistance out to build one)."
            ) from None
        res = build_linkages(
            sub, pair, pairs=[(c.end_a, c.end_b)], truncate_m=truncate_m, drop_through_cores=False,
            measures={(c.end_a, c.end_b): [c.measure]}, quiet=True,
            memory_limit=memory_limit,
        )
        if len(res.linkages) == 0:
            break
        xy = shapely.get_coordinates(res.linkages.geometry.iloc[0])
        rr, cc = sub.rowcol(xy[:, 0], xy[:, 1])
        full = sub.shape == resistance.shape
        at_edge = (rr.min() <= 0) or (cc.min() <= 0) or (rr.max() >= sub.shape[0] - 1) or (cc.max() >= sub.shape[1] - 1)
        if not at_edge or full:
            break
        margin *= 2
    return res, sub, offset


def programme_corridors(
    resistance: Raster | None = None,
    sites: gpd.GeoDataFrame | None = None,
    corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
    core_radius_m: float = 5000.0,
    truncate_m: float | None = DEFAULT_TRUNCATE_M,
    margin_m: float = 100_000.0,
    quiet: bool = True,
    memory_limit: int | None = None,
) -> LinkageResult:
    """The candidate corridors the work programme names, with their metrics and measure numbers.

    Each corridor joins two sites of ``data/sites.geojson`` (see
    :data:`PROGRAMME_CORRIDORS`). It is computed like a Linkage Mapper
    linkage (:func:`corridors.linkages.build_linkages` with the pair given), inside a window
    around its two ends grown by ``margin_m`` (or half the distance between
    the ends, if larger); if the least-cost path touches the window's edge
    the window is doubled and the corridor recomputed, so the window never
    cuts a path short.

    Parameters
    ----------
    resistance : Raster, optional
        Default: :func:`corridors.landscape.build_resistance` at 1 km over the
        ends' extent plus :data:`EXTENT_MARGIN_M` (150 km).
    sites : GeoDataFrame, optional
        Default ``corridors.sites.load_sites()``.
    corridors : sequence of ProgrammeCorridor
        Which corridors (default all of the programme's).
    core_radius_m : float, default 5 km
        Each end is a core of this radius around the site's point: a tugay
        patch, not the site's (much larger) location uncertainty, which is
        reported as ``precision_km_a`` / ``precision_km_b``.
    truncate_m : float or None, default 200 000
        Corridor truncation (cost-weighted metres).
    margin_m : float, default 100 km
        Initial margin of each corridor's window.
    quiet : bool, default True
        No progress bar.
    memory_limit : int, optional
        Bytes one cost-distance run may use; picks its engine as in
        :func:`corridors.lcp.cost_distance`.

    Returns
    -------
    LinkageResult
        ``linkages`` has, besides the linkage metrics, ``corridor`` (key,
        e.g. '2.1a'), ``measure``, ``name``, ``reading``, ``precision_km_a``
        and ``precision_km_b``; ``corridor_mosaic`` covers the whole
        resistance grid.

    Raises
    ------
    DataError
        If an end id is not among the sites or has no location.
    """
    s = load_sites() if sites is None else sites
    if resistance is not None:
        resistance = place_raster(resistance, s.crs, "sites")
    if resistance is not None and resistance.crs is not None and s.crs is not None and s.crs != resistance.crs:
        s = s.to_crs(resistance.crs)
    by_id = s.set_index("id")
    _check_ends(by_id, corridors)
    cores = cores_from_sites(s[s["id"].isin({e for c in corridors for e in (c.end_a, c.end_b)})], radius_m=core_radius_m)
    if resistance is None:
        resistance = build_resistance(bounds=programme_extent(s, corridors))
    geo = dict(zip(cores["core_id"], cores.geometry))
    prec = dict(zip(by_id.index, pd.to_numeric(by_id["location_precision_km"], errors="coerce")))
    mosaic = np.full(resistance.shape, np.nan, dtype=np.float32)
    rows, dropped, pair_cache = [], [], {}
    with _progress(quiet) as prog:
        task = prog.add_task("programme corridors", total=len(corridors))
        for c in corridors:
            pair = cores[cores["core_id"].isin([c.end_a, c.end_b])]
            dist = geo[c.end_a].distance(geo[c.end_b])
            res, sub, (r0, c0) = _corridor_in_window(resistance, pair, c, max(margin_m, 0.5 * dist), truncate_m, memory_limit)
            if len(res.linkages) == 0:
                dropped.append({"core_a": c.end_a, "core_b": c.end_b, "reason": f"corridor {c.key}: no path (ends separated by no data)"})
                prog.advance(task)
                continue
            row = res.linkages.iloc[0].to_dict()
            row.update(corridor=c.key, measure=c.measure, name=c.name, reading=c.reading,
                       precision_km_a=float(prec[row["core_a"]]), precision_km_b=float(prec[row["core_b"]]))
            rows.append(row)
            n = res.corridor(c.end_a, c.end_b, truncate_m=None).array
            win = (slice(r0, r0 + sub.shape[0]), slice(c0, c0 + sub.shape[1]))
            pair_cache[(c.end_a, c.end_b)] = (win, n)
            t = n if truncate_m is None else np.where(n <= truncate_m, n, np.nan)
            mosaic[win] = np.fmin(mosaic[win], t)
            prog.advance(task)
    cols = ["corridor", "measure", "name", "core_a", "core_b", "euclid_m", "cwd_m", "lcp_length_m", "cwd_to_euclid", "cwd_to_path",
            "min_width_m", "borders", "measures", "precision_km_a", "precision_km_b", "reading", "geometry"]
    links = gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs=resistance.crs)
    core_out = cores[[c for c in ("core_id", "name", "kind", "location_precision_km") if c in cores.columns]].copy()
    core_out = gpd.GeoDataFrame(core_out, geometry=cores.geometry.to_numpy(), crs=cores.crs)
    core_out["area_ha"] = core_out.geometry.area / 1e4
    params = {"mode": "programme corridors", "core_radius_m": core_radius_m, "truncate_m": truncate_m, "margin_m": margin_m,
              "corridors": [c.key for c in corridors], "resolution_m": max(resistance.res), "shape": list(resistance.shape),
              "resistance": resistance.label}
    return LinkageResult(
        cores=core_out, linkages=links, dropped=pd.DataFrame(dropped, columns=["core_a", "core_b", "reason"]),
        corridor_mosaic=resistance.replace(mosaic, nodata=None, name="normalized corridors"), truncate_m=truncate_m,
        resistance=resistance, params=params, _pairs=pair_cache,
    )


# ----------------------------------------------------------------------------- cores of a user's file
def read_cores(path: str | os.PathLike, id_field: str = "id", core_radius_km: float = 5.0) -> gpd.GeoDataFrame:
    """Read a user's file of core areas, checking the id column against the file itself.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage or Shapefile of core areas (points are buffered).
    id_field : str, default 'id'
        The column of core ids (``--id-field``).
    core_radius_km : float, default 5
        Radius of the core around a point.

    Returns
    -------
    GeoDataFrame
        As :func:`corridors.linkages.cores_from_sites`, in the file's own CRS
        if it is projected, else in the working CRS.

    Raises
    ------
    DataError
        Naming the file and the column when the column is missing, or the
        file, the feature and the column when an id repeats or a core has
        no geometry.
    """
    # A projected file keeps its CRS (the cores join the raster in it, or lend it to a raster without one);
    # one in degrees is taken to the working CRS first, so that points are buffered in metres.
    user_cores = read_vector(path, to_crs=None)
    if user_cores.crs.is_geographic:
        user_cores = read_vector(path)
    if id_field not in user_cores.columns:
        columns = ", ".join(c for c in user_cores.columns if c != user_cores.geometry.name)
        raise DataError(f"{where(path, field=id_field)}: the cores have no such column; "
                        f"pass --id-field with the column holding core ids (one of: {columns}).")
    ids = user_cores[id_field].astype(str)
    if ids.duplicated().any():
        raise DataError(f"{where(path, feature=ids[ids.duplicated()].iloc[0], field=id_field)}: "
                        "core id is not unique; give each core its own id (or merge its features into one).")
    empty = (user_cores.geometry.isna() | user_cores.geometry.is_empty).to_numpy()
    if empty.any():
        # cores_from_sites drops places without a location (right for the programme's unresolved sites),
        # but a user's core without a geometry is a mistake in the file, not a place to skip in silence.
        raise DataError(f"{where(path, feature=ids[empty].iloc[0], field='geometry')}: the core has no geometry; "
                        "draw its outline or point, or remove the feature.")
    return cores_from_sites(user_cores, id_field=id_field, radius_m=core_radius_km * 1000)


def as_cores(cores: gpd.GeoDataFrame | str | os.PathLike, id_field: str = "id",
             core_radius_km: float = 5.0) -> tuple[gpd.GeoDataFrame, dict[str, Path]]:
    """The user's cores, from a file or a GeoDataFrame, as the linkage engine takes them; and the file to record.

    The one reading of ``--cores`` / ``--id-field`` of ``corridors linkages``,
    ``corridors circuit pinch`` and ``corridors circuit centrality``.

    Parameters
    ----------
    cores : GeoDataFrame or path-like
        A file is read with :func:`read_cores`. A GeoDataFrame with the
        ``id_field`` column is turned into cores with
        :func:`corridors.linkages.cores_from_sites`; one already holding
        ``core_id`` (the output of :func:`read_cores`) is used as is.
    id_field : str, default 'id'
        The column of core ids (``--id-field``, whose default it is too).
    core_radius_km : float, default 5
        Radius of the core around a point.

    Returns
    -------
    (GeoDataFrame, dict of str to pathlib.Path)
        The cores (``core_id`` and polygons) and ``{"cores": path}`` for a file (empty otherwise).

    Raises
    ------
    DataError
        If the id column is missing (naming the file, or the columns there are).
    """
    if not isinstance(cores, gpd.GeoDataFrame):
        return read_cores(cores, id_field, core_radius_km), {"cores": Path(cores)}
    if id_field in cores.columns:
        return cores_from_sites(cores, id_field=id_field, radius_m=core_radius_km * 1000), {}
    if "core_id" in cores.columns:
        return cores, {}
    columns = ", ".join(str(c) for c in cores.columns if c != cores.geometry.name)
    raise DataError(f"{where('cores', field=id_field)}: the cores have no such column; "
                    f"pass id_field (--id-field) with the column holding core ids (one of: {columns}).")


def programme_extent(sites: gpd.GeoDataFrame, corridors: Sequence[ProgrammeCorridor] = PROGRAMME_CORRIDORS,
                     margin_m: float = EXTENT_MARGIN_M) -> tuple[float, float, float, float]:
    """The extent of the corridors' ends plus ``margin_m``: the default frame of the programme's resistance surface.

    Parameters
    ----------
    sites : GeoDataFrame
        Sites in the working CRS.
    corridors : sequence of ProgrammeCorridor
    margin_m : float, default :data:`EXTENT_MARGIN_M`

    Returns
    -------
    (left, bottom, right, top)
    """
    ends = {e for c in corridors for e in (c.end_a, c.end_b)}
    return bounds_around(sites[sites["id"].isin(ends)], margin_m)


# ----------------------------------------------------------------------------- the linkages step
@dataclass
class LinkagesRun:
    """What :func:`run_linkages` returns: the linkage result, the map's title and the inputs to record.

    Attributes
    ----------
    result : LinkageResult
    title : str
        Title of ``linkages_map``.
    draw_map : bool
        Whether ``write`` draws the map (in the resistance raster's own CRS).
    inputs : dict of str to Path
        Input files listed in ``provenance.json``.
    """

    result: LinkageResult
    title: str
    draw_map: bool = True
    inputs: dict[str, Path] = field(default_factory=dict)

    def write(self, outdir: str | os.PathLike) -> dict[str, Path]:
        """Write ``linkages.gpkg``, ``linkages.csv``, ``corridors.tif``, ``linkages_map.png/.svg`` and ``provenance.json``.

        Parameters
        ----------
        outdir : path-like

        Returns
        -------
        dict of str to Path
            As :meth:`corridors.linkages.LinkageResult.write`.
        """
        figure = functools.partial(write_linkages_map, title=self.title) if self.draw_map else None
        return self.result.write(outdir, figure=figure, inputs=self.inputs, command="corridors linkages")


def run_linkages(
    resistance: Raster | str | os.PathLike | None = None,
    *,
    cores: gpd.GeoDataFrame | str | os.PathLike | None = None,
    id_field: str = "id",
    kinds: Sequence[str] | None = None,
    resolution_m: float | None = None,
    table: str | os.PathLike | None = None,
    overrides: Mapping[str, Any] | None = None,
    core_radius_km: float = 5.0,
    truncate_m: float | None = DEFAULT_TRUNCATE_M,
    max_euclid_km: float | None = None,
    max_cwd_m: float | None = None,
    adjacency: str = "both",
    drop_through_cores: bool = True,
    draw_map: bool = True,
    quiet: bool = True,
    memory_limit: int | None = None,
) -> LinkagesRun:
    """The ``corridors linkages`` step: the programme's corridors, or a Linkage Mapper run between cores.

    Without ``cores`` or ``kinds``: :func:`programme_corridors`. With them:
    :func:`corridors.linkages.build_linkages` between the cores of a file (or
    GeoDataFrame) or the bundled sites of these kinds. Without a
    ``resistance``, one is built from the bundled layers over the corridor
    ends or the cores plus :data:`EXTENT_MARGIN_M`.

    Parameters
    ----------
    resistance : Raster or path, optional
        Used as is (a path is read).
    cores : GeoDataFrame or path, optional
        Core areas (:func:`as_cores`: a path is read with :func:`read_cores`).
    id_field : str, default 'id'
        Id column of the cores.
    kinds : sequence of str, optional
        Kinds of the bundled sites that are cores (e.g. subpopulation, protected_area).
    resolution_m : float, optional
        Cell size of a built resistance, default :data:`corridors.settings.DEFAULT_RESOLUTION_M`.
    table, overrides
        Resistance table and replaced values of a built resistance (:func:`corridors.landscape.build_resistance`).
    core_radius_km : float, default 5
        Radius of the core around a point site.
    truncate_m : float or None, default 200 000
        Corridor truncation, cost-weighted metres.
    max_euclid_km, max_cwd_m, adjacency, drop_through_cores
        Rules of a network run (:func:`corridors.linkages.build_linkages`).
    draw_map : bool, default True
        Write ``linkages_map``, in the resistance raster's own CRS.
    quiet : bool, default True
        No progress bar.
    memory_limit : int, optional
        Bytes one cost-distance run may use.

    Returns
    -------
    LinkagesRun
    """
    inputs: dict[str, Path] = {}
    if resistance is not None and not isinstance(resistance, Raster):
        inputs["resistance"] = Path(resistance)
        resistance = Raster.read(resistance)
    elif resistance is None and table is not None:
        inputs["table"] = Path(table)
    res_m = resolution_m or settings.DEFAULT_RESOLUTION_M

    def built(bounds: Sequence[float]) -> Raster:
        return build_resistance(bounds=bounds, resolution_m=res_m, table=table, overrides=overrides)

    if cores is None and kinds is None:
        sites = load_sites()
        inputs["sites"] = settings.SITES_PATH
        if resistance is None:
            resistance = built(programme_extent(sites))
        result = programme_corridors(resistance, sites, core_radius_m=core_radius_km * 1000, truncate_m=truncate_m, quiet=quiet,
                                     memory_limit=memory_limit)
        title = PROGRAMME_TITLE
    else:
        if cores is None:
            inputs["sites"] = settings.SITES_PATH
            cores = cores_from_sites(load_sites(), radius_m=core_radius_km * 1000, kinds=list(kinds or ()))
        else:
            cores, cores_file = as_cores(cores, id_field, core_radius_km)
            inputs.update(cores_file)
        if resistance is None:
            resistance = built(bounds_around(cores, EXTENT_MARGIN_M))
        result = build_linkages(
            resistance, cores, max_euclid_m=None if max_euclid_km is None else max_euclid_km * 1000, max_cwd_m=max_cwd_m,
            truncate_m=truncate_m, adjacency=adjacency, drop_through_cores=drop_through_cores, quiet=quiet,
            memory_limit=memory_limit,
        )
        title = f"Least-cost linkages between {len(cores)} core areas"
    return LinkagesRun(result, title, draw_map=draw_map, inputs=inputs)


# ----------------------------------------------------------------------------- the resistance step
@dataclass
class ResistanceRun:
    """What :func:`run_resistance` returns: the surfaces, on one grid, and what made them.

    Attributes
    ----------
    surfaces : dict of str to Raster
        ``classes``, ``resistance``, ``suitability`` for the bundled model;
        ``resistance`` alone for the user's land cover or raster.
    table : ResistanceTable or None
        The table of the bundled model (written as the ``classes.csv`` legend).
    fmt : {'tif', 'asc'}
    inputs : dict of str to Path
    params : dict
    """

    surfaces: dict[str, Raster]
    table: landscape.ResistanceTable | None = None
    fmt: str = "tif"
    inputs: dict[str, Path] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def write(self, outdir: str | os.PathLike, draw_map: bool = True) -> dict[str, Path]:
        """Write the rasters (float32 in GeoTIFF), ``classes.csv``, ``resistance_map.png`` and ``provenance.json``.

        Parameters
        ----------
        outdir : path-like
        draw_map : bool, default True

        Returns
        -------
        dict of str to Path
            ``classes``, ``resistance``, ``suitability``, ``legend`` (those
            written), ``map_png``, ``provenance``.
        """
        out = Path(outdir)
        paths: dict[str, Path] = {}
        with staged_folder(out, name="resistance") as tmp:  # all files or none, by the rule of output folders
            for name, r in self.surfaces.items():
                dtype = "float32" if self.fmt == "tif" and name != "classes" else None
                paths[name] = r.write(tmp / f"{name}.{self.fmt}", dtype=dtype)
            if self.table is not None:
                paths["legend"] = landscape.write_legend(self.table, tmp / "classes.csv")
            if draw_map:
                paths.update({f"map_{p.suffix[1:]}": p for p in save_figure(_resistance_figure(self.surfaces["resistance"]),
                                                                             tmp / "resistance_map", formats=("png",), dpi=200)})
            paths["provenance"] = provenance.write(
                tmp / "provenance.json", provenance.record(self.inputs, self.params, command="corridors resistance"))
        return {key: out / p.name for key, p in paths.items()}


def _resistance_figure(resistance: Raster) -> Any:
    fig, ax = base_map(bounds=resistance.bounds, crs=resistance.crs)
    left, bottom, right, top = resistance.bounds
    arr = np.ma.masked_invalid(resistance.masked().astype(float))
    im = ax.imshow(arr, extent=(left, right, bottom, top), cmap="viridis", norm="log", alpha=0.8,
                   zorder=STYLE["z"]["overlay"], interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, shrink=0.5, pad=0.01)
    cb.set_label("resistance (cost per metre)", fontsize=STYLE["font_size"])
    cb.ax.tick_params(labelsize=STYLE["font_size"])
    ax.set_title(f"Resistance surface ({max(resistance.res) / 1000:g} km cells)", fontsize=STYLE["font_size"] + 2)
    return fig


def user_grid(src: Raster, bounds: Sequence[float] | None = None, resolution_m: float | None = None) -> Raster:
    """The grid a user's raster is resampled onto by ``corridors resistance --raster`` / ``--landcover``.

    The rule: a raster in a projected CRS keeps it, and its own extent and
    cell size unless ``bounds`` or ``resolution_m`` say otherwise, so a
    Linkage Mapper project in UTM 17N stays in UTM 17N. A raster in degrees
    cannot be costed in metres: it is reprojected onto the working grid (the
    Albers projection for Central Asia) at ``resolution_m`` (default
    :data:`corridors.settings.DEFAULT_RESOLUTION_M`), with a warning saying
    so. A raster without a CRS has no place on any grid and is refused.

    Parameters
    ----------
    src : Raster
        The user's raster.
    bounds : (left, bottom, right, top), optional
        Working-CRS metres (``--bbox``); transformed into the raster's CRS when it keeps its own.
    resolution_m : float, optional
        Cell size in metres.

    Returns
    -------
    Raster
        An empty float32 grid (:func:`corridors.raster.make_grid`).

    Raises
    ------
    DataError
        If the raster has no CRS.
    """
    if src.crs is None:
        raise DataError(no_crs_message(src.label, "it has no place on a grid in metres"))
    working = RioCRS.from_wkt(settings.WORKING_CRS.to_wkt())
    if src.crs.is_geographic:
        res_m = resolution_m or settings.DEFAULT_RESOLUTION_M
        warnings.warn(f"{src.label}: the raster is in degrees ({src.crs.name}), so it is reprojected onto the working grid "
                      f"(Albers equal-area for Central Asia) at {res_m:g} m cells; outside Central Asia, reproject it to a "
                      "local projected CRS first (it is then kept as it is).", stacklevel=2)
        b = bounds if bounds is not None else transform_bounds(RioCRS.from_wkt(src.crs.to_wkt()), working, *src.bounds)
        return landscape.make_grid(b, res_m)
    own = RioCRS.from_wkt(src.crs.to_wkt())
    b = src.bounds if bounds is None else (bounds if src.crs == settings.WORKING_CRS else transform_bounds(working, own, *bounds))
    return landscape.make_grid(b, resolution_m or max(src.res), crs=src.crs)


def run_resistance(
    *,
    bounds: Sequence[float] | None = None,
    resolution_m: float | None = None,
    table: str | os.PathLike | None = None,
    overrides: Mapping[str, Any] | None = None,
    landcover: str | os.PathLike | None = None,
    reclass: str | os.PathLike | None = None,
    raster: str | os.PathLike | None = None,
    fmt: str = "tif",
) -> ResistanceRun:
    """The ``corridors resistance`` step: the bundled surfaces, or the user's land cover or raster on the working grid.

    Parameters
    ----------
    bounds : (left, bottom, right, top), optional
        Working-CRS metres. Default: the programme extent for the bundled
        model, the user raster's own extent otherwise.
    resolution_m : float, optional
        Cell size, default :data:`corridors.settings.DEFAULT_RESOLUTION_M` (a
        user's raster in a projected CRS: its own cell size).
    table, overrides
        The bundled model's table and replaced values.
    landcover, reclass : path, optional
        The user's land-cover raster and its class -> resistance table.
    raster : path, optional
        The user's resistance raster, resampled onto :func:`user_grid` (its own
        projected CRS and cell size kept, or the working grid for a raster in degrees).
    fmt : {'tif', 'asc'}

    Returns
    -------
    ResistanceRun

    Raises
    ------
    DataError
        If the user's raster has no CRS (and so no place on a grid in metres).
    """
    res_m = resolution_m or settings.DEFAULT_RESOLUTION_M
    params: dict[str, Any] = {"bounds": list(bounds) if bounds is not None else None, "resolution_m": res_m, "format": fmt,
                              "overrides": dict(overrides or {})}
    if landcover is not None or raster is not None:
        src_path = Path(landcover or raster)  # type: ignore[arg-type]
        inputs = {"landcover": src_path, "reclass": Path(reclass)} if landcover is not None else {"raster": src_path}
        grid = user_grid(Raster.read(src_path), bounds, resolution_m)
        params.update(resolution_m=max(grid.res), crs=grid.crs.to_string())
        if landcover is not None:
            out = landscape.resistance_from_landcover(landcover, reclass, grid)  # type: ignore[arg-type]
        else:
            out = landscape.resistance_from_raster(raster, grid)  # type: ignore[arg-type]
        return ResistanceRun({"resistance": out}, None, fmt, inputs, params)
    if fmt not in ("tif", "asc"):
        raise ConfigError(f"{where(field='format')}: unknown raster format {fmt!r}; use tif or asc.")
    t = landscape.apply_overrides(landscape.load_table(table), overrides)
    classes = landscape.build_classes(bounds, res_m, t)
    surfaces = {
        "classes": classes,
        "resistance": landscape.build_resistance(table=t, classes=classes),
        "suitability": landscape.build_suitability(table=t, classes=classes),
    }
    inputs = {"table": Path(table) if table is not None else settings.RESISTANCE_TABLE_PATH}
    return ResistanceRun(surfaces, t, fmt, inputs, params)


__all__ = [
    "EXTENT_MARGIN_M",
    "LinkagesRun",
    "ResistanceRun",
    "as_cores",
    "user_grid",
    "programme_corridors",
    "programme_extent",
    "read_cores",
    "run_linkages",
    "run_resistance",
]
