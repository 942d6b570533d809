"""Built-in opponents (bots, envs/<game>/bots.py, listed in envs.registry): construction, legality, tactics and
strength."""

from __future__ import annotations

import time

import numpy as np
import pytest

from envs.bitboard import flood, to_bitboard
from envs.connect_four.bots import PatternBot as ConnectFourPattern
from envs.connect_four.bots import evaluate, minimax_move
from envs.connect_four.env import ConnectFourEnv
from envs.connect_four.rules import COLS, Board
from envs.registry import CONNECT_FOUR, TRON, bot_names, make_bot
from envs.tron.bots import PatternBot as TronPattern
from envs.tron.env import TronEnv
from envs.tron.rules import STRAIGHT, TURN_LEFT, TURN_RIGHT

C4_NAMES = ["random", "greedy", "minimax:1", "minimax:4", "pattern"]
TRON_NAMES = [name for name in bot_names(TRON.env_id) if not name.startswith("voronoi")] + ["voronoi:d2"]  # no clock
GAMES = {"connect_four": CONNECT_FOUR.env_id, "tron": TRON.env_id}


def make_opponent(game: str, spec, rng: np.random.Generator):
    return make_bot(GAMES[game], spec, rng)


def c4_planes(board: Board) -> np.ndarray:
    """The planes observation of the player to move."""
    grid = board.to_grid()
    me = board.current_player
    return np.stack([grid == me, grid == 1 - me, grid < 0]).astype(np.uint8)


def play(moves: list[int]) -> Board:
    board = Board()
    for col in moves:
        board.play(col)
    return board


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# ----- construction --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("game", "spec", "message"),
    [
        ("connect_four", "wall-follower", "random"),  # a Tron name is not a Connect Four opponent
        ("connect_four", "minimax", "random"),
        ("connect_four", "minimax:-2", "minimax:-2"),
        ("tron", "greedy", "wall-follower"),
        ("tron", None, "space"),
    ],
)
def test_unknown_opponents_raise_listing_valid_ones(game: str, spec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_opponent(game, spec, rng())


@pytest.mark.parametrize("env_id", ["dojo/Snake-v0", "CartPole-v1", "chess"])
def test_games_without_bots_say_so(env_id: str) -> None:
    with pytest.raises(ValueError, match="no built-in opponents"):
        make_bot(env_id, "random", rng())


def test_callables_pass_through() -> None:
    def policy(obs: np.ndarray, mask: np.ndarray) -> int:
        return 0

    assert make_opponent("connect_four", policy, rng()) is policy
    assert make_opponent("tron", policy, rng()) is policy
    assert "minimax:K" in bot_names(CONNECT_FOUR.env_id)


# ----- Connect Four ----------------------------------------------------------------------------------------
def test_board_from_planes_puts_the_observer_to_move() -> None:
    board = play([3, 3, 4])
    rebuilt = Board.from_planes(c4_planes(board))
    assert rebuilt.current_player == 0
    assert rebuilt.pieces[0] == board.pieces[1] and rebuilt.pieces[1] == board.pieces[0]


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        pytest.param([0, 0, 1, 1, 2, 2], 3, id="takes-horizontal-win"),
        pytest.param([0, 6, 1, 6, 5, 6], 6, id="blocks-vertical-threat"),
        pytest.param([0, 6, 1, 6, 2, 6], 3, id="win-beats-block"),
        pytest.param([0, 1, 0, 2, 6, 3, 6], 4, id="second-player-takes-win"),
        pytest.param([3, 3, 4, 4, 6, 2], 5, id="fills-the-gap-to-win"),
    ],
)
@pytest.mark.parametrize("name", ["greedy", "minimax:4"])
def test_tactics(name: str, moves: list[int], expected: int) -> None:
    board = play(moves)
    opponent = make_opponent("connect_four", name, rng())
    assert opponent(c4_planes(board), board.legal_mask()) == expected


def test_minimax_depth_four_is_quick_and_prefers_the_centre() -> None:
    board = Board()
    start = time.perf_counter()
    col = minimax_move(board, 4)
    # Measured at about 2 ms; the bound only guards against an accidental blow-up of the search.
    assert time.perf_counter() - start < 1.0
    assert col == 3


def test_minimax_does_not_open_the_cell_under_a_threat() -> None:
    # Seat 1 holds columns 0-2 of the second row from the bottom; column 3 is empty. Dropping into column 3
    # would let seat 1 land on top of it and win, so a two-ply search must look elsewhere, although its
    # centre-first ordering tries column 3 first.
    grid = np.full((6, COLS), -1)
    grid[5] = [0, 1, 0, -1, -1, 0, 0]
    grid[4, :3] = 1
    board = Board.from_grid(grid)
    assert board.current_player == 0
    for depth in (2, 4):
        assert minimax_move(board, depth) != 3


def test_evaluation_favours_threats_and_centre() -> None:
    centre, edge = play([3]), play([0])
    assert evaluate(centre.pieces[0], 0) > evaluate(edge.pieces[0], 0)
    three = play([0, 6, 1, 6, 2])
    assert evaluate(three.pieces[0], three.pieces[1]) > evaluate(three.pieces[1], three.pieces[0])


def test_minimax_never_loses_to_random() -> None:
    env = ConnectFourEnv(opponent="random", agent_first="alternate")
    agent = make_opponent("connect_four", "minimax:4", rng())
    obs, info = env.reset(seed=0)
    seats, rewards = set(), []
    for game in range(50):
        if game:
            obs, info = env.reset()
        seats.add(info["agent_seat"])
        terminated = False
        while not terminated:
            obs, reward, terminated, _, info = env.step(agent(obs, info["action_mask"]))
        rewards.append(reward)
    assert seats == {0, 1}
    assert min(rewards) >= 0.0
    assert rewards.count(1.0) >= 45


def test_pattern_follows_its_sequence_and_skips_full_columns() -> None:
    opponent = ConnectFourPattern(np.random.default_rng(1))
    mask = np.ones(COLS, dtype=bool)
    picks = [opponent(np.zeros((3, 6, 7), np.uint8), mask) for _ in range(600)]
    expected = [ConnectFourPattern.SEQUENCE[index % 6] for index in range(600)]
    agreement = np.mean([pick == want for pick, want in zip(picks, expected)])
    assert 0.85 < agreement < 0.99  # the habit with about 10% noise (noise may hit the habit by chance)
    mask[3] = False
    assert all(opponent(np.zeros((3, 6, 7), np.uint8), mask) != 3 for _ in range(200))


@pytest.mark.parametrize("name", C4_NAMES)
def test_connect_four_opponents_play_legal_moves(name: str) -> None:
    generator = np.random.default_rng(7)
    opponent = make_opponent("connect_four", name, generator)
    for _ in range(15):
        board = Board()
        while not board.is_over():
            mask = board.legal_mask()
            if generator.random() < 0.5:
                col = int(opponent(c4_planes(board), mask))
                assert mask[col], f"{name} chose the illegal column {col}"
            else:
                col = int(generator.choice(np.flatnonzero(mask)))
            board.play(col)


def test_random_opponent_is_reproducible() -> None:
    def picks(seed: int) -> list[int]:
        opponent = make_opponent("connect_four", "random", np.random.default_rng(seed))
        return [opponent(None, np.ones(COLS, dtype=bool)) for _ in range(30)]

    assert picks(3) == picks(3)
    assert picks(3) != picks(4)


# ----- Tron ------------------------------------------------------------------------------------------------
def tron_planes(size: int, head: tuple[int, int], neck: tuple[int, int], blocked=(), other_head=(0, 0)):
    """A Tron planes observation with the own head/neck, some blocked cells and the other head."""
    obs = np.zeros((7, size, size), dtype=np.uint8)
    obs[0][head] = obs[2][head] = 1
    obs[1][neck] = 1
    obs[3][other_head] = obs[5][other_head] = 1
    obs[4][other_head[0], other_head[1] + 1 if other_head[1] + 1 < size else other_head[1] - 1] = 1  # its heading
    for cell in blocked:
        obs[5][cell] = 1
    obs[6] = 1
    return obs


ALL_SAFE = np.ones(3, dtype=bool)


@pytest.mark.parametrize(
    ("blocked", "only_safe"),
    [
        pytest.param([(1, 3), (3, 3)], STRAIGHT, id="corridor"),  # facing right at (2, 3) from (2, 2)
        pytest.param([(1, 3), (2, 4)], TURN_RIGHT, id="only-right"),
        pytest.param([(3, 3), (2, 4)], TURN_LEFT, id="only-left"),
    ],
)
@pytest.mark.parametrize("name", TRON_NAMES)
def test_tron_opponents_dodge_immediate_death(name: str, blocked, only_safe: int) -> None:
    opponent = make_opponent("tron", name, rng())
    obs = tron_planes(8, head=(2, 3), neck=(2, 2), blocked=blocked, other_head=(7, 7))
    # The planes-reading opponents see the danger even through an uninformative all-True mask; random trusts
    # the mask, which the env fills with the non-crashing moves (see the next test).
    mask = np.eye(3, dtype=bool)[only_safe] if name == "random" else ALL_SAFE
    for _ in range(20):
        assert opponent(obs, mask) == only_safe


def test_the_env_hands_its_opponent_the_raw_safety_mask() -> None:
    seen = []

    def recorder(obs, mask):
        seen.append(np.asarray(mask).copy())
        return STRAIGHT

    env = TronEnv(opponent=recorder, size=6)
    env.reset(seed=0)
    terminated = truncated = False
    while not (terminated or truncated):
        _, _, terminated, truncated, _ = env.step(STRAIGHT)
    # Driving straight into the wall: the last mask before the crash has no safe move left ahead.
    assert seen[0].all() and not seen[-1][STRAIGHT]


@pytest.mark.parametrize("name", TRON_NAMES)
def test_tron_opponents_respect_the_mask_in_play(name: str) -> None:
    env = TronEnv(opponent=None, size=10)
    env.reset(seed=0)
    opponents = [make_opponent("tron", name, rng()), make_opponent("tron", "random", rng())]
    for _ in range(3):
        env.reset()
        terminated = truncated = False
        while not (terminated or truncated):
            actions = []
            for seat in (0, 1):
                mask = env.action_mask_for(seat)
                action = opponents[seat](env.observation_for(seat), mask)
                assert mask[action]
                actions.append(action)
            *_, terminated, truncated, _ = env.joint_step(*actions)


def test_space_prefers_the_larger_region() -> None:
    # Head at (3, 4) facing up, trail below it. Columns 3 and 5 are walls with a door in row 3: straight on
    # leads into a 3-cell pocket, right into columns 6-7, left into the larger columns 0-2.
    blocked = [(row, col) for row in range(8) for col in (3, 5) if row != 3] + [
        (row, 4) for row in range(5, 8)
    ]
    obs = tron_planes(8, head=(3, 4), neck=(4, 4), blocked=blocked, other_head=(7, 7))
    assert make_opponent("tron", "space", rng())(obs, ALL_SAFE) == TURN_LEFT
    obs[5, :, :3] = 1  # fill the left side: now the right side is the largest
    assert make_opponent("tron", "space", rng())(obs, ALL_SAFE) == TURN_RIGHT


def test_space_beats_random() -> None:
    env = TronEnv(opponent="random", agent_seat="alternate")
    agent = make_opponent("tron", "space", rng())
    obs, info = env.reset(seed=0)
    wins = 0
    for game in range(30):
        if game:
            obs, info = env.reset()
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(agent(obs, info["action_mask"]))
            done = terminated or truncated
        wins += reward == 1.0
    assert wins >= 22


def test_wall_follower_turns_right_at_a_wall_and_hugs_it() -> None:
    opponent = make_opponent("tron", "wall-follower", rng())
    open_field = tron_planes(8, head=(3, 3), neck=(3, 2))
    assert opponent(open_field, ALL_SAFE) == STRAIGHT
    at_wall = tron_planes(8, head=(3, 7), neck=(3, 6))  # facing the right wall
    assert opponent(at_wall, ALL_SAFE) == TURN_RIGHT
    # Heading down along the right wall, the wall stays on the left: keep going.
    along = tron_planes(8, head=(5, 7), neck=(4, 7))
    assert opponent(along, ALL_SAFE) == STRAIGHT
    # The trail on the left ends: turn left around its end.
    corner = tron_planes(8, head=(4, 3), neck=(3, 3), blocked=[(3, 4), (2, 4)])
    assert opponent(corner, ALL_SAFE) == TURN_LEFT


def test_tron_pattern_repeats_its_turns() -> None:
    opponent = TronPattern(np.random.default_rng(2))
    open_field = tron_planes(16, head=(8, 8), neck=(8, 7))
    picks = [opponent(open_field, ALL_SAFE) for _ in range(400)]
    expected = [TronPattern.SEQUENCE[index % len(TronPattern.SEQUENCE)] for index in range(400)]
    agreement = np.mean([pick == want for pick, want in zip(picks, expected)])
    assert 0.85 < agreement < 0.99


def test_flood_fill_stays_in_its_region() -> None:
    free = np.ones((5, 5), dtype=bool)
    free[:, 2] = False
    bits, stride = to_bitboard(free), 6
    for (row, col), area in (((0, 0), 10), ((4, 4), 10), ((0, 2), 0)):
        assert flood((1 << (row * stride + col)) & bits, bits, stride).bit_count() == area


# ----- choosing the opponent per episode ------------------------------------------------------------------
class Recorder:
    """A bot that plays the first legal move and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, obs: np.ndarray, mask: np.ndarray) -> int:
        self.calls += 1
        return int(np.flatnonzero(mask)[0]) if np.any(mask) else 0


@pytest.mark.parametrize("env_class", [ConnectFourEnv, TronEnv])
def test_reset_options_choose_the_episodes_opponent(env_class) -> None:
    usual, visitor = Recorder(), Recorder()
    env = env_class(opponent=usual)
    env.reset(seed=0, options={"opponent": visitor})
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    assert (usual.calls, visitor.calls) == (0, 1)
    env.reset(seed=1)  # the option held for one episode: the constructor's opponent is back
    env.step(int(np.flatnonzero(env.action_masks())[0]))
    assert (usual.calls, visitor.calls) == (1, 1)
    with pytest.raises(ValueError, match="unknown"):
        env.reset(options={"opponent": "nobody"})
    env.reset(options={"opponent": "random"})  # a bot name works as in the constructor
