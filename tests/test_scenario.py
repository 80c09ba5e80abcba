"""Scenario files: validation messages that name key and line, and the pipeline's guarantees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from corridors._errors import ConfigError
from corridors.scenario import (
    CorridorRestoration,
    Reintroduction,
    load_scenario,
    scenario_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str, name: str = "s.yml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    return str(info.value)


# ----------------------------------------------------------------------------- schema


def test_minimal_scenario_takes_defaults(tmp_path):
    s = load_scenario(_write(tmp_path, "name: base\n"))
    assert s.name == "base"
    assert s.landscape.resolution_m == 5000.0
    assert s.links.source == "least_cost"
    assert s.interventions == []
    assert s.source_path == (tmp_path / "s.yml").resolve()


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
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - type: corridor_restoration
            measure: "2.1"
            between: [a, b]
            bufer_m: 3000
        """,
    )
    msg = _error(p)
    assert "line 6, key 'interventions[0].bufer_m'" in msg
    assert "unknown key" in msg and "buffer_m" in msg


def test_unknown_measure(tmp_path):
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - type: reintroduction
            measure: "9.9"
            site: cand-x
            capacity: 30
        """,
    )
    msg = _error(p)
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
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - type: habitat_loss
            measure: "2.8"
            file: reservoir.gpkg
        """,
    )
    msg = _error(p)
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
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - measure: "2.8"
            type: fence
        """,
    )
    msg = _error(p)
    assert "line 3, key 'interventions[0]'" in msg and "'fence'" in msg and "border_permeability" in msg


def test_border_id_order_and_duplicates(tmp_path):
    msg = _error(_write(tmp_path, "name: t\nlinks:\n  border_permeability:\n    UZB-TKM: 0.5\n"))
    assert "line 4" in msg and "'TKM-UZB'" in msg
    msg = _error(_write(tmp_path, "name: t\nseed: 1\nseed: 2\n", "d.yml"))
    assert "line 3, key 'seed': given twice (first on line 2)" in msg


def test_target_must_be_exactly_one(tmp_path):
    p = _write(
        tmp_path,
        """
        name: t
        interventions:
          - type: corridor_restoration
            measure: "2.1"
            between: [a, b]
            sites: [c]
        """,
    )
    msg = _error(p)
    assert "line 3" in msg and "exactly one target" in msg and "sites, between" in msg


def test_bad_weight_and_bad_yaml(tmp_path):
    msg = _error(_write(tmp_path, "name: t\nscoring:\n  site_weights: {beauty: 1}\n"))
    assert "line 3, key 'scoring.site_weights'" in msg and "'beauty'" in msg
    msg = _error(_write(tmp_path, "name: t\n  seed: 1\n", "bad.yml"))
    assert "bad.yml, line 2: not valid YAML" in msg
    msg = _error(tmp_path / "nope.yml")
    assert "nope.yml: scenario file not found" in msg


def test_scenario_from_dict_without_lines():
    with pytest.raises(ConfigError, match="key 'seed'"):
        scenario_from_dict({"name": "x", "seed": -1})
    s = scenario_from_dict({"name": "x", "interventions": [{"type": "population_control", "measure": "2.3",
                                                           "site": "uz1-baday-tugay", "capacity_multiplier": 0.5}]})
    assert s.baseline().interventions == [] and s.baseline().name == "x-baseline"


# ----------------------------------------------------------------------------- interventions on rasters


def _grid(value: float):
    from affine import Affine

    from corridors.raster import Raster
    from corridors.settings import WORKING_CRS
    import numpy as np

    # 10 x 10 cells of 1 km, upper-left corner at (0, 10 000)
    return Raster(np.full((10, 10), value), Affine(1000, 0, 0, 0, -1000, 10000), WORKING_CRS)


def test_restoration_changes_exactly_the_cells_whose_centre_is_inside():
    import numpy as np
    from shapely.geometry import box

    from corridors.scenario import apply_area_intervention

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
    assert rec == {"cells": 9, "area_ha": 900.0}
    assert (res.array == 10.0).all()  # input untouched


def test_thin_line_touches_cells_and_habitat_loss_can_block():
    import numpy as np
    from shapely.geometry import LineString

    from corridors.scenario import HabitatLoss, apply_area_intervention

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
    import geopandas as gpd
    from shapely.geometry import Point

    from corridors.scenario import intervention_area
    from corridors.settings import WORKING_CRS

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
