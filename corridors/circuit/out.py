"""The files a Circuitscape job writes, with Circuitscape's names and formats (Circuitscape.jl's ``out``).

:class:`JobWriter` collects them in a hidden folder next to ``output_file``
and moves them into place only when the whole job succeeded. The job runner
(:func:`corridors.circuit.run.run_job`) hands it every map as it is made
(:meth:`JobWriter.grid` for raster maps, :meth:`JobWriter.table` for the
text tables of network jobs), so that per-pair maps need not all be held in
memory, and the result at the end (:meth:`JobWriter.write_result`: the
settings and the resistances).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corridors._errors import DataError, OutputError
from corridors.circuit.ini import CircuitscapeJob
from corridors.io import staged_folder
from corridors.raster import Raster

if TYPE_CHECKING:  # for annotations only: corridors.circuit.run imports this module
    from corridors.circuit.run import JobResult

#: Circuitscape's value of "no data" in every grid it writes.
NODATA = -9999.0


class _Abandoned(Exception):
    """Thrown into the staged folder by :meth:`JobWriter.cleanup` so that it removes its files instead of moving them."""


class JobWriter:
    """Collects a job's output files in a hidden temporary folder and moves them into place only when the whole job succeeded.

    Parameters
    ----------
    job : CircuitscapeJob
        The job; its ``output_file`` names the folder and the base name of every file.

    Raises
    ------
    DataError
        If the folder of ``output_file`` cannot be written into.
    """

    def __init__(self, job: CircuitscapeJob):
        self.job = job
        self.final_dir = job.output_file.parent if str(job.output_file.parent) else Path(".")
        self._staging = contextlib.ExitStack()
        try:
            # shared: the folder of output_file may hold the job's inputs; only files of the job's names are replaced,
            # and only those corridors wrote
            self.tmp = self._staging.enter_context(staged_folder(self.final_dir, name=job.stem, shared=True))
        except (OSError, OutputError) as exc:
            raise DataError(
                f"key 'output_file' ({job.output_file}): cannot write into the folder {self.final_dir} "
                f"({exc.strerror if isinstance(exc, OSError) else exc}); "
                "give an output_file in a writable folder (no file of the same name on the way)."
            ) from None
        self.names: list[str] = []

    # ------------------------------------------------------------ files
    def path(self, name: str) -> Path:
        """The temporary path of output ``name``, recorded for :meth:`commit`."""
        self.names.append(name)
        return self.tmp / name

    def grid(self, suffix: str, values: np.ndarray, template: Raster) -> None:
        """Write ``<stem>_<suffix>.asc`` (or ``.tif`` with ``write_as_tif``) on the habitat grid ``template``, no data -9999."""
        job = self.job
        r = Raster(np.asarray(values, dtype="float64"), template.transform, template.crs, NODATA, suffix)
        r.write(self.path(f"{job.stem}_{suffix}.{'tif' if job.write_as_tif else 'asc'}"))  # .asc: GDAL's .prj beside it

    def table(self, suffix: str, rows: list[tuple] | np.ndarray, sep: str = "\t") -> None:
        """Write ``<stem>_<suffix>``: one row per line, ids as integers and values to 15 significant digits."""
        with open(self.path(f"{self.job.stem}_{suffix}"), "w") as f:
            for row in rows:
                f.write(sep.join(_fmt(v) for v in row) + "\n")

    def commit(self) -> list[Path]:
        """Move every file written (and its ``.prj`` sidecar) into the folder of ``output_file``; the final paths, in the order written."""
        written = list(dict.fromkeys(self.final_dir / name for name in self.names if (self.tmp / name).exists()))
        self._staging.close()  # io.staged_folder renames every file in and removes the temporary folder
        return written

    def cleanup(self) -> None:
        """Remove the temporary folder and whatever is left in it (nothing is moved); a no-op after :meth:`commit`."""
        self._staging.__exit__(_Abandoned, _Abandoned(), None)

    # ------------------------------------------------------------ Circuitscape's outputs
    def resistances(self, ids: np.ndarray, res: np.ndarray) -> None:
        """``<stem>_resistances.out`` (ids in the first row and column, 0 in the corner) and ``_resistances_3columns.out``."""
        n = len(ids)
        mat = [[0, *[int(i) for i in ids]]] + [[int(ids[i]), *[float(x) for x in res[i]]] for i in range(n)]
        self.table("resistances.out", mat, sep=" ")
        rows = [(int(ids[i]), int(ids[j]), float(res[j, i])) for i in range(n) for j in range(i + 1, n)]
        self.table("resistances_3columns.out", rows, sep=" ")

    def settings(self) -> None:
        """The job's settings as Circuitscape.jl keeps them: written to ``output_file`` itself (``write_config``)."""
        self.names.append(self.job.output_file.name)
        with open(self.tmp / self.job.output_file.name, "w") as f:
            f.write(f"# Circuitscape job {self.job.source}, as run by corridors\n[Circuitscape job]\n")
            for key, value in self.job.raw.items():
                f.write(f"{key} = {value}\n")

    def write_result(self, res: JobResult) -> None:
        """The files of the finished job: the settings, and the resistances of pairwise, one-to-all and all-to-one."""
        job = self.job
        self.settings()
        if res.resistances is None:
            return
        if job.scenario == "pairwise":
            self.resistances(res.ids, res.resistances)
        else:  # one-to-all / all-to-one: one 'id resistance' row per focal node, as Circuitscape returns them
            self.table("resistances.out", [(int(i), float(r)) for i, r in zip(res.ids, res.resistances)], sep=" ")


def _fmt(v: object) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return "%.15g" % v
    return str(v)
