"""Snake's lookahead: the snake's own moves (3 non-reversing per step) a few steps deep over the rules, with the
leaves scored by a callback (an agent's network); torch-free.

Why: a Snake DQN dies by turning into its own body or into a pocket it cannot leave; the rules are known and the
game is single-player, so every line a few steps deep is checked exactly:
* dying (a wall, or the body other than the cell the tail leaves) scores -PROVEN, a later death higher;
* a line that reaches a head region smaller than the body (free cells the head reaches, counting body cells that
  the tail frees in time, the head never standing still) is trapped: -1 (a death's reward, below the network's
  estimates and above a proof), the region's size breaking ties between pockets;
* eating the apple ends the line: worth 1 + gamma * (the resulting position's value). The next apple lands on a
  random free cell, so that value is the network's mean over a few apple placements spread over the free cells,
  floored at the best leaf value of the whole search. Why the floor: the network overvalues circling near an
  apple (its positions score above the position after eating), and without it the snake declined safe apples two
  steps away and looped until the game was cut short; eating a safe apple is worth at least what not eating is.
  Eating into a pocket scores as trapped (the apple does not make up for it);
* other leaves are scored by the callback (an agent's best Q-value of the leaf's planes), all in one batch, less
  APPLE_DISTANCE per step between head and apple: the same network loops just as happily with the apple beyond
  the horizon, and this small pull towards it (below the network's differences between good and bad lines)
  breaks those loops. Every value is discounted by the steps it lies ahead, as Q-values are.
Measured (bench/bench_match.py, README): loops cut 11 of 30 games short at depth 4 without the pull, none with it.
Positions are ``SnakeRules`` engines (``from_planes``, then ``copy`` and ``step``); the head's region is a flood fill
on python-int bitboards (``envs.bitboard``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from envs.bitboard import board_cells, flood, grow
from envs.common import PROVEN, SOONER
from envs.snake.rules import APPLE, FULL, NO_CELL, SnakeRules

GAMMA = 0.99  # the discount the Snake preset trains with: the network's values are on this scale
TRAPPED = -1.0
MARGIN = 0.001  # per cell of a trapped region: a larger pocket leaves more time for the tail to open it
APPLE_SAMPLES = 8  # apple placements averaged for the value after eating
APPLE_DISTANCE = 0.02  # per step between head and apple at a leaf: breaks the network's loops far from the apple
ACTIONS = 4

LeafValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(planes (N, 4, size, size) uint8, legal masks (N, 4) bool) -> (N,) value of each position."""

# A node is a float (a decided value), an (offset, scale, leaf indices, ate) tuple worth offset + scale * the mean
# of those leaves' values (after eating: at least the best leaf value of the search), or a list of child nodes (the
# snake picks the best).
Node = float | tuple | list


def search_move(obs: np.ndarray, action_mask: np.ndarray | None, depth: int, leaf_values: LeafValues) -> int:
    """The best heading in ``obs`` (planes) by a ``depth``-step search over the snake's own moves."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    rules = SnakeRules.from_planes(obs)
    reverse = (rules.direction + 2) % 4  # the same as going straight: searched once, as straight
    moves = [action for action in range(ACTIONS) if action != reverse and (action_mask is None or action_mask[action])]
    if not moves:
        raise ValueError("no legal move: the action mask is all False")
    leaves: list[np.ndarray] = []
    children = [_expand(rules, move, 1, depth, leaves) for move in moves]
    values = _score_leaves(leaves, leaf_values)
    scores = [_value(child, values) for child in children]
    return moves[int(np.argmax(scores))]


def region(rules: SnakeRules) -> int:
    """Cells the head can reach, counting a body cell once the tail leaves it in time; stops at the body length.

    The k-th cell from the tail frees after k moves. The head cannot stand still or cross its own path, so it can
    wait at most as many moves as there are cells in the region it has: a body cell next to the region joins it
    only once the region has at least k cells (a hopeful bound: not every region can be walked whole).
    """
    size, stride = rules.size, rules.size + 1
    body = [(cell // size) * stride + cell % size for cell in rules.body]  # bit indices, head first
    length = len(body)
    occupied = 0
    for bit in body:
        occupied |= 1 << bit
    allowed = board_cells(size) & ~occupied
    reach = flood(1 << body[0], allowed | (1 << body[0]), stride)
    for moves in range(1, length):
        count = reach.bit_count() - 1
        if count >= length or count < moves:
            return count
        freed = 1 << body[-moves]
        allowed |= freed
        if grow(reach, stride) & freed:
            reach = flood(reach | freed, allowed | reach, stride)
    return reach.bit_count() - 1


def apple_distance(rules: SnakeRules) -> int:
    """Steps from the head to the apple ignoring the body (0 without an apple)."""
    if rules.apple == NO_CELL:
        return 0
    (head_row, head_col), (apple_row, apple_col) = rules.row_col(rules.head), rules.row_col(rules.apple)
    return abs(head_row - apple_row) + abs(head_col - apple_col)


def apple_placements(rules: SnakeRules) -> list[int]:
    """Up to APPLE_SAMPLES free cells spread evenly over the free cells in board order."""
    free = [cell for cell in range(rules.area) if not rules.occupied[cell]]
    if len(free) <= APPLE_SAMPLES:
        return free
    return [free[index * len(free) // APPLE_SAMPLES] for index in range(APPLE_SAMPLES)]


def _expand(rules: SnakeRules, move: int, step: int, depth: int, leaves: list[np.ndarray]) -> Node:
    """The node after ``move``, the ``step``-th move of a line ``depth`` moves long."""
    after = rules.copy()
    outcome = after.step(move)
    if outcome.died:
        return -PROVEN + SOONER * step  # a later death scores higher
    discount = GAMMA ** (step - 1)
    if outcome.ate:
        placements = apple_placements(after)
        if not placements:
            return discount * (1.0 + PROVEN)  # the board is full: the game is won
        trapped = _trapped(after)
        if trapped is not None:
            return trapped  # the apple does not make up for the pocket it leads into
        first = len(leaves)
        planes = after.planes()
        for apple in placements:
            leaf = planes.copy()
            leaf[APPLE].flat[apple] = FULL
            leaves.append(leaf)
        return discount, discount * GAMMA, list(range(first, len(leaves))), True
    if step >= depth:
        trapped = _trapped(after)
        if trapped is not None:
            return trapped
        leaves.append(after.planes())
        return -APPLE_DISTANCE * apple_distance(after), discount * GAMMA, [len(leaves) - 1], False
    return [_expand(after, action, step + 1, depth, leaves) for action in range(ACTIONS)
            if action != (after.direction + 2) % 4]


def _trapped(rules: SnakeRules) -> float | None:
    """The trapped score when the head's region is smaller than the body, else None."""
    cells = region(rules)
    return TRAPPED + MARGIN * cells if cells < rules.length else None


def _value(node: Node, leaf_values: np.ndarray) -> float:
    if isinstance(node, float):
        return node
    if isinstance(node, tuple):
        offset, scale, indices, ate = node
        value = float(leaf_values[indices].mean())
        return offset + scale * (max(value, float(leaf_values.max())) if ate else value)
    return max(_value(child, leaf_values) for child in node)


def _score_leaves(leaves: list[np.ndarray], leaf_values: LeafValues) -> np.ndarray:
    if not leaves:
        return np.zeros(0, dtype=np.float32)
    masks = np.ones((len(leaves), ACTIONS), dtype=bool)  # every heading is legal (reversing goes straight)
    return np.asarray(leaf_values(np.stack(leaves), masks), dtype=np.float32)
