"""Checkpoints: atomic writes, weights-only loading, and clear errors for every kind of bad file."""

import os

import pytest
import torch

from agents import load_agent
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.errors import DojoError
from agents.trainer import Trainer


class RunsCodeOnLoad:
    """A pickle payload that would create a file if it were ever unpickled with full pickle."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    trainer = Trainer("dqn", "CartPole-v1", steps=600, run_dir=run_dir, device="cpu",
                      overrides=["learning_starts=100", "hidden=16,16"], eval_every=300, eval_episodes=2)
    trainer.run(progress=False)
    return run_dir / "checkpoints" / "last.pt"


def test_code_in_a_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "dojo-checkpoint", "payload": RunsCodeOnLoad(str(marker))}, path)
    with pytest.raises(DojoError, match="refusing to load"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("cut", [0.0, 0.1, 0.5, 0.9])
def test_truncated_checkpoint_gives_clear_error(trained, tmp_path, cut):
    data = trained.read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(DojoError, match="not a readable checkpoint|not a Dojo checkpoint"):
        load_agent(str(path))


def test_random_bytes_and_foreign_files_give_clear_errors(tmp_path):
    noise = tmp_path / "noise.pt"
    noise.write_bytes(os.urandom(4096))
    with pytest.raises(DojoError, match="not a readable checkpoint"):
        load_checkpoint(noise)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(3)}}, foreign)
    with pytest.raises(DojoError, match="not a Dojo checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(DojoError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(DojoError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_unknown_agent_and_mismatched_weights_are_refused(trained, tmp_path):
    data = load_checkpoint(trained)
    path = tmp_path / "other.pt"
    save_checkpoint(path, {**{k: v for k, v in data.items() if k not in ("format", "version")}, "agent": "alphago"})
    with pytest.raises(DojoError, match="alphago"):
        load_agent(str(path))
    config = dict(data["config"], hidden=[32, 32])
    save_checkpoint(path, {**{k: v for k, v in data.items() if k not in ("format", "version")}, "config": config})
    with pytest.raises(DojoError, match="do not fit"):
        load_agent(str(path))


def test_a_crash_mid_save_keeps_the_previous_file(trained, tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    path.write_bytes(trained.read_bytes())
    before = path.read_bytes()

    def crash(obj, stream, *args, **kwargs):
        stream.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"agent": "dqn"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temp file left behind


def test_checkpoint_holds_the_promised_fields(trained):
    data = load_checkpoint(trained)
    for key in ("agent", "env_id", "env_kwargs", "config", "model", "counters", "versions", "metrics", "seed"):
        assert key in data
    assert data["learner"]["optimizer"]["steps"] > 0 and data["learner"]["optimizer"]["exp_avg"]
    assert data["learner"]["rng"]["torch"].dtype == torch.uint8
    assert data["counters"]["steps"] >= 600
