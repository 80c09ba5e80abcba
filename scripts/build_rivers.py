"""Rebuild data/rivers/rivers.geojson from the Natural Earth copy plus the hand-traced tributaries kept here.

Run from the repository root::

    python scripts/build_rivers.py            # writes data/rivers/rivers.geojson
    python scripts/build_rivers.py --check    # rebuilds in memory and compares with the file

Steps (all geometry work in the working CRS, metres; output in WGS84):

1. Natural Earth 1:10m ``rivers_lake_centerlines`` (``data/rivers/naturalearth_rivers.geojson``,
   verbatim copy): keep the Amu Darya, Panj, Zarafshon, Syr Darya, Naryn and Ile, river and
   lake-centreline parts merged per river into continuous lines that run downstream.
2. Clip to the five Range States (AFG, KAZ, TJK, TKM, UZB) widened by 5 km: drops the Naryn
   above the Fergana valley (Kyrgyzstan) and the Ile in China.
3. Zarafshon: cut at Karakul. Natural Earth draws the old bed on to within 0.4 km of the
   Amu Darya at Farab; today the river ends in the Karakul oasis and is its own system.
4. Naryn: Natural Earth labels the Fergana-valley Syr Darya "Naryn"; the part below the
   Naryn-Kara Darya confluence (about 40.9 N 71.75 E) is renamed Syr Darya.
5. Hand-traced Vakhsh, Kafirnigan and Surkhandarya (vertices below, from the named towns and
   dams); their mouths are snapped onto the main river, and the Panj is split at the Vakhsh
   mouth: below it the river is the Amu Darya.
6. Every line end of a system that lies within 2 km of another line of the same system is
   moved onto it (the Amu Darya's western delta branch starts 0.6 km off the main stem in
   Natural Earth), so confluences are exact and become graph nodes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import shapely
import shapely.ops
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, Point

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corridors.settings import GEOGRAPHIC_CRS, WORKING_CRS  # noqa: E402

NE_PATH = ROOT / "data" / "rivers" / "naturalearth_rivers.geojson"
OUT_PATH = ROOT / "data" / "rivers" / "rivers.geojson"
COUNTRIES_PATH = ROOT / "data" / "base" / "countries.geojson"

NE_SOURCE = "Natural Earth 1:10m rivers_lake_centerlines (v4), public domain"
NE_PRECISION_KM = 2.0

#: Natural Earth name -> (display name, river slug, river system).
NE_RIVERS: dict[str, tuple[str, str, str]] = {
    "Amu  Darya": ("Amu Darya", "amu_darya", "amu_darya"),
    "Panj": ("Panj", "panj", "amu_darya"),
    "Zarafshon": ("Zarafshon", "zarafshon", "zarafshon"),
    "Syr  Darya": ("Syr Darya", "syr_darya", "syr_darya"),
    "Naryn": ("Naryn", "naryn", "syr_darya"),
    "Ile": ("Ile", "ile", "ile"),
}

RANGE_STATES = ("AFG", "KAZ", "TJK", "TKM", "UZB")
CLIP_BUFFER_M = 5_000.0
MIN_PIECE_M = 10_000.0
JOIN_SNAP_M = 2_000.0
HAND_SNAP_M = 15_000.0

#: Where the Zarafshon is cut (Karakul town, lon/lat).
ZARAFSHON_END = (63.84, 39.53)
#: Naryn-Kara Darya confluence, start of the Syr Darya (lon/lat, about 5 km).
SYR_DARYA_START = (71.75, 40.90)

#: Hand-traced tributaries: vertices (lon, lat) in downstream order; the last one is snapped.
HAND_TRACED: dict[str, dict] = {
    "vakhsh": {
        "name": "Vakhsh",
        "into": "panj",
        "precision_km": 10.0,
        "from": "Nurek reservoir and dam, Baipaza and Sangtuda dams, Sarband (Golovnaya dam), "
        "east of Bokhtar (Kurgan-Tyube), through Tigrovaya Balka to the Panj confluence",
        "vertices": [
            (69.50, 38.40),  # Nurek reservoir
            (69.35, 38.37),  # Nurek dam
            (69.30, 38.36),  # below Nurek town
            (69.13, 38.27),  # Baipaza dam
            (69.06, 38.05),  # Sangtuda dams
            (68.93, 37.87),  # Sarband / Golovnaya dam
            (68.85, 37.82),  # east of Bokhtar (Kurgan-Tyube)
            (68.73, 37.66),
            (68.62, 37.50),
            (68.52, 37.35),  # Tigrovaya Balka
            (68.42, 37.22),
            (68.31, 37.12),  # mouth into the Panj (forms the Amu Darya)
        ],
    },
    "kafirnigan": {
        "name": "Kafirnigan",
        "into": "amu_darya",
        "precision_km": 15.0,
        "from": "Romit gorge, Vahdat (east of Dushanbe), the Kafirnigan valley, west of "
        "Kabodiyon and Shahrituz, to the Amu Darya near Ayvadzh",
        "vertices": [
            (69.30, 38.72),  # Romit gorge (upper Kafirnigan)
            (69.02, 38.56),  # Vahdat
            (68.90, 38.45),  # south-east of Dushanbe
            (68.80, 38.30),
            (68.70, 38.12),
            (68.58, 37.92),
            (68.45, 37.72),
            (68.30, 37.52),
            (68.20, 37.36),  # west of Kabodiyon
            (68.12, 37.20),  # Shahrituz
            (68.05, 37.05),
            (68.00, 36.95),  # mouth into the Amu Darya
        ],
    },
    "surkhandarya": {
        "name": "Surkhandarya",
        "into": "amu_darya",
        "precision_km": 10.0,
        "from": "Denau, Shurchi, Kumkurgan, the South Surkhan reservoir, Jarkurgan, to the "
        "Amu Darya at Termez",
        "vertices": [
            (67.93, 38.32),  # above Denau
            (67.85, 38.12),  # Denau - Shurchi
            (67.78, 37.98),  # Shurchi
            (67.62, 37.82),  # Kumkurgan
            (67.50, 37.65),  # South Surkhan reservoir
            (67.42, 37.50),  # Jarkurgan
            (67.37, 37.35),
            (67.33, 37.22),  # mouth into the Amu Darya at Termez
        ],
    },
}

_TO_WORK = Transformer.from_crs(GEOGRAPHIC_CRS, WORKING_CRS, always_xy=True)


def _pt(lonlat: tuple[float, float]) -> Point:
    return Point(_TO_WORK.transform(*lonlat))


def _as_lines(geom: shapely.Geometry) -> list[LineString]:
    """The LineStrings of a (Multi)LineString or collection, empty parts dropped."""
    parts = shapely.get_parts(geom)
    return [p for p in parts if p.geom_type == "LineString" and not p.is_empty]


def _merge(lines: list[LineString], tol: float = 50.0) -> list[LineString]:
    """Merge touching lines keeping their downstream direction (shapely line_merge, directed).

    Natural Earth's river and lake-centreline parts meet at ends that differ by
    a few metres, which line_merge (exact equality) would not join: ends closer
    than ``tol`` metres are first made identical.
    """
    ends: list[tuple[float, float]] = []
    fixed = []
    for line in lines:
        coords = list(line.coords)
        for which in (0, -1):
            p = coords[which]
            near = [e for e in ends if (e[0] - p[0]) ** 2 + (e[1] - p[1]) ** 2 <= tol**2]
            if near:
                coords[which] = near[0]
            else:
                ends.append(p)
        fixed.append(LineString(coords))
    # Natural Earth draws rivers downstream but some lake centrelines upstream (Kapchagay),
    # so merge undirected, then orient each result like the longest part it contains.
    out = []
    for line in _as_lines(shapely.line_merge(MultiLineString(fixed))):
        parts = [f for f in fixed if line.distance(f.interpolate(0.5, normalized=True)) < 1.0]
        ref = max(parts, key=lambda f: f.length)
        a, b = line.project(Point(ref.coords[0])), line.project(Point(ref.coords[-1]))
        out.append(line if a <= b else line.reverse())
    return out


def _cut(line: LineString, at: Point) -> tuple[LineString, LineString]:
    """Cut a line at the point of it nearest ``at``: (upstream part, downstream part)."""
    s = line.project(at)
    return shapely.ops.substring(line, 0, s), shapely.ops.substring(line, s, line.length)


def _snap_end(line: LineString, target: shapely.Geometry, which: int) -> LineString:
    """Move the first (``which=0``) or last (``-1``) vertex of ``line`` onto the nearest point of ``target``."""
    coords = list(line.coords)
    p = Point(coords[which])
    if target.geom_type == "LineString":
        q = target.interpolate(target.project(p))
    else:
        q = shapely.ops.nearest_points(target, p)[0]
    coords[which] = (q.x, q.y)
    return LineString(coords)


def build() -> gpd.GeoDataFrame:
    """Build the project's river layer in memory (WGS84 GeoDataFrame)."""
    ne = gpd.read_file(NE_PATH).to_crs(WORKING_CRS)
    countries = gpd.read_file(COUNTRIES_PATH).to_crs(WORKING_CRS)
    clip_area = countries[countries["ISO_A3"].isin(RANGE_STATES)].union_all().buffer(CLIP_BUFFER_M)

    # 1-2. Natural Earth rivers merged per river, clipped to the Range States.
    rivers: dict[str, list[LineString]] = {}
    notes: dict[str, list[str]] = {}
    for ne_name, (_, slug, _) in NE_RIVERS.items():
        parts = [g for geom in ne.loc[ne["name"] == ne_name, "geometry"] for g in _as_lines(geom)]
        merged = _merge(parts)
        clipped = [g for line in merged for g in _as_lines(line.intersection(clip_area))]
        rivers[slug] = [g for g in _merge(clipped) if g.length >= MIN_PIECE_M] if clipped else []
        notes[slug] = []

    # 3. Zarafshon ends at Karakul.
    (zar,) = rivers["zarafshon"]
    rivers["zarafshon"] = [_cut(zar, _pt(ZARAFSHON_END))[0]]
    notes["zarafshon"].append("cut at Karakul (the old bed on to the Amu Darya is dry and dropped)")

    # 4. Fergana-valley 'Naryn' below the Kara Darya confluence is the Syr Darya.
    naryn = min(rivers["naryn"], key=lambda g: g.distance(_pt(SYR_DARYA_START)))
    up, down = _cut(naryn, _pt(SYR_DARYA_START))
    rivers["naryn"] = [g for g in rivers["naryn"] if g is not naryn] + [up]
    rivers["syr_darya"] = _merge(rivers["syr_darya"] + [down])
    notes["syr_darya"].append(
        "the reach above Kayrakkum reservoir is labelled Naryn in Natural Earth and renamed Syr Darya "
        "below the Naryn-Kara Darya confluence, placed at about 40.9 N 71.75 E (+-5 km)"
    )

    # 5. Hand-traced tributaries; the Panj becomes the Amu Darya at the Vakhsh mouth.
    hand: dict[str, LineString] = {}
    for slug, spec in HAND_TRACED.items():
        hand[slug] = LineString([_TO_WORK.transform(*v) for v in spec["vertices"]])
    (panj,) = rivers["panj"]
    mouth = Point(hand["vakhsh"].coords[-1])
    if mouth.distance(panj) > HAND_SNAP_M:
        raise SystemExit(f"Vakhsh mouth is {mouth.distance(panj) / 1000:.1f} km from the Panj; fix its vertices.")
    upper_panj, lower_panj = _cut(panj, mouth)
    rivers["panj"] = [upper_panj]
    rivers["amu_darya"] = _merge(rivers["amu_darya"] + [lower_panj])
    notes["amu_darya"].append(
        f"the first {lower_panj.length / 1000:.0f} km below the Vakhsh mouth are Natural Earth's Panj"
    )
    for slug, line in hand.items():
        target_slug = HAND_TRACED[slug]["into"]
        if target_slug == "panj":
            target = Point(upper_panj.coords[-1])  # the new Panj / Amu Darya junction
        else:
            target = max(rivers[target_slug], key=lambda g: g.length)
        d = Point(line.coords[-1]).distance(target)
        if d > HAND_SNAP_M:
            raise SystemExit(f"{slug} mouth is {d / 1000:.1f} km from the {target_slug}; fix its vertices.")
        hand[slug] = _snap_end(line, target, -1)

    # 6. Snap line ends within JOIN_SNAP_M onto another line of the same system.
    systems = {slug: system for _, slug, system in NE_RIVERS.values()}
    systems.update({slug: "amu_darya" for slug in HAND_TRACED})
    records = []
    for slug, lines in rivers.items():
        main_line = max(lines, key=lambda g: g.length)  # the river-wide notes concern its main stem
        for line in lines:
            own_notes = list(notes[slug]) if line is main_line else []
            records.append({"river": slug, "geometry": line, "hand": False, "notes": own_notes})
    for slug, line in hand.items():
        records.append({"river": slug, "geometry": line, "hand": True, "notes": []})
    for i, rec in enumerate(records):
        system = systems[rec["river"]]
        others = [r["geometry"] for j, r in enumerate(records) if j != i and systems[r["river"]] == system]
        if not others:
            continue
        line = rec["geometry"]
        for which in (0, -1):
            p = Point(line.coords[which])
            ds = [o.distance(p) for o in others]
            k = min(range(len(others)), key=ds.__getitem__)
            if 1e-6 < ds[k] <= JOIN_SNAP_M:
                # An end that coincides with another line's end stays put; only loose ends move.
                line = _snap_end(line, others[k], which)
                rec["notes"].append(f"an end {ds[k]:.0f} m off its parent line was snapped onto it")
        rec["geometry"] = line
    # Pieces of one river that now touch end to end become one line again.
    merged_records = []
    for slug in dict.fromkeys(r["river"] for r in records):
        group = [r for r in records if r["river"] == slug]
        if len(group) == 1:
            merged_records.append(group[0])
            continue
        for line in _merge([r["geometry"] for r in group], tol=1.0):
            own = [r for r in group if line.distance(r["geometry"].interpolate(0.5, normalized=True)) < 1.0]
            merged_records.append(
                {
                    "river": slug,
                    "geometry": line,
                    "hand": any(r["hand"] for r in own),
                    "notes": list(dict.fromkeys(n for r in own for n in r["notes"])),
                }
            )
    records = merged_records

    # Properties, one feature per continuous line.
    rows = []
    for rec in records:
        slug = rec["river"]
        if rec["hand"]:
            spec = HAND_TRACED[slug]
            name, precision = spec["name"], spec["precision_km"]
            source = (
                f"hand-traced approximate, vertices from {spec['from']}; error up to ~{precision:.0f} km; "
                "mouth snapped onto the main river"
            )
        else:
            name = next(v[0] for v in NE_RIVERS.values() if v[1] == slug)
            if slug == "naryn":
                name = "Naryn (lower)"
            precision = NE_PRECISION_KM
            source = NE_SOURCE + ("; " + "; ".join(rec["notes"]) if rec["notes"] else "")
        if slug == "amu_darya" and not rec["hand"] and rec["geometry"].length < 200_000:
            name = "Amu Darya (western delta branch)"
        rows.append(
            {
                "name": name,
                "river": slug,
                "river_system": systems[slug],
                "source": source,
                "approximate": bool(rec["hand"]),
                "precision_km": precision,
                "geometry": rec["geometry"],
            }
        )
    out = gpd.GeoDataFrame(rows, crs=WORKING_CRS).to_crs(GEOGRAPHIC_CRS)
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-6)  # ~0.1 m, keeps the file small
    order = ["amu_darya", "panj", "vakhsh", "kafirnigan", "surkhandarya", "zarafshon", "syr_darya", "naryn", "ile"]
    out["_o"] = out["river"].map(order.index)
    return out.sort_values(["_o", "name"]).drop(columns="_o").reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: write (or ``--check``) data/rivers/rivers.geojson."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare the rebuilt layer with the file; do not write")
    args = ap.parse_args(argv)
    out = build()
    if args.check:
        old = gpd.read_file(OUT_PATH)
        same = len(old) == len(out) and all(
            a.equals_exact(b, 1e-6) for a, b in zip(old.geometry, out.geometry)
        )
        print("rivers.geojson is up to date" if same else "rivers.geojson differs from a rebuild")
        return 0 if same else 1
    tmp = OUT_PATH.with_suffix(".tmp.geojson")
    out.to_file(tmp, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6)
    tmp.replace(OUT_PATH)
    lengths = out.to_crs(WORKING_CRS).assign(km=lambda d: d.length / 1000).groupby("river")["km"].sum().round(0)
    print(f"wrote {OUT_PATH.relative_to(ROOT)}: {len(out)} lines; km per river: {lengths.to_dict()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
