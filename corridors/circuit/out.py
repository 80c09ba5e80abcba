"""The files a Circuitscape job writes, with Circuitscape's names and formats (Circuitscape.jl's ``out``).

:class:`JobWriter` collects them in a hidden folder next to ``output_file``
and moves them into place only when the whole job succeeded. The job runner
(:func:`corridors.circuit.run.run_job`) hands it each solve's voltages and
currents while solving (:meth:`JobWriter.write_solve`: per-pair and
per-focal-node maps, so they need not all be held in memory) and the result
at the end (:meth:`JobWriter.write_result`: resistances, cumulative and
maximum current, advanced-mode maps).
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corridors._errors import DataError
from corridors.circuit.ini import CircuitscapeJob
from corridors.io import staged_folder
from corridors.raster import Raster

if TYPE_CHECKING:  # for annotations only: corridors.circuit.run imports this module
    from corridors.circuit.run import JobResult

#: Circuitscape's value of "no data" in every grid it writes.
NODATA = -9999.0


def format_id(i: object) -> str:
    """A focal or node id as Circuitscape writes it in file names and tables (``3``, not ``3.0``)."""
    return str(int(i)) if isinstance(i, (int, np.integer)) or float(i) == int(float(i)) else str(i)


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
            self.tmp = self._staging.enter_context(staged_folder(self.final_dir, name=job.stem))
        except OSError as exc:
            raise DataError(
                f"key 'output_file' ({job.output_file}): cannot write into the folder {self.final_dir} ({exc.strerror}); "
                "give an output_file in a writable folder (no file of the same name on the way)."
            ) from None
        self.names: list[str] = []

    # ------------------------------------------------------------ files
    def path(self, name: str) -> Path:
        """The temporary path of output ``name``, recorded for :meth:`commit`."""
        self.names.append(name)
        return self.tmp / name

    def grid(self, suffix: str, arr: np.ndarray, template: Raster, off_graph: np.ndarray, kind: str) -> None:
        """Write a current (``kind='cur'``) or voltage map like Circuitscape."""
        job = self.job
        a = np.array(arr, dtype="float64")
        if kind == "cur" and job.log_transform_maps:
            pos = a > 0
            a = np.where(pos, np.log10(np.where(pos, a, 1.0)), NODATA)
        if (kind == "cur" and job.set_null_currents_to_nodata) or (kind == "volt" and job.set_null_voltages_to_nodata):
            a[off_graph] = NODATA
        r = Raster(a, template.transform, template.crs, NODATA, suffix)
        if job.write_as_tif:
            r.write(self.path(f"{job.stem}_{suffix}.tif"))
        elif job.compress_grids:
            plain = self.tmp / f".{job.stem}_{suffix}.asc"  # hidden: the staged folder does not move it
            r.write(plain)
            with open(plain, "rb") as fi, gzip.open(self.path(f"{job.stem}_{suffix}.asc.gz"), "wb") as fo:
                shutil.copyfileobj(fi, fo)
            plain.unlink()
        else:
            r.write(self.path(f"{job.stem}_{suffix}.asc"))  # with the .prj sidecar GDAL writes beside it

    def text(self, suffix: str, rows: list[list[object]] | np.ndarray, fmt: str = "%.15g") -> None:
        """Write a text table, one space-separated row per line (floats as ``fmt``)."""
        name = f"{self.job.stem}_{suffix}"
        with open(self.path(name), "w") as f:
            for row in rows:
                f.write(" ".join(fmt % v if isinstance(v, (float, np.floating)) else str(v) for v in row) + "\n")

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
        mat = np.zeros((n + 1, n + 1))
        mat[0, 1:] = ids
        mat[1:, 0] = ids
        mat[1:, 1:] = res
        self.text("resistances.out", [[float(v) for v in row] for row in mat])
        rows = [[format_id(ids[i]), format_id(ids[j]), float(res[i, j])] for i in range(n) for j in range(i + 1, n)]
        self.text("resistances_3columns.out", rows)

    def _node_table(self, suffix: str, names: np.ndarray, values: np.ndarray) -> None:
        self.text(suffix, [[format_id(names[k]), float(values[k])] for k in range(len(names))])

    def _branch_table(self, suffix: str, names: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
        self.text(suffix, [[format_id(names[x]), format_id(names[y]), float(z)] for x, y, z in zip(a, b, c)])

    def write_solve(self, res: JobResult, ids: tuple, voltages: np.ndarray, currents: np.ndarray,
                    branch_current: np.ndarray | None = None) -> None:
        """The maps of one solved pair (``ids = (a, b)``) or focal node (``ids = (a,)``), as the job asks for them.

        Raster jobs: ``curmap_<a>[_<b>]`` (unless ``write_cum_cur_map_only``)
        and ``voltmap_<a>[_<b>]``. Network jobs: ``node_currents_<a>_<b>.txt``
        and ``branch_currents_<a>_<b>.txt``, ``voltages_<a>_<b>.txt``.
        """
        job = self.job
        label = "_".join(format_id(i) for i in ids)
        cur_maps = job.write_cur_maps and not job.write_cum_cur_map_only
        if job.data_type == "network":
            names = res.graph.names
            if cur_maps:
                self._node_table(f"node_currents_{label}.txt", names, currents)
                a, b = res.branch_ends
                self._branch_table(f"branch_currents_{label}.txt", names, a, b, branch_current)
            if job.write_volt_maps:
                self._node_table(f"voltages_{label}.txt", names, voltages)
            return
        off = res.graph.nodemap < 0
        if cur_maps:
            self.grid(f"curmap_{label}", res.graph.cell_values(currents), res.habitat, off, "cur")
        if job.write_volt_maps:
            self.grid(f"voltmap_{label}", res.graph.cell_values(voltages), res.habitat, off, "volt")

    def write_result(self, res: JobResult) -> None:
        """The files of the finished job: resistances, cumulative and maximum current, or the advanced-mode maps."""
        job, r = self.job, res.result
        if job.data_type == "network":
            names = res.graph.names
            if job.scenario == "advanced":
                self._node_table("voltages.txt", names, r.voltages)
                if job.write_cur_maps:
                    self._node_table("node_currents.txt", names, r.currents)
                    self._branch_table("branch_currents.txt", names, *res.branch_ends, res.branch_current)
                return
            self.resistances(res.ids, r.resistances)
            if job.write_cur_maps:
                self._node_table("node_currents_cum.txt", names, r.cum_current)
                self._branch_table("branch_currents_cum.txt", names, *res.branch_ends, res.branch_current)
            return
        graph, habitat = res.graph, res.habitat
        off = graph.nodemap < 0
        if job.scenario == "advanced":
            if job.write_cur_maps:
                self.grid("curmap", graph.cell_values(r.currents), habitat, off, "cur")
            if job.write_volt_maps:
                self.grid("voltmap", graph.cell_values(r.voltages), habitat, off, "volt")
            return
        if job.scenario == "pairwise":
            self.resistances(res.ids, r.resistances)
        if job.write_cur_maps:
            self.grid("cum_curmap", graph.cell_values(r.cum_current), habitat, off, "cur")
        if job.write_max_cur_maps:
            self.grid("max_curmap", graph.cell_values(r.max_current), habitat, off, "cur")
