"""The ``corridors`` command: a thin shell over the library, one subcommand per capability."""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import threading
import warnings
from collections.abc import Iterator

import click

from corridors._errors import CorridorsError


class _Group(click.Group):
    """A click group that turns CorridorsError into one line on stderr and exit status 1.

    An OSError of the file system (a file where a folder is needed, no
    permission, disk full) is reported the same way, naming the path.

    Python warnings (e.g. a Shapefile field cut at 254 characters) are shown
    the same way, as one ``warning: ...`` line without the source file and
    line of the code that raised them; ``--debug`` keeps Python's format.
    """

    def invoke(self, ctx: click.Context):  # noqa: D102 - click API
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            with warnings.catch_warnings(), sigterm_as_exception():
                if not debug:
                    warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except Terminated:
            if debug:
                raise
            click.echo("error: stopped by SIGTERM; outputs being written were discarded, earlier ones are intact.", err=True)
            sys.exit(128 + signal.SIGTERM)
        except CorridorsError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:
            # The file system refused a read or write (a file where a folder should be, no permission,
            # disk full): the user's environment, not a defect, so one line naming the path like any error.
            if debug or exc.strerror is None:
                raise
            name = exc.filename if exc.filename is not None else "output"
            click.echo(f"error: {name}: {exc.strerror}; check the path (a file where a folder is needed?), "
                       "its permissions and the free disk space.", err=True)
            sys.exit(1)


    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102 - click API
        return sorted(set(self.commands) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:  # noqa: D102 - click API
        if name not in self.commands and name in _COMMANDS:
            module, attr = _COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return self.commands.get(name)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM (see :func:`sigterm_as_exception`)."""


@contextlib.contextmanager
def sigterm_as_exception() -> Iterator[None]:
    """Turn SIGTERM into a :class:`Terminated` exception while the block runs, so that cleanups run.

    SIGTERM is what ``timeout``, batch schedulers and ``docker stop`` send;
    Python's default is to die at once, leaving the hidden temporary folders
    of an output half-written. As an exception (a KeyboardInterrupt, as for
    Ctrl-C) it unwinds the stack: every ``finally`` runs, so staged outputs
    are removed and the previous output stays in place. Outside the main
    thread (signals can only be handled there) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or chatter, only errors.")
@click.version_option(package_name="corridors")
@click.pass_context
def main(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """Habitat and corridor analysis for the Bukhara deer work programme 2025-2032.

    Every subcommand works on the bundled programme data by default and on
    your own files when you name them. Exit status: 0 success, 1 data or
    option error (one line naming the file, feature and field), 2 usage error.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["quiet"] = quiet


# --- subcommands (one module each under corridors/cli/) -----------------------
# Each entry names the module and the click command of one subcommand. They are imported only when
# a command is run or listed: importing them all cost +0.7 s at the start of every command (geopandas
# and the landscape engine for `corridors circuit run`, which needs neither).
_COMMANDS: dict[str, tuple[str, str]] = {
    "map": ("corridors.cli.map", "map_cmd"),
    "rivers": ("corridors.cli.rivers", "rivers_cmd"),
    "resistance": ("corridors.cli.lcp", "resistance_cmd"),
    "linkages": ("corridors.cli.lcp", "linkages_cmd"),
    "sites": ("corridors.cli.sites", "sites_cmd"),
    "run": ("corridors.cli.scenario", "run_cmd"),
    "batch": ("corridors.cli.scenario", "batch_cmd"),
    "circuit": ("corridors.cli.circuit", "circuit_cmd"),
    "omniscape": ("corridors.cli.omniscape", "omniscape_cmd"),
    "restore": ("corridors.cli.restore", "restore_cmd"),
    "pva": ("corridors.cli.pva", "pva_cmd"),
    "portfolio": ("corridors.cli.portfolio", "portfolio_cmd"),
    "network": ("corridors.cli.network", "network_cmd"),
    "programme": ("corridors.cli.programme", "programme_cmd"),
    "web": ("corridors.cli.web", "web_cmd"),
}
