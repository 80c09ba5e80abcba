"""Reading a user's YAML file so that every later error can name its line: one reader for scenarios, PVA parameters and costs.

:func:`read_yaml` reads the text (:func:`corridors.io.read_text`), composes
the document once to map every key path to its line, refuses duplicate keys
(which YAML silently collapses, keeping the last) and alias bombs, and
returns the data with that map; :func:`validation_error` turns pydantic's
first error into one sentence naming the file, the line and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from corridors._errors import ConfigError
from corridors.io.text import read_text

#: Most values a file may hold once its aliases (``*name``) are expanded; a real scenario holds a few
#: hundred. Nested aliases (a "billion laughs") expand exponentially: 9 levels of 9 would be 387 million
#: values, minutes and gigabytes for the line map and the validation.
MAX_VALUES = 100_000


class _TooBig(Exception):
    def __init__(self, line: int, recursive: bool) -> None:
        super().__init__(line, recursive)
        self.line, self.recursive = line, recursive


class _DuplicateKey(Exception):
    def __init__(self, path: tuple, line: int, first: int) -> None:
        super().__init__(path, line, first)
        self.path, self.line, self.first = path, line, first


def expanded_size(node: yaml.Node, memo: dict[int, int | None] | None = None) -> int:
    """The number of values a composed YAML document holds once its aliases are expanded, counted without expanding.

    Each node is counted once (an alias is the same node object as its
    anchor), so the time is linear in the file's length.

    Raises
    ------
    _TooBig
        With the line of the innermost node holding more than
        :data:`MAX_VALUES` values, or of a node that contains itself.
    """
    memo = {} if memo is None else memo
    key = id(node)
    if key in memo:
        if memo[key] is None:
            raise _TooBig(node.start_mark.line + 1, recursive=True)
        return memo[key]  # type: ignore[return-value]
    memo[key] = None
    children: list = []
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    size = 1 + sum(expanded_size(c, memo) for c in children)
    if size > MAX_VALUES:
        raise _TooBig(node.start_mark.line + 1, recursive=False)
    memo[key] = size
    return size


def line_map(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every key path of a composed YAML document to its 1-based line.

    Keys of a mapping map to the line of the key; the mapping or sequence
    itself to the line where it starts. A duplicate key raises
    ``_DuplicateKey`` (the first value would vanish without a word).
    """
    if out is None:
        out = {}
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for k, v in node.value:
            key = k.value
            if key in seen:
                raise _DuplicateKey(path + (key,), k.start_mark.line + 1, seen[key])
            seen[key] = k.start_mark.line + 1
            out[path + (key,)] = k.start_mark.line + 1
            line_map(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out[path + (i,)] = v.start_mark.line + 1
            line_map(v, path + (i,), out)
    return out


def dotted(loc: tuple) -> str:
    """A key path as written in messages: ``interventions[0].measure``."""
    out = ""
    for el in loc:
        out += f"[{el}]" if isinstance(el, int) else (f".{el}" if out else str(el))
    return out


def read_yaml(path: str | os.PathLike, *, what: str, empty_hint: str) -> tuple[Any, dict[tuple, int], yaml.Node]:
    """Read a YAML file with the line of every key.

    Parameters
    ----------
    path : path-like
    what : str
        What the file is, for the not-found message (e.g. "scenario file").
    empty_hint : str
        What an empty file should hold (e.g. "a scenario needs at least 'name:'").

    Returns
    -------
    (object, dict, yaml.Node)
        The data (``yaml.safe_load``), key path -> line, and the composed document.

    Raises
    ------
    ConfigError
        Missing file, not YAML, empty, a key given twice, or aliases that
        expand too far; the message names the file and the line.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: {what} not found; check the path.")
    text = read_text(p, ConfigError)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{p}{line}: not valid YAML ({problem}); fix the indentation or quoting there.") from None
    if node is None:
        raise ConfigError(f"{p}, line 1: the file is empty; {empty_hint}.")
    try:
        expanded_size(node)
    except _TooBig as big:
        why = ("an alias (*name) refers to the value that contains it" if big.recursive else
               f"its aliases (*name) expand to more than {MAX_VALUES:,} values")
        raise ConfigError(f"{p}, line {big.line}: {why}; write the values out instead of nesting aliases.") from None
    try:
        lines = line_map(node)
    except _DuplicateKey as dup:
        raise ConfigError(
            f"{p}, line {dup.line}, key '{dotted(dup.path)}': given twice (first on line {dup.first}); keep one."
        ) from None
    data = yaml.safe_load(text)  # the document is known to be small and valid by now
    return data, lines, node


def validation_error(source: object, exc: ValidationError, lines: Mapping[tuple, int]) -> ConfigError:
    """One sentence for pydantic's first error: the file, the line, the key and the fix.

    Parameters
    ----------
    source : object
        The file (as the user named it).
    exc : pydantic.ValidationError
    lines : mapping
        Key path -> line (:func:`read_yaml`).

    Returns
    -------
    ConfigError
    """
    errors = exc.errors(include_url=False)
    # a misspelt key shows up as a missing key and an unknown one: name the misspelling, which is the fix
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(el for el in err["loc"] if not (isinstance(el, str) and el.startswith(("function-", "literal["))))
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    line = f", line {lines[probe]}" if probe in lines else ""
    kind = err["type"]
    if kind == "missing":
        hint = "required key missing; add it"
    elif kind == "extra_forbidden":
        hint = "unknown key; remove it or fix its spelling"
    else:
        msg = err["msg"].removeprefix("Value error, ")
        hint = msg[0].lower() + msg[1:]
    value = ""
    if kind not in ("missing", "extra_forbidden") and not isinstance(err.get("input"), (dict, list)):
        if repr(err.get("input")) not in hint:
            value = f" (got {err.get('input')!r})"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return ConfigError(f"{source}{line}, key '{dotted(loc) or '(top level)'}': {hint}{value}{more}.")
