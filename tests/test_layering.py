"""Data flows one way: a corridors module imports only modules above it in the layer order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "corridors"

#: The layers, bottom first (README, Architecture). ``cli`` sits on top of all.
LAYERS = [
    "_errors", "settings", "io", "raster", "borders", "sites", "programme", "rivers",
    "landscape", "sweep", "lcp", "linkages", "circuit", "network", "scoring", "plot", "report", "analyses", "scenario", "batch",
]

#: The engines: they compute on arrays, rasters, graphs and the user's files, and know nothing of the
#: programme's data, of drawing or of the command line (issue 11).
ENGINES = ("landscape", "sweep", "lcp", "linkages", "circuit", "network", "scoring")
#: What no engine may import.
NOT_FOR_ENGINES = ("sites", "programme", "plot", "report", "analyses", "scenario", "batch", "cli")


def _top_module(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return rel.parts[0]


def _imports(path: Path) -> set[str]:
    """corridors modules a file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "corridors":
            parts = node.module.split(".")
            found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("corridors."))
    return found


FILES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent.name != "cli" and p != PACKAGE / "__init__.py")


def test_every_module_has_a_layer():
    assert {_top_module(p) for p in FILES} == set(LAYERS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    own = _top_module(path)
    upward = sorted(m for m in _imports(path) - {own} if LAYERS.index(m) > LAYERS.index(own))
    assert upward == [], f"{path.name} ({own}) imports {upward}, which sit above it"


@pytest.mark.parametrize("path", [p for p in FILES if _top_module(p) in ENGINES], ids=lambda p: str(p.relative_to(PACKAGE)))
def test_engines_know_nothing_of_the_programme_plotting_or_the_cli(path):
    found = sorted(_imports(path) & set(NOT_FOR_ENGINES))
    assert found == [], f"{path.name} (an engine) imports {found}"

