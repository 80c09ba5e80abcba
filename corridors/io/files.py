"""Atomic outputs: one file (:func:`atomic_path`), a whole folder of files (:func:`staged_folder`), CSV tables, and the rule of what corridors may write over (:func:`check_output_folder`).

Every writer of corridors builds its output beside the target and moves it
into place only when it is complete, so a failed or interrupted run never
leaves a half-written file or folder behind and an earlier good output is
kept.

corridors replaces only what it wrote. Every output folder carries a
manifest, ``.corridors-output.json``, listing the entries corridors wrote
there (written by :func:`staged_folder`). :func:`check_output_folder` is the
one rule every folder writer applies, before computing and again before
moving the new files in: a folder holding anything else (the user's own
files) is refused with a message naming it and those files. Every hidden
temporary folder carries a marker naming its process; one left by a killed
process is removed, or the previous output it holds put back, by the next
writer of that place (:func:`recover_interrupted`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import json
import os
import shutil
import socket
import tempfile
import warnings
from collections.abc import Collection, Iterator
from pathlib import Path

from corridors._errors import OutputError

#: The manifest of an output folder: the entries corridors wrote there.
MANIFEST = ".corridors-output.json"
#: The marker file inside every hidden temporary folder of corridors: its process (host, pid) and target.
STAGING_MARK = ".corridors-staging"
#: Name, in a temporary folder, of an entry moved aside while the new one takes its place.
_ASIDE = ".previous."
#: Foreign entries named in a refusal.
_SHOWN = 5


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only if the block succeeds.

    Write a file to the yielded path; on success it is moved over ``path``
    in one rename, on any error (an interrupt too) it is deleted, so a failed
    run never leaves a half-written output behind and an earlier good file
    is kept.

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
    tmpdir = _staging_dir(final.parent, final.name)
    tmp = tmpdir / final.name
    try:
        yield tmp
        if os.path.lexists(tmp):
            _put(tmp, final, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(outdir: str | os.PathLike, *, replace: bool = False, name: str | None = None,
                  shared: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder whose files land in ``outdir`` only if the block succeeds.

    Write every file of an output into the yielded folder. On success they
    are moved into place and listed in ``outdir``'s manifest; on any
    exception (an interrupt too) the temporary folder is removed and
    ``outdir`` is left exactly as it was (absent, or the previous run).

    Parameters
    ----------
    outdir : path-like
        The output folder (created, with its parents, if missing). It must
        pass :func:`check_output_folder` (no entry corridors did not write),
        checked on entry and again before the files are moved in.
    replace : bool, default False
        False: the files join ``outdir``. The temporary folder is a hidden
        folder inside ``outdir``; on success every entry at its top level
        whose name does not start with ``.`` is renamed into ``outdir``
        (replacing an earlier output of the same name); the other outputs of
        corridors in ``outdir`` are left alone. True: the folder becomes
        ``outdir``. The temporary folder is a hidden sibling of ``outdir``,
        exchanged with it in one step (Linux ``renameat2``
        ``RENAME_EXCHANGE``), or where the system cannot, the old folder is
        renamed into the temporary folder and the new one into place (a
        process killed between the two renames leaves the old folder there,
        put back by the next writer). When ``outdir`` is the current folder
        (``-o .``) or holds it, it cannot be renamed: the new entries are
        renamed in one by one and the entries of the previous output that
        the new one lacks are removed.
    name : str, optional
        Names the hidden temporary folder (``.<name>.<random>``; default the
        name of ``outdir``), so a folder left by a killed process says which
        writer it came from.
    shared : bool, default False
        ``outdir`` is the user's folder, not an output folder (the folder of
        a Circuitscape ``output_file``, of an exported Shapefile): other
        files in it are left alone, and only an existing entry of the same
        name as a new one must be one corridors wrote.

    Yields
    ------
    pathlib.Path
        The temporary folder, on the file system of ``outdir`` (renames are atomic).

    Raises
    ------
    OutputError
        If ``outdir`` holds entries corridors did not write, is a file or
        cannot be written.

    Examples
    --------
    >>> with staged_folder("out/linkages") as tmp:  # doctest: +SKIP
    ...     write_csv(table, tmp / "linkages.csv")
    ...     mosaic.write(tmp / "corridors.tif")
    """
    final = Path(outdir)
    whole = _absolute(final)
    label = name or whole.name or "output"
    check_output_folder(final, replace=replace, names=() if shared else None)
    merge = not replace or _holds_cwd(whole)
    try:
        if merge:
            whole.mkdir(parents=True, exist_ok=True)
            holder = tmp = _staging_dir(whole, label)
        else:
            whole.parent.mkdir(parents=True, exist_ok=True)
            holder = _staging_dir(whole.parent, label, target=whole.name)
            tmp = holder / whole.name
            tmp.mkdir()
    except OSError as exc:
        raise OutputError(f"{final}: cannot write there ({exc.strerror}); choose a writable output folder.") from None
    try:
        yield tmp
        names = {e.name for e in tmp.iterdir() if not e.name.startswith(".")}  # dot files: scratch of the writer
        check_output_folder(final, replace=replace, names=names if shared else None)
        if merge:
            _merge_in(tmp, whole, names, holder, drop_stale=replace)
        else:
            _write_manifest(tmp, names)
            _put(tmp, whole, holder)
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def check_output_folder(outdir: str | os.PathLike, *, replace: bool = False,
                        names: Collection[str] | None = None) -> Path:
    """Check that corridors may write an output into ``outdir``: the one rule of every folder writer.

    A folder may take an output if it is missing, empty, or holds only what
    corridors wrote: the entries its manifest (``.corridors-output.json``)
    lists, corridors' own hidden temporary folders, and sub-folders that are
    corridors outputs themselves (with their own manifest). What a killed
    run left in or beside it is cleaned up first (:func:`recover_interrupted`).
    The location must be writable. The commands check their ``-o`` folder
    before computing; :func:`staged_folder` checks again before moving the
    new files in.

    Parameters
    ----------
    outdir : path-like
        The output folder, as the user gave it (messages name it so).
    replace : bool, default False
        The output replaces the folder as a whole: the folder's parent must
        be writable too (the new folder is built beside it).
    names : collection of str, optional
        ``outdir`` is the user's own folder, of which the writer replaces
        only these entries: only they must be corridors' (other files are
        left alone). Default: the whole folder must be corridors'.

    Returns
    -------
    pathlib.Path
        ``outdir``.

    Raises
    ------
    OutputError
        Naming ``outdir``, the first few foreign entries and what to do.
    """
    final = Path(outdir)
    recover_interrupted(final)
    if os.path.lexists(final) and not final.is_dir():
        raise OutputError(f"{final}: this is a file, not a folder; give a new or empty folder for the output.")
    foreign = foreign_entries(final, names)
    if foreign:
        shown = ", ".join(foreign[:_SHOWN]) + (f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else "")
        if names is not None:
            it = "it" if len(foreign) == 1 else "them"
            raise OutputError(f"{final}: {shown} would be replaced but corridors did not write {it}; "
                              f"move {it} away or choose another output name.")
        older = (" (an output of an earlier corridors has no manifest yet: delete it yourself if it is one)"
                 if "provenance.json" in foreign else "")
        raise OutputError(
            f"{final}: the folder holds files corridors did not write ({shown}){older}; corridors replaces only its "
            f"own outputs, so choose a new or empty folder, e.g. {final / 'out'}, or move those files away."
        )
    _check_writable(final, _absolute(final).parent if replace and not _holds_cwd(_absolute(final)) else final)
    return final


def foreign_entries(folder: str | os.PathLike, names: Collection[str] | None = None) -> list[str]:
    """Entries of ``folder`` that corridors did not write (see :func:`check_output_folder`), sorted.

    Parameters
    ----------
    folder : path-like
        An existing folder (a missing one has none).
    names : collection of str, optional
        Look only at these entries (those that exist); default every entry.

    Returns
    -------
    list of str
        Entry names, a folder with a trailing ``/``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    listed = _manifest(folder)
    entries = sorted(folder.iterdir()) if names is None else [folder / n for n in sorted(names) if os.path.lexists(folder / n)]
    return [e.name + ("/" if _real_dir(e) else "") for e in entries if not _ours(e, listed)]


def recover_interrupted(folder: str | os.PathLike) -> list[str]:
    """Clean up what a killed corridors process left in or beside ``folder``; one message per action.

    A killed process cannot remove its hidden temporary folders. Each carries
    a marker naming its host and process; those of a process that is gone
    (on this host) are removed. One that holds the previous output of a
    folder that is missing (the process was killed while swapping the new
    output in, where the system has no atomic exchange) puts it back first.
    Each action is also given as a warning.

    Parameters
    ----------
    folder : path-like
        An output folder; its own entries and its siblings are looked at.

    Returns
    -------
    list of str
        What was done, e.g. ``"removed out/.baseline.k2j3 left by an interrupted run (process 4242)"``.
    """
    whole = _absolute(Path(folder))
    done = []
    for place in dict.fromkeys((whole, whole.parent)):
        if not place.is_dir():
            continue
        for entry in sorted(place.glob(".*")):
            owner = _owner(entry) if _real_dir(entry) else None
            if owner is None or _alive(owner):
                continue
            for aside in entry.glob(_ASIDE + "*"):
                target = place / aside.name[len(_ASIDE):]
                if not os.path.lexists(target):
                    os.replace(aside, target)
                    done.append(f"restored {target} (the previous output) from an interrupted run")
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed {entry} left by an interrupted run (process {owner.get('pid')})")
    for message in done:
        warnings.warn(message, stacklevel=2)
    return done


# --------------------------------------------------------------------------- helpers of the rule
def _absolute(path: Path) -> Path:
    """``path`` made absolute and normalised (``.`` and ``..`` resolved, symbolic links kept)."""
    return Path(os.path.abspath(path))


def _real_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _holds_cwd(whole: Path) -> bool:
    """Whether the folder is the current folder or one of its parents (it cannot be renamed away)."""
    cwd = Path(os.path.realpath(os.getcwd()))
    real = Path(os.path.realpath(whole))
    return real == cwd or real in cwd.parents


def _manifest(folder: Path) -> set[str]:
    """The entries ``folder``'s manifest lists (none without one, or with an unreadable one)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    return {str(f) for f in files} if isinstance(files, list) else set()


def _write_manifest(folder: Path, names: Collection[str]) -> None:
    with atomic_path(folder / MANIFEST) as tmp:
        tmp.write_text(json.dumps({"written_by": "corridors", "files": sorted(names)}, indent=1) + "\n", encoding="utf-8")


def _ours(entry: Path, listed: set[str]) -> bool:
    """Whether corridors wrote ``entry``: its manifest or its folder's lists it, or it is a temporary folder of corridors."""
    if entry.name in (MANIFEST, STAGING_MARK) or entry.name in listed:
        return True
    return _real_dir(entry) and ((entry / MANIFEST).is_file() or (entry.name.startswith(".") and (entry / STAGING_MARK).is_file()))


def _check_writable(final: Path, where: Path) -> None:
    """OutputError naming ``final`` unless the nearest existing folder on the way to ``where`` is writable."""
    p = _absolute(where)
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise OutputError(f"{final}: {p} is a file where a folder is needed; choose another output folder.")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"{final}: cannot write into {p} (no permission, or a read-only disk); "
                          "choose a writable output folder.")


def _staging_dir(parent: Path, label: str, target: str | None = None) -> Path:
    """A new hidden temporary folder ``.<label>.<random>`` in ``parent``, marked with this process (and its target)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{label}.", dir=parent))
    owner = {"host": socket.gethostname(), "pid": os.getpid(), "target": target}
    (tmp / STAGING_MARK).write_text(json.dumps(owner) + "\n", encoding="utf-8")
    return tmp


def _owner(folder: Path) -> dict | None:
    """The marker of a temporary folder of corridors (None for any other folder)."""
    try:
        owner = json.loads((folder / STAGING_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _alive(owner: dict) -> bool:
    """Whether the process of a temporary folder may still run (always True for another host's)."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return True
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


# --------------------------------------------------------------------------- moving outputs in
@functools.lru_cache(maxsize=1)
def _renameat2() -> object | None:
    """libc's ``renameat2`` (Linux, glibc 2.28+), or None (macOS, Windows, musl without it)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError, TypeError):
        return None


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step; False where the system cannot (then nothing has changed)."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _put(new: Path, final: Path, holder: Path) -> None:
    """Move ``new`` to ``final``; at every instant ``final`` is the old or the new entry, or the old one waits in ``holder``.

    A file replaces a file in one rename. A folder is exchanged with the old
    one in one step where the system can; else the old entry is renamed into
    ``holder`` (as ``.previous.<name>``, where :func:`recover_interrupted`
    finds it) and the new one into place, the old one put back if that fails.
    The old entry ends in ``holder`` (deleted with it).
    """
    if not os.path.lexists(final) or not (_real_dir(new) or _real_dir(final)):
        os.replace(new, final)
        return
    if _real_dir(new) and _real_dir(final) and _exchange(new, final):
        return
    old = holder / (_ASIDE + final.name)
    os.replace(final, old)
    try:
        os.replace(new, final)
    except BaseException:
        os.replace(old, final)
        raise


def _merge_in(tmp: Path, final: Path, names: set[str], holder: Path, *, drop_stale: bool) -> None:
    """Move the entries ``names`` of ``tmp`` into ``final`` and list them in its manifest.

    The manifest lists them before they move (a kill in between leaves it
    listing an entry that is not there, never an unlisted one). With
    ``drop_stale`` the entries of the previous output that the new one
    lacks are removed and the manifest lists the new entries only.
    """
    old = _manifest(final)
    _write_manifest(final, old | names)
    for n in sorted(names):
        _put(tmp / n, final / n, holder)
    if drop_stale:
        for n in sorted(old - names):
            stale = final / n
            if _real_dir(stale):
                shutil.rmtree(stale)
            elif os.path.lexists(stale):
                stale.unlink()
        _write_manifest(final, names)


if TYPE_CHECKING:  # annotations only: pandas costs 0.12 s to import, and the circuit engine writes no table
    import pandas as pd


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
