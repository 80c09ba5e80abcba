"""Dask distributed for every parallel step of corridors: the workers' settings and one way to get a client.

The scenario batch (:mod:`corridors.batch`) and Omniscape's targets
(:mod:`corridors.omniscape.parallel`) run on an embedded LocalCluster of
worker processes by default, or on an existing cluster given by the address
of its scheduler.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import dask
from distributed import Client, LocalCluster

from corridors._errors import ConfigError


def worker_config() -> dict[str, Any]:
    """Dask settings for the LocalCluster's workers, where Dask's defaults cost a task time.

    - ``MALLOC_TRIM_THRESHOLD_`` is left out of the workers' environment.
      Dask sets it to 65536 so that workers hand freed memory back to the
      system at once; setting it also switches off glibc's dynamic mmap
      threshold, so every array over 128 KiB is mapped afresh and
      page-faulted on each allocation. With it, one 5 km scenario took 4.6
      times the page faults (564,000 against 122,000) and twice the system
      time. A scenario's memory is bounded (under 1 GiB at 5 km), so nothing
      needs returning early. The one-thread BLAS/OpenMP limits stay: two
      workers on two cores must not start four BLAS threads.
    - The workers' sampling profiler is off: it samples the task's stack
      every 10 ms and cost 3-8 % of a scenario's time (four 10 km scenarios:
      22.0 against 21.3 s, 26.2 against 24.2 s); on two busy cores that time
      comes straight out of the scenarios.
    - ``worker-saturation`` 1.0: a worker holds one scenario at a time, so
      the next one goes to whichever worker frees first, in priority order
      (with Dask's 1.1 a one-thread worker queues a second scenario behind
      its running one while the other worker may sit idle at the end).
    - Slower housekeeping. Every Dask server checks its event loop every
      20 ms (``admin.tick``), samples CPU and memory every 500 ms
      (``system-monitor``), and each nanny polls its worker's memory every
      100 ms. With one scenario lasting seconds none of this needs to be so
      frequent: an idle 2-worker cluster used 8.4 % of a core in all
      (client process 4.5 %, each worker 2 %); with a 500 ms tick, a 2 s
      system monitor and a 1 s memory poll, 1.7 %. On two busy cores that
      CPU comes out of the scenarios, though on a whole 5 km batch the
      gain was within this machine's noise (3 alternated rounds: 0.99x).
      The memory limit is still enforced, one second later at most.
    - No work stealing: with saturation 1.0 no task waits on a busy worker,
      so there is nothing to steal, and the scheduler's 100 ms stealing
      pass is skipped.
    """
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return {
        "distributed.nanny.pre-spawn-environ": env,
        "distributed.worker.profile.enabled": False,
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.admin.tick.interval": "500ms",
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.scheduler.work-stealing": False,
    }


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int, *, what: str, threads_per_worker: int = 1,
                connect_timeout: str | float = "10s", memory_limit: int | str | None = "auto") -> Iterator[Client]:
    """A Dask client: connected to ``scheduler``, or on an embedded LocalCluster of ``workers`` processes closed on exit.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``); None starts a
        LocalCluster on this machine with :func:`worker_config`.
    workers : int
        Worker processes of the LocalCluster (ignored with ``scheduler``).
    what : str
        The command, for messages (e.g. ``'batch'``).
    threads_per_worker : int, default 1
    connect_timeout : str or float, default '10s'
    memory_limit : int, str or None, default 'auto'
        Per worker of the LocalCluster, as Dask takes it.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ConfigError
        If ``workers < 1`` or the scheduler cannot be reached.
    """
    if workers < 1:
        raise ConfigError(f"{what} --workers {workers}: must be >= 1.")
    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except OSError as exc:
            raise ConfigError(f"{what} --scheduler {scheduler}: cannot connect ({exc}); start `dask scheduler` there or leave "
                              "--scheduler out to use a local cluster.") from None
        with client:
            yield client
        return
    with dask.config.set(worker_config()):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR, memory_limit=memory_limit)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
