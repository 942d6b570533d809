"""Tron territory planes (envs/tron/territory.py) and the Tron lookahead (envs/tron/search.py)."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import torch

from agents.checkpoint import load_checkpoint, save_checkpoint, slim
from agents.errors import DojoError
from agents.games.lookahead import check_search
from agents.trainer import Trainer
from envs.tron.env import TronEnv
from envs.tron.rules import (
    OTHER_HEAD,
    OTHER_NECK,
    OTHER_TRAIL,
    OWN_HEAD,
    OWN_NECK,
    OWN_TRAIL,
    PLANE_COUNT,
    STRAIGHT,
    TURN_LEFT,
    TURN_RIGHT,
    TronGame,
)
from envs.tron.search import GUARD_MARGIN, _root
from envs.tron.search import line_move as tron_line_move
from envs.tron.search import search_move as tron_move
from envs.tron.search import worst_case_scores as _worst_case_scores
from envs.tron.territory import territory_planes


def planes(rows: list[str]) -> np.ndarray:
    """Planes from a picture: 'A' own head, 'n' own neck, 'a' own trail, 'B', 'm', 'b' the other cycle's."""
    grid = np.array([list(row) for row in rows])
    obs = np.zeros((PLANE_COUNT, *grid.shape), dtype=np.uint8)
    obs[OWN_HEAD], obs[OWN_NECK], obs[OWN_TRAIL] = grid == "A", grid == "n", np.isin(grid, list("Ana"))
    obs[OTHER_HEAD], obs[OTHER_NECK], obs[OTHER_TRAIL] = grid == "B", grid == "m", np.isin(grid, list("Bmb"))
    obs[PLANE_COUNT - 1] = 1
    return obs


def bfs_distances(obs: np.ndarray, head_plane: int) -> np.ndarray:
    """Reference: plain BFS distance from a head over the free cells (large where unreachable)."""
    size = obs.shape[1]
    blocked = (obs[OWN_TRAIL] | obs[OTHER_TRAIL]) > 0
    distance = np.full((size, size), 10**6)
    queue = deque([(divmod(int(obs[head_plane].argmax()), size), 0)])
    while queue:
        (row, col), steps = queue.popleft()
        for d_row, d_col in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            r, c = row + d_row, col + d_col
            if 0 <= r < size and 0 <= c < size and not blocked[r, c] and distance[r, c] > steps + 1:
                distance[r, c] = steps + 1
                queue.append(((r, c), steps + 1))
    return distance


def test_territory_planes_match_a_plain_bfs() -> None:
    env = TronEnv(opponent=None, territory_plane=True, opening_moves=12)
    for seed in range(5):
        env.reset(seed=seed)
        for seat in (0, 1):
            obs = env.observation_for(seat)
            assert obs.shape == (9, 16, 16)
            own, other = bfs_distances(obs, OWN_HEAD), bfs_distances(obs, OTHER_HEAD)
            free = (obs[OWN_TRAIL] | obs[OTHER_TRAIL]) == 0
            assert (obs[7] == (free & (own < other))).all()
            assert (obs[8] == (free & (other < own))).all()
            assert obs[7].sum() > 0 and obs[8].sum() > 0


def test_territory_plane_is_optional_and_needs_planes() -> None:
    assert TronEnv(opponent="space").observation_space.shape == (7, 16, 16)
    assert TronEnv(opponent="space", territory_plane=True).reset(seed=0)[0].shape == (9, 16, 16)
    with pytest.raises(ValueError, match="obs_mode='planes'"):
        TronEnv(obs_mode="pixels", territory_plane=True)


def flat_leaves(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    return np.zeros(len(obs))


def winning_leaves(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    return np.full(len(obs), 0.5)  # the network thinks every position is won


def loves_row_one(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    return obs[:, OWN_HEAD, 1].sum(axis=1).astype(float)  # a network that wants to ride along row 1


SIX = ["......"] * 6
TACTICS = [
    # name, picture, leaf values, depths, expected move(s)
    ("escapes a dead end the network would enter",
     ["aaaaa.", "nA..a.", "..aaa.", "......", "....Bm", "......"], loves_row_one, (1, 2), {TURN_RIGHT}),
    ("avoids a head-on cell", SIX[:2] + [".nA.Bm"] + SIX[3:], winning_leaves, (1, 2), {TURN_LEFT, TURN_RIGHT}),
    ("takes a cut-off that wins", ["mB....", "......", "aaanA.", "......", "......", "......"], flat_leaves,
     (2,), {STRAIGHT}),
    ("takes the only move that does not crash", ["..a...", ".nA...", "..a...", "......", "...Bm.", "......"],
     flat_leaves, (1, 2), {STRAIGHT}),
]


@pytest.mark.parametrize("name, rows, leaves, depths, expected", TACTICS, ids=[case[0] for case in TACTICS])
def test_tron_search_tactics(name: str, rows: list[str], leaves, depths: tuple[int, ...], expected: set[int]) -> None:
    obs = planes(rows)
    for depth in depths:
        assert tron_move(obs, None, depth, leaves) in expected, f"{name} at depth {depth}"


def test_the_raw_network_would_enter_the_dead_end() -> None:
    # Without the search's separation check, the leaf scores alone prefer riding straight into the pocket:
    # the dead-end case above really tests the search, not the evaluator.
    obs = planes(["aaaaa.", "nA..a.", "..aaa.", "......", "....Bm", "......"])
    after_straight, after_right = obs.copy(), obs.copy()
    after_straight[OWN_HEAD] = 0
    after_straight[OWN_HEAD, 1, 2] = 1
    after_right[OWN_HEAD] = 0
    after_right[OWN_HEAD, 2, 1] = 1
    scores = loves_row_one(np.stack([after_straight, after_right]), np.ones((2, 3), dtype=bool))
    assert scores[0] > scores[1]


def test_leaves_are_the_own_view_of_each_joint_move_in_one_batch() -> None:
    calls: list[tuple[np.ndarray, np.ndarray]] = []

    def leaf_values(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        calls.append((obs, legal))
        return np.zeros(len(obs))

    env = TronEnv(opponent=None, territory_plane=True)
    obs, _ = env.reset(seed=0)
    tron_move(obs, None, 1, leaf_values)
    assert len(calls) == 1
    leaves, legal = calls[0]
    assert leaves.shape == (9, 9, 16, 16) and legal.shape == (9, 3) and legal.any(axis=1).all()
    for leaf in leaves:
        assert (leaf[7:] == territory_planes(TronGame.from_planes(leaf))).all()
        assert leaf[OWN_TRAIL].sum() == obs[OWN_TRAIL].sum() + 1 and leaf[OWN_HEAD].sum() == 1
        assert leaf[OWN_NECK, 7, 4] == 1  # the old head is the new neck
    # A real joint step gives the same planes as the search's leaf for that pair of moves (own left, other left).
    env.joint_step(TURN_LEFT, TURN_LEFT)
    assert any((leaf == env.observation_for(0)).all() for leaf in leaves)
    calls.clear()
    tron_move(obs, None, 2, leaf_values)
    assert len(calls) == 1 and calls[0][0].shape == (81, 9, 16, 16)


def test_the_mask_limits_the_own_moves() -> None:
    obs = planes(SIX[:2] + [".nA..."] + SIX[3:4] + ["...Bm."] + SIX[5:])
    for move in range(3):
        mask = np.arange(3) == move
        assert tron_move(obs, mask, 2, flat_leaves) == move
    with pytest.raises(ValueError, match="no legal move"):
        tron_move(obs, np.zeros(3, dtype=bool), 1, flat_leaves)


@pytest.mark.parametrize("env_id, depth, message", [
    ("dojo/Tron-v0", 4, "0..3"),
    ("dojo/Snake-v0", 5, "0..4"),
])
def test_bad_tron_search_settings(env_id: str, depth: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_search(env_id, "planes", depth)
    check_search("dojo/Tron-v0", "planes", 3)


def test_dqn_with_tron_search_trains_and_reloads(tmp_path) -> None:
    from agents import load_agent

    with pytest.raises(DojoError, match="obs_mode=planes"):
        Trainer("dqn", "dojo/Tron-v0", steps=10, run_dir=tmp_path / "bad", overrides=["search_depth=1"],
                env_kwargs={"obs_mode": "pixels"})
    trainer = Trainer("dqn", "dojo/Tron-v0", steps=300, seed=1, device="cpu", run_dir=tmp_path / "run",
                      overrides=["search_depth=1", "learning_starts=100"], eval_episodes=2, eval_every=300,
                      env_kwargs={"territory_plane": True})
    trainer.run(progress=False)
    trainer.close()
    agent = load_agent(tmp_path / "run" / "checkpoints" / "last.pt")
    assert agent.play.search_depth == 1
    # The loaded agent plays the search's move: the only one that does not crash, whatever its network thinks.
    obs = np.concatenate([planes(TACTICS[3][1]), np.zeros((2, 6, 6), dtype=np.uint8)])
    obs = np.pad(obs, ((0, 0), (0, 10), (0, 10)))
    obs[PLANE_COUNT - 1] = 1
    obs[7:] = territory_planes(TronGame.from_planes(obs))
    assert agent.act(obs, np.ones(3, dtype=bool)) == STRAIGHT
    # A float16 export (how the shipped Tron agent stays small) is half the size and loads into the same net.
    full = save_checkpoint(tmp_path / "full.pt", slim(load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")))
    half = save_checkpoint(tmp_path / "half.pt", slim(load_checkpoint(full), half=True))
    assert half.stat().st_size < 0.6 * full.stat().st_size
    halved = load_agent(half)
    assert next(halved.net.parameters()).dtype == torch.float32
    boards = np.stack([TronEnv(opponent=None, territory_plane=True).reset(seed=seed)[0] for seed in range(3)])
    assert np.allclose(halved.position_values(boards, np.ones((3, 3), dtype=bool)),
                       agent.position_values(boards, np.ones((3, 3), dtype=bool)), atol=1e-2)


# ----- the lookahead along the opponent model's predicted line ------------------------------------------------
LINE_TACTICS = [
    # name, picture, leaf values, the other cycle's predicted line, expected move(s)
    ("avoids a head-on cell even when the line says the other turns away", SIX[:2] + [".nA.Bm"] + SIX[3:],
     winning_leaves, [TURN_LEFT] * 6, {TURN_LEFT, TURN_RIGHT}),
    ("takes the only move that does not crash", ["..a...", ".nA...", "..a...", "......", "...Bm.", "......"],
     flat_leaves, [STRAIGHT] * 6, {STRAIGHT}),
    ("escapes a dead end the network would enter", ["aaaaa.", "nA..a.", "..aaa.", "......", "....Bm", "......"],
     loves_row_one, [STRAIGHT] * 6, {TURN_RIGHT}),
]


@pytest.mark.parametrize("name, rows, leaves, line, expected", LINE_TACTICS, ids=[case[0] for case in LINE_TACTICS])
def test_tron_line_search_tactics(name: str, rows: list[str], leaves, line: list[int], expected: set[int]) -> None:
    assert tron_line_move(planes(rows), None, line, 6, leaves) in expected


def test_the_line_search_never_crashes_when_a_move_is_safe() -> None:
    rng = np.random.default_rng(0)
    env = TronEnv(opponent=None, opening_moves=0)
    checked = 0
    for seed in range(6):
        env.reset(seed=seed)
        done = False
        while not done:
            obs = env.observation_for(0)
            safe = env.action_mask_for(0)
            line = [int(move) for move in rng.integers(0, 3, 6)]
            action = tron_line_move(obs, None, line, int(rng.integers(1, 5)), flat_leaves)
            if not safe.all():  # some move crashes at once (the mask is all True when every move does)
                assert safe[action], (seed, action, safe)
                checked += 1
            other = rng.choice(np.flatnonzero(env.action_mask_for(1)))
            *_, terminated, truncated, _ = env.joint_step(action, int(other))
            done = terminated or truncated
    assert checked > 50, checked


@pytest.mark.parametrize("ticks", [0, 7])
def test_line_search_depth_is_checked(ticks: int) -> None:
    with pytest.raises(ValueError, match="ticks must be 1..6"):
        tron_line_move(planes(SIX[:2] + [".nA.Bm"] + SIX[3:]), None, [STRAIGHT], ticks, flat_leaves)


def likes_some_cells(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """A network with strong, arbitrary likes: each own head cell has its own value in [-0.5, 0.5]."""
    cells = obs[:, OWN_HEAD].reshape(len(obs), -1).argmax(axis=1)
    return ((cells * 7919) % 11) / 10.0 - 0.5


def test_the_guard_keeps_the_line_to_moves_near_the_best_worst_case() -> None:
    rng = np.random.default_rng(3)
    env = TronEnv(opponent=None, opening_moves=0, size=8)
    checked, overruled = 0, 0
    for seed in range(8):
        env.reset(seed=seed)
        done = False
        while not done:
            obs = env.observation_for(0)
            line = [int(move) for move in rng.integers(0, 3, 4)]
            guarded = tron_line_move(obs, None, line, 4, likes_some_cells, guard_depth=2)
            _, arena, moves = _root(obs, None)
            worst = dict(zip(moves, _worst_case_scores(arena, moves, 2, False, likes_some_cells)))
            assert worst[guarded] >= max(worst.values()) - GUARD_MARGIN, (seed, guarded, worst)
            overruled += guarded != tron_line_move(obs, None, line, 4, likes_some_cells)
            checked += 1
            other = rng.choice(np.flatnonzero(env.action_mask_for(1)))
            *_, terminated, truncated, _ = env.joint_step(guarded, int(other))
            done = terminated or truncated
    assert checked > 50 and overruled > 0, (checked, overruled)  # the guard does change some of the line's choices


def test_the_guard_depth_is_checked() -> None:
    with pytest.raises(ValueError, match="guard_depth must be >= 0"):
        tron_line_move(planes(SIX[:2] + [".nA.Bm"] + SIX[3:]), None, [STRAIGHT], 2, flat_leaves, guard_depth=-1)
