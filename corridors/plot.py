"""One visual style for every corridors map: the base map, its furniture, and the programme map (Figure 1).

Public names other modules draw with
------------------------------------
STYLE
    Colours (``STYLE["unit_colours"][1..8]`` for the population units, land,
    water, rivers, borders, graticule) and font sizes. Use these instead of
    picking colours so every figure of the project looks alike.
base_map(ax=None, bounds=None, *, rivers=True, borders=True, lakes=True, country_labels=True, graticule=True)
    Countries, lakes, rivers, national borders, country names and a degree
    graticule in :data:`corridors.settings.WORKING_CRS` (metres). Returns
    ``(fig, ax)``; draw your own layers over it in the same CRS (z-orders
    above ``STYLE["z"]["labels"]`` stay on top of everything it draws).
programme_bounds()
    The programme frame (55-82 E, 34-48 N) in working-CRS metres.
add_scale_bar(ax), add_north_arrow(ax)
    Map furniture; the arrow points to true north at its own position.
save_figure(fig, stem, formats=("png", "svg"), dpi=300)
    Write ``stem.png``, ``stem.svg`` ... atomically; returns the paths.
add_graticule(ax, step=None)
    Degree lines (curved in the conic projection) labelled on the frame;
    base_map calls it, call it yourself on an axes you framed by hand.
default_rivers()
    The bundled river centrelines in the working CRS.
programme_map(sites=None, rivers=None, *, bounds=None, inset=True, ...)
    The programme's Figure 1 redrawn from ``data/sites.geojson``: overview
    plus an inset of the Upper Amu Darya and Zarafshon (INSET_BOUNDS_DEG).
SITE_SYMBOLS
    Marker, size and legend text per site kind, for overlays that show sites.
map_labels(fig), label_overlaps(texts)
    The labels a map placed, and the pairs of them whose drawn boxes overlap
    (empty when placement worked).

Example
-------
>>> from corridors import plot
>>> fig, ax = plot.base_map()
>>> my_corridors.plot(ax=ax, color=plot.STYLE["unit_colours"][1], zorder=plot.STYLE["z"]["overlay"])
>>> plot.save_figure(fig, "out/my_corridors")
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import matplotlib
import matplotlib.patheffects as path_effects
import numpy as np
import shapely
import shapely.ops
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from pyproj import Transformer

from corridors import settings
from corridors._errors import ConfigError
from corridors.io import atomic_path, load_base

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
RANGE_STATES: tuple[str, ...] = ("AFG", "KAZ", "TJK", "TKM", "UZB")

_FIGURE_FORMATS = ("png", "svg", "pdf")


def _to_working() -> Transformer:
    return Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)


def _to_geographic() -> Transformer:
    return Transformer.from_crs(settings.WORKING_CRS, settings.GEOGRAPHIC_CRS, always_xy=True)


def programme_bounds() -> tuple[float, float, float, float]:
    """The programme frame in working-CRS metres.

    Returns
    -------
    tuple of float
        ``(xmin, ymin, xmax, ymax)``: the smallest projected rectangle that
        holds the whole of :data:`corridors.settings.PROGRAMME_BOUNDS_DEG`
        (55-82 E, 34-48 N), whose edges curve in the conic projection.
    """
    west, south, east, north = settings.PROGRAMME_BOUNDS_DEG
    return tuple(float(v) for v in _to_working().transform_bounds(west, south, east, north, densify_pts=50))


def _check_bounds(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    try:
        xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"base_map option 'bounds' is {bounds!r}; give four numbers (xmin, ymin, xmax, ymax) in working-CRS metres."
        ) from exc
    if not (xmin < xmax and ymin < ymax) or not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise ConfigError(
            f"base_map option 'bounds' is {bounds!r}; give finite (xmin, ymin, xmax, ymax) with xmin < xmax and ymin < ymax."
        )
    return xmin, ymin, xmax, ymax


@functools.lru_cache(maxsize=None)
def _base_layer(name: str) -> gpd.GeoDataFrame:
    # Cached: every figure of a run draws the same few small layers.
    return load_base(name)


@functools.lru_cache(maxsize=1)
def _borders_cached() -> gpd.GeoDataFrame:
    # National borders only: the Baikonur lease limit is not one.
    raw = _base_layer("borders")
    return raw[~raw["featurecla"].str.contains("Lease", na=False)]


def default_rivers() -> gpd.GeoDataFrame:
    """The bundled river centrelines in the working CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``corridors.rivers.load_rivers()`` (the programme's rivers, with the
        hand-traced tributaries Natural Earth lacks).
    """
    return _rivers_cached().copy()


@functools.lru_cache(maxsize=1)
def _rivers_cached() -> gpd.GeoDataFrame:
    from corridors.rivers import load_rivers

    return load_rivers()


def _clip(gdf: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], margin: float) -> gpd.GeoDataFrame:
    xmin, ymin, xmax, ymax = bounds
    return gdf.clip((xmin - margin, ymin - margin, xmax + margin, ymax + margin))


def _halo(width: float = 2.0) -> list:
    return [path_effects.withStroke(linewidth=width, foreground=STYLE["halo"])]


def _degree_label(value: float, axis: str) -> str:
    hemi = ("E" if value >= 0 else "W") if axis == "lon" else ("N" if value >= 0 else "S")
    v = abs(value)
    return f"{v:g}°{hemi}"


def _graticule_step(span_deg: float) -> float:
    for step in (0.5, 1.0, 2.0, 5.0, 10.0):
        if span_deg / step <= 7:
            return step
    return 20.0


def add_graticule(ax: Axes, step: float | None = None) -> list[float]:
    """Draw meridians and parallels (curved in the conic projection) and label them on the frame.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map axes in the working CRS; its limits must already be set.
    step : float, optional
        Spacing in degrees; by default 0.5, 1, 2, 5 or 10 so that about 3-7
        lines cross the frame.

    Returns
    -------
    list of float
        The longitudes labelled on the bottom edge (for tests and callers
        that add more furniture).
    """
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    west, south, east, north = _to_geographic().transform_bounds(xmin, ymin, xmax, ymax, densify_pts=50)
    if step is None:
        step = _graticule_step(max(east - west, north - south))
    fwd = _to_working()
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
        inside = line.intersection(frame)
        if inside.is_empty:
            continue
        for part in getattr(inside, "geoms", [inside]):
            ax.plot(*np.asarray(part.coords).T, **style)
        hit = line.intersection(bottom)
        if not hit.is_empty:
            xticks.append((shapely.get_coordinates(hit)[0, 0], float(lon)))
    for lat in np.arange(math.floor(south / step) * step, north + step, step):
        line = shapely.LineString(np.column_stack(fwd.transform(lon_fine, np.full_like(lon_fine, lat))))
        inside = line.intersection(frame)
        if inside.is_empty:
            continue
        for part in getattr(inside, "geoms", [inside]):
            ax.plot(*np.asarray(part.coords).T, **style)
        hit = line.intersection(left)
        if not hit.is_empty:
            yticks.append((shapely.get_coordinates(hit)[0, 1], float(lat)))
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
) -> tuple[Figure, Axes]:
    """Draw the common base map of corridors figures in the working CRS.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Draw into this axes; by default a new figure
        ``STYLE["figure_width_in"]`` wide is made, its height following the
        aspect of ``bounds``.
    bounds : (xmin, ymin, xmax, ymax), optional
        The frame in working-CRS metres; default :func:`programme_bounds`.
        For a frame around your own layer use ``gdf.total_bounds`` with a
        margin.
    rivers : bool or GeoDataFrame, default True
        Draw the bundled rivers (:func:`default_rivers`), or these lines.
    borders : bool, default True
        National borders (dash-dot).
    lakes : bool, default True
        Lakes and reservoirs.
    country_labels : bool, default True
        Country names (only countries with enough visible area get one).
    graticule : bool, default True
        Meridians and parallels, labelled in degrees on the frame.

    Returns
    -------
    (matplotlib.figure.Figure, matplotlib.axes.Axes)

    Raises
    ------
    ConfigError
        If ``bounds`` is not four finite numbers with min < max.
    """
    bnds = programme_bounds() if bounds is None else _check_bounds(bounds)
    xmin, ymin, xmax, ymax = bnds
    if ax is None:
        width = STYLE["figure_width_in"]
        fig = Figure(figsize=(width, width * (ymax - ymin) / (xmax - xmin) + 0.4))
        # No pyplot: no global figure state, works headless. The base canvas
        # does not draw on geopandas' draw_idle calls, so layering stays fast.
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    margin = 0.05 * max(xmax - xmin, ymax - ymin)
    ax.set_facecolor(STYLE["sea"])
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
        rv = default_rivers() if rivers is True else rivers.to_crs(settings.WORKING_CRS)
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
        bd = _clip(_borders_cached(), bnds, margin)
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
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color(STYLE["text"])
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
    kw = dict(fontsize=STYLE["font_size"], color=STYLE["text"], ha="center", va="bottom", zorder=z, path_effects=_halo())
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
    lon, lat = _to_geographic().transform(x0, y0)
    x1, y1 = _to_working().transform(lon, lat + 0.5)
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
        path_effects=_halo(),
    )
    return math.degrees(math.atan2(dx, dy))


def save_figure(
    fig: Figure,
    stem: str | os.PathLike,
    formats: Iterable[str] = ("png", "svg"),
    dpi: int = 300,
) -> list[Path]:
    """Write a figure in several formats, each file atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : path-like
        Output path without suffix, e.g. ``out/programme_map``; folders are created.
    formats : iterable of {'png', 'svg', 'pdf'}, default ('png', 'svg')
    dpi : int, default 300
        Resolution of raster formats.

    Returns
    -------
    list of pathlib.Path
        The written files, in the order of ``formats``.

    Raises
    ------
    ConfigError
        If a format is not png, svg or pdf, or dpi is not positive.

    Notes
    -----
    Titles, legend, notes and tick labels stay text in SVG (editable in
    Inkscape/Illustrator); map labels drawn with a white halo are written as
    outlines, which is how matplotlib renders path effects. Fonts are
    embedded as TrueType in PDF. Dates are left out of the file metadata so
    the same figure gives byte-identical SVG and PDF files.
    """
    fmts = [str(f).lower().lstrip(".") for f in formats]
    for f in fmts:
        if f not in _FIGURE_FORMATS:
            raise ConfigError(f"save_figure option 'formats' holds {f!r}; choose from {', '.join(_FIGURE_FORMATS)}.")
    if not (isinstance(dpi, (int, float)) and dpi > 0):
        raise ConfigError(f"save_figure option 'dpi' is {dpi!r}; give a positive number such as 300.")
    stem = Path(stem)
    written = []
    rc = {"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "corridors"}
    # The tight frame is measured once, not once per format (each measure is a full draw).
    with matplotlib.rc_context(rc):
        bbox = fig.get_tightbbox(_renderer(fig)).padded(0.05)
    for f in fmts:
        final = stem.with_name(f"{stem.name}.{f}")
        metadata = {"png": {"Software": "corridors"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[f]
        with matplotlib.rc_context(rc), atomic_path(final) as tmp:
            fig.savefig(tmp, format=f, dpi=dpi, bbox_inches=bbox, metadata=metadata)
        written.append(final)
    return written


# --- the programme map (Figure 1) ---------------------------------------------

#: Symbols of the site kinds on the programme map: (marker, size in points, legend text).
SITE_SYMBOLS: dict[str, tuple[str, float, str]] = {
    "subpopulation": ("o", 5.5, "Subpopulation (code)"),
    "protected_area": ("o", 2.6, "Named reserve or place in a subpopulation"),
    "outside_range": ("D", 4.5, "Unit 7: group outside the native range"),
    "captive": ("s", 4.0, "Unit 8: captive-breeding enclosure"),
    "candidate_reintroduction": ("*", 8.0, "Candidate reintroduction site (measure)"),
    "candidate_protected_area": ("p", 5.5, "Candidate protected area (measure)"),
    "corridor_end": ("^", 5.0, "Corridor end (measure)"),
}

#: Rivers named on the programme map: river id (column 'river' of data/rivers/rivers.geojson) -> label.
_RIVER_LABELS = {
    "amu_darya": "Amu Darya",
    "panj": "Panj",
    "vakhsh": "Vakhsh",
    "zarafshon": "Zarafshon",
    "syr_darya": "Syr Darya",
    "naryn": "Naryn",
    "ile": "Ile",
}
#: Tributaries named only on the inset.
_TRIBUTARY_LABELS = {"kafirnigan": "Kafirnigan", "surkhandarya": "Surkhandarya"}

#: Default radius (km) drawn round a hotspot given as a point without a precision.
_HOTSPOT_RADIUS_KM = 30.0

#: Frame of the programme map's inset (WGS84 degrees: west, south, east, north):
#: the Upper Amu Darya and the Zarafshon, where units 1, 4, 7 and 8 crowd together.
INSET_BOUNDS_DEG: tuple[float, float, float, float] = (65.3, 36.7, 70.6, 39.9)


def _as_list(value: object) -> list:
    # Sites read from GeoPackage/Shapefile carry list fields as ';'-joined text.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return list(value)


def _units(value: object) -> list[int]:
    return [int(v) for v in _as_list(value)]


def _unresolved_rows(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from corridors.sites import unresolved

    return unresolved(sites)


def _default_sites() -> gpd.GeoDataFrame:
    from corridors.sites import load_sites

    return load_sites()


def label_overlaps(texts: Sequence[Text], pad_px: float = 0.0) -> list[tuple[int, int]]:
    """Pairs of drawn labels whose boxes overlap.

    Parameters
    ----------
    texts : sequence of matplotlib.text.Text
        Labels of one figure.
    pad_px : float, default 0
        Grow every box by this many pixels before testing (a stricter test).

    Returns
    -------
    list of (int, int)
        Index pairs ``(i, j)``, ``i < j``, of overlapping labels; empty when
        every label stands clear of every other.
    """
    if not texts:
        return []
    fig = texts[0].figure
    renderer = _renderer(fig)
    boxes = np.array([t.get_window_extent(renderer=renderer).extents for t in texts])
    boxes[:, :2] -= pad_px
    boxes[:, 2:] += pad_px
    x0, y0, x1, y1 = boxes.T
    ov_x = (x0[:, None] < x1[None, :]) & (x0[None, :] < x1[:, None])
    ov_y = (y0[:, None] < y1[None, :]) & (y0[None, :] < y1[:, None])
    i, j = np.nonzero(np.triu(ov_x & ov_y, k=1))
    return [(int(a), int(b)) for a, b in zip(i, j)]


def _renderer(fig: Figure):
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def map_labels(fig: Figure) -> list[Text]:
    """The labels the map placed (feature, river and country names), in drawing order.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure made by :func:`programme_map` or :func:`base_map`.

    Returns
    -------
    list of matplotlib.text.Text
        Texts whose ``gid`` starts with ``label:``, ``river:`` or ``country-``.
    """
    out = []
    for ax in fig.axes:
        for t in ax.texts:
            gid = t.get_gid() or ""
            if gid.startswith(("label:", "river:", "country-")):
                out.append(t)
    return out


def _unit_area(sites: gpd.GeoDataFrame, unit: int) -> shapely.Geometry | None:
    """The area of a population unit: its own polygon if the data has one, else a hull of its places."""
    is_unit = sites["kind"].eq("population_unit") & sites["population_unit"].map(lambda v: unit in _units(v))
    polys = [g for g in sites.loc[is_unit].geometry if g is not None and g.geom_type in ("Polygon", "MultiPolygon")]
    if polys:
        return shapely.union_all(polys)
    member_kinds = ("subpopulation", "protected_area", "population_unit")
    members = sites[
        sites["kind"].isin(member_kinds)
        & sites["population_unit"].map(lambda v: _units(v) == [unit])
        & sites.geometry.notna()
    ]
    if members.empty:
        return None
    # No drawn extent in the data: the hull of the unit's places grown by 25 km
    # (or their own precision radius), which is what Figure 1's ellipses show.
    radius = members["location_precision_km"].fillna(25.0).clip(lower=25.0) * 1000.0
    return shapely.union_all(members.geometry.buffer(radius.to_numpy())).convex_hull


def _marker_kw(kind: str, unit: int | None) -> dict:
    marker, size, _ = SITE_SYMBOLS[kind]
    colour = STYLE["unit_colours"].get(unit, STYLE["text"]) if unit else STYLE["text"]
    if kind == "subpopulation":
        return dict(marker=marker, markersize=size, markerfacecolor=colour, markeredgecolor=STYLE["text"], mew=0.6)
    if kind == "protected_area":
        return dict(marker=marker, markersize=size, markerfacecolor="white", markeredgecolor=colour, mew=0.8)
    if kind == "outside_range":
        return dict(marker=marker, markersize=size, markerfacecolor=STYLE["unit_colours"][7], markeredgecolor=STYLE["text"], mew=0.5)
    if kind == "captive":
        return dict(marker=marker, markersize=size, markerfacecolor="white", markeredgecolor=STYLE["unit_colours"][8], mew=1.0)
    return dict(marker=marker, markersize=size, markerfacecolor="white", markeredgecolor=STYLE["candidate"], mew=0.9)


#: Abbreviations used in place labels (explained in the map's note).
_ABBREVIATIONS = {
    "State Strict Nature Reserve": "SSNR",
    "National Nature Park": "NNP",
    "Special Reserve": "SR",
    "Biosphere Reserve": "BR",
    "protected area": "PA",
}


def _short_name(name: str) -> str:
    # "Khutalon enclosure (to be confirmed)" -> "Khutalon enclosure": the remark stays in the data.
    short = str(name).split(" (")[0]
    for long, abbr in _ABBREVIATIONS.items():
        short = short.replace(long, abbr)
    return short


def _site_label(row, detail: bool = False) -> str | None:
    """The label of a site on the map, or None for an unlabelled symbol.

    On the overview, named reserves and captive groups carry no label (their
    subpopulation's code or the inset names them); with ``detail`` (the
    inset) they carry their short name.
    """
    kind = row["kind"]
    if kind == "subpopulation":
        return row.get("code") or _short_name(row["name"])
    if kind == "hotspot":
        code = row.get("code") or ""
        return code.replace("HS", "HS ") if code else _short_name(row["name"])
    if kind == "outside_range":
        return _short_name(row["name"])
    if kind in ("candidate_reintroduction", "candidate_protected_area", "corridor_end"):
        measures = [m for m in _as_list(row.get("measures")) if m]
        return ", ".join(measures) if measures else _short_name(row["name"])
    if detail and kind in ("protected_area", "captive"):
        return _short_name(row["name"])
    return None


def _river_labels(
    ax: Axes,
    rivers: gpd.GeoDataFrame,
    avoid: Sequence[tuple[float, float]] = (),
    *,
    detail: bool = False,
    skip: shapely.Geometry | None = None,
) -> list[Text]:
    """Name the main rivers along their course, each where it stands clear of the sites and other names.

    adjustText would move these names off their river with a leader line,
    which reads badly for a line feature; so each name is tried at several
    points along its river (middle first) and put at the first one whose box
    overlaps no other static name and is farthest from the site symbols.
    With ``detail`` the tributaries are named too; no name goes inside ``skip``
    (the part of the overview the inset shows).
    """
    if "river" in rivers.columns:
        keys = rivers["river"].astype(str)
    else:
        name_col = next((c for c in ("name", "name_en") if c in rivers.columns), None)
        if name_col is None:
            return []
        keys = rivers[name_col].astype(str).str.split().str.join("_").str.lower()
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    frame = shapely.box(xmin, ymin, xmax, ymax).buffer(-0.05 * (xmax - xmin))
    if skip is not None:
        frame = frame.difference(skip.buffer(0.02 * (xmax - xmin)))
    wanted_rivers = {**_RIVER_LABELS, **(_TRIBUTARY_LABELS if detail else {})}
    renderer = _renderer(ax.figure)
    placed = [t.get_window_extent(renderer=renderer) for t in ax.texts if (t.get_gid() or "").startswith("country-")]
    pts = np.asarray(avoid, dtype=float).reshape(-1, 2)
    texts = []
    for key, wanted in wanted_rivers.items():
        lines = rivers.geometry[keys.eq(key).to_numpy()]
        if lines.empty:
            continue
        merged = shapely.line_merge(shapely.union_all(lines.to_numpy())).intersection(frame)
        if merged.is_empty:
            continue
        longest = max(getattr(merged, "geoms", [merged]), key=lambda g: g.length)
        if longest.length <= 0:
            continue
        text = ax.text(
            0, 0, wanted, fontsize=STYLE["font_size"], fontstyle="italic", color=STYLE["river"], ha="center",
            va="center", zorder=STYLE["z"]["labels"], path_effects=_halo(1.5), gid=f"river:{wanted}",
        )
        best, best_score = None, -np.inf
        for frac in np.linspace(0.15, 0.85, 15):
            spot = longest.interpolate(frac, normalized=True)
            text.set_position((spot.x, spot.y))
            box = text.get_window_extent(renderer=renderer)
            if any(box.overlaps(b) for b in placed):
                continue
            clearance = np.min(np.hypot(pts[:, 0] - spot.x, pts[:, 1] - spot.y)) if len(pts) else 0.0
            score = clearance - 0.2 * abs(frac - 0.5) * longest.length
            if score > best_score:
                best, best_score = (spot.x, spot.y), score
        if best is None:
            text.remove()
            continue
        text.set_position(best)
        placed.append(text.get_window_extent(renderer=renderer))
        texts.append(text)
    return texts


def programme_map(
    sites: gpd.GeoDataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    *,
    bounds: Sequence[float] | None = None,
    inset: bool = True,
    inset_bounds_deg: Sequence[float] = INSET_BOUNDS_DEG,
    title: str | None = "Bukhara deer: population units of the work programme 2025-2032 and major subpopulations",
    precision_circles: bool = True,
    unresolved_note: bool = True,
    label_iterations: int = 150,
) -> Figure:
    """Redraw the programme's Figure 1 from the sites data.

    Draws the population units 1-6 as coloured, numbered areas (the unit's
    polygon if the data has one, else the hull of its places), the 13
    subpopulations with their codes, the transboundary hotspots outlined and
    numbered, units 7 and 8 and the candidate sites with their own symbols
    (candidates labelled with their measure numbers), rivers, lakes, borders,
    country names, graticule, scale bar, north arrow, a legend and a note
    listing the places whose location is unresolved. The crowded Upper Amu
    Darya and Zarafshon go into an inset at about 2.5 times the scale, where
    the named reserves and captive groups are labelled too; the overview
    then labels only what lies outside the inset's frame, so every label is
    drawn once. Labels are placed with adjustText, then any overlap left is
    cleared by a search round the anchor, so none overlaps another.

    Parameters
    ----------
    sites : GeoDataFrame, optional
        Sites of the schema of ``data/sites.geojson`` (any CRS); default
        :func:`corridors.sites.load_sites`.
    rivers : GeoDataFrame, optional
        River lines; default :func:`default_rivers`.
    bounds : (xmin, ymin, xmax, ymax), optional
        Frame of the overview in working-CRS metres; default :func:`programme_bounds`.
    inset : bool, default True
        Draw the inset (only if its frame lies inside the overview); without
        it every label goes on the overview.
    inset_bounds_deg : (west, south, east, north), default INSET_BOUNDS_DEG
        Frame of the inset in degrees.
    title : str or None
        Figure title; ``None`` for none.
    precision_circles : bool, default True
        Draw a faint circle of radius ``location_precision_km`` round
        approximate points, so the reader sees how far the true place may be.
    unresolved_note : bool, default True
        Print the unresolved places (no geometry) under the map.
    label_iterations : int, default 150
        Iteration limit of adjustText (fixed, so output is reproducible).

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0 is the overview, axes 1 the inset. Save it with
        :func:`save_figure`; :func:`map_labels` gives its labels.

    Raises
    ------
    ConfigError
        If the sites lack a schema field or a CRS, or a frame is malformed.
    """
    from matplotlib.patches import Rectangle

    sites = _default_sites() if sites is None else sites
    required = ("id", "name", "kind", "population_unit", "location_status")
    missing = [c for c in required if c not in sites.columns]
    if missing:
        raise ConfigError(
            f"programme_map option 'sites' lacks the field(s) {', '.join(missing)}; give sites of the data/sites.geojson schema."
        )
    if sites.crs is None:
        raise ConfigError("programme_map option 'sites' has no CRS; set one (GeoJSON sites are EPSG:4326).")
    sites = sites.to_crs(settings.WORKING_CRS)
    if "location_precision_km" not in sites.columns:
        sites = sites.assign(location_precision_km=np.nan)
    sites = sites.assign(location_precision_km=sites["location_precision_km"].astype(float))
    rv = default_rivers() if rivers is None else rivers.to_crs(settings.WORKING_CRS)
    main_b = programme_bounds() if bounds is None else _check_bounds(bounds)
    if inset:
        try:
            w_, s_, e_, n_ = (float(v) for v in inset_bounds_deg)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"programme_map option 'inset_bounds_deg' is {inset_bounds_deg!r}; give (west, south, east, north) in degrees."
            ) from exc
        inset_b = _check_bounds(_to_working().transform_bounds(w_, s_, e_, n_, densify_pts=50))
        # An overview framed elsewhere (own bounds) gets no inset of a place it does not show.
        inset = shapely.box(*main_b).contains(shapely.box(*inset_b))

    # Layout in inches: title, overview, then the legend beside the inset, then the note.
    width = STYLE["figure_width_in"]
    left, right, gap = 0.45, 0.08, 0.35
    map_w = width - left - right
    map_h = map_w * (main_b[3] - main_b[1]) / (main_b[2] - main_b[0])
    title_h = 0.3 if title else 0.08
    if inset:
        ins_w = 3.9
        ins_h = ins_w * (inset_b[3] - inset_b[1]) / (inset_b[2] - inset_b[0])
        lower_h = ins_h + 0.25
    else:
        lower_h = 1.45
    note_h = 0.75 if unresolved_note else 0.25
    height = title_h + map_h + gap + lower_h + note_h
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / width, (height - title_h - map_h) / height, map_w / width, map_h / height))
    base_map(ax=ax, bounds=main_b, rivers=rv)
    axes_done = [(ax, None)]
    iax = None
    if inset:
        iax = fig.add_axes(((width - right - ins_w) / width, (note_h + 0.05) / height, ins_w / width, ins_h / height))
        base_map(ax=iax, bounds=inset_b, rivers=rv)
        iax.tick_params(labelsize=STYLE["font_size"] - 1, length=2, pad=1)
        iax.set_title(
            "Upper Amu Darya and Zarafshon", fontsize=STYLE["font_size"] + 0.5, color=STYLE["text"], loc="left", pad=3
        )
        frame = shapely.box(*inset_b)
        ax.add_patch(
            Rectangle(
                (inset_b[0], inset_b[1]), inset_b[2] - inset_b[0], inset_b[3] - inset_b[1], facecolor="none",
                edgecolor=STYLE["text"], linewidth=0.7, zorder=STYLE["z"]["labels"] - 1, gid="inset-frame",
            )
        )
        axes_done = [(ax, frame), (iax, None)]

    # Draw every layer of every axes first, place labels after: placing needs
    # a renderer, and once the figure has one each geopandas plot call
    # redraws the whole figure.
    drawn = [
        _draw_sites(this_ax, sites, skip_labels_in=skip, detail=this_ax is iax, precision_circles=precision_circles)
        for this_ax, skip in axes_done
    ]
    for (this_ax, skip), (texts, anchors, sym_xy) in zip(axes_done, drawn):
        add_scale_bar(this_ax)
        _river_labels(this_ax, rv, avoid=sym_xy + anchors, detail=this_ax is iax, skip=skip)
        place_labels(this_ax, texts, anchors, sym_xy, label_iterations)
    add_north_arrow(ax)
    if title:
        fig.text(left / width, 1 - 0.06 / height, title, fontsize=STYLE["title_size"], color=STYLE["text"],
                 ha="left", va="top")

    handles = _legend_handles(sites, precision_circles, rv)
    leg = fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(left / width - 0.01, (note_h + lower_h) / height),
        ncol=1 if inset else 3,
        fontsize=STYLE["font_size"] - 0.5,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
        labelspacing=0.38,
        borderaxespad=0.0,
    )
    if unresolved_note:
        unres = _unresolved_rows(sites)
        if len(unres):
            items = []
            for _, row in unres.iterrows():
                ms = ", ".join(_as_list(row.get("measures")))
                items.append(f"{row['name']}" + (f" (measure {ms})" if ms else "") + f" [{row['id']}]")
            note = "Not mapped, location unresolved: " + "; ".join(items) + "."
        else:
            note = "Every place of the programme is mapped (none unresolved)."
        note += (
            " Locations are approximate (dotted circles: the radius within which the place lies). "
            "SSNR state strict nature reserve, NNP national nature park, SR special reserve, PA protected area. "
            "After Figure 1 of the programme (CMS 2020, modified)."
        )
        _note(fig, left / width, (note_h - 0.22) / height, note)
    return fig


def _draw_sites(
    ax: Axes,
    sites: gpd.GeoDataFrame,
    *,
    skip_labels_in: shapely.Geometry | None,
    detail: bool,
    precision_circles: bool,
) -> tuple[list[Text], list[tuple[float, float]], list[tuple[float, float]]]:
    """Draw units, hotspots and site symbols on one map axes and create (not yet place) their labels.

    Returns the labels, their anchors and the positions of every symbol
    (which labels must not cover).
    """
    from matplotlib.patches import Circle

    z = STYLE["z"]["overlay"]
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    view = shapely.box(xmin, ymin, xmax, ymax)
    texts: list[Text] = []
    anchors: list[tuple[float, float]] = []
    sym_xy: list[tuple[float, float]] = []
    label_kw = dict(fontsize=STYLE["label_size"], color=STYLE["text"], ha="center", va="center", path_effects=_halo())

    def add_label(x: float, y: float, text: str | None, gid: str, **kw) -> None:
        # Labelled once in the figure: only inside this view and outside the part the inset shows.
        if text is None or not view.contains(shapely.Point(x, y)):
            return
        if skip_labels_in is not None and skip_labels_in.contains(shapely.Point(x, y)):
            return
        texts.append(ax.text(x, y, text, zorder=STYLE["z"]["labels"], gid=gid, **{**label_kw, **kw}))
        anchors.append((x, y))

    located = sites[sites.geometry.notna() & ~sites.geometry.is_empty]
    points = located[located.geometry.geom_type.eq("Point")]
    symbol_pts = points[points["kind"].isin(list(SITE_SYMBOLS))].geometry
    for unit in range(1, 7):
        area = _unit_area(sites, unit)
        if area is None or area.is_empty:
            continue
        colour = STYLE["unit_colours"][unit]
        gpd.GeoSeries([area], crs=settings.WORKING_CRS).plot(ax=ax, facecolor=colour, alpha=0.22, edgecolor="none", zorder=z)
        gpd.GeoSeries([area.boundary], crs=settings.WORKING_CRS).plot(ax=ax, color=colour, linewidth=0.9, zorder=z)
        seen = area.intersection(view.buffer(-0.04 * (xmax - xmin)))
        if seen.is_empty:
            continue
        rp = _clear_spot(seen, np.column_stack([symbol_pts.x, symbol_pts.y]) if len(symbol_pts) else np.empty((0, 2)))
        # The unit number is an area label: shown on every map that shows the unit.
        texts.append(
            ax.text(
                rp.x, rp.y, str(unit), zorder=STYLE["z"]["labels"], gid=f"label:unit-{unit}",
                **{**label_kw, "fontsize": STYLE["label_size"] + 1, "fontweight": "bold", "color": "white",
                   "path_effects": [],
                   "bbox": dict(boxstyle="circle,pad=0.25", facecolor=colour, edgecolor="white", linewidth=0.8)},
            )
        )
        anchors.append((rp.x, rp.y))

    if precision_circles:
        approx = points[
            points["location_status"].eq("approximate")
            & points["location_precision_km"].gt(0)
            & ~points["kind"].isin(["hotspot", "population_unit"])
        ]
        for geom, r_km in zip(approx.geometry, approx["location_precision_km"]):
            ax.add_patch(
                Circle((geom.x, geom.y), r_km * 1000.0, facecolor="none", edgecolor=STYLE["text"], alpha=0.35,
                       linewidth=0.4, linestyle=(0, (1, 1.5)), zorder=z + 1)
            )

    for _, row in located[located["kind"].eq("hotspot")].iterrows():
        geom = row.geometry
        if geom.geom_type == "Point":
            r = row["location_precision_km"]
            r_km = r if isinstance(r, float) and r > 0 else _HOTSPOT_RADIUS_KM
            outline = geom.buffer(r_km * 1000.0)
        else:
            outline = geom
        gpd.GeoSeries([outline.boundary], crs=settings.WORKING_CRS).plot(
            ax=ax, color=STYLE["hotspot"], linewidth=1.0, linestyle=(0, (3, 1.5)), zorder=z + 2
        )
        c = outline.centroid
        add_label(c.x, c.y, _site_label(row), f"label:{row['id']}", color=STYLE["hotspot"], fontweight="bold",
                  fontsize=STYLE["label_size"] - 0.5)

    ends = points[points["kind"].eq("corridor_end")]
    if len(ends) > 1 and "measures" in ends.columns:
        by_measure: dict[str, list] = {}
        for geom, ms in zip(ends.geometry, ends["measures"]):
            for m in _as_list(ms):
                by_measure.setdefault(m, []).append(geom)
        for geoms in by_measure.values():
            if len(geoms) >= 2:
                ax.plot([g.x for g in geoms], [g.y for g in geoms], color=STYLE["candidate"], linewidth=0.8,
                        linestyle=(0, (1, 1.5)), zorder=z + 2)

    polys = located[
        located.geometry.geom_type.isin(["Polygon", "MultiPolygon"]) & ~located["kind"].isin(["population_unit", "hotspot"])
    ]
    for _, row in polys.iterrows():
        units = _units(row["population_unit"])
        colour = (
            STYLE["candidate"] if row["kind"].startswith(("candidate", "corridor"))
            else STYLE["unit_colours"].get(units[0] if units else 8, STYLE["text"])
        )
        gpd.GeoSeries([row.geometry], crs=settings.WORKING_CRS).plot(
            ax=ax, facecolor="none", edgecolor=colour, hatch="////", linewidth=0.7, zorder=z + 2
        )

    order = ["protected_area", "captive", "outside_range", "candidate_protected_area", "corridor_end",
             "candidate_reintroduction", "subpopulation"]
    for rank, kind in enumerate(order):
        for _, row in located[located["kind"].eq(kind)].iterrows():
            rp = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
            units = _units(row["population_unit"])
            ax.plot(rp.x, rp.y, linestyle="none", zorder=z + 3 + rank * 0.1, **_marker_kw(kind, units[0] if units else None))
            sym_xy.append((rp.x, rp.y))
            text = _site_label(row, detail=detail)
            gid = f"label:{row['id']}"
            if kind == "subpopulation":
                add_label(rp.x, rp.y, text, gid, fontweight="bold")
            elif kind == "outside_range":
                add_label(rp.x, rp.y, text, gid, fontstyle="italic", fontsize=STYLE["font_size"],
                          color=STYLE["unit_colours"][7])
            elif kind in ("protected_area", "captive"):
                add_label(rp.x, rp.y, text, gid, fontstyle="italic", fontsize=STYLE["font_size"] - 0.5,
                          color="#4a4a4a")
            else:
                add_label(rp.x, rp.y, text, gid, fontsize=STYLE["font_size"], color=STYLE["candidate"])
    return texts, anchors, sym_xy


def _clear_spot(area: shapely.Geometry, obstacles: np.ndarray, n: int = 60) -> shapely.Point:
    """The point of an area farthest from the obstacle points (the unit number goes there, clear of site symbols).

    A grid of about n x n candidates inside the area is scored by the
    distance to the nearest obstacle; ties go to the point nearest the
    area's representative point. Without obstacles: the representative point.
    """
    rp = area.representative_point()
    if len(obstacles) == 0:
        return rp
    x0, y0, x1, y1 = area.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(area, gx, gy)
    if not inside.any():
        return rp
    gx, gy = gx[inside], gy[inside]
    from scipy.spatial import cKDTree

    clearance, _ = cKDTree(obstacles).query(np.column_stack([gx, gy]))
    # Clearance beyond 60 km buys nothing more; then prefer the middle of the area.
    score = np.minimum(clearance, 60e3) - 0.05 * np.hypot(gx - rp.x, gy - rp.y)
    k = int(np.argmax(score))
    return shapely.Point(gx[k], gy[k])


def place_labels(
    ax: Axes,
    texts: list[Text],
    anchors: list[tuple[float, float]],
    sym_xy: Sequence[tuple[float, float]] = (),
    iterations: int = 200,
) -> None:
    """Move the labels of one map axes so that none overlaps another, a symbol, or a country or river name.

    adjustText first, then a spiral search for the few it leaves
    overlapping, then a thin leader line from every label that ends up off
    its anchor. Call it after everything else is drawn (colorbars and
    legends change the axes' size).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A map axes (working-CRS metres) with its limits set.
    texts : list of matplotlib.text.Text
        The labels, drawn at or near their anchors.
    anchors : list of (x, y)
        What each label names, in data coordinates.
    sym_xy : sequence of (x, y), optional
        Symbols (markers) no label may cover.
    iterations : int, default 200
        adjustText's iteration limit (fixed, so the result is reproducible).
    """
    sym_xy = list(sym_xy)
    from adjustText import adjust_text

    static = [t for t in ax.texts if (t.get_gid() or "").startswith(("country-", "river:"))]
    if texts:
        # adjustText pushes the labels apart, off the symbols (points to avoid)
        # and off the country and river names (static objects); a fixed
        # iteration limit keeps the result reproducible. It stops at that
        # limit whether or not every overlap is gone, so the few left are then
        # moved to the nearest free spot round their anchor (_free_spots),
        # which makes non-overlap a guarantee rather than a likelihood.
        pts = sym_xy + anchors
        adjust_text(
            texts,
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            objects=static or None,
            target_x=[a[0] for a in anchors],
            target_y=[a[1] for a in anchors],
            ax=ax,
            expand=(1.15, 1.35),
            force_text=(0.3, 0.5),
            force_static=(0.2, 0.4),
            iter_lim=iterations,
        )
    _free_spots(ax, texts, static, anchors, symbols=sym_xy)
    _leader_lines(ax, texts, anchors)


def _legend_handles(sites: gpd.GeoDataFrame, precision_circles: bool, rivers: gpd.GeoDataFrame) -> list:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=STYLE["unit_colours"][u], alpha=0.45, edgecolor=STYLE["unit_colours"][u],
              label=f"{u}  {STYLE['unit_names'][u]}")
        for u in range(1, 7)
    ]
    present = set(sites.loc[sites.geometry.notna(), "kind"])
    for kind in SITE_SYMBOLS:
        if kind in present:
            kw = _marker_kw(kind, 1 if kind in ("subpopulation", "protected_area") else None)
            if kind in ("subpopulation", "protected_area"):
                kw["markerfacecolor"] = "#bbbbbb" if kind == "subpopulation" else "white"
                kw["markeredgecolor"] = STYLE["text"]
            handles.append(Line2D([], [], linestyle="none", label=SITE_SYMBOLS[kind][2], **kw))
    if "hotspot" in present:
        handles.append(Line2D([], [], color=STYLE["hotspot"], linestyle=(0, (3, 1.5)), linewidth=1.0,
                              label="Transboundary hotspot (number)"))
    if precision_circles:
        handles.append(Line2D([], [], marker="o", markersize=8, markerfacecolor="none", markeredgecolor=STYLE["text"],
                              alpha=0.5, mew=0.5, linestyle="none", label="Precision of an approximate location"))
    handles.append(Line2D([], [], color=STYLE["river"], linewidth=0.9, label="River"))
    if "approximate" in rivers.columns and rivers["approximate"].fillna(False).astype(bool).any():
        handles.append(Line2D([], [], color=STYLE["river"], linewidth=0.9, linestyle=(0, (4, 1.5)),
                              label="River, hand-traced (approximate)"))
    handles += [
        Patch(facecolor=STYLE["water"], edgecolor=STYLE["water_edge"], linewidth=0.4, label="Lake, reservoir"),
        Line2D([], [], color=STYLE["border"], linewidth=0.6, linestyle=(0, (5, 1.5, 1, 1.5)), label="National border"),
    ]
    return handles


def _note(fig: Figure, x: float, y: float, note: str) -> Text:
    import textwrap

    width_chars = int((STYLE["figure_width_in"] - 0.5) * 72 / ((STYLE["font_size"] - 0.5) * 0.52))
    return fig.text(
        x, y, textwrap.fill(note, width=width_chars), ha="left", va="top", fontsize=STYLE["font_size"] - 0.5,
        color=STYLE["text"], gid="unresolved-note",
    )


def _free_spots(
    ax: Axes,
    texts: list[Text],
    static: list[Text],
    anchors: list[tuple[float, float]],
    symbols: Sequence[tuple[float, float]] = (),
    symbol_px: float = 7.0,
) -> None:
    """Move every label that still overlaps another to the nearest position round its anchor where it overlaps none.

    Written by hand because adjustText (the force-directed placement used
    first) offers no final guarantee; this spiral search is the classic
    fallback of cartographic label placement and only touches the leftovers.
    """
    renderer = _renderer(ax.figure)
    to_disp = ax.transData
    frame = ax.patch.get_window_extent(renderer=renderer)
    boxes = [t.get_window_extent(renderer=renderer) for t in texts]
    others = [t.get_window_extent(renderer=renderer) for t in static]
    # Site symbols are obstacles too (a square of symbol_px round each), so a
    # moved label never hides a marker.
    half = symbol_px / 2
    for sx, sy in to_disp.transform(np.asarray(symbols, dtype=float).reshape(-1, 2)):
        others.append(matplotlib.transforms.Bbox.from_extents(sx - half, sy - half, sx + half, sy + half))
    pad = 1.5

    def clash(i: int, box) -> bool:
        grown = box.padded(pad)
        if grown.x0 < frame.x0 or grown.x1 > frame.x1 or grown.y0 < frame.y0 or grown.y1 > frame.y1:
            return True
        if any(grown.overlaps(b) for b in others):
            return True
        return any(j != i and grown.overlaps(b) for j, b in enumerate(boxes))

    for i, text in enumerate(texts):
        if not clash(i, boxes[i]):
            continue
        ax_, ay_ = to_disp.transform(anchors[i])
        w, h = boxes[i].width, boxes[i].height
        step = max(h / 2, 2.0)
        found = None
        for k in range(1, 60):
            r = k * step
            for ang in np.linspace(0, 2 * np.pi, 24, endpoint=False):
                cx, cy = ax_ + r * np.cos(ang) * (0.5 + w / (w + h)), ay_ + r * np.sin(ang)
                cand = matplotlib.transforms.Bbox.from_extents(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                if not clash(i, cand):
                    found = (cx, cy)
                    break
            if found:
                break
        if found is None:
            continue
        text.set_horizontalalignment("center")
        text.set_verticalalignment("center")
        text.set_position(to_disp.inverted().transform(found))
        boxes[i] = text.get_window_extent(renderer=renderer)


def _leader_lines(ax: Axes, texts: list[Text], anchors: list[tuple[float, float]], min_gap_px: float = 4.0) -> None:
    """Join each label that stands off its symbol to the symbol with a thin line."""
    from matplotlib.patches import FancyArrowPatch

    renderer = _renderer(ax.figure)
    for text, anchor in zip(texts, anchors):
        box = text.get_window_extent(renderer=renderer)
        ax_, ay_ = ax.transData.transform(anchor)
        dx = max(box.x0 - ax_, 0, ax_ - box.x1)
        dy = max(box.y0 - ay_, 0, ay_ - box.y1)
        if math.hypot(dx, dy) < min_gap_px:
            continue
        ax.add_patch(
            FancyArrowPatch(
                posA=text.get_position(),
                posB=anchor,
                patchA=text,
                arrowstyle="-",
                color=STYLE["text"],
                linewidth=0.4,
                shrinkA=1,
                shrinkB=2.5,
                zorder=STYLE["z"]["labels"] - 0.5,
            )
        )
