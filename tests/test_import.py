"""``import corridors`` gives the public modules as attributes, lazily, and stays light."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types

import pytest

import corridors


def _exists(name: str) -> bool:
    return importlib.util.find_spec(f"corridors.{name}") is not None


@pytest.mark.parametrize("name", corridors.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(corridors, name) is not None


@pytest.mark.parametrize("name", [n for n in corridors._SUBMODULES if _exists(n)])
def test_every_public_module_is_an_attribute(name):
    mod = getattr(corridors, name)
    assert isinstance(mod, types.ModuleType)
    assert mod.__name__ == f"corridors.{name}"


def test_the_engines_and_data_modules_are_all_listed():
    # The modules of the brief; the ones other work adds (programme, linkages, analyses) resolve once they exist.
    expected = {"lcp", "circuit", "network", "sites", "rivers", "landscape", "scoring", "scenario", "batch", "plot",
                "io", "raster", "settings", "borders", "report", "programme", "linkages", "analyses"}
    assert expected <= set(corridors._SUBMODULES)
    assert len(set(corridors._SUBMODULES)) == len(corridors._SUBMODULES)


def test_unknown_attribute_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="no_such_thing"):
        corridors.no_such_thing  # noqa: B018
    assert not hasattr(corridors, "no_such_thing")


def test_dir_lists_the_lazy_names():
    names = dir(corridors)
    assert set(corridors._SUBMODULES) <= set(names)
    assert {"Raster", "WORKING_CRS", "DataError", "__version__"} <= set(names)


def test_from_import_of_lazy_names():
    from corridors import WORKING_CRS, Raster

    from corridors.raster import Raster as R
    from corridors.settings import WORKING_CRS as W

    assert Raster is R and WORKING_CRS is W


def test_import_corridors_loads_no_geospatial_stack():
    # import time: rasterio (through corridors.raster) and geopandas were 0.4 s of `import corridors`.
    code = ("import sys, corridors; heavy = [m for m in ('rasterio', 'geopandas', 'pyproj', 'corridors.raster', "
            "'corridors.lcp') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
