"""Fixtures the test files share, and the ``slow`` marker on end-to-end tests and notebooks.

``python -m pytest -m "not slow"`` (``make test-fast``) leaves out whatever
runs a whole scenario, a batch on a Dask cluster, the main job, a full
programme map or a notebook; ``make test`` runs everything. Plain builders
(rasters, cores, graphs, INI files, ``invoke``) are in ``_helpers.py``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from corridors import landscape
from corridors import programme as P
from corridors import sites as S

from _helpers import REPO, STRIP, cores_at, grid, site_feature, write_asc, write_features

# ----------------------------------------------------------------------------- the slow marker
@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every notebook (nbmake) slow; end-to-end tests carry ``@pytest.mark.slow`` in their own files."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


# ----------------------------------------------------------------------------- bundled data
@pytest.fixture(scope="module")
def sites() -> gpd.GeoDataFrame:
    """The bundled data/sites.geojson, loaded once per test module (do not change it in place)."""
    return S.load_sites()


@pytest.fixture(scope="module")
def measures() -> pd.DataFrame:
    """The bundled data/programme/measures.csv, loaded once per test module."""
    return P.load_measures()


@pytest.fixture(scope="session")
def coarse_resistance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled resistance surface at 10 km cells as a GeoTIFF: the programme's corridors in a second."""
    path = tmp_path_factory.mktemp("coarse") / "resistance_10km.tif"
    return landscape.build_resistance(resolution_m=10_000.0).write(path)


# ----------------------------------------------------------------------------- small user files
@pytest.fixture
def linkage_job(tmp_path: Path) -> SimpleNamespace:
    """A flat 30 x 30 km resistance (1 km cells, centred on 0, 0) and two round cores 'a' and 'b' at opposite corners.

    Attributes: ``raster``, ``resistance`` (its GeoTIFF), ``cores`` (GeoDataFrame,
    id column ``id``, discs of 1.5 km) and ``cores_path`` (their GeoPackage).
    """
    r = grid(np.ones((30, 30), dtype="float32"), 1000.0, x0=-15_000.0, y0=15_000.0)
    c = cores_at(r, {"a": (5, 5), "b": (24, 24)}, radius_cells=1.5, id_field="id")
    c.to_file(tmp_path / "cores.gpkg")
    return SimpleNamespace(raster=r, resistance=r.write(tmp_path / "res.tif"), cores=c, cores_path=tmp_path / "cores.gpkg")


@pytest.fixture
def strip_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pairwise Circuitscape job on the strip with focal points at columns 0, 4 and 7, run from tmp_path.

    Write the INI with ``write_ini(tmp_path / "job.ini", **strip_job_keys())``.
    """
    monkeypatch.chdir(tmp_path)
    write_asc(tmp_path / "hab.asc", [STRIP])
    (tmp_path / "pts.txt").write_text("1 0.5 0.5\n2 4.5 0.5\n3 7.5 0.5\n")
    return tmp_path


@pytest.fixture
def conefor_project(tmp_path: Path) -> tuple[Path, Path]:
    """A Conefor project of three nodes in a line: node file (ids 1-3, capacity 10, 20, 30) and probabilities 1-2 0.5, 2-3 0.4."""
    nodes, links = tmp_path / "n.txt", tmp_path / "c.txt"
    nodes.write_text("1 10\n2 20\n3 30\n")
    links.write_text("1 2 0.5\n2 3 0.4\n")
    return nodes, links


@pytest.fixture
def toy_sites_file(tmp_path: Path) -> Path:
    """Two placed subpopulations 'west' and 'east' on the Zarafshon near Bukhara, as a sites GeoJSON."""
    return write_features(
        tmp_path,
        site_feature(id="west", river="zarafshon", geometry={"type": "Point", "coordinates": [64.4, 39.8]}),
        site_feature(id="east", river="zarafshon", geometry={"type": "Point", "coordinates": [64.6, 39.9]}),
        name="toy_sites.geojson",
    )


@pytest.fixture
def toy_rivers_file(tmp_path: Path) -> Path:
    """One river line, the Zarafshon from 64.3 E to 64.7 E, passing within a few km of :func:`toy_sites_file`."""
    return write_features(
        tmp_path,
        {"type": "Feature", "properties": {"river": "zarafshon", "river_system": "zarafshon"},
         "geometry": {"type": "LineString", "coordinates": [[64.3, 39.8], [64.7, 39.9]]}},
        name="toy_rivers.geojson",
    )


# ----------------------------------------------------------------------------- Omniscape.jl's test folder
@pytest.fixture
def omniscape_dir(tmp_path, monkeypatch):
    """A folder laid out as Omniscape.jl's test folder (``input/`` beside the configs), as the working directory."""
    (tmp_path / "input").symlink_to(REPO / "tests" / "data" / "omniscape" / "input", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- a small scenario for the web map
@pytest.fixture(scope="session")
def web_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small scenario run with one intervention (units 2-3, 20 km grid, about 3 s): map.html and compare.html."""
    from corridors.scenario import run_scenario, scenario_from_dict  # local: only the web tests need a run

    model = scenario_from_dict({
        "name": "webtest", "base": {"population_units": [2, 3]}, "landscape": {"resolution_m": 20000},
        "scoring": {"robustness": {"draws": 30, "dispersal_levels": 2, "landscapes": 1}},
        "interventions": [{"type": "corridor_restoration", "measure": "2.1", "label": "Amu Darya SSNR - Kyzylkum SSNR",
                           "between": ["amu-darya-ssnr", "kyzylkum-ssnr"], "buffer_m": 3000}],
    })
    return run_scenario(model, tmp_path_factory.mktemp("web") / "scen", quiet=True).outdir
