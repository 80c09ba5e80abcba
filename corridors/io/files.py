"""Atomic outputs: one file (:func:`atomic_path`), a whole folder of files (:func:`staged_folder`), and CSV tables.

Every writer of corridors builds its output beside the target and moves it
into place only when it is complete, so a failed run never leaves a
half-written file or folder behind and an earlier good output is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path




@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only if the block succeeds.

    Write a file to the yielded path; on success it is moved over ``path``
    in one rename, on any error it is deleted, so a failed run never leaves a
    half-written output behind and an earlier good file is kept.

    Parameters
    ----------
    path : path-like
        The final file (or folder) path. Its parent folder is created.

    Yields
    ------
    pathlib.Path
        A path in the same folder (same file system, so the rename is atomic).

    See Also
    --------
    staged_folder : for several files written together.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    tmp = tmpdir / final.name
    try:
        yield tmp
        if tmp.exists():
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            os.replace(tmp, final)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(outdir: str | os.PathLike, *, replace: bool = False, name: str | None = None) -> Iterator[Path]:
    """Yield an empty temporary folder whose files land in ``outdir`` only if the block succeeds.

    Write every file of an output into the yielded folder. On success they
    are moved into place; on any exception the temporary folder is removed
    and ``outdir`` is left exactly as it was (absent, or the previous run).

    Parameters
    ----------
    outdir : path-like
        The output folder (created, with its parents, if missing).
    replace : bool, default False
        False: the files join ``outdir``. The temporary folder is a hidden
        folder inside ``outdir``; on success every entry at its top level
        whose name does not start with ``.`` is renamed into ``outdir``
        (replacing a file or folder of the same name), and other files of
        ``outdir`` are left alone. True: the folder becomes ``outdir``. The
        temporary folder is a hidden sibling of ``outdir`` that replaces it
        as a whole: an old ``outdir`` is renamed aside, the new one renamed
        into place (the old one is put back if that fails), then the old one
        is deleted.
    name : str, optional
        Names the hidden temporary folder (``.<name>.<random>``; default the
        name of ``outdir``), so a folder left by a killed process says which
        writer it came from.

    Yields
    ------
    pathlib.Path
        The temporary folder, on the file system of ``outdir`` (renames are atomic).

    Examples
    --------
    >>> with staged_folder("out/linkages") as tmp:  # doctest: +SKIP
    ...     write_csv(table, tmp / "linkages.csv")
    ...     mosaic.write(tmp / "corridors.tif")
    """
    final = Path(outdir)
    label = name or final.name or "output"
    if replace:
        final.parent.mkdir(parents=True, exist_ok=True)
        holder = Path(tempfile.mkdtemp(prefix=f".{label}.", dir=final.parent))
        tmp = holder / (final.name or label)
        tmp.mkdir()
    else:
        final.mkdir(parents=True, exist_ok=True)
        holder = tmp = Path(tempfile.mkdtemp(prefix=f".{label}.", dir=final))
    try:
        yield tmp
        if replace:
            _swap_in(tmp, final, holder)
        else:
            for entry in sorted(tmp.iterdir()):
                if entry.name.startswith("."):
                    continue  # scratch files of the writer
                dst = final / entry.name
                if dst.is_dir() and not dst.is_symlink():
                    shutil.rmtree(dst)
                os.replace(entry, dst)
    finally:
        shutil.rmtree(holder, ignore_errors=True)


if TYPE_CHECKING:  # annotations only: pandas costs 0.12 s to import, and the circuit engine writes no table
    import pandas as pd


def _swap_in(new: Path, final: Path, holder: Path) -> None:
    """Rename ``new`` to ``final``; an existing ``final`` folder is moved into ``holder`` first (deleted with it)."""
    if not (final.is_dir() and not final.is_symlink()):
        os.replace(new, final)
        return
    old = holder / ".previous"
    os.replace(final, old)
    try:
        os.replace(new, final)
    except BaseException:
        os.replace(old, final)
        raise


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = False, float_format: str | None = None) -> Path:
    """Write a table as CSV, atomically, list-valued columns as ``;``-joined text.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; a column holding lists, tuples or sets is written with
        :func:`corridors.io.encode_list` (``['TJK', 'UZB']`` -> ``TJK;UZB``).
    path : path-like
        The ``.csv`` file; its folder is created.
    index : bool, default False
        Write the index as the first column (pandas' default is True).
    float_format : str, optional
        As for :meth:`pandas.DataFrame.to_csv`, e.g. ``'%.0f'``.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    with atomic_path(path) as tmp:
        # Local: corridors.io.lists loads geopandas and pandas (0.14 s); only a table writer needs it.
        from corridors.io.lists import encode_list_columns

        encode_list_columns(df).to_csv(tmp, index=index, float_format=float_format)
    return Path(path)
