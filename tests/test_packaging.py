"""The project's setup files agree: pyproject.toml and environment.yml list the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# conda-forge spells a few packages differently from PyPI.
CONDA_NAMES = {"adjusttext": "adjusttext"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> tuple[set[str], set[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {_name(r) for r in data["project"]["dependencies"]}
    test = {_name(r) for r in data["project"]["optional-dependencies"]["test"]}
    return runtime, test


def _conda() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            names.add(_name(dep))
        else:  # the pip section: packages conda-forge lacks, and the project itself (-e .)
            names.update(_name(d) for d in dep.get("pip", []) if not d.startswith("-"))
    return names - {"python", "pip"}


def test_environment_yml_matches_pyproject():
    runtime, test = _pyproject()
    conda = _conda()
    assert {CONDA_NAMES.get(n, n) for n in runtime | test} == conda


def test_environment_yml_python_matches_requires_python():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == ["python=3.11"]
    assert data["project"]["requires-python"] == ">=3.11"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci
    assert "make test" in readme


def test_console_script_declared():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["scripts"]["corridors"] == "corridors.cli:main"
