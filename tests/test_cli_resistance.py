"""`corridors resistance`: resistance, suitability and class rasters from the bundled model or your own grids.

The land-cover route (--landcover, --reclass) and a grid without a CRS are tested in test_landscape.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from corridors.cli import main
from corridors.raster import Raster

from _helpers import error_line, invoke


def test_help_names_the_sources_and_formats():
    result = invoke("resistance", "--help")
    assert result.exit_code == 0, result.output
    for word in ("--table", "--set", "--resolution", "--bbox", "--landcover", "--reclass", "--raster", "asc"):
        assert word in result.output


@pytest.mark.parametrize("fmt", ["tif", "asc"])
def test_your_raster_resampled_to_coarser_cells(linkage_job, tmp_path, fmt):
    # 30 x 30 cells of 1 km, all 1, on 5 km cells: a 6 x 6 grid of 1 over the same extent
    out = tmp_path / "out"
    run = invoke("resistance", "--raster", linkage_job.resistance, "--resolution", "5000", "--format", fmt, "-o", out)
    assert run.exit_code == 0, run.output
    # an ASCII grid keeps its CRS in a .prj; every step writes its map and provenance.json (issue 11)
    written = sorted({"tif": ["resistance.tif"], "asc": ["resistance.asc", "resistance.prj"]}[fmt]
                     + ["provenance.json", "resistance_map.png"])
    assert sorted(p.name for p in out.iterdir()) == written and str(out / f"resistance.{fmt}") in run.output
    r = Raster.read(out / f"resistance.{fmt}")
    assert r.shape == (6, 6) and r.res == (5000.0, 5000.0)
    assert np.allclose(r.masked(), 1.0)
    assert r.bounds == pytest.approx(linkage_job.raster.bounds)


def test_the_bundled_model_on_a_small_box(tmp_path):
    out = tmp_path / "out"
    run = invoke("-q", "resistance", "--bbox", "64,39,65,40", "--resolution", "10000", "-o", out)
    assert run.exit_code == 0, run.output
    assert {"resistance.tif", "suitability.tif"} <= {p.name for p in out.iterdir()}
    r = Raster.read(out / "resistance.tif")
    assert r.res == (10000.0, 10000.0) and np.nanmin(r.masked()) >= 1.0


@pytest.mark.parametrize("value, words", [
    ("desert", "--set 'desert': write KEY=VALUE"),
    ("desert=lots", "--set 'desert=lots': the value must be a number"),
    ("swamp=5", "'swamp' is neither a class"),
])
def test_bad_set_names_the_option(tmp_path, value, words):
    line = error_line(invoke("resistance", "--set", value, "-o", tmp_path / "o"))
    assert words in line
    assert not (tmp_path / "o").exists()


def test_negative_resolution_is_a_usage_error(tmp_path):
    # negatives used to reach the engines
    result = CliRunner().invoke(main, ["resistance", "--resolution", "-5", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--resolution'" in result.output
    assert not (tmp_path / "o").exists()
