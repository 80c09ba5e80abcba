"""Build data/sites.geojson from the readable table data/programme/places.csv and data/programme/measures.csv.

Usage::

    python scripts/build_sites.py [--places data/programme/places.csv]
                                  [--measures data/programme/measures.csv]
                                  [--out data/sites.geojson]

* Point places take ``lon``/``lat`` from the table (WGS84 degrees, placed by
  hand; ``source`` and ``location_precision_km`` say how well).
* Unresolved places (programme footnotes 4, 5, 6) get no geometry.
* The population units 1-6 get an approximate outline built here from the
  river centrelines in data/rivers/rivers.geojson: the reach of the unit's
  rivers that its places mark (each place marks its position on the river
  +- its precision radius; the reach runs from the first mark to the last),
  buffered by ``RIVER_BUFFER_KM``, united with the places' circles (radius
  capped at ``CIRCLE_CAP_KM``), simplified. Hotspots, captive groups and
  groups outside the range do not shape a unit.
* Each site's ``measures`` is the list of measures whose ``site_ids`` name it,
  so sites and measures agree by construction.

Run ``scripts/build_measures.py`` first when the measures change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import Point

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from corridors import settings  # noqa: E402
from corridors.sites import write_sites  # noqa: E402

PLACES = REPO / "data" / "programme" / "places.csv"
#: The project's river centrelines (one line per river, slug in ``river``).
RIVERS = REPO / "data" / "rivers" / "rivers.geojson"

RIVER_BUFFER_KM = 15.0
CIRCLE_CAP_KM = 20.0
SNAP_MIN_KM = 20.0
SIMPLIFY_KM = 1.0
KM = 1000.0
#: Kinds of place that shape a population unit's outline.
SHAPING_KINDS = {
    "subpopulation",
    "protected_area",
    "candidate_reintroduction",
    "candidate_protected_area",
    "corridor_end",
}


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def _unit_outline(unit: pd.Series, work: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, subpops: set[str]):
    """Approximate outline of one population unit (working CRS).

    The unit's places (subpopulations, reserves, candidates, corridor ends,
    and districts inside a subpopulation) mark reaches of the rivers they
    state: a place within ``max(precision, SNAP_MIN_KM)`` of its own river
    (or of any, when it states none) marks ``position +- precision`` along
    it; a place within ``SNAP_MIN_KM`` of another river of the unit (at a
    confluence) marks it only ``+- min(precision, SNAP_MIN_KM)``. Each river
    is kept from its first to its last mark, buffered by ``RIVER_BUFFER_KM``.
    The places' own circles (radius capped at ``CIRCLE_CAP_KM``) are added so
    that places off the main stem (delta lakes, steppe) stay inside.
    """
    number = unit["population_unit"]
    members = work[
        work["population_unit"].map(lambda v: number in _split(v))
        & work.geometry.notna()
        & (work["kind"].isin(SHAPING_KINDS) | ((work["kind"] == "locality") & work["parent"].isin(subpops)))
    ]
    stated = set(members["river"]) - {""}
    lines = rivers[(rivers["river_system"] == unit["river_system"]) & rivers["river"].isin(stated)]
    parts = []
    for river, line in zip(lines["river"], lines.geometry):
        marks = []
        radii = members["location_precision_km"].astype(float) * KM
        for geom, prec, own in zip(members.geometry, radii, members["river"]):
            d = line.distance(geom)
            if own in ("", river) and d <= max(prec, SNAP_MIN_KM * KM):
                reach = prec  # a place marks its own river over its whole precision radius
            elif d <= SNAP_MIN_KM * KM:
                reach = min(prec, SNAP_MIN_KM * KM)  # and a nearby river (a confluence) only locally
            else:
                continue
            pos = line.project(geom)
            marks += [pos - reach, pos + reach]
        if marks:
            lo, hi = max(min(marks), 0.0), min(max(marks), line.length)
            parts.append(shapely.ops.substring(line, lo, hi).buffer(RIVER_BUFFER_KM * KM))
    prec = members["location_precision_km"].astype(float) * KM
    parts.append(shapely.union_all(members.geometry.buffer(prec.clip(upper=CIRCLE_CAP_KM * KM)).values))
    return shapely.union_all(parts).simplify(SIMPLIFY_KM * KM)


def build(places_path: Path, measures_path: Path) -> gpd.GeoDataFrame:
    """Assemble the sites GeoDataFrame (WGS84) from the places and measures tables.

    Parameters
    ----------
    places_path, measures_path : pathlib.Path
        The two CSV tables.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per place, schema fields as in ``corridors.sites.FIELDS``.
    """
    places = pd.read_csv(places_path, dtype=str, keep_default_na=False)
    measures = pd.read_csv(measures_path, dtype=str, keep_default_na=False)
    ids = set(places["id"])
    by_site: dict[str, list[str]] = {i: [] for i in places["id"]}
    for mid, sids in zip(measures["id"], measures["site_ids"]):
        for sid in _split(sids):
            if sid not in ids:
                raise SystemExit(f"{measures_path}: measure {mid} names site {sid!r}, which {places_path} lacks.")
            by_site[sid].append(mid)

    geoms = []
    for r in places.itertuples():
        geoms.append(Point(float(r.lon), float(r.lat)) if r.lon and r.lat else None)
    gdf = gpd.GeoDataFrame(places.drop(columns=["lon", "lat"]), geometry=geoms, crs=settings.GEOGRAPHIC_CRS)

    # unit outlines, built in the metric working CRS
    work = gdf.to_crs(settings.WORKING_CRS)
    rivers = gpd.read_file(RIVERS).to_crs(settings.WORKING_CRS)
    subpops = set(work.loc[work["kind"] == "subpopulation", "id"])
    for idx, unit in work[work["kind"] == "population_unit"].iterrows():
        work.loc[idx, "geometry"] = _unit_outline(unit, work, rivers, subpops)
    gdf = work.to_crs(settings.GEOGRAPHIC_CRS)

    out = pd.DataFrame(
        {
            "id": gdf["id"],
            "name": gdf["name"],
            "alt_names": gdf["alt_names"].map(_split),
            "kind": gdf["kind"],
            "population_unit": gdf["population_unit"].map(lambda v: [int(x) for x in _split(v)]),
            "code": gdf["code"].replace("", None),
            "countries": gdf["countries"].map(_split),
            "river": gdf["river"].replace("", None),
            "river_system": gdf["river_system"].replace("", None),
            "status": gdf["status"],
            "measures": gdf["id"].map(by_site),
            "parent": gdf["parent"].replace("", None),
            "area_ha": gdf["area_ha"].map(lambda v: float(v) if v else None),
            "location_status": gdf["location_status"],
            "location_precision_km": gdf["location_precision_km"].map(lambda v: float(v) if v else None),
            "source": gdf["source"],
        }
    )
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=settings.GEOGRAPHIC_CRS)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: build and write the sites GeoJSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--places", type=Path, default=PLACES)
    ap.add_argument("--measures", type=Path, default=settings.MEASURES_PATH)
    ap.add_argument("--out", type=Path, default=settings.SITES_PATH)
    args = ap.parse_args(argv)
    sites = build(args.places, args.measures)
    if args.out.resolve() == Path(settings.SITES_PATH).resolve() and args.out.exists():
        # The bundled data/sites.geojson is this script's own output (rebuilt from data/programme/), not a user's
        # file, and carries no output manifest: remove it so write_sites, which replaces only its own files, writes it.
        args.out.unlink()
    write_sites(sites, args.out)
    sys.stdout.write(f"{args.out}: {len(sites)} sites\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
