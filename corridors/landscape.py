"""Resistance and habitat-suitability surfaces: from the bundled vector layers by an editable table, or from the user's rasters."""

from __future__ import annotations

import copy
import csv
import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio.features
import rasterio.warp
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pyproj import CRS
from rasterio.crs import CRS as RioCRS
from rasterio.enums import Resampling
from scipy import ndimage

from corridors import settings
from corridors._errors import ConfigError, DataError, where
from corridors.borders import border_id, load_borders
from corridors.io import load_base, read_vector
from corridors.raster import Raster

#: The landscape classes every resistance table must define, in the order they are
#: painted (a later class overwrites an earlier one).
CLASSES: tuple[str, ...] = ("open_lowland", "desert", "mountain", "floodplain", "riparian", "lake", "settlement")

#: Integer code of each class in the class raster (:func:`build_classes`); 0 is no data (sea).
CLASS_CODES: dict[str, int] = {name: i + 1 for i, name in enumerate(CLASSES)}

#: Code of border cells in the border raster is the 1-based index into ``BorderTable.ids``.
_NODATA = np.nan


# ----------------------------------------------------------------------------- the table
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LandClass(_Strict):
    """One landscape class of the resistance table."""

    resistance: float = Field(gt=0, description="Cost of one metre through the class, relative to riparian = 1.")
    suitability: float = Field(ge=0, le=1, description="Habitat quality, 0 (none) to 1 (best).")
    why: str = Field(min_length=1, description="The expert reasoning behind the values.")


class Zones(_Strict):
    """Distances that turn vector layers into zones."""

    riparian_m: float = Field(gt=0)
    floodplain_m: float = Field(gt=0)
    settlement_per_100k_m: float = Field(ge=0)
    settlement_min_m: float = Field(ge=0)
    settlement_max_m: float = Field(ge=0)
    border_width_m: float = Field(ge=0)


class ResistanceTable(_Strict):
    """The whole resistance/suitability model (``data/resistance.yml``)."""

    version: int = 1
    classes: dict[str, LandClass]
    regions: dict[str, str] = Field(default_factory=dict)
    region_names: dict[str, str] = Field(default_factory=dict)
    zones: Zones
    borders: dict[str, float]


def _table_error(path: object, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    return ConfigError(f"{where(path, field=field)}: {err['msg']}; fix the value in the resistance table.")


def load_table(table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None) -> ResistanceTable:
    """Read and validate a resistance table.

    Parameters
    ----------
    table : path-like, mapping, ResistanceTable or None
        A YAML file like ``data/resistance.yml`` (the default), its content as
        a mapping, or an already loaded table.

    Returns
    -------
    ResistanceTable

    Raises
    ------
    ConfigError
        If a class is missing, a value is out of range (resistance must be
        > 0, suitability within 0-1), a region maps to an unknown class, or a
        border id is malformed.
    """
    if isinstance(table, ResistanceTable):
        return table
    path: object = "resistance table"
    if table is None or isinstance(table, (str, os.PathLike)):
        path = Path(table) if table is not None else settings.RESISTANCE_TABLE_PATH
        if not Path(path).exists():
            raise ConfigError(f"{path}: resistance table not found; give the path of a YAML file like data/resistance.yml.")
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc}); fix the syntax.") from exc
    else:
        raw = dict(table)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: a resistance table must be a YAML mapping with classes, zones and borders.")
    try:
        t = ResistanceTable.model_validate(raw)
    except ValidationError as exc:
        raise _table_error(path, exc) from exc
    missing = [c for c in CLASSES if c not in t.classes]
    if missing:
        raise ConfigError(
            f"{where(path, field='classes')}: class {missing[0]!r} is missing; every table defines {', '.join(CLASSES)}."
        )
    extra = [c for c in t.classes if c not in CLASSES]
    if extra:
        raise ConfigError(f"{where(path, field='classes')}: unknown class {extra[0]!r}; use only {', '.join(CLASSES)}.")
    for group in ("regions", "region_names"):
        for feat, cls in getattr(t, group).items():
            if cls not in CLASSES:
                raise ConfigError(f"{where(path, field=f'{group}.{feat}')}: unknown class {cls!r}; use one of {', '.join(CLASSES)}.")
    if "default" not in t.borders:
        raise ConfigError(f"{where(path, field='borders.default')}: missing; give the resistance of borders not listed.")
    for bid, value in t.borders.items():
        _check_border_key(path, bid)
        if not value > 0:
            raise ConfigError(f"{where(path, field=f'borders.{bid}')}: resistance must be > 0, got {value}.")
    return t


def _check_border_key(path: object, bid: str) -> None:
    if bid == "default":
        return
    parts = bid.split("-")
    if len(parts) != 2 or not all(len(p) == 3 and p.isalpha() and p.isupper() for p in parts):
        raise ConfigError(f"{where(path, field=f'borders.{bid}')}: a border id reads like 'TKM-UZB' (two ISO3 codes).")
    if border_id(*parts) != bid:
        raise ConfigError(
            f"{where(path, field=f'borders.{bid}')}: write the ISO3 codes in alphabetical order: {border_id(*parts)!r}."
        )


def apply_overrides(table: ResistanceTable, overrides: Mapping[str, Any] | None) -> ResistanceTable:
    """A copy of ``table`` with some resistances replaced.

    Parameters
    ----------
    table : ResistanceTable
    overrides : mapping, optional
        Either nested, ``{"classes": {"desert": 80}, "borders": {"TKM-UZB": 50}}``
        (a class value may also be a mapping of ``resistance``/``suitability``),
        or flat, ``{"desert": 80, "TKM-UZB": 50}`` (border ids are told from
        class names by their form).

    Returns
    -------
    ResistanceTable

    Raises
    ------
    ConfigError
        If a key names no class or border id, or a value is not positive.
    """
    if not overrides:
        return table
    t = copy.deepcopy(table)
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in ("classes", "borders") and isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    for key, value in flat.items():
        if key in t.classes:
            fields = value if isinstance(value, Mapping) else {"resistance": value}
            data = t.classes[key].model_dump() | dict(fields)
            try:
                t.classes[key] = LandClass.model_validate(data)
            except ValidationError as exc:
                raise _table_error("overrides", exc) from exc
        elif key == "default" or "-" in key:
            _check_border_key("overrides", key)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ConfigError(f"{where('overrides', field=key)}: a border resistance must be a number > 0, got {value!r}.")
            t.borders[key] = float(value)
        else:
            raise ConfigError(
                f"{where('overrides', field=key)}: not a class ({', '.join(CLASSES)}) nor a border id like 'TKM-UZB'; fix the key."
            )
    return t


# ----------------------------------------------------------------------------- grids
def programme_bounds() -> tuple[float, float, float, float]:
    """The programme extent (``settings.PROGRAMME_BOUNDS_DEG``) in the working CRS, metres."""
    from pyproj import Transformer

    tr = Transformer.from_crs(settings.GEOGRAPHIC_CRS, settings.WORKING_CRS, always_xy=True)
    return tuple(float(v) for v in tr.transform_bounds(*settings.PROGRAMME_BOUNDS_DEG))  # type: ignore[return-value]


def bounds_around(
    geoms: gpd.GeoDataFrame | gpd.GeoSeries, margin_m: float = 100_000.0
) -> tuple[float, float, float, float]:
    """Bounds (working CRS) of some features grown by ``margin_m`` on every side.

    Parameters
    ----------
    geoms : GeoDataFrame or GeoSeries
        Features in the working CRS (null geometries are ignored).
    margin_m : float, default 100 km
        Margin added on each side.

    Returns
    -------
    tuple of float
        (left, bottom, right, top).
    """
    g = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    g = g[~g.isna() & ~g.is_empty]
    if len(g) == 0:
        raise DataError("bounds_around: no feature has a geometry; give features with locations.")
    x0, y0, x1, y1 = g.total_bounds
    return (x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)


def make_grid(
    bounds: Sequence[float] | None = None, resolution: float = settings.DEFAULT_RESOLUTION_M, name: str = "template"
) -> Raster:
    """An empty float32 grid in the working CRS (NaN everywhere), snapped to whole cells.

    Parameters
    ----------
    bounds : sequence of 4 floats, optional
        (left, bottom, right, top) in working-CRS metres; default the programme extent.
    resolution : float
        Cell size in metres.
    name : str
        Label used in error messages.

    Returns
    -------
    Raster
    """
    if resolution is None or not resolution > 0:
        raise ConfigError(f"{where(field='resolution')}: the cell size must be a positive number of metres, got {resolution!r}.")
    b = tuple(programme_bounds() if bounds is None else bounds)
    if len(b) != 4 or not (b[2] > b[0] and b[3] > b[1]):
        raise ConfigError(f"{where(field='bounds')}: give (left, bottom, right, top) with right > left and top > bottom, got {b!r}.")
    cells = ((b[2] - b[0]) / resolution) * ((b[3] - b[1]) / resolution)
    if cells > 2.5e8:
        raise ConfigError(
            f"{where(field='resolution')}: {resolution:g} m over these bounds makes {cells:.3g} cells; use a coarser cell size or smaller bounds."
        )
    return Raster.from_bounds(b, resolution, settings.WORKING_CRS, fill=np.nan, dtype="float32", name=name)


#: Alias of :func:`make_grid` (the name the other engines know it by).
template = make_grid


def _rasterize(geoms: Sequence[Any], values: Sequence[Any] | Any, grid: Raster, all_touched: bool = False, dtype: str = "uint8") -> np.ndarray:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    out = np.zeros(grid.shape, dtype=dtype)
    if not geoms:
        return out
    if not isinstance(values, (list, tuple, np.ndarray)):
        values = [values] * len(geoms)
    rasterio.features.rasterize(
        list(zip(geoms, values)), out=out, transform=grid.transform, all_touched=all_touched, dtype=dtype
    )
    return out


def _distance_m(mask: np.ndarray, cell: float) -> np.ndarray:
    """Euclidean distance (m) from each cell centre to the nearest True cell (scipy's exact EDT)."""
    if not mask.any():
        return np.full(mask.shape, np.inf, dtype="float32")
    return (ndimage.distance_transform_edt(~mask) * cell).astype("float32")


# ----------------------------------------------------------------------------- layers
@functools.lru_cache(maxsize=1)
def _layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: load_base(name) for name in ("countries", "lakes", "regions", "towns")}


def load_river_lines() -> gpd.GeoDataFrame:
    """River centrelines in the working CRS: ``corridors.rivers.load_rivers()``, else ``data/rivers/rivers.geojson``, else Natural Earth.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    try:
        from corridors.rivers import load_rivers  # the project's river layer (foundation issue)
    except ImportError:
        load_rivers = None
    if load_rivers is not None:
        rivers = load_rivers()
        if rivers.crs is not None:
            return rivers.to_crs(settings.WORKING_CRS)
    curated = settings.RIVERS_DIR / "rivers.geojson"
    if curated.exists():
        return read_vector(curated)
    return read_vector(settings.RIVERS_DIR / "naturalearth_rivers.geojson")


def build_classes(
    bounds: Sequence[float] | None = None,
    resolution: float = settings.DEFAULT_RESOLUTION_M,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    rivers: gpd.GeoDataFrame | None = None,
) -> Raster:
    """The landscape-class raster (codes of :data:`CLASS_CODES`; 0 = sea/no data).

    Parameters
    ----------
    bounds, resolution
        The grid (see :func:`make_grid`).
    table : path, mapping or ResistanceTable, optional
        Supplies the zone widths and the region -> class map (default ``data/resistance.yml``).
    rivers : GeoDataFrame, optional
        River centrelines (default :func:`load_river_lines`).

    Returns
    -------
    Raster
        uint8 codes; ``nodata`` 0.
    """
    t = load_table(table)
    grid = make_grid(bounds, resolution)
    cell = grid.cellsize
    layers = _layers()
    land = _rasterize(list(layers["countries"].geometry), 1, grid, all_touched=True).astype(bool)
    codes = np.where(land, CLASS_CODES["open_lowland"], 0).astype("uint8")
    regions = layers["regions"]
    # Paint regions in their order of class (desert, then mountain) so mountains win where outlines overlap.
    # A region's class: by its name if the table lists it (region_names), else by its feature class.
    region_class = [t.region_names.get(str(n), t.regions.get(str(fc))) for n, fc in zip(regions["name"], regions["featurecla"])]
    for cls in ("open_lowland", "desert", "mountain"):
        feats = [g for g, c in zip(regions.geometry, region_class) if c == cls]
        m = _rasterize(feats, 1, grid).astype(bool) & land
        codes[m] = CLASS_CODES[cls]
    rivers = load_river_lines() if rivers is None else rivers
    river_mask = _rasterize(list(rivers.geometry), 1, grid, all_touched=True).astype(bool)
    dist = _distance_m(river_mask, cell)
    codes[(dist <= t.zones.floodplain_m) & land] = CLASS_CODES["floodplain"]
    codes[((dist <= t.zones.riparian_m) | river_mask) & land] = CLASS_CODES["riparian"]
    del dist
    lakes = _rasterize(list(layers["lakes"].geometry), 1, grid).astype(bool)
    codes[lakes] = CLASS_CODES["lake"]
    towns = layers["towns"]
    pop = towns["pop_max"].fillna(0).clip(lower=0).to_numpy(dtype=float)
    z = t.zones
    radius = np.clip(z.settlement_per_100k_m * np.sqrt(pop / 1e5), z.settlement_min_m, max(z.settlement_min_m, z.settlement_max_m))
    town_geoms = list(towns.geometry.buffer(radius))
    towns_mask = _rasterize(town_geoms, 1, grid).astype(bool)
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
    codes = _rasterize(geoms, list(range(1, len(ids) + 1)), grid, all_touched=True, dtype=dtype)
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


def build_resistance(
    bounds: Sequence[float] | None = None,
    resolution: float = settings.DEFAULT_RESOLUTION_M,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    overrides: Mapping[str, Any] | None = None,
    classes: Raster | None = None,
) -> Raster:
    """The resistance surface of the bundled data, from the expert table ``data/resistance.yml``.

    Parameters
    ----------
    bounds : sequence of 4 floats, optional
        (left, bottom, right, top) in working-CRS metres (default: the
        programme extent, about 2500 x 1600 km). :func:`bounds_around` gives
        the extent of some sites plus a margin.
    resolution : float, default settings.DEFAULT_RESOLUTION_M (1 km)
        Cell size in metres.
    table : path, mapping or ResistanceTable, optional
        The resistance table (default ``data/resistance.yml``).
    overrides : mapping, optional
        Replaced resistances of classes or borders (see :func:`apply_overrides`),
        e.g. ``{"borders": {"TKM-UZB": 50}}`` for an opened fence.
    classes : Raster, optional
        A class raster from :func:`build_classes` on the same grid, to skip rebuilding it.

    Returns
    -------
    Raster
        float32 resistance (cost per metre, riparian = 1), NaN = impassable
        (sea), in the working CRS.

    Raises
    ------
    ConfigError
        If the table or an override is invalid.

    Examples
    --------
    >>> r = build_resistance(resolution=5000, overrides={"TKM-UZB": 100})  # doctest: +SKIP
    """
    t = apply_overrides(load_table(table), overrides)
    if classes is None:
        classes = build_classes(bounds, resolution, t)
    codes = classes.array
    lut = np.full(len(CLASSES) + 1, np.nan, dtype="float32")
    for name, code in CLASS_CODES.items():
        lut[code] = t.classes[name].resistance
    res = lut[codes]
    bmask, ids = build_border_ids(classes, t)
    # One crossing costs about value x border_width_m whatever the cell size: a strip one cell wide
    # (border narrower than a cell) gets value x width / cell; a wider strip is buffered to the width.
    scale = min(1.0, t.zones.border_width_m / classes.cellsize) if t.zones.border_width_m > 0 else 1.0
    bvals = np.array([np.nan] + [t.borders.get(i, t.borders["default"]) * scale for i in ids], dtype="float32")
    on_border = (bmask > 0) & (codes > 0)
    res[on_border] = np.maximum(res[on_border], bvals[bmask[on_border]])
    return Raster(res, classes.transform, classes.crs, None, "resistance")


def build_suitability(
    bounds: Sequence[float] | None = None,
    resolution: float = settings.DEFAULT_RESOLUTION_M,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    overrides: Mapping[str, Any] | None = None,
    classes: Raster | None = None,
) -> Raster:
    """The habitat-suitability surface (0-1) of the bundled data, from the same table and classes.

    Parameters
    ----------
    bounds, resolution, table, overrides, classes
        As for :func:`build_resistance` (an override may set
        ``{"classes": {"floodplain": {"suitability": 0.7}}}``).

    Returns
    -------
    Raster
        float32 in [0, 1]; NaN = sea.
    """
    t = apply_overrides(load_table(table), overrides)
    if classes is None:
        classes = build_classes(bounds, resolution, t)
    lut = np.full(len(CLASSES) + 1, np.nan, dtype="float32")
    for name, code in CLASS_CODES.items():
        lut[code] = t.classes[name].suitability
    return Raster(lut[classes.array], classes.transform, classes.crs, None, "suitability")


# ----------------------------------------------------------------------------- user rasters
def _rio_crs(crs: CRS | None) -> RioCRS | None:
    return None if crs is None else RioCRS.from_wkt(crs.to_wkt())


def warp_to(raster: Raster, template: Raster, resampling: str = "nearest") -> Raster:
    """Reproject and resample a raster onto the grid of ``template`` (rasterio.warp).

    Parameters
    ----------
    raster : Raster
        The input; must carry a CRS.
    template : Raster
        The target grid.
    resampling : str, default 'nearest'
        A rasterio resampling name: 'nearest' for classes, 'bilinear' or
        'average' for continuous values.

    Returns
    -------
    Raster
        float32 on the template grid; cells without data are NaN.

    Raises
    ------
    DataError
        If the raster has no CRS (and is not already on the template grid) or
        does not overlap the template.
    """
    if raster.crs is None:
        if raster.is_aligned(template):
            return template.replace(raster.masked().astype("float32"), nodata=None, name=raster.label)
        raise DataError(f"{raster.label}: the raster has no CRS; assign one (e.g. gdal_edit.py -a_srs) so it can be reprojected.")
    try:
        method = Resampling[resampling]
    except KeyError:
        raise ConfigError(f"{where(field='resampling')}: unknown method {resampling!r}; use nearest, bilinear, average or mode.") from None
    src = raster.masked().astype("float32")
    dst = np.full(template.shape, np.nan, dtype="float32")
    rasterio.warp.reproject(
        src,
        dst,
        src_transform=raster.transform,
        src_crs=_rio_crs(raster.crs),
        src_nodata=np.nan,
        dst_transform=template.transform,
        dst_crs=_rio_crs(template.crs),
        dst_nodata=np.nan,
        resampling=method,
    )
    if np.isnan(dst).all():
        raise DataError(f"{raster.label}: does not overlap the analysis grid {template.bounds}; give a raster covering the study area.")
    return Raster(dst, template.transform, template.crs, None, raster.label)


def _read_reclass(reclass: Mapping[Any, float] | str | os.PathLike) -> tuple[dict[float, float], str]:
    if isinstance(reclass, Mapping):
        return {float(k): v for k, v in reclass.items()}, "reclass table"
    p = Path(reclass)
    if not p.exists():
        raise ConfigError(f"{p}: reclass table not found; give a CSV (class,value) or YAML mapping.")
    if p.suffix.lower() in (".yml", ".yaml"):
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{p}: a reclass table must map land-cover class to value.")
        items = list(raw.items())
    else:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if r and not r[0].lstrip().startswith("#")]
        if rows and not _is_number(rows[0][0]):
            rows = rows[1:]  # header
        bad = [r for r in rows if len(r) < 2]
        if bad:
            raise ConfigError(f"{p}: row {bad[0]!r} needs two columns, class and value.")
        items = [(r[0], r[1]) for r in rows]
    out: dict[float, float] = {}
    for k, v in items:
        if not (_is_number(k) and _is_number(v)):
            raise ConfigError(f"{where(p, feature=k)}: class and value must be numbers, got {k!r}: {v!r}.")
        out[float(k)] = float(v)
    return out, str(p)


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _as_template(template: Raster | None) -> Raster:
    return make_grid() if template is None else template


def resistance_from_landcover(
    landcover_path: str | os.PathLike,
    reclass: Mapping[Any, float] | str | os.PathLike,
    template: Raster | None = None,
) -> Raster:
    """Resistance from a land-cover raster and a reclass table, on the working grid.

    The land cover is resampled with nearest neighbour (classes are not
    averaged), then each class is replaced by its value. Land-cover no data
    stays no data (impassable). A class may be given the value ``inf`` (or
    any value <= 0 is refused) to make it impassable explicitly.

    Parameters
    ----------
    landcover_path : path-like
        GeoTIFF (or any GDAL raster) of integer land-cover classes, any CRS.
    reclass : mapping or path-like
        Class -> resistance; a dict, a CSV of ``class,value`` rows (a header
        row is allowed) or a YAML mapping.
    template : Raster, optional
        The target grid (default: the programme extent at 1 km).

    Returns
    -------
    Raster
        float32 resistance on the template grid, NaN = impassable.

    Raises
    ------
    ConfigError
        If the table lacks a class present in the raster or holds a value <= 0.
    DataError
        If the raster cannot be read, has no CRS, or does not overlap the grid.
    """
    return _reclass_landcover(landcover_path, reclass, template, "resistance")


def suitability_from_landcover(
    landcover_path: str | os.PathLike,
    reclass: Mapping[Any, float] | str | os.PathLike,
    template: Raster | None = None,
) -> Raster:
    """Habitat suitability (0-1) from a land-cover raster and a reclass table, on the working grid.

    Parameters
    ----------
    landcover_path, reclass, template
        As for :func:`resistance_from_landcover`; values must lie in [0, 1].

    Returns
    -------
    Raster
        float32 suitability, NaN where the land cover has no data.

    Raises
    ------
    ConfigError
        If the table lacks a class present in the raster or a value is outside 0-1.
    """
    return _reclass_landcover(landcover_path, reclass, template, "suitability")


def _reclass_landcover(landcover_path: str | os.PathLike, reclass: Mapping[Any, float] | str | os.PathLike,
                       template: Raster | None, what: str) -> Raster:
    grid = _as_template(template)
    lc = Raster.read(landcover_path)
    table, label = _read_reclass(reclass)
    for k, v in table.items():
        if what == "resistance" and not v > 0:
            raise ConfigError(f"{where(label, feature=k)}: resistance must be > 0 (use inf for impassable), got {v}.")
        if what == "suitability" and not 0 <= v <= 1:
            raise ConfigError(f"{where(label, feature=k)}: suitability must lie within 0-1, got {v}.")
    onto = warp_to(lc, grid, "nearest")
    a = onto.array
    present = np.unique(a[~np.isnan(a)])
    missing = [c for c in present if float(c) not in table]
    if missing:
        raise ConfigError(
            f"{where(label, feature=int(missing[0]) if float(missing[0]).is_integer() else missing[0])}: "
            f"class of {Path(landcover_path).name} has no {what}; add a row for it "
            f"(missing: {', '.join(str(int(m)) if float(m).is_integer() else str(m) for m in missing[:10])})."
        )
    keys = np.array(sorted(table), dtype="float64")
    vals = np.array([table[k] for k in sorted(table)], dtype="float32")
    out = np.full(a.shape, np.nan, dtype="float32")
    ok = ~np.isnan(a)
    idx = np.searchsorted(keys, a[ok])
    out[ok] = vals[idx]
    out[np.isinf(out)] = np.nan
    if np.isnan(out).all():
        raise DataError(f"{Path(landcover_path).name}: every cell is no data or impassable after reclassing; check the table.")
    return Raster(out, grid.transform, grid.crs, None, f"{what} from {Path(landcover_path).name}")


def resistance_from_raster(
    path: str | os.PathLike, template: Raster | None = None, resampling: str = "bilinear"
) -> Raster:
    """A ready resistance raster, reprojected and resampled onto the working grid.

    Parameters
    ----------
    path : path-like
        GeoTIFF or ASCII grid of resistance (cost per unit distance), any CRS;
        no data is impassable.
    template : Raster, optional
        The target grid (default: the programme extent at 1 km). If the file
        is already on this grid it is used as is.
    resampling : str, default 'bilinear'
        How values are resampled when the grids differ.

    Returns
    -------
    Raster
        float32 resistance, NaN = impassable.

    Raises
    ------
    DataError
        If a value is zero or negative (MCP needs positive costs), the file
        has no CRS and is not on the grid, or every cell is no data.
    """
    grid = _as_template(template)
    r = Raster.read(path)
    vals = r.array[r.valid]
    if (vals <= 0).any():
        n = int((vals <= 0).sum())
        raise DataError(
            f"{Path(path)}: {n} cell(s) hold zero or negative resistance (min {vals.min():g}); "
            "resistance must be > 0 everywhere (set impassable cells to no data)."
        )
    out = warp_to(r, grid, resampling)
    out.name = Path(path).name
    return out


def check_resistance(resistance: Raster) -> np.ndarray:
    """Validate a resistance raster and return its cost array (float64, inf where impassable).

    Raises
    ------
    DataError
        If every cell is no data, or a data cell holds zero or a negative value
        (no data and NaN are impassable; +inf is impassable too).
    """
    valid = resistance.valid
    if not valid.any():
        raise DataError(f"{resistance.label}: every cell is no data; the resistance holds nothing to cross.")
    a = resistance.array
    bad = valid & ~(a > 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{resistance.label}: cell (row {r}, col {c}) holds resistance {a[r, c]!r}; resistance must be > 0 "
            "(set impassable cells to no data)."
        )
    if valid.all():
        # Nothing to mark impassable: hand MCP the array itself (no copy if it is float64 already;
        # MCP only reads it), which saves a grid-sized copy on large rasters.
        return np.ascontiguousarray(a, dtype="float64")
    costs = a.astype("float64", copy=True)
    costs[~valid] = np.inf
    return costs


def burn(
    raster: Raster, geometries: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[Any], value: float, mode: str = "set"
) -> Raster:
    """A copy of ``raster`` with ``value`` burnt into the cells of some geometries (a scenario helper).

    Parameters
    ----------
    raster : Raster
    geometries : GeoDataFrame, GeoSeries or sequence of shapely geometries
        In the raster's CRS. Lines and points touch every cell they cross.
    value : float
    mode : {'set', 'multiply', 'min', 'max'}
        Replace the cell value, multiply it, or keep the lower/higher one.

    Returns
    -------
    Raster
    """
    if isinstance(geometries, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geometries = list(geometries.geometry if isinstance(geometries, gpd.GeoDataFrame) else geometries)
    mask = _rasterize(list(geometries), 1, raster, all_touched=True).astype(bool) & raster.valid
    a = raster.array.astype("float32", copy=True)
    ops = {
        "set": lambda x: np.full_like(x, value),
        "multiply": lambda x: x * value,
        "min": lambda x: np.minimum(x, value),
        "max": lambda x: np.maximum(x, value),
    }
    if mode not in ops:
        raise ConfigError(f"{where(field='mode')}: unknown burn mode {mode!r}; use set, multiply, min or max.")
    a[mask] = ops[mode](a[mask])
    return raster.replace(a)


def write_surfaces(
    outdir: str | os.PathLike,
    bounds: Sequence[float] | None = None,
    resolution: float = settings.DEFAULT_RESOLUTION_M,
    table: str | os.PathLike | Mapping[str, Any] | ResistanceTable | None = None,
    overrides: Mapping[str, Any] | None = None,
    fmt: str = "tif",
) -> dict[str, Path]:
    """Build and write the class, resistance and suitability rasters of the bundled data.

    Parameters
    ----------
    outdir : path-like
        Output folder (created).
    bounds, resolution, table, overrides
        As for :func:`build_resistance`.
    fmt : {'tif', 'asc'}
        GeoTIFF or ESRI ASCII grid (Circuitscape reads both).

    Returns
    -------
    dict of str to Path
        ``classes``, ``resistance``, ``suitability``.
    """
    if fmt not in ("tif", "asc"):
        raise ConfigError(f"{where(field='format')}: unknown raster format {fmt!r}; use tif or asc.")
    t = apply_overrides(load_table(table), overrides)
    classes = build_classes(bounds, resolution, t)
    res = build_resistance(table=t, classes=classes)
    suit = build_suitability(table=t, classes=classes)
    out = Path(outdir)
    paths = {
        "classes": classes.write(out / f"classes.{fmt}"),
        "resistance": res.write(out / f"resistance.{fmt}", dtype="float32" if fmt == "tif" else None),
        "suitability": suit.write(out / f"suitability.{fmt}", dtype="float32" if fmt == "tif" else None),
    }
    legend = out / "classes.csv"
    from corridors.io import atomic_path

    with atomic_path(legend) as tmp:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["code", "class", "resistance", "suitability"])
            for name, code in CLASS_CODES.items():
                w.writerow([code, name, t.classes[name].resistance, t.classes[name].suitability])
    paths["legend"] = legend
    return paths


__all__ = [
    "CLASSES",
    "CLASS_CODES",
    "ResistanceTable",
    "apply_overrides",
    "bounds_around",
    "build_classes",
    "build_resistance",
    "build_suitability",
    "burn",
    "check_resistance",
    "load_river_lines",
    "load_table",
    "programme_bounds",
    "resistance_from_landcover",
    "resistance_from_raster",
    "suitability_from_landcover",
    "make_grid",
    "template",
    "warp_to",
    "write_surfaces",
]

