"""PUCT Monte-Carlo tree search over a two-player game engine (envs/engine.py), with batched leaf evaluation.

Torch-free: the network enters as an *evaluator*, ``planes_batch (B, C, H, W) uint8 -> (priors (B, A),
values (B,))``, each row seen from the seat whose planes it is (value in [-1, 1] for that seat). :func:`search`
advances many trees at once (one per self-play game) so that their leaves reach the network in one batch; one
tree can also collect several leaves per batch (``leaves_per_tree``), each path holding a virtual loss so the
next descent looks elsewhere, which is what single-game play uses.

Simultaneous moves (Tron) are searched with decoupled PUCT: every node keeps, for each seat that moves there,
its own statistics (prior, visits, value) over its own actions; a descent lets each seat pick its action by its
own PUCT score and enters the child of the joint action. Why this method: Tron's moves really are simultaneous
(a head-on meeting depends on both), so a sequential tree would either let the second mover see the first's
move (an unsound advantage) or need information sets to hide it; decoupled UCT keeps one node per real game
state, has been measured to play Tron well (Lanctot et al. 2013; Perick et al. 2012), and turn-based games are
its special case of one mover per node, so Connect Four runs the very same code. Both seats' priors come from
the network evaluated on each seat's own planes, and the leaf value is the mean of the two seats' views
(v0 - v1) / 2, which keeps the zero-sum game's two values consistent.

The tree is flat Python lists indexed by node id (plain lists beat numpy for 3-7 actions a node); a node holds
its engine position (one cheap ``copy`` + ``apply`` per new node, no deep copies), and all values are stored in
the mover's own perspective so selection never flips signs.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.engine import Engine

Evaluator = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
# Values are backed up for seat 0; a mover's sign turns them into its own perspective.
SIGNS = {(): (), (0,): (1.0,), (1,): (-1.0,), (0, 1): (1.0, -1.0), (1, 0): (-1.0, 1.0)}


@dataclass(frozen=True)
class SearchSettings:
    """How a search explores (the numbers an agent's config passes on)."""

    c_puct: float = 1.5
    """Exploration weight of the prior in the PUCT score."""
    fpu_reduction: float = 0.2
    """An unvisited action counts as the node's mean value minus this (first-play urgency)."""
    leaves_per_tree: int = 1
    """Leaves one tree collects per network batch (virtual loss keeps them apart)."""


class Tree:
    """One search tree over one game position; ``search`` grows it, ``advance`` moves its root on."""

    def __init__(self, engine: Engine, n_actions: int) -> None:
        self.n_actions = int(n_actions)
        self._clear()
        self.root = self._new_node(engine.copy())

    def _clear(self) -> None:
        self.engines: list[Engine] = []
        self.movers: list[tuple[int, ...]] = []
        self.signs: list[tuple[float, ...]] = []  # +1 for seat 0, -1 for seat 1: a seat-0 value in mover terms
        self.actions: list[list[list[int]] | None] = []  # per mover: its legal actions (None: not expanded)
        self.priors: list[list[list[float]]] = []
        self.visits: list[list[list[int]]] = []
        self.value_sums: list[list[list[float]]] = []  # per mover and action, in that mover's perspective
        self.children: list[list[int]] = []  # per joint action (slot0 * len1 + slot1), -1 until created
        self.node_visits: list[int] = []
        self.node_values: list[float] = []  # sum of seat-0 values backed up through the node
        self.terminal: list[float | None] = []  # seat 0's result once the game is over there
        self.pending: list[bool] = []  # selected, waiting for the network

    def _new_node(self, engine: Engine) -> int:
        movers = engine.movers()  # () once the game is over
        self.engines.append(engine)
        self.movers.append(movers)
        self.signs.append(SIGNS[movers])
        self.actions.append(None)  # the per-action tables are made when the network has seen the node
        self.priors.append(None)
        self.visits.append(None)
        self.value_sums.append(None)
        self.children.append(None)
        self.node_visits.append(0)
        self.node_values.append(0.0)
        self.terminal.append(None if movers else engine.result(0))
        self.pending.append(False)
        return len(self.engines) - 1

    # ---- what the caller reads ---------------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """The root position (do not change it; ``advance`` moves on)."""
        return self.engines[self.root]

    @property
    def size(self) -> int:
        return len(self.engines)

    def is_over(self) -> bool:
        return self.terminal[self.root] is not None

    def expanded(self) -> bool:
        return self.actions[self.root] is not None

    def root_visits(self) -> int:
        return self.node_visits[self.root]

    def visit_counts(self, seat: int) -> np.ndarray:
        """(A,) visits of ``seat``'s actions at the root (zeros when the seat does not move there)."""
        return self._root_row(seat, self.visits)

    def root_priors(self, seat: int) -> np.ndarray:
        """(A,) the priors ``seat``'s actions got at the root (after any noise)."""
        return self._root_row(seat, self.priors)

    def root_value(self, seat: int) -> float:
        """The root's mean backed-up value for ``seat`` (0 before any visit)."""
        root = self.root
        if self.terminal[root] is not None:
            return self.terminal[root] * (1.0 if seat == 0 else -1.0)
        visits = self.node_visits[root]
        mean = self.node_values[root] / visits if visits else 0.0
        return mean if seat == 0 else -mean

    def _root_row(self, seat: int, table: list[list[list[Any]]]) -> np.ndarray:
        row = np.zeros(self.n_actions, dtype=np.float64)
        root = self.root
        if self.actions[root] is not None and seat in self.movers[root]:
            slot = self.movers[root].index(seat)
            row[self.actions[root][slot]] = table[root][slot]
        return row

    # ---- growing the tree --------------------------------------------------------------------------------------
    def select(self, settings: SearchSettings) -> tuple[int, list[tuple[int, tuple[int, ...]]]] | bool:
        """Descend from the root by PUCT, holding a virtual loss on the path. Returns (leaf, path) when the leaf
        needs the network; True when the descent ended at a finished game (backed up at once); False when it
        reached a leaf already waiting for the network (a collision: the path's visits are taken back)."""
        node = self.root
        path: list[tuple[int, tuple[int, ...]]] = []
        c_puct, fpu_reduction = settings.c_puct, settings.fpu_reduction
        node_visits, node_values, terminals = self.node_visits, self.node_values, self.terminal
        actions_of, priors_of, visits_of, sums_of = self.actions, self.priors, self.visits, self.value_sums
        signs_of, children_of = self.signs, self.children
        while True:
            node_visits[node] += 1
            terminal = terminals[node]
            if terminal is not None:
                self._backup(node, path, terminal)
                return True
            actions = actions_of[node]
            if actions is None:
                if self.pending[node]:
                    self._revert(node, path)
                    return False
                self.pending[node] = True
                return node, path
            total = node_visits[node]
            scale = c_puct * math.sqrt(total)
            parent_mean = node_values[node] / total
            signs, priors, visits, sums = signs_of[node], priors_of[node], visits_of[node], sums_of[node]
            first = _pick(priors[0], visits[0], sums[0], signs[0] * parent_mean - fpu_reduction, scale)
            if len(signs) == 1:
                slots, joint = (first,), first
            else:  # simultaneous moves: each seat picks by its own statistics (decoupled PUCT)
                second = _pick(priors[1], visits[1], sums[1], signs[1] * parent_mean - fpu_reduction, scale)
                slots, joint = (first, second), first * len(actions[1]) + second
            path.append((node, slots))
            children = children_of[node]
            child = children[joint]
            if child < 0:
                engine = self.engines[node].copy()
                engine.apply([actions[0][first]] if len(slots) == 1 else [actions[0][first], actions[1][second]])
                child = self._new_node(engine)
                children[joint] = child
            node = child

    def leaf_planes(self, node: int) -> list[np.ndarray]:
        """The planes the network must see for a leaf: one per seat that moves there."""
        engine = self.engines[node]
        return [engine.planes(seat) for seat in self.movers[node]]

    def expand(self, node: int, path: list[tuple[int, tuple[int, ...]]], priors: Sequence[Sequence[float]],
               values: Sequence[float]) -> None:
        """Give a selected leaf its priors (one full-width row per mover) and back its value up the path."""
        engine = self.engines[node]
        legal_lists, prior_lists = [], []
        for seat, row in zip(self.movers[node], priors):
            legal = engine.legal_actions(seat).nonzero()[0].tolist()
            chosen = [row[action] for action in legal]
            total = sum(chosen)
            legal_lists.append(legal)
            prior_lists.append([p / total for p in chosen] if total > 0 else [1.0 / len(legal)] * len(legal))
        self.actions[node] = legal_lists
        self.priors[node] = prior_lists
        self.visits[node] = [[0] * len(legal) for legal in legal_lists]
        self.value_sums[node] = [[0.0] * len(legal) for legal in legal_lists]
        self.children[node] = [-1] * math.prod(len(legal) for legal in legal_lists)
        self.pending[node] = False
        value = sum(sign * v for sign, v in zip(self.signs[node], values)) / len(values)
        self._backup(node, path, value)

    def _backup(self, leaf: int, path: list[tuple[int, tuple[int, ...]]], value: float) -> None:
        """Add a seat-0 ``value`` along the path, replacing each edge's virtual loss with it."""
        self.node_values[leaf] += value
        for node, slots in path:
            self.node_values[node] += value
            sums = self.value_sums[node]
            for index, slot in enumerate(slots):
                sums[index][slot] += 1.0 + self.signs[node][index] * value

    def _revert(self, leaf: int, path: list[tuple[int, tuple[int, ...]]]) -> None:
        """Take back a descent's visits and virtual losses."""
        self.node_visits[leaf] -= 1
        for node, slots in path:
            self.node_visits[node] -= 1
            for index, slot in enumerate(slots):
                self.visits[node][index][slot] -= 1
                self.value_sums[node][index][slot] += 1.0

    def add_noise(self, rng: np.random.Generator, alpha: float, fraction: float) -> None:
        """Mix Dirichlet(alpha) noise into the root priors of every mover (the root must be expanded)."""
        root = self.root
        if self.actions[root] is None or fraction <= 0:
            return
        for slot, priors in enumerate(self.priors[root]):
            if len(priors) > 1:
                noise = rng.dirichlet([alpha] * len(priors))
                self.priors[root][slot] = [(1 - fraction) * p + fraction * n for p, n in zip(priors, noise)]

    def state_dict(self) -> dict[str, list]:
        """The statistics as plain lists, between searches (no leaf in flight); the positions are not stored:
        :meth:`from_state` replays them from the root position."""
        tables = ("actions", "priors", "visits", "value_sums", "children", "node_visits", "node_values")
        return {name: copy.deepcopy(getattr(self, name)) for name in tables}

    @classmethod
    def from_state(cls, engine: Engine, n_actions: int, state: dict[str, list]) -> Tree:
        """The tree :meth:`state_dict` saved, over the root position ``engine``."""
        tree = cls(engine, n_actions)
        children, actions = state["children"], state["actions"]
        parents: dict[int, tuple[int, int]] = {}
        for node, joints in enumerate(children):
            for joint, child in enumerate(joints or ()):
                if child >= 0:
                    parents[child] = (node, joint)
        for node in range(1, len(children)):  # every child was created after its parent: parents come first
            if node not in parents or parents[node][0] >= node:
                raise ValueError("a saved search tree is damaged (a node without an earlier parent)")
            parent, joint = parents[node]
            legal = actions[parent]
            slots = [joint] if len(legal) == 1 else [joint // len(legal[1]), joint % len(legal[1])]
            position = tree.engines[parent].copy()
            position.apply([legal[index][slot] for index, slot in enumerate(slots)])
            tree._new_node(position)
        for name in ("actions", "priors", "visits", "value_sums", "children", "node_visits", "node_values"):
            setattr(tree, name, copy.deepcopy(state[name]))
        return tree

    def advance(self, actions: Sequence[int]) -> None:
        """Move the root on by one joint action (one per mover, in ``movers`` order), keeping the subtree below."""
        root = self.root
        child = -1
        if self.actions[root] is not None:
            legal = self.actions[root]
            if all(action in row for action, row in zip(actions, legal)):
                slots = [row.index(action) for action, row in zip(actions, legal)]
                joint = slots[0] if len(slots) == 1 else slots[0] * len(legal[1]) + slots[1]
                child = self.children[root][joint]
        if child < 0:
            engine = self.engines[root].copy()
            engine.apply(list(actions))
            self._clear()
            self.root = self._new_node(engine)
            return
        self._keep_subtree(child)

    def _keep_subtree(self, new_root: int) -> None:
        """Drop every node outside ``new_root``'s subtree and renumber the rest (bounded memory over a game)."""
        order, index = [new_root], {new_root: 0}
        for node in order:  # breadth first; ``order`` grows as children are found
            for child in self.children[node] or ():
                if child >= 0:
                    index[child] = len(order)
                    order.append(child)
        tables = ("engines", "movers", "signs", "actions", "priors", "visits", "value_sums", "node_visits",
                  "node_values", "terminal", "pending")
        for name in tables:
            column = getattr(self, name)
            setattr(self, name, [column[node] for node in order])
        self.children = [None if self.children[node] is None else
                         [index[child] if child >= 0 else -1 for child in self.children[node]] for node in order]
        self.root = 0


def _pick(priors: list[float], visits: list[int], sums: list[float], fpu: float, scale: float) -> int:
    """The action slot with the best PUCT score; it takes a virtual loss (a visit that, for now, lost)."""
    best, best_score = 0, -math.inf
    for slot, (prior, count, total) in enumerate(zip(priors, visits, sums)):
        score = total / count + scale * prior / (1 + count) if count else fpu + scale * prior
        if score > best_score:
            best, best_score = slot, score
    visits[best] += 1
    sums[best] -= 1.0
    return best


def search(trees: Sequence[Tree], evaluator: Evaluator, simulations: int | Sequence[int], settings: SearchSettings,
           rng: np.random.Generator | None = None, noise: Sequence[bool] | None = None, alpha: float = 1.0,
           fraction: float = 0.25) -> dict[str, float]:
    """Grow every tree until its root has ``simulations`` visits (one number, or one per tree), batching the
    leaves of all trees into each evaluator call. ``noise[i]``: mix Dirichlet noise into tree i's root priors
    (needs ``rng``). Returns timing counters: evaluator calls, positions evaluated, seconds in the evaluator."""
    targets = [int(simulations)] * len(trees) if isinstance(simulations, (int, np.integer)) else list(simulations)
    stats = {"batches": 0, "positions": 0, "evaluator_s": 0.0}

    def evaluate(requests: list[tuple[Tree, int, list]]) -> None:
        planes, counts = [], []
        for tree, node, _ in requests:
            rows = tree.leaf_planes(node)
            planes.extend(rows)
            counts.append(len(rows))
        started = time.perf_counter()
        priors, values = evaluator(np.stack(planes))
        stats["evaluator_s"] += time.perf_counter() - started
        priors, values = np.asarray(priors, dtype=np.float64).tolist(), np.asarray(values, dtype=np.float64).tolist()
        stats["batches"] += 1
        stats["positions"] += len(planes)
        start = 0
        for (tree, node, path), count in zip(requests, counts):
            tree.expand(node, path, priors[start : start + count], values[start : start + count])
            start += count

    live = [(tree, target) for tree, target in zip(trees, targets) if not tree.is_over()]
    fresh = [tree for tree, _ in live if not tree.expanded()]
    if fresh:  # every root first, so that noise can go on its priors before the first descent
        evaluate([(tree, *tree.select(settings)) for tree in fresh])
    if noise is not None:
        for tree, noisy in zip(trees, noise):
            if noisy and not tree.is_over():
                tree.add_noise(rng, alpha, fraction)
    per_tree = max(1, settings.leaves_per_tree)
    while live:
        requests = []
        for tree, target in live:
            for _ in range(per_tree):
                if tree.root_visits() >= target:
                    break
                selected = tree.select(settings)
                if selected is False:
                    break  # a collision: this tree waits for its leaves in flight
                if selected is not True:
                    requests.append((tree, *selected))
        if requests:
            evaluate(requests)
        live = [(tree, target) for tree, target in live if tree.root_visits() < target]
    return stats
