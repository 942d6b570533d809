"""Connect Four rules on bitboards: pure python ints and numpy, no gymnasium.

Bit layout (the classic one): column ``c`` owns bits ``c * 7 .. c * 7 + 6``; bit ``c * 7 + h`` is the cell at
height ``h`` counted from the BOTTOM (h = 0 .. 5). The seventh bit of each column is a sentinel that is never
set, so shifting a bitboard by 1 (vertical), 7 (horizontal), 6 or 8 (diagonals) never joins cells of different
columns and a four-in-a-row test is four shifts and ands: constant time, no board scans.

Outside this module rows count from the TOP (row 0 = top row), as on screen and in observations.
"""

from __future__ import annotations

import numpy as np

ROWS = 6
COLS = 7
COLUMN_BITS = ROWS + 1  # one sentinel bit on top of each column
ACTIONS = COLS  # one action per column
# The observation planes, from the point of view of one player: own discs, the other player's discs, empty.
PLANE_OWN, PLANE_OTHER, PLANE_EMPTY = 0, 1, 2
PLANE_COUNT = 3
# The four line directions as bit shifts: vertical, horizontal, diagonal "/" and diagonal "\".
DIRECTION_SHIFTS = (1, COLUMN_BITS, COLUMN_BITS + 1, COLUMN_BITS - 1)
BOTTOM_ROW = sum(1 << (col * COLUMN_BITS) for col in range(COLS))
BOARD_MASK = BOTTOM_ROW * ((1 << ROWS) - 1)  # every playable cell, sentinels excluded
CENTRE_COLUMN_MASK = ((1 << ROWS) - 1) << (COLS // 2 * COLUMN_BITS)
# The bit index of every cell in screen order (row 0 = top), and its bit as an int64 weight: vectorised
# bitboard <-> grid conversions.
CELL_BITS = np.array([[col * COLUMN_BITS + ROWS - 1 - row for col in range(COLS)] for row in range(ROWS)],
                     dtype=np.int64)
CELL_WEIGHTS = np.left_shift(1, CELL_BITS)


def bit_to_cell(bit_index: int) -> tuple[int, int]:
    """The cell of a bit index: (row from the top, column)."""
    col, height = divmod(bit_index, COLUMN_BITS)
    return ROWS - 1 - height, col


def has_four(pieces: int) -> bool:
    """Whether a one-player bitboard holds four in a row in any direction."""
    for shift in DIRECTION_SHIFTS:
        pairs = pieces & (pieces >> shift)
        if pairs & (pairs >> (2 * shift)):
            return True
    return False


class Board:
    """A Connect Four position: two bitboards, the column heights and the move history (for undo).

    Player 0 always moves first. ``play`` raises ValueError on an illegal move, so callers can rely on the
    board never being in an impossible state.
    """

    __slots__ = ("pieces", "heights", "history", "current_player", "winner")

    def __init__(self) -> None:
        self.pieces = [0, 0]  # one bitboard per player
        # Bit index of the next free cell in each column; a column is full when it reaches its sentinel.
        self.heights = [col * COLUMN_BITS for col in range(COLS)]
        self.history: list[int] = []
        self.current_player = 0
        self.winner: int | None = None

    @classmethod
    def from_grid(cls, grid: np.ndarray, current_player: int | None = None) -> Board:
        """Build a board from a (6, 7) int array: -1 empty, 0 / 1 the owner; row 0 is the top row.

        The history is left empty (the move order is unknown), so such a board cannot undo past its start.
        ``current_player`` defaults to whoever has fewer pieces (player 0 on equal counts). Floating pieces
        raise ValueError.
        """
        grid = np.asarray(grid)
        if grid.shape != (ROWS, COLS):
            raise ValueError(f"grid must have shape {(ROWS, COLS)}, got {grid.shape}")
        values_ok = (grid >= -1) & (grid <= 1)
        if not values_ok.all():
            raise ValueError(f"grid values must be -1, 0 or 1, got {grid[~values_ok][0]}")
        filled = grid >= 0
        # Gravity: a filled cell must sit on a filled cell (row + 1 is the one below it).
        floating = filled[:-1] & ~filled[1:]
        if floating.any():
            raise ValueError(f"column {int(np.nonzero(floating)[1][0])} has a piece above an empty cell")
        board = cls()
        # Vectorised: every cell's bit is a precomputed int64 weight (49 bits fit), summed per owner.
        board.pieces = [int(CELL_WEIGHTS[grid == player].sum()) for player in (0, 1)]
        board.heights = [col * COLUMN_BITS + int(height) for col, height in enumerate(filled.sum(axis=0))]
        counts = [piece.bit_count() for piece in board.pieces]
        if current_player is None:
            current_player = 0 if counts[0] <= counts[1] else 1
        if current_player not in (0, 1):
            raise ValueError(f"current_player must be 0 or 1, got {current_player}")
        board.current_player = current_player
        for player in (0, 1):
            if has_four(board.pieces[player]):
                board.winner = player
        return board

    @classmethod
    def from_planes(cls, obs: np.ndarray) -> Board:
        """Rebuild the position from a planes observation; the observer becomes player 0, to move.

        The move order is unknown, so the board cannot undo past its start.
        """
        obs = np.asarray(obs)
        if obs.ndim != 3 or obs.shape[0] < 2 or obs.shape[1:] != (ROWS, COLS):
            raise ValueError(f"Connect Four planes must have shape (3, {ROWS}, {COLS}), got {obs.shape}")
        grid = np.full((ROWS, COLS), -1, dtype=np.int8)
        grid[obs[PLANE_OWN] > 0] = 0
        grid[obs[PLANE_OTHER] > 0] = 1
        return cls.from_grid(grid, current_player=0)

    def planes(self, player: int) -> np.ndarray:
        """Uint8 (3, 6, 7) of 0/1 from ``player``'s point of view: own discs, other discs, empty (row 0 = top).

        Every cell's bit is shifted out of both bitboards at once (constant time: tree search calls this for
        every position it evaluates, and a loop over the discs cost 2-3x more by the middle of a game)."""
        both = np.array((self.pieces[player], self.pieces[1 - player]), dtype=np.int64).reshape(2, 1, 1)
        planes = np.empty((PLANE_COUNT, ROWS, COLS), dtype=np.uint8)
        planes[:PLANE_EMPTY] = (both >> CELL_BITS) & 1
        planes[PLANE_EMPTY] = 1 - planes[PLANE_OWN] - planes[PLANE_OTHER]
        return planes

    # ----- the engine interface that search, bots and learners share (see envs/engine.py) ---------------
    def movers(self) -> tuple[int, ...]:
        """The players who choose an action now: the player to move, or nobody once the game is over."""
        return () if self.is_over() else (self.current_player,)

    def legal_actions(self, player: int) -> np.ndarray:
        """Bool (7,): the columns ``player`` may play now (all False when it is not that player's turn)."""
        if player != self.current_player:
            return np.zeros(COLS, dtype=bool)
        return self.legal_mask()

    def apply(self, actions: tuple[int, ...] | list[int]) -> None:
        """Play one action per mover, in :meth:`movers` order (here: the one column of the player to move)."""
        if len(actions) != 1:
            raise ValueError(f"Connect Four takes one action per turn, got {len(actions)}")
        self.play(int(actions[0]))

    def result(self, player: int) -> float:
        """+1 if ``player`` won, -1 if it lost, 0 for a draw or a game still running."""
        if self.winner is None:
            return 0.0
        return 1.0 if self.winner == player else -1.0

    def key(self) -> tuple[int, int]:
        """A hashable identity of the position (both bitboards; whose turn follows from the disc counts)."""
        return self.pieces[0], self.pieces[1]

    def copy(self) -> Board:
        twin = Board.__new__(Board)
        twin.pieces = self.pieces.copy()
        twin.heights = self.heights.copy()
        twin.history = self.history.copy()
        twin.current_player = self.current_player
        twin.winner = self.winner
        return twin

    def is_legal(self, col: int) -> bool:
        """Whether dropping into ``col`` is allowed (in range, not full, game not over)."""
        return self.winner is None and 0 <= col < COLS and self.heights[col] < col * COLUMN_BITS + ROWS

    def legal_moves(self) -> list[int]:
        """Columns that can take a piece, in column order (empty once the game is over)."""
        if self.winner is not None:
            return []
        return [col for col in range(COLS) if self.heights[col] < col * COLUMN_BITS + ROWS]

    def legal_mask(self) -> np.ndarray:
        """Bool array of shape (7,): True where a move is legal."""
        mask = np.zeros(COLS, dtype=bool)
        mask[self.legal_moves()] = True
        return mask

    def play(self, col: int) -> int:
        """Drop the current player's piece into ``col``; returns the row (0 = top) it lands in.

        Raises ValueError naming the column if the move is illegal.
        """
        if not self.is_legal(col):
            raise ValueError(self.illegal_reason(col))
        bit_index = self.heights[col]
        player = self.current_player
        pieces = self.pieces[player] | (1 << bit_index)
        self.pieces[player] = pieces
        self.heights[col] = bit_index + 1
        self.history.append(col)
        # Only the mover can have completed a four, so one bitboard test suffices.
        if has_four(pieces):
            self.winner = player
        self.current_player = 1 - player
        return ROWS - 1 - (bit_index - col * COLUMN_BITS)

    def illegal_reason(self, col: int) -> str:
        """A one-line explanation of why ``col`` cannot be played (for error messages)."""
        if self.winner is not None:
            return f"column {col}: the game is already over (player {self.winner} won)"
        if not 0 <= col < COLS:
            return f"column {col} is out of range: columns are 0..{COLS - 1}"
        return f"column {col} is full; legal columns are {self.legal_moves()}"

    def undo(self) -> int:
        """Take back the last move; returns its column. Raises ValueError when there is none to undo."""
        if not self.history:
            raise ValueError("no move to undo")
        col = self.history.pop()
        bit_index = self.heights[col] - 1
        self.heights[col] = bit_index
        player = 1 - self.current_player
        self.pieces[player] &= ~(1 << bit_index)
        self.current_player = player
        self.winner = None  # the position before a finished game's last move was not finished
        return col

    def is_full(self) -> bool:
        return (self.pieces[0] | self.pieces[1]) == BOARD_MASK

    def is_draw(self) -> bool:
        """Full board and nobody won."""
        return self.winner is None and self.is_full()

    def is_over(self) -> bool:
        return self.winner is not None or self.is_full()

    def landing_row(self, col: int) -> int:
        """The row (0 = top) a piece dropped into a non-full ``col`` would occupy."""
        return ROWS - 1 - (self.heights[col] - col * COLUMN_BITS)

    def to_grid(self) -> np.ndarray:
        """(6, 7) int8 array, row 0 = top: -1 empty, else the owner."""
        grid = np.full((ROWS, COLS), -1, dtype=np.int8)
        for player in (0, 1):
            pieces = self.pieces[player]
            while pieces:
                low = pieces & -pieces
                grid[bit_to_cell(low.bit_length() - 1)] = player
                pieces ^= low
        return grid

    def winning_cells(self) -> list[tuple[int, int]]:
        """The cells (row from the top, column) of every four-in-a-row of the winner; empty without one.

        Only cells on a line of four or more count, so a move completing two lines highlights both.
        """
        if self.winner is None:
            return []
        pieces = self.pieces[self.winner]
        cells = 0
        for shift in DIRECTION_SHIFTS:
            pairs = pieces & (pieces >> shift)
            starts = pairs & (pairs >> (2 * shift))  # lowest bit of each four
            for offset in range(4):
                cells |= starts << (offset * shift)
        found = []
        while cells:
            low = cells & -cells
            found.append(bit_to_cell(low.bit_length() - 1))
            cells ^= low
        return sorted(found)

    def __repr__(self) -> str:
        symbols = {-1: ".", 0: "X", 1: "O"}
        rows = ["".join(symbols[int(value)] for value in row) for row in self.to_grid()]
        return "Board(\n  " + "\n  ".join(rows) + f"\n  to move: {self.current_player})"
