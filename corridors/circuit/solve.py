"""Linear solvers for grounded graph Laplacians (AMG-preconditioned CG, sparse LU or sparse Cholesky), memory estimates and node/branch currents."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from corridors._errors import ConfigError, MemoryLimitError, SolverError, renamed
from corridors.settings import available_memory, format_bytes

#: Solver names accepted by :class:`GroundedSolver` (Circuitscape's ``solver`` values map onto them).
SOLVERS = ("amg", "direct", "cholmod")

#: Circuitscape INI ``solver`` values and the solver used for each. Pardiso
#: and Apple Accelerate are direct factorizations of the same SPD matrix, so
#: a sparse Cholesky gives the same numbers (to rounding).
CIRCUITSCAPE_SOLVERS = {
    "cg+amg": "amg", "amg": "amg", "direct": "direct",
    "cholmod": "cholmod", "cholesky": "cholmod", "cholfact": "cholmod",
    "mkl_pardiso": "cholmod", "mklpardiso": "cholmod", "pardiso": "cholmod", "accelerate": "cholmod",
}

#: Right-hand sides solved at once by the Cholesky factor (Circuitscape's
#: ``cholmod_batch_size`` default).
CHOLMOD_BATCH_SIZE = 1000

#: Bytes per ``n log2(n)`` that a CHOLMOD factorization of a 2-D grid adds
#: (measured; see :func:`estimate_memory`).
CHOLMOD_FILL_BYTES = 74.0

#: Largest relative residual ``|A x - b| / |b|`` of a Cholesky solve, per
#: column (Circuitscape.jl checks the same bound).
CHOLMOD_MAX_RESIDUAL = 1e-4

#: Default relative residual of CG (Circuitscape.jl uses 1e-6; tighter here so
#: resistances agree with a direct solve to about 1e-7).
DEFAULT_RTOL = 1e-9


#: pyamg smoothed-aggregation options. A graph Laplacian's near-null space is
#: the constant vector, which SA's default candidate B = 1 already is, so
#: improving candidates buys nothing; the Jacobi prolongation smoother with
#: Gershgorin ("local") weights needs no spectral-radius estimate, which is
#: 70-85 % of the default setup time. Measured on 700 x 700 random grids
#: (resistances 1-100 and 1-1e5): setup 6-8x faster, CG 13 -> 16 and
#: 24 -> 25 iterations, the same resistances to 1e-11.
#:
#: The V-cycle smooths with one forward Gauss-Seidel sweep before and one
#: backward sweep after (still a symmetric preconditioner, as CG needs),
#: where pyamg's default does a forward-and-backward sweep at both ends;
#: Circuitscape.jl's AlgebraicMultigrid smooths forward too. Measured on the
#: 1000 x 1000 grid of ``benchmarks/bench_circuit_jobs.py``: 18 CG
#: iterations instead of 16, one solve 1.75-1.82 s instead of 2.29-2.30 s,
#: the same resistance to 9 digits.
AMG_SMOOTHERS: dict = {
    "presmoother": ("gauss_seidel", {"sweep": "forward"}),
    "postsmoother": ("gauss_seidel", {"sweep": "backward"}),
}

AMG_OPTIONS: dict = {
    "symmetry": "hermitian",
    "smooth": ("jacobi", {"weighting": "local"}),
    "improve_candidates": None,
    **AMG_SMOOTHERS,
}

#: pyamg's default setup: about 5x slower to build than :data:`AMG_OPTIONS`
#: but its hierarchy saves ~20 % of every solve (1000 x 1000 grid: setup
#: 4.5 s vs 0.7 s, solve 2.8 s vs 3.5 s), so it pays from about 6 solves on.
AMG_OPTIONS_MANY_SOLVES: dict = {"symmetry": "hermitian", **AMG_SMOOTHERS}

#: Expected number of solves from which :data:`AMG_OPTIONS_MANY_SOLVES` is used.
MANY_SOLVES = 6


@dataclass
class SolveStats:
    """Counts of the expensive steps of a run, so that reuse can be checked.

    Attributes
    ----------
    setups : int
        AMG hierarchies or factorizations built.
    solves : int
        Right-hand sides solved (a block of k right-hand sides counts k).
    iterations : list of int
        CG iterations of each AMG solve.
    """

    setups: int = 0
    solves: int = 0
    iterations: list[int] = field(default_factory=list)

    def add(self, other: "SolveStats") -> None:
        """Add the counts of another run."""
        self.setups += other.setups
        self.solves += other.solves
        self.iterations.extend(other.iterations)


def estimate_memory(n_nodes: int, neighbours: int = 8, solver: str = "amg", n_vectors: int = 0) -> int:
    """Rough peak bytes needed to build and solve a grid circuit of ``n_nodes`` nodes.

    The factors are measured (peak resident memory of 0.1-25 M-cell random
    grids, see ``benchmarks/bench_circuit.py``): the Laplacian in CSR holds
    ``neighbours + 1`` entries of 12 bytes per node; the smoothed-aggregation
    setup peaks at about 4.5 times the Laplacian on top of it (strength
    matrix, prolongator, Galerkin products); SuperLU with a minimum-degree
    ordering fills a 2-D grid to about ``7 log2(n)`` entries per node; every
    kept voltage vector costs 8 bytes per node.

    CHOLMOD (cvxopt's supernodal LL^T with AMD ordering;
    ``benchmarks/bench_cholmod.py --fit``) grows the resident memory during
    the factorization, copies of the matrix included, by ``c n log2(n)``
    bytes, measured on random 8-neighbour grids: c = 71.8 (0.1 M nodes,
    0.11 GiB), 66.2 (0.25 M), 73.4 (0.5 M), 56.3 (1 M, 1.05 GiB),
    54.8 (2 M, 2.14 GiB), 53.1 (4 M, 4.34 GiB); the model takes c = 74, the
    largest, so it errs on the side of refusing.

    Parameters
    ----------
    n_nodes : int
        Nodes of the graph (cells with data).
    neighbours : {4, 8}
        Neighbours per cell.
    solver : {'amg', 'direct', 'cholmod'}
        The solver.
    n_vectors : int
        Node-length vectors kept at once (voltage columns for maps).

    Returns
    -------
    int
        Bytes.
    """
    nnz = n_nodes * (neighbours + 1)
    lap = nnz * 12
    build = n_nodes * 60  # grid-sized temporaries while building
    if solver == "direct":
        fill = 7.0 * max(1.0, math.log2(max(n_nodes, 2))) * n_nodes * 12
        work = lap + fill
    elif solver == "cholmod":
        work = lap + CHOLMOD_FILL_BYTES * max(1.0, math.log2(max(n_nodes, 2))) * n_nodes
    else:
        work = lap * 5.5
    return int(max(build + lap, work) + n_nodes * 8 * (8 + n_vectors))


def check_memory(n_cells: int, n_nodes: int, neighbours: int, solver: str, n_vectors: int = 0, memory_limit: int | None = None) -> int:
    """Refuse a problem that would not fit in memory, before building it.

    Parameters
    ----------
    n_cells : int
        Cells of the grid (for the message).
    n_nodes, neighbours, solver, n_vectors
        As in :func:`estimate_memory`.
    memory_limit : int, optional
        Bytes allowed; default the available memory.

    Returns
    -------
    int
        The estimate in bytes.

    Raises
    ------
    MemoryLimitError
        If the estimate exceeds the limit (a SolverError).
    """
    need = estimate_memory(n_nodes, neighbours, solver, n_vectors)
    have = memory_limit if memory_limit is not None else available_memory()
    if have and need > have:
        hint = "coarsen the raster, clip it with a mask or write fewer per-pair maps"
        if solver in ("direct", "cholmod"):
            hint += ", or use solver 'amg' (cg+amg), which needs far less"
        what = "is allowed" if memory_limit is not None else "is available"
        raise MemoryLimitError(
            f"a grid of {n_cells:,} cells ({n_nodes:,} nodes, {neighbours} neighbours, solver {solver!r}, "
            f"{n_vectors} kept voltage maps) needs about {format_bytes(need)} but only {format_bytes(have)} {what}; {hint}."
        )
    return need


def resolve_memory_limit(memory_limit: int | None, max_memory: int | None, *, stacklevel: int = 3) -> int | None:
    """The memory limit of a call that may still spell it ``max_memory`` (deprecated for one release).

    Parameters
    ----------
    memory_limit : int or None
        Bytes allowed, the current spelling.
    max_memory : int or None
        The old spelling; if given, a DeprecationWarning names ``memory_limit``.
    stacklevel : int
        Passed to :func:`warnings.warn` (3: the caller of the function that calls this one).

    Returns
    -------
    int or None
        The limit in bytes (None: the memory available).

    Raises
    ------
    ConfigError
        If both spellings are given with different values.
    """
    return renamed("memory_limit", memory_limit, "max_memory", max_memory, unit="bytes", stacklevel=stacklevel)


@contextlib.contextmanager
def _single_thread_blas() -> Iterator[None]:
    """Run BLAS on one thread while AMG works.

    pyamg's cycles call BLAS on short vectors and tiny coarse matrices; with
    OpenBLAS's thread pool on a busy 2-core machine the threads spin-wait and
    a setup + solve runs 5-10 times slower (measured: 3.3 s vs 0.33 s on a
    300 x 300 grid). threadpoolctl limits the pool for the block only.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default pool
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


class _CholmodFactor:
    """CHOLMOD's supernodal Cholesky factor of a symmetric positive definite matrix, through cvxopt.

    Why cvxopt: it is the pip wheel that carries SuiteSparse's supernodal
    CHOLMOD (with BLAS); cholespy's wheel carries the simplicial one, which
    factorised a 1000 x 1000 grid in 22 s against 4-5 s here, and
    scikit-sparse does not install without SuiteSparse's headers
    (``benchmarks/bench_cholmod.py``). Only the lower triangle is passed.

    Circuitscape.jl factorizes ``matrix + 10 eps I``; that shift is left
    out: the grounded matrix is positive definite without it, and it would
    leak ``10 eps`` of conductance to ground at every node (measured 3e-10
    relative on a 2,000-node grid, growing with the grid). A component
    without ground fails the factorization or the residual check instead.
    """

    def __init__(self, matrix: sp.csr_array, pattern: "SymbolicCache | None" = None):
        try:
            import cvxopt
            import cvxopt.cholmod as cholmod
        except ImportError as err:
            raise ConfigError(
                f"solver 'cholmod' needs the cvxopt package (it carries CHOLMOD), which is not installed ({err}); "
                "run `pip install cvxopt`, or use solver 'amg' (cg+amg)."
            ) from None
        self._cvxopt, self._cholmod = cvxopt, cholmod
        # The matrix is symmetric, so its CSR arrays read as CSC are the matrix itself: the lower triangle is taken
        # straight from them (0.05 s on a 1 M-node grid; scipy's tril + tocsc took 0.49 s).
        a = sp.csr_matrix(matrix)
        if not a.has_sorted_indices:
            a = a.sorted_indices()
        n = a.shape[0]
        col = np.repeat(np.arange(n, dtype=np.int64), np.diff(a.indptr))
        low = a.indices >= col
        m = cvxopt.spmatrix(cvxopt.matrix(a.data[low].astype("float64")), cvxopt.matrix(a.indices[low].astype(np.int64)),
                            cvxopt.matrix(col[low]), size=(n, n))
        try:
            self._f = pattern.factor_for(a, m, cholmod) if pattern is not None else cholmod.symbolic(m, uplo="L")
            cholmod.numeric(m, self._f)
        except ArithmeticError as err:  # CHOLMOD: the matrix is not positive definite
            raise SolverError(
                f"the Cholesky factorization of {n:,} nodes failed ({err}); the grounded matrix is not positive definite: "
                "each connected component needs a ground, and every conductance must be positive."
            ) from None

    def solve(self, b: np.ndarray, x: np.ndarray) -> None:
        """Solve for the columns of ``b`` into ``x``."""
        xm = self._cvxopt.matrix(np.asfortranarray(b, dtype="float64"))
        self._cholmod.solve(self._f, xm)
        x[...] = np.asarray(xm).reshape(x.shape)


class SymbolicCache:
    """CHOLMOD's symbolic analysis (ordering, elimination tree, supernodes) kept for the next matrix of the same pattern.

    Omniscape solves one window after another, and every window that no
    no-data cell cuts has the same sparsity pattern: the analysis of the
    first is reused and only the numeric factorisation is redone. A factor
    made through the cache holds the one factor object of the cache, so it
    is valid only until the next factor is made through the same cache: use
    it for solvers whose factor is used and dropped before the next one is
    built.
    """

    def __init__(self) -> None:
        self._indptr: np.ndarray | None = None
        self._indices: np.ndarray | None = None
        self._f = None
        self.reused = 0

    def factor_for(self, a: sp.csr_matrix, m, cholmod) -> object:
        """The cvxopt factor object for matrix ``a`` (``m``: its lower triangle in cvxopt's form), analysed anew if its pattern is new."""
        if (self._f is not None and self._indptr is not None and len(self._indptr) == len(a.indptr)
                and np.array_equal(self._indptr, a.indptr) and np.array_equal(self._indices, a.indices)):
            self.reused += 1
            return self._f
        self._f = cholmod.symbolic(m, uplo="L")
        self._indptr, self._indices = a.indptr.copy(), a.indices.copy()
        return self._f


def _cholmod_factor(matrix: sp.csr_array, pattern: SymbolicCache | None = None) -> _CholmodFactor:
    """CHOLMOD's Cholesky factor of ``matrix`` (see :class:`_CholmodFactor`); ``pattern`` reuses a symbolic analysis.

    Raises
    ------
    ConfigError
        If cvxopt is not installed.
    SolverError
        If the matrix is not positive definite.
    """
    return _CholmodFactor(matrix, pattern)


class GroundedSolver:
    """Solve ``(L + diag(g)) x = b`` for a connected, grounded Laplacian, set up once and reused.

    Parameters
    ----------
    matrix : scipy.sparse.csr_array
        The grounded Laplacian (symmetric positive definite: at least one
        node carries a ground conductance, or directly grounded rows were
        removed).
    solver : {'amg', 'direct', 'cholmod'}, default 'amg'
        'amg': conjugate gradient preconditioned by a smoothed-aggregation
        AMG V-cycle (pyamg); 'direct': sparse LU (SuperLU, minimum-degree
        ordering on A + A^T); 'cholmod': sparse Cholesky (CHOLMOD through
        cvxopt's wheel, supernodal), as Circuitscape's ``solver = cholmod``,
        with every solved column's relative residual checked against
        :data:`CHOLMOD_MAX_RESIDUAL`. Below 64 nodes every solver uses
        SuperLU. Measured figures are in ``benchmarks/bench_cholmod.py``
        and the README.
    rtol : float
        Relative residual of CG.
    stats : SolveStats, optional
        Counters to update.
    expected_solves : int, default 1
        Right-hand sides that will be solved; from :data:`MANY_SOLVES` on,
        a costlier AMG setup with cheaper solves is built.
    batch_size : int, default :data:`CHOLMOD_BATCH_SIZE`
        'cholmod': right-hand sides passed to the factor at once; a 2-D
        ``b`` of more columns is solved in slices of this many. Each slice
        costs about ``4 * 8 * n * batch_size`` bytes of temporaries.
    pattern : SymbolicCache, optional
        'cholmod': reuse the symbolic analysis of the last matrix of the
        same sparsity pattern (see :class:`SymbolicCache` for when that is safe).

    Raises
    ------
    ConfigError
        Unknown solver, or 'cholmod' without the cvxopt package.
    SolverError
        'cholmod' on a matrix that is not positive definite (a component
        without ground).
    """

    def __init__(self, matrix: sp.csr_array, solver: str = "amg", rtol: float = DEFAULT_RTOL, stats: SolveStats | None = None,
                 expected_solves: int = 1, batch_size: int = CHOLMOD_BATCH_SIZE, pattern: SymbolicCache | None = None):
        if solver not in SOLVERS:
            raise ConfigError(f"solver {solver!r} is unknown; choose one of {', '.join(SOLVERS)}.")
        if int(batch_size) < 1:
            raise ConfigError(f"batch_size {batch_size!r} must be a positive number of right-hand sides.")
        self.matrix = matrix
        self.solver = solver
        self.rtol = rtol
        self.batch_size = int(batch_size)
        self.stats = stats if stats is not None else SolveStats()
        n = matrix.shape[0]
        self._lu = self._ml = self._chol = None
        if solver == "direct" or n < 64:
            # Tiny systems: a factorization is cheaper than an AMG hierarchy.
            self._lu = spla.splu(sp.csc_matrix(matrix), permc_spec="MMD_AT_PLUS_A")
        elif solver == "cholmod":
            self._chol = _cholmod_factor(matrix, pattern)
        else:
            import pyamg

            with _single_thread_blas():
                opts = AMG_OPTIONS_MANY_SOLVES if expected_solves >= MANY_SOLVES else AMG_OPTIONS
                self._ml = pyamg.smoothed_aggregation_solver(sp.csr_matrix(matrix), **opts)
        self.stats.setups += 1

    def solve(self, b: np.ndarray) -> np.ndarray:
        """Solve for one right-hand side (1-D) or several (2-D, one per column).

        Raises
        ------
        SolverError
            If CG does not converge, or a Cholesky solve leaves a relative
            residual above :data:`CHOLMOD_MAX_RESIDUAL`.
        """
        b = np.asarray(b, dtype="float64")
        k = 1 if b.ndim == 1 else b.shape[1]
        self.stats.solves += k
        if self._lu is not None:
            return self._lu.solve(b)
        if self._chol is not None:
            return self._cholmod_solve(b)
        if b.ndim == 2:
            return np.column_stack([self._solve1(b[:, i]) for i in range(k)])
        return self._solve1(b)

    def _cholmod_solve(self, b: np.ndarray) -> np.ndarray:
        """Solve with the Cholesky factor, ``batch_size`` columns at a time, checking every column's residual."""
        if b.ndim == 1:
            bc = np.ascontiguousarray(b)
            x = np.empty_like(bc)
            self._chol.solve(bc, x)
            self._check_residual(bc[:, None], x[:, None], 0)
            return x
        n, k = b.shape
        out = np.empty((n, k))
        for start in range(0, k, self.batch_size):
            bb = np.ascontiguousarray(b[:, start:start + self.batch_size])
            xb = np.empty_like(bb)
            self._chol.solve(bb, xb)
            self._check_residual(bb, xb, start)
            out[:, start:start + bb.shape[1]] = xb
        return out

    def _check_residual(self, b: np.ndarray, x: np.ndarray, first: int) -> None:
        """Raise SolverError if a column's relative residual ``|A x - b| / |b|`` exceeds :data:`CHOLMOD_MAX_RESIDUAL`."""
        r = np.linalg.norm(self.matrix @ x - b, axis=0)
        nb = np.linalg.norm(b, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(nb > 0, r / np.where(nb > 0, nb, 1.0), np.where(r == 0, 0.0, np.inf))
        rel[~np.all(np.isfinite(x), axis=0)] = np.inf
        bad = np.nonzero(~(rel <= CHOLMOD_MAX_RESIDUAL))[0]
        if len(bad):
            j = int(bad[0])
            raise SolverError(
                f"the Cholesky solve on {self.matrix.shape[0]:,} nodes left a relative residual of {rel[j]:.1e} "
                f"(allowed {CHOLMOD_MAX_RESIDUAL:.0e}) in right-hand side {first + j + 1}"
                f"{f' and {len(bad) - 1} more' if len(bad) > 1 else ''}; the grounded matrix is singular or nearly so: "
                "check that every connected component has a ground and that conductances span fewer than ~12 orders of "
                "magnitude, or try solver 'amg' (cg+amg)."
            )

    def _solve1(self, b: np.ndarray) -> np.ndarray:
        if not np.any(b):
            return np.zeros_like(b)
        residuals: list[float] = []
        with _single_thread_blas():
            x = self._ml.solve(b, tol=self.rtol, accel="cg", maxiter=500, residuals=residuals)
        self.stats.iterations.append(len(residuals) - 1)
        rel = residuals[-1] / residuals[0] if residuals and residuals[0] else 0.0
        if not np.all(np.isfinite(x)) or rel > max(1e3 * self.rtol, 1e-5):
            raise SolverError(
                f"AMG-preconditioned CG stopped at relative residual {rel:.1e} after {len(residuals) - 1} iterations "
                f"(asked {self.rtol:.0e}) on {self.matrix.shape[0]:,} nodes; try solver 'direct' or check for "
                "conductances spanning more than ~12 orders of magnitude."
            )
        return x


def node_currents(
    lap: sp.csr_array,
    v: np.ndarray,
    ground_conductance: np.ndarray | None = None,
) -> np.ndarray:
    """Current through every node, as Circuitscape defines it.

    For each node the current flowing out through branches (plus the current
    leaking to a finite ground, ``g * v``) and the current flowing in through
    branches are summed separately; the node current is the larger of the
    two. Inside the network both are equal (Kirchhoff); at a source node all
    current flows out, at a ground node it flows in, so both get the full
    current.

    Parameters
    ----------
    lap : scipy.sparse.csr_array
        The ungrounded Laplacian.
    v : numpy.ndarray
        Node voltages.
    ground_conductance : numpy.ndarray, optional
        Finite ground conductance of every node.

    Returns
    -------
    numpy.ndarray
        Non-negative current of every node.
    """
    indptr = lap.indptr
    counts = np.diff(indptr)
    rows = np.repeat(np.arange(lap.shape[0], dtype=lap.indices.dtype), counts)
    # flow i -> j = g_ij (v_i - v_j) = -L_ij (v_i - v_j); zero on the diagonal.
    flow = -lap.data * (v[rows] - v[lap.indices])
    del rows
    out = np.zeros(lap.shape[0])
    inn = np.zeros(lap.shape[0])
    nz = counts > 0
    starts = indptr[:-1][nz]
    out[nz] = np.add.reduceat(np.maximum(flow, 0.0), starts)
    inn[nz] = np.add.reduceat(np.maximum(-flow, 0.0), starts)
    if ground_conductance is not None:
        out += np.maximum(ground_conductance * v, 0.0)
        inn += np.maximum(-ground_conductance * v, 0.0)
    return np.maximum(out, inn)


def branch_currents(lap: sp.csr_array, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Current through every branch, oriented from the higher to the lower voltage.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``from`` node, ``to`` node and the current (>= 0), one per branch.
    """
    coo = sp.triu(lap, k=1).tocoo()
    keep = coo.data != 0
    i, j, g = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), -coo.data[keep]
    cur = g * (v[i] - v[j])
    swap = cur < 0
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    return a, b, np.abs(cur)


#: Circuitscape drops a branch current below this fraction of the largest one (``_get_branch_currents_posneg``)
#: before it sums node currents, so that round-off does not paint current where there is none.
CURRENT_CUTOFF = 1e-8


def _upper_branches(lap: sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The branches ``(r, c, g)`` with ``r < c`` in Circuitscape's order (column by column, rows ascending)."""
    coo = sp.triu(lap, k=1).tocoo()
    keep = coo.data != 0
    r, c, g = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), np.abs(coo.data[keep])
    order = np.lexsort((r, c))
    return r[order], c[order], g[order]


def _cut(f: np.ndarray) -> np.ndarray:
    """Circuitscape's cut-off: zero the flows whose size is below CURRENT_CUTOFF of the largest (signed) flow."""
    if not len(f):
        return f
    top = f.max()
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.abs(f / top) < CURRENT_CUTOFF
    return np.where(small, 0.0, f)


def circuitscape_node_currents(lap: sp.csr_array, v: np.ndarray, finite_grounds: np.ndarray | None = None) -> np.ndarray:
    """Node currents exactly as Circuitscape computes them (``get_node_currents``).

    The current into every node and the current out of it are summed over
    its branches (each after Circuitscape's cut-off, :data:`CURRENT_CUTOFF`)
    and its finite ground; the node current is the larger of the two. It
    differs from :func:`node_currents` only below the cut-off.

    Parameters
    ----------
    lap : scipy.sparse.csr_array
        Laplacian of the component.
    v : numpy.ndarray
        Node voltages.
    finite_grounds : numpy.ndarray, optional
        Finite ground conductance of every node.

    Returns
    -------
    numpy.ndarray
    """
    r, c, g = _upper_branches(lap)
    f = g * (v[r] - v[c])  # > 0: current flows r -> c
    n = lap.shape[0]
    a = _cut(f)
    inflow = np.bincount(c, weights=np.maximum(a, 0.0), minlength=n) + np.bincount(r, weights=np.maximum(-a, 0.0), minlength=n)
    b = _cut(-f)  # > 0: current flows c -> r
    outflow = np.bincount(c, weights=np.maximum(b, 0.0), minlength=n) + np.bincount(r, weights=np.maximum(-b, 0.0), minlength=n)
    if finite_grounds is not None:
        gv = finite_grounds * v
        inflow += np.maximum(-gv, 0.0)
        outflow += np.maximum(gv, 0.0)
    return np.maximum(inflow, outflow)


def circuitscape_branch_currents(lap: sp.csr_array, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Branch currents as Circuitscape lists them: ``(r, c, |current|)`` with ``r < c``, column by column, after the cut-off."""
    r, c, g = _upper_branches(lap)
    return r, c, np.abs(_cut(g * (v[r] - v[c])))
