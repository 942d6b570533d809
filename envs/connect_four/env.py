"""Connect Four as a gymnasium env: the agent plays one seat, a built-in opponent (or the caller) the other.

Observation (``obs_mode="planes"``): uint8 array (3, 6, 7) of 0/1 from the point of view of the player
whose turn it is (the agent, with an opponent): plane 0 its own discs, plane 1 the other player's discs,
plane 2 empty cells. Row 0 is the TOP row. ``obs_mode="pixels"``: the rendered frame downscaled to
(3, pixel_size, pixel_size), drawn so that the observing player's discs are always blue (the seat-0 colour).

Actions: Discrete(7), the column to drop into; ``info["action_mask"]`` and ``action_masks()`` mark the legal
columns.

Two ways to play:
* ``opponent`` given (a bot name from ``envs.registry`` or a callable ``(planes_obs, mask) -> column``; another
  for one episode with ``reset(options={"opponent": ...})``): ``step`` plays the agent's move, then the
  opponent's reply. Reward +1 win, -1 loss (or an illegal move), 0 otherwise. The opponent always receives its
  own PLANES observation.
* ``opponent=None``: both seats are driven from outside. ``step`` plays the move of ``current_player`` and
  returns the observation for the player to move NEXT together with the reward of the player who JUST MOVED
  (+1 if that move won, -1 if it was an illegal move, else 0). ``agent_first`` does not apply and
  ``info["agent_seat"]`` is -1.

An illegal move (a full column) loses the game by default, as in PettingZoo, so a learner without action masks
(Stable-Baselines3's PPO) trains unchanged; ``illegal_move="raise"`` raises ValueError instead.

``info["opponent_move"]`` is the column the built-in opponent played during this reset or step (-1 if none);
when it moved, ``info["opponent_board"]`` (the planes it moved on, from the agent's point of view) and
``info["opponent_mask"]`` (its legal columns) come with it, for an opponent model to learn from.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from envs.common import Bot, HumanWindow, downscale
from envs.connect_four.render import ConnectFourRenderer
from envs.connect_four.rules import COLS, PLANE_EMPTY, PLANE_OTHER, PLANE_OWN, ROWS, Board
from envs.registry import CONNECT_FOUR, make_bot

OBS_MODES = ("planes", "pixels")
ILLEGAL_MOVE_POLICIES = ("lose", "raise")


MAX_OPENING_MOVES = 6  # fewer than the seven plies a win needs, so an opening never ends the game


class ConnectFourEnv(gym.Env):
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        opponent: str | Bot | None = "random",
        agent_first: bool | str = True,
        illegal_move: str = "lose",
        obs_mode: str = "planes",
        pixel_size: int = 64,
        render_mode: str | None = None,
        opening_moves: int = 0,
    ) -> None:
        if isinstance(opening_moves, bool) or not isinstance(opening_moves, (int, np.integer)) \
                or not 0 <= opening_moves <= MAX_OPENING_MOVES:
            raise ValueError(f"opening_moves must be an int from 0 to {MAX_OPENING_MOVES}, got {opening_moves!r}")
        if not (isinstance(agent_first, (bool, np.bool_)) or agent_first == "alternate"):
            raise ValueError(f"agent_first must be True, False or 'alternate', got {agent_first!r}")
        if illegal_move not in ILLEGAL_MOVE_POLICIES:
            raise ValueError(f"illegal_move must be one of {ILLEGAL_MOVE_POLICIES}, got {illegal_move!r}")
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if isinstance(pixel_size, bool) or not isinstance(pixel_size, (int, np.integer)) or not 1 <= pixel_size <= 512:
            raise ValueError(f"pixel_size must be an int from 1 to 512, got {pixel_size!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        if opponent is not None:
            make_bot(CONNECT_FOUR.env_id, opponent, np.random.default_rng(0))  # fail fast on a bad spec
        self.opponent_spec = opponent
        self.opening_moves = int(opening_moves)
        self.agent_first = agent_first
        self.illegal_move = illegal_move
        self.obs_mode = obs_mode
        self.pixel_size = int(pixel_size)
        self.render_mode = render_mode

        self.action_space = gym.spaces.Discrete(COLS)
        if obs_mode == "planes":
            self.observation_space = gym.spaces.Box(0, 1, (3, ROWS, COLS), np.uint8)
        else:
            self.observation_space = gym.spaces.Box(0, 255, (3, self.pixel_size, self.pixel_size), np.uint8)

        self.board = Board()
        # One cached plane stack per seat, updated in place on every move; observations are copies.
        self._planes = np.zeros((2, 3, ROWS, COLS), dtype=np.uint8)
        self._planes[:, PLANE_EMPTY] = 1
        self.agent_seat = -1 if opponent is None else 0
        self._next_agent_seat: int | None = None  # for agent_first="alternate"
        self._opponent: Bot | None = None
        self._forfeit_winner = -1
        self._illegal = False
        self._opponent_turn: tuple[int, np.ndarray, np.ndarray] | None = None  # (move, board, mask), this step
        self._scores = [0, 0]  # wins per seat since construction, shown in the status strip
        # Pixel observations come from a small renderer sized just above pixel_size, so downscaling is cheap.
        self._obs_renderer = (
            ConnectFourRenderer(max(4, -(-self.pixel_size // COLS))) if obs_mode == "pixels" else None
        )
        self._display_renderer: ConnectFourRenderer | None = None
        self._window: HumanWindow | None = None
        self._needs_reset = True  # step() before the first reset() is a usage error

    # ----- gymnasium API -------------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        spec = (options or {}).get("opponent", self.opponent_spec)
        self._needs_reset = False
        self.board = Board()
        self._planes[:] = 0
        self._planes[:, PLANE_EMPTY] = 1
        self._forfeit_winner = -1
        self._illegal = False
        self._opponent_turn = None
        if spec is None:
            self.agent_seat, self._opponent = -1, None
        else:
            self.agent_seat = self._choose_agent_seat(seed)
            # Rebuilt every episode so it draws from the (possibly re-seeded) env generator.
            self._opponent = make_bot(CONNECT_FOUR.env_id, spec, self.np_random)
        self._play_opening()
        if self._opponent is not None and self.board.current_player != self.agent_seat:
            self._play_opponent()
        if self.render_mode == "human":
            self.render()
        return self._observation(self._viewer()), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._needs_reset or self._game_over():
            raise RuntimeError("no episode is running; call reset() before step()")
        col = int(action)
        mover = self.board.current_player
        reward = 0.0
        self._opponent_turn = None
        if not self.board.is_legal(col):
            if self.illegal_move == "raise":
                raise ValueError(f"illegal move: {self.board.illegal_reason(col)}")
            self._illegal = True
            self._forfeit_winner = 1 - mover
            self._scores[1 - mover] += 1
            reward = -1.0
        else:
            self._play(col)
            if self.board.winner == mover:
                reward = 1.0
            elif self._opponent is not None and not self.board.is_over():
                self._play_opponent()
                if self.board.winner is not None:
                    reward = -1.0
        if self.render_mode == "human":
            self.render()
        return self._observation(self._viewer()), reward, self._game_over(), False, self._info()

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        if self._display_renderer is None:
            self._display_renderer = ConnectFourRenderer()
        frame = self._display_renderer.draw(self.board, self.winner, tuple(self._scores))
        if self.render_mode == "human":
            if self._window is None:
                self._window = HumanWindow("Dojo - Connect Four", self.metadata["render_fps"])
            self._window.show(frame)
            return None
        return frame

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None

    # ----- extra API -----------------------------------------------------------------------------------
    @property
    def current_player(self) -> int:
        """The seat (0 moves first, 1) whose turn it is."""
        return self.board.current_player

    @property
    def winner(self) -> int:
        """The winning seat, or -1 while nobody has won (draws included); forfeits count as wins."""
        if self.board.winner is not None:
            return self.board.winner
        return self._forfeit_winner

    def action_masks(self) -> np.ndarray:
        """Legal columns for the player to move (sb3-contrib MaskablePPO convention); all False once over."""
        if self._game_over():
            return np.zeros(COLS, dtype=bool)
        return self.board.legal_mask()

    def observation_for(self, player: int) -> np.ndarray:
        """The observation (in this env's obs_mode) from ``player``'s point of view."""
        if player not in (0, 1):
            raise ValueError(f"player must be 0 or 1, got {player!r}")
        return self._observation(player)

    # ----- internals -----------------------------------------------------------------------------------
    def _choose_agent_seat(self, seed: int | None) -> int:
        if self.agent_first != "alternate":
            return 0 if self.agent_first else 1
        # Seats alternate reset after reset; a seeded reset draws the starting seat from the seed so that
        # the same seed always gives the same episode (and seeding every reset still mixes the seats).
        if seed is not None or self._next_agent_seat is None:
            self._next_agent_seat = int(self.np_random.integers(2))
        seat = self._next_agent_seat
        self._next_agent_seat = 1 - seat
        return seat

    def _viewer(self) -> int:
        """Whose point of view step()/reset() report: the agent's, or the player to move next without one."""
        return self.board.current_player if self.agent_seat < 0 else self.agent_seat

    def _game_over(self) -> bool:
        return self._forfeit_winner >= 0 or self.board.is_over()

    def _play(self, col: int) -> None:
        player = self.board.current_player
        row = self.board.play(col)
        self._planes[player, PLANE_OWN, row, col] = 1
        self._planes[1 - player, PLANE_OTHER, row, col] = 1
        self._planes[:, PLANE_EMPTY, row, col] = 0
        if self.board.winner is not None:
            self._scores[self.board.winner] += 1

    def _play_opening(self) -> None:
        """Random legal first moves for both seats: evaluations against deterministic opponents then cover many
        positions instead of replaying one game."""
        for _ in range(self.opening_moves):
            self._play(int(self.np_random.choice(np.flatnonzero(self.board.legal_mask()))))

    def _play_opponent(self) -> None:
        seat = self.board.current_player
        mask = self.board.legal_mask()
        col = int(self._opponent(self._planes[seat].copy(), mask))
        if not self.board.is_legal(col):
            raise ValueError(f"the opponent made an illegal move: {self.board.illegal_reason(col)}")
        self._opponent_turn = (col, self._planes[1 - seat].copy(), mask)
        self._play(col)

    def _observation(self, player: int) -> np.ndarray:
        if self._obs_renderer is None:
            return self._planes[player].copy()
        # No score tally here: it depends on earlier episodes, which would make observations irreproducible.
        frame = self._obs_renderer.draw(self.board, self.winner, perspective=player)
        return np.ascontiguousarray(downscale(frame, self.pixel_size).transpose(2, 0, 1))

    def _info(self) -> dict[str, Any]:
        history = self.board.history
        return {
            "winner": self.winner,
            "current_player": self.board.current_player,
            "agent_seat": self.agent_seat,
            "action_mask": self.action_masks(),
            "last_move": history[-1] if history else -1,
            "winning_cells": self.board.winning_cells(),
            "illegal_move": self._illegal,
            **self._opponent_info(),
        }

    def _opponent_info(self) -> dict[str, Any]:
        if self._opponent_turn is None:
            return {"opponent_move": -1}
        move, board, mask = self._opponent_turn
        return {"opponent_move": move, "opponent_board": board, "opponent_mask": mask}
