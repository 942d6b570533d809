"""Maze rules: perfect-maze generation, movement and BFS distances. Pure Python + numpy, no gymnasium.

A maze of ``size`` x ``size`` cells lives on a ``(2*size+1) x (2*size+1)`` grid of walls and cells: cell
(row, col) sits at grid (2*row+1, 2*col+1) and the grid square between two neighbouring cells is the wall
(or the opening) that separates them. Cells are numbered row-major: ``cell = row * size + col``.
Moves go through a per-cell table built once per maze, so a step is two list look-ups.
"""

from __future__ import annotations

from collections import deque

import numpy as np

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ROW_STEP: tuple[int, ...] = (-1, 0, 1, 0)
COL_STEP: tuple[int, ...] = (0, 1, 0, -1)
MIN_SIZE = 2


class MazeRules:
    """A perfect maze (exactly one path between any two cells) and one agent walking to a goal cell."""

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < MIN_SIZE:
            raise ValueError(f"maze size must be an int >= {MIN_SIZE} cells, got {size!r}")
        self.size = int(size)
        self.num_cells = self.size * self.size
        self.grid_size = 2 * self.size + 1
        # True = wall. Starts solid; generate() carves the passages.
        self.walls = np.ones((self.grid_size, self.grid_size), dtype=bool)
        # moves[cell][action] = the cell that action leads to (the same cell when a wall is in the way).
        self.moves: list[list[int]] = [[cell] * 4 for cell in range(self.num_cells)]
        self.distances: list[int] = []
        # Bumped whenever the walls change, so renderers and observers know when to rebuild cached pictures.
        self.layout_version = 0
        self.start = 0
        self.goal = self.num_cells - 1
        self.agent = 0
        self.steps = 0

    def cell(self, row: int, col: int) -> int:
        return row * self.size + col

    def row_col(self, cell: int) -> tuple[int, int]:
        return divmod(cell, self.size)

    def _check_cell(self, cell: int, what: str) -> None:
        if isinstance(cell, bool) or not isinstance(cell, int | np.integer) or not 0 <= cell < self.num_cells:
            raise ValueError(f"{what} must be a cell index in 0..{self.num_cells - 1}, got {cell!r}")

    # ----------------------------------------------------------------- maze construction
    def generate(self, rng: np.random.Generator) -> None:
        """Carve a new perfect maze with the randomized depth-first search (recursive backtracker).

        An explicit stack instead of recursion: a 100x100 maze would overflow Python's recursion limit.
        """
        size = self.size
        walls = np.ones((self.grid_size, self.grid_size), dtype=bool)
        visited = bytearray(self.num_cells)
        # One uniform draw per carved passage, taken in one call (per-call overhead dominates otherwise).
        draws = rng.random(self.num_cells).tolist()
        draw_index = 0
        start = 0
        visited[start] = 1
        walls[1, 1] = False
        stack = [start]
        while stack:
            current = stack[-1]
            row, col = divmod(current, size)
            options: list[tuple[int, int, int]] = []
            for action in (UP, RIGHT, DOWN, LEFT):
                next_row, next_col = row + ROW_STEP[action], col + COL_STEP[action]
                if 0 <= next_row < size and 0 <= next_col < size and not visited[next_row * size + next_col]:
                    options.append((action, next_row, next_col))
            if not options:
                stack.pop()
                continue
            action, next_row, next_col = options[int(draws[draw_index] * len(options))]
            draw_index += 1
            visited[next_row * size + next_col] = 1
            walls[2 * row + 1 + ROW_STEP[action], 2 * col + 1 + COL_STEP[action]] = False
            walls[2 * next_row + 1, 2 * next_col + 1] = False
            stack.append(next_row * size + next_col)
        self.set_walls(walls)

    def set_walls(self, walls: np.ndarray) -> None:
        """Install a wall grid (True = wall) and rebuild the move table; for generate() and hand-made tests.

        Raises ValueError when the grid has the wrong shape, a cell square is a wall, a wall-corner square
        or the border is open.
        """
        expected = (self.grid_size, self.grid_size)
        walls = np.asarray(walls, dtype=bool)
        if walls.shape != expected:
            raise ValueError(f"wall grid must have shape {expected}, got {walls.shape}")
        if walls[1::2, 1::2].any():
            raise ValueError("wall grid has a wall on a cell square (odd row and odd column)")
        if not walls[::2, ::2].all():
            raise ValueError("wall grid has an opening on a corner square (even row and even column)")
        if not (walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()):
            raise ValueError("wall grid has an opening in the outer border")
        self.walls = walls.copy()
        self.layout_version += 1
        size = self.size
        moves: list[list[int]] = []
        for cell in range(self.num_cells):
            row, col = divmod(cell, size)
            targets = []
            for action in (UP, RIGHT, DOWN, LEFT):
                blocked = walls[2 * row + 1 + ROW_STEP[action], 2 * col + 1 + COL_STEP[action]]
                targets.append(cell if blocked else cell + ROW_STEP[action] * size + COL_STEP[action])
            moves.append(targets)
        self.moves = moves
        self._compute_distances()

    def place(self, start: int, goal: int) -> None:
        """Set the start and goal cells (distinct), put the agent on the start and zero the step count."""
        self._check_cell(start, "start")
        self._check_cell(goal, "goal")
        if start == goal:
            raise ValueError(f"start and goal must differ, both are cell {start}")
        goal_changed = goal != self.goal
        self.start, self.goal = int(start), int(goal)
        if goal_changed:
            self._compute_distances()
        self.reset_agent()

    def reset_agent(self) -> None:
        self.agent = self.start
        self.steps = 0

    def _compute_distances(self) -> None:
        """BFS from the goal over the move table: distances[cell] = moves needed to reach the goal.

        Done once per maze (or goal), so every step reads the agent's distance in O(1).
        """
        distances = [-1] * self.num_cells
        distances[self.goal] = 0
        frontier = deque([self.goal])
        while frontier:
            cell = frontier.popleft()
            for neighbour in self.moves[cell]:
                if distances[neighbour] < 0:
                    distances[neighbour] = distances[cell] + 1
                    frontier.append(neighbour)
        self.distances = distances

    # ----------------------------------------------------------------- queries
    def shortest_path_length(self, cell: int | None = None) -> int:
        """Moves on the shortest path from ``cell`` (default: the start) to the goal; -1 if unreachable."""
        if cell is None:
            return self.distances[self.start]
        self._check_cell(cell, "cell")
        return self.distances[cell]

    def passage_count(self) -> int:
        """Openings between neighbouring cells; a perfect maze has exactly num_cells - 1."""
        horizontal = int((~self.walls[1::2, 2:-1:2]).sum())
        vertical = int((~self.walls[2:-1:2, 1::2]).sum())
        return horizontal + vertical

    @property
    def at_goal(self) -> bool:
        return self.agent == self.goal

    # ----------------------------------------------------------------- dynamics
    def move(self, action: int) -> bool:
        """Try one move; returns whether the agent changed cell (False = bumped into a wall).

        Raises ValueError for an unknown action and RuntimeError once the goal is reached.
        """
        if self.agent == self.goal:
            raise RuntimeError("the maze is solved; call reset before moving again")
        if action not in (UP, RIGHT, DOWN, LEFT):
            raise ValueError(f"maze action must be one of 0..3 (up/right/down/left), got {action!r}")
        self.steps += 1
        target = self.moves[self.agent][action]
        moved = target != self.agent
        self.agent = target
        return moved
