"""Self-play workers (agents/selfplay_workers.py) on a real local Ray, started once for the module: a worker plays
exactly the in-process self-play, two workers feed a learner that trains and sends them its new weights, a run with
workers checkpoints and resumes (with workers, or in one process), bad worker counts and cluster addresses are
one-line errors, and starting Ray leaves SIGTERM to the app (which saves on it)."""

from __future__ import annotations

import signal
import socket
import time
from dataclasses import replace

import numpy as np
import pytest
import torch

ray = pytest.importorskip("ray")

import main  # noqa: E402
from agents.alphazero import AlphaZeroConfig, AlphaZeroLearner  # noqa: E402
from agents.errors import DojoError  # noqa: E402
from agents.ray_cluster import start_ray  # noqa: E402
from agents.selfplay_workers import SelfPlayWorker  # noqa: E402
from agents.trainer import Trainer  # noqa: E402

C4 = "dojo/ConnectFour-v0"
TINY = ["games=2", "simulations=4", "fast_simulations=0", "eval_simulations=4", "channels=8", "blocks=1",
        "value_hidden=8", "min_replay=16", "train_interval=16", "batch_size=16", "play_simulations=4"]
CONFIG = AlphaZeroConfig(games=2, simulations=4, fast_simulations=0, eval_simulations=4, channels=8, blocks=1,
                         value_hidden=8)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


def test_a_worker_plays_exactly_the_in_process_self_play():
    # The worker's learner never trains; nor does this one (min_replay out of reach): same seed, same games.
    worker = SelfPlayWorker(AlphaZeroLearner, C4, {}, CONFIG, seed=5, index=0)
    batches = [worker.play([], 0) for _ in range(3)]
    alone = AlphaZeroLearner(C4, {}, replace(CONFIG, min_replay=10**9), torch.device("cpu"), seed=5)
    games = []
    while alone.steps < sum(batch.steps for batch in batches):
        games += alone.advance()
    assert alone.steps == sum(batch.steps for batch in batches)
    assert games == [game for batch in batches for game in batch.games]
    size = alone.replay.size
    assert size == sum(len(batch.values) for batch in batches) > 0
    for mine, theirs in [(alone.replay.planes, "planes"), (alone.replay.policies, "policies"),
                         (alone.replay.values, "values")]:
        np.testing.assert_array_equal(mine[:size], np.concatenate([getattr(batch, theirs) for batch in batches]))
    assert worker.learner.updates == 0 and worker.version == 0


def test_two_workers_feed_the_learner_and_get_its_weights_then_resume(local_ray, tmp_path):
    trainer = Trainer("alphazero", C4, steps=10**6, seed=3, device="cpu", run_dir=tmp_path,
                      overrides=[*TINY, "workers=2"], eval_every=10**9)
    learner = trainer.learner
    workers = learner.workers
    lengths = 0
    while learner.updates == 0 or min(workers.reported) < 3:  # both workers have played with trained weights
        lengths += sum(game["length"] for game in trainer.step())
        assert learner.steps < 5_000, "the workers' games never came back, or the learner never trained"
    # Every move was a full search (fast_simulations=0) of one mover: a finished game gives a position per move.
    assert learner.replay.size == lengths > 0 and learner.episodes > 0
    # (not steps >= lengths: ray.wait may hand out a worker's later call, whose finished game began in the earlier
    # call, before that earlier call's steps are counted)
    assert learner.updates > 0 and workers.version >= 3 and learner.steps > 0
    values = learner.replay.values[: learner.replay.size]
    assert np.all(np.abs(values) <= 1.0)
    np.testing.assert_allclose(learner.replay.policies[: learner.replay.size].sum(axis=1), 1.0, rtol=1e-5)
    saved = {"steps": learner.steps, "episodes": learner.episodes, "replay": learner.replay.size,
             "updates": learner.updates}
    last = trainer.save("last")
    trainer.close()
    assert learner.workers is None
    deadline = time.monotonic() + 30  # the killed actors give their CPUs back
    while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ray.available_resources().get("CPU", 0) == 2

    resumed = Trainer("alphazero", C4, device="cpu", resume=last)  # re-creates the workers
    again = resumed.learner
    assert again.workers is not None and again.config.workers == 2
    assert {"steps": again.steps, "episodes": again.episodes, "replay": again.replay.size,
            "updates": again.updates} == saved
    resumed.step()
    assert again.steps > saved["steps"] and again.episodes > saved["episodes"]
    resumed.close()

    alone = Trainer("alphazero", C4, device="cpu", resume=last, overrides=["workers=0"])  # in one process
    assert alone.learner.workers is None and alone.learner.replay.size == saved["replay"]
    while alone.learner.episodes == saved["episodes"]:
        alone.step()
    alone.close()


@pytest.mark.parametrize("workers, message", [
    ("-1", "workers must be at least 0, got -1"),
    ("10000", "workers must be at most 4,096, got 10000"),
    ("3", "workers=3 need 3 CPUs (torch_threads=1 each) but the Ray cluster has 2; use at most 2"),
])
def test_bad_worker_counts_are_one_line_errors(local_ray, capsys, tmp_path, workers, message):
    command = ["train", "--env", C4, "--agent", "alphazero", "--run-dir", str(tmp_path), "--quiet", "--set",
               f"workers={workers}"]
    assert main.main(command) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error and message in error, error
    assert ray.is_initialized()  # the test's Ray is not the learner's to shut down


@pytest.mark.parametrize("agent, extra, message", [
    ("dqn", [], "--address sends alphazero's self-play workers"),
    ("alphazero", ["--set", "workers=1"], "ray_address 127.0.0.1:1: no Ray cluster answers at 127.0.0.1:1"),
])
def test_train_address_is_checked_before_any_work(capsys, tmp_path, agent, extra, message):
    env = C4 if agent == "alphazero" else "CartPole-v1"
    command = ["train", "--env", env, "--agent", agent, "--run-dir", str(tmp_path), "--quiet",
               "--steps", "10", "--address", "127.0.0.1:1", *extra]
    assert main.main(command) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and message in error, error


class PretendRay:
    """Stands in for ray.init's side effects: it takes SIGTERM over as the real driver does, or cannot connect."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.calls = error, []

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs) -> None:
        self.calls.append(kwargs)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if self.error is not None:
            raise self.error


def test_starting_ray_gives_sigterm_back_to_the_app_and_a_bad_address_is_one_line():
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # what main.py installs: save, then exit
    try:
        pretend = PretendRay()
        assert start_ray(pretend, None, "ray_address") is True
        assert signal.getsignal(signal.SIGTERM) is signal.default_int_handler
        assert pretend.calls[0]["num_cpus"] >= 1 and "address" not in pretend.calls[0]
        with socket.create_server(("", 0)) as server:  # something answers there (any interface), but ray.init fails
            address = f"127.0.0.1:{server.getsockname()[1]}"
            refused = PretendRay(ConnectionError("Could not find any running Ray instance.\nPlease specify..."))
            with pytest.raises(DojoError, match=rf"^ray_address {address}: cannot join a Ray cluster there \(Could "
                                                r"not find any running Ray instance.\); start one with: ray start"):
                start_ray(refused, address, "ray_address")
        assert refused.calls[0]["address"].endswith(address.rpartition(":")[2])  # Ray names this machine its own way
        assert "working_dir" in refused.calls[0]["runtime_env"]
        nobody = PretendRay()
        with pytest.raises(DojoError, match=rf"^ray_address {address}: no Ray cluster answers at"):
            # the port is closed now: refused within seconds, ray.init never called
            start_ray(nobody, address, "ray_address")
        assert nobody.calls == []
        with pytest.raises(DojoError, match="^ray_address nohost: Invalid address format: nohost$"):
            start_ray(PretendRay(), "nohost", "ray_address")
        assert signal.getsignal(signal.SIGTERM) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGTERM, previous)
