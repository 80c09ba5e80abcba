"""The few global knobs of corridors: the working CRS, default resolution, the memory limit of least-cost runs and the paths of the bundled data."""

from __future__ import annotations

import math
import os
from pathlib import Path

from pyproj import CRS
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion

#: Albers equal-area conic for Central Asia (about 55-82 E, 34-48 N).
#: Standard parallels at 36 N and 46 N cut the scale error to under 1 %
#: over the whole range; areas are exact (equal-area) and distances are in
#: metres. There is no EPSG code for this region, so it is defined here once;
#: every analysis reprojects into it on the way in.
WORKING_CRS: CRS = ProjectedCRS(
    name="Central Asia Albers Equal Area (corridors)",
    conversion=AlbersEqualAreaConversion(
        latitude_first_parallel=36.0,
        latitude_second_parallel=46.0,
        latitude_false_origin=41.0,
        longitude_false_origin=68.5,
    ),
    geodetic_crs=CRS.from_epsg(4326),
)

#: Geographic CRS of the bundled vector data (GeoJSON is WGS84 by definition).
GEOGRAPHIC_CRS: CRS = CRS.from_epsg(4326)

#: The one default cell size of every surface (landscape rasters, least-cost and circuit grids), in metres;
#: a function or command that builds a surface without a resolution uses this value.
DEFAULT_RESOLUTION_M: float = 1000.0

#: Programme extent in WGS84 degrees (west, south, east, north).
PROGRAMME_BOUNDS_DEG: tuple[float, float, float, float] = (55.0, 34.0, 82.0, 48.0)

#: ISO3 codes of the Range States of the Bukhara Deer MOU: every programme place lies in one of them.
RANGE_STATES: tuple[str, ...] = ("AFG", "KAZ", "TJK", "TKM", "UZB")

#: How far beyond the Range States (km, added to a place's own precision radius) a place may lie before
#: :func:`corridors.sites.outside_range_states` warns: Natural Earth's borders are generalised by a few km.
RANGE_STATES_TOLERANCE_KM: float = 25.0

#: Folder of the bundled data (``data/`` at the top of the repository).
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

SITES_PATH: Path = DATA_DIR / "sites.geojson"
RIVERS_DIR: Path = DATA_DIR / "rivers"
BASE_DIR: Path = DATA_DIR / "base"
MEASURES_PATH: Path = DATA_DIR / "programme" / "measures.csv"
RESISTANCE_TABLE_PATH: Path = DATA_DIR / "resistance.yml"

#: Bytes a least-cost run may use; it picks the engine (:func:`corridors.lcp.cost_distance_engine`):
#: scikit-image's MCP when its estimate fits, the lean row sweep otherwise, and a run that even the
#: sweep cannot fit is refused. None: no limit is set, and the engine is picked by
#: :data:`MEMORY_BUDGET` (nothing is refused).
MEMORY_LIMIT: int | None = None

#: With no limit set, MCP is used while its estimate fits in this budget and in the memory available
#: (:func:`available_memory`); bigger grids take the row sweep. 4 GiB is the least-cost issue's memory
#: goal: MCP crosses it at about 7,470 x 7,470 cells. Above that the sweep is also the faster engine on
#: every landscape measured (8000 x 8000: 26-42 s against 65-76 s, 26-35 passes), while MCP's run time
#: does not depend on the landscape; that independence is why small grids stay with MCP.
MEMORY_BUDGET: int = 4 * 2**30


def available_memory() -> int:
    """Bytes of memory available to a new allocation (``MemAvailable`` on Linux), 0 if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def format_bytes(b: float) -> str:
    """A byte count for messages: the largest binary unit it reaches, three significant figures.

    ``'4.00 GiB'``, ``'512 MiB'``, ``'1.50 KiB'``, ``'100 bytes'``: the one
    formatter of every memory figure, so that a need and a limit are never
    both rounded to ``0 KiB`` (a 100-byte limit used to read "only 0 KiB is
    allowed") nor printed with two decimals in GiB and none in MiB.

    Parameters
    ----------
    b : float
        Bytes (>= 0).

    Returns
    -------
    str
    """
    b = float(b)
    units = ("KiB", "MiB", "GiB", "TiB")
    if b < 1024:
        return f"{b:.0f} byte" + ("" if round(b) == 1 else "s")
    power, value = 0, b
    while value >= 1024 and power < len(units):
        power, value = power + 1, value / 1024
    decimals = max(0, 2 - math.floor(math.log10(value)))
    if round(value, decimals) >= 1024 and power < len(units):  # 1023.9 MiB reads as 1.00 GiB, not 1024 MiB
        power, value, decimals = power + 1, value / 1024, 2
    return f"{value:.{decimals}f} {units[power - 1]}"
