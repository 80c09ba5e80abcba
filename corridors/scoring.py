"""Multi-criteria scores of candidate corridors and reintroduction sites, and how robust their ranks are to the weights and the dispersal distance."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from corridors._errors import ConfigError, DataError

Direction = Literal["benefit", "cost"]


@dataclass(frozen=True)
class Criterion:
    """One column of a decision table and how to read it.

    Parameters
    ----------
    name : str
        Column name in the decision table.
    direction : {'benefit', 'cost'}
        ``'benefit'``: more is better (normalized 1 at the column maximum);
        ``'cost'``: less is better (normalized 1 at the column minimum).
    description : str
        What the column measures and its unit, shown in tables and reports.
    """

    name: str
    direction: Direction
    description: str = ""


#: Criteria of candidate corridors (issue 6, section 3), with their direction.
CORRIDOR_CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion("cwd", "cost", "cost-weighted distance of the least-cost path (cost-weighted metres)"),
        Criterion("lcp_length_m", "cost", "length of the least-cost path (m)"),
        Criterion("cwd_to_euclid", "cost", "CWD : Euclidean distance ratio (1 = a straight, easy path)"),
        Criterion("effective_resistance", "cost", "effective resistance between the two cores (ohms)"),
        Criterion(
            "pinch_current",
            "cost",
            "largest current density in the corridor: flow squeezed through one pinch point is fragile",
        ),
        Criterion("min_width_m", "benefit", "corridor width at its narrowest point (m)"),
        Criterion("n_borders", "cost", "number of national borders the least-cost path crosses"),
        Criterion("share_protected", "benefit", "share of the corridor inside protected areas (0-1)"),
        Criterion("settlement_overlap", "cost", "share of the corridor on settlements (0-1)"),
        Criterion("ec_gain", "benefit", "gain in equivalent connected area EC(PC) the corridor brings (ha)"),
    )
}

#: Criteria of candidate reintroduction sites (issue 6, section 3), with their direction.
SITE_CRITERIA: dict[str, Criterion] = {
    c.name: c
    for c in (
        Criterion("mean_suitability", "benefit", "mean habitat suitability within reach (0-1)"),
        Criterion("suitable_area_ha", "benefit", "suitable habitat within reach (ha)"),
        Criterion("capacity", "benefit", "deer the site would hold: its suitability-weighted habitat within reach "
                  "(the network's node capacity, habitat_ha) at the scenario's density (animals)"),
        Criterion("ec_gain", "benefit", "gain in EC(PC) when the site is added as a node (ha)"),
        Criterion("pc_gain", "benefit", "relative gain in PC when the site is added as a node (%)"),
        Criterion("source_cwd", "cost", "least-cost distance to the nearest source population (cost-weighted m)"),
        Criterion("isolation_m", "cost", "straight-line distance to the nearest occupied site (m)"),
        Criterion("settlement_share", "cost", "share of the reach on settlements (0-1)"),
        Criterion("n_borders", "cost", "national borders within reach"),
        Criterion("degradation", "cost", "share of the reach under habitat loss or degradation (0-1)"),
    )
}


def _criteria_for(columns: Sequence[str], catalogue: Mapping[str, Criterion] | None) -> list[Criterion]:
    out = []
    for name in columns:
        if catalogue is not None and name in catalogue:
            out.append(catalogue[name])
        else:
            raise ConfigError(
                f"scoring weight {name!r}: unknown criterion; use one of {', '.join(catalogue or [])} "
                "or pass a Criterion for it."
            )
    return out


def normalize(values: Sequence[float] | np.ndarray, direction: Direction) -> np.ndarray:
    """Min-max normalize one criterion to [0, 1], 1 being the best option.

    Parameters
    ----------
    values : array-like of float
        The criterion for every option; NaN means "not measured".
    direction : {'benefit', 'cost'}
        ``'benefit'``: (v - min) / (max - min); ``'cost'``: (max - v) / (max - min).

    Returns
    -------
    numpy.ndarray
        Normalized values. A criterion with no spread (all equal) cannot tell
        options apart: every option gets 1.0, so it shifts all scores alike and
        changes no rank. A NaN (not measured) gets 0.0, the worst, so a
        missing measurement never lifts an option.

    Raises
    ------
    ConfigError
        If ``direction`` is neither ``'benefit'`` nor ``'cost'``.
    """
    if direction not in ("benefit", "cost"):
        raise ConfigError(f"criterion direction {direction!r}: unknown; use 'benefit' or 'cost'.")
    v = np.asarray(values, dtype="float64")
    out = np.zeros(v.shape, dtype="float64")
    ok = np.isfinite(v)
    if not ok.any():
        return out
    lo, hi = float(v[ok].min()), float(v[ok].max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        out[ok] = 1.0
        return out
    if direction == "benefit":
        out[ok] = (v[ok] - lo) / (hi - lo)
    else:
        out[ok] = (hi - v[ok]) / (hi - lo)
    return out


def _weights_vector(weights: Mapping[str, float], names: Sequence[str]) -> np.ndarray:
    w = np.array([float(weights[n]) for n in names], dtype="float64")
    if (w < 0).any() or not np.isfinite(w).all():
        bad = [n for n, x in zip(names, w) if not (np.isfinite(x) and x >= 0)]
        raise ConfigError(f"scoring weight {bad[0]!r}: must be a finite number >= 0; set it to 0 to ignore the criterion.")
    if w.sum() <= 0:
        raise ConfigError("scoring weights: all are 0; give at least one criterion a positive weight.")
    return w / w.sum()


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Ordinal ranks (1 = best) along the last axis; ties go to the option listed first.

    Deterministic tie-breaking by table order keeps ranks reproducible; a
    stable sort on the negated score does exactly that.
    """
    order = np.argsort(-scores, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    idx = np.arange(scores.shape[-1])
    if scores.ndim == 1:
        ranks[order] = idx + 1
    else:
        np.put_along_axis(ranks, order, np.broadcast_to(idx + 1, order.shape), axis=-1)
    return ranks


def _check_table(table: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise DataError(
            f"decision table, field {missing[0]!r}: column missing; compute it or give it weight 0 "
            f"(columns present: {', '.join(map(str, table.columns))})."
        )
    if len(table) == 0:
        raise DataError("decision table: no option to score; give at least one candidate.")


def weighted_score(
    table: pd.DataFrame,
    weights: Mapping[str, float],
    criteria: Mapping[str, Criterion] | None = None,
) -> pd.DataFrame:
    """Score every option (row) of a decision table by a weighted sum of normalized criteria.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per option (its index is the option id), one column per criterion.
    weights : mapping of str to float
        Criterion name to weight (>= 0). Weights are rescaled to sum to 1, so
        only their ratios matter. Criteria with weight 0 are shown but not scored.
    criteria : mapping of str to Criterion, optional
        Direction of each criterion (default: corridor and site criteria of this module).

    Returns
    -------
    pandas.DataFrame
        Index as ``table``; for each weighted criterion its raw value and
        ``<name>_norm`` (0-1, 1 best), then ``score`` (0-1) and ``rank``
        (1 = best; ties go to the option listed first). Sorted by rank.

    Raises
    ------
    ConfigError
        If a weight is negative, all are 0, or a criterion is unknown.
    DataError
        If a weighted column is missing from the table or the table is empty.
    """
    catalogue = dict(criteria) if criteria is not None else {**SITE_CRITERIA, **CORRIDOR_CRITERIA}
    names = list(weights)
    crits = _criteria_for(names, catalogue)
    _check_table(table, names)
    w = _weights_vector(weights, names)
    norm = np.column_stack([normalize(table[c.name].to_numpy(), c.direction) for c in crits])
    score = norm @ w
    out = pd.DataFrame(index=table.index)
    for j, c in enumerate(crits):
        out[c.name] = table[c.name].to_numpy(dtype="float64")
        out[f"{c.name}_norm"] = norm[:, j]
    out["score"] = score
    out["rank"] = _ranks(score)
    return out.sort_values("rank", kind="stable")


@dataclass
class RobustnessResult:
    """Rank distributions of options under perturbed weights and dispersal distances.

    Attributes
    ----------
    ranks : numpy.ndarray
        (draws, options) ranks, 1 = best.
    options : list
        Option ids, in table order.
    weights : numpy.ndarray
        (draws, criteria) weights drawn.
    criteria : list of str
    dispersal_m : numpy.ndarray or None
        The median dispersal distance of every draw (None if not perturbed).
    top_k : int
    seed : int
    variant : numpy.ndarray or None
        The perturbed landscape (index into ``variants``) of every draw (None if there were none).
    """

    ranks: np.ndarray
    options: list
    weights: np.ndarray
    criteria: list[str]
    dispersal_m: np.ndarray | None
    top_k: int
    seed: int
    base: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    variant: np.ndarray | None = None

    def rank_counts(self) -> pd.DataFrame:
        """How many draws put each option at each rank (options x ranks 1..n)."""
        n = len(self.options)
        counts = np.stack([np.bincount(self.ranks[:, j], minlength=n + 1)[1:] for j in range(n)])
        return pd.DataFrame(counts, index=pd.Index(self.options, name="option"), columns=range(1, n + 1))

    def table(self) -> pd.DataFrame:
        """Per option: base score and rank, median rank, 5-95 % rank interval, P(rank <= top_k).

        Sorted by base rank; the option ids are the index.
        """
        r = self.ranks
        out = pd.DataFrame(index=pd.Index(self.options, name="option"))
        if not self.base.empty:
            out["score"] = self.base.loc[self.options, "score"].to_numpy()
            out["rank"] = self.base.loc[self.options, "rank"].to_numpy()
        out["median_rank"] = np.median(r, axis=0)
        out["rank_p05"] = np.percentile(r, 5, axis=0, method="lower")
        out["rank_p95"] = np.percentile(r, 95, axis=0, method="higher")
        out["p_best"] = (r == 1).mean(axis=0)
        out[f"p_top{self.top_k}"] = (r <= self.top_k).mean(axis=0)
        sort_col = "rank" if "rank" in out else "median_rank"
        return out.sort_values([sort_col, "median_rank"], kind="stable")


def dirichlet_weights(
    weights: Mapping[str, float], draws: int, concentration: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw weight vectors from a Dirichlet distribution centred on the user's weights.

    Parameters
    ----------
    weights : mapping of str to float
        The user's weights (rescaled to sum to 1).
    draws : int
        Number of weight vectors.
    concentration : float
        Dirichlet concentration ``c``: alpha = c * w. Each weight then has mean
        w and variance w (1 - w) / (c + 1); c = 50 moves a weight of 0.2 by
        about +-0.06 (one standard deviation). Larger c, smaller moves.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        (draws, criteria); criteria of weight 0 stay at 0 (the user left them out).
    """
    if not concentration > 0:
        raise ConfigError(f"robustness concentration {concentration!r}: must be > 0; 50 is a moderate spread.")
    w = _weights_vector(weights, list(weights))
    out = np.zeros((draws, len(w)))
    nz = w > 0
    out[:, nz] = rng.dirichlet(concentration * w[nz], size=draws)
    return out


def robustness(
    table: pd.DataFrame,
    weights: Mapping[str, float],
    criteria: Mapping[str, Criterion] | None = None,
    draws: int = 1000,
    concentration: float = 50.0,
    top_k: int = 3,
    seed: int = 0,
    dispersal_m: float | None = None,
    dispersal_sd_log: float = 0.3,
    dispersal_levels: int = 9,
    recompute: Callable[[float], pd.DataFrame] | None = None,
    variants: Sequence[Callable[[float], pd.DataFrame]] = (),
) -> RobustnessResult:
    """Monte-Carlo robustness of a weighted ranking.

    Each draw takes a weight vector from a Dirichlet distribution centred on
    ``weights`` and, when ``recompute`` is given, a median dispersal distance
    from a log-normal around ``dispersal_m``; it normalizes and scores the
    table of that distance and records every option's rank. With
    ``variants`` (other landscapes: places moved within their precision,
    resistances drawn within a range), each draw also picks one of them,
    uniformly, and scores that landscape's table at its distance.

    Parameters
    ----------
    table : pandas.DataFrame
        Decision table at the base dispersal distance (rows = options).
    weights : mapping of str to float
        The user's weights.
    criteria : mapping of str to Criterion, optional
        Directions (default: this module's corridor and site criteria).
    draws : int, default 1000
        Monte-Carlo draws.
    concentration : float, default 50
        Dirichlet concentration (see :func:`dirichlet_weights`).
    top_k : int, default 3
        Report the probability of being among the ``top_k`` best.
    seed : int, default 0
        Seed of the random generator: same seed, same result.
    dispersal_m : float, optional
        Base median dispersal distance (m); needed when ``recompute`` is given.
    dispersal_sd_log : float, default 0.3
        Standard deviation of log(distance); 0.3 is about +-35 % (one sd).
    dispersal_levels : int, default 9
        ``recompute`` is called once per level only: the log-normal is cut
        into this many equal-probability bins and each draw uses the median
        of its bin. Recomputing the network for every one of 1000 draws
        would cost 1000 PC solves for no visible gain in the rank statistics.
    recompute : callable, optional
        ``recompute(distance_m) -> DataFrame``: the decision table (same
        index, same columns) at another median dispersal distance, e.g. EC
        gains from the network rebuilt with that distance.
    variants : sequence of callable, optional
        Like ``recompute``, one per perturbed landscape; when given they
        replace ``recompute`` (the base landscape is not among the draws).
        Without dispersal perturbation (``dispersal_sd_log`` 0) each is
        called once, at ``dispersal_m``. An option a variant cannot measure
        (NaN) gets the worst normalized value there.

    Returns
    -------
    RobustnessResult

    Raises
    ------
    ConfigError
        On bad weights, ``draws < 1``, ``top_k < 1`` or ``recompute`` without ``dispersal_m``.
    """
    if draws < 1:
        raise ConfigError(f"robustness draws {draws!r}: must be >= 1; 1000 is usual.")
    if top_k < 1:
        raise ConfigError(f"robustness top_k {top_k!r}: must be >= 1.")
    base = weighted_score(table, weights, criteria)
    catalogue = dict(criteria) if criteria is not None else {**SITE_CRITERIA, **CORRIDOR_CRITERIA}
    names = list(weights)
    crits = _criteria_for(names, catalogue)
    rng = np.random.default_rng(seed)
    W = dirichlet_weights(weights, draws, concentration, rng)

    def norm_of(t: pd.DataFrame) -> np.ndarray:
        t = t.reindex(table.index)  # an option a variant could not measure is NaN there: the worst, never dropped
        _check_table(t, names)
        return np.column_stack([normalize(t[c.name].to_numpy(), c.direction) for c in crits])

    dist = variant = None
    makers = list(variants) or ([recompute] if recompute is not None else [])
    if not makers:
        scores = W @ norm_of(table).T  # (draws, options)
    else:
        if dispersal_m is None or not dispersal_m > 0:
            raise ConfigError(
                "robustness dispersal_m: a positive median dispersal distance (m) is needed to perturb it."
            )
        from statistics import NormalDist  # the standard library's inverse normal: no scipy.stats import (slow)

        L = max(1, int(dispersal_levels)) if dispersal_sd_log > 0 or not variants else 1
        # medians of L equal-probability bins of the log-normal
        z = np.array([NormalDist().inv_cdf((k + 0.5) / L) for k in range(L)])
        levels = dispersal_m * np.exp(dispersal_sd_log * z)
        which = rng.integers(0, L, size=draws)
        if dispersal_sd_log > 0 or not variants:
            dist = levels[which]
        pick = rng.integers(0, len(makers), size=draws) if variants else np.zeros(draws, dtype=int)
        variant = pick if variants else None
        scores = np.empty((draws, len(table)))
        for v, make in enumerate(makers):
            for lvl in range(L):
                sel = (which == lvl) & (pick == v)
                if sel.any():
                    scores[sel] = W[sel] @ norm_of(make(float(levels[lvl]))).T
    ranks = _ranks(scores)
    return RobustnessResult(
        ranks=ranks,
        options=list(table.index),
        weights=W,
        criteria=names,
        dispersal_m=dist,
        top_k=top_k,
        seed=seed,
        base=base,
        variant=variant,
    )


def rank_stability(result: RobustnessResult) -> float:
    """Mean Spearman correlation between the base ranking and each draw's ranking (1 = never changes)."""
    if result.base.empty or len(result.options) < 2:
        return 1.0
    base = result.base.loc[result.options, "rank"].to_numpy(dtype=float)
    n = len(base)
    d2 = ((result.ranks - base) ** 2).sum(axis=1)
    rho = 1 - 6 * d2 / (n * (n * n - 1))
    return float(np.mean(rho)) if math.isfinite(float(np.mean(rho))) else 1.0
