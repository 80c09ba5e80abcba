"""Linkage Priority (Linkage Mapper 3): corridors.restore.priority, corridors.analyses.priority and `corridors restore priority`.

The hand-checked case: three square cores in a row on a grid of 100 m cells
(21 rows x 50 columns), resistance 1 everywhere except inside cores B and C:

    core A: rows 9-11, cols 2-4    (3 x 3 cells, 300 m side: 9 ha, perimeter 1200 m, A/P 75 m), resistance 1: mean 1
    core B: rows 8-12, cols 15-19  (5 x 5 cells, 500 m side: 25 ha, perimeter 2000 m, A/P 125 m),
            its inner 3 x 3 at resistance 4: mean (16 x 1 + 9 x 4) / 25 = 2.08
    core C: rows 9-11, cols 40-42  (3 x 3, 9 ha, A/P 75 m), its centre cell at 10: mean (8 + 10) / 9 = 2

A core's cells are all sources (cost 0), so the resistances inside B and C
change no distance outside them. Linkages (Linkage Mapper's default
adjacency; B's allocation zone separates A from C): A-B and B-C.
LCD(A-B) = 11 steps of 100 m at resistance 1 (col 4 to col 15) = 1100;
LCD(B-C) = 21 steps (col 19 to col 40) = 2100. Truncation T = 1000.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from corridors._errors import ConfigError, DataError
from corridors.linkages import build_linkages
from corridors.raster import Raster
from corridors.restore import PriorityWeights, linkage_priority
from corridors.restore.priority import WEIGHT_OPTIONS, normalise

from _helpers import error_line, grid, invoke, usage_error

CELL = 100.0
X0, Y0 = 500_000.0, 4_000_000.0
FAR_CRS = "EPSG:32617"  # UTM 17N: a Linkage Mapper user's data, far from the programme's Albers
SQRT2 = math.sqrt(2.0)


def _box(c0: int, c1: int, r0: int, r1: int):
    return box(X0 + c0 * CELL, Y0 - (r1 + 1) * CELL, X0 + (c1 + 1) * CELL, Y0 - r0 * CELL)


def _three_cores(crs: str = "EPSG:32642") -> tuple[Raster, gpd.GeoDataFrame]:
    arr = np.ones((21, 50), dtype="float64")
    arr[9:12, 16:19] = 4.0
    arr[10, 41] = 10.0
    r = grid(arr, CELL, x0=X0, y0=Y0, crs=crs, name="three cores")
    cores = gpd.GeoDataFrame({"name": ["A", "B", "C"], "value": [5.0, 0.0, 10.0]},
                             geometry=[_box(2, 4, 9, 11), _box(15, 19, 8, 12), _box(40, 42, 9, 11)], crs=crs)
    return r, cores


@pytest.fixture(scope="module")
def links():
    r, cores = _three_cores()
    return build_linkages(r, cores, id_field="name", truncate_m=1000.0)


def test_the_hand_checked_case(links):
    assert list(zip(links.linkages["core_a"], links.linkages["core_b"], links.linkages["cwd_m"])) == [("A", "B", 1100.0), ("B", "C", 2100.0)]
    p = linkage_priority(links, core_values={"A": 5.0, "B": 0.0, "C": 10.0})
    c = p.cores.set_index("core_id")
    assert c["area_ha"].tolist() == pytest.approx([9, 25, 9]) and c["area_perimeter_m"].tolist() == pytest.approx([75, 125, 75])
    assert c["mean_resistance"].tolist() == pytest.approx([1.0, 2.08, 2.0])
    # Centrality Mapper on the chain A-B-C, 1 A between every pair: A and C are an end of two pairs (2 A),
    # B of two and passes the A-C ampere on (3 A), whatever the resistances.
    assert c["cf_central"].tolist() == pytest.approx([2, 3, 2])
    # Normalised terms: resistance inverted (2.08 - x) / 1.08: A 1, B 0, C 0.08 / 1.08 = 0.074074;
    # size, A/P and centrality: A 0, B 1, C 0; expert (x - 0) / 10: A 0.5, B 0, C 1.
    assert c["n_resistance"].tolist() == pytest.approx([1.0, 0.0, 0.08 / 1.08])
    assert c["n_size"].tolist() == [0, 1, 0] and c["n_area_perimeter"].tolist() == [0, 1, 0] and c["n_centrality"].tolist() == [0, 1, 0]
    assert c["n_expert"].tolist() == pytest.approx([0.5, 0.0, 1.0])
    # CAV, five weights of 1: A (1 + 0.5) / 5 = 0.3; B (1 + 1 + 1) / 5 = 0.6; C (0.074074 + 1) / 5 = 0.214815.
    assert c["cav"].tolist() == pytest.approx([0.3, 0.6, (0.08 / 1.08 + 1) / 5])
    k = p.linkages.set_index(["core_a", "core_b"])
    # Relative permeability: A-B the cheaper (1), B-C the dearer (0). Mean CAV: A-B 0.45, B-C (0.6 + 0.214815) / 2 = 0.407407.
    assert k["rel_permeability"].tolist() == [1.0, 0.0]
    mcav_bc = (0.6 + (0.08 / 1.08 + 1) / 5) / 2
    assert k["mean_cav"].tolist() == pytest.approx([0.45, mcav_bc])
    # Priority (no expert corridor values): (RP + MCAV) / 2: A-B 0.725, B-C 0.203704; A-B ranks first.
    assert k["priority"].tolist() == pytest.approx([0.725, mcav_bc / 2]) and k["rank"].tolist() == [1, 2]
    # CSP on the path, RC = 1: (1 + RP + MCAV) / 3: A-B 0.816667, B-C 0.469136.
    assert k["csp_on_path"].tolist() == pytest.approx([2.45 / 3, (1 + mcav_bc) / 3])
    # Cell (row 5, col 9), off the A-B axis: CWD_A from A's corner cell (9, 4), 5 across and 4 up: 1 straight + 4 diagonal
    # steps = 100 + 400 sqrt 2; CWD_B from B's corner (8, 15), 6 across, 3 up: 300 + 300 sqrt 2. NLCC = 400 + 700 sqrt 2 - 1100
    # = 289.95; RC = 1 - NLCC / 1000 = 0.710051. (Towards B-C: 724 + 3266 - 2100 > T, outside.)
    nlcc = 400 + 700 * SQRT2 - 1100
    rc = 1 - nlcc / 1000
    assert float(links.corridor("A", "B").array[5, 9]) == pytest.approx(nlcc, rel=1e-6)
    csp = (rc + 1 + 0.45) / 3  # 0.720017
    trunk = rc * 0.725  # 0.514787
    assert float(p.csp.array[5, 9]) == pytest.approx(csp, rel=1e-6)
    assert float(p.trunk.array[5, 9]) == pytest.approx(trunk, rel=1e-6)
    # Blended: (CSP + TP) / 2 = 0.617402, over the top cell's, on the A-B path: (0.816667 + 0.725) / 2 = 0.770833 -> 0.800955.
    top = (2.45 / 3 + 0.725) / 2
    assert float(p.surface.array[5, 9]) == pytest.approx((csp + trunk) / 2 / top, rel=1e-6)
    assert float(p.surface.array[10, 9]) == pytest.approx(1.0) and float(np.nanmax(p.surface.array)) == pytest.approx(1.0)
    # On the B-C path (row 10, col 30): CSP 0.469136, TP 0.203704 -> (0.469136 + 0.203704) / 2 / 0.770833.
    assert float(p.surface.array[10, 30]) == pytest.approx(((1 + mcav_bc) / 3 + mcav_bc / 2) / 2 / top, rel=1e-6)
    assert np.isnan(p.surface.array[0, 0])  # outside both corridors (NLCC > T)


def test_zeroing_a_weight_drops_its_term(links):
    # Only the size weighs the CAV: CAV = n_size (A 0, B 1, C 0); only the core value weighs the CSP's linkage part.
    w = PriorityWeights(resistance=0, area_perimeter=0, centrality=0, permeability=0)
    p = linkage_priority(links, w)
    assert p.cores["cav"].tolist() == [0.0, 1.0, 0.0]
    # The linkage's priority is then its mean CAV: A-B (0 + 1) / 2, B-C (1 + 0) / 2.
    assert p.linkages["priority"].tolist() == [0.5, 0.5]
    # Closeness alone: the CSP is RC, 1 on every least-cost path.
    only_rc = linkage_priority(links, PriorityWeights(permeability=0, core_value=0, trunk=0))
    assert float(only_rc.csp.array[10, 9]) == pytest.approx(1.0) and float(only_rc.csp.array[10, 30]) == pytest.approx(1.0)
    assert float(only_rc.csp.array[5, 9]) == pytest.approx(1 - (400 + 700 * SQRT2 - 1100) / 1000, rel=1e-6)
    # No expert core values and the default weight: the term is 0-weighted, CAV the mean of the four others.
    d = linkage_priority(links).cores
    assert d["cav"].tolist() == pytest.approx(d[["n_resistance", "n_size", "n_area_perimeter", "n_centrality"]].mean(axis=1).tolist())
    assert d["n_expert"].isna().all()


def test_scaling_every_weight_changes_nothing(links):
    values = {"A": 5.0, "B": 0.0, "C": 10.0}
    base = PriorityWeights(resistance=1, size=2, area_perimeter=0.5, expert_core=3, centrality=1, closeness=2, permeability=1,
                           core_value=4, expert_corridor=0, csp=1, trunk=0.25)
    scaled = PriorityWeights(**{k: v * 7.3 for k, v in base.as_dict().items()})
    a, b = linkage_priority(links, base, core_values=values), linkage_priority(links, scaled, core_values=values)
    pd.testing.assert_frame_equal(a.cores, b.cores)
    pd.testing.assert_frame_equal(a.linkages, b.linkages)
    np.testing.assert_allclose(a.surface.array, b.surface.array, rtol=1e-6, equal_nan=True)
    # ... while a change of ratio does change the surface.
    other = linkage_priority(links, PriorityWeights(trunk=3), core_values=values)
    assert not np.allclose(a.surface.array, other.surface.array, equal_nan=True)


@pytest.mark.parametrize("name", ["size", "closeness", "trunk", "expert_core"])
def test_a_negative_weight_is_refused_by_its_option(name):
    with pytest.raises(ConfigError, match=WEIGHT_OPTIONS[name][0]):
        PriorityWeights(**{name: -1.0})
    with pytest.raises(ConfigError, match=WEIGHT_OPTIONS[name][0]):
        PriorityWeights(**{name: math.nan})


def test_all_zero_weights_are_refused(links):
    with pytest.raises(ConfigError, match="--w-closeness.*corridor-specific priority is 0"):
        PriorityWeights(closeness=0, permeability=0, core_value=0)
    with pytest.raises(ConfigError, match="--w-csp, --w-trunk.*blended priority is 0"):
        PriorityWeights(csp=0, trunk=0)
    with pytest.raises(ConfigError, match="core area value is 0"):
        linkage_priority(links, PriorityWeights(resistance=0, size=0, area_perimeter=0, centrality=0))
    # ... unless the CSP does not use the CAV.
    p = linkage_priority(links, PriorityWeights(resistance=0, size=0, area_perimeter=0, centrality=0, core_value=0))
    assert p.linkages["priority"].tolist() == [1.0, 0.0]  # permeability alone


def test_expert_values_are_checked(links):
    with pytest.raises(ConfigError, match="--w-expert-core.*--core-value-field"):
        linkage_priority(links, PriorityWeights(expert_core=1))
    with pytest.raises(DataError, match="feature 'C'.*not a number"):
        linkage_priority(links, core_values={"A": 1.0, "B": 2.0})
    with pytest.raises(ConfigError, match="truncate_m"):
        linkage_priority(links, truncate_m=0)
    # The expert corridor value: B-C given the higher importance, its normalised term 1, A-B's 0.
    p = linkage_priority(links, corridor_values={("C", "B"): 9.0, ("A", "B"): 1.0})
    assert p.linkages.set_index("core_b")["n_expert"].to_dict() == {"B": 0.0, "C": 1.0}


def test_normalise():
    assert normalise([2.0, 4.0, 3.0]).tolist() == [0.0, 1.0, 0.5]
    assert normalise([2.0, 4.0, 3.0], invert=True).tolist() == [1.0, 0.0, 0.5]
    assert normalise([5.0, 5.0]).tolist() == [1.0, 1.0]  # all equal: the term ranks nothing
    # Equal up to rounding (the areas of discs of one radius): equal, not a 0-1 ranking of the last digits.
    assert normalise([7841.371 * (1 + 1e-13), 7841.371, 7841.371 * (1 - 1e-13)]).tolist() == [1.0, 1.0, 1.0]


def test_write_the_files(links, tmp_path):
    p = linkage_priority(links)
    w = p.write(tmp_path / "prio")
    assert {f.name for f in w.values()} == {"priority.tif", "priority_csp.tif", "priority_trunk.tif", "priority_cores.csv",
                                            "priority_linkages.csv", "provenance.json"}
    back = Raster.read(w["surface"])
    assert back.crs.to_epsg() == 32642 and back.nodata == -9999
    np.testing.assert_allclose(back.masked(), p.surface.array, equal_nan=True)
    prov = json.loads(w["provenance"].read_text())
    assert prov["parameters"]["weights"]["trunk"] == 1.0 and prov["parameters"]["weights"]["expert_core"] == 0.0
    assert prov["parameters"]["truncate_m"] == 1000.0


# ----------------------------------------------------------------------------- the CLI
def _far_files(folder):
    """The three-core case in UTM 17N as a Linkage Mapper user brings it: a GeoTIFF and a GeoPackage with ids in 'name'."""
    r, cores = _three_cores(FAR_CRS)
    tif = r.write(folder / "far.tif")
    gpkg = folder / "far_cores.gpkg"
    cores.to_file(gpkg)
    return tif, gpkg


def test_help_names_every_weight_with_its_linkage_mapper_name():
    result = invoke("restore", "priority", "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split()).replace("- ", "-")  # click wraps after a hyphen
    for name, (flag, lm3, _) in WEIGHT_OPTIONS.items():
        if name == "expert_corridor":  # no CLI option: the library takes corridor_values
            continue
        assert flag in text and lm3.split(" (")[0] in text, flag
    assert "priority.tif" in text and "--core-value-field" in text


def test_cli_on_your_cores_in_a_far_projected_crs(tmp_path):
    tif, gpkg = _far_files(tmp_path)
    out = tmp_path / "prio"
    r = invoke("-q", "restore", "priority", "--resistance", tif, "--cores", gpkg, "--id-field", "name",
               "--core-value-field", "value", "--truncate", 1000, "-o", out)
    assert r.exit_code == 0, r.output
    links = pd.read_csv(out / "priority_linkages.csv")
    # As the hand-checked case: A-B first at 0.725 (the expert core values weigh in by default with the field).
    assert links["priority"].tolist() == pytest.approx([0.725, (0.6 + (0.08 / 1.08 + 1) / 5) / 4])
    cores = pd.read_csv(out / "priority_cores.csv")
    assert cores["cav"].tolist() == pytest.approx([0.3, 0.6, (0.08 / 1.08 + 1) / 5])
    surf = Raster.read(out / "priority.tif")
    assert surf.crs.to_epsg() == 32617 and float(np.nanmax(surf.masked())) == pytest.approx(1.0)
    assert (out / "priority_map.png").stat().st_size > 10_000 and (out / "priority_map.svg").exists()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["command"] == "corridors restore priority" and prov["inputs"]["cores"]["path"].endswith("far_cores.gpkg")
    assert prov["parameters"]["core_value_field"] == "value" and "32617" in prov["parameters"]["crs"]


def test_cli_weights_reach_the_engine(tmp_path):
    tif, gpkg = _far_files(tmp_path)
    out = tmp_path / "prio"
    r = invoke("-q", "restore", "priority", "--resistance", tif, "--cores", gpkg, "--id-field", "name", "--truncate", 1000,
               "--w-resistance", 0, "--w-area-perimeter", 0, "--w-centrality", 0, "--no-map", "-o", out)
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "priority_cores.csv")["cav"].tolist() == [0.0, 1.0, 0.0]  # size alone
    assert not (out / "priority_map.png").exists()


@pytest.mark.parametrize("flag", ["--w-size", "--w-trunk", "--w-closeness"])
def test_cli_refuses_a_negative_weight(tmp_path, flag):
    usage_error(invoke("restore", "priority", flag, "-1", "-o", tmp_path / "o"), f"'{flag}'")
    assert not (tmp_path / "o").exists()


def test_cli_refuses_bad_options_with_a_clear_line(tmp_path):
    line = error_line(invoke("restore", "priority", "--w-csp", 0, "--w-trunk", 0, "-o", tmp_path / "o"))
    assert "--w-csp, --w-trunk" in line
    line = error_line(invoke("restore", "priority", "--w-expert-core", 2, "-o", tmp_path / "o"))
    assert "--w-expert-core" in line and "--core-value-field" in line
    assert "--id-field" in error_line(invoke("restore", "priority", "--id-field", "name", "-o", tmp_path / "o"))
    tif, gpkg = _far_files(tmp_path)
    line = error_line(invoke("restore", "priority", "--resistance", tif, "--cores", gpkg, "--id-field", "name",
                             "--core-value-field", "quality", "-o", tmp_path / "o"))
    assert "far_cores.gpkg" in line and "'quality'" in line and "value" in line
    assert not (tmp_path / "o").exists()


def test_cli_options_match_the_engine():
    from corridors.cli.restore import _PRIORITY_WEIGHTS

    for name, flag, help_text, _ in _PRIORITY_WEIGHTS:
        assert WEIGHT_OPTIONS[name][0] == flag and help_text.startswith(WEIGHT_OPTIONS[name][1]), flag


@pytest.mark.slow
def test_the_programme_corridors(tmp_path, coarse_resistance):
    r = invoke("-q", "restore", "priority", "--resistance", coarse_resistance, "-o", tmp_path / "prio")
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "prio" / "priority_linkages.csv")
    assert {"2.1a", "6.4", "7.4"} <= set(table["corridor"]) and table["rank"].min() == 1
    assert table["priority"].between(0, 1).all()
