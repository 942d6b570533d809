"""Curriculum and self-play for two-player DQN: promotion, snapshots, resume, bad settings."""

import pytest

from agents.errors import DojoError
from agents.trainer import Trainer

FAST = ["learning_starts=100", "hidden=32,32", "encoder=mlp", "batch_size=32", "opponent_mix=[]"]


def test_curriculum_promotes_and_self_play_fills_the_pool(tmp_path):
    trainer = Trainer("dqn", "dojo/ConnectFour-v0", steps=3000, seed=0, device="cpu", run_dir=tmp_path,
                      overrides=[*FAST, "curriculum=random,greedy", "promote_window=20", "promote_win_rate=0.3",
                                 "self_play=0.5", "snapshot_every=500", "pool_size=3"], eval_every=10_000)
    trainer.run(progress=False)
    league = trainer.learner.play.league
    assert league.stage == 1  # beat random 30% of 20 games (random play alone does better than that)
    assert len(league.snapshots) == 3  # capped at pool_size
    assert trainer.learner.stats()["stage"] == 1.0


def test_league_state_survives_resume(tmp_path):
    overrides = [*FAST, "curriculum=random,greedy", "promote_window=20", "promote_win_rate=0.3", "self_play=0.5",
                 "snapshot_every=500"]
    first = Trainer("dqn", "dojo/ConnectFour-v0", steps=1500, seed=0, device="cpu", run_dir=tmp_path,
                    overrides=overrides, eval_every=10_000)
    first.run(progress=False)
    before = first.learner.play.league.state_dict()
    resumed = Trainer("dqn", "", steps=3000, device="cpu", resume=tmp_path / "checkpoints" / "last.pt")
    after = resumed.learner.play.league.state_dict()
    assert after["stage"] == before["stage"] and after["results"] == before["results"]
    assert len(after["snapshots"]) == len(before["snapshots"]) > 0
    resumed.run(progress=False)
    assert resumed.steps >= 3000


@pytest.mark.parametrize(
    ("env_id", "overrides", "message"),
    [
        ("CartPole-v1", ["self_play=0.5"], "need a two-player env"),
        ("dojo/ConnectFour-v0", ["curriculum=random,nobody"], "curriculum opponent 'nobody'"),
        ("dojo/ConnectFour-v0", ["self_play=1.5"], "between 0 and 1"),
        ("dojo/ConnectFour-v0", ["curriculum=random,greedy"], "curriculum and opponent_mix are alternatives"),
    ],
)
def test_bad_league_settings_are_clear_errors(tmp_path, env_id, overrides, message):
    with pytest.raises(DojoError, match=message):
        Trainer("dqn", env_id, steps=10, device="cpu", run_dir=tmp_path, overrides=overrides)


def test_opponent_mix_draws_each_episodes_opponent_from_the_list(tmp_path):
    trainer = Trainer("dqn", "dojo/ConnectFour-v0", steps=10, seed=0, device="cpu", run_dir=tmp_path,
                      overrides=[*FAST, "opponent_mix=random,greedy"])  # replaces the cleared mix
    league = trainer.learner.play.league
    picks = [league.pick() for _ in range(200)]
    assert set(picks) == {"random", "greedy"}
    assert 60 < picks.count("greedy") < 140
    trainer.run(progress=False)
    assert trainer.learner.play.league.current_opponent() in ("random", "greedy")
