"""AlphaZero's agent: its settings, the games it plays and the search-driven policy (agents/alphazero.py learns it).

A ``Game`` row says what the learner needs of a two-player game beyond its engine (envs/engine.py): a fresh
position, a position from planes, the action count and the board's symmetries. ``AlphaZeroPolicy`` plays every
move by a PUCT search (agents/mcts.py) whose leaves a ``NetworkEvaluator`` scores with the policy-value network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agents.errors import DojoError
from agents.mcts import SearchSettings, Tree, search
from envs.connect_four.rules import Board
from envs.engine import Engine
from envs.registry import make_bot
from envs.tron.rules import TronGame
from nets.policy_value import PolicyValueNet


@dataclass(frozen=True)
class Game:
    """What the learner needs of one game: a fresh position, a position from planes, and its symmetries."""

    new: Callable[[dict[str, Any]], Engine]
    from_planes: Callable[[np.ndarray], Engine]
    n_actions: int
    symmetries: tuple[int, ...]  # k in 0..7: rotate k % 4 quarter turns, then mirror left-right if k >= 4
    mirrored_actions: tuple[int, ...]  # the action permutation under a mirror (rotations keep actions)
    reference: str  # the evaluation opponent of reference="auto"


GAMES = {
    # Connect Four: gravity allows only the left-right mirror, which reverses the columns.
    "dojo/ConnectFour-v0": Game(lambda kwargs: Board(), Board.from_planes, 7, (0, 4),
                                (6, 5, 4, 3, 2, 1, 0), "minimax:4"),
    # Tron: every rotation and mirror of the square arena is a position with the same rules; actions are relative
    # to the heading, so rotations keep them and a mirror swaps left and right.
    "dojo/Tron-v0": Game(lambda kwargs: TronGame(kwargs.get("size", 16)), TronGame.from_planes, 3,
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
    workers: int = 0
    """Ray actors playing self-play (each its own ``games`` games, torch_threads CPUs); 0: in this process, no Ray."""
    ray_address: str = ""
    """The Ray cluster the workers join (auto or HOST:PORT); empty: a local Ray on this machine's cores."""

    def settings(self, leaves_per_tree: int = 1) -> SearchSettings:
        return SearchSettings(self.c_puct, self.fpu_reduction, leaves_per_tree)


def check_config(config: AlphaZeroConfig, env_id: str, check_reference: bool = True) -> Game:
    """The game of ``env_id``, once the fields agree with each other (agents/config.py RANGES bounds each one
    alone); a one-line DojoError otherwise."""
    if env_id not in GAMES:
        raise DojoError(f"alphazero plays two-player board games ({', '.join(GAMES)}); {env_id} is not one")
    if config.fast_simulations == 1:
        # A search needs two simulations: the first only expands the root, so its actions have no visits yet.
        raise DojoError("fast_simulations must be 0 (every move searched fully) or at least 2, got 1")
    game = GAMES[env_id]
    if not check_reference:  # a trained agent plays without its reference (which this Dojo may lack)
        return game
    try:
        make_bot(env_id, reference_of(config, game), np.random.default_rng(0))
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
