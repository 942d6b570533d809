"""The one colour theme for every board Dojo draws (RGB tuples)."""

BACKGROUND = (24, 26, 33)
GRID_LINE = (44, 48, 60)
PANEL = (33, 36, 46)
TEXT = (230, 232, 238)
TEXT_DIM = (150, 155, 170)
ACCENT = (255, 196, 61)

PLAYER_COLORS = ((66, 165, 245), (239, 83, 80))  # seat 0 blue, seat 1 red
PLAYER_TRAIL_COLORS = ((30, 100, 160), (150, 45, 45))

WALL = (70, 76, 94)
FLOOR = (36, 39, 50)
GOAL = (102, 187, 106)
AGENT = (255, 196, 61)
APPLE = (239, 83, 80)
SNAKE_HEAD = (129, 212, 100)
SNAKE_BODY = (76, 160, 80)
BOARD_BLUE = (30, 64, 140)
HOLE = (20, 22, 30)
WIN_HIGHLIGHT = (255, 235, 130)
