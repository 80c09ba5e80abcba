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
