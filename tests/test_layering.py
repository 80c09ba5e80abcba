"""Data flows one way: a corridors module imports only modules above it in the layer order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "corridors"

#: The layers, bottom first (README, Architecture). ``cli`` sits on top of all.
LAYERS = [
    "_errors", "settings", "cluster", "io", "raster", "borders", "sites", "programme", "rivers",
    "landscape", "sweep", "lcp", "linkages", "circuit", "omniscape", "network", "pva", "restore", "scoring", "portfolio", "plot", "report", "web", "analyses", "scenario", "batch",
]

#: The engines: they compute on arrays, rasters, graphs and the user's files, and know nothing of the
#: programme's data, of drawing or of the command line (issue 11).
ENGINES = ("landscape", "sweep", "lcp", "linkages", "circuit", "omniscape", "network", "pva", "restore", "scoring",
           "portfolio")
#: What no engine may import.
NOT_FOR_ENGINES = ("sites", "programme", "plot", "report", "web", "analyses", "scenario", "batch", "cli")


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



def _local_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a corridors module inside a function, with no comment saying why.

    The reason is a comment in the lines just above the import (or above the block of imports it
    belongs to), e.g. "# Local: corridors.lcp loads scikit-image ... (python -X importtime)".
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for fn in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            mod = None
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "corridors":
                mod = node.module
            elif isinstance(node, ast.Import) and any(a.name.startswith("corridors") for a in node.names):
                mod = node.names[0].name
            if mod is None:
                continue
            i = node.lineno - 2  # the line above, 0-based
            # walk up over the block of imports this one belongs to (and blank lines) to the line before it
            while i >= 0 and (not lines[i].strip() or lines[i].strip().startswith(("from ", "import ", ")"))
                              or not lines[i].strip().startswith("#") and lines[i].strip().endswith(",")):
                i -= 1
            if i < 0 or not lines[i].strip().startswith("#") and "# " not in lines[node.lineno - 1]:
                out.append((node.lineno, mod))
    return out


ALL_FILES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_local_import_of_the_package_says_why(path):
    # issue 11: imports at the top show what depends on what; one inside a function needs its measured reason
    assert _local_imports(path) == [], f"{path.name}: import inside a function without a comment saying why"
