"""Outside libraries on Dojo's games, unchanged: PettingZoo's API tests on envs.pettingzoo, Stable-Baselines3's PPO on
every gymnasium env (it has no action masks, so an illegal Connect Four move must lose, not raise)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import envs

pettingzoo_test = pytest.importorskip("pettingzoo.test")


@pytest.mark.parametrize("env_id", ["dojo/ConnectFour-v0", "dojo/Tron-v0"])
def test_aec_envs_pass_pettingzoos_api_test(env_id: str) -> None:
    from envs.pettingzoo import aec_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its advice on dict observations, as for PettingZoo's own classic games
        pettingzoo_test.api_test(aec_env(env_id), num_cycles=200)


def test_tron_passes_pettingzoos_parallel_api_test() -> None:
    from envs.pettingzoo import parallel_env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pettingzoo_test.parallel_api_test(parallel_env("dojo/Tron-v0"), num_cycles=200)


def test_the_pettingzoo_games_follow_the_engines_rules() -> None:
    from envs.pettingzoo import aec_env, parallel_env

    env = aec_env("dojo/ConnectFour-v0")
    env.reset(seed=0)
    for column in (0, 1, 0, 1, 0, 1, 0):  # player_0 stacks four in column 0
        observation, *_ = env.last()
        assert observation["action_mask"].dtype == np.int8 and observation["action_mask"][column] == 1
        env.step(column)
    assert env.terminations["player_0"] and env.rewards == {"player_0": 1.0, "player_1": -1.0}
    env.reset()
    for _ in range(6):
        env.step(3)
    env.step(3)  # column 3 is full: the illegal move loses (PettingZoo's rule)
    assert env.rewards == {"player_0": -1.0, "player_1": 1.0}
    with pytest.raises(ValueError, match="turn-based"):
        parallel_env("dojo/ConnectFour-v0")
    tron = parallel_env("dojo/Tron-v0", size=6)
    observations, _ = tron.reset()
    assert observations["player_0"]["observation"].shape == (7, 6, 6)
    for _ in range(10):  # both ride straight on: player_0 hits the wall on the right, player_1 the one on the left
        observations, rewards, terminations, *_ = tron.step({"player_0": 1, "player_1": 1})
        if all(terminations.values()):
            break
    assert rewards == {"player_0": 0.0, "player_1": 0.0} and not tron.agents  # the same tick: a draw


SHORT = {"dojo/Maze-v0": {"max_steps": 40}}  # so that random play ends a few episodes in 192 steps


@pytest.mark.parametrize("env_id", list(envs.GRID_GAMES))
def test_stable_baselines3_ppo_trains_on_every_dojo_env(env_id: str) -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    import torch

    torch.set_num_threads(1)
    model = sb3.PPO("MlpPolicy", gym.make(env_id, **SHORT.get(env_id, {})), n_steps=64, batch_size=32, n_epochs=1,
                    seed=0, device="cpu", policy_kwargs={"net_arch": [32]})
    model.learn(total_timesteps=192)
    assert model.num_timesteps >= 192 and len(model.ep_info_buffer) > 0  # whole episodes were played
