"""The house style of corridors maps: colours and sizes (STYLE), the base map and its furniture.

:func:`base_map` draws countries, lakes, rivers, national borders, country
names and a degree graticule in the working CRS; :func:`add_scale_bar` and
:func:`add_north_arrow` add the furniture. Every figure of the project draws
on these so that all of them look alike.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import geopandas as gpd
import matplotlib
import matplotlib.patches
import matplotlib.patheffects as path_effects
import numpy as np
import shapely
import shapely.ops
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from pyproj import CRS, Transformer

from corridors import settings
from corridors._errors import ConfigError
from corridors.borders import border_lines
from corridors.io import load_base
from corridors.raster import degree_bounds
from corridors.rivers import load_rivers

#: The one visual style of corridors figures.
STYLE: dict = {
    # Population units 1-6 (ColorBrewer Dark2, colour-blind safer than a rainbow
    # and distinct from the blues of water), 7 (outside native range) and 8 (captive).
    "unit_colours": {
        1: "#d95f02",
        2: "#7570b3",
        3: "#e7298a",
        4: "#66a61e",
        5: "#e6ab02",
        6: "#a6761d",
        7: "#1b9e77",
        8: "#555555",
    },
    "unit_names": {
        1: "Upper Amu Darya",
        2: "Middle Amu Darya",
        3: "Lower Amu Darya",
        4: "Zarafshon",
        5: "Syr Darya",
        6: "Ile-Balkhash (introduced)",
        7: "Outside native range",
        8: "Captive breeding",
    },
    "land": "#f7f5ef",  # Range States of the Bukhara Deer MOU
    "land_other": "#e4e1da",  # neighbouring countries
    "sea": "#ffffff",
    "water": "#bcd7ea",
    "water_edge": "#6a9fc9",
    "river": "#3a7fbf",
    "border": "#6b6b6b",
    "coast": "#9a9a9a",
    "graticule": "#b5b5b5",
    "text": "#222222",
    "country_text": "#8a8170",
    "halo": "white",
    "hotspot": "#c0182a",
    "candidate": "#1f4e9c",
    "font_family": "DejaVu Sans",
    "font_size": 7.0,  # axis ticks, legend, notes
    "label_size": 7.5,  # feature labels
    "title_size": 10.0,
    "country_size": 8.0,
    "figure_width_in": 7.2,  # one full page width of an A4 report, 18 cm
    "z": {"land": 1, "lakes": 2, "rivers": 3, "borders": 4, "graticule": 5, "overlay": 10, "labels": 20},
}

#: ISO3 codes of the Bukhara Deer MOU Range States (drawn in the lighter land colour).
RANGE_STATES: tuple[str, ...] = settings.RANGE_STATES


def _map_crs(crs: object = settings.WORKING_CRS) -> CRS:
    return settings.WORKING_CRS if crs is settings.WORKING_CRS else CRS.from_user_input(crs)


@functools.lru_cache(maxsize=16)
def _transformers(crs_wkt: str) -> tuple[Transformer, Transformer]:
    crs = CRS.from_wkt(crs_wkt)
    return (Transformer.from_crs(settings.GEOGRAPHIC_CRS, crs, always_xy=True),
            Transformer.from_crs(crs, settings.GEOGRAPHIC_CRS, always_xy=True))


def _to_working(crs: object = settings.WORKING_CRS) -> Transformer:
    """Degrees -> the map's CRS (the working CRS unless a map is drawn in its data's own)."""
    return _transformers(_map_crs(crs).to_wkt())[0]


def _to_geographic(crs: object = settings.WORKING_CRS) -> Transformer:
    """The map's CRS -> degrees."""
    return _transformers(_map_crs(crs).to_wkt())[1]


#: Where a map axes keeps the CRS it is drawn in (set by :func:`base_map`; absent: the working CRS, None: no CRS).
_AXES_CRS = "_corridors_crs"


def axes_crs(ax: Axes) -> CRS | None:
    """The CRS a map axes is drawn in: the one given to :func:`base_map`, the working CRS by default, None for a grid without one.

    Parameters
    ----------
    ax : matplotlib.axes.Axes

    Returns
    -------
    pyproj.CRS or None
    """
    return getattr(ax, _AXES_CRS, settings.WORKING_CRS)


def frame_around(bounds: Sequence[float], margin_m: float) -> tuple[float, float, float, float]:
    """A map frame: ``bounds`` grown by ``margin_m``, or by a tenth of their larger side if that is less.

    The programme's layers span hundreds of kilometres and get the full
    margin; a user's small grid (a few kilometres) is not lost in a frame of
    100 km of blank paper.

    Parameters
    ----------
    bounds : (xmin, ymin, xmax, ymax)
    margin_m : float
        The largest margin, in the map's units (metres).

    Returns
    -------
    (xmin, ymin, xmax, ymax)
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    span = max(x1 - x0, y1 - y0)
    pad = min(margin_m, 0.1 * span) if span > 0 else margin_m
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


#: Points a map frame samples along each edge of a degree extent (:func:`corridors.raster.degree_bounds`):
#: the maps have always been framed with 50 (the default 21 frames the programme 37 m lower).
FRAME_DENSIFY_PTS: int = 50


def _four_numbers(value: object, option: str, give: str) -> tuple[float, float, float, float]:
    """``value`` as four floats, or a ConfigError naming ``option`` and saying what to ``give``."""
    try:
        a, b, c, d = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{option} is {value!r}; give {give}.") from exc
    return a, b, c, d


def _check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    xmin, ymin, xmax, ymax = _four_numbers(
        bounds, "base_map option 'bounds'", "four numbers (xmin, ymin, xmax, ymax) in working-CRS metres")
    if not (xmin < xmax and ymin < ymax) or not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise ConfigError(
            f"base_map option 'bounds' is {bounds!r}; give finite (xmin, ymin, xmax, ymax) with xmin < xmax and ymin < ymax."
        )
    return xmin, ymin, xmax, ymax


@functools.lru_cache(maxsize=None)
def _base_layer(name: str) -> gpd.GeoDataFrame:
    # Cached: every figure of a run draws the same few small layers.
    return load_base(name)


def clear_caches() -> None:
    """Forget the base layers read for drawing (countries, lakes), so the next map reads them again.

    For benchmarks that time a cold map, and for a long-lived process whose
    bundled base files changed. The rivers and borders are cached by their
    own loaders (:func:`corridors.rivers.load_rivers`,
    :func:`corridors.borders.border_lines`), which notice a changed file.
    """
    _base_layer.cache_clear()


def _clip(gdf: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], margin: float) -> gpd.GeoDataFrame:
    xmin, ymin, xmax, ymax = bounds
    return gdf.clip((xmin - margin, ymin - margin, xmax + margin, ymax + margin))


def halo(width: float = 2.0) -> list:
    """A white halo round text or lines, as matplotlib path effects.

    Parameters
    ----------
    width : float, default 2.0
        Stroke width in points.

    Returns
    -------
    list
        ``[matplotlib.patheffects.withStroke(...)]`` in ``STYLE["halo"]``, for ``path_effects=``.
    """
    return [path_effects.withStroke(linewidth=width, foreground=STYLE["halo"])]


def _degree_label(value: float, axis: str) -> str:
    hemi = ("E" if value >= 0 else "W") if axis == "lon" else ("N" if value >= 0 else "S")
    v = abs(value)
    return f"{v:g}°{hemi}"


def _graticule_step(span_deg: float) -> float:
    # The finer steps serve a user's small grid (a few km); the programme's maps span degrees and start at 0.5.
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0):
        if span_deg / step <= 7:
            return step
    return 20.0


def _graticule_line(ax: Axes, line: shapely.LineString, frame: shapely.Polygon, edge: shapely.LineString, axis: int,
                    style: dict) -> float | None:
    """Draw the part of one meridian or parallel inside the frame; where it crosses ``edge`` (x or y by ``axis``), or None."""
    inside = line.intersection(frame)
    if inside.is_empty:
        return None
    for part in getattr(inside, "geoms", [inside]):
        ax.plot(*np.asarray(part.coords).T, **style)
    hit = line.intersection(edge)
    return None if hit.is_empty else float(shapely.get_coordinates(hit)[0, axis])


def add_graticule(ax: Axes, step: float | None = None) -> list[float]:
    """Draw meridians and parallels (curved in the conic projection) and label them on the frame.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map axes in the working CRS (or the CRS given to :func:`base_map`);
        its limits must already be set. Nothing is drawn on a map without a CRS.
    step : float, optional
        Spacing in degrees; by default 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5
        or 10 so that about 3-7 lines cross the frame.

    Returns
    -------
    list of float
        The longitudes labelled on the bottom edge (for tests and callers
        that add more furniture).
    """
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    crs = axes_crs(ax)
    if crs is None:
        return []  # a grid without a CRS has no degrees to draw
    west, south, east, north = _to_geographic(crs).transform_bounds(xmin, ymin, xmax, ymax, densify_pts=50)
    if step is None:
        step = _graticule_step(max(east - west, north - south))
    fwd = _to_working(crs)
    frame = shapely.box(xmin, ymin, xmax, ymax)
    bottom = shapely.LineString([(xmin, ymin), (xmax, ymin)])
    left = shapely.LineString([(xmin, ymin), (xmin, ymax)])
    style = dict(color=STYLE["graticule"], linewidth=0.4, linestyle=(0, (4, 3)), zorder=STYLE["z"]["graticule"])
    xticks: list[tuple[float, float]] = []
    yticks: list[tuple[float, float]] = []
    lat_fine = np.linspace(max(south - step, -89.9), min(north + step, 89.9), 200)
    lon_fine = np.linspace(west - step, east + step, 400)
    for lon in np.arange(math.floor(west / step) * step, east + step, step):
        line = shapely.LineString(np.column_stack(fwd.transform(np.full_like(lat_fine, lon), lat_fine)))
        x = _graticule_line(ax, line, frame, bottom, 0, style)
        if x is not None:
            xticks.append((x, float(lon)))
    for lat in np.arange(math.floor(south / step) * step, north + step, step):
        line = shapely.LineString(np.column_stack(fwd.transform(lon_fine, np.full_like(lon_fine, lat))))
        y = _graticule_line(ax, line, frame, left, 1, style)
        if y is not None:
            yticks.append((y, float(lat)))
    ax.set_xticks([x for x, _ in xticks], [_degree_label(v, "lon") for _, v in xticks])
    ax.set_yticks([y for y, _ in yticks], [_degree_label(v, "lat") for _, v in yticks])
    ax.tick_params(labelsize=STYLE["font_size"], length=3, width=0.5, colors=STYLE["text"], pad=2)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    return [v for _, v in xticks]


def base_map(
    ax: Axes | None = None,
    bounds: Sequence[float] | None = None,
    *,
    rivers: bool | gpd.GeoDataFrame = True,
    borders: bool = True,
    lakes: bool = True,
    country_labels: bool = True,
    graticule: bool = True,
    crs: CRS | str | None = settings.WORKING_CRS,
) -> tuple[Figure, Axes]:
    """Draw the common base map of corridors figures in the working CRS, or in the CRS of the data drawn on it.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Draw into this axes; by default a new figure
        ``STYLE["figure_width_in"]`` wide is made, its height following the
        aspect of ``bounds``.
    bounds : (xmin, ymin, xmax, ymax), optional
        The frame in working-CRS metres; default the programme extent
        (:data:`corridors.settings.PROGRAMME_BOUNDS_DEG` through
        :func:`corridors.raster.degree_bounds`, :data:`FRAME_DENSIFY_PTS` points per edge).
        For a frame around your own layer use ``gdf.total_bounds`` with a
        margin.
    rivers : bool or GeoDataFrame, default True
        Draw the bundled rivers (:func:`corridors.rivers.load_rivers`), or these lines.
    borders : bool, default True
        National borders (dash-dot).
    lakes : bool, default True
        Lakes and reservoirs.
    country_labels : bool, default True
        Country names (only countries with enough visible area get one).
    graticule : bool, default True
        Meridians and parallels, labelled in degrees on the frame.
    crs : pyproj.CRS or str or None, default the working CRS
        The CRS of ``bounds`` and of what is drawn on the map: a user's
        raster in its own projection is drawn in it, with the base layers
        (which cover Central Asia) reprojected where they reach the frame and
        the graticule in that projection. None (a grid without a CRS): no
        base layers and no graticule, the axes in the grid's own units.

    Returns
    -------
    (matplotlib.figure.Figure, matplotlib.axes.Axes)

    Raises
    ------
    ConfigError
        If ``bounds`` is not four finite numbers with min < max.
    """
    on_working = crs is settings.WORKING_CRS or (crs is not None and _map_crs(crs) == settings.WORKING_CRS)
    if bounds is None and not on_working:
        raise ConfigError("base_map: give the frame 'bounds' of a map in another CRS than the working one.")
    bnds = degree_bounds(settings.PROGRAMME_BOUNDS_DEG, densify_pts=FRAME_DENSIFY_PTS) if bounds is None else _check_bounds(bounds)
    xmin, ymin, xmax, ymax = bnds
    if ax is None:
        width = STYLE["figure_width_in"]
        fig = Figure(figsize=(width, width * (ymax - ymin) / (xmax - xmin) + 0.4))
        # No pyplot: no global figure state, works headless. The base canvas
        # does not draw on geopandas' draw_idle calls, so layering stays fast.
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    setattr(ax, _AXES_CRS, settings.WORKING_CRS if on_working else (None if crs is None else _map_crs(crs)))
    margin = 0.05 * max(xmax - xmin, ymax - ymin)
    ax.set_facecolor(STYLE["sea"])
    if not on_working:
        return _foreign_base_map(fig, ax, bnds, margin, crs, graticule)
    countries = _clip(_base_layer("countries"), bnds, margin)
    in_range = countries["ISO_A3"].isin(RANGE_STATES)
    z = STYLE["z"]
    # A frame inside the Range States has no other country: geopandas warns on plotting an empty frame.
    for part, colour in ((countries[~in_range], STYLE["land_other"]), (countries[in_range], STYLE["land"])):
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor="none", zorder=z["land"])
    # Outline land (coast and lake shores of the country polygons) thinly, national borders stronger.
    countries.boundary.plot(ax=ax, color=STYLE["coast"], linewidth=0.3, zorder=z["land"])
    if lakes:
        lk = _clip(_base_layer("lakes"), bnds, margin)
        if len(lk):
            lk.plot(ax=ax, color=STYLE["water"], edgecolor=STYLE["water_edge"], linewidth=0.3, zorder=z["lakes"])
    if rivers is not False:
        rv = load_rivers() if rivers is True else rivers.to_crs(settings.WORKING_CRS)
        rv = _clip(rv, bnds, margin)
        if len(rv):
            # Hand-traced, approximate centrelines (column 'approximate') are dashed.
            approx = rv["approximate"].fillna(False).astype(bool) if "approximate" in rv.columns else None
            sure = rv if approx is None else rv[~approx.to_numpy()]
            if len(sure):
                sure.plot(ax=ax, color=STYLE["river"], linewidth=0.8, zorder=z["rivers"])
            if approx is not None and approx.any():
                rv[approx.to_numpy()].plot(
                    ax=ax, color=STYLE["river"], linewidth=0.8, linestyle=(0, (4, 1.5)), zorder=z["rivers"]
                )
    if borders:
        bd = _clip(border_lines(), bnds, margin)
        if len(bd):
            bd.plot(
                ax=ax, color=STYLE["border"], linewidth=0.6, linestyle=(0, (5, 1.5, 1, 1.5)), zorder=z["borders"]
            )
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    # geopandas names the axes after the CRS on every plot call; a map needs no axis titles.
    ax.xaxis.label.set_visible(False)
    ax.yaxis.label.set_visible(False)
    if country_labels:
        _country_labels(ax, countries, bnds)
    if graticule:
        add_graticule(ax)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    _frame_style(ax)
    return fig, ax


def _frame_style(ax: Axes) -> None:
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color(STYLE["text"])


def _foreign_base_map(fig: Figure, ax: Axes, bnds: tuple[float, float, float, float], margin: float, crs: object,
                      graticule: bool) -> tuple[Figure, Axes]:
    """The base map of data in another CRS (or none): the bundled Central Asian layers where they reach the frame, in that CRS."""
    xmin, ymin, xmax, ymax = bnds
    if crs is not None:
        # The frame in degrees: the bundled layers are clipped to it before only what is left is reprojected.
        geo = _to_geographic(crs).transform_bounds(xmin - margin, ymin - margin, xmax + margin, ymax + margin, densify_pts=21)
        z = STYLE["z"]
        if all(math.isfinite(v) for v in geo) and geo[0] < geo[2]:
            layers = (
                (_base_layer("countries"), dict(color=STYLE["land"], edgecolor=STYLE["coast"], linewidth=0.3, zorder=z["land"])),
                (_base_layer("lakes"), dict(color=STYLE["water"], edgecolor=STYLE["water_edge"], linewidth=0.3, zorder=z["lakes"])),
                (load_rivers(), dict(color=STYLE["river"], linewidth=0.8, zorder=z["rivers"])),
                (border_lines(), dict(color=STYLE["border"], linewidth=0.6, linestyle=(0, (5, 1.5, 1, 1.5)), zorder=z["borders"])),
            )
            for layer, kw in layers:
                part = layer.to_crs(settings.GEOGRAPHIC_CRS).clip(geo)
                if len(part):
                    part.to_crs(crs).plot(ax=ax, **kw)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.xaxis.label.set_visible(False)
    ax.yaxis.label.set_visible(False)
    if graticule and crs is not None:
        add_graticule(ax)
    else:
        ax.tick_params(labelsize=STYLE["font_size"], length=3, width=0.5, colors=STYLE["text"], pad=2)
        ax.annotate("grid without a CRS: coordinates in the grid's own units" if crs is None else "",
                    (0.01, 0.01), xycoords="axes fraction", fontsize=STYLE["font_size"], color=STYLE["text"])
    _frame_style(ax)
    return fig, ax


def _country_labels(ax: Axes, countries: gpd.GeoDataFrame, bounds: tuple[float, float, float, float]) -> list[Text]:
    frame = shapely.box(*bounds)
    frame_area = frame.area
    texts = []
    for name, geom in zip(countries["NAME"], countries.geometry):
        visible = geom.intersection(frame)
        # A name only where the country shows enough land to hold it (2 % of the frame).
        if visible.is_empty or visible.area < 0.02 * frame_area:
            continue
        # The pole of inaccessibility of the largest visible part: the point
        # farthest inside, so the name sits clear of the borders.
        parts = getattr(visible, "geoms", [visible])
        biggest = max(parts, key=lambda g: g.area)
        spot = shapely.ops.polylabel(biggest, tolerance=biggest.length / 500)
        texts.append(
            ax.text(
                spot.x,
                spot.y,
                name.upper(),
                ha="center",
                va="center",
                fontsize=STYLE["country_size"],
                color=STYLE["country_text"],
                fontfamily=STYLE["font_family"],
                fontstretch="expanded",
                zorder=STYLE["z"]["graticule"] + 0.5,
                gid=f"country-{name}",
            )
        )
    return texts


def _nice_length(target: float) -> float:
    exp = 10 ** math.floor(math.log10(target))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= target:
            return m * exp
    return 10 * exp


def add_scale_bar(ax: Axes, length_km: float | None = None, loc: tuple[float, float] = (0.04, 0.04)) -> float:
    """Draw a black-and-white scale bar in kilometres.

    The working CRS is equal-area with scale errors under 1 % over the
    programme area, so one bar serves the whole map.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map axes in working-CRS metres with its limits set.
    length_km : float, optional
        Total length; by default a round number near a fifth of the width.
    loc : (float, float), default (0.04, 0.04)
        Lower-left corner of the bar in axes fractions.

    Returns
    -------
    float
        The bar length in kilometres.
    """
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    if length_km is None:
        length_km = _nice_length((xmax - xmin) / 5.0 / 1000.0) / 2
        if length_km * 1000 < (xmax - xmin) / 8:
            length_km *= 2
    if not (length_km > 0):
        raise ConfigError(f"add_scale_bar option 'length_km' is {length_km!r}; give a positive number of kilometres.")
    x0 = xmin + loc[0] * (xmax - xmin)
    y0 = ymin + loc[1] * (ymax - ymin)
    height = 0.008 * (ymax - ymin)
    n = 4
    seg = length_km * 1000 / n
    z = STYLE["z"]["labels"] + 1
    for i in range(n):
        ax.add_patch(
            matplotlib.patches.Rectangle(
                (x0 + i * seg, y0),
                seg,
                height,
                facecolor=STYLE["text"] if i % 2 == 0 else "white",
                edgecolor=STYLE["text"],
                linewidth=0.5,
                zorder=z,
            )
        )
    kw = dict(fontsize=STYLE["font_size"], color=STYLE["text"], ha="center", va="bottom", zorder=z, path_effects=halo())
    for frac in (0.0, 0.5, 1.0):
        # 2 points above the bar whatever the map's size (a data offset touched the bar on small maps)
        ax.annotate(f"{length_km * frac:g}", (x0 + frac * length_km * 1000, y0 + height), xytext=(0, 2),
                    textcoords="offset points", **kw)
    kw.update(ha="left", va="center")
    ax.text(x0 + length_km * 1000 + 0.01 * (xmax - xmin), y0 + height / 2, "km", **kw)
    return float(length_km)


def add_north_arrow(ax: Axes, loc: tuple[float, float] = (0.95, 0.84), size: float = 0.07) -> float:
    """Draw a north arrow that points to true north at its own position.

    Meridians converge in the conic working CRS, so grid north and true
    north differ by up to ~9 degrees at the edges of the programme area;
    the arrow is turned accordingly.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map axes in working-CRS metres with its limits set.
    loc : (float, float), default (0.95, 0.84)
        Arrow tail in axes fractions.
    size : float, default 0.07
        Arrow length as a fraction of the axes height.

    Returns
    -------
    float
        The angle of true north from grid north, degrees (positive: clockwise).
    """
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    x0 = xmin + loc[0] * (xmax - xmin)
    y0 = ymin + loc[1] * (ymax - ymin)
    crs = axes_crs(ax)
    if crs is None:
        dx, dy = 0.0, 1.0  # no CRS: grid north is all there is
    else:
        lon, lat = _to_geographic(crs).transform(x0, y0)
        x1, y1 = _to_working(crs).transform(lon, lat + 0.5)
        dx, dy = x1 - x0, y1 - y0
    norm = math.hypot(dx, dy)
    length = size * (ymax - ymin)
    tip = (x0 + dx / norm * length, y0 + dy / norm * length)
    z = STYLE["z"]["labels"] + 1
    ax.annotate(
        "",
        xy=tip,
        xytext=(x0, y0),
        arrowprops=dict(arrowstyle="-|>,head_length=0.8,head_width=0.35", color=STYLE["text"], linewidth=1.0),
        zorder=z,
    )
    ax.text(
        tip[0] + dx / norm * 0.012 * (ymax - ymin),
        tip[1] + dy / norm * 0.012 * (ymax - ymin),
        "N",
        ha="center",
        va="bottom",
        fontsize=STYLE["font_size"] + 1,
        fontweight="bold",
        color=STYLE["text"],
        zorder=z,
        path_effects=halo(),
    )
    return math.degrees(math.atan2(dx, dy))


def _renderer(fig: Figure):
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()
