"""Connect Four lookahead (envs/connect_four/search.py): tactics the rules decide, leaf scoring, and the DQN hook."""

from __future__ import annotations

import numpy as np
import pytest

from agents.errors import DojoError
from agents.games.lookahead import MAX_SEARCH_DEPTH, check_search
from agents.trainer import Trainer
from envs.connect_four.search import search_move as connect_four_move


def planes(rows: list[str]) -> np.ndarray:
    """Planes for the side to move from a picture: top row first, 'x' to move, 'o' the other side, '.' empty."""
    grid = np.array([list(row) for row in rows])
    obs = np.zeros((3, 6, 7), dtype=np.uint8)
    obs[0], obs[1], obs[2] = grid == "x", grid == "o", grid == "."
    return obs


def flat_leaves(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
    return np.zeros(len(obs))


EMPTY = ["......."] * 6

TACTICS = [
    # name, board, depths, expected column(s)
    ("wins at once (horizontal)", EMPTY[:5] + ["xxx.oo."], (1, 2, 3, 4), {3}),
    ("wins at once (vertical)", EMPTY[:3] + ["x......", "x.o....", "x.oo..."], (1, 2, 3), {0}),
    ("blocks the other side's four", EMPTY[:5] + ["ooo.xx."], (2, 3, 4), {3}),
    ("prefers its own win to a block", EMPTY[:3] + ["x......", "x......", "x.ooo.."], (1, 2, 3), {0}),
    ("does not open the cell under the other side's four", EMPTY[:4] + [".ooo...", ".oxo.xx"], (2, 3), {1, 2, 3, 5, 6}),
    ("makes a double threat", EMPTY[:4] + [".....o.", "..xx.o."], (3, 4), {1}),
]


@pytest.mark.parametrize("name, rows, depths, expected", TACTICS, ids=[case[0] for case in TACTICS])
def test_search_tactics(name: str, rows: list[str], depths: tuple[int, ...], expected: set[int]) -> None:
    obs = planes(rows)
    for depth in depths:
        assert connect_four_move(obs, None, depth, flat_leaves) in expected, f"{name} at depth {depth}"


def test_depth_one_misses_what_depth_two_sees() -> None:
    # Without looking at the reply, a flat evaluation takes the first column and lets the other side win.
    obs = planes(EMPTY[:5] + ["ooo.xx."])
    assert connect_four_move(obs, None, 1, flat_leaves) == 0
    assert connect_four_move(obs, None, 2, flat_leaves) == 3


def test_leaves_are_scored_for_the_side_to_move_in_one_batch() -> None:
    calls: list[tuple[np.ndarray, np.ndarray]] = []

    def leaf_values(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        calls.append((obs, legal))
        # Worth more to the side to move the more of its discs sit in column 6.
        return obs[:, 0, :, 6].sum(axis=(1,)).astype(float) - obs[:, 1, :, 6].sum(axis=(1,))

    obs = planes(EMPTY)
    # Depth 1: each leaf is seen by the other side, so the mover avoids giving it column 6... and takes it itself.
    assert connect_four_move(obs, None, 1, leaf_values) == 6
    assert len(calls) == 1 and calls[0][0].shape == (7, 3, 6, 7)
    leaf_obs, legal = calls[0]
    assert leaf_obs[6, 1, 5, 6] == 1 and leaf_obs[6, 0].sum() == 0  # the mover's disc is the other side's now
    assert (leaf_obs[:, 2] == 1 - leaf_obs[:, 0] - leaf_obs[:, 1]).all()
    assert legal.all()
    calls.clear()
    connect_four_move(obs, None, 2, leaf_values)
    assert len(calls) == 1 and calls[0][0].shape == (49, 3, 6, 7)


def test_full_columns_and_the_mask_are_respected() -> None:
    rows = ["x.o.o.o", "o.x.x.x", "x.o.o.o", "o.x.x.x", "x.o.o.o", "o.x.x.x"]
    obs = planes(rows)
    for depth in (1, 2, 3):
        assert connect_four_move(obs, None, depth, flat_leaves) in (1, 3, 5)
        mask = np.array([False, False, False, False, False, True, False])
        assert connect_four_move(obs, mask, depth, flat_leaves) == 5
    with pytest.raises(ValueError, match="no legal move"):
        connect_four_move(obs, np.zeros(7, dtype=bool), 2, flat_leaves)


@pytest.mark.parametrize("env_id, mode, depth, message", [
    ("dojo/ConnectFour-v0", "planes", MAX_SEARCH_DEPTH + 1, "0..6"),
    ("dojo/ConnectFour-v0", "planes", -1, "0..6"),
    ("dojo/ConnectFour-v0", "pixels", 2, "obs_mode=planes"),
    ("dojo/Maze-v0", "planes", 2, "search_depth needs Snake, Connect Four, Tron"),
])
def test_bad_search_settings(env_id: str, mode: str, depth: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_search(env_id, mode, depth)
    check_search(env_id, mode, 0)  # no search is always fine


def test_dqn_refuses_search_outside_connect_four(tmp_path) -> None:
    with pytest.raises(DojoError, match="search_depth needs"):
        Trainer("dqn", "CartPole-v1", steps=10, run_dir=tmp_path / "run", overrides=["search_depth=2"])


def test_dqn_with_search_trains_evaluates_and_reloads(tmp_path) -> None:
    from agents import load_agent

    trainer = Trainer("dqn", "dojo/ConnectFour-v0", steps=600, seed=3, device="cpu", run_dir=tmp_path / "run",
                      overrides=["search_depth=2", "learning_starts=100", "opponent_mix=[]"], eval_episodes=6,
                      eval_every=300)
    trainer.run(progress=False)
    trainer.close()
    agent = load_agent(tmp_path / "run" / "checkpoints" / "last.pt")
    assert agent.play.search_depth == 2
    # The loaded agent plays the search's move: it takes an immediate win the raw network may not see.
    obs = planes(EMPTY[:5] + ["xxx.oo."])
    assert agent.act(obs, np.ones(7, dtype=bool)) == 3
    finished = planes(["xoxoxox"] * 6)
    moves = agent.act_batch(np.stack([obs, finished]), np.array([[True] * 7, [False] * 7]))
    assert moves.tolist() == [3, 0]
