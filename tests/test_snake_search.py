"""The Snake lookahead (envs/snake/search.py) and ``export --set`` (how the shipped Snake agent gets it)."""

from __future__ import annotations

import numpy as np
import pytest

import main
from agents import load_agent
from agents.trainer import Trainer
from envs.snake.env import SnakeEnv
from envs.snake.rules import DOWN, LEFT, RIGHT, UP, SnakeRules
from envs.snake.search import region
from envs.snake.search import search_move as snake_move


def position(body: list[tuple[int, int]], direction: int, apple: tuple[int, int] | None, size: int = 6):
    env = SnakeEnv(size=size)
    env.reset(seed=0)
    obs, _ = env.set_state(body, direction, apple)
    return obs


def flat_leaves(planes: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Every non-decided position looks the same to this 'network': only the rules decide."""
    return np.zeros(len(planes), dtype=np.float32)


# (name, body head first, direction, apple, depth, the moves the search may pick). Ties go to the lowest action
# (up), so each case puts a losing move first where it can.
TACTICS = [
    ("wall ahead at the top: not up", [(0, 2), (1, 2), (2, 2)], UP, (5, 5), 1, {LEFT, RIGHT}),
    ("wall on the left: not left", [(3, 0), (3, 1), (3, 2)], LEFT, (5, 5), 2, {UP, DOWN}),
    ("body above the head: not up",
     [(2, 2), (2, 3), (1, 3), (1, 2), (1, 1), (2, 1), (3, 1)], LEFT, (5, 5), 1, {DOWN}),
    ("the tail leaves its cell: following it is safe",
     [(1, 1), (1, 2), (2, 2), (2, 1)], LEFT, (5, 5), 1, {UP, DOWN, LEFT}),
    ("apple next to the head: eat it", [(3, 3), (3, 2), (3, 1)], RIGHT, (4, 3), 2, {DOWN}),
]


@pytest.mark.parametrize("name, body, direction, apple, depth, allowed", TACTICS, ids=[case[0] for case in TACTICS])
def test_snake_tactics(name, body, direction, apple, depth, allowed) -> None:
    obs = position(body, direction, apple)
    leaves = flat_leaves if "apple" not in name else (lambda planes, masks: np.full(len(planes), 0.5))
    assert snake_move(obs, None, depth, leaves) in allowed


def test_a_pocket_smaller_than_the_body_is_avoided() -> None:
    # The head at the left end of a body wall along row 1, heading left: up enters the top row, a 6-cell dead end
    # whose wall (the body) frees too late; down is open. The network would love the top row.
    body = [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (2, 5), (2, 4), (2, 3), (2, 2), (2, 1), (3, 1), (3, 2),
            (3, 3)]
    obs = position(body, LEFT, (5, 5))
    up_board = SnakeRules.from_planes(obs)
    assert not up_board.step(UP).died and region(up_board) < len(body)

    def loves_the_top(planes: np.ndarray, masks: np.ndarray) -> np.ndarray:
        heads = planes[:, 1].reshape(len(planes), -1).argmax(axis=1)
        return np.where(heads // 6 == 0, 5.0, 0.0)

    for depth in (1, 2, 3):
        assert snake_move(obs, None, depth, loves_the_top) == DOWN


def test_reconstruction_matches_the_env() -> None:
    env = SnakeEnv(size=8)
    rng = np.random.default_rng(0)
    for seed in range(3):
        obs, _ = env.reset(seed=seed)
        done = False
        while not done:
            board = SnakeRules.from_planes(obs)
            assert list(board.body) == list(env.rules.body) and board.apple == env.rules.apple
            assert board.direction == env.rules.direction
            assert np.array_equal(board.planes(), obs)
            action = snake_move(obs, None, 1, flat_leaves) if rng.random() < 0.9 else int(rng.integers(4))
            obs, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated


def test_export_sets_search_depth_and_refuses_a_bad_key(tmp_path, capsys) -> None:
    trainer = Trainer("dqn", "dojo/Snake-v0", steps=200, seed=0, device="cpu", run_dir=tmp_path / "run",
                      overrides=["learning_starts=100", "hidden=16"], eval_episodes=1, eval_every=200)
    trainer.run(progress=False)
    trainer.close()
    source = str(tmp_path / "run" / "checkpoints" / "last.pt")
    out = tmp_path / "snake.pt"
    assert main.main(["export", source, "--out", str(out), "--set", "search_depth=2"]) == 0
    agent = load_agent(str(out))
    assert agent.play.search_depth == 2
    # The exported agent plays the search's move: away from the wall, whatever its network thinks.
    obs = position([(0, 2), (1, 2), (2, 2)], UP, (5, 5), size=10)
    assert agent.act(obs) in {LEFT, RIGHT}
    capsys.readouterr()
    for bad in (["nonsense=1"], ["search_depth=9"], ["search_depth=2", "opponent_model=true"]):
        assert main.main(["export", source, "--out", str(tmp_path / "bad.pt"), "--set", *bad]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not (tmp_path / "bad.pt").exists()
