"""Scenario files: validation messages that name key and line, and the pipeline's guarantees."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from shapely.geometry import LineString, Point, box

import corridors.scenario as sc
import corridors.scenario.outputs as sc_outputs
from corridors._errors import ConfigError, DataError
from corridors.lcp import cost_distance
from corridors.network import build_graph, equivalent_connected_area
from corridors.scenario import (
    CorridorRestoration,
    HabitatLoss,
    ProtectedArea,
    Reintroduction,
    RiparianReforestation,
    apply_area_intervention,
    intervention_area,
    load_scenario,
    run_scenario,
    scenario_from_dict,
)
from corridors.scenario.context import _context
from corridors.scenario.interventions import _apply
from corridors.analyses.programme_network import habitat_ha
from corridors.scenario.network import _analyse
from corridors.settings import WORKING_CRS
from corridors.sites import load_sites

from _helpers import REPO, site_feature, uniform, write_features, write_scenario


def _write(tmp_path: Path, text: str, name: str = "s.yml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    return str(info.value)


def _intervention_error(tmp_path: Path, item: str) -> str:
    """The error of a scenario ``t`` whose one intervention is ``item`` (YAML of the list item, from line 3)."""
    body = textwrap.indent(textwrap.dedent(item).strip("\n"), "  ")
    return _error(_write(tmp_path, f"name: t\ninterventions:\n{body}\n"))


# ----------------------------------------------------------------------------- schema


def test_minimal_scenario_takes_defaults(tmp_path):
    s = load_scenario(_write(tmp_path, "name: base\n"))
    assert s.name == "base"
    assert s.landscape.resolution_m == 5000.0
    assert s.links.source == "least_cost"
    assert s.interventions == []
    assert s.source_path == (tmp_path / "s.yml").resolve()


def test_every_shipped_scenario_validates():
    files = sorted((REPO / "scenarios").glob("*.yml"))
    assert len(files) >= 8
    for f in files:
        assert load_scenario(f).source_path == f.resolve(), f.name


def test_wrong_type_names_key_and_line(tmp_path):
    p = _write(
        tmp_path,
        """
        name: t
        landscape:
          resolution_m: ten
        """,
    )
    msg = _error(p)
    assert msg.startswith(f"{p}, line 3, key 'landscape.resolution_m'")
    assert "'ten'" in msg


def test_unknown_key_in_intervention_names_line_and_allowed_keys(tmp_path):
    msg = _intervention_error(
        tmp_path,
        """
        - type: corridor_restoration
          measure: "2.1"
          between: [a, b]
          bufer_m: 3000
        """,
    )
    assert "line 6, key 'interventions[0].bufer_m'" in msg
    assert "unknown key" in msg and "buffer_m" in msg


def test_unknown_measure(tmp_path):
    msg = _intervention_error(
        tmp_path,
        """
        - type: reintroduction
          measure: "9.9"
          site: cand-x
          capacity: 30
        """,
    )
    assert "line 4, key 'interventions[0].measure'" in msg
    assert "unknown measure '9.9'" in msg


def test_measure_2_10_is_not_read_as_2_1(tmp_path):
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - type: reintroduction
            measure: 2.10
            site: cand-x
            capacity: 30
          - type: corridor_restoration
            measure: 2.1
            between: [a, b]
        """,
    )
    s = load_scenario(p)
    assert isinstance(s.interventions[0], Reintroduction)
    assert s.interventions[0].measure == "2.10"
    assert isinstance(s.interventions[1], CorridorRestoration)
    assert s.interventions[1].measure == "2.1"
    assert s.measures == ["2.10", "2.1"]


def test_missing_file(tmp_path):
    msg = _intervention_error(
        tmp_path,
        """
        - type: habitat_loss
          measure: "2.8"
          file: reservoir.gpkg
        """,
    )
    assert "line 5, key 'interventions[0].file'" in msg and "'reservoir.gpkg' not found" in msg


def test_relative_file_found_next_to_scenario(tmp_path):
    (tmp_path / "area.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - type: habitat_loss
            measure: "2.8"
            file: area.geojson
        """,
    )
    s = load_scenario(p)
    assert s.interventions[0].file == tmp_path / "area.geojson"


def test_unknown_intervention_type(tmp_path):
    msg = _intervention_error(tmp_path, '- measure: "2.8"\n  type: fence')
    assert "line 3, key 'interventions[0]'" in msg and "'fence'" in msg and "border_permeability" in msg


def test_target_must_be_exactly_one(tmp_path):
    msg = _intervention_error(
        tmp_path,
        """
        - type: corridor_restoration
          measure: "2.1"
          between: [a, b]
          sites: [c]
        """,
    )
    assert "line 3" in msg and "exactly one target" in msg and "sites, between" in msg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: t\nlinks:\n  border_permeability:\n    UZB-TKM: 0.5\n", ("line 4", "'TKM-UZB'")),
        ("name: t\nseed: 1\nseed: 2\n", ("line 3, key 'seed': given twice (first on line 2)",)),
        ("name: t\nscoring:\n  site_weights: {beauty: 1}\n", ("line 3, key 'scoring.site_weights'", "'beauty'")),
        ("name: t\n  seed: 1\n", ("s.yml, line 2: not valid YAML",)),
    ],
    ids=["border-id-order", "duplicate-key", "unknown-weight", "bad-yaml"],
)
def test_bad_file_names_line_and_key(tmp_path, text, expected):
    msg = _error(_write(tmp_path, text))
    assert all(e in msg for e in expected), msg


def _laughs(levels: int) -> str:
    """A "billion laughs": level i is a list of 9 aliases of level i - 1, so level 8 expands to 9**9 values."""
    rows = ["name: lol", "a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    rows += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(rows) + "\n"


def test_nested_aliases_are_refused_at_once(tmp_path):
    import time

    t0 = time.perf_counter()
    msg = _error(_write(tmp_path, _laughs(8)))
    assert time.perf_counter() - t0 < 1.0
    # a4 (line 6) holds 66,430 values with its lists, under the limit; a5 (line 7) holds 597,871
    assert msg.startswith(f"{tmp_path / 's.yml'}, line 7: its aliases (*name) expand to more than 100,000 values"), msg


def test_aliases_within_the_limit_still_work_and_a_self_reference_is_refused(tmp_path):
    s = load_scenario(_write(tmp_path, "name: t\ntitle: &t Tugay\ndescription: *t\n"))
    assert s.description == "Tugay"
    msg = _error(_write(tmp_path, "name: t\nx: &a [1, *a]\n"))
    assert "line 2: an alias (*name) refers to the value that contains it" in msg, msg


def test_missing_scenario_file(tmp_path):
    assert "nope.yml: scenario file not found" in _error(tmp_path / "nope.yml")


def test_scenario_from_dict_without_lines():
    with pytest.raises(ConfigError, match="key 'seed'"):
        scenario_from_dict({"name": "x", "seed": -1})
    s = scenario_from_dict({"name": "x", "interventions": [{"type": "population_control", "measure": "2.3",
                                                           "site": "uz1-baday-tugay", "capacity_multiplier": 0.5}]})
    assert s.baseline().interventions == [] and s.baseline().name == "x-baseline"


# ----------------------------------------------------------------------------- intervention areas, checked

#: A bow tie: its edges (65,40)-(65.5,40.5) and (65.5,40)-(65,40.5) cross at (65.25, 40.25).
BOW_TIE = {"type": "Polygon", "coordinates": [[[65.0, 40.0], [65.5, 40.5], [65.5, 40.0], [65.0, 40.5], [65.0, 40.0]]]}


def _area_item(geometry: object, label: str = "") -> str:
    return (f'- type: protected_area\n  measure: "2.1"\n{label}  geometry: {json.dumps(geometry)}\n')


def test_a_two_point_polygon_is_refused_in_words(tmp_path):
    msg = _intervention_error(tmp_path, _area_item({"type": "Polygon", "coordinates": [[[65.0, 40.0], [65.5, 40.5]]]}))
    assert "line 3, key 'interventions[0]': geometry cannot be built" in msg
    assert "a polygon ring has at least 4 of them" in msg, msg


def test_a_self_intersecting_area_is_refused_as_sites_check_refuses_it(tmp_path):
    msg = _intervention_error(tmp_path, _area_item(BOW_TIE))
    assert "invalid geometry (Self-intersection[65.25 40.25])" in msg, msg
    sites_file = write_features(tmp_path, site_feature(geometry=BOW_TIE))
    with pytest.raises(DataError) as err:
        load_sites(sites_file)
    # the same check and the same words
    assert msg.split(": ", 1)[1] == str(err.value).split("field 'geometry': ", 1)[1]


def test_an_invalid_feature_of_an_area_file_is_refused(tmp_path):
    f = write_features(tmp_path, {"type": "Feature", "properties": {}, "geometry": BOW_TIE}, name="area.geojson")
    iv = ProtectedArea(type="protected_area", measure="2.1", file=str(f))
    with pytest.raises(ConfigError, match=r"^iv: .*area\.geojson, feature 0: invalid geometry \(Self-intersection"):
        intervention_area(iv, sites=None, where_="iv")


def test_an_area_outside_the_study_area_is_refused_naming_the_intervention():
    model = scenario_from_dict({"name": "m", "base": {"population_units": [4]}, "landscape": {"resolution_m": 20000}})
    ctx = _context(model)
    paris = {"type": "Polygon", "coordinates": [[[2.0, 48.0], [2.5, 48.0], [2.5, 48.5], [2.0, 48.5], [2.0, 48.0]]]}
    swapped = {"type": "Point", "coordinates": [39.51, 67.62]}  # the Zarafshon reserve, latitude and longitude swapped
    for geom in (paris, swapped):
        iv = ProtectedArea(type="protected_area", measure="2.1", label="Paris park", geometry=geom)
        with pytest.raises(ConfigError, match=r"\('Paris park'\): the target area lies outside the study area"):
            _apply(ctx, [iv])
    reserve = ProtectedArea(type="protected_area", measure="2.1", geometry={"type": "Point", "coordinates": [67.62, 39.51]})
    assert _apply(ctx, [reserve]).log[0]["cells"] >= 1


# ----------------------------------------------------------------------------- interventions on rasters


def _grid(value: float):
    """10 x 10 cells of 1 km, upper-left corner at (0, 10 000)."""
    return uniform((10, 10), value)


def test_restoration_changes_exactly_the_cells_whose_centre_is_inside():
    res, suit = _grid(10.0), _grid(0.3)
    iv = CorridorRestoration(type="corridor_restoration", measure="2.1", between=("a", "b"),
                             resistance_multiplier=0.5, suitability_add=0.1)
    # centres x = 2500, 3500, 4500 (cols 2-4) and y = 5500, 4500, 3500 (rows 4-6) lie inside
    new_res, new_suit, rec = apply_area_intervention(res, suit, iv, box(2000, 3000, 5000, 6000))
    expected = np.zeros((10, 10), bool)
    expected[4:7, 2:5] = True
    np.testing.assert_array_equal(new_res.array != 10.0, expected)
    np.testing.assert_allclose(new_res.array[expected], 5.0)
    np.testing.assert_allclose(new_suit.array[expected], 0.4)
    np.testing.assert_allclose(new_suit.array[~expected], 0.3)
    assert rec == {"cells": 9, "area_ha": 900.0, "habitat_change_ha": pytest.approx(9 * 0.1 * 100.0), "at_cap_cells": 0}
    assert (res.array == 10.0).all()  # input untouched


def test_restoration_on_cells_at_suitability_one_adds_no_habitat():
    res, suit = _grid(10.0), _grid(1.0)
    a = suit.array.copy()
    a[4, 2:5] = 0.7  # 3 of the 9 cells below the cap: +0.25 each (to 0.95), 100 ha a cell
    suit = suit.replace(a)
    iv = RiparianReforestation(type="riparian_reforestation", measure="6.2", river="syr_darya", near_sites=["kz2"],
                               within_m=1000, suitability_add=0.25)
    _, new_suit, rec = apply_area_intervention(res, suit, iv, box(2000, 3000, 5000, 6000))
    assert rec["at_cap_cells"] == 6 and rec["cells"] == 9
    assert rec["habitat_change_ha"] == pytest.approx(3 * 0.25 * 100.0)
    loss = HabitatLoss(type="habitat_loss", measure="2.8", sites=["x"], suitability_multiplier=0.5)
    _, _, rec2 = apply_area_intervention(res, new_suit, loss, box(2000, 3000, 5000, 6000))
    assert rec2["habitat_change_ha"] == pytest.approx(-0.5 * (6 * 1.0 + 3 * 0.95) * 100.0) and rec2["at_cap_cells"] == 0


def test_thin_line_touches_cells_and_habitat_loss_can_block():
    res, suit = _grid(10.0), _grid(0.5)
    iv = HabitatLoss(type="habitat_loss", measure="2.8", sites=["x"], impassable=True, suitability_multiplier=0.0)
    # a horizontal line along y = 2500 (row 7 centres) from x = 0 to 3000 holds no centre: takes touched cells
    new_res, new_suit, rec = apply_area_intervention(res, suit, iv, LineString([(0, 2500), (2999, 2500)]))
    hit = ~new_res.valid
    assert rec["cells"] == 3 and hit.sum() == 3 and hit[7, :3].all()
    np.testing.assert_allclose(new_suit.array[hit], 0.0)
    iv2 = HabitatLoss(type="habitat_loss", measure="2.8", sites=["x"], resistance_multiplier=4.0)
    new_res2, _, _ = apply_area_intervention(new_res, suit, iv2, LineString([(0, 2500), (5000, 2500)]))
    assert np.isnan(new_res2.array[7, 0])  # no data stays no data
    np.testing.assert_allclose(new_res2.array[7, 3:5], 40.0)


def test_intervention_area_from_sites_and_errors():
    sites = gpd.GeoDataFrame(
        {"id": ["a", "b", "u"], "location_status": ["located", "located", "unresolved"]},
        geometry=[Point(0, 0), Point(30000, 40000), None],
        crs=WORKING_CRS,
    )
    iv = CorridorRestoration(type="corridor_restoration", measure="2.1", between=("a", "b"), buffer_m=1000)
    geom = intervention_area(iv, sites)
    # a 50 km line buffered by 1 km: about 2 km x 50 km plus two half discs
    assert geom.area == pytest.approx(2000 * 50000 + 3.1416 * 1000**2, rel=0.01)
    with pytest.raises(ConfigError, match="site 'zz' is not in the sites file"):
        intervention_area(CorridorRestoration(type="corridor_restoration", measure="2.1", between=("a", "zz")), sites)
    with pytest.raises(ConfigError, match="site 'u' is unresolved"):
        intervention_area(CorridorRestoration(type="corridor_restoration", measure="2.1", sites=["u"]), sites)


# ----------------------------------------------------------------------------- the pipeline

#: The pipeline's scenario: population unit 4 at 20 km cells, 60 weight draws, one corridor restoration (measure 5.7).
RESTORATION = """\
  - type: corridor_restoration
    measure: "5.7"
    between: [zarafshon-sr, zarafshon-nnp]
    buffer_m: 15000
    resistance_multiplier: 0.2
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipe")
    p = write_scenario(d, "z", RESTORATION, draws=60)
    a = run_scenario(p, d / "a")
    b = run_scenario(p, d / "b")
    return a, b, d


@pytest.mark.slow
def test_outputs_complete(two_runs):
    a, _, _ = two_runs
    out = a.outdir
    for name in ("scenario.gpkg", "resistance.tif", "suitability.tif", "corridors.tif", "resistance_change.tif",
                 "ec_by_system.csv", "corridor_scores.csv", "network_nodes.csv", "unresolved.csv",
                 "scenario_map.png", "scenario_map.svg", "provenance.json", "report.md", "report.html"):
        assert (out / name).exists(), name
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 0 and len(prov["inputs"]["sites"]["sha256"]) == 64
    assert prov["parameters"]["landscape"]["resolution_m"] == 20000
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "could not be located" in html
    # unresolved places are listed in the report, never dropped
    un = a.tables["unresolved"]
    assert len(un) >= 1 and all(i in html for i in un.index)


@pytest.mark.slow
def test_deterministic_tables_and_maps(two_runs):
    a, b, _ = two_runs
    csvs = sorted(p.name for p in a.outdir.glob("*.csv"))
    assert len(csvs) >= 8
    for name in csvs + ["scenario_map.png", "scenario_map.svg", "report.md"]:
        assert (a.outdir / name).read_bytes() == (b.outdir / name).read_bytes(), name


@pytest.mark.slow
def test_restoration_lowers_corridor_cost_and_never_lowers_ec(two_runs):
    a, _, _ = two_runs
    s = a.summary
    assert s["ec_ha"] >= s["ec_base_ha"]
    corr = a.tables["corridors"]
    assert corr.loc["5.7", "cwd"] < corr.loc["5.7", "cwd_base"]
    eb = a.tables["ec_by_system"]
    assert (eb["ec_ha"] >= eb["ec_base_ha"] - 1e-9).all()


def test_corridor_restoration_never_lowers_ec_many_cases():
    """EC never falls under any restoration: lower resistance and more suitability only add."""
    model = scenario_from_dict({"name": "m", "base": {"population_units": [2, 3]},
                                "landscape": {"resolution_m": 20000}})
    ctx = _context(model)
    base_state = _apply(ctx, [])
    ctx.landscape_area_ha = habitat_ha(base_state.suitability)
    base = _analyse(ctx, base_state, node_metrics=False).connectivity.summary["EC_PC"]
    cases = [
        {"between": ["uz1", "uz2"], "resistance_multiplier": 0.05, "buffer_m": 30000},
        {"between": ["tm1", "uz2"], "resistance_multiplier": 0.5, "suitability_add": 0.0},
        {"sites": ["uz1"], "resistance_multiplier": 1.0, "suitability_add": 0.5, "buffer_m": 20000},
        {"river": "amu_darya", "resistance_multiplier": 0.3, "buffer_m": 10000},
    ]
    for k, case in enumerate(cases):
        iv = CorridorRestoration(type="corridor_restoration", measure="2.1", **case)
        ec = _analyse(ctx, _apply(ctx, [iv]), node_metrics=False).connectivity.summary["EC_PC"]
        assert ec >= base * (1 - 1e-12), (k, case, ec, base)
    # the strongest case does raise EC
    iv = CorridorRestoration(type="corridor_restoration", measure="2.1", **cases[0])
    assert _analyse(ctx, _apply(ctx, [iv]), node_metrics=False).connectivity.summary["EC_PC"] > base


@pytest.mark.slow
def test_failed_run_leaves_no_half_folder_and_keeps_the_old_one(two_runs, monkeypatch):
    _, _, d = two_runs
    out = d / "keep"
    p = d / "z.yml"
    sc.run_scenario(p, out, per_measure=False)
    before = {q.name: q.read_bytes() for q in out.iterdir() if q.suffix == ".csv"}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full while writing the report")

    monkeypatch.setattr(sc_outputs, "_report_blocks", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        sc.run_scenario(p, out, per_measure=False)
    after = {q.name: q.read_bytes() for q in out.iterdir() if q.suffix == ".csv"}
    assert after == before  # the earlier good output is intact
    assert not [q for q in d.iterdir() if q.name.startswith(".keep")]  # no temporary folder left


def test_unknown_site_in_intervention_fails_before_writing(tmp_path):
    p = write_scenario(tmp_path, "x", RESTORATION.replace("zarafshon-nnp", "no-such-place"))
    # the file as given, the line of the intervention and its key
    with pytest.raises(ConfigError, match=r"x\.yml, line 9, key 'interventions\[0\]': site 'no-such-place' is not in "
                                          r"the sites file"):
        run_scenario(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_restoration_never_lowers_ec_property():
    """On random landscapes and random restoration boxes, EC with the restoration >= EC without."""
    cores = {"a": (slice(0, 2), slice(0, 2)), "b": (slice(8, 10), slice(8, 10)), "c": (slice(0, 2), slice(8, 10))}

    def ec(res, suit):
        cap = {k: float(suit.array[s].sum()) for k, s in cores.items()}
        rows = []
        for i, a in enumerate(cores):
            m = np.zeros(res.shape, bool)
            m[cores[a]] = True
            cd = cost_distance(res, m).array
            for b in list(cores)[i + 1:]:
                rows.append({"i": a, "j": b, "distance_m": float(np.nanmin(cd[cores[b]]))})
        g = build_graph(pd.DataFrame({"id": list(cap), "capacity": list(cap.values())}), pd.DataFrame(rows),
                        median_dispersal_m=5000.0)
        return equivalent_connected_area(g)

    @hsettings(max_examples=25, deadline=None)
    @given(
        seed=st.integers(0, 10_000),
        x0=st.integers(0, 9), y0=st.integers(0, 9), w=st.integers(1, 10), h=st.integers(1, 10),
        mult=st.floats(0.05, 1.0), add=st.floats(0.0, 1.0),
    )
    def check(seed, x0, y0, w, h, mult, add):
        rng = np.random.default_rng(seed)
        res = _grid(1.0).replace(rng.uniform(1, 100, (10, 10)))
        suit = _grid(0.0).replace(rng.uniform(0, 1, (10, 10)))
        iv = CorridorRestoration(type="corridor_restoration", measure="2.1", sites=["x"],
                                 resistance_multiplier=mult, suitability_add=add)
        geom = box(x0 * 1000, 10000 - (y0 + h) * 1000, (x0 + w) * 1000, 10000 - y0 * 1000)
        r2, s2, _ = apply_area_intervention(res, suit, iv, geom)
        assert ec(r2, s2) >= ec(res, suit) * (1 - 1e-12)

    check()


def test_a_circuit_too_big_for_the_memory_limit_is_an_error_not_a_nan():
    # issue 11: the per-corridor circuits of a run honour memory_limit; a refusal is raised, never turned into NaN
    from corridors import MemoryLimitError, SolverError
    from corridors.scenario.pipeline import _circuit_metrics

    res = uniform((10, 10), 1.0)
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[5, 1], b[5, 8] = True, True
    corridor = np.ones((10, 10), bool)
    ok, _ = _circuit_metrics(res, a, b, corridor)
    assert ok["effective_resistance"] > 0
    with pytest.raises(MemoryLimitError, match="is allowed"):
        _circuit_metrics(res, a, b, corridor, memory_limit=1024)
    assert issubclass(MemoryLimitError, SolverError)


def test_top_takes_the_best_ranked_restoration_sites_of_a_file(tmp_path):
    # issue 15: a scenario intervention can take the top-k restoration sites (a 'rank' column) as its polygons
    from corridors.scenario.interventions import intervention_area
    from corridors.settings import WORKING_CRS

    boxes = {3: box(0, 0, 1000, 1000), 1: box(5000, 0, 6000, 1000), 2: box(10_000, 0, 11_000, 1000)}
    gpd.GeoDataFrame({"rank": list(boxes), "site_id": [f"R{k}" for k in boxes]}, geometry=list(boxes.values()),
                     crs=WORKING_CRS).to_file(tmp_path / "restoration_sites.gpkg")
    p = _write(tmp_path, """
        name: t
        interventions:
          - type: riparian_reforestation
            measure: "2.4"
            file: restoration_sites.gpkg
            top: 2
            buffer_m: 0
        """)
    iv = load_scenario(p).interventions[0]
    area = intervention_area(iv, sites=None)
    assert area.area == pytest.approx(2 * 1000 * 1000) and area.bounds == pytest.approx((5000, 0, 11_000, 1000))
    # without a rank column the file is named with what would fix it; top without file is refused
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=WORKING_CRS).to_file(tmp_path / "plain.gpkg")
    iv.file = tmp_path / "plain.gpkg"
    with pytest.raises(ConfigError, match="needs a 'rank' column in .*plain.gpkg"):
        intervention_area(iv, sites=None)
    msg = _intervention_error(tmp_path, '- type: riparian_reforestation\n  measure: "2.4"\n  river: Amu Darya\n  top: 2')
    assert "top only goes with file" in msg
