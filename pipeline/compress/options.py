"""A compression method's own options: a frozen dataclass the method declares, one typed and
defaulted field per hyper-parameter (OWL's lambda and M, a Wanda variant's group size).

The config names them under ``compression.options.<method>``; the config schema's block for
each method is derived from the dataclass (:func:`json_schema`), so a misspelt key or a
value of the wrong type names the key and the allowed values before any job starts. Options
that differ from their defaults become part of the compression label (:func:`options_tag`,
``paths.compression_label``), so two option sets never share a mask or a run folder; the
defaults add nothing, so a method that gains an option keeps its existing outputs.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, Literal

from pipeline.paths import OPTIONS_SEP, compression_label, fmt

# A tag value is part of a path and of a shell word: letters, digits, "_" and ".".
_PATH_SAFE = re.compile(r"^[A-Za-z0-9_.]+$")
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """The options of a method that takes none."""


def _field_types(options_class: type) -> dict[str, Any]:
    hints = typing.get_type_hints(options_class)
    return {f.name: hints[f.name] for f in dataclasses.fields(options_class)}


def json_schema(options_class: type) -> dict[str, Any]:
    """The config schema of ``compression.options.<method>``: one typed, defaulted property
    per field; a ``Literal[...]`` field is an enum."""
    properties = {}
    for field in dataclasses.fields(options_class):
        kind = _field_types(options_class)[field.name]
        if typing.get_origin(kind) is Literal:
            spec: dict[str, Any] = {"enum": list(typing.get_args(kind))}
        elif kind in _JSON_TYPES:
            spec = {"type": _JSON_TYPES[kind]}
        else:
            raise TypeError(
                f"option {options_class.__name__}.{field.name}: type {kind!r}; allowed: "
                f"{sorted(t.__name__ for t in _JSON_TYPES)} or a Literal"
            )
        properties[field.name] = {**spec, "default": field.default}
    return {"type": "object", "additionalProperties": False, "properties": properties}


def parse_options(options_class: type, raw: dict[str, Any], key: str) -> Any:
    """The typed options from a config block; ValueError naming ``key.<field>`` and what is
    allowed (the same rules as the schema, for callers that bypass it: verbs, tests)."""
    types = _field_types(options_class)
    for name, value in raw.items():
        if name not in types:
            raise ValueError(f"config key '{key}.{name}': unknown option; allowed: {sorted(types)}")
        kind = types[name]
        if not _fits(kind, value):
            literal = typing.get_origin(kind) is Literal
            shown = list(typing.get_args(kind)) if literal else f"a {kind.__name__}"
            raise ValueError(f"config key '{key}.{name}': {value!r}; allowed: {shown}")
    values = {n: float(v) if types[n] is float else v for n, v in raw.items()}
    return options_class(**values)


def _fits(kind: Any, value: Any) -> bool:
    if typing.get_origin(kind) is Literal:
        return value in typing.get_args(kind)
    if isinstance(value, bool):  # a bool is an int to Python, not to the config
        return kind is bool
    if kind is float:  # YAML writes 1.0 as 1
        return isinstance(value, int | float)
    return isinstance(value, kind)


def options_tag(options: Any) -> str:
    """``+name=value`` for each option that differs from its default, in field order: what a
    compression label adds so that option sets never share an output ("" for defaults)."""
    parts = []
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if value == field.default:
            continue
        shown = fmt(value) if isinstance(value, float) else str(value).lower()
        if not _PATH_SAFE.match(shown):
            raise ValueError(
                f"option {field.name}={value!r} is not path-safe; allowed: letters, digits, _ ."
            )
        parts.append(f"{OPTIONS_SEP}{field.name}={shown}")
    return "".join(parts)


def configured_options(config: dict[str, Any], method: Any) -> Any:
    """The options ``compression.options.<method>`` of a study's config gives ``method``."""
    return method.parse_options(config["compression"].get("options", {}).get(method.name, {}))


def configured_label(config: dict[str, Any], method: Any, level: str) -> str:
    """The compression label of ``method`` at path ``level`` under the config's options."""
    return compression_label(method.name, level, options_tag(configured_options(config, method)))
