"""Reading a scenario file and locating its errors: every message names the file, the line and the key.

:func:`load_scenario` reads the YAML with the line of every key
(:func:`corridors.io.yamldoc.read_yaml`: duplicate keys and alias bombs
refused), then validates with :class:`corridors.scenario.schema.Scenario`;
:func:`_format_error` turns pydantic's first error into one sentence with a hint.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from corridors._errors import ConfigError
from corridors.io.yamldoc import read_yaml
from corridors.io.yamldoc import dotted as _dotted
from corridors.scenario.schema import INTERVENTION_TYPES, PVA_ACTION_TYPES, Scenario


def _keep_raw_measures(node: yaml.Node, data: Any) -> None:
    """Put back the text of every ``measure:`` value as written.

    YAML reads ``measure: 2.10`` as the float 2.1, which is another measure;
    the composed node still holds the characters the user typed.
    """
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        for k, v in node.value:
            if k.value not in data:
                continue
            if k.value == "measure" and isinstance(v, yaml.ScalarNode):
                data[k.value] = v.value
            else:
                _keep_raw_measures(v, data[k.value])
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for v, d in zip(node.value, data):
            _keep_raw_measures(v, d)


def _clean_loc(loc: tuple, lines: dict[tuple, int]) -> tuple:
    """Drop pydantic's union-tag steps (e.g. 'corridor_restoration') that are not YAML keys."""
    out: tuple = ()
    for i, el in enumerate(loc):
        if (out + (el,)) in lines:
            out = out + (el,)
        elif isinstance(el, str) and el in _tags(loc) and i > 0 and isinstance(loc[i - 1], int):
            continue
        elif el == "[key]":
            continue
        elif isinstance(el, str) and el.startswith(("function-", "tuple[", "list[", "dict[", "str", "float", "int")):
            continue
        else:
            out = out + (el,)
    return out


def _tags(loc: tuple) -> dict[str, type[BaseModel]]:
    """The union tags a key path can hold: the pva section's action types, else the intervention types."""
    return PVA_ACTION_TYPES if loc[:2] == ("pva", "actions") else INTERVENTION_TYPES  # type: ignore[return-value]


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model whose fields a key path points into (for 'allowed keys' hints)."""
    model: Any = Scenario
    for el in loc[:-1]:
        if isinstance(el, int):
            continue
        if isinstance(model, type) and issubclass(model, BaseModel) and el in model.model_fields:
            ann = model.model_fields[el].annotation
            model = _unwrap(ann)
        elif el in _tags(loc):
            model = _tags(loc)[el]
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(ann: Any) -> Any:
    for _ in range(6):
        origin = typing.get_origin(ann)
        if origin is Annotated:
            ann = typing.get_args(ann)[0]
        elif origin in (list, Union, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) == 1:
                ann = args[0]
            else:
                return None  # a union of models: resolved by the tag step
        else:
            break
    return ann


def _hint(err: dict, loc: tuple) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(tuple(err["loc"]))
        allowed = ", ".join(f.alias or k for k, f in model.model_fields.items() if k != "source_path") if model else ""
        return f"unknown key; remove it or fix its spelling (allowed here: {allowed})"
    if kind == "missing":
        return "required key missing; add it"
    what = "pva action" if tuple(err["loc"])[:2] == ("pva", "actions") else "intervention"
    if kind == "union_tag_invalid":
        tag = (err.get("ctx") or {}).get("tag", "")
        return f"unknown {what} type {tag!r}; use one of {', '.join(_tags(tuple(err['loc'])))}"
    if kind == "union_tag_not_found":
        return f"{what} has no 'type'; add one of {', '.join(_tags(tuple(err['loc'])))}"
    msg = err["msg"]
    msg = re.sub(r"^(Value error|Assertion failed), ", "", msg)
    return msg[0].lower() + msg[1:] if msg else kind


def _format_error(path: object, exc: ValidationError, lines: dict[tuple, int]) -> str:
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = _clean_loc(tuple(err["loc"]), lines)
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    line = lines.get(probe, 1)
    key = _dotted(loc) or "(top level)"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    value = ""
    if err["type"] not in ("missing", "extra_forbidden") and "input" in err and not isinstance(err["input"], (dict, list)):
        if repr(err["input"]) not in err["msg"]:
            value = f" (got {err['input']!r})"
    return f"{path}, line {line}, key '{key}': {_hint(err, loc)}{value}{more}."


def scenario_from_dict(
    data: dict, source: object = "<scenario>", base_dir: Path | None = None, lines: dict[tuple, int] | None = None
) -> Scenario:
    """Validate a scenario given as a mapping (as read from YAML).

    Parameters
    ----------
    data : dict
        The scenario's keys.
    source : object, default '<scenario>'
        Name used in error messages (the file).
    base_dir : path-like, optional
        Folder relative paths start from (default: current directory).
    lines : dict, optional
        Key path to line number, from the YAML file; used in error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        One sentence naming the file, line, key and what would fix it.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}, line 1: a scenario must be a YAML mapping of keys (name:, landscape: ...).")
    try:
        model = Scenario.model_validate(data, context={"base_dir": Path(base_dir) if base_dir else Path.cwd()})
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc, lines or {})) from None
    model._label = str(source)
    model._lines = dict(lines or {})
    return model


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path : path-like
        The scenario file. Relative paths inside it start from its folder.

    Returns
    -------
    Scenario
        With ``source_path`` set to the file.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid YAML, or a key is wrong: the
        message names the file, the line and the key (e.g.
        ``scenarios/x.yml, line 12, key 'interventions[0].measure': unknown measure '9.9' ...``).
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: scenario file not found; check the path (see scenarios/ for examples).")
    data, lines, node = read_yaml(p, what="scenario file", empty_hint="a scenario needs at least 'name:'")
    _keep_raw_measures(node, data)
    model = scenario_from_dict(data, source=p, base_dir=p.parent, lines=lines)
    model.source_path = p.resolve()
    return model

