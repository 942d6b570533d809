"""The handlers behind ``main.py`` (no arguments with a display), ``watch``, ``play`` and ``screenshot``.

Each takes the argparse Namespace and returns an exit code; user errors are DojoError (one line, exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import ui
from agents.errors import DojoError


def _open_app() -> Any:
    """The window; a one-line error instead of SDL's when there is no display."""
    import pygame

    from ui.app import App

    try:
        return App()
    except pygame.error as error:
        raise DojoError(f"cannot open a window ({error}); on a machine without a display use: "
                        "python main.py train ...") from None


def _need_display(command: str, instead: str) -> None:
    """Without a display SDL would fall back to an invisible window and the command would run forever."""
    if not ui.display_available():
        raise DojoError(f"no display available: {command} needs a window; {instead}")


def launch(_: argparse.Namespace) -> int:
    """The launcher: pick a game, an agent or a checkpoint, then watch, play or continue training."""
    from ui.launcher import LauncherScreen

    app = _open_app()
    try:
        app.push(LauncherScreen())
        return app.run()
    finally:
        app.close()


def watch(args: argparse.Namespace) -> int:
    """Train with the window open: the game live, plots, stats and the agent's action values."""
    from ui.reconstruction import open_reconstruction
    from ui.watch import WatchScreen, start_training

    if not args.checkpoint and (not args.env or not args.agent):
        raise DojoError("watch needs --env and --agent (or --checkpoint PATH); see: python main.py list")
    if args.steps is not None and args.steps < 1:
        raise DojoError(f"--steps must be at least 1, got {args.steps}")
    headless = (f"train headless instead: python main.py train --resume {args.checkpoint}" if args.checkpoint
                else f"train headless instead: python main.py train --env {args.env} --agent {args.agent}")
    _need_display("watch", headless)
    autoencoder = open_reconstruction(args.ae) if args.ae else None  # a bad file fails before a run starts
    app = _open_app()
    try:
        session = start_training(args.env, args.agent, checkpoint=args.checkpoint, steps=args.steps,
                                 seed=args.seed, device=args.device, run_dir=args.run_dir, speed=args.speed)
        try:
            screen = WatchScreen(session, autoencoder)
        except DojoError:
            session.close()  # an autoencoder of another env: stop the run that was set up for it
            raise
        app.push(screen)
        return app.run()
    finally:
        app.close()


def play(args: argparse.Namespace) -> int:
    """Play a game: against an agent (two-player), yourself then the agent (single-player), or agent vs agent."""
    from ui.play import play_screen

    if getattr(args, "dry_run", False):
        return dry_run(args)
    check_play_files(args)  # a bad file is named as such, with or without a display
    _need_display("play", f"see which agent it would pick with python main.py play --env {args.env} --dry-run, "
                          "or measure one with python main.py eval CHECKPOINT")
    if not args.checkpoint and not args.opponent:
        announce_pick(args.env)
    app = _open_app()
    try:
        app.push(play_screen(args.env, checkpoint=args.checkpoint, opponent=args.opponent, first=args.first,
                             versus=args.vs, seed=args.seed, tick=args.tick, opponent_model=args.opponent_model))
        return app.run()
    finally:
        app.close()


def check_play_files(args: argparse.Namespace) -> None:
    """Read (and so validate) the files play was given before asking for a window."""
    from agents.checkpoint import load_checkpoint
    from ui.prediction import load_predictor

    if args.checkpoint is not None:
        load_checkpoint(args.checkpoint)
    if args.vs is not None and Path(args.vs).is_file():  # --vs may also name a built-in opponent
        load_checkpoint(args.vs)
    if args.opponent_model:
        load_predictor(args.opponent_model, args.env)


def announce_pick(env_id: str) -> Any:
    """Measure the saved agents of ``env_id`` that have no measure yet on the common test, say what was skipped
    and which agent is picked and why (the play screen then picks the same one)."""
    from agents.common import check_env_id
    from ui.runs import pick_agent

    check_env_id(env_id)
    pick = pick_agent(env_id, measure=True, progress=lambda line: print(line, flush=True))
    for problem in pick.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if pick.info is not None:
        print(f"Best saved agent: {pick.info.name} ({pick.info.agent}, {pick.info.checkpoint}): {pick.reason}")
    return pick


def dry_run(args: argparse.Namespace) -> int:
    """``play --dry-run``: who would play and why, without opening a window."""
    import numpy as np

    from ui.players import choose_player

    pick = None if args.checkpoint or args.opponent else announce_pick(args.env)
    choice = choose_player(args.env, args.checkpoint, args.opponent, np.random.default_rng(args.seed))
    who = choice.player.label if choice.player is not None else "nobody (you play alone)"
    print(f"play --env {args.env} would play {who}: {choice.note}")
    if pick is not None and pick.candidates:
        print(f"{'agent':<40} {'kind':<10} measure")
        for candidate in pick.candidates:
            text = candidate.measure.text if candidate.measure is not None else "not measured"
            print(f"{candidate.info.name:<40} {candidate.info.agent:<10} {text}")
    return 0


def screenshot(args: argparse.Namespace) -> int:
    """Render the launcher, a watch-training screen and a play screen to PNGs, headless."""
    from ui.screenshot import take_screenshots

    paths = take_screenshots(args.out, size=args.size, train_steps=args.steps)
    for path in paths:
        print(path)
    return 0
