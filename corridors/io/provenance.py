"""Provenance records: what went into an output folder (inputs and their hashes, parameters, package versions, date)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from corridors.io.files import atomic_path

#: Packages whose versions every provenance record lists.
PACKAGES: tuple[str, ...] = (
    "corridors", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio",
    "scikit-image", "networkx", "pyamg", "cvxopt", "pydantic", "matplotlib", "dask", "distributed",
)


def package_versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Versions of Python and of the given installed packages.

    Parameters
    ----------
    packages : iterable of str
        Distribution names (default: corridors and every package it uses).

    Returns
    -------
    dict
        ``{"python": "3.11.7", "numpy": "2.4.6", ...}``; ``"not installed"`` for a missing one.
    """
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks.

    Parameters
    ----------
    path : path-like
    chunk : int
        Bytes read at a time.

    Returns
    -------
    str
        Hex digest.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def input_entry(path: str | os.PathLike) -> dict[str, Any]:
    """How a provenance record lists one input: its path as given, its absolute path, and its SHA-256.

    Parameters
    ----------
    path : path-like
        A file, or a folder (listed with the SHA-256 of every file below it).

    Returns
    -------
    dict
        ``{"path": "lm_resistances.tif", "absolute": "/data/lm/lm_resistances.tif", "sha256": "..."}``;
        a folder has ``files`` (path below it -> SHA-256) instead of ``sha256``.
    """
    p = Path(path)
    entry: dict[str, Any] = {"path": str(path), "absolute": os.path.abspath(p)}
    if p.is_dir():
        entry["files"] = {str(f.relative_to(p)): file_sha256(f) for f in sorted(p.rglob("*")) if f.is_file()}
    else:
        entry["sha256"] = file_sha256(p)
    return entry


def record(inputs: Mapping[str, str | os.PathLike] | None = None, parameters: Mapping[str, Any] | None = None,
           *, command: str | None = None) -> dict[str, Any]:
    """A provenance record.

    Parameters
    ----------
    inputs : mapping of str to path, optional
        Named input files; each is listed by :func:`input_entry` (its path
        as given, its absolute path and its SHA-256; a folder with the
        hashes of the files below it).
    parameters : mapping, optional
        The parameters of the run (JSON-serialisable; others are written as text).
    command : str, optional
        The command line or function that produced the folder.

    Returns
    -------
    dict
        ``created`` (UTC, ISO 8601), ``command``, ``inputs``, ``parameters``, ``versions``.
    """
    files = {name: input_entry(path) for name, path in (inputs or {}).items()}
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "inputs": files,
        "parameters": dict(parameters or {}),
        "versions": package_versions(),
    }


def write(rec: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write a provenance record as indented JSON, atomically.

    Parameters
    ----------
    rec : mapping
        As returned by :func:`record`.
    path : path-like
        The ``.json`` file.

    Returns
    -------
    pathlib.Path

    Notes
    -----
    The record comes before the path, as in every writer of corridors; the
    older order ``write(path, rec)`` is still accepted.
    """
    if isinstance(path, Mapping) and not isinstance(rec, Mapping):
        rec, path = path, rec
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(rec, indent=2, default=str) + "\n", encoding="utf-8")
    return Path(path)
