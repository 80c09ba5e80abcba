"""Linkage Priority (Linkage Mapper 3): which corridors, and which cells inside them, matter most.

Linkage Mapper 3's Linkage Priority tool ranks the corridors of a Build
Network and Map Linkages run and scores every corridor cell. Its source is
not at hand; this module follows what the Linkage Mapper 3 user guide
describes, term by term, and says where it had to choose (the README's
"Linkage Priority" subsection lists every formula and each choice):

1. **Core Area Value (CAV)** of each core: a weighted mean of min-max
   normalised terms: mean resistance inside the core (inverted: lower is
   better), area, area/perimeter ratio, an expert core value and the
   core's current-flow centrality in the linkage network (Centrality
   Mapper's ``CF_Central``). *Linkage Mapper 3* defines CAV as a weighted
   sum of these normalised terms with user weights; dividing by the sum of
   the weights (so CAV lies in 0-1 and scaling all weights changes nothing)
   is *ours*.
2. Per linkage: **relative permeability** (its least-cost distance,
   min-max normalised over the linkages and inverted: the cheapest is 1),
   the mean CAV of its two end cores, and an optional **expert corridor
   importance value** (normalised). Their weighted mean is the linkage's
   overall priority (``priority``). The terms are Linkage Mapper 3's;
   taking the mean (not the sum) of the end cores' CAV and calling the
   weighted mean the linkage's priority are *ours*.
3. Per corridor cell: **relative closeness** ``RC = 1 - NLCC / T``, from the
   normalised corridor value ``NLCC = CWD_A + CWD_B - LCD`` and the
   truncation ``T``: 1 on the least-cost path, 0 at the truncation
   (*Linkage Mapper 3*: closeness is the inverted, rescaled normalised
   corridor; rescaling by ``T`` rather than by the corridor's own maximum is
   *ours*, they differ only by the discretisation of the corridor's edge).
   The **corridor-specific priority** ``CSP`` of a cell is the weighted mean
   of its closeness and the linkage's terms of step 2.
4. The **blended priority**: the maximum of CSP over the corridors covering a
   cell, blended with the **trunk priority** ``TP = max_k RC_k * priority_k``
   (near the least-cost paths of the strongest linkages) by the weights
   ``csp`` and ``trunk``, and divided by its maximum so the top cell is 1.
   Linkage Mapper 3 blends the corridor-specific priority with a trunk
   priority and rescales to 0-1; the trunk formula and rescaling by the
   maximum (not min-max, so 0 stays 0 and values stay proportional) are *ours*.

Min-max normalisation ``(x - min) / (max - min)`` ("score range", as Linkage
Mapper 3 rescales its terms) gives 1 to every item when all are equal (the
term then ranks nothing, whatever constant it takes). Linkage Mapper 3's
climate terms are not implemented.

An engine: a :class:`corridors.linkages.LinkageResult` in, tables and
rasters out; no programme data, no drawing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors._errors import ConfigError, DataError, where
from corridors.circuit.pinch import centrality
from corridors.io import provenance, staged_folder, write_csv
from corridors.lcp import source_cells
from corridors.linkages import LinkageResult
from corridors.raster import Raster

#: Each weight: (CLI option, the term as the Linkage Mapper 3 user guide names it, what it weighs).
WEIGHT_OPTIONS: dict[str, tuple[str, str, str]] = {
    "resistance": ("--w-resistance", "CAV: resistance weight (RW)", "mean resistance inside the core, lower is better"),
    "size": ("--w-size", "CAV: size weight (SW)", "core area"),
    "area_perimeter": ("--w-area-perimeter", "CAV: area/perimeter weight (APW)", "core area / perimeter, compactness"),
    "expert_core": ("--w-expert-core", "CAV: expert core area value weight (ECAVW)", "the expert value of --core-value-field"),
    "centrality": ("--w-centrality", "CAV: current flow centrality weight (CFCW)",
                   "the core's current-flow centrality in the linkage network (Centrality Mapper)"),
    "closeness": ("--w-closeness", "CSP: relative closeness weight",
                  "closeness of the cell to the corridor's least-cost path"),
    "permeability": ("--w-permeability", "CSP: relative permeability weight", "the linkage's least-cost distance, lower is better"),
    "core_value": ("--w-core-value", "CSP: core area value weight", "mean CAV of the linkage's two cores"),
    "expert_corridor": ("--w-expert-corridor", "CSP: expert corridor importance value weight (ECIVW)",
                        "the linkage's expert importance value"),
    "csp": ("--w-csp", "blended priority: corridor-specific priority weight", "max CSP over the corridors covering the cell"),
    "trunk": ("--w-trunk", "blended priority: trunk priority weight", "closeness to the least-cost paths of the strongest linkages"),
}

#: Values closer than this (relative to the largest) are ties in :func:`normalise`.
RELATIVE_TIE = 1e-9

_CAV_TERMS = ("resistance", "size", "area_perimeter", "expert_core", "centrality")
_LINK_TERMS = ("permeability", "core_value", "expert_corridor")
_CSP_TERMS = ("closeness",) + _LINK_TERMS
_BLEND_TERMS = ("csp", "trunk")


def _option(name: str) -> str:
    return f"{WEIGHT_OPTIONS[name][0]} (PriorityWeights.{name})"


@dataclass(frozen=True)
class PriorityWeights:
    """User weights of Linkage Priority, each >= 0; only their ratios within a group matter.

    Groups: the Core Area Value (``resistance``, ``size``, ``area_perimeter``,
    ``expert_core``, ``centrality``), the corridor-specific priority
    (``closeness``, ``permeability``, ``core_value``, ``expert_corridor``)
    and the blend (``csp``, ``trunk``). :data:`WEIGHT_OPTIONS` gives each
    weight's CLI option and Linkage Mapper 3 name.

    Parameters
    ----------
    resistance, size, area_perimeter, centrality : float, default 1
    expert_core : float or None, default None
        None: 1 when core values are given, else 0.
    closeness, permeability, core_value : float, default 1
    expert_corridor : float or None, default None
        None: 1 when corridor values are given, else 0.
    csp, trunk : float, default 1

    Raises
    ------
    ConfigError
        A weight negative or not a number, or every weight of the CSP or of
        the blend zero (the option is named).
    """

    resistance: float = 1.0
    size: float = 1.0
    area_perimeter: float = 1.0
    expert_core: float | None = None
    centrality: float = 1.0
    closeness: float = 1.0
    permeability: float = 1.0
    core_value: float = 1.0
    expert_corridor: float | None = None
    csp: float = 1.0
    trunk: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None and f.name in ("expert_core", "expert_corridor"):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ConfigError(f"{_option(f.name)}: a weight must be a number >= 0, got {v!r}.")
        for group, what in ((_CSP_TERMS, "the corridor-specific priority"), (_BLEND_TERMS, "the blended priority")):
            if all((getattr(self, n) or 0) == 0 for n in group):
                raise ConfigError(f"{', '.join(WEIGHT_OPTIONS[n][0] for n in group)}: every weight of {what} is 0; "
                                  "give at least one a weight > 0.")

    def resolved(self, core_values: bool, corridor_values: bool) -> "PriorityWeights":
        """The weights with the expert terms settled: None becomes 1 with values, 0 without.

        Parameters
        ----------
        core_values, corridor_values : bool
            Whether expert core / corridor values are given.

        Returns
        -------
        PriorityWeights

        Raises
        ------
        ConfigError
            An expert weight > 0 without its values, or every CAV weight 0 while the CSP uses the CAV.
        """
        ec = (1.0 if core_values else 0.0) if self.expert_core is None else self.expert_core
        eciv = (1.0 if corridor_values else 0.0) if self.expert_corridor is None else self.expert_corridor
        if ec > 0 and not core_values:
            raise ConfigError(f"{_option('expert_core')}: weighs the expert core values, but none are given; "
                              "give --core-value-field (core_values=) or set the weight to 0.")
        if eciv > 0 and not corridor_values:
            raise ConfigError(f"{_option('expert_corridor')}: weighs the expert corridor values, but none are given; "
                              "give corridor_values= or set the weight to 0.")
        out = replace(self, expert_core=ec, expert_corridor=eciv)
        if out.core_value > 0 and all(getattr(out, n) == 0 for n in _CAV_TERMS):
            raise ConfigError(f"{', '.join(WEIGHT_OPTIONS[n][0] for n in _CAV_TERMS)}: every weight of the core area value is 0 "
                              f"while {WEIGHT_OPTIONS['core_value'][0]} uses it; give one a weight > 0 or set "
                              f"{WEIGHT_OPTIONS['core_value'][0]} 0.")
        return out

    def as_dict(self) -> dict[str, float | None]:
        """The weights by name (for ``provenance.json``)."""
        return asdict(self)


#: Map writer of :meth:`PriorityResult.write`: given the result and a path stem, writes the map and returns its files.
PriorityFigure = Callable[["PriorityResult", Path], Sequence[Path]]


@dataclass
class PriorityResult:
    """Linkage Priority of a linkage run.

    Attributes
    ----------
    cores : DataFrame
        One row per core: ``core_id``, ``area_ha``, ``perimeter_m``,
        ``area_perimeter_m``, ``mean_resistance``, ``cf_central``,
        ``expert_value`` and their normalised terms ``n_resistance``,
        ``n_size``, ``n_area_perimeter``, ``n_centrality``, ``n_expert``, then
        ``cav`` (0-1).
    linkages : DataFrame
        One row per linkage, best first: ``core_a``, ``core_b`` (and
        ``corridor``, ``measure``, ``name`` when present), ``cwd_m``,
        ``rel_permeability``, ``mean_cav``, ``expert_value``, ``n_expert``,
        ``priority`` (the linkage's overall priority, 0-1), ``csp_on_path``
        (its CSP on the least-cost path) and ``rank``.
    surface : Raster
        The blended priority, 0-1 (1 at the top cell), NaN outside every corridor.
    csp : Raster
        Maximum corridor-specific priority over the corridors covering each cell.
    trunk : Raster
        Trunk priority ``max_k RC_k * priority_k``.
    weights : PriorityWeights
        The weights used (expert terms resolved).
    truncate_m : float
        The truncation ``T`` of the relative closeness, cost-weighted metres.
    """

    cores: pd.DataFrame
    linkages: pd.DataFrame
    surface: Raster
    csp: Raster
    trunk: Raster
    weights: PriorityWeights
    truncate_m: float
    params: dict[str, Any] = field(default_factory=dict)

    def write(self, outdir: str | os.PathLike, *, figure: PriorityFigure | None = None,
              inputs: Mapping[str, str | os.PathLike] | None = None, parameters: Mapping[str, Any] | None = None,
              linkages_table: pd.DataFrame | None = None, command: str = "corridors.restore.priority.linkage_priority") -> dict[str, Path]:
        """Write ``priority.tif``, ``priority_csp.tif``, ``priority_trunk.tif``, ``priority_cores.csv``, ``priority_linkages.csv`` and ``provenance.json``, all or none.

        The folder must be new, empty or an earlier output of corridors
        (:func:`corridors.io.staged_folder`). GeoTIFFs are float32 in the
        linkage run's CRS, no data -9999. This engine does not draw:
        ``figure(result, stem)`` writes ``priority_map`` files.

        Parameters
        ----------
        outdir : path-like
        figure : callable, optional
        inputs : mapping of str to path, optional
            Input files, listed with their SHA-256 in ``provenance.json``.
        parameters : mapping, optional
            More parameters for ``provenance.json`` (the weights and truncation are always there).
        linkages_table : DataFrame, optional
            Written as ``priority_linkages.csv`` instead of :attr:`linkages`.
        command : str
            What produced the folder.

        Returns
        -------
        dict of str to Path
            ``surface``, ``csp``, ``trunk``, ``cores``, ``linkages``, ``provenance`` and, with a figure, ``map_png``, ``map_svg``.
        """
        out = Path(outdir)
        names = {"surface": "priority.tif", "csp": "priority_csp.tif", "trunk": "priority_trunk.tif",
                 "cores": "priority_cores.csv", "linkages": "priority_linkages.csv", "provenance": "provenance.json"}
        with staged_folder(out, name="priority") as tmp:
            self.surface.write(tmp / names["surface"], dtype="float32")
            self.csp.write(tmp / names["csp"], dtype="float32")
            self.trunk.write(tmp / names["trunk"], dtype="float32")
            write_csv(self.cores, tmp / names["cores"])
            write_csv(self.linkages if linkages_table is None else linkages_table, tmp / names["linkages"])
            if figure is not None:
                for p in figure(self, tmp / "priority_map"):
                    names[f"map_{Path(p).suffix[1:]}"] = Path(p).name
            rec = provenance.record(inputs, {**self.params, **dict(parameters or {})}, command=command)
            rec["rests_on"] = ("the resistance surface (least-cost distances, closeness, mean core resistance), the core outlines "
                               "(area, perimeter), the linkage network (centrality) and the user's weights and expert values")
            provenance.write(rec, tmp / names["provenance"])
        return {k: out / v for k, v in names.items()}


def normalise(values: Sequence[float] | np.ndarray, invert: bool = False) -> np.ndarray:
    """Min-max ("score range") normalisation to 0-1; every item 1 when all are equal.

    Values within 1e-9 (relative) of each other count as equal: the areas of
    cores buffered by one radius differ in their last digits, and min-max
    would blow that rounding up into a 0-1 ranking.

    Parameters
    ----------
    values : array-like of float
        Finite values.
    invert : bool, default False
        Lower is better: ``(max - x) / (max - min)``.

    Returns
    -------
    numpy.ndarray of float64
    """
    x = np.asarray(values, dtype="float64")
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    if not hi - lo > RELATIVE_TIE * max(abs(hi), abs(lo)):
        return np.ones_like(x)
    return (hi - x) / (hi - lo) if invert else (x - lo) / (hi - lo)


def _values(values: str | Mapping[Any, float] | None, table: pd.DataFrame, keys: list[Any], what: str) -> np.ndarray | None:
    """Expert values in the order of ``keys``: a column of ``table`` or a mapping key -> value; all finite."""
    if values is None:
        return None
    if isinstance(values, str):
        if values not in table.columns:
            raise DataError(f"{where(field=values)}: the {what}s have no such column; name the column holding the expert values "
                            f"(one of: {', '.join(map(str, table.columns))}).")
        raw = dict(zip(keys, table[values]))
        label = values
    else:
        raw = dict(values)
        label = f"{what} values"
    out = []
    for k in keys:
        v = raw.get(k)
        if v is None and isinstance(k, tuple):
            v = raw.get((k[1], k[0]))
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            f = math.nan
        if not math.isfinite(f):
            name = f"{k[0]}-{k[1]}" if isinstance(k, tuple) else k
            raise DataError(f"{where(feature=name, field=label)}: {v!r} is not a number; give every {what} a finite expert value.")
        out.append(f)
    return np.asarray(out)


def _weighted_mean(terms: Mapping[str, np.ndarray], w: PriorityWeights, names: Sequence[str], n: int) -> np.ndarray:
    total = sum(getattr(w, k) for k in names)
    if total == 0:
        return np.ones(n)
    return sum(getattr(w, k) * terms[k] for k in names if getattr(w, k) > 0) / total  # type: ignore[return-value]


def core_area_values(linkages: LinkageResult, weights: PriorityWeights, core_values: str | Mapping[str, float] | None = None) -> pd.DataFrame:
    """Core Area Value (CAV) of every core of a linkage run (Linkage Mapper 3, step 1).

    ``CAV = (RW n_resistance + SW n_size + APW n_area_perimeter + ECAVW n_expert + CFCW n_centrality) / (RW + SW + APW + ECAVW + CFCW)``
    with every ``n_`` term min-max normalised over the cores (resistance inverted).

    Parameters
    ----------
    linkages : LinkageResult
    weights : PriorityWeights
        Expert weight resolved (:meth:`PriorityWeights.resolved`).
    core_values : str or mapping core_id -> float, optional
        The expert core value: a column of ``linkages.cores`` or a mapping.

    Returns
    -------
    DataFrame
        See :attr:`PriorityResult.cores`.
    """
    cores = linkages.cores
    ids = [str(c) for c in cores["core_id"]]
    res = linkages.resistance
    vals = res.masked().astype("float64")
    mean_r = []
    for cid, geom in zip(ids, cores.geometry):
        cells = source_cells(res, [geom], label=f"core {cid!r}")
        mean_r.append(float(np.nanmean(vals.ravel()[cells])))
    area_m2 = cores.geometry.area.to_numpy(dtype="float64")
    perim = cores.geometry.length.to_numpy(dtype="float64")
    if np.any(~(area_m2 > 0)):
        # A point core has no area nor perimeter: the linkage engine takes its cell, whose outline stands for it.
        cell_area = abs(res.transform.a * res.transform.e)
        side = math.sqrt(cell_area)
        n_cells = cores["n_cells"].to_numpy(dtype="float64") if "n_cells" in cores.columns else np.ones(len(cores))
        flat = ~(area_m2 > 0)
        area_m2 = np.where(flat, n_cells * cell_area, area_m2)
        perim = np.where(flat, 4 * side * np.sqrt(n_cells), perim)
    links = linkages.linkages
    if len(links):
        nodes, _ = centrality(links["core_a"].astype(str), links["core_b"].astype(str), links["cwd_m"].astype(float), nodes=ids)
        cf = dict(zip(nodes["node"], nodes["cf_central"]))
    else:
        cf = {}
    cf_central = np.asarray([float(cf.get(c, 0.0)) for c in ids])
    expert = _values(core_values, pd.DataFrame(cores.drop(columns=cores.geometry.name)), ids, "core")
    table = pd.DataFrame({
        "core_id": ids,
        "area_ha": area_m2 / 1e4,
        "perimeter_m": perim,
        "area_perimeter_m": area_m2 / perim,
        "mean_resistance": mean_r,
        "cf_central": cf_central,
        "expert_value": expert if expert is not None else np.nan,
    })
    terms = {
        "resistance": normalise(table["mean_resistance"], invert=True),
        "size": normalise(table["area_ha"]),
        "area_perimeter": normalise(table["area_perimeter_m"]),
        "centrality": normalise(cf_central),
        "expert_core": normalise(expert) if expert is not None else np.full(len(ids), np.nan),
    }
    for k, col in (("resistance", "n_resistance"), ("size", "n_size"), ("area_perimeter", "n_area_perimeter"),
                   ("centrality", "n_centrality"), ("expert_core", "n_expert")):
        table[col] = terms[k]
    table["cav"] = _weighted_mean(terms, weights, _CAV_TERMS, len(ids))
    return table


def linkage_priority(
    linkages: LinkageResult,
    weights: PriorityWeights | None = None,
    core_values: str | Mapping[str, float] | None = None,
    corridor_values: str | Mapping[tuple[str, str], float] | None = None,
    truncate_m: float | None = None,
) -> PriorityResult:
    """Linkage Priority (Linkage Mapper 3) of a linkage run: CAV per core, priority per linkage, the blended surface.

    For linkage ``k`` between cores ``a`` and ``b`` and a cell ``x`` of its corridor:

    - ``RP_k``: least-cost distance ``cwd_m`` min-max normalised over the linkages, inverted;
    - ``MCAV_k = (CAV_a + CAV_b) / 2``; ``NECIV_k``: the expert value, normalised;
    - ``priority_k = (w_perm RP_k + w_cav MCAV_k + w_eciv NECIV_k) / (w_perm + w_cav + w_eciv)`` (1 if all three are 0);
    - ``RC_k(x) = 1 - NLCC_k(x) / T`` for ``NLCC_k(x) = CWD_a(x) + CWD_b(x) - LCD_k <= T``;
    - ``CSP_k(x) = (w_close RC_k(x) + w_perm RP_k + w_cav MCAV_k + w_eciv NECIV_k) / (w_close + w_perm + w_cav + w_eciv)``;
    - ``TP(x) = max_k RC_k(x) priority_k``; ``B(x) = (w_csp max_k CSP_k(x) + w_trunk TP(x)) / (w_csp + w_trunk)``;
    - the surface is ``B / max B``.

    Parameters
    ----------
    linkages : corridors.linkages.LinkageResult
        Its cores, linkages (``core_a``, ``core_b``, ``cwd_m``) and normalised corridors.
    weights : PriorityWeights, optional
        Default :class:`PriorityWeights()` (every weight 1, the expert ones 1 only with values).
    core_values : str or mapping core_id -> float, optional
        Expert Core Area Value: a column of ``linkages.cores`` or a mapping.
    corridor_values : str or mapping (core_a, core_b) -> float, optional
        Expert Corridor Importance Value: a column of ``linkages.linkages`` or a mapping (either order).
    truncate_m : float, optional
        ``T`` of the closeness, cost-weighted metres (> 0); default the run's truncation.

    Returns
    -------
    PriorityResult

    Raises
    ------
    ConfigError
        Bad weights (naming the option), no truncation, a truncation <= 0.
    DataError
        No linkage, an expert value missing or not a number (naming the core or linkage and the field).
    """
    w0 = PriorityWeights() if weights is None else weights
    if not isinstance(w0, PriorityWeights):
        raise ConfigError(f"{where(field='weights')}: give a PriorityWeights, got {type(w0).__name__}.")
    w = w0.resolved(core_values is not None, corridor_values is not None)
    t = linkages.truncate_m if truncate_m is None else truncate_m
    if t is None:
        raise ConfigError(f"{where(field='truncate_m')}: the linkage run has no truncation; give truncate_m (cost-weighted metres) "
                          "so that closeness falls from 1 on the path to 0 at it.")
    if not (isinstance(t, (int, float)) and math.isfinite(t) and t > 0):
        raise ConfigError(f"{where(field='truncate_m')}: must be a number of cost-weighted metres > 0, got {t!r}.")
    links = linkages.linkages
    if len(links) == 0:
        raise DataError("linkages: the run has no linkage to rank; check the cores and the linkage limits.")
    cores = core_area_values(linkages, w, core_values)
    cav = dict(zip(cores["core_id"], cores["cav"]))
    pairs = [(str(a), str(b)) for a, b in zip(links["core_a"], links["core_b"])]
    eciv = _values(corridor_values, pd.DataFrame(links.drop(columns=links.geometry.name)), pairs, "linkage")
    cwd = links["cwd_m"].to_numpy(dtype="float64")
    terms = {
        "permeability": normalise(cwd, invert=True),
        "core_value": np.asarray([(cav[a] + cav[b]) / 2 for a, b in pairs]),
        "expert_corridor": normalise(eciv) if eciv is not None else np.full(len(pairs), np.nan),
    }
    prio = _weighted_mean(terms, w, _LINK_TERMS, len(pairs))
    w_csp = w.closeness + sum(getattr(w, k) for k in _LINK_TERMS)
    link_part = sum(getattr(w, k) * terms[k] for k in _LINK_TERMS if getattr(w, k) > 0)
    link_part = np.zeros(len(pairs)) + link_part

    shape = linkages.resistance.shape
    csp = np.full(shape, np.nan, dtype="float64")
    trunk = np.full(shape, np.nan, dtype="float64")
    for k, (a, b) in enumerate(pairs):
        nlcc = linkages.corridor(a, b, truncate_m=t).array
        inside = np.isfinite(nlcc)
        rc = 1.0 - nlcc[inside].astype("float64") / t
        c = (w.closeness * rc + link_part[k]) / w_csp
        csp[inside] = np.fmax(csp[inside], c)
        trunk[inside] = np.fmax(trunk[inside], rc * prio[k])
    blend = (w.csp * csp + w.trunk * trunk) / (w.csp + w.trunk)
    top = float(np.nanmax(blend)) if np.isfinite(blend).any() else math.nan
    surface = blend / top if top > 0 else blend

    table = pd.DataFrame({"core_a": [p[0] for p in pairs], "core_b": [p[1] for p in pairs]})
    for col in ("corridor", "measure", "name"):
        if col in links.columns:
            table[col] = links[col].to_numpy()
    table["cwd_m"] = cwd
    table["rel_permeability"] = terms["permeability"]
    table["mean_cav"] = terms["core_value"]
    table["expert_value"] = eciv if eciv is not None else np.nan
    table["n_expert"] = terms["expert_corridor"]
    table["priority"] = prio
    table["csp_on_path"] = (w.closeness + link_part) / w_csp
    table["rank"] = table["priority"].rank(ascending=False, method="min").astype(int)
    table = table.sort_values(["rank", "cwd_m"], kind="stable").reset_index(drop=True)
    res = linkages.resistance
    params = {"weights": w.as_dict(), "truncate_m": float(t), "n_cores": int(len(cores)), "n_linkages": int(len(table)),
              "core_values": core_values if isinstance(core_values, str) or core_values is None else "mapping",
              "corridor_values": corridor_values if isinstance(corridor_values, str) or corridor_values is None else "mapping",
              "crs": res.crs.to_string() if res.crs is not None else None}
    return PriorityResult(
        cores=cores, linkages=table,
        surface=res.replace(surface.astype("float32"), nodata=None, name="blended priority"),
        csp=res.replace(csp.astype("float32"), nodata=None, name="corridor-specific priority"),
        trunk=res.replace(trunk.astype("float32"), nodata=None, name="trunk priority"),
        weights=w, truncate_m=float(t), params=params,
    )


__all__ = ["WEIGHT_OPTIONS", "PriorityFigure", "PriorityResult", "PriorityWeights", "core_area_values", "linkage_priority", "normalise"]
