"""Exact binomial and Poisson draws, vectorised over arrays of parameters: the demographic stochasticity of :mod:`corridors.pva.model`.

Written by hand because numpy has no vectorised sampler that is fast for arrays of small, varied parameters:
numpy's Generator.binomial with a probability per element costs ~80 ns a draw here (the setup of each element's
inversion: a log, an exp and a sqrt, then a walk up from 0 one division at a time): 60 million survival draws a
benchmark run took ~4.7 s of ~10. The draws below are the same inversion method, vectorised over the elements: one
uniform per animal class, the probability mass at the mode from log-factorials, then the search walks out from the
mode (m, m-1, m+1, m-2, ...) for all elements at once, so it takes about one step per standard deviation rather
than one per expected count, and numpy's array arithmetic instead of a scalar loop. Any order of the support is an
exact inversion (each value k gets an interval of length pmf(k) of the uniform); the result is exact up to the
float64 rounding of the masses, as numpy's own inversion.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["binomial", "poisson"]

#: Elements per block of a draw: the dozen work arrays of a block stay in the core's cache (a block of 131,072
#: ran four times slower than 32,768 on the benchmark machine).
_BLOCK = 1 << 15
#: Draws whose variance exceeds this (sd 50) go to numpy's BTPE / PTRS samplers: the walk from the mode would take
#: hundreds of steps over the few elements in the tails.
_WALK_MAX_VAR = 2500.0
_LOG_FACTORIAL = special.gammaln(np.arange(1025) + 1.0)


def _log_factorial(nmax: int) -> np.ndarray:
    """log(k!) for k = 0..nmax at least (the table grows on demand)."""
    global _LOG_FACTORIAL
    if nmax >= _LOG_FACTORIAL.size:
        _LOG_FACTORIAL = special.gammaln(np.arange(max(nmax + 1, 2 * _LOG_FACTORIAL.size)) + 1.0)
    return _LOG_FACTORIAL


def _walk(r: np.ndarray, m: np.ndarray, f: np.ndarray, a: np.ndarray, n: np.ndarray | None) -> np.ndarray:
    """The inversion search out from the mode: offsets from ``m`` of the draws (int64).

    Parameters
    ----------
    r : ndarray of float
        ``u - pmf(m)`` per element (the uniform less the mass at the mode); overwritten.
    m : ndarray of float
        The modes.
    f : ndarray of float
        ``pmf(m)``; overwritten.
    a : ndarray of float
        The down ratio factor: ``pmf(k - 1) / pmf(k)`` is ``k a / (n + 1 - k)`` (binomial, ``a = q / p``) or
        ``k a`` (Poisson, ``a = 1 / lambda``); up, ``(n - k) / (a (k + 1))`` or ``1 / (a (k + 1))``.
    n : ndarray of float or None
        The binomial's n; None for a Poisson draw.

    Returns
    -------
    ndarray of int64
        The draws less ``m``. An element whose uniform lies past the summed masses (a rounding sliver of about
        1e-13) gets the mode.
    """
    binom = n is not None
    flo, fhi = f, f.copy()  # the masses of the next positions down (k = kd - 1) and up (k = ku1)
    kd, ku1 = m.copy(), m + 1.0
    if binom:
        n1 = n + 1.0
    c = r >= 0
    j = c.astype(np.int64)  # J: positions of the order m, m-1, m+1, ... passed (the draw's place in it)
    jall, pos = j, None  # pos: where the elements still searched sit in jall (None: all of them, in order)
    tmp = np.empty(r.shape)
    active, size, stale = int(np.count_nonzero(c)), r.size, 0
    while active:
        stale += 1
        # drop the finished (and exhausted) elements once two thirds are done: each drop takes 8 arrays, each
        # step over a finished element costs ~10 array operations of nothing (a third ran ~10 % faster than a half)
        if 3 * active <= size or stale > 16:
            stale = 0
            live = (flo != 0) | (fhi != 0)
            live &= c
            k = np.flatnonzero(live)
            if pos is None:
                jall = j.copy()
                if k.size < active:
                    jall[c & ~live] = 0
                pos = k
            else:
                jall[pos] = j
                if k.size < active:
                    jall[pos[c & ~live]] = 0
                pos = pos.take(k)
            r, kd, ku1, flo, fhi, a, j = (x.take(k) for x in (r, kd, ku1, flo, fhi, a, j))
            if binom:
                n1 = n1.take(k)
            size = k.size
            if not size:
                break
            tmp = np.empty(size)
        flo *= kd
        flo *= a
        if binom:
            flo /= np.subtract(n1, kd, out=tmp)
        kd -= 1.0
        r -= flo
        j += r >= 0
        if binom:
            fhi *= np.subtract(n1, ku1, out=tmp)
        fhi /= a
        fhi /= ku1
        ku1 += 1.0
        r -= fhi
        c = r >= 0
        j += c
        active = int(np.count_nonzero(c))
    if pos is not None:
        jall[pos] = j
    else:
        jall = j
    off = (jall + 1) >> 1  # J = 0: m; 2i - 1: m - i; 2i: m + i
    off *= 1 - 2 * (jall & 1)
    return off


def _binomial_block(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial draws by inversion from the mode, for 1-d ``n`` (int64) and ``p`` (float, within 0-1) and uniforms ``u``.

    The variances ``n p (1 - p)`` must not exceed ``_WALK_MAX_VAR`` (:func:`binomial` leaves those out).
    """
    if not n.size:
        return np.zeros(n.shape, np.int64)
    if not (p.min() > 0 and p.max() < 1):  # certain survival or death: no search
        x = np.zeros(n.shape, np.int64)
        one = p >= 1
        x[one] = n[one]
        k = np.flatnonzero(~one & (p > 0))
        x[k] = _binomial_block(u[k], n[k], p[k])
        return x
    lf = _log_factorial(int(n.max()))
    m = ((n + 1) * p).astype(np.int64)
    np.minimum(m, n, out=m)
    nm = n - m
    q = 1.0 - p
    mass = lf.take(n)
    mass -= lf.take(m)
    mass -= lf.take(nm)
    mass += m * np.log(p)
    mass += nm * np.log(q)
    np.exp(mass, out=mass)
    r = u - mass
    mf = m.astype(np.float64)
    m += _walk(r, mf, mass, q / p, n.astype(np.float64))
    return m


def _poisson_block(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson draws by inversion from the mode, for 1-d means ``lam`` (>= 0) and uniforms ``u``."""
    x = np.zeros(lam.shape, np.int64)
    k = np.flatnonzero((lam > 0) & (lam <= _WALK_MAX_VAR))
    u, lam = u[k], lam[k]
    m = lam.astype(np.int64)
    lf = _log_factorial(int(m.max()) if m.size else 0)
    mass = np.log(lam)
    mass *= m
    mass -= lam
    mass -= lf.take(m)
    np.exp(mass, out=mass)
    r = u - mass
    x[k] = m + _walk(r, m.astype(np.float64), mass, 1.0 / lam, None)
    return x


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Exact binomial draws ``Binomial(n, p)`` (p broadcast to n's shape) from ``rng``: one uniform per element.

    Parameters
    ----------
    rng : Generator
        The population's stream: the uniforms (one per element of ``n``, in C order) come from it, and the draws of
        variance above ``_WALK_MAX_VAR`` from its ``binomial``, after.
    n : ndarray of int
        Trials, >= 0.
    p : ndarray or float
        Probabilities within 0-1, broadcastable to ``n``.

    Returns
    -------
    ndarray of int64, the shape of ``n``
    """
    n = np.asarray(n, dtype=np.int64)
    pf = np.broadcast_to(np.asarray(p, dtype=np.float64), n.shape).reshape(-1)
    nf = n.reshape(-1)
    u = rng.random(nf.size)
    x = np.empty(nf.size, np.int64)
    big = nf * pf * (1 - pf) > _WALK_MAX_VAR
    small = np.flatnonzero(~big) if big.any() else None
    un, nn, pn = (u, nf, pf) if small is None else (u[small], nf[small], pf[small])
    xs = x if small is None else np.empty(small.size, np.int64)
    for s in range(0, nn.size, _BLOCK):
        b = slice(s, s + _BLOCK)
        xs[b] = _binomial_block(un[b], nn[b], pn[b])
    if small is not None:
        x[small] = xs
        k = np.flatnonzero(big)
        x[k] = rng.binomial(nf[k], pf[k])
    return x.reshape(n.shape)


def poisson(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Exact Poisson draws of means ``lam`` (>= 0) from ``rng``: one uniform per element (see :func:`binomial`).

    Parameters
    ----------
    rng : Generator
        The population's stream (uniforms first, then numpy's ``poisson`` for means above ``_WALK_MAX_VAR``).
    lam : ndarray of float
        Means, >= 0.

    Returns
    -------
    ndarray of int64, the shape of ``lam``
    """
    lam = np.asarray(lam, dtype=np.float64)
    lf = lam.reshape(-1)
    u = rng.random(lf.size)
    x = np.empty(lf.size, np.int64)
    for s in range(0, lf.size, _BLOCK):
        b = slice(s, s + _BLOCK)
        x[b] = _poisson_block(u[b], lf[b])
    big = np.flatnonzero(lf > _WALK_MAX_VAR)
    if big.size:
        x[big] = rng.poisson(lf[big])
    return x.reshape(lam.shape)
