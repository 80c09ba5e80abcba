"""Options shared by several ``corridors`` commands, defined once so their spelling, types and help agree."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import click

from corridors import settings
from corridors.io.files import check_output_folder


def outdir_option(default: Path | None, help: str, *, replace: bool = False) -> Any:
    """``-o/--outdir``: a folder (created if missing), with the command's own default and help.

    The folder is checked before the command computes anything
    (:func:`corridors.io.check_output_folder`): one holding files corridors
    did not write, a file, or a place that cannot be written stops the
    command with one line naming it.

    Parameters
    ----------
    default : pathlib.Path or None
        Default folder; None when the command derives it (the help then says how).
    help : str
        What the command writes there.
    replace : bool, default False
        The command replaces the folder as a whole (``corridors run``).
    """
    def check(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is not None and not ctx.resilient_parsing:
            check_output_folder(value, replace=replace)
        return value

    return click.option("-o", "--outdir", type=click.Path(file_okay=False, path_type=Path), default=default,
                        show_default=default is not None, callback=check,
                        help=help + " It must be new, empty or an earlier output of corridors.")


def is_quiet(ctx: click.Context) -> bool:
    """Whether ``corridors --quiet`` (``-q``) was given: then a command prints nothing but errors.

    Parameters
    ----------
    ctx : click.Context
        The context of the running command (the flag lives on the root group).
    """
    return bool((ctx.find_root().obj or {}).get("quiet"))


def input_file_option(flag: str, name: str, help: str) -> Any:
    """``FLAG PATH`` (parameter ``name``, default None): a file of the user's instead of the bundled or built one.

    Parameters
    ----------
    flag : str
        The option, e.g. ``"--rivers"``.
    name : str
        The parameter the command receives, e.g. ``"rivers_path"``.
    help : str
        What the file holds and what is used without it.
    """
    return click.option(flag, name, type=click.Path(dir_okay=False, path_type=Path), default=None, help=help)


#: ``--sites``: a sites file of the bundled schema instead of data/sites.geojson.
sites_option = input_file_option(
    "--sites", "sites_path",
    "Sites file of the data/sites.geojson schema (GeoJSON, GeoPackage, Shapefile); default: the bundled sites.",
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


#: Help of ``--memory-limit`` on the commands that run cost distance.
COST_DISTANCE_MEMORY_HELP = (
    "Memory one cost-distance run may use, e.g. 4GB or 500MB (K/M/G/T are powers of 1024; a plain number is bytes). "
    "It picks the engine: scikit-image's MCP (about 77 bytes per cell) when that fits, else the exact row sweep "
    "(about 18 bytes per cell, the same results). Default: MCP up to a 4 GiB budget (about 7470 x 7470 cells) "
    "and the memory available, the sweep above."
)

#: Help of ``--memory-limit`` on the commands that solve a circuit.
CIRCUIT_MEMORY_HELP = (
    "Memory the circuit solve may use, e.g. 4GB or 500MB (K/M/G/T are powers of 1024; a plain number is bytes); "
    "a grid whose estimated need is larger is refused before it is built. Default: the memory available now."
)


def memory_limit_option(help: str = COST_DISTANCE_MEMORY_HELP) -> Any:
    """``--memory-limit SIZE`` (bytes, parameter ``memory_limit``), the one spelling of every command that computes a surface.

    Parameters
    ----------
    help : str
        What the limit governs in this command (default: the cost-distance engine).
    """
    return click.option("--memory-limit", type=MemorySize(), default=None, metavar="SIZE", help=help)


#: ``--memory-limit`` of every command that runs cost distance.
memory_limit_opt = memory_limit_option()


# ------------------------------------------------------------------ options several commands share
#: ``--no-map``: skip the command's map.
no_map_option = click.option("--no-map", is_flag=True, help="Skip the map.")

#: ``--id-field``: the column of core ids in ``--cores``.
id_field_option = click.option("--id-field", default="id", show_default=True, help="Column of core ids in --cores.")

#: ``--core-radius-km``: the core drawn around a point site.
core_radius_option = click.option("--core-radius-km", type=float, default=5.0, show_default=True,
                                  help="Radius of the core around a point site.")


def resistance_option(help: str = "A resistance GeoTIFF/ASCII grid in a projected CRS (metres), used as is; one without a CRS "
                                  "takes the cores' (default: built from data/resistance.yml "
                                  f"at {settings.DEFAULT_RESOLUTION_M / 1000:g} km).") -> Any:
    """``--resistance PATH`` (parameter ``resistance_path``): a resistance grid instead of the one the command builds.

    Parameters
    ----------
    help : str
        What the command does with it and its default.
    """
    return input_file_option("--resistance", "resistance_path", help)


def truncate_option(help: str = "Corridor width: cells within this cost-weighted distance of the least-cost path, "
                                "in cost-weighted metres.") -> Any:
    """``--truncate`` (cost-weighted metres, default 200 000): the corridor width of a least-cost run.

    Parameters
    ----------
    help : str
        The command's help text.
    """
    return click.option("--truncate", type=float, default=200_000.0, show_default=True, help=help)


def cores_option(help: str = "Your core areas (GeoJSON/GPKG/SHP) instead of the bundled sites.") -> Any:
    """``--cores PATH`` (parameter ``cores_path``): the user's core areas; ids from ``--id-field``.

    Parameters
    ----------
    help : str
        What the command runs between them.
    """
    return input_file_option("--cores", "cores_path", help)


def site_kinds_option(default: str | None, help: str) -> Any:
    """``--network KIND[,KIND]`` (parameter ``kinds``): the bundled sites of these kinds as cores.

    Parameters
    ----------
    default : str or None
        The kinds by default (None: the command's own choice).
    help : str
        The command's help text.
    """
    return click.option("--network", "kinds", default=default, show_default=default is not None, metavar="KIND[,KIND]", help=help)


def resolution_option(help: str = f"Cell size in metres (default {settings.DEFAULT_RESOLUTION_M:g}).") -> Any:
    """``--resolution`` (metres, > 0; None: ``settings.DEFAULT_RESOLUTION_M``), the cell size of a surface the command builds.

    Parameters
    ----------
    help : str
        The command's help text.
    """
    return click.option("--resolution", type=click.FloatRange(min=0, min_open=True), default=None, help=help)


# ------------------------------------------------------------------ console tables
def format_number(value: float, digits: int = 3) -> str:
    """A number for a console table: ``digits`` significant figures, thousands separated, never in e-notation.

    The programme's corridors run to thousands of kilometres and a user's
    grid of 100 m cells to a few: ``format_number(1051.4)`` is ``'1,051'``,
    ``format_number(5.283)`` ``'5.28'``, ``format_number(0.09666)``
    ``'0.0967'``, where a fixed ``.0f`` printed ``5`` and ``.4g`` printed ``1.951e+04``.

    Parameters
    ----------
    value : float
    digits : int, default 3
        Significant figures kept after the decimal point (whole numbers keep all their digits).

    Returns
    -------
    str
        ``''`` for NaN (a missing value), ``'inf'`` / ``'-inf'`` as such.
    """
    v = float(value)
    if math.isnan(v):
        return ""
    if math.isinf(v) or v == 0:
        return f"{v:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:,.{decimals}f}"
