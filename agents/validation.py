"""Everything a checkpoint holds, checked before anything is built from it: schema, types, ranges and sizes.

``load_checkpoint`` calls :func:`validate_checkpoint` on every file it reads, so readers can trust what they index.
The networks a file describes are built on torch's ``meta`` device first (shapes without memory) and compared with
the file's tensors: a config that asks for a 20000x20000 layer is refused before a byte is allocated, and what
finally gets allocated is no bigger than the file itself.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import torch

from agents.errors import DojoError

MAX_DEPTH = 32  # nesting of dicts and lists: what Dojo writes is a few levels deep; recursion must stay safe
MAX_COUNT = 10**13  # steps, episodes, games: beyond any run
MAX_SEED = 2**31 - 1
MAX_TEXT = 4096
MAX_OBS_ELEMENTS = 1 << 22  # floats in one observation (a 64x64x3 frame is 12,288)
MAX_OBS_DIM = 4096
MAX_ACTIONS = 4096
MAX_EPISODE_ACTIONS = 10**6
BOTTLENECKS = ("dense", "keypoints")
UNBOUNDED_ENTRIES = ("space_low", "space_high")


class Checker:
    """One-line errors that name the file and the field."""

    def __init__(self, path: Any) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> DojoError:
        return DojoError(f"{self.path}: {where} {problem} (damaged or edited checkpoint?)")

    def dict(self, value: Any, where: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a mapping, not {type(value).__name__}")
        missing = [key for key in required if key not in value]
        if missing:
            raise self.fail(where, f"lacks {', '.join(missing)}")
        return value

    def list(self, value: Any, where: str, most: int) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise self.fail(where, f"must be a list, not {type(value).__name__}")
        if len(value) > most:
            raise self.fail(where, f"holds {len(value):,} entries, more than {most:,}")
        return list(value)

    def int(self, value: Any, where: str, low: int = 0, high: int = MAX_COUNT) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number, not {type(value).__name__}")
        if not low <= value <= high:
            shown = f"a {value.bit_length()}-bit number" if value.bit_length() > 64 else f"{value}"
            raise self.fail(where, f"must be {low:,}..{high:,}, got {shown}")
        return value

    def number(self, value: Any, where: str, finite: bool = True, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"must be a number, not {type(value).__name__}")
        if isinstance(value, int) and value.bit_length() > 1000 or finite and not math.isfinite(value):
            raise self.fail(where, "must be a finite number")
        return float(value)

    def text(self, value: Any, where: str, most: int = MAX_TEXT) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be text, not {type(value).__name__}")
        if len(value) > most:
            raise self.fail(where, f"is {len(value):,} characters long")
        return value

    def tensor(self, value: Any, where: str, finite: bool = True, dtype: torch.dtype | None = None) -> torch.Tensor:
        if not isinstance(value, torch.Tensor):
            raise self.fail(where, f"must be a tensor, not {type(value).__name__}")
        if dtype is not None and value.dtype != dtype:
            raise self.fail(where, f"must be a {dtype} tensor, not {value.dtype}")
        if finite and value.is_floating_point() and value.numel() and not bool(torch.isfinite(value).all()):
            raise self.fail(where, "holds NaN or infinite values")
        return value

    def tensors(self, value: Any, where: str) -> dict[str, torch.Tensor]:
        for key, tensor in self.dict(value, where).items():
            self.text(key, f"{where} key", 256)
            # Q-learning keeps its observation space's bounds, which may be infinite (never NaN).
            unbounded = key in UNBOUNDED_ENTRIES and not bool(torch.isnan(self.tensor(tensor, where, False)).any())
            self.tensor(tensor, f"{where}[{key!r}]", finite=not unbounded)
        return value

    def counters(self, value: Any, where: str) -> None:
        for key, count in self.dict(value, where).items():
            self.int(count, f"{where}.{key}")

    def plain(self, value: Any, where: str) -> None:
        """JSON-like values only (text, numbers, booleans, None, lists, mappings), a few levels deep at most."""
        stack = [(value, 0)]
        seen = 0
        while stack:
            item, depth = stack.pop()
            seen += 1
            if depth > MAX_DEPTH or seen > 100_000:
                raise self.fail(where, "nests too deeply or holds too much")
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item)
                stack.extend((entry, depth + 1) for entry in item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend((entry, depth + 1) for entry in item)
            elif isinstance(item, str):
                self.text(item, where)
            elif isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 256:
                raise self.fail(where, f"holds a {item.bit_length()}-bit number")  # RNG states use 128 bits
            elif item is not None and not isinstance(item, (bool, int, float)):
                raise self.fail(where, f"holds a {type(item).__name__}")

    def shallow(self, value: Any, where: str) -> None:
        """No container nested deeper than MAX_DEPTH anywhere (tensors and numbers are leaves)."""
        stack = [(value, 0)]
        while stack:
            item, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise self.fail(where, f"nests deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((entry, depth + 1) for entry in item.values() if isinstance(entry, (dict, list, tuple)))
            elif isinstance(item, (list, tuple)):
                stack.extend((entry, depth + 1) for entry in item if isinstance(entry, (dict, list, tuple)))

    def fits(self, build: Callable[[], Any], what: str) -> None:
        """``build`` (which makes a network and loads the file's tensors into it) run on the meta device: shapes are
        compared, nothing is allocated. DojoErrors pass through; anything else means the weights do not fit."""
        try:
            with warnings.catch_warnings(), torch.device("meta"):
                warnings.simplefilter("ignore")  # "copying into a meta parameter is a no-op": that is the point
                build()
        except DojoError:
            raise
        except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
            raise DojoError(f"{self.path}: the weights do not fit a {what} model ({first})") from None


# ---- the parts ------------------------------------------------------------------------------------------------
def check_generator_state(check: Checker, state: Any, where: str) -> None:
    """A numpy Generator's state: one of numpy's bit generators by name, with its state mapping."""
    from agents.common import BIT_GENERATORS, restore_generator

    state = check.dict(state, where, ("bit_generator", "state"))
    if state["bit_generator"] not in BIT_GENERATORS:
        raise check.fail(f"{where}.bit_generator", f"must be one of {', '.join(BIT_GENERATORS)}")
    check.plain(state, where)
    restore_generator(state)  # one of numpy's own generators, so building it to check the state is safe


def check_spaces(check: Checker, spaces: Any) -> None:
    spaces = check.dict(spaces, "spaces", ("observation", "action"))
    obs = check.dict(spaces["observation"], "spaces.observation", ("type",))
    if obs["type"] == "discrete":
        check.int(obs.get("n"), "spaces.observation.n", 1, MAX_OBS_ELEMENTS)
    elif obs["type"] == "box":
        shape = check.list(obs.get("shape"), "spaces.observation.shape", 4)
        if not shape or math.prod(check.int(dim, "spaces.observation.shape", 1, MAX_OBS_DIM) for dim in shape) \
                > MAX_OBS_ELEMENTS:
            raise check.fail("spaces.observation.shape", f"must describe 1 to {MAX_OBS_ELEMENTS:,} numbers")
        check.text(obs.get("dtype", "float32"), "spaces.observation.dtype", 32)
        check.number(obs.get("max", 1.0), "spaces.observation.max")
    else:
        raise check.fail("spaces.observation.type", "must be box or discrete")
    action = check.dict(spaces["action"], "spaces.action", ("type",))
    if action["type"] == "discrete":
        check.int(action.get("n"), "spaces.action.n", 1, MAX_ACTIONS)
    elif action["type"] == "box":
        shape = check.list(action.get("shape"), "spaces.action.shape", 2)
        size = math.prod(check.int(dim, "spaces.action.shape", 1, 64) for dim in shape)
        for bound in ("low", "high"):
            values = check.list(action.get(bound), f"spaces.action.{bound}", 4096)
            if len(values) != size:
                raise check.fail(f"spaces.action.{bound}", f"must hold {size} numbers")
            for value in values:
                check.number(value, f"spaces.action.{bound}")
    else:
        raise check.fail("spaces.action.type", "must be discrete or box")


def check_autoencoder_record(check: Checker, spaces: dict[str, Any], encoder: str) -> None:
    """``encoder=ae:PATH``: the agent carries the frozen encoder itself, so loading it never opens another file."""
    record = spaces.get("autoencoder")
    if record is None:
        raise check.fail("spaces.autoencoder", f"is missing: the agent reads through {encoder} but does not carry "
                                               "that encoder's weights")
    record = check.dict(record, "spaces.autoencoder", ("source", "input_shape", "channels", "latent", "encoder"))
    from agents.config import AE_ENCODER_PREFIX

    if AE_ENCODER_PREFIX + check.text(record["source"], "spaces.autoencoder.source") != encoder:
        raise check.fail("spaces.autoencoder.source", f"does not match the config's encoder {encoder}")
    shape = check.list(record["input_shape"], "spaces.autoencoder.input_shape", 3)
    for dim in shape:
        check.int(dim, "spaces.autoencoder.input_shape", 1, 512)
    for width in check.list(record["channels"], "spaces.autoencoder.channels", 8):
        check.int(width, "spaces.autoencoder.channels", 1, 512)
    check.int(record["latent"], "spaces.autoencoder.latent", 1, 1024)
    if record.get("bottleneck", "dense") not in BOTTLENECKS:
        raise check.fail("spaces.autoencoder.bottleneck", f"must be one of {', '.join(BOTTLENECKS)}")
    check.tensors(record["encoder"], "spaces.autoencoder.encoder")


def check_predictor_state(check: Checker, state: Any, where: str, build: bool) -> None:
    """An opponent model's state (an opponent_model.pt, or the one inside an opponent_model=true agent)."""
    from agents.config import build_config
    from agents.opponent_model import OpponentModelConfig, OpponentPredictor

    state = check.dict(state, where, ("board_shape", "n_actions", "config", "model", "baseline_counts", "counters"))
    board_shape = tuple(check.int(dim, f"{where}.board_shape", 1, 64)
                        for dim in check.list(state["board_shape"], f"{where}.board_shape", 3))
    if len(board_shape) != 3:
        raise check.fail(f"{where}.board_shape", "must be (planes, rows, columns)")
    n_actions = check.int(state["n_actions"], f"{where}.n_actions", 1, 64)
    config = build_config(OpponentModelConfig, check.dict(state["config"], f"{where}.config"))
    check.tensors(state["model"], f"{where}.model")
    counts = check.tensor(state["baseline_counts"], f"{where}.baseline_counts")
    if tuple(counts.shape) != (n_actions + 1, n_actions) or bool((counts < 0).any()):
        raise check.fail(f"{where}.baseline_counts", f"must be ({n_actions + 1}, {n_actions}) counts")
    check.counters(state["counters"], f"{where}.counters")
    if "rng" in state:
        check_generator_state(check, state["rng"], f"{where}.rng")
    if "replay" in state:
        replay = check.dict(state["replay"], f"{where}.replay", ("lengths", "boards", "moves", "masks"))
        lengths = check.tensor(replay["lengths"], f"{where}.replay.lengths")
        total = int(lengths.sum()) if lengths.numel() else 0
        if lengths.dim() != 1 or bool((lengths < 1).any()):
            raise check.fail(f"{where}.replay.lengths", "must be positive game lengths")
        shapes = {"boards": (total, *board_shape), "moves": (total,), "masks": (total, n_actions)}
        for name, shape in shapes.items():
            if tuple(check.tensor(replay[name], f"{where}.replay.{name}").shape) != shape:
                raise check.fail(f"{where}.replay.{name}", f"must have shape {shape} (the games' lengths add up to "
                                                          f"{total})")
        moves = replay["moves"]
        if moves.numel() and (int(moves.min()) < 0 or int(moves.max()) >= n_actions):
            raise check.fail(f"{where}.replay.moves", f"must be moves 0..{n_actions - 1}")
    if build:
        check.fits(lambda: OpponentPredictor(board_shape, n_actions, config).model.load_state_dict(state["model"]),
                   "opponent")


def check_trainer_state(check: Checker, state: Any) -> None:
    from agents.config import RANGES

    state = check.dict(state, "trainer")
    for key in ("steps", "eval_every", "eval_episodes", "checkpoint_every"):
        if key in state:
            low, high = RANGES[key]
            check.int(state[key], f"trainer.{key}", int(low), int(high))
    for key in ("best_eval", "last_eval", "confirmed_eval"):
        check.number(state.get(key), f"trainer.{key}", finite=False, optional=True)
    if state.get("solved_at") is not None:
        check.int(state["solved_at"], "trainer.solved_at")
    check.int(state.get("next_eval", 0), "trainer.next_eval")
    check.number(state.get("elapsed_s", 0.0), "trainer.elapsed_s")
    for value in check.list(state.get("recent_returns", []), "trainer.recent_returns", 10_000):
        check.number(value, "trainer.recent_returns", finite=False)
    for name, values in check.dict(state.get("history", {}), "trainer.history").items():
        for value in check.list(values, f"trainer.history.{name}", 100_000_000):
            check.number(value, f"trainer.history.{name}", finite=False)


def check_optimizer(check: Checker, state: Any, where: str) -> None:
    """Dojo's Adam (agents/optim.py): its step count, step size and moments."""
    state = check.dict(state, where, ("steps", "lr", "exp_avg", "exp_avg_sq"))
    check.int(state["steps"], f"{where}.steps")
    check.number(state["lr"], f"{where}.lr")
    for name in ("exp_avg", "exp_avg_sq"):
        for tensor in check.list(state[name], f"{where}.{name}", 10_000):
            check.tensor(tensor, f"{where}.{name}")


def check_dqn_learner(check: Checker, learner: dict[str, Any], config: Any, play: Any, n_actions: int) -> None:
    if "target" in learner:
        check.tensors(learner["target"], "learner.target")
    if "optimizer" in learner:
        check_optimizer(check, learner["optimizer"], "learner.optimizer")
    check.number(learner.get("last_loss", 0.0), "learner.last_loss", finite=False)
    episode = learner.get("episode")
    if episode is not None:
        episode = check.dict(episode, "learner.episode", ("actions", "return", "length", "pending"))
        for action in check.list(episode["actions"], "learner.episode.actions", MAX_EPISODE_ACTIONS):
            check.int(action, "learner.episode.actions", 0, n_actions - 1)
        check.number(episode["return"], "learner.episode.return")
        check.int(episode["length"], "learner.episode.length", 0, MAX_EPISODE_ACTIONS)
        for entry in check.list(episode["pending"], "learner.episode.pending", config.n_step):
            entry = check.list(entry, "learner.episode.pending", 3)
            if len(entry) != 3:
                raise check.fail("learner.episode.pending", "entries must be (observation, action, reward)")
            check.tensor(entry[0], "learner.episode.pending")
            check.int(entry[1], "learner.episode.pending", 0, n_actions - 1)
            check.number(entry[2], "learner.episode.pending")
    if "replay" in learner:
        replay = check.dict(learner["replay"], "learner.replay", ("position", "size", "fields"))
        size = check.int(replay["size"], "learner.replay.size", 0, config.buffer_size)
        check.int(replay["position"], "learner.replay.position", 0, config.buffer_size)
        for name, tensor in check.dict(replay["fields"], "learner.replay.fields").items():
            check.tensor(tensor, f"learner.replay.fields.{name}")
            if tensor.dim() == 0 or tensor.shape[0] != size:
                raise check.fail(f"learner.replay.fields.{name}", f"must hold {size:,} rows (the replay's size)")
        actions = replay["fields"].get("action")
        if actions is not None and actions.numel() and (int(actions.min()) < 0 or int(actions.max()) >= n_actions):
            raise check.fail("learner.replay.fields.action", f"must be actions 0..{n_actions - 1}")
    if "league" in learner:
        league = check.dict(learner["league"], "learner.league", ("stage", "results", "snapshots", "rng"))
        check.int(league["stage"], "learner.league.stage", 0, 64)
        for snapshot in check.list(league["snapshots"], "learner.league.snapshots",
                                   play.pool_size if play is not None else 0):
            check.tensors(snapshot, "learner.league.snapshots")
        check_generator_state(check, league["rng"], "learner.league.rng")
    if "opponent_model" in learner:
        check_predictor_state(check, learner["opponent_model"], "learner.opponent_model", build=True)


def check_learner(check: Checker, data: dict[str, Any], config: Any, play: Any, resumable: bool) -> None:
    """The learner's state: the policy's part always, the rest (RNG, replay, the episode in flight) to resume."""
    learner = check.dict(data.get("learner", {}), "learner")
    if resumable:
        check.dict(learner, "learner", ("model", "counters"))
    if "model" in learner:
        check.tensors(learner["model"], "learner.model")
    if "counters" in learner:
        check.counters(learner["counters"], "learner.counters")
    if "rng" in learner:
        rng = check.dict(learner["rng"], "learner.rng", ("numpy",))
        check_generator_state(check, rng["numpy"], "learner.rng.numpy")
        if "torch" in rng:
            wanted = torch.get_rng_state()
            saved = check.tensor(rng["torch"], "learner.rng.torch", dtype=wanted.dtype)
            if saved.shape != wanted.shape:
                raise check.fail("learner.rng.torch", f"must be a {tuple(wanted.shape)} generator state")
    if data["agent"] == "dqn":
        check_dqn_learner(check, learner, config, play, int(data["spaces"]["action"].get("n", 1)))
    elif "optimizer" in learner and data["agent"] in ("ppo", "reinforce"):
        check_optimizer(check, learner["optimizer"], "learner.optimizer")
    if data["agent"] == "reinforce":
        for episode in check.list(learner.get("pending_episodes", []), "learner.pending_episodes",
                                  config.episodes_per_update):
            for key, value in check.dict(episode, "learner.pending_episodes").items():
                if value is not None:
                    check.tensor(value, f"learner.pending_episodes.{key}")


# ---- whole files ----------------------------------------------------------------------------------------------
def check_agent(check: Checker, data: dict[str, Any], resumable: bool) -> None:
    from agents import agent_module
    from agents.common import check_env_id
    from agents.config import AE_ENCODER_PREFIX, build_config
    from agents.games.lookahead import check_lookahead
    from agents.games.settings import PlayConfig, split_config

    check_env_id(data["env_id"])
    check_spaces(check, data["spaces"])
    module = agent_module(data["agent"])
    # Older files kept the play settings (league, lookahead, opponent model) inside the algorithm's config.
    values, old_play = split_config(check.dict(data["config"], "config"))
    config = build_config(module.CONFIG, values)
    play = None
    if getattr(module.LEARNER, "takes_play", False):
        if data.get("play") is not None and old_play:
            raise check.fail("config", f"{', '.join(sorted(old_play))} belongs in play, not in the algorithm's config")
        stored = check.dict(data["play"], "play") if data.get("play") is not None else old_play
        play = build_config(PlayConfig, stored)
        obs_mode = data["env_kwargs"].get("obs_mode", "planes")
        check_lookahead(data["env_id"], obs_mode if isinstance(obs_mode, str) else "?", play.search_depth,
                        play.opponent_model)
    elif old_play:
        raise check.fail("config", f"{data['agent']} has no setting {', '.join(sorted(old_play))}")
    encoder = getattr(config, "encoder", "auto")
    if encoder.startswith(AE_ENCODER_PREFIX):
        check_autoencoder_record(check, data["spaces"], encoder)
    if "seed" in data or resumable:
        check.int(data.get("seed"), "seed", 0, MAX_SEED)
    if "eval_env_kwargs" in data:
        check.dict(data["eval_env_kwargs"], "eval_env_kwargs")
        check.plain(data["eval_env_kwargs"], "eval_env_kwargs")
    for key, value in check.dict(data.get("metrics", {}), "metrics").items():
        check.number(value, f"metrics.{key}", finite=False, optional=True)
    check_learner(check, data, config, play, resumable)
    if hasattr(module, "check_learner"):  # what an agent's own state holds beyond the shared parts (alphazero)
        module.check_learner(check, data, config, resumable)
    if "trainer" in data:
        check_trainer_state(check, data["trainer"])
    check.fits(lambda: module.load_policy(data, config, torch.device("meta")), data["agent"])


def check_autoencoder(check: Checker, data: dict[str, Any]) -> None:
    from agents.common import obs_shape
    from agents.config import build_config
    from nets.autoencoder import AutoencoderConfig, ConvAutoencoder

    observation = check.dict(check.dict(data["spaces"], "spaces", ("observation",))["observation"],
                             "spaces.observation", ("shape",))
    shape = check.list(observation["shape"], "spaces.observation.shape", 3)
    if len(shape) != 3:
        raise check.fail("spaces.observation.shape", "must be (channels, height, width)")
    for dim in shape:
        check.int(dim, "spaces.observation.shape", 1, 512)
    config = build_config(AutoencoderConfig, check.dict(data["config"], "config"))
    if config.bottleneck not in BOTTLENECKS:
        raise check.fail("config.bottleneck", f"must be one of {', '.join(BOTTLENECKS)}")
    check.fits(lambda: ConvAutoencoder(obs_shape(observation), config.channels, config.latent, config.bottleneck)
               .load_state_dict(data["model"]), "autoencoder")


def check_opponent_model_file(check: Checker, data: dict[str, Any]) -> None:
    spaces = check.dict(data["spaces"], "spaces", ("board_shape", "n_actions"))
    check_predictor_state(check, {**data, "board_shape": spaces["board_shape"], "n_actions": spaces["n_actions"]},
                          "opponent model", build=True)
    check.text(data.get("opponent", ""), "opponent", 200)


def validate_checkpoint(data: dict[str, Any], path: Any, resumable: bool = False) -> None:
    """Refuse (DojoError) any checkpoint whose fields are missing, of the wrong type, out of range, or whose tensors
    do not fit the networks its config describes. ``resumable``: also what ``train --resume`` reads."""
    from agents import AGENT_NAMES
    from agents.opponent_model import AGENT_NAME as OPPONENT_MODEL

    check = Checker(path)
    check.shallow(data, "the checkpoint")
    agent = check.text(data["agent"], "agent", 64)
    check.text(data["env_id"], "env_id", 200)
    check.dict(data["env_kwargs"], "env_kwargs")
    check.plain(data["env_kwargs"], "env_kwargs")
    check.tensors(data["model"], "model")
    check.counters(data["counters"], "counters")
    for key in ("preset", "run_name", "saved_at"):
        if key in data and data[key] is not None:
            check.text(data[key], key, 256)
    if agent in AGENT_NAMES:
        check_agent(check, data, resumable)
    elif agent == "autoencoder":
        check_autoencoder(check, data)
    elif agent == OPPONENT_MODEL:
        check_opponent_model_file(check, data)
