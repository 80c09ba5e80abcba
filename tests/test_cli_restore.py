"""`corridors restore`: the group of restoration commands, and `restore sites`, the ranked restoration sites."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from _helpers import error_line, grid, invoke

FAR_CRS = "EPSG:32617"


def test_help_names_the_subcommands():
    result = invoke("restore", "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Barrier Mapper" in text and "Linkage Priority" in text
    for sub in ("barriers", "sensitivity", "priority", "sites"):
        assert sub in text


def _far_wall(folder):
    """5 x 12 cells of 100 m in UTM 17N, a wall of resistance 11 at column 6, cores at columns 0-1 and 10-11.

    By hand: LCD along row 2 = 7 steps of 100 + two half-wall steps (1 + 11) / 2 x 100 = 1 900; with the wall
    restored to 1 it is 9 x 100 = 900, a drop of 1 000 (52.6 %). Barrier Mapper at radius 100 m scores the wall's
    cells 5 (1 000 over 200 m), more than any other circle.
    """
    a = np.ones((5, 12))
    a[:, 6] = 11.0
    x0, y0 = 600_000.0, 4_500_000.0
    tif = grid(a, 100.0, x0=x0, y0=y0, crs=FAR_CRS, name="far.tif").write(folder / "far_wall.tif")
    cores = gpd.GeoDataFrame({"Core_ID": [1, 2]}, geometry=[box(x0 + 10, y0 - 390, x0 + 190, y0 - 110),
                                                            box(x0 + 1010, y0 - 390, x0 + 1190, y0 - 110)], crs=FAR_CRS)
    cores.to_file(folder / "far_cores.gpkg")
    return tif, folder / "far_cores.gpkg"


def test_sites_on_your_cores_in_a_far_crs_give_the_gain_known_by_hand(tmp_path):
    tif, gpkg = _far_wall(tmp_path)
    out = tmp_path / "out"
    run = invoke("restore", "sites", "--resistance", tif, "--cores", gpkg, "--id-field", "Core_ID", "--radius-km", "0.1",
                 "-o", out)
    assert run.exit_code == 0, run.output
    sites = pd.read_csv(out / "restoration_sites.csv")
    first = sites.iloc[0]
    assert first["site_id"] == "R1" and first["score_max"] == pytest.approx(5.0) and first["barrier"] == "land"
    assert first["lcd_before_km"] == pytest.approx(1.9) and first["lcd_after_km"] == pytest.approx(0.9)
    assert first["lcd_drop_pct"] == pytest.approx(100 * 1000 / 1900)
    assert first["gain_m_per_ha"] == pytest.approx(1000 / first["area_ha"])
    assert pd.isna(first["country"])  # no country of the bundled layer in Pennsylvania
    assert len(pd.read_csv(out / "border_crossings.csv")) == 0  # no national border near Pennsylvania
    layer = gpd.read_file(out / "restoration_sites.gpkg", layer="sites")
    assert layer.crs.to_epsg() == 32617 and layer.geometry.iloc[0].intersects(box(600_600, 4_499_500, 600_700, 4_500_000))
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["rests_on"] and prov["inputs"]["cores"]["path"].endswith("far_cores.gpkg")
    assert (out / "restoration_map.png").is_file() and "R1" in run.output


def test_a_site_whose_circle_holds_a_border_is_a_crossing(tmp_path, monkeypatch):
    # The wall is made a national border strip: its circles are then border crossings (measure 1.3), and no
    # habitat site keeps a gain from it.
    import corridors.analyses.restoration as restoration

    monkeypatch.setattr(restoration, "border_cells", lambda g: np.pad(np.ones((5, 1), bool), ((0, 0), (6, 5))))
    tif, gpkg = _far_wall(tmp_path)
    out = tmp_path / "out"
    run = invoke("-q", "restore", "sites", "--resistance", tif, "--cores", gpkg, "--id-field", "Core_ID", "--radius-km", "0.1",
                 "-o", out)
    assert run.exit_code == 0, run.output
    crossings = pd.read_csv(out / "border_crossings.csv")
    assert crossings.iloc[0]["site_id"] == "B1" and crossings.iloc[0]["lcd_drop_km"] == pytest.approx(1.0)
    sites = pd.read_csv(out / "restoration_sites.csv")
    assert (sites["lcd_drop_km"].fillna(0) < 1e-9).all()


def test_sites_from_a_score_geotiff(tmp_path):
    a = np.zeros((20, 20))
    a[3, 3:6] = [5.0, 6.0, 5.0]
    a[15, 15] = 9.0
    score = grid(a, 30.0, x0=350_000.0, y0=3_300_000.0, crs=FAR_CRS).write(tmp_path / "barriers.tif")
    out = tmp_path / "out"
    run = invoke("restore", "sites", "--score", score, "--top-percent", "100", "-o", out)
    assert run.exit_code == 0, run.output
    table = pd.read_csv(out / "restoration_sites.csv")
    assert table["site_id"].tolist() == ["R1", "R2"] and table["n_cells"].tolist() == [1, 3]
    assert table["area_ha"].tolist() == [0.09, 0.27]  # 30 m cells
    layer = gpd.read_file(out / "restoration_sites.gpkg", layer="sites")
    assert layer.crs.to_epsg() == 32617 and layer.geometry.area.round().tolist() == [900.0, 2700.0]


def test_score_with_barrier_options_is_refused_naming_them(tmp_path):
    score = grid(np.ones((3, 3)), 1000.0).write(tmp_path / "s.tif")
    line = error_line(invoke("restore", "sites", "--score", score, "--radius-km", "1", "-o", tmp_path / "o"))
    assert "--score" in line and "--radius-km would be ignored" in line
    assert not (tmp_path / "o").exists()


def test_sites_refuse_a_folder_of_the_users(tmp_path):
    score = grid(np.ones((3, 3)), 1000.0).write(tmp_path / "s.tif")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    run = invoke("restore", "sites", "--score", score, "-o", mine)
    assert run.exit_code != 0 and "notes.txt" in run.output
    assert (mine / "notes.txt").read_text() == "mine"


def test_robustness_needs_the_bundled_table(tmp_path):
    tif, gpkg = _far_wall(tmp_path)
    line = error_line(invoke("restore", "sites", "--resistance", tif, "--cores", gpkg, "--id-field", "Core_ID",
                             "--robustness", "2", "-o", tmp_path / "o"))
    assert "--robustness perturbs the bundled expert table" in line and not (tmp_path / "o").exists()
