"""DQN conditioned on the opponent model (``--set opponent_model=true``): the prediction as extra input planes.

A gymnasium wrapper runs an ``OpponentPredictor`` over the env's built-in opponent (the env reports each of its
moves, the board it moved on and its legal moves in ``info``) and appends the predicted distribution of the
opponent's NEXT move to every observation, so the agent's encoders and replay buffer work unchanged:

* Connect Four: the cell a disc dropped into column c lands on holds P(c);
* Tron: the cell the opponent's head reaches with each of its three moves holds that move's probability.

The planes stay uint8 0/1 like the board's: each probability is a thermometer code over ``LEVELS`` (plane k is 1
where P >= LEVELS[k]). Float planes would make the replay buffer four times larger (1.6 GB for Tron's 100k rows).

The predictor reads the board the agent decides on (the opponent's reply comes after the agent's move, which
the prediction cannot know yet) and learns online after games; evaluation envs get frozen copies of it.

Tron with a lookahead (``search_depth > 0``) uses the model differently, because the planes above did not help
there (bench_opponent_conditioning) while a deeper search along the predicted path did (bench_opponent_search):
the wrapper appends ONE plane that carries the other cycle's predicted moves (``line_plane``), the policy's
lookahead follows them (``envs.tron.search.line_move``, ``LINE_TICKS_PER_DEPTH`` ticks per search_depth:
3**(2d) own lines, as many leaves as the joint search's 9**d) among the moves the worst-case search at
search_depth finds near-best (the guard), and the network reads the board planes only.
The line travels in the observation because that is all a policy sees of a vector env's per-slot predictors.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from agents.errors import DojoError
from agents.opponent_model import OpponentPredictor
from envs import registry
from envs.connect_four.rules import Board
from envs.tron.rules import PLANE_COUNT, TronGame
from envs.tron.territory import territory_planes

GAMES = {registry.CONNECT_FOUR.env_id: "connect_four", registry.TRON.env_id: "tron"}
LEVELS = (0.25, 0.5, 0.75)
# Online learning costs ~75 ms per Connect Four game and ~250 ms per Tron game on one CPU core, more than the
# game itself: after the first games (the model reaches ~90% top-1 within 50) it learns from every Nth game only.
LEARN_EVERY_GAME_UNTIL = 100
LEARN_EVERY = 20
LINE_TICKS_PER_DEPTH = 2


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
    return [(position.landing_row(col), col) if legal else None for col, legal in enumerate(position.legal_mask())]


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


def line_plane(line: list[int], board: np.ndarray) -> np.ndarray:
    """(1, H, W) uint8: the predicted moves as codes over the plane's cells in reading order (move + 1; 0 after
    the line's end: a line stops early where its last move crashes)."""
    plane = np.zeros((1, *board.shape[1:]), dtype=np.uint8)
    if len(line) > plane.size:
        raise DojoError(f"a predicted line of {len(line)} moves does not fit a plane of {plane.size} cells")
    plane.reshape(-1)[: len(line)] = np.asarray(line, dtype=np.uint8) + 1
    return plane


def line_from_plane(plane: np.ndarray) -> list[int]:
    """The predicted moves that ``line_plane`` wrote (the codes up to the first 0)."""
    codes = np.asarray(plane).reshape(-1).astype(np.int64)
    length = int(np.argmin(codes)) if (codes == 0).any() else len(codes)
    return [int(code) - 1 for code in codes[:length]]


def search_line_ticks(config: Any) -> int:
    """How many ticks of predicted line an agent's lookahead follows (0: no line, the prediction planes)."""
    return LINE_TICKS_PER_DEPTH * config.search_depth if config.opponent_model else 0


def tron_predicted_line(predictor: OpponentPredictor, board: np.ndarray, mask: np.ndarray | None,
                        ticks: int) -> list[int]:
    """The other cycle's most likely next ``ticks`` moves from ``board`` (the agent's planes), by the model."""
    return predictor.rollout(board, mask, ticks, tron_other_moves)


class OpponentModelWrapper(gym.Wrapper):
    """Appends the opponent model's prediction planes (or, with ``line_ticks``, its predicted line) to the
    observation; feeds the predictor the opponent's moves."""

    def __init__(self, env: gym.Env, game: str, predictor: OpponentPredictor, learn: bool, line_ticks: int = 0) -> None:
        super().__init__(env)
        self.game, self.predictor, self.learn, self.line_ticks = game, predictor, learn, line_ticks
        base = env.observation_space
        self.board_space = base
        added, high = (1, 3) if line_ticks else (len(LEVELS), 1)
        self.observation_space = gym.spaces.Box(0, high, (base.shape[0] + added, *base.shape[1:]), np.uint8)
        self._board: np.ndarray | None = None  # the planes the agent decides on (what the predictor reads)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        self.predictor.reset()  # a game cut short (a reset mid-episode) is dropped, not learned from
        self._board = None
        obs, info = self.env.reset(seed=seed, options=options)
        self._observe(info)
        return self._augment(obs, info), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._observe(info)
        augmented = self._augment(obs, info)  # before finish_game: a truncated episode still bootstraps from it
        if terminated or truncated:
            games = self.predictor.games
            learn = self.learn and (games < LEARN_EVERY_GAME_UNTIL or games % LEARN_EVERY == 0)
            self.predictor.finish_game(learn=learn)
        return augmented, reward, terminated, truncated, info

    def _observe(self, info: dict[str, Any]) -> None:
        move = int(info.get("opponent_move", -1))
        if move >= 0:
            # The board the prediction was made on, so learning and predicting read the same kind of board; the
            # opponent's first move at reset has none, so it takes the board the opponent moved on.
            board = self._board if self._board is not None else info["opponent_board"]
            self.predictor.observe(board, move, info["opponent_mask"])

    @property
    def net_space(self) -> gym.spaces.Box:
        """What the agent's network reads: the board alone when the line is for the lookahead."""
        return self.board_space if self.line_ticks else self.observation_space

    def _augment(self, obs: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        self._board = obs
        mask = self._opponent_mask(info)
        if self.line_ticks:
            return np.concatenate([obs, line_plane(tron_predicted_line(self.predictor, obs, mask, self.line_ticks),
                                                   obs)])
        return np.concatenate([obs, prediction_planes(self.game, obs, self.predictor.predict(obs, mask))])

    def _opponent_mask(self, info: dict[str, Any]) -> np.ndarray:
        """The opponent's legal moves for its next turn, as far as they are known before the agent moves."""
        if self.game == "connect_four":
            return info["action_mask"]
        return self.env.unwrapped.action_mask_for(1 - int(info["agent_seat"]))


class OpponentFeatures:
    """The opponent model of one DQN run: wraps its training env (learning online) and its evaluation envs."""

    def __init__(self, game: str, predictor: OpponentPredictor, line_ticks: int = 0) -> None:
        self.game, self.predictor, self.line_ticks = game, predictor, line_ticks

    @classmethod
    def for_env(cls, env: gym.Env, seed: int, line_ticks: int = 0) -> OpponentFeatures:
        """Checks that ``env`` is a two-player game with a built-in opponent and planes observations (which games
        take ``line_ticks``, agents.search.check_lookahead has checked)."""
        env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
        game = env.unwrapped
        if env_id not in GAMES or getattr(game, "opponent_spec", None) is None:
            raise DojoError(f"opponent_model=true needs {' or '.join(GAMES)} with a built-in opponent, "
                            f"not {env_id}{'' if env_id not in GAMES else ' with opponent=None'}")
        if getattr(game, "obs_mode", "planes") != "planes":
            raise DojoError("opponent_model=true needs obs_mode=planes: the predictions are added as planes")
        predictor = OpponentPredictor(env.observation_space.shape, int(env.action_space.n), seed=seed)
        return cls(GAMES[env_id], predictor, line_ticks)

    def wrap(self, env: gym.Env) -> OpponentModelWrapper:
        """The training env: the predictor observes every game and learns online."""
        return OpponentModelWrapper(env, self.game, self.predictor, learn=True, line_ticks=self.line_ticks)

    def eval_wrapper(self, env: gym.Env) -> OpponentModelWrapper:
        """An evaluation env (one per vector-env slot, one game each): a frozen copy of the predictor, with its own
        game state. Games played one after another can let their copy learn: ``play_wrapper``."""
        return OpponentModelWrapper(env, self.game, self.predictor.frozen_copy(), learn=False,
                                    line_ticks=self.line_ticks)

    def play_wrapper(self, env: gym.Env) -> OpponentModelWrapper:
        """An env for games played one after another (a bench, a match): a copy of the predictor that keeps
        learning from game to game, as it does in training, so it can pick up an opponent it has not met."""
        return OpponentModelWrapper(env, self.game, self.predictor.frozen_copy(), learn=True,
                                    line_ticks=self.line_ticks)

    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        return self.predictor.state_dict(include_replay)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.predictor.load_state_dict(state)


def with_opponent_model(env: gym.Env, config: Any, seed: int) -> tuple[gym.Env, OpponentFeatures | None]:
    """A DQN learner's env, wrapped with the opponent model when its config asks for one (else as it is)."""
    if not config.opponent_model:
        return env, None
    if config.self_play > 0:
        raise DojoError("opponent_model=true and self_play are alternatives: snapshots play from the raw planes, "
                        "without the prediction planes their network needs")
    features = OpponentFeatures.for_env(env, seed, search_line_ticks(config))
    return features.wrap(env), features


def checkpoint_features(data: dict[str, Any], line_ticks: int = 0) -> OpponentFeatures:
    """The opponent model of a saved opponent_model=true agent, from the predictor in its checkpoint."""
    state = data.get("learner", {}).get("opponent_model")
    if state is None or data["env_id"] not in GAMES:
        raise DojoError("the checkpoint says opponent_model=true but holds no opponent model for its game")
    return OpponentFeatures(GAMES[data["env_id"]], OpponentPredictor.from_state(state), line_ticks)
