"""The stochastic, stage- and sex-structured metapopulation model: populations, management actions, :func:`simulate`.

State: animals per replicate x population x stage (calf, yearling, adult) x
sex (female, male). One year, from census to census (a post-breeding
census: calves are counted in the year they are born):

1. catastrophes: each catastrophe strikes each population with its yearly
   probability (independently between populations and catastrophes); the
   multipliers of those that strike multiply the year's survival and fecundity;
2. environmental variation: one standard normal deviate for survival and one
   for fecundity per population and year, correlated between populations by
   ``corr(i, j) = exp(-d_ij / environmental_correlation_km)`` (Cholesky factor);
   survival is the beta quantile of the survival deviate (mean and sd of the
   file, all stages and sexes moving together), fecundity the lognormal with
   the file's mean and sd;
3. survival: binomial, each animal with its stage and sex's rate;
4. births: the surviving yearling and adult females give birth, Poisson with
   mean ``fecundity x females``; each calf is male with ``male_share_at_birth``
   (drawn as two Poisson counts, female and male calves: the same law);
5. ageing: surviving calves become yearlings, surviving yearlings adults,
   the newborn are the calves;
6. dispersal: of the dispersing stages (after ageing), each animal leaves
   with ``dispersal.rate`` (times ``min(1, N/K)`` when density-dependent);
   leavers of population i go to j with ``pops.dispersal[i, j]`` (multinomial:
   one categorical draw per leaver), the rest of the row dies on the way;
7. density dependence: ``ceiling`` removes animals at random down to K
   (multivariate hypergeometric over stage and sex); ``beverton_holt`` lets
   each animal survive with ``1 / (1 + (lambda0 - 1) N_t / K)`` where N_t is
   the census at the start of the year and lambda0 the mean projection
   matrix's growth rate, so that the deterministic total settles at K;
8. management: harvests, then translocations, reintroductions and releases
   (each kind in the order given; numbers are taken at random among the animals of the stage and
   sex asked, never more than there are);
9. census.

With ``demographic=False`` the counts are real numbers (expected values) and
the model is the deterministic Lefkovitch projection (with the ceiling or
Beverton-Holt step if K is finite); ``abundance`` is then rounded.

Random streams: each population draws from two generators of its own, seeded
by the seed and the population's name: one for its weather (the catastrophe
draws and the environmental deviates, a fixed number a year) and one for its
animals (survival, births, dispersal, density dependence, management: as many
draws as there are animals). So the weather of every population, year and
replicate is the same in two runs with the same seed whatever the animals do
(an action changes nothing in a population its animals do not reach, even
through the correlation of the environments), and with no dispersal and
uncorrelated environments a population's trajectory is the same run alone or
with others.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from corridors._errors import ConfigError
from corridors.pva import draws
from corridors.pva.actions import Action, Harvest, Reintroduction, Release, Translocation
from corridors.pva.params import SEXES, STAGES, PVAParameters

_S = {s: i for i, s in enumerate(STAGES)}
_X = {x: i for i, x in enumerate(SEXES)}

#: Standard-normal grid of the beta quantile tables: survival is read by linear interpolation on it
#: (scipy's beta.ppf costs ~1 us a value; 60 million values a run would take a minute; the table error is < 1e-4).
_ZGRID = np.linspace(-8.0, 8.0, 4001)


@dataclass(frozen=True)
class Population:
    """The populations of a run, as arrays.

    Parameters
    ----------
    names : sequence of str
        One id per population (n), unique.
    initial : array (n, 3, 2) of int
        Starting animals per population, stage (calf, yearling, adult) and sex (female, male).
    capacity : array (n,)
        Carrying capacity K, animals (``inf``: no density dependence).
    distance_km : array (n, n), optional
        Distances between populations (environmental correlation); default all far apart (uncorrelated).
    dispersal : array (n, n), optional
        Row i: where the leavers of population i go (rows sum to <= 1, the rest die); default none.
    """

    names: Sequence[str]
    initial: np.ndarray
    capacity: np.ndarray
    distance_km: np.ndarray | None = None
    dispersal: np.ndarray | None = None

    def __post_init__(self) -> None:
        names = tuple(str(n) for n in self.names)
        n = len(names)
        if n == 0:
            raise ConfigError("Population: no populations given; pass at least one name.")
        if len(set(names)) != n:
            dup = sorted({x for x in names if names.count(x) > 1})[0]
            raise ConfigError(f"Population: name {dup!r} is given twice; population names must be unique.")
        initial = np.asarray(self.initial)
        if initial.shape != (n, 3, 2):
            raise ConfigError(f"Population.initial: shape {initial.shape}, expected ({n}, 3, 2) (population, stage, sex).")
        if not np.all(np.isfinite(initial)) or (initial < 0).any() or not np.all(initial == np.round(initial)):
            raise ConfigError("Population.initial: counts must be whole numbers >= 0.")
        cap = np.asarray(self.capacity, dtype=float).reshape(-1)
        if cap.shape != (n,) or np.isnan(cap).any() or (cap < 0).any():
            raise ConfigError(f"Population.capacity: {n} values >= 0 expected (inf for no ceiling), got {self.capacity!r}.")
        dist = np.full((n, n), np.inf) if self.distance_km is None else np.asarray(self.distance_km, dtype=float)
        if dist.shape != (n, n) or np.isnan(dist).any() or (dist < 0).any():
            raise ConfigError(f"Population.distance_km: an ({n}, {n}) matrix of distances >= 0 expected.")
        np.fill_diagonal(dist := dist.copy(), 0.0)
        disp = np.zeros((n, n)) if self.dispersal is None else np.asarray(self.dispersal, dtype=float)
        if disp.shape != (n, n) or not np.all(np.isfinite(disp)) or (disp < 0).any():
            raise ConfigError(f"Population.dispersal: an ({n}, {n}) matrix of probabilities >= 0 expected.")
        if (disp.sum(axis=1) > 1 + 1e-9).any():
            i = int(np.argmax(disp.sum(axis=1)))
            raise ConfigError(f"Population.dispersal: row {names[i]!r} sums to {disp[i].sum():.4g} > 1; "
                              "a row is where the leavers go, the rest die.")
        if np.diag(disp).any():
            raise ConfigError("Population.dispersal: the diagonal must be 0 (leavers do not go back where they left).")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "initial", initial.astype(np.int64))
        object.__setattr__(self, "capacity", cap)
        object.__setattr__(self, "distance_km", dist)
        object.__setattr__(self, "dispersal", disp)

    @property
    def n(self) -> int:
        """Number of populations."""
        return len(self.names)

    def index(self, name: str, what: str = "action") -> int:
        """Position of a population by name (ConfigError naming ``what`` if unknown)."""
        try:
            return self.names.index(name)  # type: ignore[union-attr]
        except ValueError:
            raise ConfigError(f"{what}: unknown population {name!r}; use one of {', '.join(self.names)}.") from None

    def subset(self, names: Sequence[str]) -> Population:
        """The same populations restricted to ``names`` (dispersal and distances between them only)."""
        idx = [self.index(n, "Population.subset") for n in names]
        ix = np.ix_(idx, idx)
        return Population(tuple(names), self.initial[idx], self.capacity[idx], self.distance_km[ix], self.dispersal[ix])


# ---------------------------------------------------------------------------- the projection matrix


def projection_matrix(params: PVAParameters) -> np.ndarray:
    """The mean (deterministic) Lefkovitch matrix of one population, no catastrophes nor density dependence.

    Parameters
    ----------
    params : PVAParameters

    Returns
    -------
    ndarray (6, 6)
        Acting on the vector (calf F, calf M, yearling F, yearling M, adult F,
        adult M): ``n(t+1) = A @ n(t)`` (survival, then births by the surviving
        yearling and adult females, then ageing).
    """
    phi, _ = params.survival_array()
    m = params.male_share_at_birth.value
    fy, fa = params.fecundity.yearling.mean, params.fecundity.adult.mean
    A = np.zeros((6, 6))
    births_y, births_a = phi[1][0] * fy, phi[2][0] * fa  # calves per yearling / adult female at census
    for sex, share in ((0, 1 - m), (1, m)):
        A[sex, 2] = share * births_y
        A[sex, 4] = share * births_a
        A[2 + sex, sex] = phi[0][sex]
        A[4 + sex, 2 + sex] = phi[1][sex]
        A[4 + sex, 4 + sex] = phi[2][sex]
    return A


def growth_rate(params: PVAParameters) -> float:
    """The dominant eigenvalue of :func:`projection_matrix` (finite rate of increase lambda)."""
    return float(np.max(np.abs(np.linalg.eigvals(projection_matrix(params)))))


# ---------------------------------------------------------------------------- results container


@dataclass
class Trajectories:
    """The result of :func:`simulate`.

    Attributes
    ----------
    names : tuple of str
        Population ids (the last axis of ``abundance``).
    abundance : ndarray (replicates, years + 1, n) of int32
        Total animals per population at each census (index 0: the start).
    by_stage : ndarray (replicates, years + 1, n, 3, 2) or None
        Animals per stage and sex, if asked (``keep_stages=True``); int32, or
        float64 with ``demographic=False``.
    quasi_extinction : float
        The threshold of the parameter file (animals).
    settings : dict
        Seed, years, replicates, the stochastic terms switched on, the density
        dependence form, lambda0 and the actions (what the result rests on).
    """

    names: tuple[str, ...]
    abundance: np.ndarray
    by_stage: np.ndarray | None
    quasi_extinction: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return int(self.abundance.shape[0])

    @property
    def years(self) -> np.ndarray:
        """Census indices 0..years."""
        return np.arange(self.abundance.shape[1])

    @property
    def total(self) -> np.ndarray:
        """All populations together, (replicates, years + 1) int64."""
        return self.abundance.sum(axis=2, dtype=np.int64)


# ---------------------------------------------------------------------------- helpers of simulate


#: The key that tells a population's weather stream from the stream of its animals (:func:`_stream`).
_WEATHER = 1


def _stream(seed: int, name: str, kind: int = 0) -> np.random.Generator:
    """A population's generator: of its animals (``kind`` 0), or of its weather (``_WEATHER``).

    The weather (catastrophes, environmental deviates) has a stream of its own because the animals' stream is
    drawn a number of times that depends on the animals (the inversion draws of large variance, every leaver's
    destination, the ceiling's removals, the actions): sharing one stream, an action would shift the following
    years' weather of its population, and through the Cholesky factor that of every population correlated with it.
    """
    key = [int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(key + [kind] if kind else key))


#: A beta distribution of mean m has sd < sqrt(m (1 - m)); a larger sd (a survival mean drawn near 0 or 1 by the
#: Latin-hypercube sensitivity, with the file's sd kept) is capped at this share of that bound.
_MAX_BETA_SD_SHARE = 0.9


def _beta_table(mean: float, sd: float) -> np.ndarray:
    if sd == 0 or mean in (0.0, 1.0):
        return np.full(_ZGRID.shape, mean)
    sd = min(sd, _MAX_BETA_SD_SHARE * float(np.sqrt(mean * (1 - mean))))
    k = mean * (1 - mean) / sd**2 - 1
    return stats.beta.ppf(stats.norm.cdf(_ZGRID), mean * k, (1 - mean) * k)


def _correlation_factor(dist: np.ndarray, scale: float) -> np.ndarray:
    C = np.exp(-dist / scale)
    try:
        return np.linalg.cholesky(C)
    except np.linalg.LinAlgError:
        # populations at the same place make C singular: the symmetric square root still gives the correlation
        w, V = np.linalg.eigh(C)
        return V * np.sqrt(np.clip(w, 0, None))


def _take_random(rng: np.random.Generator, counts: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Draw ``k`` animals without replacement from the classes of ``counts`` (rows x classes): how many of each.

    A multivariate hypergeometric draw per row, as a chain of univariate ones
    (numpy's multivariate_hypergeometric takes one row at a time).
    """
    out = np.zeros_like(counts)
    left = np.minimum(k, counts.sum(axis=1))
    rest = counts.sum(axis=1)
    for c in range(counts.shape[1] - 1):
        rest = rest - counts[:, c]
        out[:, c] = rng.hypergeometric(counts[:, c], rest, left)
        left = left - out[:, c]
    out[:, -1] = left
    return out


def _remove(rng: np.random.Generator | None, n: np.ndarray, cls: list[tuple[int, int]], k: np.ndarray) -> np.ndarray:
    """Remove up to ``k`` animals (per replicate) at random from classes ``cls`` of ``n`` (R, 3, 2) in place; return them (R, len(cls))."""
    counts = np.stack([n[:, s, x] for s, x in cls], axis=1)
    if rng is None:
        avail = counts.sum(axis=1)
        frac = np.divide(np.minimum(k, avail), avail, out=np.zeros_like(avail, dtype=float), where=avail > 0)
        taken = counts * frac[:, None]
    else:
        taken = _take_random(rng, counts, np.broadcast_to(k, counts.shape[:1]).astype(np.int64))
    for j, (s, x) in enumerate(cls):
        n[:, s, x] -= taken[:, j]
    return taken


def _classes(stage: str | None, sex: str | None) -> list[tuple[int, int]]:
    ss = range(3) if stage is None else [_S[stage]]
    xs = range(2) if sex is None else [_X[sex]]
    return [(s, x) for s in ss for x in xs]


# ---------------------------------------------------------------------------- the model


def simulate(
    params: PVAParameters,
    pops: Population,
    years: int = 50,
    replicates: int = 10_000,
    seed: int = 2025,
    actions: Iterable[Action] = (),
    demographic: bool = True,
    environmental: bool = True,
    catastrophes: bool = True,
    keep_stages: bool = False,
) -> Trajectories:
    """Run the metapopulation model (yearly cycle in the module's docstring).

    Parameters
    ----------
    params : PVAParameters
        Vital rates, catastrophes, dispersal rate, density dependence form, quasi-extinction threshold.
    pops : Population
        Names, starting animals, K, distances and the dispersal matrix.
    years : int, default 50
        Years simulated (censuses 0..years).
    replicates : int, default 10,000
    seed : int, default 2025
        The same seed gives byte-identical results.
    actions : iterable of Translocation, Reintroduction, Harvest, Release
        Applied after density dependence in the years they name (1 = first simulated year).
    demographic, environmental, catastrophes : bool, default True
        Switch each stochastic term; all False gives the deterministic projection.
    keep_stages : bool, default False
        Keep ``by_stage`` (replicates x years+1 x n x 3 x 2; 24 bytes per population-year-replicate).

    Returns
    -------
    Trajectories

    Raises
    ------
    ConfigError
        If years or replicates are not positive, or an action names an unknown population or a year outside 1..years.
    """
    if years < 1 or replicates < 1:
        raise ConfigError(f"simulate: years ({years}) and replicates ({replicates}) must be >= 1.")
    P, R, T = pops.n, int(replicates), int(years)
    actions = list(actions)
    plan: dict[int, list[Action]] = {}
    for a in actions:
        what = f"{type(a).__name__} {a.label or ''}".strip()
        for name in [getattr(a, f) for f in ("source", "target", "population") if hasattr(a, f)]:
            pops.index(name, what)
        yrs = (a.year,) if isinstance(a, Reintroduction) else a.years
        for y in yrs:
            if not 1 <= y <= T:
                raise ConfigError(f"{what}: year {y} is outside the run (1..{T}); years count simulated years from 1.")
            plan.setdefault(y, []).append(a)
    order = {Harvest: 0, Translocation: 1, Reintroduction: 2, Release: 3}
    for y in plan:
        plan[y].sort(key=lambda a: order[type(a)])  # stable: the given order within a type

    rngs = [_stream(seed, name) for name in pops.names]  # the animals
    weather = [_stream(seed, name, _WEATHER) for name in pops.names]  # a fixed number of draws a year
    dtype = np.int64 if demographic else np.float64
    N = np.broadcast_to(pops.initial.astype(dtype)[:, None], (P, R, 3, 2)).copy()
    abundance = np.empty((R, T + 1, P), dtype=np.int32)
    by_stage = np.empty((R, T + 1, P, 3, 2), dtype=np.int32 if demographic else np.float64) if keep_stages else None

    def census(t: int) -> None:
        tot = N.sum(axis=(2, 3))
        abundance[:, t, :] = (tot if demographic else np.rint(tot)).T
        if by_stage is not None:
            by_stage[:, t] = N.transpose(1, 0, 2, 3)

    census(0)
    phi_mean, phi_sd = params.survival_array()
    phi0 = np.array(phi_mean)  # (3, 2)
    tables_t = np.stack([_beta_table(phi_mean[s][x], phi_sd[s][x]) for s in range(3) for x in range(2)], axis=1)  # (G, 6)
    slopes_t = np.diff(tables_t, axis=0)  # (G - 1, 6): the linear interpolation's steps
    fec_mean = np.array([params.fecundity.yearling.mean, params.fecundity.adult.mean])
    fec_sd = np.array([params.fecundity.yearling.sd, params.fecundity.adult.sd])
    sig = np.sqrt(np.log1p(np.divide(fec_sd**2, fec_mean**2, out=np.zeros(2), where=fec_mean > 0)))
    male = params.male_share_at_birth.value
    cats = params.catastrophes if catastrophes else []
    cat_p = np.array([c.probability for c in cats])[:, None]
    cat_s = np.array([c.survival for c in cats])[:, None]
    cat_f = np.array([c.fecundity for c in cats])[:, None]
    L = _correlation_factor(pops.distance_km, params.environmental_correlation_km.value) if environmental else None
    dz = _ZGRID[1] - _ZGRID[0]
    disp_stages = sorted({_S[s] for s in params.dispersal.stages})
    rate = params.dispersal.rate.value
    D = pops.dispersal
    K = pops.capacity
    form = params.density_dependence.form
    lam0 = growth_rate(params)
    bh = max(lam0 - 1.0, 0.0)
    cells = np.arange(2 * R)  # the (replicate, sex) cells of one stage

    for t in range(1, T + 1):
        start = N.sum(axis=(2, 3)) if form == "beverton_holt" else None  # (P, R): the census density
        # each population's weather from its own weather stream; the correlated deviates of all populations at once
        if len(cats):
            hit = np.stack([w.random((len(cats), R)) for w in weather]) < cat_p  # (P, C, R)
            s_mult = np.where(hit, cat_s, 1.0).prod(axis=1)
            f_mult = np.where(hit, cat_f, 1.0).prod(axis=1)
        else:
            s_mult = f_mult = np.ones((P, R))
        if L is not None:
            e = np.stack([w.standard_normal((2, R)) for w in weather])  # (P, 2, R)
            z = (L @ e.reshape(P, 2 * R)).reshape(P, 2, R)
            fec = fec_mean * np.exp(sig * z[:, 1][..., None] - sig**2 / 2)  # (P, R, 2)
            fec *= f_mult[..., None]
        else:
            fec = fec_mean * f_mult[..., None]
        for p, rng in enumerate(rngs):
            if L is not None:  # survival: the beta quantile tables read at z, one population at a time (in cache)
                w = np.clip(z[p, 0], _ZGRID[0], _ZGRID[-1] - 1e-9)
                w -= _ZGRID[0]
                w /= dz
                i = w.astype(np.intp)
                w -= i
                phi_p = tables_t.take(i, axis=0)  # (R, 6)
                phi_p += slopes_t.take(i, axis=0) * w[:, None]
                phi_p *= s_mult[p][:, None]
                phi_p = phi_p.reshape(R, 3, 2)
            else:
                phi_p = phi0 * s_mult[p][:, None, None]
            n = N[p]
            S = draws.binomial(rng, n, phi_p) if demographic else n * phi_p
            mean_b = S[:, 1, 0] * fec[p, :, 0] + S[:, 2, 0] * fec[p, :, 1]
            if demographic:
                # Poisson births split binomially by sex are two independent Poisson draws (thinning)
                bf, bm = draws.poisson(rng, np.stack([mean_b * (1 - male), mean_b * male]))
            else:
                bm, bf = mean_b * male, mean_b * (1 - male)
            n[:, 2] = S[:, 1] + S[:, 2]
            n[:, 1] = S[:, 0]
            n[:, 0, 0], n[:, 0, 1] = bf, bm

        if rate > 0 and disp_stages:
            # demographic: each leaver's destination drawn on its own (a categorical draw per animal, a multinomial
            # per replicate and sex at a cost in leavers rather than in replicates x targets), kept as a code
            # (replicate x sex cell) x (P + 1) + destination, P for died on the way; all arrivals are counted with
            # one bincount per stage once every population has lost its leavers
            codes: dict[int, list[np.ndarray]] = {s: [] for s in disp_stages}
            arrivals = None if demographic else np.zeros_like(N)
            for p, rng in enumerate(rngs):
                r_p: Any = rate
                if params.dispersal.density_dependent and np.isfinite(K[p]):
                    tot = N[p].sum(axis=(1, 2))
                    r_p = (rate * np.minimum(1.0, np.divide(tot, K[p], out=np.ones(R), where=K[p] > 0)))[:, None]
                targets = np.flatnonzero(D[p])
                cum = np.cumsum(D[p, targets])
                where_to = np.append(targets, P)
                for s in disp_stages:
                    stay = N[p][:, s]  # (R, 2), a view: leavers are taken out of N in place
                    if demographic:
                        leave = draws.binomial(rng, stay, r_p)
                        stay -= leave
                        if targets.size:  # else all leavers die
                            who = np.repeat(cells, leave.ravel())
                            who *= P + 1
                            who += where_to[np.searchsorted(cum, rng.random(who.size), side="right")]
                            codes[s].append(who)
                    else:
                        leave = stay * r_p
                        stay -= leave
                        for j in targets:
                            arrivals[j][:, s] += leave * D[p, j]
            if demographic:
                for s, c in codes.items():
                    if c:
                        got = np.bincount(np.concatenate(c), minlength=2 * R * (P + 1)).reshape(R, 2, P + 1)
                        N[:, :, s] += got[:, :, :P].transpose(2, 0, 1)
            else:
                N += arrivals

        for p, rng in enumerate(rngs):
            if not np.isfinite(K[p]):
                continue
            n = N[p]
            tot = n.sum(axis=(1, 2))
            if form == "ceiling":
                cap = np.floor(K[p]) if demographic else K[p]
                over = np.flatnonzero(tot > cap)
                if over.size == 0:
                    continue
                if demographic:
                    counts = n[over].reshape(over.size, 6)
                    counts -= _take_random(rng, counts, tot[over] - int(cap))
                    n[over] = counts.reshape(over.size, 3, 2)
                else:
                    n[over] *= (cap / tot[over])[:, None, None]
            else:
                g = 1.0 / (1.0 + bh * start[p] / K[p]) if K[p] > 0 else np.zeros(R)
                N[p] = rng.binomial(n, g[:, None, None]) if demographic else n * g[:, None, None]

        for a in plan.get(t, []):
            r_ = None
            if isinstance(a, Harvest):
                p = pops.index(a.population)
                cls = _classes(a.stage, a.sex)
                if a.rate is not None:
                    for s, x in cls:
                        v = N[p][:, s, x]
                        v -= rngs[p].binomial(v, a.rate) if demographic else v * a.rate
                else:
                    _remove(rngs[p] if demographic else r_, N[p], cls, np.full(R, a.number))
            elif isinstance(a, Translocation):
                p, q = pops.index(a.source), pops.index(a.target)
                cls = _classes(a.stage, a.sex)
                taken = _remove(rngs[p] if demographic else r_, N[p], cls, np.full(R, a.number))
                for j, (s, x) in enumerate(cls):
                    N[q][:, s, x] += taken[:, j]
            elif isinstance(a, Reintroduction):
                N[pops.index(a.target)] += a.founders.astype(dtype)
            else:
                q = pops.index(a.target)
                s = _S[a.stage]
                if a.sex is None:
                    N[q][:, s, 0] += a.number - a.number // 2
                    N[q][:, s, 1] += a.number // 2
                else:
                    N[q][:, s, _X[a.sex]] += a.number
        census(t)

    return Trajectories(
        names=tuple(pops.names),
        abundance=abundance,
        by_stage=by_stage,
        quasi_extinction=float(params.quasi_extinction.value),
        settings={
            "seed": int(seed), "years": T, "replicates": R, "demographic": bool(demographic),
            "environmental": bool(environmental), "catastrophes": bool(catastrophes),
            "density_dependence": form, "lambda0": lam0, "actions": [repr(a) for a in actions],
        },
    )
