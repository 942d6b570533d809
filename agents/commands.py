"""The headless commands behind ``main.py``: train, eval and list."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any

import numpy as np
import torch

import envs
from agents import AGENT_NAMES, agent_module, load_agent
from agents.common import play_episodes, set_torch_threads
from agents.config import config_to_dict, load_presets
from agents.errors import DojoError
from agents.games.settings import PLAY_FIELDS, algorithm_config_of, play_of


def train(args: argparse.Namespace) -> int:
    from agents.trainer import Trainer

    if not args.resume and (not args.env or not args.agent):
        raise DojoError("train needs --env and --agent (or --resume CHECKPOINT); see: python main.py list")
    if args.address and args.agent and args.agent != "alphazero":
        raise DojoError(f"--address sends alphazero's self-play workers (--set workers=N) to a Ray cluster; "
                        f"{args.agent} has none")
    trainer = Trainer(args.agent or "", args.env or "", steps=args.steps, seed=args.seed, device=args.device,
                      run_dir=args.run_dir, resume=args.resume,
                      overrides=[*(args.set or []), *([f"ray_address={args.address}"] if args.address else [])],
                      env_kwargs=parse_env_kwargs(args.env_kwargs), early_stop=not args.no_early_stop,
                      preset=args.preset)
    print(f"Training {trainer.agent} on {trainer.env_id} (preset {trainer.preset_name}) on {trainer.device}; "
          f"up to {trainer.total_steps:,} steps, {solved_phrase(trainer.threshold)}; run dir {trainer.run_dir}")
    result = trainer.run(progress=not args.quiet)
    report_training(result, trainer.env_id)
    return 130 if result["interrupted"] else 0


def parse_env_kwargs(text: str | None) -> dict[str, Any] | None:
    """``--env-kwargs``: a JSON object of env arguments."""
    if text is None:
        return None
    from agents.safe_files import load_json

    if len(text) > 100_000:
        raise DojoError(f"--env-kwargs is {len(text):,} characters long; env arguments are a short JSON object")
    value = load_json(text, "--env-kwargs")
    if not isinstance(value, dict):
        raise DojoError(f"--env-kwargs must be a JSON object like '{{\"obs_mode\": \"pixels\"}}', got {text!r}")
    return value


def report_training(result: dict[str, Any], env_id: str) -> None:
    """Where things went and what to run next, then the result as one JSON line."""
    if result["interrupted"]:
        print(f"Interrupted at step {result['steps']:,}: saved {result['last']}")
    elif result["solved"]:
        print(f"Solved {env_id} at step {result['solved_at_step']:,} (eval {result['best_eval']:.1f}, confirmed "
              f"{result['confirmed_eval']:.1f} over 100 fresh episodes) in {result['elapsed_s']:.1f} s")
    else:
        best = "n/a" if result["best_eval"] == float("-inf") else f"{result['best_eval']:.1f}"
        print(f"Finished {result['steps']:,} steps in {result['elapsed_s']:.1f} s; best eval {best}")
    best = result["best"]
    print(f"Checkpoints: {result['last']} (latest), {best} (best eval)")
    print(f"Evaluate it:  python main.py eval {shlex.quote(best)} --episodes 100")
    print(f"Watch it:     python main.py watch --checkpoint {shlex.quote(best)}")
    print(f"Resume:       python main.py train --resume {shlex.quote(str(result['last']))}")
    print(json.dumps({k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in result.items()}))


def evaluate_checkpoint(args: argparse.Namespace) -> int:
    """``eval``: each checkpoint given (a shell glob may give several) in turn, a JSON line after each."""
    if args.episodes < 1:
        raise DojoError(f"--episodes must be at least 1, got {args.episodes}")
    paths = [args.checkpoint] if isinstance(args.checkpoint, str) else list(args.checkpoint)
    for path in paths:
        evaluate_one(path, args)
    return 0


def evaluate_one(path: str, args: argparse.Namespace) -> None:
    agent = load_agent(path, device=args.device)
    # Small nets evaluate fastest on one thread, as they train (the Q-table agent has no device at all).
    set_torch_threads(getattr(agent, "device", torch.device("cpu")), int(getattr(agent.config, "torch_threads", 1)))
    env_kwargs = dict(agent.env_kwargs)
    if args.opponent:
        if agent.env_id not in envs.TWO_PLAYER:
            raise DojoError(f"--opponent only applies to two-player games; {agent.env_id} is single-player")
        env_kwargs["opponent"] = args.opponent
    outcome = play_episodes(agent, agent.env_id, env_kwargs, args.episodes, seed=args.seed)
    returns = outcome.returns
    result = {"mean_return": float(returns.mean()), "std_return": float(returns.std()),
              "min_return": float(returns.min()), "max_return": float(returns.max()), "episodes": int(args.episodes),
              "env": agent.env_id, "agent": agent.name, "checkpoint": str(path)}
    threshold = envs.solved_threshold(agent.env_id)
    if threshold is not None:
        result["solved"] = bool(returns.mean() >= threshold)
    if outcome.successes is not None:
        result["success_rate"] = float(outcome.successes.mean())
    if outcome.scores is not None:
        result["mean_score"] = float(outcome.scores.mean())  # Snake: apples per game
    if agent.env_id in envs.TWO_PLAYER:
        # Two-player games pay +1 for a win, -1 for a loss and 0 for a draw.
        wins, losses = int((returns > 0).sum()), int((returns < 0).sum())
        result.update({"opponent": env_kwargs.get("opponent", "random"), "wins": wins, "losses": losses,
                       "draws": int(args.episodes - wins - losses), "win_rate": wins / args.episodes})
    print(f"{agent.name} on {agent.env_id}: mean return {returns.mean():.2f} +/- {returns.std():.2f} over "
          f"{args.episodes} episodes (min {returns.min():.1f}, max {returns.max():.1f})")
    print(json.dumps(result))


def export(args: argparse.Namespace) -> int:
    """Write a policy-only copy of a checkpoint: small enough to share or ship, loadable by load_agent."""
    from agents import agent_from_data
    from agents.checkpoint import as_stored, load_checkpoint, save_checkpoint, slim
    from agents.safe_files import check_output_file
    from agents.validation import validate_checkpoint

    out = check_output_file(args.out, "--out")  # before any work: never a device, a folder or an empty name
    data = load_checkpoint(args.checkpoint)  # what eval refuses, export refuses
    agent = agent_from_data(data, args.checkpoint)  # refuses weights that do not fit, before anything is written
    if getattr(agent_module(data["agent"]).LEARNER, "takes_play", False):
        if "play" not in data and set(data["config"]) & PLAY_FIELDS:
            print("Moved the league, lookahead and opponent-model settings out of the DQN config into 'play' (the "
                  "current checkpoint layout)")
        data["config"], data["play"] = algorithm_config_of(data), config_to_dict(play_of(data))
    if args.set:
        data["config"], play = exported_config(data, args.set)
        if play is not None:
            data["play"] = play
    payload = slim(data, half=args.half)
    stored = as_stored(payload)
    validate_checkpoint(stored, out)  # the copy is checked as eval will check it, before it is written
    agent_from_data(stored, out)
    path = save_checkpoint(out, payload)
    size_kb = path.stat().st_size / 1024
    print(f"Exported {agent.name} on {agent.env_id} to {path} ({size_kb:.0f} KB)")
    print(json.dumps({"out": str(path), "kb": round(size_kb, 1), "agent": agent.name, "env": agent.env_id}))
    return 0


def exported_config(data: dict[str, Any], pairs: list[str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``export --set``: the checkpoint's (config, play settings or None) with fields changed (search_depth),
    checked as train does."""
    from agents.config import apply_overrides, build_config
    from agents.games.lookahead import check_lookahead

    takes_play = getattr(agent_module(data["agent"]).LEARNER, "takes_play", False)
    play_pairs = [pair for pair in pairs if takes_play and pair.partition("=")[0].strip() in PLAY_FIELDS]
    config = apply_overrides(build_config(agent_module(data["agent"]).CONFIG, algorithm_config_of(data)),
                             [pair for pair in pairs if pair not in play_pairs])
    if not takes_play:
        return config_to_dict(config), None
    saved = play_of(data)
    play = apply_overrides(saved, play_pairs)
    check_lookahead(data["env_id"], data["env_kwargs"].get("obs_mode", "planes"), play.search_depth,
                    play.opponent_model)
    if play.opponent_model and bool(play.search_depth) != bool(saved.search_depth):
        # With a lookahead its network reads the board alone, without one the prediction planes too.
        raise DojoError(f"this opponent_model=true agent was trained with search_depth={saved.search_depth}: "
                        f"its network cannot switch to search_depth={play.search_depth}")
    if play.opponent_model != saved.opponent_model:
        raise DojoError("opponent_model is fixed by training; export cannot change it")
    return config_to_dict(config), config_to_dict(play)


def solved_phrase(threshold: float | None) -> str:
    """When a run counts as solved (grid games have no threshold: they train their whole budget)."""
    if threshold is None:
        return "no solved threshold (trains the whole budget)"
    return f"solved at eval mean >= {threshold:g}"


def list_everything(_: argparse.Namespace) -> int:
    presets = load_presets()
    print("Envs:")
    for env_id in envs.all_env_ids():
        threshold = envs.solved_threshold(env_id)
        kind = "two-player" if env_id in envs.TWO_PLAYER else "single-player"
        solved = f"solved at {threshold:g}" if threshold is not None else "no solved threshold"
        print(f"  {env_id:<22} {kind:<14} {solved}")
    print("Agents:")
    for name in AGENT_NAMES:
        module = agent_module(name)
        summary = (module.__doc__ or "").strip().splitlines()[0]
        print(f"  {name:<10} {summary}")
    print("Presets (agent: envs with tuned defaults; others use the agent's default preset):")
    for name in AGENT_NAMES:
        tuned = [env.replace(":", " --preset ") for env in presets.get(name, {}) if env != "default"]
        print(f"  {name:<10} {', '.join(tuned) if tuned else '(default only)'}")
    return 0


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
