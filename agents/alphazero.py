"""AlphaZero: a policy-value network trained only by self-play through PUCT tree search (agents/mcts.py).

Self-play: ``games`` games advance together, one move per ``advance()``; their search leaves share network
batches. Playout-cap randomisation (KataGo): a ``full_search_share`` of the moves get a full search with
Dirichlet noise at the root and become training positions, the rest a cheap search that only plays on. A
position's targets are the root's visit distribution and the game's result (mixed with the root's search value
by ``value_target_q``). Replay keeps them bit-packed and hands them out under the board's symmetries. Tron's
moves are simultaneous: every tick both seats search (decoupled PUCT, see agents/mcts.py) and both seats'
positions are recorded, each with its own visits and result. Bots never teach: ``reference`` is only the
opponent of the trainer's periodic evaluation, the strength curve.

The settings, the games and the search-driven agent are in agents/alphazero_policy.py; what a checkpoint must hold
is checked in agents/alphazero_checks.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F

from agents.alphazero_checks import check_checkpoint
from agents.alphazero_policy import (
    GAMES,
    AlphaZeroConfig,
    AlphaZeroPolicy,
    NetworkEvaluator,
    build_net,
    check_config,
    policy_from_checkpoint,
    reference_of,
)
from agents.common import StepHook, check_buffer_size, describe_spaces, generator_state, make_adam, restore_generator
from agents.errors import DojoError
from agents.mcts import Tree, search
from agents.positions import Replay, symmetric


@dataclass
class SelfPlayGame:
    """One self-play game in flight: its moves so far, its tree and the positions it will train on."""

    tree: Tree
    moves: list[list[int]] = field(default_factory=list)
    # Per recorded position: (packed planes, visit distribution, seat, root value for that seat).
    records: list[tuple[np.ndarray, np.ndarray, int, float]] = field(default_factory=list)
    last_search: dict[str, Any] | None = None  # for the watch screen: see AlphaZeroLearner.watch_snapshot


class AlphaZeroLearner:
    """Plays ``games`` self-play games one move per ``advance`` and trains the network from their positions."""

    name = "alphazero"
    config_class = AlphaZeroConfig
    single_env = False  # no env steps for on_step: the games run on engines, and watch_snapshot shows one
    step_budget: int | None = None  # not used: a slice is one move of every game, so a run may pass its budget

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: AlphaZeroConfig, device: torch.device,
                 seed: int) -> None:
        self.game = check_config(config, env_id)
        self.env_id, self.env_kwargs, self.config, self.device, self.seed = env_id, env_kwargs, config, device, seed
        try:
            self.start = self.game.new(env_kwargs)
        except ValueError as error:
            raise DojoError(f"cannot make {env_id} with {env_kwargs}: {error}") from None
        self.planes_shape = tuple(self.start.planes(0).shape)
        self.spaces = describe_spaces(gym.spaces.Box(0, 1, self.planes_shape, np.uint8),
                                      gym.spaces.Discrete(self.game.n_actions))
        # The evaluation games play the reference; the trainer reads this over its eval env kwargs.
        self.eval_env_kwargs = {"opponent": reference_of(config, self.game)}
        torch.manual_seed(seed)
        self.net = build_net(self.game, config, self.planes_shape).to(device)
        self.optimizer = make_adam(self.net.parameters(), config.learning_rate, device)
        self.evaluator = NetworkEvaluator(self.net, device)
        self.policy = AlphaZeroPolicy(self.evaluator, self.game, env_id, env_kwargs, config, config.eval_simulations)
        row_bytes = (int(np.prod(self.planes_shape)) + 7) // 8 + 4 * (self.game.n_actions + 1)
        check_buffer_size("the replay", config.replay_size * row_bytes, "replay_size")
        self.replay = Replay(config.replay_size, self.planes_shape, self.game.n_actions)
        self.rng = np.random.default_rng(seed)
        self.steps = self.episodes = self.updates = 0
        self.new_positions = 0  # training positions since the last training phase
        self.last_stats = {"loss": float("nan"), "policy_loss": float("nan"), "value_loss": float("nan"),
                           "entropy": float("nan")}
        self.search_stats = {"simulations": 0.0, "positions": 0.0, "evaluator_s": 0.0}
        self.games = [self._new_game() for _ in range(config.games)]
        self.workers = self._start_workers()  # self-play workers (agents/selfplay_workers.py): None in-process

    def _new_game(self) -> SelfPlayGame:
        return SelfPlayGame(Tree(self.start, self.game.n_actions))

    def stats(self) -> dict[str, float]:
        return {**self.last_stats, "replay": float(self.replay.size)}

    # ---- self-play -----------------------------------------------------------------------------------------
    def advance(self, on_step: StepHook | None = None) -> list[dict[str, float]]:
        """Every game in flight plays one move (their searches batched together); train when due."""
        if self.workers is not None:  # self-play workers (agents/selfplay_workers.py)
            return self._advance_with_workers()
        config = self.config
        cheap = 0 < config.fast_simulations < config.simulations
        full = [not cheap or self.rng.random() < config.full_search_share for _ in self.games]
        budgets = [config.simulations if is_full else config.fast_simulations for is_full in full]
        before = sum(game.tree.root_visits() for game in self.games)
        counters = search([game.tree for game in self.games], self.evaluator, budgets, config.settings(),
                          self.rng, full, config.dirichlet_alpha, config.dirichlet_fraction)
        self.search_stats["simulations"] += sum(game.tree.root_visits() for game in self.games) - before
        self.search_stats["positions"] += counters["positions"]
        self.search_stats["evaluator_s"] += counters["evaluator_s"]
        finished = []
        for slot, (game, is_full) in enumerate(zip(self.games, full)):
            if self._play_move(game, is_full):
                finished.append(self._finish(game))
                self.games[slot] = self._new_game()
        if self._train_due():
            self._train_phase()
        return finished

    def _play_move(self, game: SelfPlayGame, record: bool) -> bool:
        """Record the position (full searches), pick each mover's action, move on; whether the game ended."""
        tree, config = game.tree, self.config
        engine = tree.engine
        actions = []
        for seat in engine.movers():
            visits = tree.visit_counts(seat)
            if record:
                packed = np.packbits(engine.planes(seat).reshape(-1))
                game.records.append((packed, (visits / visits.sum()).astype(np.float32), seat, tree.root_value(seat)))
            if len(game.moves) < config.temperature_moves:
                weights = visits ** (1.0 / config.temperature)
                actions.append(int(self.rng.choice(len(visits), p=weights / weights.sum())))
            else:
                actions.append(int(visits.argmax()))
        game.last_search = {"position": engine, "actions": actions,
                            "visits": {seat: tree.visit_counts(seat).tolist() for seat in engine.movers()},
                            "value": {seat: tree.root_value(seat) for seat in engine.movers()}}
        tree.advance(actions)  # the old root's engine is never changed, so last_search may keep it
        game.moves.append(actions)
        self.steps += 1
        return tree.is_over()

    def _finish(self, game: SelfPlayGame) -> dict[str, float]:
        """Send a finished game's positions to replay with their value targets; the game's summary."""
        engine, weight = game.tree.engine, self.config.value_target_q
        for packed, policy, seat, root_value in game.records:
            self.replay.add(packed, policy, (1.0 - weight) * engine.result(seat) + weight * root_value)
        self.new_positions += len(game.records)
        self.episodes += 1
        return {"return": engine.result(0), "length": len(game.moves)}

    # ---- learning ------------------------------------------------------------------------------------------
    def _train_phase(self) -> None:
        config = self.config
        steps = max(1, round(self.new_positions * config.sample_reuse / config.batch_size))
        self.new_positions = 0
        self.net.train()
        totals = np.zeros(4)
        for _ in range(steps):
            totals += self._train_step()
        self.net.eval()
        self.evaluator.refresh()
        loss, policy_loss, value_loss, entropy = totals / steps
        self.last_stats.update(loss=loss, policy_loss=policy_loss, value_loss=value_loss, entropy=entropy)

    def _train_step(self) -> np.ndarray:
        config, game = self.config, self.game
        index = self.rng.integers(0, self.replay.size, size=config.batch_size)
        planes, policies, values = self.replay.sample(index)
        symmetries = self.rng.integers(0, len(game.symmetries), size=config.batch_size)
        for choice, symmetry in enumerate(game.symmetries):
            rows = np.flatnonzero(symmetries == choice)
            if symmetry and rows.size:
                planes[rows], policies[rows] = symmetric(planes[rows], policies[rows], symmetry,
                                                         game.mirrored_actions)
        logits, predicted = self.net(torch.from_numpy(planes).to(self.device))
        log_probs = F.log_softmax(logits, dim=1)
        target = torch.from_numpy(policies).to(self.device)
        policy_loss = -(target * log_probs).sum(dim=1).mean()
        value_loss = F.mse_loss(predicted, torch.from_numpy(values).to(self.device))
        loss = policy_loss + value_loss
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.weight_decay > 0:
            with torch.no_grad():
                decay = 1.0 - config.learning_rate * config.weight_decay
                torch._foreach_mul_([p for p in self.net.parameters() if p.dim() > 1], decay)
        self.optimizer.step()
        self.updates += 1
        with torch.no_grad():
            entropy = -(log_probs.exp() * log_probs).sum(dim=1).mean()
        return torch.stack([loss, policy_loss, value_loss, entropy]).detach().cpu().numpy()

    # ---- watching ------------------------------------------------------------------------------------------
    def watch_snapshot(self, slot: int = 0) -> dict[str, Any]:
        """What the watch screen shows of self-play game ``slot`` (0 .. games - 1), all of it copies:

        * ``engine``: the position now (an envs/engine.py engine, e.g. for the game's renderer);
        * ``moves``: the joint actions played so far (one list per move, in ``movers()`` order);
        * ``game``: the game's number among all self-play games;
        * ``last``: None before the first move, else the search that chose the last move: ``position`` (the engine
          it searched), ``actions`` (what it played), and per seat that moved there ``visits`` (root visit counts
          per action) and ``value`` (the root's search value for that seat, in [-1, 1]).
        """
        game = self.games[slot]
        last = None
        if game.last_search is not None:
            last = {**game.last_search, "position": game.last_search["position"].copy()}
        return {"engine": game.tree.engine.copy(), "moves": [list(move) for move in game.moves],
                "game": self.episodes + slot + 1, "last": last}

    # ---- checkpoints ---------------------------------------------------------------------------------------
    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        state = {"model": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "counters": {"steps": self.steps, "episodes": self.episodes, "updates": self.updates,
                              "new_positions": self.new_positions},
                 "rng": {"numpy": generator_state(self.rng), "torch": torch.get_rng_state()},
                 "stats": dict(self.last_stats), "search_stats": dict(self.search_stats)}
        if include_replay:
            state["replay"] = self.replay.state_dict()
            # The games in flight, trees included: a resumed run plays on exactly as this one would.
            state["games"] = [{"moves": game.moves, "tree": game.tree.state_dict(),
                               "records": [{"planes": torch.from_numpy(planes), "policy": torch.from_numpy(policy),
                                            "seat": seat, "value": value}
                                           for planes, policy, seat, value in game.records]}
                              for game in self.games]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["model"])
        self.net.eval()
        self.evaluator.refresh()
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
            self.optimizer.param_groups[0]["lr"] = self.config.learning_rate  # --set learning_rate=... on resume
        counters = state["counters"]
        self.steps, self.episodes = int(counters["steps"]), int(counters["episodes"])
        self.updates, self.new_positions = int(counters.get("updates", 0)), int(counters.get("new_positions", 0))
        if "rng" in state:
            self.rng = restore_generator(state["rng"]["numpy"])
            torch.set_rng_state(state["rng"]["torch"])
        self.last_stats.update(state.get("stats", {}))
        self.search_stats.update(state.get("search_stats", {}))
        if "replay" in state:
            self.replay.load_state_dict(state["replay"])
        if "games" in state:
            self.games = [self._restore_game(saved) for saved in state["games"]][: self.config.games]
            self.games += [self._new_game() for _ in range(self.config.games - len(self.games))]

    def _restore_game(self, saved: dict[str, Any]) -> SelfPlayGame:
        engine = self.start.copy()
        for move in saved["moves"]:
            engine.apply([int(action) for action in move])
        records = [(record["planes"].numpy(), record["policy"].numpy(), int(record["seat"]), float(record["value"]))
                   for record in saved["records"]]
        return SelfPlayGame(Tree.from_state(engine, self.game.n_actions, saved["tree"]),
                            [[int(action) for action in move] for move in saved["moves"]], records)

    # ---- self-play workers (agents/selfplay_workers.py) -------------------------------------------------
    def _start_workers(self) -> Any:
        if self.config.workers == 0:
            return None
        from agents.selfplay_workers import SelfPlayWorkers

        return SelfPlayWorkers(type(self), self.env_id, self.env_kwargs, self.config)

    def _advance_with_workers(self) -> list[dict[str, float]]:
        """The next finished games of a worker go to replay; train when due, then send the workers the weights."""
        if not self.workers.started:  # the first call: the weights as built or resumed, seeds from this run's rng
            self.workers.start(self.net.state_dict(), self.rng.integers(2**63, size=self.config.workers).tolist())
        batch = self.workers.next_batch()
        for planes, policy, value in zip(batch.planes, batch.policies, batch.values):
            self.replay.add(planes, policy, float(value))
        self.new_positions += len(batch.values)
        self.steps += batch.steps
        self.episodes += len(batch.games)
        if self._train_due():
            self._train_phase()
            self.workers.publish(self.net.state_dict())
        return batch.games

    def _train_due(self) -> bool:
        config = self.config
        return self.new_positions >= config.train_interval and self.replay.size >= max(config.min_replay,
                                                                                       config.batch_size)

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()
            self.workers = None
    # ---- end of self-play workers ----


CONFIG = AlphaZeroConfig
LEARNER = AlphaZeroLearner
load_policy = policy_from_checkpoint
check_learner = check_checkpoint  # agents/validation.py runs it on every alphazero checkpoint before loading

__all__ = ["GAMES", "CONFIG", "LEARNER", "AlphaZeroConfig", "AlphaZeroLearner", "AlphaZeroPolicy", "SelfPlayGame",
           "load_policy"]
