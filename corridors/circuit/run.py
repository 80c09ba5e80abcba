"""Run a Circuitscape job as Circuitscape.jl runs it: read its inputs, solve its mode, hand every map to a writer.

:func:`compute_job` solves a :class:`~corridors.circuit.ini.CircuitscapeJob`
and returns a :class:`JobResult`; the maps it makes along the way go to a
``sink`` (:class:`~corridors.circuit.out.JobWriter` writes them, ``None``
drops them). :func:`run_job` reads the INI, computes and writes
Circuitscape's output files. The modes are in :mod:`corridors.circuit.raster_job`
and :mod:`corridors.circuit.network_job`; what they share in
:mod:`corridors.circuit.job`.

The steps follow Circuitscape.jl's source file by file (``raster/pairwise.jl``,
``raster/onetoall.jl``, ``raster/advanced.jl``, ``network/*.jl``, ``core.jl``,
``out.jl``); the README's "Circuitscape compatibility" section lists each
convention and where it comes from. What differs is how the linear systems
are solved: pairwise mode grounds each component once and solves one system
per focal node instead of one per pair, and one-to-all / all-to-one solve the
interior once per component; the numbers are the same.

>>> files = run_job("job.ini")                      # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

from corridors.circuit.ini import CircuitscapeJob, read_ini
from corridors.circuit.job import JobContext, JobResult, NullSink, Progress, Sink
from corridors.circuit.network_job import network_advanced, network_pairwise
from corridors.circuit.raster_job import raster_advanced, raster_one_to_all, raster_pairwise
from corridors.circuit.solve import CIRCUITSCAPE_SOLVERS, DEFAULT_RTOL, resolve_memory_limit

__all__ = ["JobResult", "Progress", "Sink", "compute_job", "run_job"]


def run_job(
    job: CircuitscapeJob | str | os.PathLike,
    *,
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    max_memory: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Run a Circuitscape job and write its outputs next to ``output_file``.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual (solver cg+amg).
    memory_limit : int, optional
        Bytes the job may use (default: the available memory).
    max_memory : int, optional
        Deprecated spelling of ``memory_limit``; accepted with a DeprecationWarning for one release.
    progress : callable, optional
        ``progress(done, total)`` after each solve.

    Returns
    -------
    list of pathlib.Path
        The files written. Nothing is written if the job fails.

    Raises
    ------
    ConfigError, DataError, SolverError
        Bad INI, bad or missing input, problem too large.
    """
    # Imported here, not at the top: corridors.circuit.out imports JobResult from this module.
    from corridors.circuit.out import JobWriter

    memory_limit = resolve_memory_limit(memory_limit, max_memory)
    if not isinstance(job, CircuitscapeJob):
        job = read_ini(job)
    out = JobWriter(job)
    try:
        res = compute_job(job, rtol=rtol, memory_limit=memory_limit, sink=out, progress=progress)
        out.write_result(res)
        return out.commit()
    finally:
        out.cleanup()


def compute_job(
    job: CircuitscapeJob | str | os.PathLike,
    *,
    rtol: float = DEFAULT_RTOL,
    memory_limit: int | None = None,
    sink: Sink | None = None,
    progress: Progress | None = None,
) -> JobResult:
    """Solve a Circuitscape job: read its inputs and run its mode; maps go to ``sink``.

    Parameters
    ----------
    job : CircuitscapeJob or path-like
        The job or its INI file.
    rtol : float
        CG relative residual.
    memory_limit : int, optional
        Bytes the job may use (default: the available memory).
    sink : Sink, optional
        Receives every per-pair, per-node and final map as it is made.
    progress : callable, optional
        ``progress(done, total)`` after each solve.

    Returns
    -------
    JobResult

    Raises
    ------
    ConfigError, DataError, SolverError
        Bad INI, bad or missing input, problem too large.
    """
    if not isinstance(job, CircuitscapeJob):
        job = read_ini(job)
    ctx = JobContext(job, CIRCUITSCAPE_SOLVERS[job.solver], rtol, memory_limit, sink or NullSink(), progress)
    if job.data_type == "network":
        return network_advanced(ctx) if job.scenario == "advanced" else network_pairwise(ctx)
    if job.scenario == "advanced":
        return raster_advanced(ctx)
    if job.scenario == "pairwise":
        return raster_pairwise(ctx)
    return raster_one_to_all(ctx)


