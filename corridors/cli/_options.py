"""Options shared by several ``corridors`` commands, defined once so their spelling, types and help agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click


def outdir_option(default: Path | None, help: str) -> Any:
    """``-o/--outdir``: a folder (created if missing), with the command's own default and help.

    Parameters
    ----------
    default : pathlib.Path or None
        Default folder; None when the command derives it (the help then says how).
    help : str
        What the command writes there.
    """
    return click.option("-o", "--outdir", type=click.Path(file_okay=False, path_type=Path), default=default,
                        show_default=default is not None, help=help)


#: ``--sites``: a sites file of the bundled schema instead of data/sites.geojson.
sites_option = click.option(
    "--sites",
    "sites_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sites file of the data/sites.geojson schema (GeoJSON, GeoPackage, Shapefile); default: the bundled sites.",
)


#: Multipliers of the units ``--memory-limit`` accepts (case-insensitive): K, M, G, T are powers of 1024,
#: with or without B or iB (4GB = 4G = 4GiB = 4 x 2**30 bytes, as the peak-memory figures of the benchmarks).
_SIZE_UNITS = {"": 1, "b": 1}
for _i, _u in enumerate("kmgt", start=1):
    _SIZE_UNITS.update({_u: 1024**_i, _u + "b": 1024**_i, _u + "ib": 1024**_i})


class MemorySize(click.ParamType):
    """A number of bytes written as ``4GB``, ``500MB``, ``1.5G`` or ``4000000000`` (K, M, G, T are powers of 1024)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Bytes as an int; a clear usage error naming the option otherwise."""
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*", str(value))
        unit = m.group(2).lower() if m else ""
        if m is None or unit not in _SIZE_UNITS:
            self.fail(f"{value!r} is not a memory size; write e.g. 4GB, 500MB or a number of bytes "
                      "(K, M, G, T are powers of 1024).", param, ctx)
        n = int(float(m.group(1)) * _SIZE_UNITS[unit])
        if n < 1:
            self.fail(f"{value!r} is not a positive memory size; write e.g. 4GB or 500MB.", param, ctx)
        return n


#: ``--memory-limit`` of every command that runs cost distance.
memory_limit_opt = click.option(
    "--memory-limit", type=MemorySize(), default=None, metavar="SIZE",
    help="Memory one cost-distance run may use, e.g. 4GB or 500MB (K/M/G/T are powers of 1024; a plain number is bytes). "
         "It picks the engine: scikit-image's MCP (about 77 bytes per cell) when that fits, else the exact row sweep "
         "(about 18 bytes per cell, the same results). Default: MCP up to a 4 GiB budget (about 7470 x 7470 cells) "
         "and the memory available, the sweep above.",
)
