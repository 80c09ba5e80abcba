"""Plain builders the tests share: tiny rasters, toy cores, sites and graphs, Circuitscape jobs, scenario files, CLI calls.

Everything here is small enough to check by hand. Fixtures built on these
(the bundled sites, a tiny linkage job, a Circuitscape strip job, ...) are in
``conftest.py``. Import the functions with ``from _helpers import grid``:
pyproject.toml's ``pythonpath`` puts ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from click.testing import CliRunner, Result

from corridors.cli import main
from corridors.network import build_graph
from corridors.raster import Raster
from corridors.settings import WORKING_CRS

#: The repository root (scripts/, scenarios/, data/ live there).
REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- rasters
def grid(
    array: Any,
    cell: float = 1000.0,
    *,
    cell_y: float | None = None,
    x0: float = 0.0,
    y0: float | None = None,
    crs: Any = WORKING_CRS,
    nodata: float | None = None,
    name: str = "test resistance",
    dtype: Any = None,
) -> Raster:
    """A Raster holding ``array``, north up, with cells ``cell`` wide and ``cell_y`` (default ``cell``) tall.

    Parameters
    ----------
    array : array-like
        2-D values, row 0 at the top.
    cell, cell_y : float
        Cell width and height in CRS units (metres in the working CRS).
    x0, y0 : float
        Upper-left corner; ``y0`` defaults to ``rows x cell_y`` so that the
        lower-left corner is (x0, 0).
    crs : CRS-like or None
        Default the working CRS; None for a grid without one (Circuitscape's ASCII grids).
    nodata : float or None
        The no-data value.
    name : str
        The name errors quote.
    dtype : numpy dtype, optional
        Cast the array (e.g. ``"float32"``); default: keep it.
    """
    a = np.asarray(array, dtype=dtype)
    sy = cell if cell_y is None else cell_y
    top = a.shape[0] * sy if y0 is None else y0
    return Raster(a, Affine(cell, 0, x0, 0, -sy, top), crs, nodata, name)


def uniform(shape: tuple[int, int], value: float = 1.0, cell: float = 1000.0, dtype: Any = "float64", **kw: Any) -> Raster:
    """A grid of one value everywhere (see :func:`grid` for the other keywords)."""
    return grid(np.full(shape, value, dtype=dtype), cell, **kw)


def walled(rows: int = 20, cols: int = 30, gap_row: int = 10, cell: float = 1000.0, crs: Any = None) -> Raster:
    """A uniform 1-resistance grid cut by a no-data wall at column ``cols // 2`` with a one-cell gap at ``gap_row``."""
    arr = np.ones((rows, cols))
    arr[:, cols // 2] = np.nan
    arr[gap_row, cols // 2] = 1.0
    return grid(arr, cell, crs=crs, name="walled")


def centre(r: Raster, row: int, col: int) -> shapely.Point:
    """The centre of cell (row, col) of ``r`` as a point."""
    x, y = r.xy(row, col)
    return shapely.Point(float(x), float(y))


# ----------------------------------------------------------------------------- cores, sites, nodes
def toy_cores(geoms: Mapping[str, Any], crs: Any = None, id_field: str = "core_id") -> gpd.GeoDataFrame:
    """Core areas from ``{id: geometry}``, in the order given."""
    return gpd.GeoDataFrame({id_field: list(geoms)}, geometry=list(geoms.values()), crs=crs)


def cores_at(r: Raster, cells: Mapping[str, tuple[int, int]], radius_cells: float = 0.0, id_field: str = "core_id") -> gpd.GeoDataFrame:
    """Cores centred on cells of ``r``: points, or discs of ``radius_cells`` cell widths; in the raster's CRS."""
    geoms = {k: centre(r, *rc).buffer(radius_cells * r.res[0]) if radius_cells else centre(r, *rc) for k, rc in cells.items()}
    return toy_cores(geoms, crs=r.crs, id_field=id_field)


def point_nodes(coords: Mapping[str, tuple[float, float]], crs: Any = WORKING_CRS, **cols: Any) -> gpd.GeoDataFrame:
    """Habitat-network nodes: points indexed by ``id``, capacity 1, plus any columns given."""
    return gpd.GeoDataFrame({"capacity": [1.0] * len(coords), **cols},
                            geometry=[shapely.Point(xy) for xy in coords.values()],
                            index=pd.Index(list(coords), name="id"), crs=crs)


def toy_graph(caps: Mapping[str, float], links: list[tuple[str, str, float]], **kw: Any):
    """A habitat graph from ``{id: capacity}`` and ``(i, j, probability)`` links (keywords go to build_graph)."""
    nodes = pd.DataFrame({"id": list(caps), "capacity": list(caps.values())})
    lk = pd.DataFrame(links, columns=["i", "j", "probability"]) if links else pd.DataFrame(columns=["i", "j", "probability"])
    return build_graph(nodes, lk, **kw)


def site_feature(**props: Any) -> dict:
    """A GeoJSON feature of the sites schema: a placed subpopulation 'x1' in Uzbekistan unless ``props`` say otherwise.

    A property given as ``...`` is left out; ``geometry=`` replaces the point.
    """
    base = {
        "id": "x1",
        "name": "Test place",
        "kind": "subpopulation",
        "population_unit": [1],
        "countries": ["UZB"],
        "status": "native",
        "location_status": "approximate",
        "location_precision_km": 5,
    }
    geom = props.pop("geometry", {"type": "Point", "coordinates": [67.3, 37.3]})
    base.update(props)
    return {"type": "Feature", "properties": {k: v for k, v in base.items() if v is not ...}, "geometry": geom}


def write_features(folder: Path, *features: dict, name: str = "bad.geojson") -> Path:
    """Write GeoJSON features (e.g. from :func:`site_feature`) as ``folder/name``."""
    path = Path(folder) / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


# ----------------------------------------------------------------------------- a user's data far from Central Asia
#: A Linkage Mapper user's projection: UTM zone 17N (West Virginia), metres.
FAR_CRS = "EPSG:32617"

#: The no-data value ArcGIS writes in float32 rasters (the lowest float32).
ARCGIS_NODATA = -3.4028234663852886e38


def far_strip(folder: Path, id_field: str = "Core_ID") -> tuple[Path, Path]:
    """A resistance GeoTIFF and a cores shapefile in :data:`FAR_CRS`, as a Linkage Mapper user brings them.

    The raster is 3 x 10 cells of 100 m; only its middle row holds data
    (resistance 1; the other rows are :data:`ARCGIS_NODATA`). The cores are
    two squares holding the centres of cells 0-1 and 8-9 of that row, ids 1
    and 2 in the column ``id_field``. By hand: the corridor is the seven unit
    links from cell 1 to cell 8, so its effective resistance is 7 (cell
    resistances in series), the whole 1 A passes every corridor cell, and
    the least-cost path costs 7 steps x 100 m x resistance 1 = 700
    cost-weighted metres.
    """
    arr = np.full((3, 10), ARCGIS_NODATA, dtype="float32")
    arr[1] = 1.0
    x0, y0 = 500_000.0, 4_200_000.0
    tif = grid(arr, 100.0, x0=x0, y0=y0, crs=FAR_CRS, nodata=ARCGIS_NODATA, name="far.tif").write(Path(folder) / "far.tif")
    boxes = [shapely.box(x0 + 10, y0 - 190, x0 + 190, y0 - 110), shapely.box(x0 + 810, y0 - 190, x0 + 990, y0 - 110)]
    shp = Path(folder) / "far_cores.shp"
    gpd.GeoDataFrame({id_field: [1, 2]}, geometry=boxes, crs=FAR_CRS).to_file(shp)
    return tif, shp


# ----------------------------------------------------------------------------- Circuitscape jobs
#: One row of eight cells with a no-data gap at column 5.
STRIP = "1 1 1 1 1 -9999 1 1"


def write_asc(path: Path, rows: list[str], nodata: float = -9999) -> Path:
    """An ESRI ASCII grid of 1-unit cells with its lower-left corner at (0, 0)."""
    ncols = len(rows[0].split())
    head = f"ncols {ncols}\nnrows {len(rows)}\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value {nodata:g}\n"
    path.write_text(head + "\n".join(rows) + "\n")
    return path


def write_ini(path: Path, **keys: object) -> Path:
    """A Circuitscape INI file with every key under one section (Circuitscape does not care which)."""
    body = "[Circuitscape mode]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
    path.write_text(body)
    return path


def strip_job_keys(**extra: object) -> dict:
    """INI keys of a pairwise raster job on the ``strip_job`` files (hab.asc, pts.txt), output in out/."""
    keys = dict(data_type="raster", scenario="pairwise", habitat_file="hab.asc", point_file="pts.txt",
                output_file="out/strip.out", connect_four_neighbors_only="True")
    keys.update(extra)
    return keys


# ----------------------------------------------------------------------------- scenarios
#: A scenario small enough to run in seconds: population unit 4 at 20 km cells, 50 weight draws.
SMALL_SCENARIO = """
name: {name}
base:
  population_units: [4]
landscape:
  resolution_m: 20000
scoring:
  robustness: {{draws: {draws}, dispersal_levels: 2}}
interventions:
{interventions}
"""


def write_scenario(folder: Path, name: str, interventions: str = "  []", draws: int = 50) -> Path:
    """Write ``folder/<name>.yml`` from :data:`SMALL_SCENARIO`; ``interventions`` is YAML indented by two spaces."""
    p = Path(folder) / f"{name}.yml"
    p.write_text(textwrap.dedent(SMALL_SCENARIO.format(name=name, draws=draws, interventions=interventions)).lstrip())
    return p


# ----------------------------------------------------------------------------- scripts and the command line
def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` (the data build scripts are no package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def walk_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``group`` with its path of names, e.g. ``(("circuit", "run"), <Command run>)``, groups included.

    Commands are listed the way click lists them (``list_commands`` / ``get_command``), so the lazily
    imported subcommands of ``corridors`` are walked too.
    """
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from walk_commands(cmd, prefix + (name,))


def invoke(*args: Any, **kwargs: Any) -> Result:
    """Run ``corridors ARGS...`` in click's CliRunner (paths and numbers are turned into text)."""
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def error_line(result: Result, code: int = 1) -> str:
    """The one ``error: ...`` line of a failed command, after checking the exit status and that nothing else was printed."""
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def usage_error(result: Result, *words: str) -> str:
    """click's ``Error: ...`` line of a usage error (exit status 2), after checking it holds every one of ``words``."""
    assert result.exit_code == 2, result.output
    line = next((ln for ln in result.output.splitlines() if ln.startswith("Error: ")), "")
    assert line and all(w in line for w in words), result.output
    return line
