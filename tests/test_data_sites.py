"""Facts of the bundled programme places (data/sites.geojson): counts, units, which measures name which site, where they lie.

The loader, the schema checks and the file round trips are tested in test_sites.py.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pytest
import shapely

from corridors import io, settings
from corridors import programme as P
from corridors import sites as S

from _helpers import load_script


def _codes(sites, unit):
    sub = S.by_kind(S.by_unit(sites, unit), "subpopulation")
    return sorted(sub["code"])


@pytest.mark.parametrize(
    "unit, codes",
    [
        (1, ["Tj1", "Tj4", "Tm2", "Uz3"]),
        (2, ["Tm1", "Uz2"]),
        (3, ["Uz1"]),
        (4, ["Tj5", "Uz4"]),
        (5, ["Kz2"]),
        (6, ["Kz1", "Kz3", "Kz4"]),
        (7, []),
        (8, []),
    ],
)
def test_subpopulations_per_unit(sites, unit, codes):
    assert _codes(sites, unit) == codes


def test_thirteen_subpopulations_with_their_units(sites):
    sub = S.by_kind(sites, "subpopulation")
    assert len(sub) == 13
    assert all(len(u) == 1 for u in sub["population_unit"])
    # every subpopulation's parent is the outline of its own unit
    assert all(p == f"unit-{u[0]}" for p, u in zip(sub["parent"], sub["population_unit"]))


def test_six_population_units_are_approximate_polygons(sites):
    units = S.by_kind(sites, "population_unit")
    assert sorted(u[0] for u in units["population_unit"]) == [1, 2, 3, 4, 5, 6]
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(units["location_status"]) == {"approximate"}
    # each outline holds the points of its subpopulations
    for unit in units.itertuples():
        sub = S.by_kind(S.by_unit(sites, unit.population_unit[0]), "subpopulation")
        assert sub.within(unit.geometry).all(), unit.id


def test_hotspots_and_their_units(sites):
    hs = S.by_kind(sites, "hotspot")
    assert dict(zip(hs["code"], hs["population_unit"])) == {
        "HS5": [1],
        "HS6": [1],
        "HS7": [1],
        "HS35": [4],
        "HS38": [2, 3],
    }
    # transboundary: every hotspot lies in at least two countries
    assert (hs["countries"].map(len) >= 2).all()
    assert "hotspot-38" in set(S.by_unit(sites, 2)["id"]) & set(S.by_unit(sites, 3)["id"])


def test_planning_units_7_and_8(sites):
    out = S.by_kind(sites, "outside_range")
    assert sorted(out["id"]) == ["dashtijum", "khutalon"]
    assert all(u == [7] for u in out["population_unit"])
    cap = S.by_kind(sites, "captive")
    assert len(cap) == 8
    assert all(u == [8] for u in cap["population_unit"])
    per_country = cap["countries"].map(lambda c: c[0]).value_counts().to_dict()
    assert per_country == {"UZB": 3, "KAZ": 2, "TJK": 3}
    assert set(cap["status"]) == {"captive"}


def test_unresolved_places_have_no_geometry(sites):
    un = S.unresolved(sites)
    assert sorted(un["id"]) == [
        "cand-kyzyltau-baijurkum",
        "cand-rakhmankel",
        "cand-ulyshor",
        "cand-yeraji-wetlands",
        "cand-zhanadarya",
    ]
    assert un.geometry.isna().all()
    assert un["location_precision_km"].isna().all()
    placed = S.located(sites)
    assert len(placed) + len(un) == len(sites)
    assert placed.geometry.notna().all() and (placed["location_precision_km"] > 0).all()


def test_areas_stated_by_the_programme(sites):
    area = dict(zip(sites["id"], sites["area_ha"]))
    assert area["cand-sudochye-akpetki"] == 280507
    assert area["yeraji-sr"] == 30000
    assert sum(not math.isnan(a) for a in area.values()) == 2


def test_ids_are_unique_lowercase_slugs(sites):
    assert sites["id"].is_unique
    assert all(i == i.lower() and " " not in i for i in sites["id"])
    assert set(sites["parent"].dropna()) <= set(sites["id"])


def test_points_lie_in_their_countries(sites):
    countries = io.load_base("countries").set_index("ISO_A3").geometry
    placed = S.located(sites)
    for row in placed.itertuples():
        shapes = [countries[c] for c in row.countries]
        if row.geometry.geom_type == "Point":
            assert any(s.contains(row.geometry) for s in shapes), f"{row.id} outside {row.countries}"
        else:
            assert all(s.intersects(row.geometry) for s in shapes), f"{row.id} misses one of {row.countries}"
    # the check can fail: a point moved 50 km south of Termez falls in Afghanistan
    termez = placed.loc[placed["id"] == "cand-termez-pa"].geometry.iloc[0]
    assert not countries["UZB"].contains(shapely.affinity.translate(termez, 0, -50_000))


def test_points_lie_near_their_river(sites):
    rivers = gpd.read_file(settings.RIVERS_DIR / "rivers.geojson").to_crs(settings.WORKING_CRS)
    lines = rivers.dissolve("river")
    placed = S.located(sites)
    points = placed[(placed.geom_type == "Point") & placed["river"].notna()]
    assert len(points) >= 50
    for row in points.itertuples():
        assert row.river in lines.index, f"{row.id}: river {row.river!r} not in data/rivers/rivers.geojson"
        slack = float(lines.loc[row.river, "precision_km"]) if lines.loc[row.river, "approximate"] else 0.0
        d_km = lines.loc[row.river].geometry.distance(row.geometry) / 1000
        assert d_km <= 15 + slack, f"{row.id} is {d_km:.1f} km from the {row.river}"
    # the river systems are consistent with the rivers
    system = dict(zip(rivers["river"], rivers["river_system"]))
    for row in points.itertuples():
        assert row.river_system == system[row.river], row.id


def test_every_site_and_measure_agree(sites, measures):
    assert P.cross_check(sites, measures) == []
    named = {(m, s) for m, ss in zip(measures["id"], measures["site_ids"]) for s in ss}
    listed = {(m, s) for s, ms in zip(sites["id"], sites["measures"]) for m in ms}
    assert named == listed and len(named) > 100


@pytest.mark.parametrize(
    "measure, site",
    [
        ("2.5", "cand-sudochye-akpetki"),
        ("2.10", "cand-khorezm-urgench"),
        ("2.10", "cand-khorezm-yangibozor"),
        ("3.2", "cand-kyzylkum-ssnr-extension"),
        ("3.6", "yeraji-sr"),
        ("4.1", "cand-darqad"),
        ("4.6", "parkhar-district"),
        ("4.6", "hamadoni-district"),
        ("4.7", "cand-termez-pa"),
        ("5.1", "cand-zarafshon-nnp-extension"),
        ("6.3", "cand-kyzyltau-baijurkum"),
        ("6.3", "cand-arys-district"),
        ("6.6", "cand-zhanadarya"),
        ("7.3", "cand-ile-balkhash-extension"),
        ("7.4", "end-kapchagai"),
        ("7.5", "cand-altyn-emel"),
        ("7.9", "cand-upper-ile"),
        ("8.3", "cand-ulyshor"),
        ("2.1", "nazarkhan"),
        ("6.4", "end-aral"),
        ("4.9", "maimun-tugay"),
        ("7.7", "karachingil"),
    ],
)
def test_measures_name_their_sites(sites, measure, site):
    row = sites.loc[sites["id"] == site].iloc[0]
    assert measure in row["measures"]


def test_selections_of_the_bundled_sites(sites):
    assert set(S.by_river_system(sites, "ile")["id"]) >= {"kz1", "kz3", "kz4", "end-kapchagai"}
    assert set(S.by_river_system(sites, "ile")["population_unit"].map(tuple)) <= {(6,), (8,)}
    assert len(S.by_kind(sites, ["hotspot", "outside_range"])) == 7


def test_constants_cover_the_data(sites):
    assert set(sites["kind"]) == set(S.KINDS)
    assert set(sites["status"]) == set(S.STATUSES)
    assert set(sites["location_status"]) == {"approximate", "unresolved"}
    assert set(sites["river_system"].dropna()) == set(S.RIVER_SYSTEMS)
    assert S.POPULATION_UNITS[3] == "Lower Amu Darya"


def test_tj1_is_where_the_programme_places_it():
    wgs = S.load_sites(to_crs=None)
    tj1 = wgs.loc[wgs["id"] == "tj1"].geometry.iloc[0]
    assert (round(tj1.x, 2), round(tj1.y, 2)) == (68.33, 37.2)


def test_build_script_reproduces_the_bundled_file(tmp_path):
    mod = load_script("build_sites")
    out = tmp_path / "sites.geojson"
    assert mod.main(["--out", str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(settings.SITES_PATH.read_text())
