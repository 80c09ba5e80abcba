"""`corridors restore`: the group of restoration commands."""

from __future__ import annotations

from _helpers import invoke


def test_help_names_the_subcommands():
    result = invoke("restore", "--help")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Barrier Mapper" in text and "Linkage Priority" in text


def test_sites_from_a_score_geotiff_in_a_far_crs(tmp_path):
    # a user's score raster in UTM 17N (Florida): sites come out in its CRS, ranked, with the files listed
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from _helpers import grid

    a = np.zeros((20, 20))
    a[3, 3:6] = [5.0, 6.0, 5.0]
    a[15, 15] = 9.0
    a[10, 0] = 0.5
    score = grid(a, 30.0, x0=350_000.0, y0=3_300_000.0, crs="EPSG:32617").write(tmp_path / "barriers.tif")
    out = tmp_path / "out"
    run = invoke("restore", "sites", score, "--min-score", "1", "-o", out)
    assert run.exit_code == 0, run.output
    table = pd.read_csv(out / "restoration_sites.csv")
    assert table["site_id"].tolist() == ["R1", "R2"] and table["n_cells"].tolist() == [1, 3]
    assert table["area_ha"].tolist() == [0.09, 0.27]  # 30 m cells
    layer = gpd.read_file(out / "restoration_sites.gpkg", layer="sites")
    assert layer.crs.to_epsg() == 32617 and layer.geometry.area.round().tolist() == [900.0, 2700.0]
    assert "R1" in run.output and "restoration_sites.gpkg" in run.output
    assert (out / "provenance.json").is_file()


def test_sites_refuse_a_folder_of_the_users(tmp_path):
    import numpy as np

    from _helpers import grid

    score = grid(np.ones((3, 3)), 1000.0).write(tmp_path / "s.tif")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    run = invoke("restore", "sites", score, "-o", mine)
    assert run.exit_code != 0 and "notes.txt" in run.output
    assert (mine / "notes.txt").read_text() == "mine"
