"""The difficulty ladder (agents/ladder.py): level specs, budgets, the Elo fit, the ladder file, the human's rating,
the `solver` level, and the app's level picker and rating driven by posted events."""

import json
import math
import os

import numpy as np
import pygame
import pytest

from agents import ladder
from agents.errors import DojoError
from agents.games.lookahead import LookaheadPolicy
from envs.connect_four.rules import Board
from envs.connect_four.solver import BudgetedSolverPlayer, Solver, best_moves
from envs.registry import CONNECT_FOUR, TRON
from tests.ui_support import key

C4, TRON_ID = CONNECT_FOUR.env_id, TRON.env_id
SHIPPED_C4 = "assets/agents/connect_four_dqn.pt"  # the DQN with its lookahead: depth budgets
SHIPPED_AZ = "assets/agents/connect_four.pt"  # the AlphaZero agent: simulation budgets


@pytest.mark.parametrize("env_id, text, bot, path, budget", [
    (C4, "random", "random", None, None),
    (C4, "minimax:4", "minimax:4", None, None),
    (C4, "solver", "solver", None, None),
    (TRON_ID, "voronoi:d2", "voronoi:d2", None, None),
    (C4, "assets/agents/connect_four.pt", None, "assets/agents/connect_four.pt", None),
    (C4, "runs/x/checkpoints/best.pt@depth=2", None, "runs/x/checkpoints/best.pt", ("depth", 2)),
    (C4, "a.pt@sims=400", None, "a.pt", ("sims", 400)),
    (C4, "runs/me@home/best.pt", None, "runs/me@home/best.pt", None),  # an @ in a folder name is no budget
])
def test_specs_parse(env_id, text, bot, path, budget):
    spec = ladder.parse_spec(env_id, text)
    assert (spec.bot, spec.path, spec.budget) == (bot, path, budget)


@pytest.mark.parametrize("env_id, text, message", [
    (C4, "minimax:99", "minimax depth"),
    (C4, "space", "unknown Connect Four opponent"),
    (TRON_ID, "solver", "unknown Tron opponent"),
    (C4, "", "a level spec"),
    (C4, 7, "a level spec"),
    (C4, "x" * 400, "a level spec"),
    (C4, "a.pt@depth=-1", "depth=N or sims=N"),
    (C4, "a.pt@speed=3", "depth=N or sims=N"),
    (C4, "@depth=2", "depth=N or sims=N"),
])
def test_bad_specs_are_one_line_errors(env_id, text, message):
    with pytest.raises(DojoError, match=message) as error:
        ladder.parse_spec(env_id, text)
    assert "\n" not in str(error.value)


def test_depth_budgets_recompose_the_shipped_agents_lookahead():
    alone = ladder.load_level_agent(C4, ladder.parse_spec(C4, f"{SHIPPED_C4}@depth=0"))
    deep = ladder.load_level_agent(C4, ladder.parse_spec(C4, f"{SHIPPED_C4}@depth=4"))
    assert not isinstance(alone, LookaheadPolicy) and alone.play.search_depth == 0
    assert isinstance(deep, LookaheadPolicy) and deep.depth == 4 and deep.play.search_depth == 4
    assert deep.env_kwargs == alone.env_kwargs
    board = np.zeros((3, 6, 7), np.uint8)
    board[2] = 1
    assert 0 <= deep.act(board, action_mask=np.ones(7, bool)) < 7
    for text, message in ((f"{SHIPPED_C4}@depth=9", "search_depth"), (f"{SHIPPED_C4}@sims=100", "no simulation")):
        with pytest.raises(DojoError, match=message):
            ladder.load_level_agent(C4, ladder.parse_spec(C4, text))
    with pytest.raises(DojoError, match="trained on"):
        ladder.load_level_agent(TRON_ID, ladder.parse_spec(TRON_ID, SHIPPED_C4))


def test_simulation_budgets_set_the_shipped_alphazero_agents_search():
    shipped = ladder.load_level_agent(C4, ladder.parse_spec(C4, SHIPPED_AZ))
    small = ladder.load_level_agent(C4, ladder.parse_spec(C4, f"{SHIPPED_AZ}@sims=8"))
    assert small.simulations == 8 and shipped.simulations == shipped.config.play_simulations > 8
    board = Board()
    for col in (3, 3, 4, 4, 0, 0):  # the side to move wins at once in column 2 or 5
        board.play(col)
    assert small.act(board.planes(0), action_mask=board.legal_mask()) in (2, 5)
    assert len(small.explain(board.planes(0))["visits"]) == 7
    with pytest.raises(DojoError, match="no lookahead"):
        ladder.load_level_agent(C4, ladder.parse_spec(C4, f"{SHIPPED_AZ}@depth=2"))


def synthetic_games(true_elo, games_per_pair, seed=0):
    rng = np.random.default_rng(seed)
    results = {}
    for i in range(len(true_elo)):
        for j in range(i + 1, len(true_elo)):
            p = 1 / (1 + 10 ** ((true_elo[j] - true_elo[i]) / 400))
            results[(i, j)] = (float(games_per_pair), float(rng.binomial(games_per_pair, p)))
    return results


def test_elo_fit_recovers_a_known_ladder_and_its_anchor():
    true = np.array([0.0, 150.0, 400.0, 700.0, 1000.0])
    elo, se = ladder.fit_elo(5, synthetic_games(true, 400), anchor=0, prior_draws=0.0)
    assert elo[0] == 0 and se[0] == 0
    assert list(np.argsort(elo)) == [0, 1, 2, 3, 4]
    assert np.all(np.abs(elo - true) < 3 * se[:].clip(min=1) + 5)
    shifted, _ = ladder.fit_elo(5, synthetic_games(true, 400), anchor=2, prior_draws=0.0)
    assert shifted[2] == 0 and np.allclose(shifted - shifted[0], elo, atol=1e-6)
    # Fewer games: wider error bars.
    _, few = ladder.fit_elo(5, synthetic_games(true, 20), anchor=0)
    assert np.all(few[1:] > se[1:])


def test_elo_fit_keeps_a_clean_sweep_finite_and_refuses_disconnected_players():
    elo, se = ladder.fit_elo(2, {(0, 1): (10.0, 0.0)})
    assert math.isfinite(elo[1]) and 300 < elo[1] < 1000 and se[1] > 0
    with pytest.raises(ValueError, match="not all connected"):
        ladder.fit_elo(4, {(0, 1): (10.0, 5.0), (2, 3): (10.0, 5.0)})
    with pytest.raises(ValueError, match="bad result"):
        ladder.fit_elo(2, {(0, 1): (10.0, 11.0)})


def example_ladder():
    return ladder.GameLadder((ladder.Level("random", 0.0, 0.0, 20), ladder.Level("minimax:1", 250.5, 40.0, 20),
                              ladder.Level("minimax:2", 600.0, 60.0, 20)), "random", "python bench/bench_ladder.py")


def test_ladder_file_round_trip_keeps_the_other_games(tmp_path):
    path = tmp_path / "ladder.json"
    tron = ladder.GameLadder((ladder.Level("random", 0.0), ladder.Level("space", 300.0)), "random")
    ladder.write_ladder(path, TRON_ID, tron)
    ladder.write_ladder(path, C4, example_ladder())
    read = ladder.read_ladder(path)
    assert read == {C4: example_ladder(), TRON_ID: tron}
    assert ladder.read_ladder(tmp_path / "none.json") == {}
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def valid_file():
    return {"format": "dojo-ladder", "version": 1, "games": {C4: {"anchor": "random", "levels": [
        {"spec": "random", "elo": 0, "se": 0, "games": 4}, {"spec": "minimax:2", "elo": 300, "se": 50, "games": 4}]}}}


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="other"), "not a Dojo ladder"),
    (lambda d: d.update(version=2), "not a Dojo ladder"),
    (lambda d: d.update(games=[]), "'games' must map"),
    (lambda d: d["games"].update({"CartPole-v1": d["games"][C4]}), "not a two-player"),
    (lambda d: d["games"][C4].update(levels=[]), "1 to 64 levels"),
    (lambda d: d["games"][C4]["levels"].reverse(), "lowest Elo to the highest"),
    (lambda d: d["games"][C4]["levels"][1].update(elo=1e9), "elo must be a number"),
    (lambda d: d["games"][C4]["levels"][1].update(elo="high"), "elo must be a number"),
    (lambda d: d["games"][C4]["levels"][1].update(spec="random", elo=0), "twice"),
    (lambda d: d["games"][C4]["levels"][1].update(spec=["x"]), "spec must be text"),
    (lambda d: d["games"][C4]["levels"].__setitem__(0, 3), "must be an object"),
    (lambda d: d["games"][C4]["levels"][0].update(games=-1), "games must be"),
])
def test_hostile_ladder_files_are_one_line_errors(tmp_path, change, message):
    data = valid_file()
    change(data)
    path = tmp_path / "ladder.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DojoError, match=message) as error:
        ladder.read_ladder(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("text, message", [("{", "not valid JSON"), ('{"elo": NaN}', "NaN"), ("[]", "not a Dojo")])
def test_broken_ladder_json_is_refused(tmp_path, text, message):
    path = tmp_path / "ladder.json"
    path.write_text(text)
    with pytest.raises(DojoError, match=message):
        ladder.read_ladder(path)


def test_the_shipped_ladder_is_valid_and_names_files_that_exist():
    shipped = ladder.read_ladder()
    assert set(shipped) == {C4, TRON_ID}
    for env_id, game_ladder in shipped.items():
        for level in game_ladder.levels:
            spec = ladder.parse_spec(env_id, level.spec)
            if spec.path is not None:
                assert os.path.exists(ladder.resolve_path(spec.path))


def test_rating_updates_follow_the_elo_rule_and_persist(tmp_path):
    game_ladder = example_ladder()
    start = ladder.rating_of(C4, game_ladder, tmp_path)
    assert start == ladder.Rating(250.5, 0)  # the middle level
    won = ladder.record_game(C4, game_ladder, 250.5, 1.0, tmp_path)
    assert won.games == 1 and math.isclose(won.elo, 250.5 + 40 * 0.5)
    lost = ladder.record_game(C4, game_ladder, 600.0, 0.0, tmp_path)
    expected = 1 / (1 + 10 ** ((600.0 - won.elo) / 400))
    assert math.isclose(lost.elo, won.elo - 40 * expected)
    assert ladder.rating_of(C4, game_ladder, tmp_path) == lost  # kept between sessions
    assert ladder.rating_of(TRON_ID, game_ladder, tmp_path).games == 0  # one rating per game
    assert ladder.k_factor(9) == 40 and ladder.k_factor(10) == 20
    drawn = ladder.updated(ladder.Rating(500.0, 30), 500.0, 0.5)
    assert drawn == ladder.Rating(500.0, 31)
    with pytest.raises(ValueError):
        ladder.updated(ladder.Rating(500.0), 500.0, 2.0)


@pytest.mark.parametrize("text", ["{", '{"format": "dojo-ratings", "ratings": {"dojo/ConnectFour-v0": {"elo": "x"}}}',
                                  '{"format": "dojo-ratings", "ratings": {"nope": {"elo": 1, "games": 1}}}'])
def test_damaged_ratings_files_are_one_line_errors(tmp_path, text):
    (tmp_path / ladder.RATINGS_FILE).write_text(text)
    with pytest.raises(DojoError) as error:
        ladder.read_ratings(tmp_path)
    assert "\n" not in str(error.value)


def test_solver_level_plays_exact_moves_when_cheap_and_falls_back_otherwise():
    board, rng = Board(), np.random.default_rng(1)
    while len(board.history) < 20:  # a running middle game from random moves (restarted if one ends it)
        board.play(int(rng.choice(np.flatnonzero(board.legal_mask()))))
        if board.is_over():
            board = Board()
    player = BudgetedSolverPlayer(np.random.default_rng(0), Solver(book_path=None, node_limit=2_000_000))
    move = player(board.planes(board.current_player), board.legal_mask())
    assert move in best_moves(board) and player.exact == 1 and player.fallbacks == 0
    capped = BudgetedSolverPlayer(np.random.default_rng(0), Solver(book_path=None, node_limit=10))
    opening = Board()
    for col in (3, 3, 2, 4, 2, 4):
        opening.play(col)
    assert 0 <= capped(opening.planes(opening.current_player), opening.legal_mask()) < 7
    assert capped.fallbacks == 1 and capped.exact == 0


# ---- the app -------------------------------------------------------------------------------------------------------


@pytest.fixture
def app_with_ladder(tmp_path, monkeypatch):
    from ui.app import App

    monkeypatch.chdir(tmp_path)  # the human's rating goes to ./runs
    path = tmp_path / "ladder.json"
    ladder.write_ladder(path, C4, example_ladder())
    monkeypatch.setattr(ladder, "LADDER_FILE", path)
    application = App(size=(1280, 800))
    yield application
    application.close()


def test_the_app_offers_the_levels_and_rates_the_human_after_a_game(app_with_ladder, tmp_path):
    from ui import actions
    from ui.connect_four import ConnectFourScreen
    from ui.levels import LevelScreen

    app = app_with_ladder
    picker = actions.play_against(C4, "runs/mine/checkpoints/best.pt", pick_level=True)
    assert isinstance(picker, LevelScreen)
    app.push(picker)
    app.run(frames=2, dt=1 / 60)
    names = [name for _, name, _ in picker.choices]
    assert names[:3] == ["Level 1: random", "Level 2: minimax:1", "Level 3: minimax:2"]
    assert names[3].startswith("Your saved agent") and picker.choices[3][2] is None  # unrated, still offered
    key(pygame.K_1)
    app.run(frames=2, dt=1 / 60)
    screen = app.screen
    assert isinstance(screen, ConnectFourScreen) and screen.players[1].level.spec == "random"
    assert "Elo 0" in screen.players[1].label and screen.rating is not None
    before = screen.rating.rating
    columns = [pygame.K_1 + col for col in range(7)]
    for turn in range(30):  # any legal column until the game ends
        if screen.banner is not None:
            break
        assert app.run_until(lambda: screen.human_turn or screen.banner is not None, max_frames=600)
        if screen.banner is None:
            mask = screen.env.unwrapped.action_masks()
            key(columns[int(np.flatnonzero(mask)[turn % int(mask.sum())])])
            app.run(frames=2, dt=1 / 60)
        app.run_until(lambda: screen.drop is None, max_frames=600)
    assert screen.banner is not None
    score = 0.5 if screen.winner < 0 else float(screen.winner in screen.human_seats)
    saved = ladder.read_ratings(tmp_path / "runs")[C4]
    assert saved == ladder.updated(before, 0.0, score) and saved.games == 1
    assert screen.rating.rating == saved
    app.surface.fill((0, 0, 0))
    screen.draw(app.surface)  # the side panel draws the rating line
    assert "Your rating" in screen.rating.text()


def test_an_unrated_opponent_gets_no_rating(app_with_ladder):
    from ui.connect_four import ConnectFourScreen
    from ui.players import make_player

    player = make_player(C4, "minimax:3", np.random.default_rng(0))  # not on this ladder
    assert player.level is None
    screen = ConnectFourScreen([None, player])
    assert screen.rating is None
