"""AlphaZero: a policy-value network trained only by self-play through PUCT tree search (agents/mcts.py).

Self-play: ``games`` games advance together, one move per ``advance()``; their search leaves share network
batches. Playout-cap randomisation (KataGo): a ``full_search_share`` of the moves get a full search with
Dirichlet noise at the root and become training positions, the rest a cheap search that only plays on. A
position's targets are the root's visit distribution and the game's result (mixed with the root's search value
by ``value_target_q``). Replay keeps them bit-packed and hands them out under the board's symmetries. Tron's
moves are simultaneous: every tick both seats search (decoupled PUCT, see agents/mcts.py) and both seats'
positions are recorded, each with its own visits and result. Bots never teach: ``reference`` is only the
opponent of the trainer's periodic evaluation, the strength curve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F

from agents.common import describe_spaces, generator_state, make_adam, restore_generator
from agents.errors import DojoError
from agents.mcts import SearchSettings, Tree, search
from agents.positions import Replay, symmetric
from envs.connect_four.rules import Board
from envs.engine import Engine
from envs.opponents import make_opponent
from envs.tron.rules import TronGame
from nets.policy_value import PolicyValueNet


@dataclass(frozen=True)
class Game:
    """What the learner needs of one game: a fresh position, a position from planes, and its symmetries."""

    opponents: str  # the envs.opponents game name, for checking ``reference``
    new: Callable[[dict[str, Any]], Engine]
    from_planes: Callable[[np.ndarray], Engine]
    n_actions: int
    symmetries: tuple[int, ...]  # k in 0..7: rotate k % 4 quarter turns, then mirror left-right if k >= 4
    mirrored_actions: tuple[int, ...]  # the action permutation under a mirror (rotations keep actions)
    reference: str  # the evaluation opponent of reference="auto"


GAMES = {
    # Connect Four: gravity allows only the left-right mirror, which reverses the columns.
    "dojo/ConnectFour-v0": Game("connect_four", lambda kwargs: Board(), Board.from_planes, 7, (0, 4),
                                (6, 5, 4, 3, 2, 1, 0), "minimax:4"),
    # Tron: every rotation and mirror of the square arena is a position with the same rules; actions are relative
    # to the heading, so rotations keep them and a mirror swaps left and right.
    "dojo/Tron-v0": Game("tron", lambda kwargs: TronGame(kwargs.get("size", 16)), TronGame.from_planes, 3,
                         tuple(range(8)), (2, 1, 0), "space"),
}


@dataclass
class AlphaZeroConfig:
    """Hyperparameters of AlphaZero; every field can be set with ``--set key=value``."""

    simulations: int = 200
    """Search simulations of a full self-play move (the moves that become training positions)."""
    fast_simulations: int = 40
    """Simulations of the cheap moves of playout-cap randomisation (never trained on); 0: every move is full."""
    full_search_share: float = 0.25
    """Share of self-play moves that get a full search (with fast_simulations > 0)."""
    c_puct: float = 1.5
    """Weight of the network's prior in the PUCT score."""
    fpu_reduction: float = 0.2
    """An unvisited action scores as its node's mean value minus this (first-play urgency)."""
    dirichlet_alpha: float = 1.0
    """Concentration of the Dirichlet noise on a full search's root priors."""
    dirichlet_fraction: float = 0.25
    """Share of the noise in those root priors."""
    temperature: float = 1.0
    """Self-play moves are drawn from visits ** (1 / temperature) during the first temperature_moves moves."""
    temperature_moves: int = 10
    """Moves of each self-play game drawn by temperature; later moves play the most visited action."""
    games: int = 64
    """Self-play games in parallel (their search leaves share network batches)."""
    replay_size: int = 200_000
    """Training positions kept (oldest dropped first)."""
    batch_size: int = 256
    """Positions per gradient step."""
    learning_rate: float = 1e-3
    """Adam step size."""
    weight_decay: float = 1e-4
    """Decoupled weight decay on the network's weights, per step (times the step size)."""
    min_replay: int = 2_000
    """Positions in replay before training starts."""
    train_interval: int = 256
    """New training positions between training phases (the search's network copy is refreshed after each)."""
    sample_reuse: float = 4.0
    """How many training batches each position is drawn into on average (sets the gradient steps per phase)."""
    value_target_q: float = 0.5
    """Weight of the root's search value in a position's value target; the rest is the game's result."""
    channels: int = 32
    """Channels of the residual network."""
    blocks: int = 4
    """Residual blocks of the network."""
    value_hidden: int = 64
    """Width of the value head's hidden layer."""
    reference: str = "auto"
    """The built-in opponent of the periodic evaluation games, the strength curve, never a teacher (auto:
    minimax:4 for Connect Four, space for Tron)."""
    eval_simulations: int = 200
    """Simulations per move in those evaluation games."""
    play_simulations: int = 800
    """Simulations per move of the trained agent when loaded (its top level; see AlphaZeroPolicy.with_budget)."""
    play_leaves: int = 8
    """Leaves per network batch when a single game is searched (virtual loss keeps them apart)."""
    torch_threads: int = 1
    """CPU threads for torch (small nets are fastest on one)."""
    # ---- self-play workers (agents/selfplay_workers.py) ----
    workers: int = 0
    """Ray actors playing self-play (each its own ``games`` games, torch_threads CPUs); 0: in this process, no Ray."""
    ray_address: str = ""
    """The Ray cluster the workers join (auto or HOST:PORT); empty: a local Ray on this machine's cores."""
    # ---- end of self-play workers ----

    def settings(self, leaves_per_tree: int = 1) -> SearchSettings:
        return SearchSettings(self.c_puct, self.fpu_reduction, leaves_per_tree)


POSITIVE_FIELDS = ("games", "replay_size", "batch_size", "train_interval", "channels", "value_hidden", "play_leaves")
# A search needs two simulations: the first only expands the root, so its actions have no visits yet.
SEARCH_FIELDS = ("simulations", "eval_simulations", "play_simulations")
SHARE_FIELDS = ("full_search_share", "dirichlet_fraction", "value_target_q")


def check_config(config: AlphaZeroConfig, env_id: str, check_reference: bool = True) -> Game:
    """The game of ``env_id``, once every field is in range; a one-line DojoError otherwise."""
    if env_id not in GAMES:
        raise DojoError(f"alphazero plays two-player board games ({', '.join(GAMES)}); {env_id} is not one")
    for name in POSITIVE_FIELDS:
        if getattr(config, name) < 1:
            raise DojoError(f"{name} must be at least 1, got {getattr(config, name)}")
    for name in SEARCH_FIELDS:
        if getattr(config, name) < 2:
            raise DojoError(f"{name} must be at least 2, got {getattr(config, name)}")
    if config.fast_simulations == 1:
        raise DojoError("fast_simulations must be 0 (every move searched fully) or at least 2, got 1")
    for name in SHARE_FIELDS:
        if not 0.0 <= getattr(config, name) <= 1.0:
            raise DojoError(f"{name} must be between 0 and 1, got {getattr(config, name)}")
    for name in ("fast_simulations", "blocks", "min_replay", "temperature_moves", "weight_decay", "fpu_reduction"):
        if getattr(config, name) < 0:
            raise DojoError(f"{name} must be at least 0, got {getattr(config, name)}")
    for name in ("c_puct", "dirichlet_alpha", "temperature", "learning_rate", "sample_reuse"):
        if not getattr(config, name) > 0:
            raise DojoError(f"{name} must be greater than 0, got {getattr(config, name)}")
    game = GAMES[env_id]
    if not check_reference:  # a trained agent plays without its reference (which this Dojo may lack)
        return game
    try:
        make_opponent(game.opponents, reference_of(config, game), np.random.default_rng(0))
    except ValueError as error:
        raise DojoError(f"reference {config.reference!r}: {error}") from None
    return game


def reference_of(config: AlphaZeroConfig, game: Game) -> str:
    return game.reference if config.reference == "auto" else config.reference


def build_net(game: Game, config: AlphaZeroConfig, input_shape: tuple[int, ...]) -> PolicyValueNet:
    return PolicyValueNet(input_shape, game.n_actions, config.channels, config.blocks, config.value_hidden)


class NetworkEvaluator:
    """The search's evaluator: planes -> (priors, values), from a fused inference copy of the network."""

    def __init__(self, net: PolicyValueNet, device: torch.device) -> None:
        self.net, self.device = net, device
        self.version = 0
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the inference copy after the network's weights changed."""
        self.inference = self.net.inference_copy()
        self.version += 1

    @torch.inference_mode()
    def __call__(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = torch.from_numpy(planes).to(self.device, torch.float32).contiguous(memory_format=torch.channels_last)
        logits, values = self.inference(batch)
        return torch.softmax(logits, dim=1).cpu().numpy(), values.cpu().numpy()


class AlphaZeroPolicy:
    """The trained agent: every move is a search from the position rebuilt from the env's planes observation."""

    name = "alphazero"

    def __init__(self, evaluator: NetworkEvaluator, game: Game, env_id: str, env_kwargs: dict[str, Any],
                 config: AlphaZeroConfig, simulations: int | None = None) -> None:
        self.evaluator, self.game, self.env_id, self.env_kwargs, self.config = (evaluator, game, env_id,
                                                                                env_kwargs, config)
        self.simulations = int(simulations or config.play_simulations)
        if self.simulations < 2:
            raise DojoError(f"simulations must be at least 2, got {self.simulations}")
        self.device = evaluator.device
        self._last: tuple[bytes, Tree | None] | None = None  # (observation, its searched tree): see ``searched``

    def with_budget(self, simulations: int) -> AlphaZeroPolicy:
        """The same network searching ``simulations`` per move (a level of the difficulty ladder)."""
        return AlphaZeroPolicy(self.evaluator, self.game, self.env_id, self.env_kwargs, self.config, simulations)

    def _trees(self, observations: np.ndarray) -> list[Tree | None]:
        """A tree per observation whose position still runs (None for a finished one)."""
        trees: list[Tree | None] = []
        for obs in observations:
            engine = self.game.from_planes(np.asarray(obs))
            trees.append(None if engine.is_over() else Tree(engine, self.game.n_actions))
        return trees

    def _search(self, trees: list[Tree | None]) -> None:
        live = [tree for tree in trees if tree is not None]
        leaves = self.config.play_leaves if len(live) == 1 else 1
        search(live, self.evaluator, self.simulations, self.config.settings(leaves))

    @staticmethod
    def _best(tree: Tree | None, mask: np.ndarray | None) -> int:
        if tree is None:
            return 0
        visits = tree.visit_counts(0)
        if mask is not None and np.asarray(mask, dtype=bool).any():
            visits = np.where(np.asarray(mask, dtype=bool), visits, -1.0)
        return int(visits.argmax())

    def searched(self, obs: Any) -> Tree | None:
        """The search tree of one observation (None once its game is over). The last one is kept: the app asks
        for ``explain`` and then ``act`` on the same position, and the search is deterministic."""
        key = np.asarray(obs).tobytes() + bytes(f"{self.evaluator.version}", "ascii")
        if self._last is None or self._last[0] != key:
            trees = self._trees(np.asarray(obs)[None])
            self._search(trees)
            self._last = (key, trees[0])
        return self._last[1]

    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> int:
        return self._best(self.searched(obs), action_mask)

    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        """The most visited move of each position, all positions searched together (their leaves batched)."""
        trees = self._trees(obs)
        self._search(trees)
        masks = [None] * len(trees) if action_mask is None else list(action_mask)
        return np.array([self._best(tree, mask) for tree, mask in zip(trees, masks)], dtype=np.int64)

    def explain(self, obs: Any, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        """The search's visit distribution (the bars), its visit counts, the network's priors and the root value."""
        tree = self.searched(obs)
        if tree is None:
            zeros = [0.0] * self.game.n_actions
            return {"kind": "probabilities", "values": zeros, "visits": zeros, "prior": zeros, "value": 0.0}
        visits = tree.visit_counts(0)
        return {"kind": "probabilities", "values": (visits / max(1.0, visits.sum())).tolist(),
                "visits": visits.tolist(), "prior": tree.root_priors(0).tolist(), "value": tree.root_value(0)}


def policy_from_checkpoint(data: dict[str, Any], config: AlphaZeroConfig, device: torch.device) -> AlphaZeroPolicy:
    game = check_config(config, data["env_id"], check_reference=False)
    shape = tuple(int(d) for d in data["spaces"]["observation"]["shape"])
    net = build_net(game, config, shape).to(device)
    net.load_state_dict({key: value.float() if value.is_floating_point() else value
                           for key, value in data["model"].items()})
    net.eval()
    return AlphaZeroPolicy(NetworkEvaluator(net, device), game, data["env_id"], data["env_kwargs"], config)


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

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: AlphaZeroConfig, device: torch.device,
                 seed: int, render_mode: str | None = None) -> None:
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
    def advance(self) -> list[dict[str, float]]:
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
