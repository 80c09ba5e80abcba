"""The programme's places and measures: schema, validation, loaders and simple selections."""

from __future__ import annotations

import functools
import json
import math
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from corridors import io, settings
from corridors._errors import ConfigError, DataError, where
from corridors.io import decode_list, encode_list, is_missing

__all__ = [
    "FIELDS",
    "KINDS",
    "LIST_FIELDS",
    "LOCATION_STATUSES",
    "POPULATION_UNITS",
    "REQUIRED_FIELDS",
    "RIVER_SYSTEMS",
    "STATUSES",
    "by_kind",
    "by_river_system",
    "by_unit",
    "load_sites",
    "located",
    "outside_range_states",
    "precision_areas",
    "unresolved",
    "validate_sites",
    "write_sites",
]

#: Kinds of place (the README section "The sites schema" says what each means).
KINDS: tuple[str, ...] = (
    "population_unit",
    "subpopulation",
    "protected_area",
    "hotspot",
    "outside_range",
    "captive",
    "candidate_reintroduction",
    "candidate_protected_area",
    "corridor_end",
    "locality",
)

#: Status of the deer at a place.
STATUSES: tuple[str, ...] = ("native", "introduced", "reintroduced", "captive", "candidate")

#: How well a place is located: ``located`` (known to a few km), ``approximate``
#: (placed from a description or general knowledge), ``unresolved`` (no geometry).
LOCATION_STATUSES: tuple[str, ...] = ("located", "approximate", "unresolved")

#: The work programme's population units (1-6) and planning units (7, 8).
POPULATION_UNITS: dict[int, str] = {
    1: "Upper Amu Darya",
    2: "Middle Amu Darya",
    3: "Lower Amu Darya",
    4: "Zarafshon",
    5: "Syr Darya",
    6: "Ile-Balkhash basin",
    7: "Groups outside the native range",
    8: "Captive breeding groups",
}

#: River systems a place may belong to.
RIVER_SYSTEMS: tuple[str, ...] = ("amu_darya", "zarafshon", "syr_darya", "ile")

#: Fields of the schema, in file order.
FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "alt_names",
    "kind",
    "population_unit",
    "code",
    "countries",
    "river",
    "river_system",
    "status",
    "measures",
    "parent",
    "area_ha",
    "location_status",
    "location_precision_km",
    "source",
)

#: Fields a user's file must have; the others default to empty (``[]`` or null).
REQUIRED_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "population_unit",
    "countries",
    "status",
    "location_status",
    "location_precision_km",
)

#: List-valued fields (``;``-joined text in GeoPackage and Shapefile).
LIST_FIELDS: tuple[str, ...] = ("alt_names", "population_unit", "countries", "measures")

_SCALAR_TEXT = ("code", "river", "river_system", "parent")


def _restore_shapefile_names(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Map field names a Shapefile cut to 10 characters back to the schema names."""
    renames = {}
    for field in FIELDS:
        short = field[:10]
        if len(field) > 10 and field not in gdf.columns and short in gdf.columns:
            renames[short] = field
    return gdf.rename(columns=renames)


def validate_sites(gdf: gpd.GeoDataFrame, path: object = "sites") -> gpd.GeoDataFrame:
    """Check a sites table against the schema and normalise its fields.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Sites as read from a file (list fields as lists or ``;``-joined text).
    path : object, default "sites"
        Name of the source, used in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows, columns in schema order, list fields as lists of str
        (``population_unit`` as lists of int), numbers as float, empty text
        as None.

    Raises
    ------
    DataError
        Naming the file, the feature and the field: missing field, unknown
        kind / status / location status / river system / population unit,
        duplicate or empty id, bad number, invalid or empty
        geometry, missing geometry on a place that is not unresolved, or a
        geometry on an unresolved place.
    """
    gdf = _restore_shapefile_names(gdf)
    if gdf.crs is None:
        raise DataError(f"{where(path)}: no CRS; set one (WGS84 for GeoJSON) so the sites can be reprojected.")
    missing = [f for f in REQUIRED_FIELDS if f not in gdf.columns]
    if missing:
        raise DataError(
            f"{where(path, field=missing[0])}: required field missing; add it to every feature "
            f"(required: {', '.join(REQUIRED_FIELDS)})."
        )
    gdf = gdf.reset_index(drop=True).copy()
    for field in FIELDS:
        if field not in gdf.columns:
            gdf[field] = None

    ids = []
    for i, value in enumerate(gdf["id"]):
        if is_missing(value):
            raise DataError(f"{where(path, f'row {i}', 'id')}: empty id; give every feature a unique lowercase slug.")
        ids.append(str(value).strip())
    seen: set[str] = set()
    for sid in ids:
        if sid in seen:
            raise DataError(f"{where(path, sid, 'id')}: duplicate id; ids must be unique, rename one of them.")
        seen.add(sid)
    gdf["id"] = ids

    records: dict[str, list[Any]] = {f: [] for f in FIELDS if f != "id"}
    for sid, row in zip(ids, gdf.itertuples(index=False)):
        rec = row._asdict()

        def bad(field: str, what: str, fix: str, _sid: str = sid) -> DataError:
            return DataError(f"{where(path, _sid, field)}: {what}; {fix}.")

        if is_missing(rec["name"]):
            raise bad("name", "empty name", "give the place its name as the programme writes it")
        records["name"].append(str(rec["name"]).strip())
        records["alt_names"].append(decode_list(rec["alt_names"]))
        for field, allowed in (("kind", KINDS), ("status", STATUSES), ("location_status", LOCATION_STATUSES)):
            value = "" if is_missing(rec[field]) else str(rec[field]).strip()
            if value not in allowed:
                raise bad(field, f"unknown value {value!r}", f"use one of {', '.join(allowed)}")
            records[field].append(value)
        units = []
        for u in decode_list(rec["population_unit"]):
            try:
                n = int(float(u))
            except ValueError:
                raise bad("population_unit", f"{u!r} is not a unit number", "use numbers 1-8, ';'-separated") from None
            if n not in POPULATION_UNITS:
                raise bad("population_unit", f"unknown unit {n}", "use numbers 1-8 (see POPULATION_UNITS)")
            units.append(n)
        records["population_unit"].append(units)
        countries = decode_list(rec["countries"])
        for c in countries:
            if len(c) != 3 or not c.isalpha() or not c.isupper():
                raise bad("countries", f"{c!r} is not an ISO3 code", "use upper-case ISO 3166 alpha-3 codes like UZB")
        if not countries:
            raise bad("countries", "no country", "give at least one ISO3 code")
        records["countries"].append(countries)
        for field in _SCALAR_TEXT:
            records[field].append(None if is_missing(rec[field]) else str(rec[field]).strip())
        if records["river_system"][-1] is not None and records["river_system"][-1] not in RIVER_SYSTEMS:
            raise bad(
                "river_system",
                f"unknown value {records['river_system'][-1]!r}",
                f"use one of {', '.join(RIVER_SYSTEMS)} or leave empty",
            )
        records["measures"].append(decode_list(rec["measures"]))
        for field in ("area_ha", "location_precision_km"):
            value = rec[field]
            if is_missing(value):
                records[field].append(None)
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise bad(field, f"{value!r} is not a number", "give a number or leave it empty") from None
            if not math.isfinite(number) or number < 0:
                raise bad(field, f"{value!r} is not a non-negative number", "give a positive number")
            records[field].append(number)
        records["source"].append("" if is_missing(rec["source"]) else str(rec["source"]))

    # object columns keep None for empty text (pandas would otherwise infer a string dtype with NaN)
    columns = {f: pd.Series(v, dtype=object) for f, v in {"id": ids, **records}.items()}
    for field in ("area_ha", "location_precision_km"):
        columns[field] = pd.Series(records[field], dtype=float)
    out = gpd.GeoDataFrame(columns, geometry=gdf.geometry.values, crs=gdf.crs)
    for sid, geom, status, prec in zip(out["id"], out.geometry, out["location_status"], out["location_precision_km"]):
        if status == "unresolved":
            if geom is not None:
                raise DataError(
                    f"{where(path, sid, 'geometry')}: an unresolved place has a geometry; remove it or set "
                    "location_status to 'approximate' or 'located'."
                )
            continue
        if geom is None:
            raise DataError(
                f"{where(path, sid, 'geometry')}: no geometry on a place that is {status!r}; add a point or polygon, "
                "or set location_status to 'unresolved'."
            )
        problem = io.geometry_problem(geom)
        if problem:
            raise DataError(f"{where(path, sid, 'geometry')}: {problem}.")
        if prec is None or math.isnan(prec):
            raise DataError(
                f"{where(path, sid, 'location_precision_km')}: no precision on a placed site; give the radius in km "
                "within which the true place lies."
            )
    return out[[*FIELDS, out.geometry.name]]


def load_sites(
    path: str | os.PathLike | None = None, to_crs: CRS | str | None = settings.WORKING_CRS
) -> gpd.GeoDataFrame:
    """Load and validate a sites file (the bundled ``data/sites.geojson`` by default).

    Parameters
    ----------
    path : path-like, optional
        GeoJSON, GeoPackage or Shapefile with the sites schema (Shapefile
        field names cut to 10 characters are mapped back). Default: the
        bundled programme sites.
    to_crs : pyproj.CRS or str or None, default the working CRS
        Reproject to this CRS; ``None`` keeps the file's CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place; list fields as Python lists; unresolved places
        have a null geometry.

    Raises
    ------
    DataError
        If the file is missing, unreadable, empty, has no CRS, or breaks the
        schema (see :func:`validate_sites`).

    Examples
    --------
    >>> sites = load_sites()
    >>> sorted(sites.loc[sites.kind == "hotspot", "code"])[:2]
    ['HS35', 'HS38']
    """
    p = Path(settings.SITES_PATH if path is None else path)
    gdf = io.read_vector(p, to_crs=None)
    gdf = validate_sites(gdf, p)
    if to_crs is not None:
        gdf = gdf.to_crs(to_crs)
        io.check_reprojected(gdf, p)
    _warn_outside_range_states(gdf, p)
    return gdf


@functools.lru_cache(maxsize=1)
def _range_states() -> Any:
    """The Range States as one prepared geometry in the working CRS (Natural Earth, ``data/base/countries.geojson``)."""
    countries = io.load_base("countries")
    union = shapely.union_all(countries.loc[countries["ISO_A3"].isin(settings.RANGE_STATES)].geometry.values)
    shapely.prepare(union)
    return union


def outside_range_states(
    sites: gpd.GeoDataFrame, tolerance_km: float = settings.RANGE_STATES_TOLERANCE_KM
) -> pd.DataFrame:
    """The placed sites that lie outside the Range States, and whether swapping longitude and latitude puts them inside.

    Every place of the programme lies in Afghanistan, Kazakhstan,
    Tajikistan, Turkmenistan or Uzbekistan; a place far outside is almost
    always a coordinate mistake, most often ``[latitude, longitude]`` where
    GeoJSON wants ``[longitude, latitude]`` (such a place still reprojects,
    so :func:`corridors.io.check_reprojected` cannot see it).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Sites of the schema, in any CRS; unresolved places are skipped.
    tolerance_km : float, default ``settings.RANGE_STATES_TOLERANCE_KM``
        How far beyond the Range States' borders a place may lie, added to
        its own ``location_precision_km``.

    Returns
    -------
    pandas.DataFrame
        One row per place beyond the tolerance: ``id``, ``name``,
        ``distance_km`` (to the nearest Range State) and ``swapped_inside``
        (True when the place with its two coordinates swapped, in WGS84,
        lies within the tolerance).
    """
    placed = sites[~(sites.geometry.isna() | sites.geometry.is_empty)]
    union = _range_states()
    tol_m = (tolerance_km + placed["location_precision_km"].fillna(0.0).to_numpy(dtype=float)) * 1000.0
    # A latitude beyond 90 degrees (as given, or once swapped) reprojects to infinity: far, never inside.
    with np.errstate(invalid="ignore"):
        dist = shapely.distance(union, placed.to_crs(settings.WORKING_CRS).geometry.to_numpy())
        far = ~(dist <= tol_m)
        geo = placed.geometry[far].to_crs(settings.GEOGRAPHIC_CRS).to_numpy()
        swapped = gpd.GeoSeries(shapely.transform(geo, lambda xy: xy[:, ::-1]), crs=settings.GEOGRAPHIC_CRS)
        dist_swapped = shapely.distance(union, swapped.to_crs(settings.WORKING_CRS).to_numpy())
    return pd.DataFrame({
        "id": placed["id"].to_numpy()[far],
        "name": placed["name"].to_numpy()[far],
        "distance_km": dist[far] / 1000.0,
        "swapped_inside": np.isfinite(dist_swapped) & (dist_swapped <= tol_m[far]),
    })


def _some(ids: Any) -> str:
    """Up to five ids, quoted, and how many more."""
    ids = list(ids)
    return ", ".join(map(repr, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _warn_outside_range_states(sites: gpd.GeoDataFrame, path: object) -> None:
    """Warn, naming the file and the places, when placed sites lie outside the Range States (:func:`outside_range_states`)."""
    far = outside_range_states(sites)
    if not len(far):
        return
    n_placed = int((~(sites.geometry.isna() | sites.geometry.is_empty)).sum())
    msg = (f"{path}: {len(far)} of {n_placed} placed sites lie more than {settings.RANGE_STATES_TOLERANCE_KM:g} km "
           f"(plus their precision) outside the Range States ({', '.join(settings.RANGE_STATES)}): {_some(far['id'])}")
    swap = far["swapped_inside"]
    if swap.all():
        msg += ("; with longitude and latitude swapped they would lie inside, so the file probably gives "
                "[latitude, longitude]: GeoJSON and WGS84 files want [longitude, latitude]")
    elif swap.any():
        msg += (f"; longitude and latitude may be swapped for {_some(far['id'][swap])} (swapped they would lie inside); "
                "check the coordinates of the others and the file's CRS")
    else:
        msg += "; check their coordinates and the file's CRS"
    warnings.warn(msg + ".", stacklevel=3)


def _flat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy with list fields joined by ``;`` (the GeoPackage / Shapefile form)."""
    flat = gdf.copy()
    for field in LIST_FIELDS:
        if field in flat.columns:
            flat[field] = flat[field].map(encode_list)
    return flat


def _geojson(gdf: gpd.GeoDataFrame, digits: int = 4) -> dict[str, Any]:
    """A GeoJSON FeatureCollection dict (WGS84, coordinates rounded, list fields as arrays)."""
    wgs = gdf.to_crs(settings.GEOGRAPHIC_CRS)
    features = []
    for row in wgs.itertuples(index=False):
        rec = row._asdict()
        geom = rec.pop(wgs.geometry.name)
        props = {}
        for field in FIELDS:
            value = rec.get(field)
            if field in LIST_FIELDS:
                value = [int(v) for v in value] if field == "population_unit" else list(value)
            elif is_missing(value):
                value = None
            elif isinstance(value, (np.floating, float)):
                value = float(value)
            props[field] = value
        g = None if geom is None else shapely.geometry.mapping(shapely.set_precision(geom, 10.0**-digits))
        features.append({"type": "Feature", "properties": props, "geometry": g})
    return {"type": "FeatureCollection", "name": "sites", "features": features}


def write_sites(sites: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write sites in the schema: GeoJSON (WGS84, list fields as arrays), GeoPackage or Shapefile.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Sites as :func:`load_sites` returns them.
    path : path-like
        ``.geojson``/``.json``, ``.gpkg`` (layer ``sites``) or ``.shp``. In
        GeoPackage and Shapefile, list fields are ``;``-joined text. A
        Shapefile cuts field names to 10 characters (:func:`load_sites` maps
        them back) and text to 254 characters (long ``source`` texts are cut,
        with one ``UserWarning`` saying how many).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ConfigError
        For another suffix, or a Shapefile asked for sites that mix points and
        polygons (a Shapefile holds one geometry type).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    # Every format goes through a staged folder in the target's folder (shared=True): a file of the same name is
    # replaced only if corridors wrote it (listed in the folder's manifest); a user's own file stops the export.
    if suffix in (".geojson", ".json"):
        with io.staged_folder(p.parent, name=p.name, shared=True) as tmpdir:
            doc = _geojson(sites)
            # one feature per line: small, readable diffs when a place moves
            lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in doc["features"]]
            (tmpdir / p.name).write_text(
                '{"type":"FeatureCollection","name":"sites","features":[\n' + ",\n".join(lines) + "\n]}\n",
                encoding="utf-8",
            )
        return p
    if suffix == ".gpkg":
        with io.staged_folder(p.parent, name=p.name, shared=True) as tmpdir:
            io.write_geopackage({"sites": _flat(sites)}, tmpdir / p.name)
        return p
    if suffix == ".shp":
        types = {t.replace("Multi", "") for t in sites.geometry.dropna().geom_type}
        if len(types) > 1:
            raise ConfigError(
                f"{p}: a Shapefile holds one geometry type but these sites mix {', '.join(sorted(types))}; "
                "write a GeoPackage, or select one type first (e.g. leave out the population_unit polygons)."
            )
        # A Shapefile is several files (.shp .shx .dbf .prj .cpg): write them in a
        # temporary folder next to the target, then move each one into place.
        with io.staged_folder(p.parent, name=p.name, shared=True) as tmpdir:  # replaces only its own files
            flat = _flat(sites)
            text_cols = [c for c in flat.columns if c != flat.geometry.name and flat[c].dtype == object]
            cut = sum(int((flat[c].map(lambda v: len(v) if isinstance(v, str) else 0) > 254).sum()) for c in text_cols)
            with warnings.catch_warnings():
                # the 10-character names are expected (load_sites maps them back);
                # text cut to 254 characters is reported once below, in our words
                warnings.filterwarnings("ignore", message="Normalized/laundered field name")
                warnings.filterwarnings("ignore", message="Column names longer than 10 characters")
                warnings.filterwarnings("ignore", message=".*has been truncated to 254 characters")
                flat.to_file(tmpdir / p.name, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
        if cut:
            warnings.warn(
                f"{p}: {cut} text value(s) longer than 254 characters were cut (a Shapefile limit, mostly 'source'); "
                "write a GeoPackage to keep them whole.",
                UserWarning,
                stacklevel=2,
            )
        return p
    raise ConfigError(f"{p}: unknown sites format {suffix!r}; write .geojson, .gpkg or .shp.")


def unresolved(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The places that could not be located (no geometry); report them wherever results are shown.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame

    Returns
    -------
    geopandas.GeoDataFrame
    """
    return sites[sites["location_status"] == "unresolved"]


def located(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The places with a geometry (``located`` or ``approximate``).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame

    Returns
    -------
    geopandas.GeoDataFrame
    """
    return sites[sites["location_status"] != "unresolved"]


def by_kind(sites: gpd.GeoDataFrame, kinds: str | Iterable[str]) -> gpd.GeoDataFrame:
    """Select places of one or several kinds.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
    kinds : str or iterable of str
        Members of ``KINDS``.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    ConfigError
        For a kind not in ``KINDS``.
    """
    wanted = [kinds] if isinstance(kinds, str) else list(kinds)
    for k in wanted:
        if k not in KINDS:
            raise ConfigError(f"kind {k!r} is unknown; use one of {', '.join(KINDS)}.")
    return sites[sites["kind"].isin(wanted)]


def by_unit(sites: gpd.GeoDataFrame, unit: int) -> gpd.GeoDataFrame:
    """Select places that belong to a population unit (a hotspot may belong to two).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
    unit : int
        1-8 (see ``POPULATION_UNITS``).

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    ConfigError
        For a number not in ``POPULATION_UNITS``.
    """
    if unit not in POPULATION_UNITS:
        raise ConfigError(f"population unit {unit!r} is unknown; use 1-8.")
    return sites[sites["population_unit"].map(lambda us: unit in us)]


def by_river_system(sites: gpd.GeoDataFrame, system: str) -> gpd.GeoDataFrame:
    """Select places of one river system.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
    system : str
        One of ``RIVER_SYSTEMS``.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    ConfigError
        For a name not in ``RIVER_SYSTEMS``.
    """
    if system not in RIVER_SYSTEMS:
        raise ConfigError(f"river system {system!r} is unknown; use one of {', '.join(RIVER_SYSTEMS)}.")
    return sites[sites["river_system"] == system]


def precision_areas(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Areas within which each placed site lies: points buffered by their precision radius, polygons as they are.

    Buffers are drawn in the working CRS (metres) and returned in the sites'
    CRS. Unresolved places are left out.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns, polygon geometries.
    """
    placed = located(sites)
    crs = placed.crs
    work = placed.to_crs(settings.WORKING_CRS)
    radius = work["location_precision_km"].astype(float).fillna(0.0).to_numpy() * 1000.0
    is_point = work.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    geoms = np.where(is_point, work.geometry.buffer(radius, quad_segs=16).values, work.geometry.values)
    out = gpd.GeoDataFrame(work.drop(columns=work.geometry.name), geometry=list(geoms), crs=settings.WORKING_CRS)
    return out.to_crs(crs) if crs is not None else out
