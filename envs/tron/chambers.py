"""Space counting for the voronoi bot (envs/tron/voronoi.py), compiled with numba.

Two questions decide a Tron position, and the bot asks them at every leaf of its search:
* **Who owns which cells?** The Voronoi split: the free cells each head reaches strictly first by BFS (ties in
  neither), and the edges (free neighbours) of the cells each side owns; many edges mean room to manoeuvre,
  a long corridor has few. The split also tells when the cycles are separated (their fills never meet).
* **How many cells can a cycle still fill?** Not its region's size: a path that enters a dead end through a
  one-cell door (an articulation point) cannot come back. The estimate is a "tree of chambers" (a1k0n, 2010
  Google AI Challenge): the cells between articulation points form chambers; a cycle fills one chamber and
  leaves it through one door, so the space is the best chain of chambers. Inside a chamber a path alternates
  the checkerboard colours, so it uses at most twice the scarcer colour (plus one).

Grids are row bitboards (envs/bitboard.py): one uint64 per row, bit ``col`` set for a free cell.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from envs.bitboard import grow_rows

ONE = np.uint64(1)
ZERO = np.uint64(0)
D_ROW = np.array([-1, 0, 1, 0], dtype=np.int64)  # up, right, down, left: the engine's headings
D_COL = np.array([0, 1, 0, -1], dtype=np.int64)
EVEN_ROW_COLOUR = np.uint64(0x5555_5555_5555_5555)  # the columns of colour 0 ((row + col) even) in an even row

_grow = njit(inline="always", cache=True)(grow_rows)


@intrinsic
def popcount(typingctx, value):
    """The number of set bits of a uint64 (one machine instruction)."""

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@njit(inline="always", cache=True)
def colour_mask(row: int, colour: int) -> np.uint64:
    """The bits of the cells of checkerboard ``colour`` ((row + col) % 2) in ``row``."""
    return EVEN_ROW_COLOUR if (row + colour) % 2 == 0 else EVEN_ROW_COLOUR << ONE


@njit(inline="always", cache=True)
def is_set(rows: np.ndarray, row: int, col: int) -> bool:
    size = rows.shape[0]
    return 0 <= row < size and 0 <= col < size and (rows[row] >> np.uint64(col)) & ONE == ONE


@njit(cache=True)
def voronoi(free: np.ndarray, own_row: int, own_col: int, other_row: int, other_col: int,
            work: np.ndarray) -> tuple[int, int, int, int, bool]:
    """(own cells, other cells, own edges, other edges, whether the fills meet) of the Voronoi split.

    Both BFS fronts grow one step per round; a cell both reach in the same round is a tie, owned by neither but
    passed on by both (as envs/tron/territory.split). ``work`` is uint64 scratch of shape (>= 6, size).
    """
    size = free.shape[0]
    own_front, other_front, grown, own, other = work[0], work[1], work[2], work[3], work[4]
    claimed = work[5]
    for row in range(size):
        own_front[row] = other_front[row] = own[row] = other[row] = claimed[row] = ZERO
    own_front[own_row] = ONE << np.uint64(own_col)
    other_front[other_row] |= ONE << np.uint64(other_col)
    meet = False
    active = True
    while active:
        active = False
        _grow(own_front, free, grown)
        for row in range(size):
            own_front[row] = grown[row] & ~claimed[row]
        _grow(other_front, free, grown)
        for row in range(size):
            reached_own = own_front[row]
            reached_other = grown[row] & ~claimed[row]
            tie = reached_own & reached_other
            if tie:
                meet = True
            own[row] |= reached_own & ~tie
            other[row] |= reached_other & ~tie
            claimed[row] |= reached_own | reached_other
            other_front[row] = reached_other
            if reached_own | reached_other:
                active = True
    own_cells = other_cells = own_edges = other_edges = 0
    for row in range(size):
        left_free, right_free = free[row] << ONE, free[row] >> ONE  # whose left / right neighbour is free
        own_row_cells, other_row_cells = own[row], other[row]
        own_cells += popcount(own_row_cells)
        other_cells += popcount(other_row_cells)
        own_edges += popcount(own_row_cells & left_free) + popcount(own_row_cells & right_free)
        other_edges += popcount(other_row_cells & left_free) + popcount(other_row_cells & right_free)
        if row > 0:
            own_edges += popcount(own_row_cells & free[row - 1])
            other_edges += popcount(other_row_cells & free[row - 1])
            if own_row_cells & other[row - 1] or other_row_cells & own[row - 1]:
                meet = True
        if row < size - 1:
            own_edges += popcount(own_row_cells & free[row + 1])
            other_edges += popcount(other_row_cells & free[row + 1])
        if own_row_cells & ((other_row_cells << ONE) | (other_row_cells >> ONE)):
            meet = True
    return own_cells, other_cells, own_edges, other_edges, meet


# The chamber code walks single cells, on a padded flat grid: a border of blocked cells around the arena, so
# the four neighbours of cell p are p - width, p + 1, p + width, p - 1 with no bounds checks and no divisions.
# ``ints`` (int32, shape (INT_ROWS, 4 * (size + 2) ** 2)) holds its arrays, one row each:
GRID, DOOR, DISCOVERED, LOW, PARENT, NEXT, STACK, NODE, ORDER, QUEUE, EDGES, VALUE = range(12)
INT_ROWS = 12
HEAD = 3  # the head's mark in ints[GRID] (free cells hold 1 + their colour)


@njit(cache=True)
def int_scratch(size: int) -> np.ndarray:
    """The int32 scratch the chamber code needs for a size x size arena."""
    return np.zeros((INT_ROWS, 4 * (size + 2) ** 2), dtype=np.int32)


@njit(cache=True)
def articulation_points(free: np.ndarray, head_row: int, head_col: int, ints: np.ndarray) -> int:
    """Mark ``ints[DOOR]`` at the free cells reachable from the head whose removal disconnects that region.

    Tarjan's low-link DFS rooted at the head (itself not free: a cycle stands on it), iterative so that long
    corridors cannot overflow the stack. Also fills ``ints[GRID]`` (0 blocked, 1 + colour free, HEAD) and
    ``ints[ORDER]`` (the reachable cells, head first); returns how many cells that is, the head included.
    """
    size = free.shape[0]
    width = size + 2
    grid, door, discovered, low, parent = ints[GRID], ints[DOOR], ints[DISCOVERED], ints[LOW], ints[PARENT]
    next_direction, stack, order = ints[NEXT], ints[STACK], ints[ORDER]
    for cell in range(width * width):
        grid[cell] = 0
        door[cell] = 0
        discovered[cell] = -1
    for row in range(size):
        bits = free[row]
        while bits:
            low_bit = bits & (~bits + ONE)
            bits ^= low_bit
            col = int(popcount(low_bit - ONE))
            grid[(row + 1) * width + col + 1] = 1 + (row + col) % 2
    steps = (-width, 1, width, -1)
    root = (head_row + 1) * width + head_col + 1
    grid[root] = HEAD  # the walk passes through the head like any cell: loops through it make no door
    discovered[root] = low[root] = 0
    parent[root] = -1
    next_direction[root] = 0
    stack[0] = order[0] = root
    top, clock = 1, 1
    while top:
        cell = stack[top - 1]
        direction = next_direction[cell]
        if direction < 4:
            next_direction[cell] = direction + 1
            neighbour = cell + steps[direction]
            if grid[neighbour] == 0:
                continue
            if discovered[neighbour] < 0:
                discovered[neighbour] = low[neighbour] = clock
                order[clock] = neighbour
                clock += 1
                parent[neighbour] = cell
                next_direction[neighbour] = 0
                stack[top] = neighbour
                top += 1
            elif neighbour != parent[cell] and discovered[neighbour] < low[cell]:
                low[cell] = discovered[neighbour]
        else:
            top -= 1
            up = parent[cell]
            if up >= 0:
                if low[cell] < low[up]:
                    low[up] = low[cell]
                if up != root and low[cell] >= discovered[up]:
                    door[up] = 1
    return clock


@njit(cache=True)
def fill_estimate(free: np.ndarray, head_row: int, head_col: int, ints: np.ndarray) -> int:
    """How many cells the cycle on (head_row, head_col) can still fill, by the tree of chambers.

    The free cells between articulation points ("doors") form chambers; the chambers and the doors make a
    graph that is a tree but for some loops of chambers. A depth-first walk from the head takes it as a tree:
    a node is worth its cells (a door 1, a chamber its checkerboard bound: twice its scarcer colour, plus
    one if the colours differ) plus its best child, since a cycle that leaves a chamber never comes back.
    """
    reached = articulation_points(free, head_row, head_col, ints)
    width = free.shape[0] + 2
    steps = (-width, 1, width, -1)
    grid, door, order, node_of, queue = ints[GRID], ints[DOOR], ints[ORDER], ints[NODE], ints[QUEUE]
    # After the DFS its rows serve the node graph: weights, edge offsets, walk cursors, the walk's stack.
    weight, offsets, cursor, stack, edges, value = ints[LOW], ints[PARENT], ints[NEXT], ints[STACK], ints[EDGES], \
        ints[VALUE]
    for index in range(reached):
        node_of[order[index]] = -1
    root = order[0]
    node_of[root] = reached  # no chamber floods into the head
    # Label the nodes: each door alone, each chamber by a flood over its non-door cells. The head is the last.
    nodes = 0
    totals = [0, 0]  # the region's cells per colour
    for index in range(1, reached):
        cell = order[index]
        if node_of[cell] >= 0:
            continue
        colours = [0, 0]
        node_of[cell] = nodes
        queue[0], head, tail = cell, 0, 1
        while head < tail:
            here = queue[head]
            head += 1
            colours[grid[here] - 1] += 1
            if door[here]:
                continue
            for direction in range(4):
                neighbour = here + steps[direction]
                if grid[neighbour] and not door[neighbour] and node_of[neighbour] < 0:  # (the head: >= 0)
                    node_of[neighbour] = nodes
                    queue[tail] = neighbour
                    tail += 1
        weight[nodes] = 2 * min(colours[0], colours[1]) + (1 if colours[0] != colours[1] else 0)
        totals[0] += colours[0]
        totals[1] += colours[1]
        nodes += 1
    node_of[root] = nodes
    weight[nodes] = 0
    # The node graph in compressed rows (with repeated edges, harmless for the walk): count, then place.
    for node in range(nodes + 2):
        offsets[node] = 0
    for sweep in range(2):
        for index in range(reached):
            cell = order[index]
            node = node_of[cell]
            for direction in range(4):
                neighbour = cell + steps[direction]
                if not grid[neighbour]:
                    continue
                other = node_of[neighbour]
                if other != node and other != nodes:
                    if sweep == 0:
                        offsets[node + 1] += 1
                    else:
                        edges[cursor[node]] = other
                        cursor[node] += 1
        if sweep == 0:
            for node in range(nodes + 1):
                offsets[node + 1] += offsets[node]
                cursor[node] = offsets[node]
    # A depth-first walk from each of the head's ways out (a loop through the head must not let the first walk
    # claim what another way reaches better); a node's value is final when the walk leaves it.
    best = 0
    for first in range(offsets[nodes], offsets[nodes + 1]):
        start = edges[first]
        for node in range(nodes):
            value[node] = -1
            cursor[node] = offsets[node]
        value[nodes] = 0  # the head: never entered again
        value[start] = 0
        stack[0], top = start, 1
        while top:
            node = stack[top - 1]
            if cursor[node] < offsets[node + 1]:
                child = edges[cursor[node]]
                cursor[node] += 1
                if value[child] < 0:
                    value[child] = 0
                    stack[top] = child
                    top += 1
                continue
            top -= 1
            value[node] += weight[node]
            if top and value[node] > value[stack[top - 1]]:
                value[stack[top - 1]] = value[node]
        best = max(best, value[start])
    # Chambers' bounds add up to more than the region's own checkerboard bound when their odd cells disagree.
    head_colour = (head_row + head_col) % 2
    first, second = totals[1 - head_colour], totals[head_colour]
    return min(best, 2 * second + 1 if first > second else 2 * first)


@njit(cache=True)
def fill_bound(free: np.ndarray, head_row: int, head_col: int, work: np.ndarray) -> int:
    """An upper bound on the cells the cycle on (head_row, head_col) can fill: its region's checkerboard bound.

    A path alternates colours, the colour opposite the head's first. ``work`` is uint64 scratch (>= 2, size).
    """
    size = free.shape[0]
    region, grown = work[0], work[1]
    for row in range(size):
        region[row] = ZERO
    region[head_row] = ONE << np.uint64(head_col)
    active = True
    while active:
        active = False
        _grow(region, free, grown)
        for row in range(size):
            if grown[row] & ~region[row]:
                active = True
            region[row] |= grown[row]
    head_colour = (head_row + head_col) % 2
    first = second = 0
    for row in range(size):
        cells = region[row] & free[row]
        first += popcount(cells & colour_mask(row, 1 - head_colour))
        second += popcount(cells & colour_mask(row, head_colour))
    return 2 * second + 1 if first > second else 2 * first
