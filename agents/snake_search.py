"""Lookahead at act time for Snake: the snake's own moves (3 non-reversing per step) a few steps deep, over the rules.

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
* other leaves are scored by the network (the best Q-value of the leaf's planes), all in one batch, less
  APPLE_DISTANCE per step between head and apple: the same network loops just as happily with the apple beyond
  the horizon, and this small pull towards it (below the network's differences between good and bad lines)
  breaks those loops. Every value is discounted by the steps it lies ahead, as Q-values are.
Measured (bench/bench_match.py, README): loops cut 11 of 30 games short at depth 4 without the pull, none with it.
Positions live on python-int bitboards (a guard bit after each row), as Tron's (envs/tron/territory.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from agents.search import PROVEN, SOONER
from envs.bitboard import grow, to_bitboard
from envs.snake.env import APPLE, BODY, FREE, FULL, HEAD, NUM_PLANES
from envs.snake.rules import COL_STEP, ROW_STEP

GAMMA = 0.99  # the discount the Snake preset trains with: the network's values are on this scale
TRAPPED = -1.0
MARGIN = 0.001  # per cell of a trapped region: a larger pocket leaves more time for the tail to open it
APPLE_SAMPLES = 8  # apple placements averaged for the value after eating
APPLE_DISTANCE = 0.02  # per step between head and apple at a leaf: breaks the network's loops far from the apple
ACTIONS = 4

LeafValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(planes (N, 4, size, size) uint8, legal masks (N, 4) bool) -> (N,) value of each position."""


class SnakeBoard:
    """A snake position: the body as bit indices (head first), its occupancy bitboard, the apple bit index."""

    __slots__ = ("size", "stride", "body", "occupied", "apple", "order_step")

    def __init__(self, size: int, body: tuple[int, ...], apple: int | None, order_step: int) -> None:
        self.size, self.stride = size, size + 1
        self.body, self.apple, self.order_step = body, apple, order_step
        self.occupied = 0
        for bit in body:
            self.occupied |= 1 << bit

    @classmethod
    def from_planes(cls, obs: np.ndarray) -> SnakeBoard:
        """Rebuild the body from the planes: from the head, each next segment is the neighbouring body cell with
        the highest order value (exact while values are distinct, i.e. boards up to 255 cells)."""
        size = obs.shape[1]
        values = obs[BODY].astype(np.int32)
        row, col = divmod(int(obs[HEAD].argmax()), size)
        cells, seen = [(row, col)], {(row, col)}
        while True:
            neighbours = [(row + d_row, col + d_col) for d_row, d_col in zip(ROW_STEP, COL_STEP)]
            options = [(values[r, c], (r, c)) for r, c in neighbours
                       if 0 <= r < size and 0 <= c < size and values[r, c] > 0 and (r, c) not in seen]
            if not options:
                break
            row, col = max(options)[1]
            cells.append((row, col))
            seen.add((row, col))
        if len(cells) < 2:
            raise ValueError("the body plane holds no neck next to the head")
        order_step = FULL - int(values[cells[1]])
        apple = (divmod(int(obs[APPLE].argmax()), size) if obs[APPLE].any() else None)
        stride = size + 1
        return cls(size, tuple(r * stride + c for r, c in cells),
                   None if apple is None else apple[0] * stride + apple[1], order_step)

    def cells(self) -> list[tuple[int, int]]:
        """The body as (row, col), head first."""
        return [divmod(bit, self.stride) for bit in self.body]

    def heading(self) -> int:
        """The absolute heading (0 up .. 3 left) the head last moved in."""
        delta = self.body[0] - self.body[1]
        return _deltas(self.stride).index(delta)

    def step(self, action: int) -> tuple[str, SnakeBoard | None]:
        """('dead', None), ('ate', board after eating, apple gone) or ('moved', board)."""
        target = self.body[0] + _deltas(self.stride)[action]
        if target < 0 or not (_board_cells(self.size) >> target) & 1:
            return "dead", None
        if target == self.apple:
            return "ate", SnakeBoard(self.size, (target, *self.body), None, self.order_step)
        # The tail leaves its cell this very step, so the head may enter it.
        if (self.occupied >> target) & 1 and target != self.body[-1]:
            return "dead", None
        return "moved", SnakeBoard(self.size, (target, *self.body[:-1]), self.apple, self.order_step)

    def region(self) -> int:
        """Cells the head can reach, counting a body cell once the tail leaves it in time; stops at the body length.

        The k-th cell from the tail frees after k moves. The head cannot stand still or cross its own path, so it
        can wait at most as many moves as there are cells in the region it has: a body cell next to the region
        joins it only once the region has at least k cells (a hopeful bound: not every region can be walked
        whole).
        """
        stride, body, length = self.stride, self.body, len(self.body)
        allowed = _board_cells(self.size) & ~self.occupied
        reach = _flood(1 << body[0], allowed | (1 << body[0]), stride)
        for moves in range(1, length):
            count = reach.bit_count() - 1
            if count >= length or count < moves:
                return count
            freed = 1 << body[-moves]
            allowed |= freed
            if grow(reach, stride) & freed:
                reach = _flood(reach | freed, allowed | reach, stride)
        return reach.bit_count() - 1

    def planes(self, apple: int | None) -> np.ndarray:
        """The env's planes observation of this position with the apple at bit index ``apple``."""
        size, stride = self.size, self.stride
        obs = np.zeros((NUM_PLANES, size, size), dtype=np.uint8)
        obs[FREE] = FULL
        for order, bit in enumerate(self.body):
            row, col = divmod(bit, stride)
            obs[BODY, row, col] = max(1, FULL - order * self.order_step)
            obs[FREE, row, col] = 0
        obs[HEAD][divmod(self.body[0], stride)] = FULL
        if apple is not None:
            obs[APPLE][divmod(apple, stride)] = FULL
        return obs

    def apple_distance(self) -> int:
        """Steps from the head to the apple ignoring the body (0 without an apple)."""
        if self.apple is None:
            return 0
        head_row, head_col = divmod(self.body[0], self.stride)
        apple_row, apple_col = divmod(self.apple, self.stride)
        return abs(head_row - apple_row) + abs(head_col - apple_col)

    def apple_placements(self) -> list[int]:
        """Up to APPLE_SAMPLES free cells spread evenly over the free cells in board order."""
        free = _board_cells(self.size) & ~self.occupied
        bits = [bit for bit in range(free.bit_length()) if (free >> bit) & 1]
        if len(bits) <= APPLE_SAMPLES:
            return bits
        return [bits[index * len(bits) // APPLE_SAMPLES] for index in range(APPLE_SAMPLES)]


def _flood(region: int, allowed: int, stride: int) -> int:
    """``region`` grown through ``allowed`` cells until it stops growing."""
    while True:
        grown = grow(region, stride) & allowed
        if grown == region:
            return region
        region = grown


@cache
def _board_cells(size: int) -> int:
    return to_bitboard(np.ones((size, size), dtype=bool))


@cache
def _deltas(stride: int) -> tuple[int, ...]:
    """Bit-index change of each absolute heading (up, right, down, left)."""
    return tuple(d_row * stride + d_col for d_row, d_col in zip(ROW_STEP, COL_STEP))


# A node is a float (a decided value), an (offset, scale, leaf indices, ate) tuple worth offset + scale * the mean
# of those leaves' values (after eating: at least the best leaf value of the search), or a list of child nodes (the
# snake picks the best).
Node = float | tuple | list


def snake_move(obs: np.ndarray, action_mask: np.ndarray | None, depth: int, leaf_values: LeafValues) -> int:
    """The best heading in ``obs`` (planes) by a ``depth``-step search over the snake's own moves."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    board = SnakeBoard.from_planes(np.asarray(obs))
    reverse = (board.heading() + 2) % 4  # the same as going straight: searched once, as straight
    moves = [action for action in range(ACTIONS) if action != reverse and (action_mask is None or action_mask[action])]
    if not moves:
        raise ValueError("no legal move: the action mask is all False")
    leaves: list[np.ndarray] = []
    children = [_expand(board, move, 1, depth, leaves) for move in moves]
    values = _score_leaves(leaves, leaf_values)
    scores = [_value(child, values) for child in children]
    return moves[int(np.argmax(scores))]


def _expand(board: SnakeBoard, move: int, step: int, depth: int, leaves: list[np.ndarray]) -> Node:
    """The node after ``move``, the ``step``-th move of a line ``depth`` moves long."""
    outcome, after = board.step(move)
    if after is None:
        return -PROVEN + SOONER * step  # a later death scores higher
    discount = GAMMA ** (step - 1)
    if outcome == "ate":
        placements = after.apple_placements()
        if not placements:
            return discount * (1.0 + PROVEN)  # the board is full: the game is won
        trapped = _trapped(after)
        if trapped is not None:
            return trapped  # the apple does not make up for the pocket it leads into
        first = len(leaves)
        leaves.extend(after.planes(apple) for apple in placements)
        return discount, discount * GAMMA, list(range(first, len(leaves))), True
    if step >= depth:
        trapped = _trapped(after)
        if trapped is not None:
            return trapped
        leaves.append(after.planes(after.apple))
        return -APPLE_DISTANCE * after.apple_distance(), discount * GAMMA, [len(leaves) - 1], False
    heading = after.heading()
    return [_expand(after, action, step + 1, depth, leaves) for action in range(ACTIONS)
            if action != (heading + 2) % 4]


def _trapped(board: SnakeBoard) -> float | None:
    """The trapped score when the head's region is smaller than the body, else None."""
    region = board.region()
    return TRAPPED + MARGIN * region if region < len(board.body) else None


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
