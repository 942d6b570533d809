"""An agent with an opponent model (``--set opponent_model=true``): an ``OpponentPredictor`` runs over the
opponent's moves, and the agent's policy asks it about the position in front of it.

Two ways to use the prediction, by the agent's lookahead:

* ``search_depth=0`` (Connect Four or Tron): the predicted distribution of the opponent's NEXT move is appended to
  the board as input planes for the network: in Connect Four the cell a disc dropped into column c lands on holds
  P(c); in Tron the cell the other head reaches with each of its three moves holds that move's probability. The
  planes stay uint8 0/1 like the board's: each probability is a thermometer code over ``LEVELS`` (plane k is 1
  where P >= LEVELS[k]); float planes would make the replay buffer four times larger.
* Tron with ``search_depth`` D > 0: the policy's lookahead follows the other cycle's predicted line
  (``envs.tron.search.line_move``, ``LINE_TICKS_PER_DEPTH`` ticks per depth: 3**(2D) own lines, as many leaves as
  the joint search's 9**D) among the moves the worst-case search at depth D finds near-best (the guard); the
  network reads the board planes only. The planes above did not help there (bench_opponent_conditioning) while the
  deeper search along the predicted path did (bench_opponent_search).

The model is the policy's own state, never part of the observation: an ``OpponentTracker`` holds one game's
predictor state, ``OpponentModelPolicy`` asks it for the planes or the line, and whoever plays the games feeds it
the opponent's moves (the training env's infos through ``OpponentObserver``, a human's moves in the app). The
predictor reads the board the agent decides on (the opponent's reply comes after the agent's move, which the
prediction cannot know yet) and learns after games.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.config import build_config
from agents.errors import DojoError
from agents.games.lookahead import Wrapped
from agents.opponent_model import AGENT_NAME as OPPONENT_MODEL
from agents.opponent_model import OpponentModelConfig, OpponentPredictor
from envs import registry
from envs.connect_four.rules import Board
from envs.tron.rules import PLANE_COUNT, TronGame
from envs.tron.search import line_move
from envs.tron.territory import territory_planes

GAMES = {game.env_id: game.name for game in (registry.CONNECT_FOUR, registry.TRON)}  # the games it models
LEVELS = (0.25, 0.5, 0.75)
# Online learning costs ~75 ms per Connect Four game and ~250 ms per Tron game on one CPU core, more than the
# game itself: after the first games (the model reaches ~90% top-1 within 50) it learns from every Nth game only.
LEARN_EVERY_GAME_UNTIL = 100
LEARN_EVERY = 20
LINE_TICKS_PER_DEPTH = 2


def line_ticks_of(search_depth: int, opponent_model: bool) -> int:
    """How many ticks of predicted line an agent's lookahead follows (0: no line, the prediction planes)."""
    return LINE_TICKS_PER_DEPTH * search_depth if opponent_model else 0


# ----- what the model's predictions mean on a board ----------------------------------------------------------------
def prediction_planes(game: str, board: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """(len(LEVELS), H, W) uint8: the thermometer code of ``probabilities`` placed on the board's cells."""
    planes = np.zeros((len(LEVELS), *board.shape[1:]), dtype=np.uint8)
    above = np.asarray(probabilities)[None, :] >= np.asarray(LEVELS)[:, None]  # (levels, n_actions)
    targets = connect_four_targets(board) if game == "connect_four" else tron_targets(board)
    for action, cell in enumerate(targets):
        if cell is not None:
            planes[:, cell[0], cell[1]] = above[:, action]
    return planes


def connect_four_targets(board: np.ndarray) -> list[tuple[int, int] | None]:
    """The cell a disc dropped into each column lands on (None for a full column)."""
    position = Board.from_planes(board)
    rows = [position.landing_row(col) for col in range(len(position.heights))]  # -1 for a full column
    return [(row, col) if row >= 0 else None for col, row in enumerate(rows)]


def tron_targets(board: np.ndarray) -> list[tuple[int, int] | None]:
    """The cells the other cycle's head enters with left, straight and right (None where off the arena)."""
    game = TronGame.from_planes(board)
    targets = [game.target(1, action) for action in range(3)]
    return [(row, col) if 0 <= row < game.size and 0 <= col < game.size else None for row, col in targets]


def tron_other_moves(board: np.ndarray, move: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The board after the other cycle alone makes ``move`` (the own cycle stands), and the other's non-crashing
    moves from there (all True when none is, as the env's masks); None when ``move`` crashes it."""
    game = TronGame.from_planes(board)
    if not game.move_alone(1, move):
        return None
    after = game.planes(0)
    if board.shape[0] > PLANE_COUNT:  # the territory planes the agent reads follow the moved head
        after = np.concatenate([after, territory_planes(game)])
    return after, game.legal_actions(1)


def opponent_mask(game: str, board: np.ndarray) -> np.ndarray:
    """The opponent's legal moves for its next turn, as far as they are known from the agent's board."""
    if game == "connect_four":
        return Board.from_planes(board).legal_mask()
    return TronGame.from_planes(board).legal_actions(1)


def tron_predicted_line(predictor: OpponentPredictor, board: np.ndarray, mask: np.ndarray | None,
                        ticks: int) -> list[int]:
    """The other cycle's most likely next ``ticks`` moves from ``board`` (the agent's planes), by the model."""
    return predictor.rollout(board, mask, ticks, tron_other_moves)


# ----- one game's model state ----------------------------------------------------------------------------------
class OpponentTracker:
    """The predictor over the games one player plays, one after another: start, the opponent's moves, the end."""

    def __init__(self, game: str, predictor: OpponentPredictor, learn: bool, line_ticks: int = 0) -> None:
        self.game, self.predictor, self.learn, self.line_ticks = game, predictor, learn, line_ticks
        self._board: np.ndarray | None = None  # the planes the agent decides on (what the predictor reads)

    def fork(self, learn: bool) -> OpponentTracker:
        """Another player's tracker: a copy of the predictor's weights with a game state of its own; ``learn``:
        it keeps learning from game to game (games played in a row), else it stays as it is (one game each)."""
        return OpponentTracker(self.game, self.predictor.frozen_copy(), learn, self.line_ticks)

    def start_game(self) -> None:
        self.predictor.reset()  # a game cut short (a reset mid-episode) is dropped, not learned from
        self._board = None

    def saw(self, board: np.ndarray) -> None:
        """The agent is about to decide on ``board``: the board the opponent's next move is scored against."""
        self._board = board

    def observe(self, board: np.ndarray, move: int, mask: np.ndarray | None) -> None:
        """The opponent played ``move`` (with legal moves ``mask``) when the agent's board was ``board``."""
        self.predictor.observe(board, move, mask)

    def opponent_moved(self, board: np.ndarray, move: int, mask: np.ndarray | None) -> None:
        """The opponent played ``move`` on ``board`` (the agent's planes when it moved): scored against the board the
        agent last decided on, so learning and predicting read the same kind of board; the opponent's first move
        of a game has none, so it takes the board the opponent moved on."""
        self.observe(self._board if self._board is not None else board, move, mask)

    def observe_info(self, info: dict[str, Any]) -> None:
        """The opponent's move as a Dojo env reports it (``opponent_move``, ``opponent_board``, ``opponent_mask``)."""
        move = int(info.get("opponent_move", -1))
        if move >= 0:
            self.opponent_moved(info["opponent_board"], move, info["opponent_mask"])

    def end_game(self) -> None:
        games = self.predictor.games
        learn = self.learn and (games < LEARN_EVERY_GAME_UNTIL or games % LEARN_EVERY == 0)
        self.predictor.finish_game(learn=learn)

    def features(self, board: np.ndarray) -> np.ndarray:
        """What the network reads: the board, and with the planes form the prediction planes after it."""
        if self.line_ticks:
            return board
        probabilities = self.predictor.predict(board, opponent_mask(self.game, board))
        return np.concatenate([board, prediction_planes(self.game, board, probabilities)])

    def line(self, board: np.ndarray) -> list[int]:
        """The other cycle's predicted next ``line_ticks`` moves (Tron)."""
        return tron_predicted_line(self.predictor, board, opponent_mask(self.game, board), self.line_ticks)

    def feature_space(self, board_space: gym.spaces.Box) -> gym.spaces.Box:
        """The space of ``features``: the board's, grown by the prediction planes in the planes form."""
        if self.line_ticks:
            return board_space
        shape = (board_space.shape[0] + len(LEVELS), *board_space.shape[1:])
        return gym.spaces.Box(0, 1, shape, np.uint8)


class OpponentObserver(gym.Wrapper):
    """A training env whose opponent's moves reach the tracker (observations pass through unchanged)."""

    def __init__(self, env: gym.Env, tracker: OpponentTracker) -> None:
        super().__init__(env)
        self.tracker = tracker

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        self.tracker.start_game()
        obs, info = self.env.reset(seed=seed, options=options)
        self.tracker.observe_info(info)
        self.tracker.saw(obs)
        return obs, info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.tracker.observe_info(info)
        self.tracker.saw(obs)
        if terminated or truncated:
            self.tracker.end_game()
        return obs, reward, terminated, truncated, info


class OpponentModelPolicy(Wrapped):
    """The inner policy's network with the opponent model: on the prediction planes, or searching the predicted
    line (``guard_depth`` = the agent's search_depth). Whoever plays its games feeds ``tracker`` the opponent's
    moves: ``start_game``, ``observe_opponent`` and ``end_game`` (the app, with a human's moves), or an env's infos
    (``fork``ed players in ``agents.common.play_episodes``, ``OpponentObserver`` in training)."""

    def __init__(self, inner: Any, tracker: OpponentTracker, guard_depth: int) -> None:
        super().__init__(inner)
        self.tracker, self.guard_depth = tracker, guard_depth

    def fork(self, learn: bool = False) -> OpponentModelPolicy:
        """A player of its own (the same network, a copy of the model; see ``OpponentTracker.fork``)."""
        return OpponentModelPolicy(self.inner, self.tracker.fork(learn), self.guard_depth)

    def net_input(self, obs: np.ndarray) -> np.ndarray:
        return self.tracker.features(obs)

    def act(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> int:
        self.tracker.saw(obs)
        if self.tracker.line_ticks:
            return int(line_move(obs, action_mask, self.tracker.line(obs), self.tracker.line_ticks,
                                 self.inner.position_values, guard_depth=self.guard_depth))
        return int(self.inner.act(self.tracker.features(obs), action_mask))

    def explain(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        return self.inner.explain(self.tracker.features(obs), action_mask)

    # The games' side: a new game, the opponent's moves, its end.
    def start_game(self) -> None:
        self.tracker.start_game()

    def observe_opponent(self, board: np.ndarray, move: int, mask: np.ndarray | None) -> None:
        self.tracker.opponent_moved(board, move, mask)

    def observe_info(self, info: dict[str, Any]) -> None:
        self.tracker.observe_info(info)

    def end_game(self) -> None:
        self.tracker.end_game()


def check_opponent_model_env(env: gym.Env, env_id: str) -> str:
    """The game key of a training env that fits an opponent model: a two-player game with a built-in opponent and
    planes observations (which games take a line, ``check_lookahead`` has checked); a one-line error otherwise."""
    game = env.unwrapped
    if env_id not in GAMES or getattr(game, "opponent_spec", None) is None:
        raise DojoError(f"opponent_model=true needs {' or '.join(GAMES)} with a built-in opponent, "
                        f"not {env_id}{'' if env_id not in GAMES else ' with opponent=None'}")
    if getattr(game, "obs_mode", "planes") != "planes":
        raise DojoError("opponent_model=true needs obs_mode=planes: the model reads the board's planes")
    return GAMES[env_id]


def tracker_from_checkpoint(data: dict[str, Any], line_ticks: int) -> OpponentTracker:
    """The opponent model of a saved opponent_model=true agent, from the predictor in its checkpoint."""
    state = data.get("learner", {}).get("opponent_model")
    if state is None or data["env_id"] not in GAMES:
        raise DojoError("the checkpoint says opponent_model=true but holds no opponent model for its game")
    return OpponentTracker(GAMES[data["env_id"]], OpponentPredictor.from_state(state), learn=False,
                           line_ticks=line_ticks)


# ---- the opponent model's own file (opponent_model.pt) ---------------------------------------------------------
def save_opponent_model(predictor: OpponentPredictor, path: str | os.PathLike, env_id: str,
                        env_kwargs: dict[str, Any], opponent: str) -> None:
    """Write the model, its config, the baseline's counts and the scores as a Dojo checkpoint."""
    state = predictor.state_dict(include_replay=False)
    save_checkpoint(path, {
        "agent": OPPONENT_MODEL, "env_id": env_id, "env_kwargs": env_kwargs, "opponent": opponent,
        "spaces": {"board_shape": list(predictor.board_shape), "n_actions": predictor.n_actions},
        **{key: state[key] for key in ("config", "model", "baseline_counts", "counters")},
    })


@dataclass
class LoadedOpponentModel:
    """A predictor read back from a checkpoint, with what it was trained on."""

    predictor: OpponentPredictor
    env_id: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    opponent: str = ""


def load_opponent_model(path: str | os.PathLike) -> LoadedOpponentModel:
    """An OpponentPredictor from an ``opponent_model.pt`` (weights-only load; one-line errors)."""
    data = load_checkpoint(path, kind=OPPONENT_MODEL)  # checked whole: shapes, counts, the model's fit
    config = build_config(OpponentModelConfig, data["config"])
    spaces = data["spaces"]
    predictor = OpponentPredictor(tuple(spaces["board_shape"]), int(spaces["n_actions"]), config)
    try:
        predictor.load_state_dict(data)
    except (RuntimeError, KeyError, TypeError, ValueError, IndexError) as error:
        first = str(error).strip().splitlines()[0][:160]
        raise DojoError(f"{path}: the weights do not fit an opponent model ({first})") from None
    return LoadedOpponentModel(predictor, data["env_id"], dict(data["env_kwargs"]), str(data.get("opponent", "")))
