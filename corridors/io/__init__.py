"""Every reader and writer of files: vector layers, atomic files and folders, CSV, list fields, provenance.

Modules
-------
vector
    :func:`read_vector` (checked and reprojected), :func:`check_reprojected`,
    :func:`geometry_problem` (the one validity check), :func:`geometry_from_geojson`,
    :func:`load_base` (the bundled base layers), :func:`write_geopackage`.
files
    :func:`atomic_path` (one file), :func:`staged_folder` (the one writer of
    a folder of outputs), :func:`check_output_folder` (the one rule of what
    corridors may write over), :func:`write_csv`.
lists
    :func:`encode_list` / :func:`decode_list`: list fields as ``'a;b'`` text
    in CSV, GeoPackage and Shapefile; :func:`encode_list_columns` for a
    table; :func:`is_missing` for an empty field value.
text
    :func:`read_text` / :func:`decode_text` (and :func:`sniff_text` for a file's first bytes): every user's text file, in
    UTF-8 or UTF-16/UTF-32 with a byte-order mark.
provenance
    What went into an output folder: ``provenance.record(...)``,
    ``provenance.write(rec, path)``.
"""

import importlib
from typing import Any

from corridors.io import provenance
from corridors.io.files import atomic_path, check_output_folder, recover_interrupted, staged_folder, write_csv
from corridors.io.text import decode_text, read_text, sniff_text

# The vector and list readers load geopandas and pandas (0.14 s); they are imported when first used, so
# that the engines that write only rasters and text (the circuit engine) start without them.
_LAZY = {
    **{name: "corridors.io.lists" for name in ("decode_list", "encode_list", "encode_list_columns", "is_missing")},
    **{name: "corridors.io.vector" for name in ("BASE_LAYERS", "VECTOR_SUFFIXES", "check_reprojected", "geometry_from_geojson",
                                                 "geometry_problem", "load_base",
                                                 "read_vector", "write_geopackage")},
}


def __getattr__(name: str) -> Any:
    """The readers of :mod:`corridors.io.lists` and :mod:`corridors.io.vector`, imported on first use."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "BASE_LAYERS",
    "VECTOR_SUFFIXES",
    "atomic_path",
    "check_output_folder",
    "check_reprojected",
    "decode_list",
    "decode_text",
    "encode_list",
    "encode_list_columns",
    "geometry_from_geojson",
    "geometry_problem",
    "is_missing",
    "load_base",
    "provenance",
    "read_text",
    "read_vector",
    "sniff_text",
    "recover_interrupted",
    "staged_folder",
    "write_csv",
    "write_geopackage",
]
