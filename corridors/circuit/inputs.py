"""The input files of a Circuitscape job, read as Circuitscape.jl reads them (its ``io.jl``).

Each reader returns plain arrays in Circuitscape's conventions, so that
:mod:`corridors.circuit.run` can follow Circuitscape's algorithms step by
step:

- grids: no data (the file's nodata value, NaN, or -9999) is one value;
  habitat resistances become conductances, no data and barriers 0;
- focal points: ``(rows, cols, ids)`` sorted by id (stable), raster cells in
  column-major order, as Circuitscape lists them; a text list holds
  ``id x y`` in map coordinates;
- sources and grounds (advanced mode): a grid or a text list of
  ``value x y``;
- include/exclude pairs: a ``mode include|exclude`` list of id pairs or a
  ``min``/``max`` matrix;
- networks: ``node node value`` lines; node ids are kept as the user wrote
  them.
"""

from __future__ import annotations

import gzip
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio

from corridors._errors import DataError
from corridors.io import read_text, sniff_text
from corridors.raster import Raster

#: Circuitscape's no-data value: read grids are set to it, written grids carry it.
NODATA = -9999.0


def _lines(path: Path) -> list[str]:
    return read_text(path).splitlines()


def file_kind(path: Path) -> str:
    """Circuitscape's guess of a file's type from its first bytes: 'tif', 'asc', 'pairs-matrix', 'pairs-list' or 'list'."""
    opener = gzip.open if path.name.lower().endswith("gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(256)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc}); check the file.") from None
    if head[2:4] == b"\x2a\x00" or head[:4] == b"MM\x00\x2a":
        return "tif"
    first = sniff_text(head).split("\n", 1)[0].strip().lower()
    if first.startswith("ncols"):
        return "asc"
    if first.startswith("min"):
        return "pairs-matrix"
    if first.startswith("mode"):
        return "pairs-list"
    return "list"


@dataclass
class Grid:
    """A grid as Circuitscape holds it: float64 values with one no-data mask, and the habitat grid's template."""

    values: np.ndarray
    nodata: np.ndarray
    template: Raster


def read_grid(path: Path, label: str, template: Raster | None = None) -> Grid:
    """Read a GeoTIFF or ASCII grid (``.gz`` too); cells equal to its nodata value, NaN or -9999 are no data.

    With a ``template`` (the habitat grid) the grid must have the same shape
    and cell size; Circuitscape only warns when they differ, which silently
    misplaces every cell, so here it is an error naming the file.
    """
    uri = f"/vsigzip/{path}" if path.name.lower().endswith(".gz") else str(path)
    try:
        with rasterio.open(uri) as src:
            arr = src.read(1).astype("float64")
            nd = src.nodata
            raster = Raster(np.zeros((1, 1)), src.transform, src.crs, NODATA, path.name)
            shape = arr.shape
    except rasterio.errors.RasterioError as exc:
        raise DataError(f"{label}: {path} cannot be read as a grid ({exc}); give an ESRI ASCII grid or a GeoTIFF.") from None
    mask = ~np.isfinite(arr) | (arr == NODATA)
    if nd is not None and not math.isnan(nd):
        mask |= arr == nd
    raster = Raster(np.where(mask, NODATA, arr), raster.transform, raster.crs, NODATA, path.name)
    if template is not None:
        if shape != template.shape or not np.isclose(abs(raster.transform.a), abs(template.transform.a)):
            raise DataError(
                f"{label}: {path} is {shape[0]} x {shape[1]} cells of {abs(raster.transform.a):g}, the habitat grid "
                f"{template.shape[0]} x {template.shape[1]} cells of {abs(template.transform.a):g}; give it on the habitat grid."
            )
    return Grid(raster.array, mask, template if template is not None else raster)


# ------------------------------------------------------------------ habitat
def read_cellmap(path: Path, is_resistance: bool) -> tuple[np.ndarray, Raster]:
    """The habitat grid as Circuitscape's cell map: conductances, 0 where no data or a barrier.

    A zero resistance is refused as in Circuitscape (short circuits go in a
    polygon file). A negative value is a barrier in Circuitscape (its
    conductance is not > 0); it is dropped with a warning naming the count.
    """
    g = read_grid(path, "habitat_file")
    v = g.values
    valid = ~g.nodata
    if is_resistance:
        zero = valid & (v == 0)
        if zero.any():
            r, c = np.argwhere(zero)[0]
            raise DataError(
                f"habitat_file {path}: {int(zero.sum())} cell(s) hold resistance 0 (first at row {r + 1}, column {c + 1}); "
                "Circuitscape does not accept zero resistances: give those cells as short-circuit regions (polygon_file)."
            )
    neg = valid & (v < 0)
    if neg.any():
        warnings.warn(f"habitat_file {path}: {int(neg.sum())} cell(s) hold negative values; they are barriers (no node), as in Circuitscape.",
                      stacklevel=3)
    with np.errstate(divide="ignore"):
        cond = np.where(valid & (v > 0), 1.0 / np.where(v > 0, v, 1.0) if is_resistance else v, 0.0)
    if not (cond > 0).any():
        raise DataError(f"habitat_file {path}: no cell holds a usable resistance or conductance; check the map and its nodata value.")
    return cond, g.template.replace(np.where(cond > 0, v, NODATA), nodata=NODATA, name=path.name)


def read_id_grid(path: Path, label: str, template: Raster) -> np.ndarray:
    """An integer grid (polygons, mask, focal regions): no data is 0; non-integers are refused."""
    g = read_grid(path, label, template)
    v = np.where(g.nodata, 0.0, g.values)
    if np.any(v != np.round(v)):
        r, c = np.argwhere(v != np.round(v))[0]
        raise DataError(f"{label}: {path} holds the non-integer value {v[r, c]:g} at row {r + 1}, column {c + 1}; ids must be whole numbers.")
    return v.astype(np.int64)


def apply_mask(cellmap: np.ndarray, path: Path, template: Raster) -> np.ndarray:
    """Circuitscape's mask: cells whose mask value is not > 0 (or no data) are dropped."""
    g = read_grid(path, "mask_file", template)
    keep = ~g.nodata & (g.values > 0)
    out = np.where(keep, cellmap, 0.0)
    if not (out > 0).any():
        raise DataError(f"mask_file {path}: the mask removes every habitat cell; check that it marks habitat with values > 0.")
    return out


# ------------------------------------------------------------------ points
def _read_rows(path: Path, ncols: int, what: str, key: str) -> np.ndarray:
    """Whitespace- or comma-separated numbers, ``ncols`` per line (extra columns ignored); '#' comments skipped."""
    rows = []
    for k, line in enumerate(_lines(path)):
        line = line.split("#", 1)[0].replace(",", " ").strip()
        if not line:
            continue
        toks = line.split()
        try:
            vals = [float(t) for t in toks[:ncols]]
        except ValueError:
            if not rows:
                continue  # a header line
            raise DataError(f"{key}: {path}, line {k + 1}: {line!r} is not '{what}'; give {ncols} numbers per line.") from None
        if len(vals) < ncols:
            raise DataError(f"{key}: {path}, line {k + 1}: expected '{what}', got {line!r}; give {ncols} numbers per line.")
        rows.append(vals)
    if not rows:
        raise DataError(f"{key}: {path} holds no '{what}' line; give one per line.")
    return np.array(rows, dtype="float64")


def cells_of_xy(template: Raster, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0-based (row, col) of map coordinates with Circuitscape's rule.

    Circuitscape takes row ``ceil(nrows - (y - yll) / cellsize)`` and column
    ``ceil((x - xll) / cellsize)`` (1-based), so a point on a cell edge falls
    in the cell to its left and above.
    """
    t = template.transform
    nrows = template.shape[0]
    cs = abs(t.a)
    xll = t.c
    yll = t.f + t.e * nrows
    row = np.ceil(nrows - (np.asarray(y, float) - yll) / cs).astype(np.int64) - 1
    col = np.ceil((np.asarray(x, float) - xll) / cs).astype(np.int64) - 1
    return row, col


@dataclass
class Points:
    """Focal points as Circuitscape lists them: one row per cell, sorted by id (stable).

    Attributes
    ----------
    rows, cols : numpy.ndarray
        0-based cell of each point.
    ids : numpy.ndarray
        Focal id of each point; an id on several rows is a focal region.
    """

    rows: np.ndarray
    cols: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def unique_ids(self) -> np.ndarray:
        """The ids in order (sorted)."""
        return np.unique(self.ids)

    @property
    def has_regions(self) -> bool:
        """Whether some id covers several rows (Circuitscape's "point file contains polygons")."""
        return len(self.ids) != len(np.unique(self.ids))

    def first_row(self, i: int) -> int:
        """Index of the first row of id ``i``."""
        return int(np.argmax(self.ids == i))

    def keep(self, ids: np.ndarray) -> "Points":
        """Only the rows whose id is in ``ids`` (Circuitscape's ``prune_points!``)."""
        k = np.isin(self.ids, ids)
        return Points(self.rows[k], self.cols[k], self.ids[k])


def read_points(path: Path, template: Raster) -> Points:
    """Read Circuitscape's focal node file: a grid of ids or a text list of ``id x y``.

    Negative ids are dropped (Circuitscape does so); a point outside the
    habitat grid, or fewer than two ids, is an error naming the file.
    """
    kind = file_kind(path)
    if kind in ("asc", "tif"):
        ids_grid = read_id_grid(path, "point_file", template)
        # Circuitscape lists the cells of a grid in column-major order (Julia's findall).
        c, r = np.nonzero(ids_grid.T)
        ids = ids_grid[r, c]
    else:
        tab = _read_rows(path, 3, "id x y", "point_file")
        ids_f = tab[:, 0]
        if np.any(ids_f != np.round(ids_f)):
            k = int(np.argmax(ids_f != np.round(ids_f)))
            raise DataError(f"point_file: {path}, row {k + 1}: id {ids_f[k]:g} is not a whole number; focal ids are integers.")
        ids = ids_f.astype(np.int64)
        r, c = cells_of_xy(template, tab[:, 1], tab[:, 2])
        nrows, ncols = template.shape
        out = (r < 0) | (r >= nrows) | (c < 0) | (c >= ncols)
        if out.any():
            k = int(np.argmax(out))
            raise DataError(
                f"point_file: {path}, focal id {ids[k]} at ({tab[k, 1]:g}, {tab[k, 2]:g}) lies outside the habitat grid "
                f"{template.bounds}; move it inside or enlarge the habitat map."
            )
    keep = ids >= 0
    r, c, ids = r[keep], c[keep], ids[keep]
    order = np.argsort(ids, kind="stable")
    pts = Points(r[order].astype(np.int64), c[order].astype(np.int64), ids[order])
    if len(np.unique(pts.ids)) < 2:
        raise DataError(f"point_file: {path} holds {len(np.unique(pts.ids))} focal id(s); Circuitscape needs at least two.")
    return pts


# ------------------------------------------------------------------ sources and grounds
def read_source_or_ground(path: Path, key: str, template: Raster) -> np.ndarray:
    """A source or ground map for advanced mode: a grid, or a text list of ``value x y`` placed on the habitat grid.

    Returns the values with NaN where no data (a text list leaves every
    other cell no data).
    """
    kind = file_kind(path)
    if kind in ("asc", "tif"):
        g = read_grid(path, key, template)
        return np.where(g.nodata, np.nan, g.values)
    if kind != "list":
        raise DataError(f"{key}: {path} is neither a grid nor a 'value x y' list; give one of the two.")
    tab = _read_rows(path, 3, "value x y", key)
    r, c = cells_of_xy(template, tab[:, 1], tab[:, 2])
    nrows, ncols = template.shape
    out = (r < 0) | (r >= nrows) | (c < 0) | (c >= ncols)
    if out.any():
        k = int(np.argmax(out))
        raise DataError(f"{key}: {path}, line {k + 1}: ({tab[k, 1]:g}, {tab[k, 2]:g}) lies outside the habitat grid {template.bounds}.")
    m = np.full(template.shape, np.nan)
    m[r, c] = tab[:, 0]
    return m


# ------------------------------------------------------------------ pairs and strengths
@dataclass
class IncludePairs:
    """Circuitscape's include/exclude pairs: ``mode`` 'include' or 'exclude', the ids, and a 0/1 matrix over them."""

    mode: str
    point_ids: np.ndarray
    matrix: np.ndarray

    def excluded(self) -> set[tuple[int, int]]:
        """The (id, id) pairs not to solve, in both orders (Circuitscape's ``generate_exclude_pairs``).

        include: pairs marked in neither direction; exclude: pairs marked in both.
        """
        m, ids = self.matrix, self.point_ids
        if self.mode == "include":
            hit = (m == 0) & (m.T == 0)
        else:
            hit = (m == 1) & (m.T == 1)
        return {(int(ids[i]), int(ids[j])) for i, j in zip(*np.nonzero(hit))}


def read_included_pairs(path: Path) -> IncludePairs:
    """Read an include/exclude pairs file.

    Two formats, as in Circuitscape: ``mode include`` (or ``mode exclude``)
    followed by one ``id id`` pair per line; or ``min V`` and ``max V``
    lines followed by a matrix whose first row and column are ids, where a
    pair is included when its value lies in [min, max].
    """
    kind = file_kind(path)
    lines = [ln.split("#", 1)[0].strip() for ln in _lines(path)]
    lines = [ln for ln in lines if ln]
    try:
        if kind == "pairs-matrix":
            lo = float(lines[0].split()[1])
            hi = float(lines[1].split()[1])
            rows = [[float(t) for t in ln.replace(",", " ").split()] for ln in lines[2:]]
            width = max(len(r) for r in rows)
            mat = np.array([r + [0.0] * (width - len(r)) for r in rows])
            ids = mat[1:, 0].astype(np.int64)
            vals = mat[1:, 1 : 1 + len(ids)]
            vals = np.where(vals > hi, 0.0, vals)
            return IncludePairs("include", ids, (vals >= lo).astype(np.int64))
        if kind == "pairs-list":
            mode = lines[0].split()[1].lower()
            if mode not in ("include", "exclude"):
                raise DataError(f"included_pairs_file: {path}, line 1: mode {mode!r}; write 'mode include' or 'mode exclude'.")
            pairs = np.array([[float(t) for t in ln.replace(",", " ").split()[:2]] for ln in lines[1:]], dtype="float64").reshape(-1, 2)
            ids = np.unique(pairs.astype(np.int64))
            if (ids == 0).any():
                warnings.warn(f"included_pairs_file {path}: id 0 ignored (focal ids are > 0), as in Circuitscape.", stacklevel=3)
                ids = ids[ids != 0]
            pos = {int(v): k for k, v in enumerate(ids)}
            mat = np.zeros((len(ids), len(ids)), dtype=np.int64)
            for a, b in pairs.astype(np.int64):
                if int(a) in pos and int(b) in pos:
                    mat[pos[int(a)], pos[int(b)]] = mat[pos[int(b)], pos[int(a)]] = 1
            return IncludePairs(mode, ids, mat)
    except (IndexError, ValueError):
        raise DataError(
            f"included_pairs_file: {path} is not a pairs file Circuitscape reads: start it with 'mode include' / "
            "'mode exclude' and one 'id id' pair per line, or with 'min V' and 'max V' lines and an id matrix."
        ) from None
    raise DataError(f"included_pairs_file: {path} starts with neither 'mode' nor 'min'; see Circuitscape's pairs file formats.")


def read_strengths(path: Path) -> dict[int, float]:
    """Variable source strengths: ``id strength`` per line, as a dict (ids not listed get 1 A)."""
    tab = _read_rows(path, 2, "id strength", "variable_source_file")
    return {int(i): float(s) for i, s in tab}


# ------------------------------------------------------------------ networks
@dataclass
class Network:
    """A Circuitscape network: branches between integer node ids and their conductances.

    Attributes
    ----------
    a, b : numpy.ndarray
        Node ids at the ends of each branch, as in the file.
    conductance : numpy.ndarray
        Branch conductances.
    base : int
        0 if the ids count from 0, else 1: node ``i`` is index ``i - base``.
    n_nodes : int
        ``max id - base + 1`` (ids missing in between are isolated nodes, as in Circuitscape).
    """

    a: np.ndarray
    b: np.ndarray
    conductance: np.ndarray
    base: int
    n_nodes: int

    def ids(self) -> np.ndarray:
        """The id of every node index."""
        return np.arange(self.n_nodes) + self.base

    def index(self, ids: np.ndarray) -> np.ndarray:
        """Node indices of ``ids``; -1 for an id outside the network (Circuitscape reports -1 for its pairs)."""
        idx = np.asarray(ids, dtype=np.int64) - self.base
        return np.where((idx >= 0) & (idx < self.n_nodes), idx, -1)


def _int_column(v: np.ndarray, path: Path, key: str) -> np.ndarray:
    if np.any(v != np.round(v)) or np.any(v < 0):
        k = int(np.argmax((v != np.round(v)) | (v < 0)))
        raise DataError(f"{key}: {path}, line {k + 1}: node {v[k]:g} is not an integer >= 0; number nodes 0, 1, 2, ...")
    return v.astype(np.int64)


def read_network(path: Path, is_resistance: bool) -> Network:
    """Read a network habitat file (``node node value`` per line)."""
    tab = _read_rows(path, 3, "node node value", "habitat_file")
    a = _int_column(tab[:, 0], path, "habitat_file")
    b = _int_column(tab[:, 1], path, "habitat_file")
    v = tab[:, 2]
    if is_resistance:
        bad = ~(v > 0)
        if bad.any():
            k = int(np.argmax(bad))
            raise DataError(f"habitat_file: {path}, line {k + 1}: resistance {v[k]:g} is not > 0; give positive resistances.")
        g = 1.0 / v
    else:
        bad = ~(v >= 0)
        if bad.any():
            k = int(np.argmax(bad))
            raise DataError(f"habitat_file: {path}, line {k + 1}: conductance {v[k]:g} is negative; give conductances >= 0.")
        g = v
    lo = int(min(a.min(), b.min()))
    base = 0 if lo == 0 else 1
    return Network(a, b, g, base, int(max(a.max(), b.max())) - base + 1)


def read_node_list(path: Path, key: str) -> np.ndarray:
    """Focal nodes of a network job: the first number of each line, in the file's order."""
    tab = _read_rows(path, 1, "node", key)
    return _int_column(tab[:, 0], path, key)


def read_node_values(path: Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``node value`` lines (network sources and grounds)."""
    tab = _read_rows(path, 2, "node value", key)
    return _int_column(tab[:, 0], path, key), tab[:, 1]


def exists(path: Path | None, key: str, source: os.PathLike | None) -> Path:
    """The file of INI key ``key``; a DataError naming the key and the current directory if it is missing."""
    if path is None or not Path(path).exists():
        raise DataError(
            f"{source}, key {key!r}: file {str(path)!r} not found (paths are relative to the current directory "
            f"{Path.cwd()}, as in Circuitscape); fix the path or run from the folder the job expects."
        )
    return Path(path)
