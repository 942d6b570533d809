"""Lookahead at act time for Tron: both cycles' joint moves (3 x 3 per tick) a few ticks deep, over the rules.

Why: a Tron DQN loses by riding into pockets it cannot leave, and by cutting the other cycle off a tick too late.
The rules are known and the branching is small, so every line one or two ticks deep is checked exactly:
* the search is paranoid: we pick the move whose worst reply is best (the other cycle may answer anything);
* crashes are decided by the rules (both crash: a draw, 0; one crashes: +-PROVEN, sooner wins score higher);
* once the cycles are separated (their flood fills no longer meet) the larger region wins: scored
  +-SEPARATED (a near-certain result, below a proof), ties a draw, the margin breaking ties between lines;
* other leaves are scored by the network: the best legal Q-value of the leaf's planes, all leaves in one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from agents.search import PROVEN, SOONER
from envs.bitboard import from_bitboard, to_bitboard
from envs.tron.rules import (
    ARENA,
    HEADING_DELTAS,
    OTHER_HEAD,
    OTHER_NECK,
    OTHER_TRAIL,
    OWN_HEAD,
    OWN_NECK,
    OWN_TRAIL,
    PLANE_COUNT,
    turned,
)
from envs.tron.territory import TERRITORY_PLANES, split, territory_planes

MAX_TRON_DEPTH = 3  # 9**3 = 729 leaves per move is the most that stays fast enough to play against
SEPARATED = 1.0  # a won region is worth a certain win's reward, below a proof and above Q-estimates in play
MARGIN = 0.001  # per cell of region margin: among separated lines, the larger lead (or smaller deficit) is better

LeafValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(planes (N, C, H, W) uint8, legal masks (N, 3) bool) -> (N,) value of each position for the own cycle."""

Cycle = tuple[int, int, int, int, int]  # row, col, heading, neck row, neck col


class _Arena:
    """The position seen by the own cycle: both trails as bitboards (rows with a guard bit) and both cycles."""

    __slots__ = ("size", "stride", "trails", "cycles")

    def __init__(self, size: int, trails: tuple[int, int], cycles: tuple[Cycle, Cycle]) -> None:
        self.size, self.stride = size, size + 1
        self.trails, self.cycles = trails, cycles

    @classmethod
    def from_planes(cls, obs: np.ndarray) -> _Arena:
        size = obs.shape[1]
        cycles = []
        for head_plane, neck_plane in ((OWN_HEAD, OWN_NECK), (OTHER_HEAD, OTHER_NECK)):
            row, col = divmod(int(obs[head_plane].argmax()), size)
            neck_row, neck_col = divmod(int(obs[neck_plane].argmax()), size)
            heading = HEADING_DELTAS.index((row - neck_row, col - neck_col))
            cycles.append((row, col, heading, neck_row, neck_col))
        trails = (to_bitboard(obs[OWN_TRAIL] > 0), to_bitboard(obs[OTHER_TRAIL] > 0))
        return cls(size, trails, (cycles[0], cycles[1]))

    def bit(self, row: int, col: int) -> int:
        return 1 << (row * self.stride + col)

    def target(self, cycle: Cycle, action: int) -> tuple[int, int, int]:
        heading = turned(cycle[2], action)
        d_row, d_col = HEADING_DELTAS[heading]
        return cycle[0] + d_row, cycle[1] + d_col, heading

    def crashes(self, row: int, col: int) -> bool:
        inside = 0 <= row < self.size and 0 <= col < self.size
        return not inside or bool((self.trails[0] | self.trails[1]) & self.bit(row, col))

    def step(self, own_action: int, other_action: int) -> tuple[float | None, _Arena]:
        """Both cycles move: (the result for the own cycle if someone crashed, else None; the new arena)."""
        targets = [self.target(cycle, action) for cycle, action in zip(self.cycles, (own_action, other_action))]
        crashed = [self.crashes(row, col) for row, col, _ in targets]
        if targets[0][:2] == targets[1][:2]:
            crashed = [True, True]
        if crashed[0] or crashed[1]:
            return (0.0 if crashed[0] == crashed[1] else (-PROVEN if crashed[0] else PROVEN)), self
        cycles = tuple((row, col, heading, cycle[0], cycle[1]) for (row, col, heading), cycle in
                       zip(targets, self.cycles))
        trails = tuple(trail | self.bit(row, col) for trail, (row, col, _) in zip(self.trails, targets))
        return None, _Arena(self.size, (trails[0], trails[1]), (cycles[0], cycles[1]))

    def separated_value(self) -> float | None:
        """Once the flood fills from both heads no longer meet, the larger region wins; None while they meet."""
        own_head, other_head = (self.bit(cycle[0], cycle[1]) for cycle in self.cycles)
        free = _arena_cells(self.size) & ~(self.trails[0] | self.trails[1])
        own, other, meet = split(free, own_head, other_head, self.stride)
        if meet:
            return None
        margin = own.bit_count() - other.bit_count()
        return float(np.sign(margin)) * SEPARATED + MARGIN * margin

    def planes(self, territory: bool) -> np.ndarray:
        """The own cycle's planes observation of this arena (with the territory planes when the net reads them)."""
        obs = np.zeros((PLANE_COUNT, self.size, self.size), dtype=np.uint8)
        obs[OWN_TRAIL] = from_bitboard(self.trails[0], self.size)
        obs[OTHER_TRAIL] = from_bitboard(self.trails[1], self.size)
        obs[ARENA] = 1
        for cycle, head_plane, neck_plane in zip(self.cycles, (OWN_HEAD, OTHER_HEAD), (OWN_NECK, OTHER_NECK)):
            obs[head_plane, cycle[0], cycle[1]] = 1
            obs[neck_plane, cycle[3], cycle[4]] = 1
        return np.concatenate([obs, territory_planes(obs)]) if territory else obs

    def own_mask(self) -> np.ndarray:
        """The own cycle's non-crashing moves (all True when none is, as the env's action masks)."""
        safe = np.array([not self.crashes(*self.target(self.cycles[0], action)[:2]) for action in range(3)])
        return safe if safe.any() else np.ones(3, dtype=bool)


@cache
def _arena_cells(size: int) -> int:
    """Every cell of a size x size arena as a bitboard (the guard bits clear)."""
    return to_bitboard(np.ones((size, size), dtype=bool))


# A node is a float (a decided value for the own cycle), an int (an index into the leaves) or a list, per own
# move, of lists, per reply, of nodes.
Node = float | int | list


def tron_move(obs: np.ndarray, action_mask: np.ndarray | None, depth: int, leaf_values: LeafValues) -> int:
    """The own cycle's best move in ``obs`` (planes, 7 or 9 of them) by a ``depth``-tick paranoid joint search."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    territory, arena, moves = _root(obs, action_mask)
    return moves[int(np.argmax(_worst_case_scores(arena, moves, depth, territory, leaf_values)))]


def _worst_case_scores(arena: _Arena, moves: list[int], depth: int, territory: bool,
                       leaf_values: LeafValues) -> list[float]:
    """Each own move's value against the other cycle's worst replies, ``depth`` joint ticks deep."""
    leaves: list[_Arena] = []
    children = [[_expand(arena, move, reply, depth, leaves) for reply in range(3)] for move in moves]
    values = _score_leaves(leaves, territory, leaf_values)
    return [min(_value(child, values) for child in replies) for replies in children]


def _root(obs: np.ndarray, action_mask: np.ndarray | None) -> tuple[bool, _Arena, list[int]]:
    """Whether ``obs`` carries the territory planes, its arena, and the own moves the mask allows."""
    obs = np.asarray(obs)
    moves = [action for action in range(3) if action_mask is None or action_mask[action]]
    if not moves:
        raise ValueError("no legal move: the action mask is all False")
    return obs.shape[0] == PLANE_COUNT + TERRITORY_PLANES, _Arena.from_planes(obs), moves


def _expand(arena: _Arena, move: int, reply: int, depth: int, leaves: list[_Arena]) -> Node:
    """The node after the own ``move`` and the other cycle's ``reply``, with ``depth`` ticks searched from here."""
    result, after = arena.step(move, reply)
    if result is not None:
        return result + SOONER * depth * float(np.sign(result))  # a win sooner / a loss later scores higher
    separated = after.separated_value()
    if separated is not None:
        return separated
    if depth <= 1:
        leaves.append(after)
        return len(leaves) - 1
    return [[_expand(after, own, other, depth - 1, leaves) for other in range(3)] for own in range(3)]


def _value(node: Node, leaf_values: np.ndarray) -> float:
    if isinstance(node, float):
        return node
    if isinstance(node, int):
        return float(leaf_values[node])
    return max(min(_value(child, leaf_values) for child in replies) for replies in node)


def _score_leaves(leaves: list[_Arena], territory: bool, leaf_values: LeafValues) -> np.ndarray:
    if not leaves:
        return np.zeros(0, dtype=np.float32)
    planes = np.stack([leaf.planes(territory) for leaf in leaves])
    masks = np.stack([leaf.own_mask() for leaf in leaves])
    return np.asarray(leaf_values(planes, masks), dtype=np.float32)


# ----- the lookahead along the opponent model's predicted line ------------------------------------------------
# With an opponent model the other cycle's next moves are (mostly) known, so its 3-way branching can go: the
# own cycle's 3**ticks lines are searched against the predicted path, 4-6 ticks deep for the leaves that the
# paranoid search spends on 2 ticks. That sees cut-offs (separations) the paranoid search cannot, and values
# positions by the opponent at hand instead of the network's estimate against another one.
# The line assumes the other cycle's path does not answer ours. Against an opponent that reacts (`space` takes
# the larger region given where we are) that is wrong even at 97% next-move accuracy: 400 games against space
# went 336 / 36 / 28 with the worst-case search and 263 / 34 / 103 along the line. So with ``guard_depth`` the
# line only chooses among the moves whose worst case is within GUARD_MARGIN of the best: 327 / 50 / 23 against
# space, while against pattern 370 / 28 / 2 (worst case alone: 358 / 36 / 6). A margin of 1.0 gave 282 / 94 / 24
# and 380 / 15 / 5 (the shipped network, 4-tick line, seeds 5000-5399).
MAX_LINE_TICKS = 6  # 3**6 = 729 leaves, the paranoid search's most
GUARD_MARGIN = 0.25


def tron_line_move(obs: np.ndarray, action_mask: np.ndarray | None, line: list[int], ticks: int,
                   leaf_values: LeafValues, guard_depth: int = 0) -> int:
    """The own cycle's best move in ``obs`` when the other cycle follows ``line`` (its predicted moves), among
    the moves whose worst case ``guard_depth`` ticks deep is near the best (all moves when 0).

    Where a predicted move would crash the other cycle, it is taken to dodge: its non-crashing moves are all
    considered, worst first (opponents dodge). At the first tick every reply still counts for the one outcome a
    wrong prediction makes at once: both heads entering the same cell (a draw, or worse).
    """
    if not 1 <= ticks <= MAX_LINE_TICKS:
        raise ValueError(f"ticks must be 1..{MAX_LINE_TICKS}, got {ticks}")
    if guard_depth < 0:
        raise ValueError(f"guard_depth must be >= 0, got {guard_depth}")
    territory, arena, moves = _root(obs, action_mask)
    if guard_depth:
        worst = _worst_case_scores(arena, moves, guard_depth, territory, leaf_values)
        moves = [move for move, score in zip(moves, worst) if score >= max(worst) - GUARD_MARGIN]
    leaves: list[_Arena] = []
    children = [_expand_line(arena, move, list(line), ticks, leaves) for move in moves]
    values = _score_leaves(leaves, territory, leaf_values)
    scores = []
    for move, replies in zip(moves, children):
        score = min(_value(child, values) for child in replies)
        at_once = [arena.step(move, reply)[0] for reply in range(3)]
        score = min([score, *(result for result in at_once if result is not None and result <= 0)])
        scores.append(score)
    return moves[int(np.argmax(scores))]


def _expand_line(arena: _Arena, move: int, line: list[int], ticks: int, leaves: list[_Arena]) -> list[Node]:
    """Per reply of the other cycle (its predicted move, or its dodges), the node after the own ``move``."""
    other = arena.cycles[1]
    safe = [reply for reply in range(3) if not arena.crashes(*arena.target(other, reply)[:2])]
    predicted = line[0] if line else 1  # past the line's end: straight on
    replies = [predicted] if predicted in safe else (safe or [predicted])
    nodes: list[Node] = []
    for reply in replies:
        result, after = arena.step(move, reply)
        if result is not None:
            nodes.append(result + SOONER * ticks * float(np.sign(result)))
            continue
        separated = after.separated_value()
        if separated is not None:
            nodes.append(separated)
        elif ticks <= 1:
            leaves.append(after)
            nodes.append(len(leaves) - 1)
        else:
            nodes.append([_expand_line(after, own, line[1:], ticks - 1, leaves) for own in range(3)])
    return nodes
