"""Lookahead at act time for Connect Four (Tron's is agents/tron_search.py, Snake's agents/snake_search.py): a
full-width negamax over the rules, a few plies deep, whose leaves the Q-network scores (a position is worth its best
legal Q-value to the side to move).

Why: a DQN judges positions well but is blind to short tactics (a double threat two moves away); the rules are
known, so checking every line a few plies deep costs milliseconds and removes those blunders. All leaves go
through the network in one batched forward pass, so depth 4 (at most 2,401 leaves) costs one large batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from agents.errors import DojoError
from envs.connect_four.rules import COLS, COLUMN_BITS, ROWS, has_four
from envs.opponents import board_from_planes

# The most plies (Connect Four), joint ticks (Tron, agents/tron_search.py) or moves (Snake, agents/snake_search.py)
# each game's lookahead may take: deeper would take seconds per move.
SEARCH_ENVS = {"dojo/ConnectFour-v0": 6, "dojo/Tron-v0": 3, "dojo/Snake-v0": 4}
MAX_SEARCH_DEPTH = max(SEARCH_ENVS.values())
PROVEN = 2.0  # a won or lost line scores beyond any Q-value (rewards are +-1), so a proof beats an estimate
SOONER = 0.01  # a win found sooner (a loss later) scores higher: the search finishes games, and resists
# Bit index of each (row from the top, column) cell of the planes.
_CELL_BITS = np.array([[col * COLUMN_BITS + (ROWS - 1 - row) for col in range(COLS)] for row in range(ROWS)],
                      dtype=np.uint64).reshape(-1)

LeafValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(planes (N, 3, 6, 7) uint8, legal masks (N, 7) bool) -> (N,) value of each position for its side to move."""


def check_search(env_id: str, obs_mode: str, depth: int) -> None:
    """Rules for the ``search_depth`` setting, as ValueError messages the caller turns into DojoError."""
    if depth < 0 or depth > MAX_SEARCH_DEPTH:
        raise ValueError(f"search_depth must be 0..{MAX_SEARCH_DEPTH}, got {depth}")
    if depth and (env_id not in SEARCH_ENVS or obs_mode != "planes"):
        raise ValueError(f"search_depth needs Connect Four, Tron or Snake with obs_mode=planes (the search reads the "
                         f"board); got {env_id} ({obs_mode})")
    if depth > SEARCH_ENVS.get(env_id, MAX_SEARCH_DEPTH):
        raise ValueError(f"search_depth for {env_id} must be 0..{SEARCH_ENVS[env_id]}, got {depth}")


def check_lookahead(env_id: str, obs_mode: str, depth: int, opponent_model: bool) -> None:
    """Every rule for an agent's ``search_depth`` (training and ``export --set`` alike), as one-line DojoErrors."""
    try:
        check_search(env_id, obs_mode, depth)
    except ValueError as error:
        raise DojoError(str(error)) from None
    if depth and opponent_model and env_id != "dojo/Tron-v0":
        raise DojoError("search_depth and opponent_model=true combine for Tron only (its lookahead follows the "
                        "model's predicted line): add --set search_depth=0")


def connect_four_move(obs: np.ndarray, action_mask: np.ndarray | None, depth: int, leaf_values: LeafValues) -> int:
    """The best column for the side to move in ``obs`` (planes) by a ``depth``-ply negamax over network leaves."""
    board = board_from_planes(np.asarray(obs))
    own, other = board.pieces[0], board.pieces[1]
    legal = [col for col in range(COLS) if board.heights[col] < col * COLUMN_BITS + ROWS]
    if action_mask is not None:
        legal = [col for col in legal if action_mask[col]]
    if not legal:
        raise ValueError("no legal move: the board is full")
    leaves: list[tuple[int, int]] = []  # (side to move's discs, the other side's discs)
    children = [_expand(own, other, board.heights, col, depth, leaves) for col in legal]
    values = _score_leaves(leaves, leaf_values)
    scores = [_value(child, values) for child in children]
    return legal[int(np.argmax(scores))]


# A node is a float (a proven value for the side that just moved), an int (an index into the leaves: worth minus
# the leaf's value to the side that just moved) or a list of child nodes (the side to move picks the best).
Node = float | int | list


def _expand(own: int, other: int, heights: list[int], col: int, depth: int, leaves: list) -> Node:
    """``own`` (to move) drops into ``col``; the node of the resulting position, seen by ``own``."""
    bit = 1 << heights[col]
    mover = own | bit
    if has_four(mover):
        return PROVEN + SOONER * depth
    heights = heights.copy()
    heights[col] += 1
    replies = [c for c in range(COLS) if heights[c] < c * COLUMN_BITS + ROWS]
    if not replies:
        return 0.0  # full board: a draw
    if depth <= 1:
        leaves.append((other, mover))
        return len(leaves) - 1
    return [_expand(other, mover, heights, reply, depth - 1, leaves) for reply in replies]


def _value(node: Node, leaf_values: np.ndarray) -> float:
    """Value of ``node`` to the side that just moved into it (negamax)."""
    if isinstance(node, float):
        return node
    if isinstance(node, int):
        return -float(leaf_values[node])
    return -max(_value(child, leaf_values) for child in node)


def _score_leaves(leaves: list[tuple[int, int]], leaf_values: LeafValues) -> np.ndarray:
    if not leaves:
        return np.zeros(0, dtype=np.float32)
    pieces = np.array(leaves, dtype=np.uint64)  # (N, 2): side to move, other side
    cells = (pieces[:, :, None] >> _CELL_BITS[None, None, :]) & np.uint64(1)
    planes = np.empty((len(leaves), 3, ROWS * COLS), dtype=np.uint8)
    planes[:, :2] = cells
    planes[:, 2] = 1 - planes[:, 0] - planes[:, 1]
    planes = planes.reshape(len(leaves), 3, ROWS, COLS)
    legal = planes[:, 2, 0, :] == 1  # a column is playable while its top cell is empty
    return np.asarray(leaf_values(planes, legal), dtype=np.float32)
