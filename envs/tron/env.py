"""Tron light cycles as a gymnasium env: the agent rides one cycle, a built-in opponent (or the caller) the
other.

Actions: Discrete(3) relative to the cycle's heading: 0 turn left, 1 straight on, 2 turn right.

Observation (``obs_mode="planes"``): uint8 (7, size, size) of 0/1 from the acting seat's point of view:
  0 own head, 1 own neck (the previous head cell: head minus neck gives the heading), 2 own trail (head
  included), 3 other head, 4 other neck, 5 other trail, 6 arena (all ones, so a convolution can tell the
  border from zero padding). With ``territory_plane=True`` two more 0/1 planes follow (9 in all): 7 the free
  cells the own head reaches first, 8 those the other head reaches first (BFS distance; ties in neither), so a
  network can value space directly (envs/tron/territory.py).
Seat 1's view is turned 180 degrees: the start positions are point-symmetric, so both seats see the same
opening and one network plays either seat. ``obs_mode="pixels"``: the rendered frame from the same point of
view (turned, and with the observer drawn in the seat-0 colour), downscaled to (3, pixel_size, pixel_size).

``info["action_mask"]``: the moves that do not run straight into a wall or trail (all True when every move
does). Head-on meetings are not masked: they depend on the other cycle's simultaneous move.

Reward +1 when only the other cycle crashes, -1 when only this one does, 0 for a draw (both crash in the same
tick, or ``max_steps`` runs out: truncation). With ``opponent=None`` use ``joint_step(action_0, action_1)``.

The opponent is the constructor's ``opponent`` unless ``reset(options={"opponent": ...})`` names another for that
episode (a bot name from ``envs.registry``, or a callable ``(planes_obs, mask) -> action``).

``info["opponent_move"]`` is the built-in opponent's action in this step (-1 after reset and without one); with
it come ``info["opponent_board"]`` (the planes before the tick, from the agent's point of view) and
``info["opponent_mask"]`` (the opponent's non-crashing moves, possibly none), for an opponent model to learn from.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from envs.common import Bot, HumanWindow, downscale
from envs.registry import TRON, make_bot
from envs.tron.render import TronRenderer
from envs.tron.rules import (
    ARENA,
    OTHER_HEAD,
    OWN_HEAD,
    OWN_NECK,
    OWN_TRAIL,
    PLANE_COUNT,
    TronGame,
)
from envs.tron.territory import TERRITORY_PLANES, territory_planes

OBS_MODES = ("planes", "pixels")
OTHER_OFFSET = OTHER_HEAD - OWN_HEAD  # the other seat's planes follow the own ones in the same order
# The 8 possible safety masks, indexed by their bits (left 1, straight 2, right 4): a copy of one is cheaper
# than building an array from a list, and masks are built twice a tick. Read-only, so the opponent's raw safety
# (which the bot gets) can be shared.
SAFE_MASKS = tuple(np.array([bool(code & 1), bool(code & 2), bool(code & 4)]) for code in range(8))
for _mask in SAFE_MASKS:
    _mask.flags.writeable = False


OPENING_TRIES = 20  # an opening that crashes is replayed; this many failures means the setting cannot work


class TronEnv(gym.Env):
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}

    def __init__(
        self,
        opponent: str | Bot | None = "random",
        size: int = 16,
        obs_mode: str = "planes",
        pixel_size: int = 64,
        render_mode: str | None = None,
        agent_seat: int | str = 0,
        max_steps: int | None = None,
        opening_moves: int = 0,
        territory_plane: bool = False,
    ) -> None:
        if isinstance(opening_moves, bool) or not isinstance(opening_moves, (int, np.integer)) or opening_moves < 0:
            raise ValueError(f"opening_moves must be an int >= 0, got {opening_moves!r}")
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if isinstance(pixel_size, bool) or not isinstance(pixel_size, (int, np.integer)) or not 1 <= pixel_size <= 512:
            raise ValueError(f"pixel_size must be an int from 1 to 512, got {pixel_size!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}"
            )
        if agent_seat not in (0, 1, "alternate") or isinstance(agent_seat, bool):
            raise ValueError(f"agent_seat must be 0, 1 or 'alternate', got {agent_seat!r}")
        if not isinstance(territory_plane, bool):
            raise ValueError(f"territory_plane must be true or false, got {territory_plane!r}")
        if territory_plane and obs_mode != "planes":
            raise ValueError("territory_plane needs obs_mode='planes'")
        self.game = TronGame(size)  # validates size
        if max_steps is None:
            max_steps = self.game.size**2
        if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps <= 0:
            raise ValueError(f"max_steps must be a positive int or None, got {max_steps!r}")
        if opponent is not None:
            make_bot(TRON.env_id, opponent, np.random.default_rng(0))  # fail fast on a bad spec
        self.opponent_spec = opponent
        self.size = self.game.size
        self.obs_mode = obs_mode
        self.pixel_size = int(pixel_size)
        self.render_mode = render_mode
        self.agent_seat_option = agent_seat
        self.max_steps = int(max_steps)
        self.opening_moves = int(opening_moves)
        self.territory_plane = territory_plane
        self._plain_planes = obs_mode == "planes" and not territory_plane  # observations are the views' copies

        self.action_space = gym.spaces.Discrete(3)
        if obs_mode == "planes":
            planes = PLANE_COUNT + (TERRITORY_PLANES if territory_plane else 0)
            self.observation_space = gym.spaces.Box(0, 1, (planes, self.size, self.size), np.uint8)
        else:
            self.observation_space = gym.spaces.Box(0, 255, (3, self.pixel_size, self.pixel_size), np.uint8)

        # One cached plane stack per seat (seat 1's turned 180 degrees), updated in place every tick.
        self._view_bytes = bytearray(2 * PLANE_COUNT * self.size * self.size)
        self._start_views: bytes | None = None
        self._views = np.frombuffer(self._view_bytes, dtype=np.uint8).reshape(2, PLANE_COUNT, self.size, self.size)
        # Per player: where its neck, head and trail planes start in seat 0's view (seat-0 cell indices add to
        # them) and end in seat 1's (turned 180 degrees: seat-0 cell indices subtract from them).
        area = self.size * self.size

        def plane_start(seat: int, player: int, plane: int) -> int:
            return (seat * PLANE_COUNT + plane + (0 if seat == player else OTHER_OFFSET)) * area

        self._view_bases = tuple(
            tuple(plane_start(0, player, plane) for plane in (OWN_NECK, OWN_HEAD, OWN_TRAIL))
            + tuple(plane_start(1, player, plane) + area - 1 for plane in (OWN_NECK, OWN_HEAD, OWN_TRAIL))
            for player in (0, 1)
        )
        self._readonly_views = self._views.view()  # what a bot that never reads the board gets (no copy a tick)
        self._readonly_views.flags.writeable = False
        self._opponent_reads_board = True
        self._territory: np.ndarray | None = None  # seat 0's territory planes this tick, computed when asked
        self.agent_seat = -1 if opponent is None else 0
        self._next_agent_seat: int | None = None  # for agent_seat="alternate"
        self._opponent: Bot | None = None
        self._masks = [np.ones(3, dtype=bool), np.ones(3, dtype=bool)]  # per seat, refreshed every tick
        self._safe = [np.ones(3, dtype=bool), np.ones(3, dtype=bool)]  # the non-crashing moves, may be none
        self._opponent_turn: tuple[int, np.ndarray, np.ndarray] | None = None  # (move, board, mask), this step
        self._obs_renderer = (
            TronRenderer(self.size, max(2, -(-self.pixel_size // self.size)))
            if obs_mode == "pixels"
            else None
        )
        self._display_renderer: TronRenderer | None = None
        self._window: HumanWindow | None = None
        self._needs_reset = True  # step() before the first reset() is a usage error
        self._reset_views()
        self._refresh_masks()

    # ----- gymnasium API -------------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        spec = (options or {}).get("opponent", self.opponent_spec)
        self._needs_reset = False
        self._start_game()
        self._opponent_turn = None
        if spec is None:
            self.agent_seat, self._opponent = -1, None
        else:
            self.agent_seat = self._choose_agent_seat(seed)
            # Rebuilt every episode so it draws from the (possibly re-seeded) env generator.
            self._opponent = make_bot(TRON.env_id, spec, self.np_random)
            self._opponent_reads_board = getattr(self._opponent, "reads_board", True)
        if self.render_mode == "human":
            self.render()
        seat = max(self.agent_seat, 0)
        return self._observation(seat), self._info(seat)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        # The hot path of training (tens of thousands of calls a second): the checks and plane copies are inline.
        game = self.game
        if self._needs_reset or game.crashed[0] or game.crashed[1] or game.steps >= self.max_steps:
            raise RuntimeError("no episode is running; call reset() before stepping")
        if self._opponent is None:
            raise RuntimeError(
                "TronEnv(opponent=None) drives both cycles: call joint_step(action_seat0, action_seat1)"
            )
        seat = self.agent_seat
        other = 1 - seat
        shared = self._safe[other]  # a read-only constant
        safe = shared.copy()  # info's copy: infos never share an object between steps (check_env)
        plain = self._plain_planes
        board = self._views[seat].copy()  # the agent's planes before the tick, for an opponent model
        # The opponent sees what the agent would in its seat: a snapshot of the agent can play it.
        if not self._opponent_reads_board:
            opponent_obs = self._readonly_views[other]
        else:
            opponent_obs = self._views[other].copy() if plain else self._planes(other)
        other_action = int(self._opponent(opponent_obs, shared))
        self._opponent_turn = (other_action, board, safe)
        actions = (int(action), other_action) if seat == 0 else (other_action, int(action))
        reward, terminated, truncated = self._advance(*actions, seat)
        info = {"winner": game.winner, "agent_seat": seat, "steps": game.steps, "action_mask": self._masks[seat].copy(),
                "opponent_move": other_action, "opponent_board": board, "opponent_mask": safe}
        obs = self._views[seat].copy() if plain else self._observation(seat)
        return obs, reward, terminated, truncated, info

    def joint_step(
        self, action_seat0: int, action_seat1: int
    ) -> tuple[np.ndarray, np.ndarray, float, bool, bool, dict[str, Any]]:
        """Move both cycles at once: (obs_seat0, obs_seat1, reward_seat0, terminated, truncated, info).

        Seat 1's reward is minus seat 0's. ``info["action_mask"]`` is seat 0's; see ``action_mask_for``.
        """
        self._check_running()
        reward, terminated, truncated = self._advance(int(action_seat0), int(action_seat1), 0)
        return self._observation(0), self._observation(1), reward, terminated, truncated, self._info(0)

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        if self._display_renderer is None:
            self._display_renderer = TronRenderer(self.size)
        frame = self._display_renderer.draw(self.game, self.max_steps)
        if self.render_mode == "human":
            if self._window is None:
                self._window = HumanWindow("Dojo - Tron", self.metadata["render_fps"])
            self._window.show(frame)
            return None
        return frame

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None

    # ----- extra API -----------------------------------------------------------------------------------
    @property
    def winner(self) -> int:
        """The surviving seat, or -1 while running and after a draw."""
        return self.game.winner

    def observation_for(self, seat: int) -> np.ndarray:
        """The observation (in this env's obs_mode) from ``seat``'s point of view."""
        if seat not in (0, 1):
            raise ValueError(f"seat must be 0 or 1, got {seat!r}")
        return self._observation(seat)

    def action_mask_for(self, seat: int) -> np.ndarray:
        """Bool (3,): ``seat``'s moves that do not crash at once (all True when none is safe)."""
        if seat not in (0, 1):
            raise ValueError(f"seat must be 0 or 1, got {seat!r}")
        return self._masks[seat].copy()

    def action_masks(self) -> np.ndarray:
        """The acting seat's mask (sb3-contrib MaskablePPO convention); seat 0's with opponent=None."""
        return self.action_mask_for(max(self.agent_seat, 0))

    # ----- internals -----------------------------------------------------------------------------------
    def _choose_agent_seat(self, seed: int | None) -> int:
        if self.agent_seat_option != "alternate":
            return int(self.agent_seat_option)
        # Seats alternate reset after reset; a seeded reset draws the starting seat from the seed so that
        # the same seed always gives the same episode (and seeding every reset still mixes the seats).
        if seed is not None or self._next_agent_seat is None:
            self._next_agent_seat = int(self.np_random.integers(2))
        seat = self._next_agent_seat
        self._next_agent_seat = 1 - seat
        return seat

    def _check_running(self) -> None:
        game = self.game
        if self._needs_reset or game.over or game.steps >= self.max_steps:
            raise RuntimeError("no episode is running; call reset() before stepping")

    def _start_game(self) -> None:
        """A fresh arena, then ``opening_moves`` ticks of random non-crashing moves for both cycles (evaluations
        against deterministic opponents then cover many positions instead of replaying one game)."""
        for _ in range(OPENING_TRIES):
            self.game.reset()
            self._reset_views()
            self._refresh_masks()
            for _ in range(self.opening_moves):
                moves = [self._random_safe_move(seat) for seat in (0, 1)]
                self._check_running()
                _, terminated, truncated = self._advance(moves[0], moves[1], 0)
                if terminated or truncated:
                    break
            else:
                return
        raise ValueError(f"opening_moves={self.opening_moves} keeps crashing on a {self.game.size}x{self.game.size} "
                         "arena; use fewer")

    def _random_safe_move(self, seat: int) -> int:
        safe = np.flatnonzero(self.action_mask_for(seat))
        return int(self.np_random.choice(safe)) if safe.size else 1

    def _advance(self, action_0: int, action_1: int, seat: int) -> tuple[float, bool, bool]:
        """One tick of the rules plus the plane updates: (reward for ``seat``, terminated, truncated); the caller
        has checked that an episode is running."""
        game = self.game
        old_heads, old_necks = list(game.heads), list(game.necks)
        crashed = game.step(action_0, action_1)
        self._territory = None
        self._move_in_views(old_heads, old_necks, crashed)
        self._refresh_masks()
        if self.render_mode == "human":
            self.render()
        if not (crashed[0] or crashed[1]):
            return 0.0, False, game.steps >= self.max_steps
        reward = 0.0 if crashed[0] == crashed[1] else (-1.0 if crashed[seat] else 1.0)
        return reward, True, False

    def _refresh_masks(self) -> None:
        game = self.game
        for seat in (0, 1):
            code = game.safe_code(seat)
            # The opponent gets the raw safety (all False when every move crashes); the agent's mask never
            # empties, following the API's convention that some action is always allowed. Both are shared
            # read-only constants; what leaves the env (infos, action_mask_for) is a copy.
            self._safe[seat] = SAFE_MASKS[code]
            self._masks[seat] = SAFE_MASKS[code or 7]

    def _reset_views(self) -> None:
        """The views of the start position: built once, then copied (every reset starts there)."""
        self._territory = None
        if self._start_views is not None:
            self._view_bytes[:] = self._start_views
            return
        views = self._views
        views[:] = 0
        views[:, ARENA] = 1
        for player in (0, 1):
            for seat in (0, 1):
                offset = 0 if player == seat else OTHER_OFFSET
                views[(seat, OWN_HEAD + offset, *self._view_cell(seat, self.game.heads[player]))] = 1
                views[(seat, OWN_NECK + offset, *self._view_cell(seat, self.game.necks[player]))] = 1
                views[(seat, OWN_TRAIL + offset, *self._view_cell(seat, self.game.heads[player]))] = 1
        self._start_views = bytes(self._view_bytes)

    def _view_cell(self, seat: int, cell: tuple[int, int]) -> tuple[int, int]:
        if seat == 1:
            return self.size - 1 - cell[0], self.size - 1 - cell[1]
        return cell

    def _move_in_views(self, old_heads: list[tuple[int, int]], old_necks: list[tuple[int, int]],
                       crashed: tuple[bool, bool]) -> None:
        """Move every cycle that did not crash in both seats' views (seat 1's turned 180 degrees: flat index i of
        seat 0's view is last - i of seat 1's)."""
        # Plain bytearray writes into the views' memory (a numpy scalar write costs several times more) at
        # offsets precomputed per player (_view_bases): this runs every tick.
        cells, size, heads = self._view_bytes, self.size, self.game.heads
        for player in (0, 1):
            if crashed[player]:
                continue
            head, neck, new = old_heads[player], old_necks[player], heads[player]
            head, neck, new = head[0] * size + head[1], neck[0] * size + neck[1], new[0] * size + new[1]
            neck_plane, head_plane, trail_plane, neck_turned, head_turned, trail_turned = self._view_bases[player]
            cells[neck_plane + neck] = 0
            cells[neck_plane + head] = 1
            cells[head_plane + head] = 0
            cells[head_plane + new] = 1
            cells[trail_plane + new] = 1
            cells[neck_turned - neck] = 0
            cells[neck_turned - head] = 1
            cells[head_turned - head] = 0
            cells[head_turned - new] = 1
            cells[trail_turned - new] = 1

    def _observation(self, seat: int) -> np.ndarray:
        if self._obs_renderer is None:
            return self._planes(seat)
        frame = self._obs_renderer.draw(self.game, self.max_steps, perspective=seat)
        return np.ascontiguousarray(downscale(frame, self.pixel_size).transpose(2, 0, 1))

    def _planes(self, seat: int) -> np.ndarray:
        """``seat``'s planes observation (a copy), territory planes included when the env adds them."""
        if not self.territory_plane:
            return self._views[seat].copy()
        if self._territory is None:  # one split per tick serves both seats
            self._territory = territory_planes(self.game)
        # Seat 1 sees the arena turned 180 degrees, with own and other swapped.
        territory = self._territory if seat == 0 else self._territory[::-1, ::-1, ::-1]
        return np.concatenate([self._views[seat], territory])

    def _info(self, seat: int) -> dict[str, Any]:
        return {
            "winner": self.game.winner,
            "agent_seat": self.agent_seat,
            "steps": self.game.steps,
            "action_mask": self._masks[seat].copy(),
            **self._opponent_info(),
        }

    def _opponent_info(self) -> dict[str, Any]:
        if self._opponent_turn is None:
            return {"opponent_move": -1}
        move, board, mask = self._opponent_turn
        return {"opponent_move": move, "opponent_board": board, "opponent_mask": mask}
