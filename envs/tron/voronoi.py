"""The ``voronoi`` Tron bot: the classic approach of the 2010 Google AI Challenge (a1k0n's winning write-up).

* **Evaluation**: the Voronoi split (envs/tron/chambers.py): cells and edges each head reaches strictly first.
  Once the cycles are separated the game is decided by who fills more, so the value becomes the difference of
  the tree-of-chambers fill estimates, scaled above every unseparated value.
* **Search**: alpha-beta over the joint moves. The simultaneous tick is our move, then the other cycle's reply
  knowing it (paranoid: the worst case for us); both heads entering one cell is a draw (0), a crash a loss,
  sooner wins and later losses preferred. Iterative deepening, one tick (two plies) at a time, under a time
  budget per move; the clock is read inside the search every 256 nodes, and an unfinished iteration counts only
  where it searched the last best move to the end and found a better one. Moves are ordered by a table of
  best moves (Zobrist-hashed positions: the previous iteration's, and the previous move's) and a history of
  the moves that were best from each cell; after the first move of a node, a null window tests the others
  (principal variation search).
* **Endgame**: once no cell is reachable by both, the other cycle no longer matters: the bot searches its own
  moves only, maximising the cells filled (moves made plus the fill estimate at the leaves), and stops as soon
  as a line fills the checkerboard bound of its region.

Specs (``make_opponent("tron", spec, rng)``): ``voronoi`` (100 ms a move), ``voronoi:MS`` (MS ms a move, 1 to
60000), ``voronoi:dN`` (a fixed depth of N plies, N even: N / 2 ticks of our move and the reply, the same N / 2
own moves in the endgame; deterministic and independent of the CPU; ``voronoi:d2`` is the textbook 2-ply bot).
"""

from __future__ import annotations

import sys
import time
from typing import NamedTuple

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from envs.bitboard import to_rows
from envs.tron.chambers import D_COL, D_ROW, ONE, fill_bound, fill_estimate, int_scratch, is_set, voronoi
from envs.tron.rules import ACTIONS, STRAIGHT, TronGame, turned

DEFAULT_BUDGET_MS = 100
MAX_BUDGET_MS = 60_000
MAX_PLIES = 200  # a fixed depth beyond any game on the arenas Dojo plays
WIN = 1_000_000_000  # a crash decided in the tree; minus the ply, so sooner wins (and later losses) score higher
SEPARATED = 1_000_000  # a separated position: the sign of the fill margin, plus 1000 per cell of margin
WEIGHTS = (1, 1)  # the Voronoi value of an owned cell and of an owned cell's free neighbour
CLOCK_MONOTONIC = 6 if sys.platform == "darwin" else 1  # clock_gettime's clock id
NO_DEADLINE = 2**62
CLOCK_EVERY = 255  # read the clock when the node count has these bits clear
TABLE_BITS = 18  # best-move table entries: 2**18 (2.3 MB a bot)
NODES, ABORTED, BEST, LEAVES, ROOT_DONE, FIRST = range(6)  # the stats array's fields (root: ply 0)
SPEC_HELP = "'voronoi' (100 ms a move), 'voronoi:MS' (1-60000 ms) or 'voronoi:dN' (a fixed even depth in plies)"


# ----- the compiled search ----------------------------------------------------------------------------------
@intrinsic
def _clock_gettime_ns(typingctx):
    """The monotonic clock in ns, read by libc's clock_gettime from inside compiled code (objmode costs more)."""

    def codegen(context, builder, signature, args):
        timespec = ir.LiteralStructType([ir.IntType(64), ir.IntType(64)])
        function = builder.module.globals.get("clock_gettime") or ir.Function(
            builder.module, ir.FunctionType(ir.IntType(32), [ir.IntType(32), timespec.as_pointer()]),
            name="clock_gettime")
        spec = builder.alloca(timespec)
        builder.call(function, [ir.Constant(ir.IntType(32), CLOCK_MONOTONIC), spec])
        zero = ir.Constant(ir.IntType(32), 0)
        seconds = builder.load(builder.gep(spec, [zero, zero]))
        nanoseconds = builder.load(builder.gep(spec, [zero, ir.Constant(ir.IntType(32), 1)]))
        return builder.add(builder.mul(seconds, ir.Constant(ir.IntType(64), 1_000_000_000)), nanoseconds)

    return types.int64(), codegen


@njit(cache=True)
def _now() -> int:
    """time.monotonic_ns(), from compiled code."""
    return _clock_gettime_ns()


@njit(inline="always", cache=True)
def _bit(col: int) -> np.uint64:
    return ONE << np.uint64(col)


@njit(cache=True)
def _evaluate(free, own_row, own_col, other_row, other_col, weights, work, ints) -> int:
    """The static value for the own cycle, both cycles having moved (a tick boundary)."""
    own_cells, other_cells, own_edges, other_edges, meet = voronoi(free, own_row, own_col, other_row, other_col,
                                                                    work)
    if meet:
        return weights[0] * (own_cells - other_cells) + weights[1] * (own_edges - other_edges)
    margin = fill_estimate(free, own_row, own_col, ints) - fill_estimate(free, other_row, other_col, ints)
    if margin == 0:
        return 0
    return (SEPARATED if margin > 0 else -SEPARATED) + 1000 * margin


@njit(cache=True)
def _ordered(free, row, col, table_move, history) -> tuple[int, int, int, int, int]:
    """(count, d0, d1, d2, d3): the free directions from (row, col), the table's best move first, then the
    others by their history (how often the move was best from this cell, deeper searches counting more)."""
    moves = [0, 0, 0, 0]
    count = 0
    if table_move >= 0 and is_set(free, row + D_ROW[table_move], col + D_COL[table_move]):
        moves[0] = table_move
        count = 1
    first = count
    base = (row * free.shape[0] + col) * 4
    for direction in range(4):
        if direction != table_move and is_set(free, row + D_ROW[direction], col + D_COL[direction]):
            place = count
            while place > first and history[base + moves[place - 1]] < history[base + direction]:
                moves[place] = moves[place - 1]
                place -= 1
            moves[place] = direction
            count += 1
    return count, moves[0], moves[1], moves[2], moves[3]


@njit(cache=True)
def _probe(keys, moves, key) -> int:
    slot = key & np.uint64(keys.shape[0] - 1)
    return moves[slot] if keys[slot] == key else -1


@njit(cache=True)
def _store(keys, moves, key, move) -> None:
    slot = key & np.uint64(keys.shape[0] - 1)
    keys[slot] = key
    moves[slot] = move


@njit(cache=True)
def _counted_out(stats, deadline) -> bool:
    """Count a node; whether the search must stop (the clock is read every CLOCK_EVERY + 1 nodes)."""
    stats[NODES] += 1
    if stats[NODES] & CLOCK_EVERY == 0 and _now() > deadline:
        stats[ABORTED] = 1
    return stats[ABORTED] != 0


@njit(cache=True)
def _search(free, own_row, own_col, other_row, other_col, key, depth, alpha, beta, ply, zobrist, keys, moves,
            history, stats, deadline, weights, work, ints) -> int:
    """Alpha-beta value for the own cycle of a tick boundary, ``depth`` ticks deep (the own move, then the reply)."""
    if _counted_out(stats, deadline):
        return 0
    if depth == 0:
        stats[LEAVES] += 1
        return _evaluate(free, own_row, own_col, other_row, other_col, weights, work, ints)
    size = free.shape[0]
    count, m0, m1, m2, m3 = _ordered(free, own_row, own_col, _probe(keys, moves, key), history[0])
    if count == 0:  # we crash; so does the other cycle if it has no move either (a draw)
        other_count = _ordered(free, other_row, other_col, -1, history[1])[0]
        return 0 if other_count == 0 else -WIN + ply
    best, best_move = -WIN - 1, m0
    own_moves = (m0, m1, m2, m3)
    if ply == 0:
        stats[FIRST] = m0
    for index in range(count):
        direction = own_moves[index]
        row, col = own_row + D_ROW[direction], own_col + D_COL[direction]
        free[row] &= ~_bit(col)
        reply_key = key ^ zobrist[0, row * size + col] ^ zobrist[1, own_row * size + own_col] \
            ^ zobrist[1, row * size + col] ^ zobrist[3, 0]
        # The other cycle's reply: it may also enter our new cell (both crash: a draw).
        reply_count, r0, r1, r2, r3 = _ordered(free, other_row, other_col, _probe(keys, moves, reply_key),
                                                history[1])
        replies = (r0, r1, r2, r3)
        floor = max(alpha, best)
        # Principal variation search: after the first move, a null window only asks whether this move beats the
        # best so far; the full window is searched again only when it does.
        ceiling = beta if index == 0 else floor + 1
        while True:
            worst = WIN - ply - 1  # the other cycle has no move: it crashes, we win
            worst_reply = r0
            if abs(other_row - row) + abs(other_col - col) == 1:
                worst, worst_reply = 0, -1
            for reply_index in range(reply_count):
                if worst <= floor:
                    break  # this own move is already refuted
                reply = replies[reply_index]
                next_row, next_col = other_row + D_ROW[reply], other_col + D_COL[reply]
                free[next_row] &= ~_bit(next_col)
                child_key = reply_key ^ zobrist[3, 0] ^ zobrist[0, next_row * size + next_col] \
                    ^ zobrist[2, other_row * size + other_col] ^ zobrist[2, next_row * size + next_col]
                top = min(ceiling, worst)
                if reply_index == 0:
                    value = _search(free, row, col, next_row, next_col, child_key, depth - 1, floor, top, ply + 2,
                                    zobrist, keys, moves, history, stats, deadline, weights, work,
                                    ints)
                else:  # does this reply refute better than the worst so far? Only then its exact value.
                    value = _search(free, row, col, next_row, next_col, child_key, depth - 1, top - 1, top,
                                    ply + 2, zobrist, keys, moves, history, stats, deadline, weights, work,
                                    ints)
                    if floor < value < top:
                        value = _search(free, row, col, next_row, next_col, child_key, depth - 1, floor, value + 1,
                                        ply + 2, zobrist, keys, moves, history, stats, deadline, weights, work,
                                    ints)
                free[next_row] |= _bit(next_col)
                if value < worst:
                    worst, worst_reply = value, reply
            if ceiling < beta and worst >= ceiling and not stats[ABORTED]:
                ceiling = beta  # the null window failed high: this move is better, find by how much
                continue
            break
        free[row] |= _bit(col)
        if stats[ABORTED]:
            return 0
        if worst_reply >= 0:
            _store(keys, moves, reply_key, worst_reply)
            history[1, (other_row * size + other_col) * 4 + worst_reply] += depth * depth
        if worst > best:
            best, best_move = worst, direction
            if ply == 0:
                stats[BEST] = direction  # the best among the root moves searched to the end so far
            if best >= beta:
                break
        if ply == 0:
            stats[ROOT_DONE] += 1
    _store(keys, moves, key, best_move)
    history[0, (own_row * size + own_col) * 4 + best_move] += depth * depth
    return best


@njit(cache=True)
def _fill_search(free, row, col, depth, ply, bound, stats, deadline, ints) -> int:
    """The most cells the cycle on (row, col) fills: own moves ``depth`` deep, the fill estimate at the leaves;
    the root stops at a line that reaches ``bound`` (nothing fills more)."""
    if _counted_out(stats, deadline):
        return 0
    if depth == 0:
        return fill_estimate(free, row, col, ints)
    best = 0
    for direction in range(4):
        next_row, next_col = row + D_ROW[direction], col + D_COL[direction]
        if not is_set(free, next_row, next_col):
            continue
        free[next_row] &= ~_bit(next_col)
        value = 1 + _fill_search(free, next_row, next_col, depth - 1, ply + 1, bound, stats, deadline, ints)
        free[next_row] |= _bit(next_col)
        if stats[ABORTED]:
            return 0
        if value > best:
            best = value
            if ply == 0:
                stats[BEST] = direction
        if ply == 0 and best >= bound:
            break
    return best


@njit(cache=True)
def _root_key(free, own_row, own_col, other_row, other_col, zobrist) -> np.uint64:
    """The Zobrist key of a tick boundary: every trail cell, and each head as its own."""
    size = free.shape[0]
    key = zobrist[1, own_row * size + own_col] ^ zobrist[2, other_row * size + other_col]
    for row in range(size):
        for col in range(size):
            if not is_set(free, row, col):
                key ^= zobrist[0, row * size + col]
    return key


# ----- the bot ------------------------------------------------------------------------------------------------
class SearchRecord(NamedTuple):
    """One searched move: "search" (alpha-beta) or "endgame" (own fill), the tick boundaries (endgame: own
    moves) visited, the depth of the last finished iteration (ticks; endgame: own moves), the time taken (wall
    clock, and CPU time of this thread: on a crowded machine the first can exceed the budget while the process
    waits for a core) and the value found (the endgame's: cells it expects to fill)."""

    mode: str
    nodes: int
    depth: int
    seconds: float
    cpu_seconds: float
    value: int


def evaluate(game: TronGame) -> int:
    """The static value of a running game for seat 0 (the leaf evaluation of the search)."""
    size = game.size
    (own_row, own_col), (other_row, other_col) = game.heads
    return int(_evaluate(to_rows(game.grid == 0), own_row, own_col, other_row, other_col,
                         np.array(WEIGHTS, dtype=np.int64), np.zeros((8, size), dtype=np.uint64), int_scratch(size)))


def parse_spec(spec: str) -> tuple[float | None, int | None]:
    """(budget in ms, fixed depth in plies) of a ``voronoi`` spec; ValueError with the valid forms otherwise."""
    if spec == "voronoi":
        return DEFAULT_BUDGET_MS, None
    text = spec.removeprefix("voronoi:") if isinstance(spec, str) else ""
    if text.startswith("d") and text[1:].isdigit():
        plies = int(text[1:])
        if plies < 2 or plies % 2 or plies > MAX_PLIES:
            raise ValueError(f"voronoi depth must be an even number of plies from 2 to {MAX_PLIES} (a tick is our "
                             f"move and the reply), got {spec!r}")
        return None, plies
    if text.isdigit() and 1 <= int(text) <= MAX_BUDGET_MS:
        return int(text), None
    raise ValueError(f"bad voronoi spec {spec!r}; use {SPEC_HELP}")


class VoronoiBot:
    """The ``voronoi`` opponent: a callable ``(planes observation, action mask) -> action``.

    ``budget_ms`` is the thinking time per move (iterative deepening); ``depth`` (plies, even), when given,
    fixes the depth instead, which makes every move a function of the position alone. ``moves`` logs each
    searched move (moves without a choice are not searched).
    """

    def __init__(self, budget_ms: float | None = DEFAULT_BUDGET_MS, depth: int | None = None,
                 weights: tuple[int, int] = WEIGHTS) -> None:
        self.budget_ms, self.depth = (None, depth) if depth is not None else (budget_ms, None)
        self.weights = np.array(weights, dtype=np.int64)
        self.keys = np.zeros(1 << TABLE_BITS, dtype=np.uint64)
        self.best_moves = np.full(1 << TABLE_BITS, -1, dtype=np.int8)
        self.moves: list[SearchRecord] = []
        self._size = -1

    def __call__(self, obs: np.ndarray, action_mask: np.ndarray) -> int:
        start, cpu_start = _now(), time.thread_time_ns()
        game = TronGame.from_planes(obs)
        heading = game.headings[0]
        allowed = [bool(ok) for ok in np.asarray(action_mask, dtype=bool).tolist()]
        safe = [action for action, ok in zip(ACTIONS, game.safe_actions(0)) if ok]
        choices = [action for action in safe if allowed[action]] or safe
        if len(choices) <= 1:  # one way on, or none (then straight on, or whatever the mask allows)
            return choices[0] if choices else (STRAIGHT if allowed[STRAIGHT] or not any(allowed)
                                               else allowed.index(True))
        self._prepare(game.size)
        free = to_rows(game.grid == 0)
        (own_row, own_col), (other_row, other_col) = game.heads
        deadline = start + int(self.budget_ms * 1e6) if self.depth is None else NO_DEADLINE
        if voronoi(free, own_row, own_col, other_row, other_col, self.work)[4]:
            mode, (direction, nodes, reached, value) = "search", self._search(free, game.heads, deadline)
        else:
            mode, (direction, nodes, reached, value) = "endgame", self._endgame(free, own_row, own_col, deadline)
        self.moves.append(SearchRecord(mode, nodes, reached, (_now() - start) / 1e9,
                                       (time.thread_time_ns() - cpu_start) / 1e9, value))
        action = next((action for action in ACTIONS if turned(heading, action) == direction), choices[0])
        return action if action in choices else choices[0]

    def _prepare(self, size: int) -> None:
        if size == self._size:
            if self.depth is not None:  # a fixed depth plays every position the same, whatever came before
                self.keys[:] = 0
                self.history[:] = 0
            return
        self._size = size
        cells = size * size
        self.zobrist = np.random.default_rng(20100227).integers(1, 2**63, size=(4, cells), dtype=np.uint64)
        self.work = np.zeros((8, size), dtype=np.uint64)
        self.ints = int_scratch(size)
        self.history = np.zeros((2, 4 * cells), dtype=np.int64)
        self.keys[:] = 0

    def _search(self, free: np.ndarray, heads: list[tuple[int, int]], deadline: int) -> tuple[int, int, int, int]:
        """(direction, nodes, ticks reached, value) of the iterative-deepening alpha-beta search."""
        (own_row, own_col), (other_row, other_col) = heads
        key = _root_key(free, own_row, own_col, other_row, other_col, self.zobrist)
        stats = np.zeros(6, dtype=np.int64)
        ticks = range(self.depth // 2, self.depth // 2 + 1) if self.depth else range(1, MAX_PLIES // 2 + 1)
        direction, reached, best = -1, 0, 0
        started = _now()
        for depth in ticks:
            stats[ABORTED] = stats[ROOT_DONE] = 0
            # The first iteration always finishes, so there is always a searched move.
            value = _search(free, own_row, own_col, other_row, other_col, key, depth, -WIN - 1, WIN + 1, 0,
                            self.zobrist, self.keys, self.best_moves, self.history, stats,
                            NO_DEADLINE if reached == 0 else deadline, self.weights, self.work, self.ints)
            if stats[ABORTED]:
                # An unfinished iteration still knows better when it searched the last best move (it goes first)
                # to the end and then found another one better.
                if stats[ROOT_DONE] and stats[FIRST] == direction:
                    direction = int(stats[BEST])
                break
            direction, reached, best = int(stats[BEST]), depth, int(value)
            # A decided line stays decided deeper; an iteration that took half the budget leaves no time for the
            # next (each costs several times the last).
            if abs(value) > WIN // 2 or _now() - started > (deadline - started) // 2:
                break
        return direction, int(stats[NODES]), reached, best

    def _endgame(self, free: np.ndarray, row: int, col: int, deadline: int) -> tuple[int, int, int, int]:
        """(direction, nodes, own moves reached, cells filled) of the fill search once the cycles are separated."""
        bound = fill_bound(free, row, col, self.work)
        stats = np.zeros(6, dtype=np.int64)
        depths = range(self.depth // 2, self.depth // 2 + 1) if self.depth else range(1, bound + 1)
        direction, reached, best = -1, 0, 0
        started = _now()
        for depth in depths:
            stats[ABORTED] = 0
            value = _fill_search(free, row, col, depth, 0, bound, stats, NO_DEADLINE if reached == 0 else deadline,
                                 self.ints)
            if stats[ABORTED]:
                break
            direction, reached, best = int(stats[BEST]), depth, int(value)
            if value >= bound or _now() - started > (deadline - started) // 2:
                break
        return direction, int(stats[NODES]), reached, best


def make_voronoi(spec: str) -> VoronoiBot:
    """The bot for a ``voronoi`` spec (see the module docstring)."""
    budget_ms, depth = parse_spec(spec)
    return VoronoiBot(budget_ms, depth)


def voronoi_bot(rng: np.random.Generator, argument: str | None = None) -> VoronoiBot:
    """The registry's factory for ``voronoi`` and ``voronoi:MS`` / ``voronoi:dN`` (deterministic: ``rng`` unused)."""
    return make_voronoi("voronoi" if argument is None else f"voronoi:{argument}")


def warm_up() -> None:
    """Load (or, the first time, compile) the search: the first move would otherwise pay for it (seconds)."""
    game = TronGame(8)
    bot = VoronoiBot(depth=4)
    bot(game.planes(0), np.ones(3, dtype=bool))  # the cycles share the arena: the alpha-beta search
    game.grid[:, 4] = 2  # a wall (the other trail) between them: the endgame search
    bot(game.planes(0), np.ones(3, dtype=bool))
