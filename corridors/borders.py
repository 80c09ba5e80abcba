"""National borders as analysis objects: the national border lines, stable border ids and the borders a line or link crosses."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import geopandas as gpd
import shapely

from corridors import settings
from corridors.io import load_base


def border_id(iso_a: str, iso_b: str) -> str:
    """The stable id of the land border between two countries.

    Parameters
    ----------
    iso_a, iso_b : str
        ISO 3166-1 alpha-3 codes, in any order.

    Returns
    -------
    str
        The two codes sorted and joined by a hyphen, e.g. ``'TJK-UZB'``.
        Used as the key of per-border values (resistance, permeability).
    """
    a, b = sorted((iso_a.upper(), iso_b.upper()))
    return f"{a}-{b}"


#: Natural Earth boundary classes that are no national border: the Baikonur
#: lease limit (the leased area is coded 'KAB'); deer meet no fence or patrol there.
NOT_NATIONAL: frozenset[str] = frozenset({"Lease limit"})


def border_lines() -> gpd.GeoDataFrame:
    """The bundled national land-border lines as drawn, in the working CRS: the one border filter.

    Lines that are no national border are left out: those of ``NOT_NATIONAL``
    (the Baikonur lease limit) and any line without an ISO3 code on both
    sides. Maps draw these lines; :func:`load_borders` dissolves them by border.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per Natural Earth line, with its fields (``featurecla``,
        ``adm0_a3_l``, ``adm0_a3_r`` ...) and the geometry; read once per
        process, a copy per call.
    """
    return _national_lines(*_stamp()).copy()


def load_borders() -> gpd.GeoDataFrame:
    """The bundled national land borders, one row per border id, dissolved, in the working CRS.

    Lines that are no national border (``NOT_NATIONAL``: the Baikonur lease
    limit; see :func:`border_lines`) are left out, so no cost or permeability
    is ever charged for them. The file is read and dissolved once per process
    (a scenario asks for the borders several times: 0.3 s of reading and 0.2 s
    of dissolving each); every call gets its own copy, and a changed file is
    read again.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``border_id``, ``iso_a``, ``iso_b`` and the geometry.
    """
    return _dissolved_borders(*_stamp()).copy()


def _stamp() -> tuple[str, int]:
    """The bundled borders file and its modification time, the key of the caches."""
    path = settings.BASE_DIR / "borders.geojson"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1  # load_base names the missing file
    return str(path), stamp


@functools.lru_cache(maxsize=2)
def _national_lines(path: str, stamp: int) -> gpd.GeoDataFrame:
    """The national border lines of ``path`` (``stamp``, its modification time, keys the cache)."""
    raw = load_base("borders")
    national = raw["adm0_a3_l"].str.len().eq(3) & raw["adm0_a3_r"].str.len().eq(3) & ~raw["featurecla"].isin(NOT_NATIONAL)
    return raw[national]


@functools.lru_cache(maxsize=2)
def _dissolved_borders(path: str, stamp: int) -> gpd.GeoDataFrame:
    """The dissolved borders of ``path`` (``stamp``, its modification time, keys the cache)."""
    raw = _national_lines(path, stamp)
    raw = raw.assign(border_id=[border_id(a, b) for a, b in zip(raw["adm0_a3_l"], raw["adm0_a3_r"])])
    out = raw.dissolve(by="border_id", as_index=False)[["border_id", "geometry"]]
    out["iso_a"] = out["border_id"].str[:3]
    out["iso_b"] = out["border_id"].str[4:]
    return out[["border_id", "iso_a", "iso_b", "geometry"]].sort_values("border_id").reset_index(drop=True)


def borders_crossed(
    lines: Iterable[shapely.Geometry], borders: gpd.GeoDataFrame | None = None
) -> list[list[str]]:
    """The border ids each line crosses, in the order of the input.

    Parameters
    ----------
    lines : iterable of shapely geometries
        Paths or links, in the same CRS as ``borders``.
    borders : GeoDataFrame, optional
        As returned by :func:`load_borders` (default: the bundled borders).

    Returns
    -------
    list of list of str
        For every line, the sorted ids of the borders it intersects.
    """
    if borders is None:
        borders = load_borders()
    geoms = list(lines)
    tree = shapely.STRtree(borders.geometry.values)
    pairs = tree.query(geoms, predicate="intersects")
    out: list[set[str]] = [set() for _ in geoms]
    ids = borders["border_id"].to_numpy()
    for i, j in zip(*pairs):
        out[i].add(ids[j])
    return [sorted(s) for s in out]
