"""The alphazero agent: symmetries that commute with the rules, checkpoint round trips with identical moves, exact
resume, a tiny self-play run that learns, and one-line errors for bad settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import main
from agents import load_agent
from agents.alphazero import GAMES, AlphaZeroConfig, AlphaZeroLearner
from agents.positions import symmetric
from agents.trainer import Trainer
from envs.connect_four.rules import Board

# A network and a search small enough for tests: a run of a few hundred moves takes seconds.
TINY = ["games=4", "simulations=8", "fast_simulations=4", "eval_simulations=4", "channels=8", "blocks=1",
        "value_hidden=8", "min_replay=32", "train_interval=32", "batch_size=32", "play_simulations=8"]


def trainer(tmp_path, steps, env="dojo/ConnectFour-v0", resume=None, extra=()):
    # Tron on an 8x8 arena: short games keep the test fast.
    env_kwargs = {"size": 8} if env == "dojo/Tron-v0" else None
    return Trainer("alphazero", env, steps=steps, seed=7, device="cpu", run_dir=tmp_path, resume=resume,
                   overrides=[*TINY, *extra] if resume is None else [], eval_every=10**9, eval_episodes=2,
                   env_kwargs=env_kwargs)


def random_positions(env_id: str, count: int, seed: int = 0) -> list:
    """Engines a few random moves into a game (still running)."""
    rng = np.random.default_rng(seed)
    game = GAMES[env_id]
    positions = []
    while len(positions) < count:
        engine = game.new({"size": 8})
        for _ in range(int(rng.integers(0, 6))):
            engine.apply([int(rng.choice(np.flatnonzero(engine.legal_actions(seat)))) for seat in engine.movers()])
            if engine.is_over():
                break
        if not engine.is_over():
            positions.append(engine)
    return positions


@pytest.mark.parametrize("env_id", list(GAMES))
def test_symmetries_commute_with_the_rules(env_id):
    """Moving then transforming equals transforming then playing the permuted moves, for every symmetry."""
    game = GAMES[env_id]
    rng = np.random.default_rng(1)
    for engine in random_positions(env_id, 6):
        seat = engine.movers()[0]
        for symmetry in game.symmetries:
            planes, _ = symmetric(engine.planes(seat)[None], np.zeros((1, game.n_actions)), symmetry,
                                  game.mirrored_actions)
            twin = game.from_planes(np.ascontiguousarray(planes[0]))  # the observer becomes seat 0
            moves = [int(rng.choice(np.flatnonzero(engine.legal_actions(mover)))) for mover in engine.movers()]
            mapped = [game.mirrored_actions[move] if symmetry >= 4 else move for move in moves]
            if seat == 1:  # the twin sees the position from seat 1's side, as seat 0: seats swap
                mapped = mapped[::-1]
            after = engine.copy()
            after.apply(moves)
            twin.apply(mapped)
            if after.is_over():
                assert twin.is_over() and twin.result(0) == after.result(seat)
                continue
            expected, _ = symmetric(after.planes(seat)[None], np.zeros((1, game.n_actions)), symmetry,
                                    game.mirrored_actions)
            np.testing.assert_array_equal(twin.planes(0), expected[0])


def test_symmetric_permutes_the_visit_distribution():
    planes = np.arange(2 * 3 * 6 * 7, dtype=np.uint8).reshape(2, 3, 6, 7)
    policies = np.tile(np.arange(7, dtype=np.float32), (2, 1))
    mirrored, flipped = symmetric(planes, policies, 4, GAMES["dojo/ConnectFour-v0"].mirrored_actions)
    np.testing.assert_array_equal(mirrored, planes[..., ::-1])
    np.testing.assert_array_equal(flipped[0], np.arange(7)[::-1])
    again, back = symmetric(mirrored, flipped, 4, GAMES["dojo/ConnectFour-v0"].mirrored_actions)
    np.testing.assert_array_equal(again, planes)
    np.testing.assert_array_equal(back, policies)


@pytest.mark.parametrize("env_id, extra", [("dojo/ConnectFour-v0", []), ("dojo/Tron-v0", ["channels=4"])])
def test_checkpoint_round_trip_plays_identical_moves(tmp_path, env_id, extra):
    run = trainer(tmp_path, 160, env_id, extra=extra)
    run.run(progress=False)
    assert run.learner.updates > 0
    loaded = load_agent(str(tmp_path / "checkpoints" / "last.pt")).with_budget(24)
    assert loaded.name == "alphazero" and loaded.env_id == env_id
    observations = [engine.planes(engine.movers()[0]) for engine in random_positions(env_id, 6)]
    trained = run.learner.policy.with_budget(24)
    np.testing.assert_array_equal(loaded.act_batch(np.stack(observations)), trained.act_batch(np.stack(observations)))
    assert [loaded.act(obs) for obs in observations] == [trained.act(obs) for obs in observations]
    explanation = loaded.explain(observations[0])
    assert sum(explanation["values"]) == pytest.approx(1.0) and -1.0 <= explanation["value"] <= 1.0


def test_resume_equals_an_uninterrupted_run(tmp_path):
    whole = trainer(tmp_path / "whole", 300)
    whole.run(progress=False)
    first = trainer(tmp_path / "split", 140)
    first.run(progress=False)
    assert any(game.moves for game in first.learner.games)  # the checkpoint holds games in flight
    second = trainer(None, 300, resume=tmp_path / "split" / "checkpoints" / "last.pt")
    second.run(progress=False)
    assert second.steps == whole.steps and second.learner.episodes == whole.learner.episodes
    assert second.history.episode_returns == whole.history.episode_returns
    assert second.learner.updates == whole.learner.updates > 0
    for name, tensor in whole.learner.net.state_dict().items():
        assert torch.equal(tensor, second.learner.net.state_dict()[name]), name
    for mine, theirs in zip(whole.learner.games, second.learner.games):
        assert mine.moves == theirs.moves


def winning_prior(learner: AlphaZeroLearner, positions: list[tuple[Board, int]]) -> float:
    """The network's mean prior on the winning column over positions with one immediate win."""
    planes = np.stack([board.planes(board.current_player) for board, _ in positions])
    priors, _ = learner.evaluator(planes)
    return float(np.mean([priors[index, column] for index, (_, column) in enumerate(positions)]))


def immediate_wins(count: int) -> list[tuple[Board, int]]:
    """Positions from random play where the player to move has exactly one winning column."""
    rng = np.random.default_rng(11)
    found = []
    while len(found) < count:
        board = Board()
        while not board.is_over():
            wins = [c for c in board.legal_moves() if (lambda b: (b.play(c), b.winner is not None)[1])(board.copy())]
            if len(wins) == 1:
                found.append((board.copy(), wins[0]))
                break
            board.play(int(rng.choice(board.legal_moves())))
    return found


def test_tiny_self_play_learns_to_take_immediate_wins():
    """120 games of cheap self-play teach the network's raw prior to point at a winning column (the search finds
    those wins and its visits become the policy targets); nothing but self-play is seen."""
    config = AlphaZeroConfig(games=32, simulations=8, fast_simulations=0, channels=16, blocks=1, value_hidden=16,
                             min_replay=256, train_interval=128, batch_size=64, sample_reuse=16,
                             learning_rate=3e-3, temperature_moves=42, value_target_q=0.0)
    learner = AlphaZeroLearner("dojo/ConnectFour-v0", {}, config, torch.device("cpu"), seed=3)
    positions = immediate_wins(40)
    before = winning_prior(learner, positions)
    while learner.episodes < 120:
        learner.advance()
    after = winning_prior(learner, positions)
    assert before < 0.2 and after > before + 0.08, (before, after)


def test_watch_snapshot_shows_a_self_play_game_and_its_search():
    learner = AlphaZeroLearner("dojo/ConnectFour-v0", {}, AlphaZeroConfig(games=2, simulations=10, fast_simulations=0,
                                                                          channels=8, blocks=1), torch.device("cpu"), 0)
    learner.advance()
    snapshot = learner.watch_snapshot()
    assert len(snapshot["moves"]) == 1 and snapshot["engine"].history == [snapshot["moves"][0][0]]
    last = snapshot["last"]
    assert last["position"].history == [] and last["actions"] == snapshot["moves"][0]
    assert set(last["visits"]) == {0} and sum(last["visits"][0]) == 9  # 10 simulations: 1 expands the root
    assert -1.0 <= last["value"][0] <= 1.0


@pytest.mark.parametrize("argv, message", [
    (["--set", "simulations=1"], "simulations must be at least 2"),
    (["--set", "fast_simulations=1"], "fast_simulations must be 0"),
    (["--set", "games=0"], "games must be at least 1"),
    (["--set", "full_search_share=1.5"], "full_search_share must be between 0 and 1"),
    (["--set", "c_puct=0"], "c_puct must be between 1e-06 and 100"),
    (["--set", "reference=nobody"], "reference 'nobody'"),
    (["--set", "reference=space"], "reference 'space'"),  # a Tron bot cannot judge Connect Four
    (["--set", "simulations=many"], "simulations expects a whole number"),
    (["--env", "CartPole-v1"], "two-player board games"),
])
def test_bad_settings_are_one_line_errors(capsys, tmp_path, argv, message):
    command = ["train", "--env", "dojo/ConnectFour-v0", "--agent", "alphazero", "--run-dir", str(tmp_path), "--quiet"]
    assert main.main([*command, *argv]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error and message in error, error


@pytest.mark.parametrize("capacity", [3, 5, 10])
def test_replay_keeps_its_newest_positions_when_replay_size_changes_on_resume(capacity):
    from agents.positions import Replay

    saved = Replay(5, (1, 2, 4), 3)
    for value in range(7):  # the ring wraps: positions 2..6 are kept, in the order 5 6 2 3 4
        saved.add(np.full(1, value, dtype=np.uint8), np.full(3, value, dtype=np.float32), float(value))
    resized = Replay(capacity, (1, 2, 4), 3)
    resized.load_state_dict(saved.state_dict())
    newest = list(range(7))[-min(capacity, 5):]
    assert resized.size == len(newest)
    assert sorted(resized.values[: resized.size].tolist()) == newest
    resized.add(np.full(1, 9, dtype=np.uint8), np.full(3, 9, dtype=np.float32), 9.0)  # overwrites the oldest
    kept = sorted(resized.values[: resized.size].tolist())
    assert kept == sorted((newest + [9])[-capacity:])
