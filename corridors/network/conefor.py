"""Conefor's text inputs, read and written: a node file (``id attribute``) and a connection file (``id id distance|probability``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from corridors._errors import ConfigError, DataError
from corridors.io import atomic_path, read_text
from corridors.network.graph import HabitatGraph, build_graph

ConnectionKind = Literal["distance", "probability"]


def _rows(path: Path, ncols: tuple[int, ...], what: str) -> list[tuple[int, list[str]]]:
    if not path.exists():
        raise DataError(f"{path}: file not found; give the path of the Conefor {what} file.")
    out = []
    for lineno, line in enumerate(read_text(path).splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.replace(",", " ").replace(";", " ").split()
        if len(parts) not in ncols:
            raise DataError(
                f"{path}, line {lineno}: {len(parts)} values; a Conefor {what} file has "
                f"{' or '.join(map(str, ncols))} values per line separated by spaces or tabs."
            )
        out.append((lineno, parts))
    if not out:
        raise DataError(f"{path}: the file holds no line of data; give a Conefor {what} file.")
    return out


def _id(tok: str) -> str:
    """Conefor ids are numbers: '7' and '7.0' are the same node."""
    try:
        f = float(tok)
    except ValueError:
        return tok
    return str(int(f)) if f.is_integer() else tok


def read_conefor(
    node_file: str | os.PathLike,
    connection_file: str | os.PathLike,
    kind: ConnectionKind = "distance",
    **build_kwargs,
) -> HabitatGraph:
    """Read a Conefor project (node file and connection file) as a habitat graph.

    Parameters
    ----------
    node_file : path-like
        One node per line: ``id attribute`` (spaces or tabs).
    connection_file : path-like
        One link per line: ``id id value``. Pairs not listed are not
        connected. Listing both directions is allowed (the best value wins).
    kind : {'distance', 'probability'}, default 'distance'
        What the third column holds (Conefor's ``-conDist`` / ``-confProb``).
        Distances need ``median_dispersal_m`` or ``k`` in ``build_kwargs``
        (in the file's distance unit).
    **build_kwargs
        Passed to :func:`corridors.network.build_graph` (``landscape_area``,
        ``median_dispersal_m``, ``k``, ``max_distance_m``, ``name``).

    Returns
    -------
    HabitatGraph

    Raises
    ------
    DataError
        Missing file, wrong number of columns, values that are not numbers,
        plus everything :func:`build_graph` checks (line numbers are given).
    """
    if kind not in ("distance", "probability"):
        raise ConfigError(f"option 'kind' is {kind!r}; choose 'distance' or 'probability' for the Conefor connection file.")
    nf, cf = Path(node_file), Path(connection_file)
    ids, caps = [], []
    for lineno, (nid, val) in _rows(nf, (2,), "node"):
        try:
            caps.append(float(val))
        except ValueError:
            raise DataError(f"{nf}, line {lineno}: attribute {val!r} of node {nid!r} is not a number; write a number.") from None
        ids.append(_id(nid))
    nodes = pd.DataFrame({"id": ids, "capacity": caps})
    ii, jj, vals = [], [], []
    for lineno, (a, b, val) in _rows(cf, (3,), "connection"):
        try:
            vals.append(float(val))
        except ValueError:
            raise DataError(f"{cf}, line {lineno}: value {val!r} of link {a}-{b} is not a number; write a number.") from None
        ii.append(_id(a))
        jj.append(_id(b))
    col = "distance_m" if kind == "distance" else "probability"
    links = pd.DataFrame({"i": ii, "j": jj, col: vals, "source": f"conefor:{cf.name}"})
    build_kwargs.setdefault("name", nf.stem)
    return build_graph(nodes, links, label=str(cf), node_label=str(nf), **build_kwargs)


def write_conefor(
    g: HabitatGraph,
    node_file: str | os.PathLike,
    connection_file: str | os.PathLike,
    kind: ConnectionKind = "probability",
) -> dict[str, str]:
    """Write a habitat graph as Conefor's node and connection files.

    Conefor wants numeric node ids: ids that are all integers are written as
    they are; otherwise nodes are numbered 1..n in graph order and the
    returned mapping (also written next to the node file as
    ``<node file stem>_ids.csv``) links numbers to ids.

    Parameters
    ----------
    g : HabitatGraph
    node_file, connection_file : path-like
        Output files (replaced atomically).
    kind : {'probability', 'distance'}, default 'probability'
        Write the link probability (after border permeability, so Conefor's
        ``-confProb`` gives the same PC), or the distance (needs
        ``distance_m`` on every link).

    Returns
    -------
    dict of str to str
        Conefor id -> node id.
    """
    if kind not in ("distance", "probability"):
        raise ConfigError(f"option 'kind' is {kind!r}; choose 'distance' or 'probability'.")
    ids = g.ids
    numeric = all(s.lstrip("-").isdigit() for s in ids)
    cid = {nid: (nid if numeric else str(k + 1)) for k, nid in enumerate(ids)}
    col = "probability" if kind == "probability" else "distance_m"
    if col not in g.links.columns or g.links[col].isna().any():
        raise ConfigError(f"graph {g.name!r}: links lack '{col}'; write kind='probability' instead.")
    with atomic_path(node_file) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            for nid, cap in zip(ids, g.capacity):
                fh.write(f"{cid[nid]}\t{np.format_float_positional(cap, trim='-')}\n")
    with atomic_path(connection_file) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            for a, b, val in zip(g.links["i"], g.links["j"], g.links[col]):
                fh.write(f"{cid[str(a)]}\t{cid[str(b)]}\t{float(val)!r}\n")
    back = {v: k for k, v in cid.items()}
    if not numeric:
        mp = Path(node_file).with_name(Path(node_file).stem + "_ids.csv")
        with atomic_path(mp) as tmp:
            pd.DataFrame({"conefor_id": list(back), "id": list(back.values())}).to_csv(tmp, index=False)
    return back


__all__ = ["read_conefor", "write_conefor"]
