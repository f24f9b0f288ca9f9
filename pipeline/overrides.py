"""The study's config as a run sees it: config.yaml, each ``--configfile``, then ``--config``,
coerced to the schema's types and validated, every mistake one short message.

Snakemake merges every ``--configfile`` and ``--config`` into one mapping and reads
``--config`` values as YAML strings (``seeds=[0,1]`` arrives as ``['0', '1']``); PyYAML reads
``1e-4`` in a file as a string (YAML 1.1 wants ``1.0e-4``). Here:

- a config file holding ``study:`` is a whole study and replaces the study in force (the
  paper's config, the SLURM profile's); one without it overlays the study in force:
  mappings merged key by key, lists and values replaced (Snakemake's own ``--configfile``);
- ``--config`` overlays the result the same way;
- a string where the schema wants a number, integer, boolean or null becomes one when it
  reads as one (and a number where it wants a string becomes its text): the schema, not the
  YAML loader, decides a value's type;
- the schema's defaults are filled in (as ``snakemake.utils.validate`` does) and a mistake
  is reported from jsonschema's own error (its path, validator and validator value) as the
  key, the value and what is allowed, without the schema.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from pipeline.config_schema import schema
from pipeline.resolve import ConfigError

STUDY_KEY = "study"  # a config file holding it is a whole study
_NONE = object()  # no coercion applies


def merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overlay`` on top: mappings merged key by key, anything else replaced."""
    merged = {key: copy.deepcopy(value) for key, value in base.items()}
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = _plain(value)
    return merged


def _plain(value: Any) -> Any:
    """Plain dicts and lists (Snakemake hands ``--config`` as an immutable map)."""
    if isinstance(value, Mapping):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def study_config(
    default: Path, configfiles: Sequence[Path | str], cli: Mapping[str, Any]
) -> dict[str, Any]:
    """The config a run uses: ``default``, each file in order (a whole study replaces, an
    overlay merges), then the ``--config`` values; coerced, defaults filled, validated."""
    from snakemake.common.configfile import load_configfile

    config = None  # the default is read only if no whole study replaces it
    for path in configfiles:
        given = load_configfile(path)
        if STUDY_KEY in given:
            config = _plain(given)
        else:
            config = merge(load_configfile(default) if config is None else config, given)
    config = merge(load_configfile(default) if config is None else config, cli)
    validate(config)
    return config


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return _NONE
    return value if math.isfinite(value) else _NONE


def _as_type(value: Any, kind: str) -> Any:
    """``value`` as the JSON type ``kind`` when it reads as one (YAML 1.2's core forms)."""
    if isinstance(value, str):
        if kind == "integer":
            number = _number(value)
            return number if isinstance(number, int) else _NONE
        if kind == "number":
            return _number(value)
        if kind == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind == "null" and value in ("", "~", "null", "Null", "NULL"):
            return None
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _NONE


def _coerced(error: ValidationError) -> Any:
    """The value that mends a type (or enum) error, or ``_NONE``."""
    if error.validator == "type":
        kinds = error.validator_value
        for kind in [kinds] if isinstance(kinds, str) else kinds:
            value = _as_type(error.instance, kind)
            if value is not _NONE:
                return value
    if error.validator == "enum" and isinstance(error.instance, str):
        for choice in error.validator_value:
            kind = {bool: "boolean", int: "integer", float: "number"}.get(type(choice))
            if kind and _as_type(error.instance, kind) == choice:
                return choice
    return _NONE


def _errors_within(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    for error in errors:
        yield error
        yield from _errors_within(error.context or [])


def coerce(config: dict[str, Any], validator: Draft202012Validator) -> None:
    """Retype, in place, the values the schema wants as another type they read as (found
    from the validator's own type errors, so ``$ref``, ``oneOf`` and every nesting count)."""
    for _ in range(8):  # a coerced value may expose a nested one (a oneOf branch)
        changed = False
        for error in _errors_within(validator.iter_errors(config)):
            value = _coerced(error)
            *parents, last = error.absolute_path or [None]
            node: Any = config
            for key in parents:
                node = node[key]
            # errors of propertyNames point at the mapping, not at the key: leave those
            if last is not None and node[last] is error.instance and value is not _NONE:
                node[last] = value
                changed = True
        if not changed:
            return


def _with_defaults(validator_class: type) -> type:
    """The validator ``snakemake.utils.validate`` uses: it fills in the schema's defaults."""
    properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, props, instance, schema_):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from properties(validator, props, instance, schema_)

    return validators.extend(validator_class, {"properties": set_defaults})


def validate(config: dict[str, Any]) -> None:
    """Coerce ``config`` to the schema's types, fill in its defaults, and raise
    :class:`ConfigError` with one short message if it is still invalid."""
    full = schema()
    coerce(config, Draft202012Validator(full))
    errors = list(_with_defaults(Draft202012Validator)(full).iter_errors(config))
    if errors:
        first = best_match(errors)
        others = sorted({_key(e) for e in errors} - {_key(first)})
        more = f" (also: {', '.join(others[:5])}{', ...' if len(others) > 5 else ''})"
        raise ConfigError(message(first) + (more if others else ""))


def _dotted(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _key(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if "propertyNames" in error.absolute_schema_path:
        path.append(error.instance)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        path.append(_unknown(error)[0])
    if error.validator == "required" and isinstance(error.instance, dict):
        path.append(next(k for k in error.validator_value if k not in error.instance))
    return f"'{_dotted(path)}'"


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unknown(error: ValidationError) -> list[str]:
    known = error.schema.get("properties", {})
    return [k for k in error.instance if k not in known] or ["?"]


def _choices(values: Iterable[Any]) -> str:
    return ", ".join(_show(v, 30) for v in values)


_BOUNDS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
_SIZES = {
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minLength": "at least {} characters",
    "minProperties": "at least {} keys",
}
_TYPES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def message(error: ValidationError) -> str:
    """One line: the config key, its value and what is allowed there."""
    alternative = error if error.validator == "oneOf" else error.parent
    if alternative is not None and alternative.validator == "oneOf":
        named = [option.get("required", []) for option in alternative.validator_value]
        if all(len(names) == 1 for names in named):  # e.g. the run's length: epochs or steps
            keys = [names[0] for names in named]
            given = [k for k in keys if k in alternative.instance] or ["none"]
            return (
                f"config key {_key(alternative)} sets {' and '.join(given)}; "
                f"allowed: exactly one of {', '.join(keys)}"
            )
    key, rule, value = _key(error), error.validator, error.validator_value
    where = f"config key {key}"
    if rule == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        hint = " (YAML needs a space after the colon: 'key: value')" if ":" in key else ""
        return f"{where} is not a known key{hint}; allowed: {', '.join(allowed)}"
    if rule == "required":
        return f"{where} is missing; required here: {', '.join(value)}"
    shown = _show(error.instance)
    if rule == "type":
        kinds = [value] if isinstance(value, str) else value
        return f"{where}: {shown} is not {' or '.join(_TYPES.get(k, k) for k in kinds)}"
    if rule in ("enum", "const"):
        allowed = _choices(value if rule == "enum" else [value])
        return f"{where}: {shown} is not allowed; allowed: {allowed}"
    if rule in _BOUNDS:
        return f"{where}: {shown} is out of range; allowed: {_BOUNDS[rule]} {value}"
    if rule in _SIZES:
        return f"{where}: {shown} is too short; allowed: {_SIZES[rule].format(value)}"
    if rule == "uniqueItems":
        return f"{where}: {shown} repeats an item; allowed: distinct items"
    if rule == "pattern":
        return f"{where}: {shown} does not match; allowed: text matching {value}"
    if rule == "oneOf":
        options = " | ".join(_show(option, 40) for option in value)
        return f"{where}: {shown} fits more than one of these; allowed: exactly one of {options}"
    return f"{where}: {_show(error.message, 200)}"
