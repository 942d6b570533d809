"""The engine interface of the two-player games: planes equal the env's observations, rebuilt positions equal
the originals, and copies are independent."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import envs  # noqa: F401  (registers the games)
from envs.connect_four.rules import Board
from envs.tron.rules import TronGame


@pytest.mark.parametrize("seed", range(5))
def test_connect_four_planes_equal_the_env_observation_and_rebuild_the_position(seed: int) -> None:
    env = gym.make("dojo/ConnectFour-v0", opponent=None)
    obs, info = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    while True:
        board = env.unwrapped.board
        mover = board.movers()[0]
        np.testing.assert_array_equal(board.planes(mover), obs)
        rebuilt = Board.from_planes(obs)
        np.testing.assert_array_equal(rebuilt.planes(0), obs)
        np.testing.assert_array_equal(rebuilt.legal_actions(0), info["action_mask"])
        obs, _, terminated, truncated, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        if terminated or truncated:
            break
    board = env.unwrapped.board
    assert board.movers() == ()
    winner = board.winner
    expected = [0.0, 0.0] if winner is None else [1.0 if seat == winner else -1.0 for seat in (0, 1)]
    assert [board.result(0), board.result(1)] == expected


@pytest.mark.parametrize("seed", range(5))
def test_tron_planes_equal_the_env_observation_and_rebuild_the_position(seed: int) -> None:
    env = gym.make("dojo/Tron-v0", opponent=None)
    env.reset(seed=seed)
    tron = env.unwrapped
    rng = np.random.default_rng(seed)
    while True:
        game = tron.game
        for seat in (0, 1):
            obs = tron.observation_for(seat)
            np.testing.assert_array_equal(game.planes(seat), obs)
            rebuilt = TronGame.from_planes(obs)
            np.testing.assert_array_equal(rebuilt.planes(0), obs)
            np.testing.assert_array_equal(rebuilt.legal_actions(0), tron.action_mask_for(seat))
        assert game.movers() == (0, 1)
        actions = [int(rng.choice(np.flatnonzero(tron.action_mask_for(seat)))) for seat in (0, 1)]
        *_, terminated, truncated, _ = tron.joint_step(*actions)
        if terminated or truncated:
            break
    assert tron.game.movers() == ()
    assert tron.game.result(0) == -tron.game.result(1)


def test_copies_are_independent() -> None:
    board = Board()
    twin = board.copy()
    twin.apply([3])
    assert board.planes(0).sum() == 6 * 7 and twin.planes(1)[1].sum() == 1
    game = TronGame(8)
    other = game.copy()
    other.apply([1, 1])
    assert game.steps == 0 and other.steps == 1
    assert (game.grid > 0).sum() == 2 and (other.grid > 0).sum() == 4


@pytest.mark.parametrize(("engine", "actions"), [(Board(), [1, 2]), (TronGame(8), [1])])
def test_apply_takes_one_action_per_mover(engine, actions) -> None:
    with pytest.raises(ValueError, match="action"):
        engine.apply(actions)
