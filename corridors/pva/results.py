"""What a PVA run says: risk curves, expected minimum abundance, bands, targets, times to quasi-extinction, sensitivity.

Every function takes :class:`corridors.pva.model.Trajectories` and returns a
pandas table with one column (or row) per population and one for ``total``
(all populations together).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from corridors._errors import ConfigError
from corridors.pva.actions import Action
from corridors.pva.model import Population, Trajectories, simulate
from corridors.pva.params import SEXES, STAGES, PVAParameters

#: Name of the column holding all populations together.
TOTAL = "total"


def _series(traj: Trajectories) -> tuple[list[str], np.ndarray]:
    """Names and abundance (replicates, years + 1, n + 1) with the total as the last column."""
    ab = np.concatenate([traj.abundance.astype(np.int64), traj.total[:, :, None]], axis=2)
    return [*traj.names, TOTAL], ab


def risk_curve(traj: Trajectories, threshold: float | None = None) -> pd.DataFrame:
    """Share of replicates that have fallen below a threshold at any census up to each year.

    Parameters
    ----------
    traj : Trajectories
    threshold : float, optional
        Animals; default the file's quasi-extinction threshold. ``1`` gives extinction (no animal left).

    Returns
    -------
    DataFrame
        Index ``year`` (0..years), one column per population and ``total``.
    """
    thr = traj.quasi_extinction if threshold is None else float(threshold)
    names, ab = _series(traj)
    ever = np.logical_or.accumulate(ab < thr, axis=1)
    return pd.DataFrame(ever.mean(axis=0), index=pd.Index(traj.years, name="year"), columns=names)


def extinction_risk(traj: Trajectories) -> pd.DataFrame:
    """:func:`risk_curve` at threshold 1: the share of replicates with no animal left at some census up to each year."""
    return risk_curve(traj, threshold=1)


def quasi_extinction_risk(traj: Trajectories) -> pd.DataFrame:
    """:func:`risk_curve` at the file's quasi-extinction threshold."""
    return risk_curve(traj)


def expected_minimum_abundance(traj: Trajectories) -> pd.Series:
    """Mean over replicates of each trajectory's smallest census (EMA), per population and total."""
    names, ab = _series(traj)
    return pd.Series(ab.min(axis=1).mean(axis=0), index=names, name="ema")


def bands(traj: Trajectories, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
    """Quantiles of abundance by year (median and the 5-95 % band by default): counts some run reached (inverted CDF).

    Returns
    -------
    DataFrame
        Long: columns ``population``, ``year``, then one column per quantile (``q05``, ``q50``, ``q95``) and ``mean``.
    """
    names, ab = _series(traj)
    q = np.quantile(ab, quantiles, axis=0, method="inverted_cdf")  # (nq, years + 1, n + 1)
    rows = []
    for k, name in enumerate(names):
        d = {"population": name, "year": traj.years}
        for i, qq in enumerate(quantiles):
            d[f"q{round(qq * 100):02d}"] = q[i, :, k]
        d["mean"] = ab[:, :, k].mean(axis=0)
        rows.append(pd.DataFrame(d))
    return pd.concat(rows, ignore_index=True)


def probability_of_reaching(traj: Trajectories, target: float | dict[str, float], year: int | None = None,
                            ever: bool = False) -> pd.Series:
    """Share of replicates with at least ``target`` animals in ``year`` (default the last), or at any census up to it.

    Parameters
    ----------
    target : float or dict
        Animals; a dict gives one per population name (and ``total``); names left out are not reported.
    year : int, optional
        Census index (0..years).
    ever : bool, default False
        At any census up to ``year`` rather than in it.
    """
    names, ab = _series(traj)
    y = traj.years[-1] if year is None else int(year)
    if not 0 <= y <= traj.years[-1]:
        raise ConfigError(f"probability_of_reaching: year {y} is outside the run (0..{traj.years[-1]}).")
    goals = target if isinstance(target, dict) else {n: target for n in names}
    unknown = sorted(set(goals) - set(names))
    if unknown:
        raise ConfigError(f"probability_of_reaching: unknown population {unknown[0]!r}; use one of {', '.join(names)}.")
    out = {}
    for k, name in enumerate(names):
        if name in goals:
            x = ab[:, : y + 1, k].max(axis=1) if ever else ab[:, y, k]
            out[name] = float((x >= goals[name]).mean())
    return pd.Series(out, name="p_reach")


def time_to_quasi_extinction(traj: Trajectories, threshold: float | None = None) -> pd.DataFrame:
    """First census below the threshold, over the replicates that fell below it.

    Returns
    -------
    DataFrame
        Index population (and ``total``); columns ``share`` (replicates that
        fell below by the end), ``median_year`` and ``mean_year`` among them (NaN if none).
    """
    thr = traj.quasi_extinction if threshold is None else float(threshold)
    names, ab = _series(traj)
    below = ab < thr
    hit = below.any(axis=1)
    first = np.where(hit, below.argmax(axis=1), -1)
    rows = {}
    for k, name in enumerate(names):
        f = first[:, k][hit[:, k]]
        rows[name] = {"share": float(hit[:, k].mean()),
                      "median_year": float(np.median(f)) if f.size else np.nan,
                      "mean_year": float(f.mean()) if f.size else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("population")


def summary_table(traj: Trajectories, years: Iterable[int] | None = None) -> pd.DataFrame:
    """The table per population: start, median and 5-95 % at chosen years, extinction and quasi-extinction risk, EMA.

    Parameters
    ----------
    years : iterable of int, optional
        Census indices reported (default the last).

    Returns
    -------
    DataFrame
        One row per population and ``total``.
    """
    ys = [int(traj.years[-1])] if years is None else [int(y) for y in years]
    for y in ys:
        if not 0 <= y <= traj.years[-1]:
            raise ConfigError(f"summary_table: year {y} is outside the run (0..{traj.years[-1]}).")
    names, ab = _series(traj)
    ext, qext = extinction_risk(traj), quasi_extinction_risk(traj)
    ema = expected_minimum_abundance(traj)
    tq = time_to_quasi_extinction(traj)
    out = pd.DataFrame(index=pd.Index(names, name="population"))
    out["start"] = ab[0, 0, :]
    for y in ys:
        q = np.quantile(ab[:, y, :], [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
        out[f"q05_y{y}"], out[f"median_y{y}"], out[f"q95_y{y}"] = q
        out[f"p_extinct_y{y}"] = ext.loc[y].to_numpy()
        out[f"p_quasi_y{y}"] = qext.loc[y].to_numpy()
    out["ema"] = ema.to_numpy()
    out["median_years_to_quasi"] = tq["median_year"].to_numpy()
    return out


# ---------------------------------------------------------------------------- global sensitivity

def _mean_final(traj: Trajectories, who: str) -> float:
    names, ab = _series(traj)
    return float(ab[:, -1, names.index(who)].mean())


#: Outcomes :func:`lhs_sensitivity` knows by name (of the total unless a population is named).
OUTCOMES: dict[str, Callable[[Trajectories, str], float]] = {
    "mean_final": _mean_final,
    "ema": lambda t, who: float(expected_minimum_abundance(t)[who]),
    "quasi_extinction": lambda t, who: float(quasi_extinction_risk(t)[who].iloc[-1]),
}


def _with(params: PVAParameters, draws: dict[str, float]) -> PVAParameters:
    p = copy.deepcopy(params)
    for key, v in draws.items():
        kind, *rest = key.split(".")
        if kind == "survival":
            getattr(getattr(p.survival, rest[0]), rest[1]).mean = v
        elif kind == "fecundity":
            getattr(p.fecundity, rest[0]).mean = v
        elif kind == "catastrophe":
            next(c for c in p.catastrophes if c.name == rest[0]).probability = v
        elif kind == "dispersal":
            p.dispersal.rate.value = v
    return p


def lhs_sensitivity(
    params: PVAParameters,
    pops: Population,
    n: int = 100,
    years: int = 50,
    replicates: int = 500,
    seed: int = 2025,
    outcome: str | Callable[[Trajectories], float] = "mean_final",
    population: str = TOTAL,
    actions: Iterable[Action] = (),
    width: float = 2.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Global sensitivity: Latin-hypercube draws of the vital rates, one run each, Spearman rank correlation with an outcome.

    Varied, each uniformly over its range: every survival mean within
    ``mean +- width x sd`` (clipped to 0.001-0.999), every fecundity mean
    within ``mean +- width x sd`` (>= 0), K scaled by
    ``density_per_km2`` low/mid to high/mid (``pops.capacity`` is taken as
    computed at the midpoint density), the starting counts scaled by
    ``populations[name]`` low/count to high/count where the file gives them,
    each catastrophe probability within half to twice its value, and the
    dispersal rate within half to twice its value. The sd of the yearly
    variation is kept.

    Parameters
    ----------
    n : int, default 100
        Latin-hypercube draws (runs).
    replicates : int, default 500
        Replicates of each run.
    outcome : {'mean_final', 'ema', 'quasi_extinction'} or callable
        Of ``population`` (default the total); a callable takes the Trajectories.
    width : float, default 2
        Half-width of the survival and fecundity ranges, in sd.

    Returns
    -------
    (DataFrame, DataFrame)
        The ranking (``parameter``, ``low``, ``high``, ``spearman``, ``p_value``,
        sorted by ``|spearman|``) and the draws with their outcome (one row per run).
    """
    if n < 3:
        raise ConfigError(f"lhs_sensitivity: n must be >= 3 draws for a rank correlation, got {n}.")
    if isinstance(outcome, str):
        if outcome not in OUTCOMES:
            raise ConfigError(f"lhs_sensitivity: unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)} or a function.")
        if population != TOTAL and population not in pops.names:
            raise ConfigError(f"lhs_sensitivity: unknown population {population!r}; use one of {', '.join(pops.names)} or total.")
        fn, name = OUTCOMES[outcome], outcome

        def measure(t: Trajectories) -> float:
            return fn(t, population)
    else:
        measure, name = outcome, getattr(outcome, "__name__", "outcome")
    ranges: dict[str, tuple[float, float]] = {}
    for s in STAGES:
        for x in SEXES:
            r = getattr(getattr(params.survival, s), x)
            ranges[f"survival.{s}.{x}"] = (max(r.mean - width * r.sd, 0.001), min(r.mean + width * r.sd, 0.999))
    for s in ("yearling", "adult"):
        r = getattr(params.fecundity, s)
        ranges[f"fecundity.{s}"] = (max(r.mean - width * r.sd, 0.0), r.mean + width * r.sd)
    dd = params.density_dependence.density_per_km2
    ranges["capacity_factor"] = (dd.low / dd.mid, dd.high / dd.mid)
    counted = [nm for nm in pops.names if nm in params.populations]
    for nm in counted:
        c = params.populations[nm]
        if c.count > 0 and (c.low is not None or c.high is not None):
            ranges[f"start.{nm}"] = ((c.low if c.low is not None else c.count) / c.count,
                                     (c.high if c.high is not None else c.count) / c.count)
    for c in params.catastrophes:
        ranges[f"catastrophe.{c.name}"] = (c.probability / 2, min(c.probability * 2, 1.0))
    ranges["dispersal.rate"] = (params.dispersal.rate.value / 2, min(params.dispersal.rate.value * 2, 1.0))
    varied = [k for k, (lo, hi) in ranges.items() if hi > lo]
    u = qmc.LatinHypercube(d=len(varied), seed=seed).random(n)
    rows = []
    for i in range(n):
        d = {k: ranges[k][0] + u[i, j] * (ranges[k][1] - ranges[k][0]) for j, k in enumerate(varied)}
        p = _with(params, {k: v for k, v in d.items() if not k.startswith(("capacity", "start"))})
        init = pops.initial.astype(float)
        for j, nm in enumerate(pops.names):
            if f"start.{nm}" in d:
                init[j] = init[j] * d[f"start.{nm}"]
        run_pops = Population(pops.names, np.rint(init).astype(np.int64),
                              pops.capacity * d.get("capacity_factor", 1.0), pops.distance_km, pops.dispersal)
        t = simulate(p, run_pops, years=years, replicates=replicates, seed=seed + i, actions=actions)
        rows.append({**d, name: measure(t)})
    draws = pd.DataFrame(rows)
    ranking = []
    for k in varied:
        rho, pv = stats.spearmanr(draws[k], draws[name])
        ranking.append({"parameter": k, "low": ranges[k][0], "high": ranges[k][1],
                        "spearman": float(rho), "p_value": float(pv)})
    out = pd.DataFrame(ranking)
    if len(out):
        out = out.reindex(out["spearman"].abs().sort_values(ascending=False, na_position="last").index).reset_index(drop=True)
    return out, draws


__all__: list[str] = [
    "TOTAL", "OUTCOMES", "risk_curve", "extinction_risk", "quasi_extinction_risk", "expected_minimum_abundance", "bands",
    "probability_of_reaching", "time_to_quasi_extinction", "summary_table", "lhs_sensitivity",
]
