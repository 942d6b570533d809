"""Tron's lookahead: both cycles' joint moves (3 x 3 per tick) a few ticks deep over the rules, with the leaves
scored by a callback (an agent's network); torch-free.

Why: a learned Tron player loses by riding into pockets it cannot leave, and by cutting the other cycle off a tick
too late. The rules are known and the branching is small, so every line one or two ticks deep is checked exactly:
* the search is paranoid: we pick the move whose worst reply is best (the other cycle may answer anything);
* crashes are decided by the rules (both crash: a draw, 0; one crashes: +-PROVEN, sooner wins score higher);
* once the cycles are separated (their flood fills no longer meet) the larger region wins: scored
  +-SEPARATED (a near-certain result, below a proof), ties a draw, the margin breaking ties between lines;
* other leaves are scored by the callback: the value of the leaf's planes for the own cycle, all in one batch.
Positions are ``TronGame`` engines: rebuilt from the observation with ``from_planes`` (the observer in seat 0),
then copied and stepped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from envs.common import PROVEN, SOONER
from envs.tron.rules import PLANE_COUNT, TronGame
from envs.tron.territory import TERRITORY_PLANES, game_split, territory_planes

SEPARATED = 1.0  # a won region is worth a certain win's reward, below a proof and above learned values in play
MARGIN = 0.001  # per cell of region margin: among separated lines, the larger lead (or smaller deficit) is better

LeafValues = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(planes (N, C, H, W) uint8, legal masks (N, 3) bool) -> (N,) value of each position for the own cycle."""

# A node is a float (a decided value for the own cycle), an int (an index into the leaves) or a list, per own
# move, of lists, per reply, of nodes.
Node = float | int | list


def search_move(obs: np.ndarray, action_mask: np.ndarray | None, depth: int, leaf_values: LeafValues) -> int:
    """The own cycle's best move in ``obs`` (planes, 7 or 9 of them) by a ``depth``-tick paranoid joint search."""
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    territory, game, moves = _root(obs, action_mask)
    return moves[int(np.argmax(worst_case_scores(game, moves, depth, territory, leaf_values)))]


def worst_case_scores(game: TronGame, moves: list[int], depth: int, territory: bool,
                      leaf_values: LeafValues) -> list[float]:
    """Each own move's value against the other cycle's worst replies, ``depth`` joint ticks deep."""
    leaves: list[TronGame] = []
    children = [[_expand(game, move, reply, depth, leaves) for reply in range(3)] for move in moves]
    values = _score_leaves(leaves, territory, leaf_values)
    return [min(_value(child, values) for child in replies) for replies in children]


def _root(obs: np.ndarray, action_mask: np.ndarray | None) -> tuple[bool, TronGame, list[int]]:
    """Whether ``obs`` carries the territory planes, its arena, and the own moves the mask allows."""
    obs = np.asarray(obs)
    moves = [action for action in range(3) if action_mask is None or action_mask[action]]
    if not moves:
        raise ValueError("no legal move: the action mask is all False")
    game = TronGame.from_planes(obs)
    game.trail_bits()  # once here: the copies keep it up to date as they step
    return obs.shape[0] == PLANE_COUNT + TERRITORY_PLANES, game, moves


def step(game: TronGame, own: int, other: int) -> tuple[float | None, TronGame]:
    """Both cycles move on a copy: (the result for the own cycle if someone crashed, else None; the new arena)."""
    after = game.copy()
    after.step(own, other)
    if after.over:
        return PROVEN * after.result(0), after
    return None, after


def separated_value(game: TronGame) -> float | None:
    """Once the flood fills from both heads no longer meet, the larger region wins; None while they meet."""
    own, other, meet = game_split(game)
    if meet:
        return None
    margin = own.bit_count() - other.bit_count()
    return float(np.sign(margin)) * SEPARATED + MARGIN * margin


def _expand(game: TronGame, move: int, reply: int, depth: int, leaves: list[TronGame]) -> Node:
    """The node after the own ``move`` and the other cycle's ``reply``, with ``depth`` ticks searched from here."""
    result, after = step(game, move, reply)
    if result is not None:
        return result + SOONER * depth * float(np.sign(result))  # a win sooner / a loss later scores higher
    separated = separated_value(after)
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


def _score_leaves(leaves: list[TronGame], territory: bool, leaf_values: LeafValues) -> np.ndarray:
    if not leaves:
        return np.zeros(0, dtype=np.float32)
    planes = np.stack([np.concatenate([leaf.planes(0), territory_planes(leaf)]) if territory else leaf.planes(0)
                       for leaf in leaves])
    masks = np.stack([leaf.legal_actions(0) for leaf in leaves])
    return np.asarray(leaf_values(planes, masks), dtype=np.float32)


# ----- the lookahead along a predicted line ----------------------------------------------------------------------
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


def line_move(obs: np.ndarray, action_mask: np.ndarray | None, line: list[int], ticks: int,
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
    territory, game, moves = _root(obs, action_mask)
    if guard_depth:
        worst = worst_case_scores(game, moves, guard_depth, territory, leaf_values)
        moves = [move for move, score in zip(moves, worst) if score >= max(worst) - GUARD_MARGIN]
    leaves: list[TronGame] = []
    children = [_expand_line(game, move, list(line), ticks, leaves) for move in moves]
    values = _score_leaves(leaves, territory, leaf_values)
    scores = []
    for move, replies in zip(moves, children):
        score = min(_value(child, values) for child in replies)
        at_once = [step(game, move, reply)[0] for reply in range(3)]
        score = min([score, *(result for result in at_once if result is not None and result <= 0)])
        scores.append(score)
    return moves[int(np.argmax(scores))]


def _expand_line(game: TronGame, move: int, line: list[int], ticks: int, leaves: list[TronGame]) -> list[Node]:
    """Per reply of the other cycle (its predicted move, or its dodges), the node after the own ``move``."""
    safe = [reply for reply, ok in enumerate(game.safe_actions(1)) if ok]
    predicted = line[0] if line else 1  # past the line's end: straight on
    replies = [predicted] if predicted in safe else (safe or [predicted])
    nodes: list[Node] = []
    for reply in replies:
        result, after = step(game, move, reply)
        if result is not None:
            nodes.append(result + SOONER * ticks * float(np.sign(result)))
            continue
        separated = separated_value(after)
        if separated is not None:
            nodes.append(separated)
        elif ticks <= 1:
            leaves.append(after)
            nodes.append(len(leaves) - 1)
        else:
            nodes.append([_expand_line(after, own, line[1:], ticks - 1, leaves) for own in range(3)])
    return nodes
