"""The programme map (Figure 1 of the work programme), redrawn from the sites data: :func:`programme_map`."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from corridors import settings
from corridors._errors import ConfigError
from corridors.io import decode_list
from corridors.plot.labels import _clear_spot, place_labels
from corridors.plot.style import (
    FRAME_DENSIFY_PTS,
    STYLE,
    _check_bounds,
    _four_numbers,
    _renderer,
    add_north_arrow,
    add_scale_bar,
    base_map,
    halo,
)
from corridors.raster import degree_bounds
from corridors.rivers import load_rivers
from corridors.sites import load_sites, unresolved

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

#: The title of the map of the bundled sites (the programme's own Figure 1).
PROGRAMME_TITLE = "Bukhara deer: population units of the work programme 2025-2032 and major subpopulations"


def _units(value: object) -> list[int]:
    # decode_list gives text ('1'); float() first keeps a unit stored as 1.0 readable, as int(1.0) was.
    return [int(float(v)) for v in decode_list(value)]




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
        measures = [m for m in decode_list(row.get("measures")) if m]
        return ", ".join(measures) if measures else _short_name(row["name"])
    if detail and kind in ("protected_area", "captive"):
        return _short_name(row["name"])
    return None


def _told_apart(sites: gpd.GeoDataFrame) -> dict[str, str]:
    """Lettered labels for the places whose labels would read the same (two sites of measure 2.10: 2.10a, 2.10b).

    Returns
    -------
    dict of str to str
        Site id to its lettered label, for the located places whose label
        text (:func:`_site_label` with ``detail``) is shared; letters run
        west to east. The map's note lists each with its place.
    """
    located = sites[sites.geometry.notna() & ~sites.geometry.is_empty]
    groups: dict[str, list[tuple[float, str]]] = {}
    for _, row in located.iterrows():
        text = _site_label(row, detail=True)
        if text is not None:
            groups.setdefault(text, []).append((row.geometry.representative_point().x, row["id"]))
    told = {}
    for text, members in groups.items():
        if len(members) > 1:
            for k, (_, sid) in enumerate(sorted(members)):
                told[sid] = text + "abcdefghijklmnopqrstuvwxyz"[k % 26]
    return told


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
            va="center", zorder=STYLE["z"]["labels"], path_effects=halo(1.5), gid=f"river:{wanted}",
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
    title: str | None = PROGRAMME_TITLE,
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
        River lines; default :func:`corridors.rivers.load_rivers`.
    bounds : (xmin, ymin, xmax, ymax), optional
        Frame of the overview in working-CRS metres; default the programme extent (as :func:`base_map`).
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
    sites = load_sites() if sites is None else sites
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
    rv = load_rivers() if rivers is None else rivers.to_crs(settings.WORKING_CRS)
    main_b = degree_bounds(settings.PROGRAMME_BOUNDS_DEG, densify_pts=FRAME_DENSIFY_PTS) if bounds is None else _check_bounds(bounds)
    if inset:
        inset_deg = _four_numbers(inset_bounds_deg, "programme_map option 'inset_bounds_deg'", "(west, south, east, north) in degrees")
        inset_b = _check_bounds(degree_bounds(inset_deg, densify_pts=FRAME_DENSIFY_PTS))
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
    told = _told_apart(sites)
    drawn = [
        _draw_sites(this_ax, sites, skip_labels_in=skip, detail=this_ax is iax, precision_circles=precision_circles,
                    told=told)
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

    handles = _legend_handles(sites, precision_circles, rv, corridor_lines=any(
        line.get_gid() == "corridor-line" for a, _ in axes_done for line in a.lines))
    fig.legend(
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
        unres = unresolved(sites)
        if len(unres):
            items = []
            for _, row in unres.iterrows():
                ms = ", ".join(decode_list(row.get("measures")))
                items.append(f"{row['name']}" + (f" (measure {ms})" if ms else "") + f" [{row['id']}]")
            note = "Not mapped, location unresolved: " + "; ".join(items) + "."
        else:
            note = "Every place of the programme is mapped (none unresolved)."
        if told:
            names = sites.set_index("id")["name"]
            note += " Labels told apart: " + "; ".join(
                f"{text} {_short_name(names[sid])}" for sid, text in sorted(told.items(), key=lambda kv: kv[1])) + "."
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
    told: dict[str, str] | None = None,
) -> tuple[list[Text], list[tuple[float, float]], list[tuple[float, float]]]:
    """Draw units, hotspots and site symbols on one map axes and create (not yet place) their labels.

    ``told`` (:func:`_told_apart`) replaces the labels that would otherwise
    read the same. Returns the labels, their anchors and the positions of
    every symbol (which labels must not cover).
    """
    from matplotlib.patches import Circle

    told = told or {}
    z = STYLE["z"]["overlay"]
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    view = shapely.box(xmin, ymin, xmax, ymax)
    texts: list[Text] = []
    anchors: list[tuple[float, float]] = []
    sym_xy: list[tuple[float, float]] = []
    label_kw = dict(fontsize=STYLE["label_size"], color=STYLE["text"], ha="center", va="center", path_effects=halo())

    def add_label(x: float, y: float, text: str | None, gid: str, **kw) -> None:
        # Labelled once in the figure: only inside this view and outside the part the inset shows.
        if text is None or not view.contains(shapely.Point(x, y)):
            return
        if skip_labels_in is not None and skip_labels_in.contains(shapely.Point(x, y)):
            return
        text = told.get(gid.removeprefix("label:"), text)
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
            for m in decode_list(ms):
                by_measure.setdefault(m, []).append(geom)
        for geoms in by_measure.values():
            if len(geoms) >= 2:
                ax.plot([g.x for g in geoms], [g.y for g in geoms], zorder=z + 2, gid="corridor-line", **_CORRIDOR_LINE)

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
                # Upright and bold: italic is the rivers' type (and blue-green their colour).
                add_label(rp.x, rp.y, text, gid, fontweight="bold", fontsize=STYLE["font_size"] - 0.5,
                          color=STYLE["unit_colours"][7])
            elif kind in ("protected_area", "captive"):
                add_label(rp.x, rp.y, text, gid, fontstyle="italic", fontsize=STYLE["font_size"] - 0.5,
                          color="#4a4a4a")
            else:
                add_label(rp.x, rp.y, text, gid, fontsize=STYLE["font_size"], color=STYLE["candidate"])
    return texts, anchors, sym_xy


#: The dotted line joining the ends of a corridor measure (e.g. 6.4 along the Syr Darya).
_CORRIDOR_LINE = {"color": STYLE["candidate"], "linewidth": 0.8, "linestyle": (0, (1, 1.5))}


def _legend_handles(
    sites: gpd.GeoDataFrame, precision_circles: bool, rivers: gpd.GeoDataFrame, corridor_lines: bool = False
) -> list:
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
    if corridor_lines:
        handles.append(Line2D([], [], label="Candidate corridor between its ends (measure)", **_CORRIDOR_LINE))
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
