"""Which play screen a game gets, and who sits in each seat."""

from __future__ import annotations

import numpy as np

import envs
from agents.common import check_env_id
from agents.errors import DojoError
from envs.registry import TRON
from ui import catalog
from ui.app import Screen
from ui.players import AgentPlayer, choose_player, make_player
from ui.prediction import load_predictor


def play_screen(env_id: str, checkpoint: str | None = None, opponent: str | None = None, first: str = "human",
                versus: str | None = None, seed: int = 0, tick: str = "slow",
                opponent_model: str | None = None) -> Screen:
    """The screen for ``python main.py play`` (and the launcher's play buttons). ``opponent_model``: the
    opponent_model.pt that starts predicting the human's moves (default: a fresh model that learns as they play)."""
    check_env_id(env_id)
    if first not in ("human", "agent"):
        raise DojoError(f"--first must be human or agent, got {first!r}")
    predictor = None
    if opponent_model:
        if not catalog.is_two_player(env_id) or versus:
            raise DojoError("--opponent-model predicts a human's moves in Connect Four or Tron; it does not apply "
                            + ("to agent against agent" if versus else f"to {catalog.title(env_id)}"))
        predictor = load_predictor(opponent_model, env_id)
    rng = np.random.default_rng(seed)
    if env_id not in envs.TWO_PLAYER:
        if opponent or versus:
            raise DojoError(f"{catalog.title(env_id)} is single-player: --opponent and --vs apply to two-player "
                            "games only")
        from ui.solo import SoloScreen

        choice = choose_player(env_id, checkpoint, None, rng)
        agent = choice.player if isinstance(choice.player, AgentPlayer) else None
        return SoloScreen(env_id, agent, choice.note, seed, tick)

    choice = choose_player(env_id, checkpoint, opponent, rng)
    if choice.player is None:
        raise DojoError(f"no opponent for {catalog.title(env_id)}: {choice.note}")
    if versus:
        second = make_player(env_id, versus, rng)
        players = [choice.player, second]
        note = f"{choice.player.label} (blue) against {second.label} (red)"
    elif env_id == TRON.env_id:
        players = [None, choice.player]
        note = choice.note
    else:
        players = [None, choice.player] if first == "human" else [choice.player, None]
        note = choice.note
    if env_id == TRON.env_id:
        from ui.tron import TronScreen

        return TronScreen(players, note, seed, tick, predictor)
    from ui.connect_four import ConnectFourScreen

    return ConnectFourScreen(players, note, seed, predictor)
