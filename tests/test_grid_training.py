"""Every agent trains on the grid games through the same trainer; masks are honoured; Q-learning solves a maze."""

import numpy as np
import pytest

from agents import load_agent
from agents.common import play_episodes
from agents.trainer import Trainer

TINY = {
    "dqn": ["learning_starts=50", "hidden=16,16", "encoder=mlp", "batch_size=16"],
    "ppo": ["n_envs=2", "n_steps=32", "minibatch_size=32", "n_epochs=1", "cnn_channels=4,4", "cnn_features=16"],
    "reinforce": ["hidden=16,16", "encoder=mlp"],
}


@pytest.mark.parametrize("env_id", ["dojo/Snake-v0", "dojo/Maze-v0", "dojo/ConnectFour-v0", "dojo/Tron-v0"])
@pytest.mark.parametrize("agent", ["dqn", "ppo", "reinforce"])
def test_agents_train_on_grid_games_and_reload(tmp_path, agent, env_id):
    trainer = Trainer(agent, env_id, steps=200, seed=0, device="cpu", run_dir=tmp_path, overrides=TINY[agent],
                      eval_every=100, eval_episodes=2)
    result = trainer.run(progress=False)
    assert result["steps"] >= 200
    loaded = load_agent(str(tmp_path / "checkpoints" / "last.pt"))
    outcome = play_episodes(loaded.act_batch, env_id, loaded.env_kwargs, 2, seed=1)
    assert np.isfinite(outcome.returns).all()
    # Snake reports its apples; a game without a score has none to report.
    assert (outcome.scores is not None) == (env_id == "dojo/Snake-v0")
    if outcome.scores is not None:
        assert (outcome.scores >= 0).all() and (outcome.scores == np.round(outcome.scores)).all()


def test_masked_dqn_never_picks_a_full_column(tmp_path):
    # The network alone (no lookahead): the random boards below are not reachable positions the rules accept.
    trainer = Trainer("dqn", "dojo/ConnectFour-v0", steps=300, seed=0, device="cpu", run_dir=tmp_path,
                      overrides=[*TINY["dqn"], "search_depth=0"], eval_every=1000)
    trainer.run(progress=False)
    policy = trainer.learner.policy
    rng = np.random.default_rng(0)
    for _ in range(200):
        obs = rng.integers(0, 2, size=(3, 6, 7)).astype(np.uint8)
        mask = rng.random(7) < 0.4
        mask[rng.integers(7)] = True
        assert mask[policy.act(obs, mask)]
    batch_masks = rng.random((50, 7)) < 0.3
    batch_masks[:, 3] = True
    actions = policy.act_batch(rng.integers(0, 2, size=(50, 3, 6, 7)).astype(np.uint8), batch_masks)
    assert batch_masks[np.arange(50), actions].all()


def test_qlearning_solves_a_small_pinned_maze(tmp_path):
    trainer = Trainer("qlearning", "dojo/Maze-v0", steps=30_000, seed=0, device="cpu", run_dir=tmp_path,
                      env_kwargs={"size": 5, "maze_seed": 1, "obs_mode": "index"}, overrides=["decay_steps=10000"])
    trainer.run(progress=False)
    outcome = play_episodes(trainer.learner.policy.act_batch, "dojo/Maze-v0",
                            {"size": 5, "maze_seed": 1, "obs_mode": "index"}, 5, seed=3)
    assert outcome.successes.all()
