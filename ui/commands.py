"""The handlers behind ``main.py`` (no arguments with a display), ``watch``, ``play`` and ``screenshot``.

Each takes the argparse Namespace and returns an exit code; user errors are DojoError (one line, exit 2).
"""

from __future__ import annotations

import argparse
from typing import Any

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

    app = _open_app()
    try:
        app.push(play_screen(args.env, checkpoint=args.checkpoint, opponent=args.opponent, first=args.first,
                             versus=args.vs, seed=args.seed, tick=args.tick, opponent_model=args.opponent_model))
        return app.run()
    finally:
        app.close()


def screenshot(args: argparse.Namespace) -> int:
    """Render the launcher, a watch-training screen and a play screen to PNGs, headless."""
    from ui.screenshot import take_screenshots

    paths = take_screenshots(args.out, size=args.size, train_steps=args.steps)
    for path in paths:
        print(path)
    return 0
