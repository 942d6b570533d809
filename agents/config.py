"""Typed config dataclasses: presets, ``--set key=value`` overrides and JSON round trips."""

from __future__ import annotations

import dataclasses
import glob
import json
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from agents.errors import DojoError

ConfigT = TypeVar("ConfigT")
PRESETS_FILE = Path(__file__).with_name("presets.toml")

# The sane range of every number a config may hold (from --set, presets or a checkpoint), by field name; a
# "Class.field" entry is for that config only. Outside it a value is a one-line error before anything is built:
# e.g. hidden=20000,20000 would allocate 1.6 GB, torch_threads=65536 aborts libgomp, search_depth=99 never ends.
RANGES: dict[str, tuple[float, float]] = {
    # shared by the agents
    "learning_rate": (1e-12, 10.0), "gamma": (0.0, 1.0), "max_grad_norm": (1e-9, 1e6), "torch_threads": (0, 256),
    "hidden": (1, 4096), "cnn_channels": (1, 1024), "cnn_features": (1, 8192), "batch_size": (1, 65_536),
    # DQN
    "buffer_size": (1, 10_000_000), "learning_starts": (0, 10**9), "train_freq": (1, 10**6),
    "gradient_steps": (1, 1000), "target_update_interval": (1, 10**9), "tau": (0.0, 1.0), "epsilon_start": (0.0, 1.0),
    "epsilon_end": (0.0, 1.0), "epsilon_decay_steps": (0, 10**10), "n_step": (1, 100), "promote_win_rate": (0.0, 1.0),
    "promote_window": (1, 10**6), "self_play": (0.0, 1.0), "snapshot_every": (1, 10**10), "pool_size": (1, 64),
    "search_depth": (0, 6),
    # PPO and REINFORCE
    "n_envs": (1, 256), "n_steps": (1, 100_000), "n_epochs": (1, 1000), "minibatch_size": (1, 1_048_576),
    "lr_anneal_steps": (0, 10**12), "gae_lambda": (0.0, 1.0), "clip_coef": (0.0, 10.0), "ent_coef": (0.0, 100.0),
    "vf_coef": (0.0, 100.0), "target_kl": (0.0, 100.0), "initial_log_std": (-20.0, 5.0),
    "episodes_per_update": (1, 10_000),
    # tabular Q-learning
    "learning_rate_end": (0.0, 10.0), "decay_steps": (0, 10**12), "bins": (1, 10_000), "obs_low": (-1e9, 1e9),
    "obs_high": (-1e9, 1e9), "obs_clip": (1e-9, 1e9), "initial_q": (-1e9, 1e9),
    # the autoencoder (train-ae)
    "latent": (1, 1024), "channels": (1, 512), "frames": (2, 100_000), "AutoencoderConfig.steps": (1, 10**7),
    # the opponent model
    "OpponentModelConfig.hidden": (1, 1024), "board_features": (1, 1024), "dropout": (0.0, 0.99),
    "weight_decay": (0.0, 10.0), "updates_per_game": (1, 1000), "replay_games": (0, 1000),
    "replay_capacity": (1, 100_000), "bptt_steps": (1, 10_000), "offline_epochs": (0, 1000),
    # AlphaZero (a search needs two simulations: the first only expands the root)
    "simulations": (2, 100_000), "fast_simulations": (0, 100_000), "eval_simulations": (2, 100_000),
    "play_simulations": (2, 100_000), "full_search_share": (0.0, 1.0), "c_puct": (1e-6, 100.0),
    "fpu_reduction": (0.0, 10.0), "dirichlet_alpha": (1e-6, 100.0), "dirichlet_fraction": (0.0, 1.0),
    "temperature": (1e-3, 100.0), "temperature_moves": (0, 100_000), "games": (1, 4096),
    "replay_size": (1, 5_000_000), "min_replay": (0, 5_000_000), "train_interval": (1, 10**7),
    "sample_reuse": (1e-3, 1000.0), "value_target_q": (0.0, 1.0), "blocks": (0, 40), "value_hidden": (1, 4096),
    "play_leaves": (1, 256), "workers": (0, 4096),
    # trainer settings (presets.toml and --set)
    "steps": (1, 10**10), "eval_every": (1, 10**10), "eval_episodes": (1, 10_000), "checkpoint_every": (1, 10**10),
}
DEFAULT_INT_RANGE = (-(2**31), 2**31 - 1)
DEFAULT_FLOAT_RANGE = (-1e9, 1e9)
MAX_TEXT = 4096  # characters of a text field (paths, opponent names)
MAX_ITEMS = 64  # entries of a list field (layer widths, curriculum)
TRAINER_SETTINGS = ("steps", "eval_every", "eval_episodes", "checkpoint_every")  # --set keys of the trainer itself
AE_ENCODER_PREFIX = "ae:"  # encoder=ae:PATH: a frozen autoencoder encoder
# text fields that name a file: --set encoder=ae:runs/x-*/ae.pt is expanded
GLOB_PATH_PREFIXES = {"encoder": AE_ENCODER_PREFIX}


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
    coerced = {name: _coerce(name, value, hints[name], _range_key(config_cls, name)) for name, value in values.items()}
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
        value = _coerce(key, _parse_text(raw.strip(), key), hints[key], _range_key(type(config), key))
        changes[key] = _expand_path_glob(key, value)
    return dataclasses.replace(config, **changes)


def split_trainer_overrides(pairs: list[str]) -> tuple[list[str], dict[str, int]]:
    """``--set`` pairs for the trainer (steps, eval_every, eval_episodes, checkpoint_every: presets.toml's trainer
    settings) apart from the config's, the former parsed and range-checked."""
    rest, settings = [], {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if sep and key in ("env_kwargs", "eval_env_kwargs"):
            raise DojoError(f"{key} is set with --env-kwargs JSON, not --set")
        if sep and key in TRAINER_SETTINGS:
            settings[key] = _coerce(key, _parse_text(raw.strip(), key), int, key)
        else:
            rest.append(pair)
    return rest, settings


def _range_key(config_cls: type, name: str) -> str:
    qualified = f"{config_cls.__name__}.{name}"
    return qualified if qualified in RANGES else name


def _expand_path_glob(key: str, value: Any) -> Any:
    """``encoder=ae:runs/dojo-Snake-v0-ae-*/ae.pt``: no shell expands a glob inside a --set value, so expand it
    here (the newest match), and record the file itself in the config."""
    prefix = GLOB_PATH_PREFIXES.get(key)
    if prefix is None or not isinstance(value, str) or not value.startswith(prefix):
        return value
    from agents.safe_files import resolve_input

    path = value[len(prefix):]
    resolved = resolve_input(path, "file") if glob.has_magic(path) or "latest" in path else path
    return prefix + resolved


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-able dict of the config (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def _parse_text(raw: str, key: str = "--set") -> Any:
    """Interpret a command-line value: JSON where it parses (numbers, true/false, lists), else the raw string."""
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    if len(raw) > MAX_TEXT:
        raise DojoError(f"the value of {key} is {len(raw):,} characters long; at most {MAX_TEXT} are allowed")

    from agents.safe_files import bounded_int

    try:
        return json.loads(raw, parse_int=bounded_int(f"the value of {key}"))
    except RecursionError:
        raise DojoError(f"the value of {key} nests too deeply") from None
    except json.JSONDecodeError:
        if "," in raw:
            return [_parse_text(part.strip(), key) for part in raw.split(",")]
        return raw


def _shown(value: Any) -> str:
    """A value for an error message: huge numbers by their size (a 5,000-digit int cannot even be printed)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {value.bit_length()}-bit number"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_range(name: str, value: float, range_key: str, is_int: bool) -> None:
    low, high = RANGES.get(range_key, DEFAULT_INT_RANGE if is_int else DEFAULT_FLOAT_RANGE)
    if is_int and value < low:
        raise DojoError(f"{name} must be at least {low:g}, got {_shown(value)}")
    if is_int and value > high:
        raise DojoError(f"{name} must be at most {high:,}, got {_shown(value)}")
    if not is_int and not low <= value <= high:
        raise DojoError(f"{name} must be between {low:g} and {high:g}, got {_shown(value)}")


def _coerce(name: str, value: Any, hint: Any, range_key: str | None = None) -> Any:
    range_key = range_key or name
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
                return _coerce(name, value, option, range_key)
            except DojoError as error:
                errors.append(error)
        raise errors[0] if errors else DojoError(f"bad value for {name}: {value!r}")
    if origin is tuple:
        if isinstance(value, (int, float)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise DojoError(f"{name} expects a list like 64,64; got {_shown(value)}")
        if len(value) > MAX_ITEMS:
            raise DojoError(f"{name} takes at most {MAX_ITEMS} entries, got {len(value)}")
        item_type = args[0] if args else Any
        return tuple(_coerce(name, item, item_type, range_key) for item in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise DojoError(f"{name} expects true or false, got {_shown(value)}")
    if hint is int:
        if isinstance(value, float) and not math.isfinite(value):
            raise DojoError(f"{name} expects a whole number, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise DojoError(f"{name} expects a whole number, got {_shown(value)}")
        _check_range(name, int(value), range_key, is_int=True)
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DojoError(f"{name} expects a number, got {_shown(value)}")
        if isinstance(value, int) and value.bit_length() > 1000 or not math.isfinite(float(value)):
            raise DojoError(f"{name} expects a finite number, got {_shown(value)}")
        _check_range(name, float(value), range_key, is_int=False)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise DojoError(f"{name} expects text, got {_shown(value)}")
        if len(value) > MAX_TEXT:
            raise DojoError(f"{name} is {len(value):,} characters long; at most {MAX_TEXT} are allowed")
        return value
    return value
