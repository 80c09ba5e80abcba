"""The few global knobs of corridors: the working CRS, default resolution and the paths of the bundled data."""

from __future__ import annotations

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

#: Default cell size of the landscape rasters, in metres.
DEFAULT_RESOLUTION_M: float = 1000.0

#: Programme extent in WGS84 degrees (west, south, east, north).
PROGRAMME_BOUNDS_DEG: tuple[float, float, float, float] = (55.0, 34.0, 82.0, 48.0)

#: Folder of the bundled data (``data/`` at the top of the repository).
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

SITES_PATH: Path = DATA_DIR / "sites.geojson"
RIVERS_DIR: Path = DATA_DIR / "rivers"
BASE_DIR: Path = DATA_DIR / "base"
MEASURES_PATH: Path = DATA_DIR / "programme" / "measures.csv"
RESISTANCE_TABLE_PATH: Path = DATA_DIR / "resistance.yml"
