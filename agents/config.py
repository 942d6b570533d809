"""Typed config dataclasses: presets, ``--set key=value`` overrides and JSON round trips."""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from agents.errors import DojoError

ConfigT = TypeVar("ConfigT")
PRESETS_FILE = Path(__file__).with_name("presets.toml")


def load_presets() -> dict[str, dict[str, dict[str, Any]]]:
    """The tuned presets: ``{agent: {env_id or "default": {field: value}}}``."""
    with PRESETS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def preset_for(agent: str, env_id: str, variant: str | None = None) -> tuple[str, dict[str, Any]]:
    """The preset name used and its field values for (agent, env); 'default' where the env has none.

    A variant (``--preset strong``) is the table ``"<env_id>:<variant>"``; ``default`` is the agent's own defaults.
    """
    table = load_presets().get(agent, {})
    if variant == "default":
        return "default", dict(table.get("default", {}))
    if variant:
        key = f"{env_id}:{variant}"
        if key not in table:
            offered = sorted(name.split(":", 1)[1] for name in table if name.startswith(f"{env_id}:"))
            raise DojoError(f"no preset {variant!r} for {agent} on {env_id}; "
                            f"variants: {', '.join(offered) if offered else 'none (leave --preset out)'}")
        return key, dict(table[key])
    if env_id in table:
        return env_id, dict(table[env_id])
    return "default", dict(table.get("default", {}))


def build_config(config_cls: type[ConfigT], values: dict[str, Any]) -> ConfigT:
    """A config from already-typed values (presets, checkpoints); unknown keys are an error."""
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise DojoError(f"unknown config key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(fields))}")
    hints = typing.get_type_hints(config_cls)
    coerced = {name: _coerce(name, value, hints[name]) for name, value in values.items()}
    return config_cls(**coerced)


def apply_overrides(config: ConfigT, pairs: list[str]) -> ConfigT:
    """Apply ``key=value`` strings (from ``--set``) to a config, parsing each value by the field's type."""
    fields = {f.name for f in dataclasses.fields(config)}
    hints = typing.get_type_hints(type(config))
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise DojoError(f"--set expects key=value, got {pair!r}")
        if key not in fields:
            raise DojoError(f"unknown config key {key!r}; valid keys: {', '.join(sorted(fields))}")
        changes[key] = _coerce(key, _parse_text(raw.strip()), hints[key])
    return dataclasses.replace(config, **changes)


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-able dict of the config (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def _parse_text(raw: str) -> Any:
    """Interpret a command-line value: JSON where it parses (numbers, true/false, lists), else the raw string."""
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if "," in raw:
            return [_parse_text(part.strip()) for part in raw.split(",")]
        return raw


def _coerce(name: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in args:
            if option is type(None):
                continue
            try:
                return _coerce(name, value, option)
            except DojoError as error:
                errors.append(error)
        raise errors[0] if errors else DojoError(f"bad value for {name}: {value!r}")
    if origin is tuple:
        if isinstance(value, (int, float)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise DojoError(f"{name} expects a list like 64,64; got {value!r}")
        item_type = args[0] if args else Any
        return tuple(_coerce(name, item, item_type) for item in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise DojoError(f"{name} expects true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise DojoError(f"{name} expects a whole number, got {value!r}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DojoError(f"{name} expects a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise DojoError(f"{name} expects text, got {value!r}")
        return value
    return value
