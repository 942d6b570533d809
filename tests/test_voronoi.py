"""The voronoi Tron bot (envs/tron/voronoi.py) and its space counting (envs/tron/chambers.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from envs.bitboard import from_bitboard, to_bitboard, to_rows
from envs.registry import TRON, make_bot
from envs.tron.chambers import DOOR, articulation_points, fill_bound, fill_estimate, int_scratch, voronoi
from envs.tron.env import TronEnv
from envs.tron.rules import ACTIONS, HEADING_DELTAS, TronGame
from envs.tron.territory import split
from envs.tron.voronoi import WIN, VoronoiBot, evaluate, make_voronoi, parse_spec


def arena(picture: str) -> TronGame:
    """A game drawn as text, one line a row: '.' free, 'H'/'N' the own head and neck (seat 0), 'h'/'n' the
    other's, 'A' an own trail cell, '#' one of the other's."""
    rows = picture.split()
    game = TronGame(len(rows))
    game.grid[:] = 0
    cells = {}
    for row, line in enumerate(rows):
        for col, mark in enumerate(line):
            if mark in "AHN":
                game.grid[row, col] = 1
            elif mark in "#hn":
                game.grid[row, col] = 2
            cells[mark] = (row, col)
    for seat, (head, neck) in enumerate(((cells["H"], cells["N"]), (cells["h"], cells["n"]))):
        game.heads[seat], game.necks[seat], game.paths[seat] = head, neck, [head]
        game.headings[seat] = HEADING_DELTAS.index((head[0] - neck[0], head[1] - neck[1]))
    return game


def free_rows(game: TronGame) -> np.ndarray:
    return to_rows(game.grid == 0)


def play_out(game: TronGame, own, other) -> tuple[int, int]:
    """Play ``game`` to its end with two bots: (ticks the own cycle survived, the winner)."""
    ticks = 0
    while not game.over:
        game.apply((own(game.planes(0), game.legal_actions(0)), other(game.planes(1), game.legal_actions(1))))
        ticks += not game.crashed[0]
    return ticks, game.winner


def longest_path(game: TronGame, seat: int = 0) -> int:
    """The most cells the cycle can fill, by trying every path (small regions only)."""
    free = game.grid == 0

    def walk(row: int, col: int) -> int:
        best = 0
        for d_row, d_col in HEADING_DELTAS:
            r, c = row + d_row, col + d_col
            if 0 <= r < game.size and 0 <= c < game.size and free[r, c]:
                free[r, c] = False
                best = max(best, 1 + walk(r, c))
                free[r, c] = True
        return best

    return walk(*game.heads[seat])


def mid_game_positions(count: int, size: int = 12, seed: int = 0) -> list[TronGame]:
    """Positions after some random non-crashing ticks from random openings, both cycles still riding."""
    rng = np.random.default_rng(seed)
    positions = []
    while len(positions) < count:
        game = TronGame(size)
        for _ in range(int(rng.integers(2, 30))):
            actions = [int(rng.choice(np.flatnonzero(game.legal_actions(seat)))) for seat in (0, 1)]
            game.apply(actions)
            if game.over:
                break
        if not game.over:
            positions.append(game)
    return positions


# ----- the evaluation ---------------------------------------------------------------------------------------
def test_voronoi_split_of_an_open_arena():
    # Heads alone in opposite corners of a 5x5: the own head is nearer to the cells with row + col < 4 (9 of
    # them), the other to row + col > 4 (9); the anti-diagonal's 5 cells are ties.
    free = np.ones((5, 5), dtype=bool)
    free[0, 0] = free[4, 4] = False
    own, other, own_edges, other_edges, meet = voronoi(to_rows(free), 0, 0, 4, 4, np.zeros((8, 5), np.uint64))
    assert (own, other, meet) == (9, 9, True)
    # Edges: every owned cell's free neighbours, counted directly.
    owned = [(r, c) for r in range(5) for c in range(5) if free[r, c] and r + c < 4]
    expected = sum(free[r + dr, c + dc] for r, c in owned for dr, dc in HEADING_DELTAS
                   if 0 <= r + dr < 5 and 0 <= c + dc < 5)
    assert own_edges == other_edges == expected


def test_voronoi_split_sees_separated_cycles():
    game = arena("H.#... N.#... ..#... ..#..n ..#..h ..#...")
    own, other, _, _, meet = voronoi(free_rows(game), 0, 0, 4, 5, np.zeros((8, 6), np.uint64))
    assert (own, other, meet) == (10, 16, False)


@pytest.mark.parametrize("seed", range(5))
def test_voronoi_split_agrees_with_the_shared_territory_split(seed):
    for game in mid_game_positions(4, seed=seed):
        free = game.grid == 0
        stride = game.size + 1
        heads = [1 << (row * stride + col) for row, col in game.heads]
        own, other, meet = split(to_bitboard(free), heads[0], heads[1], stride)
        cells = voronoi(to_rows(free), *game.heads[0], *game.heads[1], np.zeros((8, game.size), np.uint64))
        assert cells[0] == from_bitboard(own, game.size).sum() and cells[1] == from_bitboard(other, game.size).sum()
        assert cells[4] == meet


# ----- the fill estimate ------------------------------------------------------------------------------------
def test_a_corridor_is_filled_to_its_end():
    game = arena("NH.... #####. ...... .##### ...... hn####")
    assert fill_estimate(free_rows(game), 0, 1, int_scratch(6)) == longest_path(game) == 18


def test_articulation_points_are_the_door_and_its_sides():
    # Two rooms joined by the one-cell door (1, 3): removing it, or either cell beside it, splits the region.
    game = arena("NH.#... ....... ...#... ####### ####### ####### hn#####")
    ints = int_scratch(7)
    articulation_points(free_rows(game), 0, 1, ints)
    width = 7 + 2  # the padded grid
    doors = {divmod(int(cell), width) for cell in np.flatnonzero(ints[DOOR])}
    assert {(row - 1, col - 1) for row, col in doors} == {(1, 2), (1, 3), (1, 4)}


def test_rooms_behind_doors_are_a_chain_not_a_sum():
    # A pocket below (2, 2) and a room behind the door (1, 3): a cycle fills one of them after its own room,
    # never both. The estimate takes the better chain, as the longest path does.
    game = arena("NH.#.... ........ ...#.... ##.##### ##.##### ######## ######## hn######")
    region = int((game.grid == 0).sum())
    estimate = fill_estimate(free_rows(game), 0, 1, int_scratch(8))
    assert estimate == longest_path(game) < region


def test_the_fill_bound_counts_the_checkerboard():
    # A 2x3 pocket beside the head: the path alternates colours, starting with the colour opposite the head's.
    game = arena("NH... ###.. ##### ##### hn###")
    assert fill_bound(free_rows(game), 0, 1, np.zeros((8, 5), np.uint64)) == longest_path(game) == 5


# ----- the search -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mask", [np.ones(3, dtype=bool), np.zeros(3, dtype=bool)])
def test_takes_the_only_safe_move(mask):
    # Facing right at (1, 3): a trail ahead and above, only down is free (the mask may say nothing).
    game = arena("...#.. .#NH#. ...... ...... ...... hn....")
    action = make_voronoi("voronoi:d2")(game.planes(0), mask)
    assert game.target(0, action) == (2, 3)


def test_avoids_the_move_into_a_dead_end():
    # Up leads into a one-cell pocket, down into the open arena.
    game = arena("##.### .#NH#. ...... ...... ...... hn....")
    action = make_voronoi("voronoi:d2")(game.planes(0), np.ones(3, dtype=bool))
    assert game.target(0, action) == (2, 3)


@pytest.mark.parametrize("spec", ["voronoi:d2", "voronoi:d4"])
def test_never_crashes_when_a_safe_move_exists(spec):
    bot = make_voronoi(spec)
    for game in mid_game_positions(40, seed=3):
        safe = game.safe_mask(0)
        action = bot(game.planes(0), game.legal_actions(0))
        assert not safe.any() or safe[action]


def reference_value(game: TronGame, ticks: int, ply: int = 0) -> int:
    """Plain minimax over the engine (no pruning, no move ordering): our safe moves, then every reply."""
    if ticks == 0:
        return evaluate(game)
    own = [action for action in ACTIONS if game.safe_mask(0)[action]]
    if not own:
        return 0 if not game.safe_mask(1).any() else -WIN + ply
    best = -WIN - 1
    for action in own:
        worst = WIN
        for reply in ACTIONS:
            child = game.copy()
            child.apply((action, reply))
            if child.over:
                value = 0 if child.crashed[0] else WIN - ply - 1  # both crashed, or only the other
            else:
                value = reference_value(child, ticks - 1, ply + 2)
            worst = min(worst, value)
        best = max(best, worst)
    return best


@pytest.mark.parametrize("ticks", [1, 2])
def test_alpha_beta_finds_the_minimax_value(ticks):
    checked = 0
    for game in mid_game_positions(30, size=8, seed=ticks):
        bot = VoronoiBot(depth=2 * ticks)
        bot(game.planes(0), game.legal_actions(0))
        if not bot.moves or bot.moves[-1].mode != "search":
            continue  # no choice, or separated (the endgame search)
        assert bot.moves[-1].value == reference_value(game, ticks)
        checked += 1
    assert checked >= 10


def test_a_head_on_meeting_is_a_draw():
    # Ahead is the cell (1, 3), the other cycle's only way on: entering it, the worst the other can do is meet
    # us there (a draw, 0). Down is a dead end: the other takes (1, 3) and we crash next tick.
    game = arena("###.## #NH.hn ##.### ###### ###### ######")
    bot = VoronoiBot(depth=4)
    action = bot(game.planes(0), np.ones(3, dtype=bool))
    assert game.target(0, action) == (1, 3) and bot.moves[-1].value == 0


# ----- the endgame ------------------------------------------------------------------------------------------
def test_wins_a_separated_endgame_with_the_larger_region():
    game = arena("NH..#hn. ....#... ....#### ....#### ....#### ....#### ....#### ....####")
    bot = make_voronoi("voronoi:d2")
    _, winner = play_out(game, bot, make_bot(TRON.env_id, "space", np.random.default_rng(0)))
    assert winner == 0
    assert bot.moves and all(record.mode == "endgame" for record in bot.moves)


def test_fills_past_a_door_better_than_a_naive_fill():
    # Two rooms joined by the door at (1, 3): fill the first room before passing the door. The other cycle has
    # the larger region, so it outlives ours and the count is all ours.
    picture = "...#....## NH......## ...#....## ########## .......... .......... .......... .......... " \
              "hn........ .........."
    optimum = longest_path(arena(picture))
    ours, _ = play_out(arena(picture), make_voronoi("voronoi:d2"), make_bot(TRON.env_id, "space", rng()))
    naive, _ = play_out(arena(picture), make_bot(TRON.env_id, "space", rng()), make_bot(TRON.env_id, "space", rng()))
    assert ours == optimum == 16
    assert naive < ours


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ----- the bot ----------------------------------------------------------------------------------------------
def test_the_time_budget_is_kept():
    game = mid_game_positions(1, size=16, seed=7)[0]
    bot = make_voronoi("voronoi:30")
    bot(game.planes(0), game.legal_actions(0))  # the first call loads the compiled code
    start = time.perf_counter()
    action = bot(game.planes(0), game.legal_actions(0))
    elapsed = time.perf_counter() - start
    assert game.legal_actions(0)[action]
    assert elapsed < 3.0  # loose: a shared CI machine; bench/bench_tron.py reports the real times
    assert bot.moves[-1].depth >= 1


def test_a_fixed_depth_is_deterministic():
    positions = mid_game_positions(12, size=10, seed=11)
    first, second = VoronoiBot(depth=6), VoronoiBot(depth=6)
    moves = [first(game.planes(0), game.legal_actions(0)) for game in positions]
    assert moves == [second(game.planes(0), game.legal_actions(0)) for game in reversed(positions)][::-1]
    assert [record.value for record in first.moves] == [record.value for record in second.moves][::-1]


@pytest.mark.parametrize("spec", ["voronoi:0", "voronoi:abc", "voronoi:", "voronoi:d3", "voronoi:d0", "voronoi:d",
                                  "voronoi:d-2", "voronoi:60001", "voronoi:1.5", "voronoi:d1000"])
def test_bad_specs_are_one_line_errors(spec):
    with pytest.raises(ValueError, match="voronoi") as error:
        make_bot(TRON.env_id, spec, rng())
    assert "\n" not in str(error.value)


def test_specs():
    assert parse_spec("voronoi") == (100, None)
    assert parse_spec("voronoi:250") == (250, None)
    assert parse_spec("voronoi:d2") == (None, 2)


def test_plays_as_the_env_opponent():
    env = TronEnv(opponent="voronoi:d2", size=8, opening_moves=2)
    env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(int(np.flatnonzero(env.action_masks())[0]))
        done = terminated or truncated
    assert env.winner in (-1, 0, 1)
