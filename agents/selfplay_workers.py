"""Self-play in Ray actors (``--set workers=N``): N workers play games with the latest weights, the learner trains.

Each worker is a Ray actor holding a learner of its own, built with ``workers=0`` and training switched off: it
plays ``games`` self-play games together exactly as the in-process learner does (same search, same positions and
value targets) and hands out the positions of the games it finished. The learner (agents/alphazero.py) puts them
in its replay, counts their moves as its steps and trains every ``train_interval`` new positions as in one
process; after each training phase it publishes the weights once (``ray.put`` of the state_dict, with a version
number) and every worker loads them before its next batch. So N changes how fast positions arrive and how many
training phases old the weights that played them are (a batch or two), not what is learned from them.

Each worker keeps ``IN_FLIGHT`` calls queued, so it plays on while the learner trains or evaluates. Runs with
workers are not reproducible move for move (which worker answers first depends on timing). Checkpoints hold the
learner's state as in one process; the games in flight inside the workers are not saved: a resumed run starts the
workers afresh (new seeds from the run's restored generator) and the unfinished games of the stopped run are
dropped. Stopping (Ctrl-C, the end of the budget) kills the actors; ``close()`` shuts Ray down if the learner
started it. Ray is imported only here, and only when workers > 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from agents.errors import DojoError
from agents.ray_cluster import first_line, start_ray

INSTALL = "pip install -r requirements-dev.txt (or: pip install 'ray[tune]')"
IN_FLIGHT = 2  # calls queued per worker: one playing, one ready to start the moment it returns


@dataclass
class Batch:
    """What one worker call hands back: the positions of the games it finished, their summaries, its moves."""

    planes: np.ndarray  # (n, packed bytes) uint8, as agents/positions.py's Replay stores them
    policies: np.ndarray  # (n, actions) float32 visit distributions
    values: np.ndarray  # (n,) float32 value targets
    games: list[dict[str, float]]  # the finished games' summaries ({"return", "length"}), as ``advance`` gives
    steps: int  # moves played in this call (finished games or not): the learner's step counter
    worker: int
    version: int  # the weights that played them
    cpu_s: float  # the worker's CPU time for the call (bench/bench_selfplay_workers.py)


class SelfPlayWorker:
    """One Ray actor: a learner of its own that only plays, with the weights the learner last published."""

    def __init__(self, learner_class: type, env_id: str, env_kwargs: dict[str, Any], config: Any, seed: int,
                 index: int) -> None:
        torch.set_num_threads(config.torch_threads)
        # Its replay never holds more than replay_size positions, so it never reaches min_replay: it never trains.
        settings = replace(config, workers=0, min_replay=config.replay_size + 1)
        self.learner = learner_class(env_id, env_kwargs, settings, torch.device("cpu"), seed)
        self.index, self.version = index, 0

    def play(self, weights: list[Any], version: int) -> Batch:
        """Load newer weights if there are any, play until a game finishes; that game's positions (and any other's
        that finished on the same move). ``weights`` is ``[ObjectRef]``: fetched only when the version is new."""
        import ray

        learner, cpu = self.learner, time.process_time()
        if version > self.version:
            learner.net.load_state_dict(ray.get(weights[0]))
            learner.net.eval()
            learner.evaluator.refresh()
            self.version = version
        steps, games = learner.steps, []
        while not games:
            games = learner.advance()
        replay = learner.replay
        count = min(learner.new_positions, replay.capacity)
        learner.new_positions = 0
        rows = (replay.position - np.arange(count, 0, -1)) % replay.capacity  # the newest, oldest first
        return Batch(replay.planes[rows], replay.policies[rows], replay.values[rows], games, learner.steps - steps,
                     self.index, self.version, time.process_time() - cpu)


class SelfPlayWorkers:
    """The learner's side: starts Ray and the actors, hands out their batches as they come, publishes weights."""

    def __init__(self, learner_class: type, env_id: str, env_kwargs: dict[str, Any], config: Any) -> None:
        self.learner_class, self.env_id, self.env_kwargs = learner_class, env_id, env_kwargs
        self.config = config
        self.ray = import_ray()
        self.owns_ray = start_ray(self.ray, config.ray_address or None, "ray_address")
        self.actors: list[Any] = []
        self.pending: dict[Any, int] = {}  # call -> worker index
        self.weights: list[Any] = []
        self.version = 0
        self.reported = [0] * config.workers  # per worker, the newest weights version a batch of it was played with
        self.cpu_s = 0.0  # CPU time the workers spent on the batches handed out so far
        try:
            cpus = self.ray.cluster_resources().get("CPU", 0.0)
            if config.workers * config.torch_threads > cpus:  # actors that can never be placed would wait forever
                raise DojoError(f"workers={config.workers} need {config.workers * config.torch_threads} CPUs "
                                f"(torch_threads={config.torch_threads} each) but the Ray cluster has {cpus:g}; "
                                f"use at most {int(cpus // config.torch_threads)}")
        except BaseException:
            self.close()
            raise

    @property
    def started(self) -> bool:
        return bool(self.actors)

    def start(self, state_dict: dict[str, torch.Tensor], seeds: list[int]) -> None:
        """Create the actors (one seed each) with these weights, and queue their first calls."""
        remote = self.ray.remote(num_cpus=self.config.torch_threads)(SelfPlayWorker)
        self.actors = [remote.remote(self.learner_class, self.env_id, self.env_kwargs, self.config, int(seed), index)
                       for index, seed in enumerate(seeds)]
        self.publish(state_dict)
        for index in range(len(self.actors)):
            for _ in range(IN_FLIGHT):
                self._call(index)

    def publish(self, state_dict: dict[str, torch.Tensor]) -> None:
        """New weights for every call queued from now on (the calls already queued play on with the older ones)."""
        cpu = {key: value.detach().cpu().clone() for key, value in state_dict.items()}
        self.weights = [self.ray.put(cpu)]  # a list, so Ray hands the worker the reference rather than the tensors
        self.version += 1

    def next_batch(self) -> Batch:
        """The first batch any worker finishes (waiting for it); that worker's next call is queued at once."""
        ready, _ = self.ray.wait(list(self.pending), num_returns=1)
        index = self.pending.pop(ready[0])
        try:
            batch = self.ray.get(ready[0])
        except self.ray.exceptions.RayError as error:
            raise DojoError(f"self-play worker {index} failed: {first_line(error)}") from None
        self._call(index)
        # ray.wait may hand out a worker's two calls in either order: keep the newest version it played with.
        self.reported[index] = max(self.reported[index], batch.version)
        self.cpu_s += batch.cpu_s
        return batch

    def _call(self, index: int) -> None:
        self.pending[self.actors[index].play.remote(self.weights, self.version)] = index

    def close(self) -> None:
        """Stop the actors (their unfinished games are dropped); shut Ray down if it was started here."""
        for actor in self.actors:
            self.ray.kill(actor)
        self.actors, self.pending = [], {}
        if self.owns_ray:
            self.ray.shutdown()
            self.owns_ray = False


# ---- Ray -----------------------------------------------------------------------------------------------------
def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise DojoError(f"workers > 0 runs self-play on Ray, which is not installed: {INSTALL}") from None
    return ray
