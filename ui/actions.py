"""The screens a saved run opens, for the launcher and the checkpoint browser alike: its training continued on the
watch screen, or a game against it."""

from __future__ import annotations

from pathlib import Path

from ui.app import Screen


def continue_training(checkpoint: str | Path) -> Screen:
    """The watch screen, training on from ``checkpoint`` (a finished run gets another budget of the same size)."""
    from ui.watch import WatchScreen, start_training

    return WatchScreen(start_training(None, None, checkpoint=checkpoint))


def play_against(env_id: str, checkpoint: str | Path | None, versus: str | None = None,
                 pick_level: bool = False) -> Screen:
    """The play screen for ``env_id`` with ``checkpoint``'s agent (or the best saved one); ``versus``: a second
    player for agent against agent. ``pick_level``: first the level picker, when the game has a ladder (the saved
    agent is one of its choices)."""
    from ui.play import play_screen

    if pick_level and versus is None:
        from agents.ladder import ladder_for
        from ui.levels import LevelScreen

        game_ladder = ladder_for(env_id)
        if game_ladder is not None:
            return LevelScreen(env_id, game_ladder, checkpoint)

    return play_screen(env_id, checkpoint=None if checkpoint is None else str(checkpoint), versus=versus)
