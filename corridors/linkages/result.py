"""The result of :func:`corridors.linkages.build_linkages`: linkages, paths, corridors, and the files they are written to."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely.ops
from scipy import ndimage
from shapely.geometry import LineString

from corridors._errors import ConfigError, where
from corridors.io import provenance, staged_folder, write_csv, write_geopackage
from corridors.raster import Raster

#: A map writer for :meth:`LinkageResult.write`: given the result and a path stem, writes the map and returns its files.
MapWriter = Callable[["LinkageResult", Path], Sequence[Path]]


@dataclass
class _CoreRun:
    window: tuple[slice, slice]
    cwd: np.ndarray  # float32 cost distance inside the window, inf where unreached


@dataclass
class LinkageResult:
    """Linkages, least-cost paths and normalized corridors between core areas.

    Attributes
    ----------
    cores : GeoDataFrame
        ``core_id``, ``n_cells``, ``area_ha`` and the polygon.
    linkages : GeoDataFrame
        One row per kept linkage: ``core_a``, ``core_b``, ``euclid_m``,
        ``cwd_m``, ``lcp_length_m``, ``cwd_to_euclid``, ``cwd_to_path``,
        ``min_width_m``, ``borders``, ``measures``, ``through_cores`` and the
        least-cost path as LineString geometry.
    dropped : DataFrame
        Candidate linkages that were dropped, with the ``reason``.
    corridor_mosaic : Raster
        Minimum over linkages of the normalized corridor (CWD_A + CWD_B - CWD_AB),
        truncated at ``truncate_m``; NaN elsewhere.
    truncate_m : float
        The truncation used, cost-weighted metres.
    params : dict
        The parameters of the run (written to the provenance file).
    """

    cores: gpd.GeoDataFrame
    linkages: gpd.GeoDataFrame
    dropped: pd.DataFrame
    corridor_mosaic: Raster
    truncate_m: float | None
    resistance: Raster = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    _runs: dict[str, _CoreRun] = field(default_factory=dict, repr=False)
    _pairs: dict[tuple[str, str], tuple[tuple[slice, slice], np.ndarray]] = field(default_factory=dict, repr=False)

    def corridor(self, core_a: str, core_b: str, truncate_m: float | None = ...) -> Raster:  # type: ignore[assignment]
        """The normalized least-cost corridor of one pair of cores.

        Parameters
        ----------
        core_a, core_b : str
            Core ids (in either order: the corridor is symmetric).
        truncate_m : float or None, optional
            Cells above this normalized cost are NaN; default the run's
            truncation, ``None`` for no truncation.

        Returns
        -------
        Raster
            float32 CWD_A + CWD_B - CWD_AB (0 on the least-cost path).
        """
        t = self.truncate_m if truncate_m is ... else truncate_m
        out = np.full(self.resistance.shape, np.nan, dtype="float32")
        key = (core_a, core_b) if (core_a, core_b) in self._pairs else (core_b, core_a)
        if key in self._pairs:
            win, n = self._pairs[key]
            n = n.copy()
        else:
            for c in (core_a, core_b):
                if c not in self._runs:
                    raise ConfigError(f"{where(field='core')}: {c!r} is not a core of this result (cores: {', '.join(self._runs)}).")
            a, b = self._runs[core_a], self._runs[core_b]
            win, n = _normalized(a, b, _pair_cwd(a, b))
        if t is not None:
            n[n > t] = np.nan
        out[win] = n
        return self.resistance.replace(out, nodata=None, name=f"corridor {core_a}-{core_b}")

    def write(self, outdir: str | os.PathLike, stem: str = "linkages", extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None,
              *, figure: MapWriter | None = None, inputs: Mapping[str, str | os.PathLike] | None = None,
              command: str = "corridors.linkages.build_linkages") -> dict[str, Path]:
        """Write the result atomically into a folder.

        Files: ``<stem>.gpkg`` (layers ``cores``, ``linkages`` with straight
        sticks between the cores' nearest points, ``paths`` with the
        least-cost paths; both carrying every attribute), ``<stem>.csv`` (the
        attribute table), ``corridors.tif`` (the truncated normalized
        corridor mosaic), ``provenance.json`` (:func:`corridors.io.provenance.record`
        plus the units, counts and dropped pairs) and, with ``figure``,
        ``<stem>_map.png`` / ``.svg``. The folder is built beside the target
        and its files renamed into place only when all are written
        (:func:`corridors.io.staged_folder`), so a failure leaves no partial
        output; other files in the folder are left alone. List-valued
        attributes (``borders``, ``measures``, ``through_cores``) are written
        as ``;``-joined text (:func:`corridors.io.write_csv`).

        Parameters
        ----------
        outdir : path-like
        stem : str, default 'linkages'
        extra_layers : mapping, optional
            More GeoPackage layers to include.
        figure : callable, optional
            ``figure(result, stem_path) -> paths`` writes the map, e.g.
            :func:`corridors.plot.linkages_map.write_linkages_map`; this
            engine does not draw.
        inputs : mapping of str to path, optional
            Input files to list with their SHA-256 in ``provenance.json``.
        command : str
            What produced the folder, for ``provenance.json``.

        Returns
        -------
        dict of str to Path
            ``gpkg``, ``csv``, ``mosaic``, ``provenance`` and, with a figure,
            ``map_png``, ``map_svg`` (one per file written).
        """
        out = Path(outdir)
        names = {"gpkg": f"{stem}.gpkg", "csv": f"{stem}.csv", "mosaic": "corridors.tif", "provenance": "provenance.json"}
        with staged_folder(out, name=stem) as tmp:
            paths = self.linkages
            sticks = paths.set_geometry(_sticks(self.cores, paths), crs=paths.crs)
            layers = {"cores": self.cores, "linkages": sticks, "paths": paths}
            layers.update(extra_layers or {})
            write_geopackage(layers, tmp / names["gpkg"])
            write_csv(pd.DataFrame(paths.drop(columns=paths.geometry.name)), tmp / names["csv"])
            self.corridor_mosaic.write(tmp / names["mosaic"], dtype="float32")
            if figure is not None:
                for p in figure(self, tmp / f"{stem}_map"):
                    names[f"map_{Path(p).suffix[1:]}"] = Path(p).name
            provenance.write(self.provenance_record(inputs, command), tmp / names["provenance"])
        return {k: out / v for k, v in names.items()}

    def provenance_record(self, inputs: Mapping[str, str | os.PathLike] | None = None,
                   command: str = "corridors.linkages.build_linkages") -> dict[str, Any]:
        """The provenance record of this result: :func:`corridors.io.provenance.record` plus units, counts and dropped pairs.

        Parameters
        ----------
        inputs : mapping of str to path, optional
            Input files, listed with their SHA-256.
        command : str
            What produced the result.

        Returns
        -------
        dict
        """
        rec = provenance.record(inputs, self.params, command=command)
        rec.update(
            units="cost-weighted metres (resistance x metres)",
            n_cores=int(len(self.cores)),
            n_linkages=int(len(self.linkages)),
            n_dropped=int(len(self.dropped)),
            dropped=self.dropped.to_dict(orient="records"),
            crs=self.resistance.crs.to_wkt() if self.resistance.crs is not None else None,
        )
        return rec


def _sticks(cores: gpd.GeoDataFrame, links: gpd.GeoDataFrame) -> list[LineString]:
    geo = dict(zip(cores["core_id"], cores.geometry))
    out = []
    for a, b in zip(links["core_a"], links["core_b"]):
        pa, pb = shapely.ops.nearest_points(geo[a], geo[b])
        out.append(LineString([pa, pb]))
    return out


def _intersect(w1: tuple[slice, slice], w2: tuple[slice, slice]) -> tuple[slice, slice] | None:
    r0, r1 = max(w1[0].start, w2[0].start), min(w1[0].stop, w2[0].stop)
    c0, c1 = max(w1[1].start, w2[1].start), min(w1[1].stop, w2[1].stop)
    if r0 >= r1 or c0 >= c1:
        return None
    return (slice(r0, r1), slice(c0, c1))


def _sub(run: _CoreRun, win: tuple[slice, slice]) -> np.ndarray:
    r0, c0 = run.window[0].start, run.window[1].start
    return run.cwd[win[0].start - r0 : win[0].stop - r0, win[1].start - c0 : win[1].stop - c0]


def _pair_cwd(a: _CoreRun, b: _CoreRun) -> float:
    win = _intersect(a.window, b.window)
    if win is None:
        return math.inf
    s = _sub(a, win).astype("float64") + _sub(b, win)
    return float(np.min(s))


def _normalized(a: _CoreRun, b: _CoreRun, d: float) -> tuple[tuple[slice, slice], np.ndarray]:
    win = _intersect(a.window, b.window)
    if win is None:
        return (slice(0, 0), slice(0, 0)), np.empty((0, 0), dtype="float32")
    n = (_sub(a, win).astype("float64") + _sub(b, win) - d).astype("float32")
    n[~np.isfinite(n)] = np.nan
    np.maximum(n, 0, out=n, where=~np.isnan(n))  # float32 rounding may dip a hair below 0 on the path
    return win, n


def _min_width(
    ra: _CoreRun, rb: _CoreRun, d: float, truncate_m: float | None, rc: np.ndarray, labels: np.ndarray, own: tuple[int, int], cell: float
) -> float:
    """Width (m) of the truncated corridor at its narrowest point along the least-cost path.

    The corridor is the set of cells whose normalized cost is within the
    truncation, plus the two cores. Its width at a path cell is the diameter
    of the largest disc that lies inside the corridor and covers the cell
    (the "local thickness" of image analysis), with discs centred outside
    the cores but free to reach into them, measured on cell centres: a
    straight strip k cells wide measures k cells (k - 1 for even k). The
    result is the minimum over path cells outside the two cores, in metres;
    NaN without truncation or when the whole path lies inside the cores.
    Written by hand because no well-kept library computes local thickness on
    a path (porespy does it for whole images, at much higher cost).
    """
    if truncate_m is None:
        return math.nan
    win, n = _normalized(ra, rb, d)
    r0, c0 = win[0].start, win[1].start
    keep = ~np.isin(labels[rc[:, 0], rc[:, 1]], own)
    rc = rc[keep]
    inside = (rc[:, 0] >= r0) & (rc[:, 0] < win[0].stop) & (rc[:, 1] >= c0) & (rc[:, 1] < win[1].stop)
    rc = rc[inside]
    if len(rc) == 0:
        return math.nan
    in_cores = np.isin(labels[win], own)
    # The two cores are habitat the corridor opens into, not its edge...
    mask = (n <= truncate_m) | in_cores  # NaN compares False: outside
    # Distance from each corridor cell centre to the nearest cell outside (the grid edge counts as outside).
    dist = ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    # ...but they are not corridor: discs are centred outside them, so a core's bulk does not pass for width.
    dist[in_cores] = 0.0
    rr, cc = rc[:, 0] - r0, rc[:, 1] - c0
    reach = int(math.ceil(float(dist[rr, cc].max()) * 2)) + 1  # a covering disc's centre lies within 2 radii
    reach = min(reach, int(math.ceil(float(dist.max()))) + 1)
    padded = np.pad(dist, reach)
    dy, dx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    d2 = (dy * dy + dx * dx).astype(float)
    best = math.inf
    for r, c in zip(rr, cc):
        patch = padded[r : r + 2 * reach + 1, c : c + 2 * reach + 1]
        covers = d2 < patch * patch  # discs centred at q of radius dist(q) that contain this path cell
        lt = float(patch[covers].max()) if covers.any() else float(dist[r, c])
        best = min(best, lt)
    return (2.0 * best - 1.0) * cell


__all__ = ["LinkageResult", "MapWriter"]
