"""The LSTM opponent model: shapes and explicit state, learning a cycle, the baseline, checkpoints, logs, CLI errors."""

import json

import numpy as np
import pytest
import torch

import main
from agents.games.opponent import load_opponent_model, save_opponent_model
from agents.games.opponent_games import (
    build_opponent,
    game_record,
    make_game_env,
    play_game,
    read_log,
    replay_game,
)
from agents.opponent_model import GameSequence, OpponentModelConfig, OpponentPredictor
from agents.rundir import GAMES_LOG as LOG_NAME
from nets.opponent_model import OpponentLSTM

C4 = "dojo/ConnectFour-v0"
TRON = "dojo/Tron-v0"
CYCLE = (3, 2, 4, 3, 1, 5)


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


def cyclic_game(length: int) -> GameSequence:
    """A game where the opponent plays CYCLE over and over on an empty board: only the history tells its move."""
    moves = np.array([CYCLE[t % len(CYCLE)] for t in range(length)], dtype=np.int64)
    return GameSequence(np.zeros((length, 3, 6, 7), dtype=np.uint8), moves, np.ones((length, 7), dtype=bool))


def play_through(predictor: OpponentPredictor, game: GameSequence) -> list[bool]:
    predictor.reset()
    return [predictor.observe(board, move, mask) for board, move, mask in zip(game.boards, game.moves, game.masks)]


@pytest.mark.parametrize(("board_shape", "n_actions", "encoder"),
                         [((3, 6, 7), 7, "mlp"), ((7, 16, 16), 3, "mlp"), ((7, 16, 16), 3, "cnn")])
def test_shapes_and_stepwise_state_equals_whole_sequence(board_shape, n_actions, encoder):
    torch.manual_seed(0)
    model = OpponentLSTM(board_shape, n_actions, hidden=16, encoder=encoder, board_features=8).eval()
    steps, batch = 6, 3
    moves = torch.randint(0, n_actions + 1, (steps, batch))
    boards = torch.randint(0, 2, (steps, batch, *board_shape), dtype=torch.uint8)
    logits, (h, c) = model(moves, boards, model.initial_state(batch))
    assert logits.shape == (steps, batch, n_actions)
    assert h.shape == c.shape == (1, batch, 16)
    state = model.initial_state(batch)
    stepped = []
    for t in range(steps):
        step_logits, state = model(moves[t:t + 1], boards[t:t + 1], state)
        stepped.append(step_logits)
    torch.testing.assert_close(torch.cat(stepped), logits)
    torch.testing.assert_close(state[0], h)
    torch.testing.assert_close(state[1], c)
    with pytest.raises(ValueError, match="boards must be"):
        model(moves, boards[:, :, :1])


def test_lstm_learns_a_cycle_to_100_percent_and_the_baseline_cannot():
    predictor = OpponentPredictor((3, 6, 7), 7, OpponentModelConfig(), seed=0)
    for _ in range(60):
        predictor.train_batch([cyclic_game(24)])
    hits = play_through(predictor, cyclic_game(24))
    assert all(hits)
    # The baseline (most frequent move after the same previous move) has seen the same game: after a 3 it can
    # only guess one of 2 and 1, so it misses a sixth of the moves at best.
    baseline_hits = predictor.scores.baseline_correct
    assert predictor.scores.predictions == 24
    assert baseline_hits <= 20


def test_predict_is_masked_and_does_not_advance_the_state():
    predictor = OpponentPredictor((3, 6, 7), 7, seed=1)
    board = np.zeros((3, 6, 7), dtype=np.uint8)
    mask = np.array([True, False, True, True, False, True, True])
    first = predictor.predict(board, mask)
    assert first.shape == (7,) and np.isclose(first.sum(), 1.0) and (first[~mask] == 0).all()
    np.testing.assert_allclose(predictor.predict(board, mask), first)
    predictor.observe(board, 3, mask)
    assert not np.allclose(predictor.predict(board, mask), first)  # the move just seen changed the state
    assert predictor.scores.predictions == 1


def test_model_beats_the_frequency_baseline_on_the_pattern_opponent(tmp_path, capsys):
    code = main.main(["train-opponent-model", "--env", C4, "--opponent", "pattern", "--games", "30", "--seed", "0",
                      "--run-dir", str(tmp_path), "--quiet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["games"] == 30 and result["env"] == C4 and result["opponent"] == "pattern"
    assert result["top1_accuracy"] >= result["baseline_accuracy"] + 0.05
    assert result["top1_accuracy"] >= 0.8
    assert len((tmp_path / LOG_NAME).read_text().splitlines()) == 30
    assert (tmp_path / "opponent_model.pt").is_file()


def test_checkpoint_round_trip_gives_the_same_predictions(tmp_path):
    predictor = OpponentPredictor((3, 6, 7), 7, seed=2)
    for _ in range(5):
        play_through(predictor, cyclic_game(12))
        predictor.finish_game()
    path = tmp_path / "opponent_model.pt"
    save_opponent_model(predictor, path, C4, {}, "pattern")
    loaded = load_opponent_model(path)
    assert (loaded.env_id, loaded.opponent) == (C4, "pattern")
    copy = loaded.predictor
    assert copy.scores == predictor.scores and copy.games == predictor.games
    np.testing.assert_array_equal(copy.baseline.counts, predictor.baseline.counts)
    predictor.reset()
    for board, move in zip(cyclic_game(8).boards, cyclic_game(8).moves):
        np.testing.assert_allclose(copy.predict(board), predictor.predict(board), atol=1e-6)
        copy.observe(board, move)
        predictor.observe(board, move)


@pytest.mark.parametrize("env_id", [C4, TRON])
def test_game_log_replays_into_the_same_sequences(tmp_path, env_id):
    env = make_game_env(env_id, {})
    shape, n_actions = env.observation_space.shape, int(env.action_space.n)
    live = OpponentPredictor(shape, n_actions, seed=0)
    lines = []
    for index in range(4):
        rng = np.random.default_rng([5, index])
        seat = index % 2
        moves, winner = play_game(env, env_id, build_opponent(env_id, "pattern", rng),
                                  build_opponent(env_id, "random", rng), seat, live)
        live.finish_game(learn=False)
        lines.append(json.dumps(game_record(env_id, {}, "pattern", seat, moves, winner)))
    log = tmp_path / LOG_NAME
    log.write_text("\n".join(lines) + "\n")
    replayed = OpponentPredictor(shape, n_actions, seed=0)
    for record in read_log(log):
        replay_game(env, record, replayed)
        replayed.finish_game(learn=False)
    assert len(replayed.replay) == len(live.replay) == 4
    for original, again in zip(live.replay, replayed.replay):
        for field in ("boards", "moves", "masks"):
            np.testing.assert_array_equal(getattr(original, field), getattr(again, field))
    assert replayed.scores == live.scores


def test_offline_training_from_a_log(tmp_path, capsys):
    online, offline = tmp_path / "online", tmp_path / "offline"
    assert main.main(["train-opponent-model", "--env", C4, "--games", "12", "--run-dir", str(online),
                      "--quiet"]) == 0
    capsys.readouterr()
    assert main.main(["train-opponent-model", "--from-log", str(online / LOG_NAME), "--run-dir", str(offline),
                      "--set", "offline_epochs=2", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["mode"], result["games"], result["opponent"], result["env"]) == ("offline", 12, "pattern", C4)
    assert (offline / LOG_NAME).read_text() == (online / LOG_NAME).read_text()
    assert load_opponent_model(offline / "opponent_model.pt").predictor.games == 12


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "NoSuchEnv-v9"], "the opponent model plays"),
        (["--env", "CartPole-v1"], "the opponent model plays"),
        (["--env", C4, "--opponent", "wall-follower"], "unknown Connect Four opponent"),
        (["--env", TRON, "--opponent", "minimax:2"], "unknown Tron opponent"),
        (["--env", C4, "--games", "0"], "--games must be at least 1"),
        (["--env", C4, "--set", "hidden=0"], "hidden must be at least 1"),
        ([], "needs --env"),
        (["--from-log", "missing.jsonl"], "does not exist"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(capsys, tmp_path, argv, message):
    assert main.main(["train-opponent-model", *argv, "--run-dir", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and message in err


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ([[0, 3], [1, 9]], "opponent move 9 is outside 0..6"),
        ([[seat % 2, 3] for seat in range(7)], "does not replay"),  # a seventh disc in a full column
        ([[0, 3], [1, 2]], "moves end before its game does"),
    ],
)
def test_a_corrupt_log_is_a_one_line_error(capsys, tmp_path, moves, message):
    log = tmp_path / LOG_NAME
    log.write_text(json.dumps({"env": C4, "opponent": "pattern", "opponent_seat": 1, "moves": moves}))
    assert main.main(["train-opponent-model", "--from-log", str(log), "--run-dir", str(tmp_path / "run"),
                      "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_the_shown_guess_follows_the_baseline_until_the_model_predicts_better():
    """Issue 15 item 9: an untrained LSTM lost to "you usually go straight" on screen; the blend must not."""
    from agents.opponent_model import OpponentPredictor

    predictor = OpponentPredictor((2, 3, 3), 3, seed=0)
    board, mask = np.zeros((2, 3, 3), dtype=np.uint8), np.ones(3, dtype=bool)
    for _ in range(12):  # always move 1: the frequency baseline gets it after one move, the fresh LSTM does not
        predictor.observe(board, 1, mask)
    assert predictor.mix.model_weight < 0.2
    assert int(np.argmax(predictor.predict(board, mask))) == 1
    scores = predictor.scores
    assert scores.correct >= scores.baseline_correct - 1 and scores.baseline_correct >= 10
    np.testing.assert_allclose(predictor.predict(board, mask).sum(), 1.0)
