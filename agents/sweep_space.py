"""Search spaces for sweeps: read the TOML file, check it against the agent's config dataclass, and turn a trial's
sampled settings into ``--set``-style overrides.

A space maps config fields to ranges (``{low, high, log}``) or choice lists; see ``agents/sweep_space.toml``.
Only ``tune_space`` imports Ray, so a bad file fails before Ray starts.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents import AGENT_NAMES, agent_module
from agents.config import apply_overrides, build_config, config_to_dict
from agents.errors import DojoError

SPACE_FILE = Path(__file__).with_name("sweep_space.toml")
RANGE_KEYS = ("low", "high", "log")
FIXED_FIELDS = ("torch_threads",)  # every trial trains on one thread, so trials can share a machine's cores


@dataclass(frozen=True)
class Param:
    """One swept config field: a range (low..high, both included) or a list of choices."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SearchSpace:
    """The swept fields of one agent's config, checked, plus where they came from."""

    agent: str
    params: tuple[Param, ...]
    source: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(param.name for param in self.params)

    def overrides(self, settings: dict[str, Any]) -> list[str]:
        """A trial's sampled settings as ``key=value`` strings for the Trainer, with torch on one thread."""
        pairs = [f"{name}={format_value(settings[name])}" for name in self.names]
        fields = {field.name for field in dataclasses.fields(agent_module(self.agent).CONFIG)}
        return pairs + [f"{name}=1" for name in FIXED_FIELDS if name in fields]

    def typed(self, settings: dict[str, Any]) -> dict[str, Any]:
        """A trial's settings as the config's JSON-able values (hidden "64,64" -> [64, 64])."""
        config = build_config(agent_module(self.agent).CONFIG, {})
        chosen = config_to_dict(apply_overrides(config, self.overrides(settings)))
        return {name: chosen[name] for name in self.names}

    def baseline(self, preset: dict[str, Any]) -> dict[str, Any] | None:
        """The preset's own values as a point of the space (encoded as trials sample them), or None when one of the
        preset's values is not among a field's choices (Optuna can only replay listed choices)."""
        config_cls = agent_module(self.agent).CONFIG
        fields = {field.name for field in dataclasses.fields(config_cls)}
        config = build_config(config_cls, {key: value for key, value in preset.items() if key in fields})
        point = {}
        for param in self.params:
            value = getattr(config, param.name)
            if param.choices and value not in param.choices:
                return None
            point[param.name] = encode(value)
        return point

    def corner(self) -> dict[str, Any]:
        """One point of the space (first choices, low ends), for checking that a trial can be built at all."""
        return {param.name: encode(param.choices[0]) if param.choices else param.low for param in self.params}

    def describe(self) -> str:
        return f"{len(self.params)} settings from {self.source}"


def read_space_file(agent: str, path: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """The entries for ``agent`` in ``path`` (``--space``) or the default file, and where they came from."""
    agent_module(agent)  # one-line error for an unknown agent
    source = Path(path) if path is not None else SPACE_FILE
    try:
        with source.open("rb") as handle:
            table = tomllib.load(handle)
    except FileNotFoundError:
        raise DojoError(f"no such space file: {source}") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DojoError(f"cannot read space file {source}: {error}") from None
    if not any(key in AGENT_NAMES for key in table):
        return table, str(source)  # plain top-level keys: a space for whichever agent is swept
    if agent not in table:
        raise DojoError(f"{source} has no [{agent}] table (it has: {', '.join(k for k in table if k in AGENT_NAMES)})")
    if not isinstance(table[agent], dict):
        raise DojoError(f"[{agent}] of {source} must be a table of config fields")
    return table[agent], f"[{agent}] of {source}"


def build_space(agent: str, entries: dict[str, Any], where: str) -> SearchSpace:
    """The search space, every entry checked against the agent's config dataclass (field, type, non-empty range)."""
    params = tuple(check_param(agent, name, spec, where) for name, spec in entries.items())
    if not params:
        raise DojoError(f"{where} sweeps nothing: give at least one config field a range or choices")
    return SearchSpace(agent, params, where)


def load_space(agent: str, path: str | Path | None = None) -> SearchSpace:
    return build_space(agent, *read_space_file(agent, path))


def check_param(agent: str, name: str, spec: Any, where: str) -> Param:
    """One entry of the space, checked against the agent's config dataclass (field, type, non-empty range)."""
    config_cls = agent_module(agent).CONFIG
    fields = {field.name for field in dataclasses.fields(config_cls)}
    if name not in fields:
        raise DojoError(f"unknown key {name!r} in {where}; {agent} config fields: {', '.join(sorted(fields))}")
    if name in FIXED_FIELDS:
        raise DojoError(f"{name} is not swept: every trial trains on one thread (in {where})")
    hint = typing.get_type_hints(config_cls)[name]
    if isinstance(spec, dict):
        return _check_range(config_cls, name, spec, hint, where)
    if isinstance(spec, list):
        if not spec:
            raise DojoError(f"{name} in {where}: empty list of choices")
        listed = typing.get_origin(hint) is tuple
        if listed and not all(isinstance(choice, list) for choice in spec):
            raise DojoError(f"{name} in {where} takes a list of lists, e.g. [[64, 64], [128, 128]]; got {spec!r}")
        choices = tuple(_typed(config_cls, name, choice, where) for choice in spec)
        if len(set(map(encode, choices))) != len(choices):
            raise DojoError(f"{name} in {where} repeats a choice: {spec!r}")
        return Param(name, choices=choices)
    raise DojoError(f"{name} in {where} must be a range {{ low = A, high = B }} or a list of choices [A, B], "
                    f"got {spec!r}")


def _check_range(config_cls: type, name: str, spec: dict[str, Any], hint: Any, where: str) -> Param:
    unknown = sorted(set(spec) - set(RANGE_KEYS))
    if unknown:
        raise DojoError(f"{name} in {where}: unknown range key(s) {', '.join(unknown)}; a range has low, high, log")
    if "low" not in spec or "high" not in spec:
        raise DojoError(f"{name} in {where}: a range needs both low and high")
    if hint not in (int, float):
        raise DojoError(f"{name} in {where} is not a number: give it a list of choices, not a range")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise DojoError(f"{name} in {where}: log must be true or false, got {log!r}")
    low, high = (_typed(config_cls, name, spec[end], where) for end in ("low", "high"))
    if not math.isfinite(low) or not math.isfinite(high):
        raise DojoError(f"{name} in {where}: the range must be finite")
    if low >= high:
        raise DojoError(f"{name} in {where}: empty range (low {low!r} must be below high {high!r}); "
                        f"to fix a value, list it as the one choice [{low!r}]")
    if log and low <= 0:
        raise DojoError(f"{name} in {where}: a log range needs low > 0, got {low!r}")
    return Param(name, low=low, high=high, log=log, integer=hint is int)


def _typed(config_cls: type, name: str, value: Any, where: str) -> Any:
    """A value checked and converted by the config's own field type (the rules ``--set`` follows)."""
    try:
        return getattr(build_config(config_cls, {name: value}), name)
    except DojoError as error:
        raise DojoError(f"{error} (in {where})") from None
    except (TypeError, ValueError) as error:  # a dataclass's own check of its fields
        raise DojoError(f"{name} in {where}: {error}") from None


def encode(value: Any) -> Any:
    """A config value as Optuna can store a choice (None, bool, int, float, str): lists become "64,64"."""
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(item) for item in value)
    return value


def format_value(value: Any) -> str:
    """A value as ``--set`` reads it back: floats short but exact enough, lists comma-joined."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(item) for item in value)
    return str(value)


def tune_space(space: SearchSpace) -> dict[str, Any]:
    """The space as Ray Tune domains, which both OptunaSearch and random search sample."""
    from ray import tune

    domains: dict[str, Any] = {}
    for param in space.params:
        if param.choices:
            domains[param.name] = tune.choice([encode(choice) for choice in param.choices])
        elif param.integer:
            # Tune's integer ranges leave out their upper end; the file's ranges include it.
            sample = tune.lograndint if param.log else tune.randint
            domains[param.name] = sample(int(param.low), int(param.high) + 1)
        else:
            domains[param.name] = (tune.loguniform if param.log else tune.uniform)(param.low, param.high)
    return domains
