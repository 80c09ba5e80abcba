"""Rebuild data/base/ from a folder of Natural Earth GeoJSON layers clipped to Central Asia.

Usage: python scripts/build_base_layers.py NATURALEARTH_DIR

NATURALEARTH_DIR holds countries, borders, lakes, regions, places and rivers
GeoJSON files (Natural Earth v4, public domain, clipped to lon 52..84 E,
lat 33..50 N; see data/base/SOURCE.md). The layers are copied unchanged,
`places` under the name `towns`, and the river layer to
data/rivers/naturalearth_rivers.geojson (the input of scripts/build_rivers.py).
Each file is checked to open as a WGS84 vector layer with at least one feature.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import geopandas as gpd

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "countries.geojson": ROOT / "data/base/countries.geojson",
    "borders.geojson": ROOT / "data/base/borders.geojson",
    "lakes.geojson": ROOT / "data/base/lakes.geojson",
    "regions.geojson": ROOT / "data/base/regions.geojson",
    "places.geojson": ROOT / "data/base/towns.geojson",
    "rivers.geojson": ROOT / "data/rivers/naturalearth_rivers.geojson",
}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    src_dir = Path(argv[1])
    for name, dest in LAYERS.items():
        src = src_dir / name
        if not src.exists():
            print(f"error: {src}: Natural Earth layer not found; give the folder that holds {name}.", file=sys.stderr)
            return 1
        gdf = gpd.read_file(src)
        if len(gdf) == 0 or gdf.crs is None or gdf.crs.to_epsg() != 4326:
            print(f"error: {src}: expected a non-empty WGS84 layer.", file=sys.stderr)
            return 1
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        print(f"{dest.relative_to(ROOT)}: {len(gdf)} features")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
