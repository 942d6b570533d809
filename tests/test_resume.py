"""Save -> load gives the same greedy actions; resume continues exactly where a run stopped."""

import csv

import numpy as np
import pytest
import torch

from agents import load_agent
from agents.trainer import Trainer

SMALL = {
    "dqn": ["learning_starts=200", "hidden=32,32", "train_freq=4"],
    "ppo": ["n_steps=64", "n_envs=4"],
    "reinforce": [],
    "qlearning": ["bins=6"],
}


def make(agent, run_dir, steps, resume=None):
    return Trainer(agent, "CartPole-v1", steps=steps, seed=3, device="cpu", run_dir=run_dir, resume=resume,
                   overrides=SMALL[agent] if resume is None else [], eval_every=700, eval_episodes=3)


@pytest.mark.parametrize("agent", ["dqn", "ppo", "reinforce", "qlearning"])
def test_reloaded_agent_acts_like_the_trained_one(tmp_path, agent):
    trainer = make(agent, tmp_path, 1200)
    trainer.run(progress=False)
    loaded = load_agent(str(tmp_path / "checkpoints" / "last.pt"))
    assert loaded.env_id == "CartPole-v1" and loaded.name == agent
    observations = np.random.default_rng(0).uniform(-0.2, 0.2, size=(64, 4)).astype(np.float32)
    expected = trainer.learner.policy.act_batch(observations)
    assert [loaded.act(obs) for obs in observations] == expected.tolist()
    np.testing.assert_array_equal(loaded.act_batch(observations), expected)


@pytest.mark.parametrize("agent", ["dqn", "reinforce", "qlearning"])
def test_resume_equals_an_uninterrupted_run(tmp_path, agent):
    whole = make(agent, tmp_path / "whole", 3000)
    whole.run(progress=False)

    first = make(agent, tmp_path / "split", 1300)
    first.run(progress=False)
    second = make(agent, None, 3000, resume=tmp_path / "split" / "checkpoints" / "last.pt")
    assert second.run_dir == tmp_path / "split"
    second.run(progress=False)

    assert second.steps == whole.steps
    assert second.learner.episodes == whole.learner.episodes
    assert second.history.episode_returns == whole.history.episode_returns
    whole_state = whole.learner.state_dict(include_replay=False)["model"]
    split_state = second.learner.state_dict(include_replay=False)["model"]
    for name, tensor in whole_state.items():
        assert torch.equal(tensor, split_state[name]), name


def test_resumed_training_continues_counters_and_curves(tmp_path):
    first = make("ppo", tmp_path, 1000)
    first.run(progress=False)
    steps_before = first.steps
    resumed = make("ppo", None, 2000, resume=tmp_path / "checkpoints" / "last.pt")
    assert resumed.steps == steps_before
    resumed.run(progress=False)
    assert resumed.steps >= 2000
    with (tmp_path / "metrics.csv").open() as handle:
        steps = [int(row["step"]) for row in csv.DictReader(handle)]
    assert steps == sorted(steps)  # one continuous curve, not a restart from zero
    assert steps[0] < steps_before < steps[-1]


def test_epsilon_continues_after_resume(tmp_path):
    first = make("dqn", tmp_path, 1000)
    first.run(progress=False)
    epsilon = first.learner.epsilon
    resumed = make("dqn", None, 2000, resume=tmp_path / "checkpoints" / "last.pt")
    assert resumed.learner.epsilon == pytest.approx(epsilon)
    assert epsilon < 1.0
