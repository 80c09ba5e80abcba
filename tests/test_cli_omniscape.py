"""``corridors omniscape run``: Omniscape.jl configs from the command line; folders never overwritten; one-line errors."""

from __future__ import annotations

from _helpers import REPO, invoke

import pytest

DATA = REPO / "tests" / "data" / "omniscape"
VERIFY = DATA / "output_verify"


def test_cli_runs_a_config_and_never_touches_an_existing_folder(omniscape_dir):
    cfg = omniscape_dir / "t.ini"
    cfg.write_text((VERIFY / "test2" / "config.ini").read_text())
    (omniscape_dir / "test2").mkdir()
    (omniscape_dir / "test2" / "notes.txt").write_text("mine")
    r = invoke("omniscape", "run", cfg, "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "100 targets solved" in r.output and "writing to test2_1" in r.output
    assert (omniscape_dir / "test2" / "notes.txt").read_text() == "mine" and len(list((omniscape_dir / "test2").iterdir())) == 1
    assert sorted(p.name for p in (omniscape_dir / "test2_1").iterdir()) == [".corridors-output.json", "config.ini", "cum_currmap.asc",
                                                                            "provenance.json"]
    r = invoke("-q", "omniscape", "run", cfg, "--workers", 1)
    assert r.exit_code == 0 and "targets solved" not in r.output and (omniscape_dir / "test2_2").is_dir()


def test_cli_bad_config_is_one_line(omniscape_dir):
    r = invoke("omniscape", "run", omniscape_dir / "input" / "bad_comparison1.ini")
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1] == "error: " + str(omniscape_dir / "input" / "bad_comparison1.ini") + \
        ", key 'comparison1': 'foo' is not one of equal, within."


def test_cli_missing_raster_names_the_key(omniscape_dir):
    cfg = omniscape_dir / "t.ini"
    cfg.write_text("resistance_file = nowhere.tif\nradius = 3\nproject_name = p\nsource_from_resistance = true\n")
    r = invoke("omniscape", "run", cfg, "--workers", 1)
    assert r.exit_code == 1 and "resistance_file: the file nowhere.tif does not exist" in r.output
    assert not (omniscape_dir / "p").exists()


def test_programme_command_writes_its_maps_and_classes(tmp_path):
    r = invoke("omniscape", "programme", "-o", tmp_path / "om", "--resolution-km", 20, "--block-size", 1, "--no-map")
    assert r.exit_code == 0, r.output
    assert "channelized" in r.output and (tmp_path / "om" / "flow_classes.csv").is_file()
    r = invoke("omniscape", "programme", "-o", tmp_path / "om2", "--block-size", 4)
    assert r.exit_code == 2 and "4 is even" in r.output


def test_the_readmes_geotiff_config_runs_in_the_rasters_own_crs(omniscape_dir):
    # The README's example: a user's GeoTIFFs (here Omniscape's own test rasters, given a UTM 17N georeference)
    # run unchanged; the maps carry the rasters' CRS and grid, and equal the same run on the ASCII grids.
    import numpy as np
    import rasterio

    from affine import Affine

    from corridors.raster import Raster

    for name in ("resistance", "source"):
        r = Raster.read(omniscape_dir / "input" / f"{name}.asc")
        Raster(r.array, Affine(30.0, 0, 350_000.0, 0, -30.0, 3_300_000.0), "EPSG:32617", r.nodata, name).write(
            omniscape_dir / f"{name}.tif")
    keys = "radius = 4\nblock_size = 3\ncalc_flow_potential = true\ncalc_normalized_current = true\nsolver = cholmod\n"
    (omniscape_dir / "tif.ini").write_text(f"resistance_file = resistance.tif\nsource_file = source.tif\nproject_name = tif\n{keys}")
    (omniscape_dir / "asc.ini").write_text("resistance_file = input/resistance.asc\nsource_file = input/source.asc\n"
                                           f"project_name = asc\nwrite_as_tif = false\n{keys}")
    for cfg in ("tif.ini", "asc.ini"):
        r = invoke("-q", "omniscape", "run", omniscape_dir / cfg, "--workers", 1)
        assert r.exit_code == 0, r.output
    for name in ("cum_currmap", "flow_potential", "normalized_cum_currmap"):
        with rasterio.open(omniscape_dir / "tif" / f"{name}.tif") as t, rasterio.open(omniscape_dir / "asc" / f"{name}.asc") as a:
            assert t.crs.to_epsg() == 32617 and t.transform.c == 350_000.0 and t.res == (30.0, 30.0)
            # GDAL reads an ASCII grid as Float32 (its AAIGRID_DATATYPE default): equal to float32's resolution
            np.testing.assert_allclose(t.read(1), a.read(1), rtol=1e-6)
            assert (t.read(1) > 0).any()
