"""DQN with an opponent model (agents/games/opponent.py): the env reports opponent moves, the policy holds the model
and reads its prediction planes or its predicted line (never through the observation), the predictor travels with
the checkpoint, the app feeds it a human's moves, and misuse is a one-line error."""

import numpy as np
import pytest
import torch

from agents import DojoError, load_agent
from agents.checkpoint import load_checkpoint, save_checkpoint, slim
from agents.common import make_env, play_episodes
from agents.dqn import DQNConfig, DQNLearner
from agents.games.opponent import (
    GAMES,
    LEVELS,
    OpponentObserver,
    OpponentTracker,
    connect_four_targets,
    prediction_planes,
    tron_other_moves,
    tron_predicted_line,
    tron_targets,
)
from agents.games.play import Play
from agents.games.settings import PlayConfig
from agents.opponent_model import OpponentPredictor
from agents.trainer import Trainer
from envs.tron.env import TronEnv
from envs.tron.rules import OTHER_HEAD, OTHER_NECK, OTHER_TRAIL, TronGame
from envs.tron.search import line_move as tron_line_move
from envs.tron.territory import territory_planes

C4, TRON = "dojo/ConnectFour-v0", "dojo/Tron-v0"
SEAT_KEYS = {C4: "agent_first", TRON: "agent_seat"}
torch.set_num_threads(1)  # small nets on a shared 2-core machine: more threads only contend
SMALL = ["learning_starts=100", "hidden=32,32", "opponent_mix=[]", "opponent_model=true", "buffer_size=2000",
         "search_depth=0"]


def pattern_kwargs(env_id, seat="alternate"):
    return {"opponent": "pattern", SEAT_KEYS[env_id]: seat}


def opponent_mask_now(env, info, env_id):
    if env_id == C4:
        return info["action_mask"]
    return env.unwrapped.action_mask_for(1 - info["agent_seat"])


def model_learner(env_id, **play):
    play_config = PlayConfig(opponent_model=True, **play)
    return DQNLearner(env_id, pattern_kwargs(env_id), DQNConfig(buffer_size=100), torch.device("cpu"), seed=0,
                      play=Play(play_config, env_id, "planes", seed=0))


@pytest.mark.parametrize(("env_id", "base", "grown"), [(C4, (3, 6, 7), (6, 6, 7)), (TRON, (7, 16, 16), (10, 16, 16))])
def test_the_network_reads_the_prediction_planes_but_the_observation_stays_the_board(env_id, base, grown):
    learner = model_learner(env_id)
    obs, _ = learner.env.reset(seed=0)
    assert learner.env.observation_space.shape == obs.shape == base  # nothing rides along in the observation
    assert learner.spaces["observation"]["shape"] == list(grown)
    assert learner.buffer.fields["obs"].shape[1:] == grown
    features = learner.policy.net_input(obs)
    assert features.shape == grown and features.dtype == np.uint8 and (features[: base[0]] == obs).all()


@pytest.mark.parametrize("env_id", [C4, TRON])
def test_the_env_reports_the_opponents_move_and_the_board_it_moved_on(env_id):
    env = make_env(env_id, {"opponent": "pattern", SEAT_KEYS[env_id]: 0 if env_id == TRON else True})
    obs, info = env.reset(seed=4)
    assert info["opponent_move"] == -1
    rng = np.random.default_rng(0)
    for _ in range(6):
        action = int(rng.choice(np.flatnonzero(info["action_mask"])))
        previous = obs
        obs, _, terminated, truncated, info = env.step(action)
        move, board = info["opponent_move"], info["opponent_board"]
        if env_id == C4:
            # The board it moved on is ours after our move: the new observation minus the opponent's new disc.
            assert (obs[1] - board[1]).sum() == 1 and (obs[1] - board[1])[:, move].sum() == 1
            assert board[0].sum() == previous[0].sum() + 1 and info["opponent_mask"][move]
        else:
            np.testing.assert_array_equal(board, previous)  # simultaneous moves: the board before the tick
            assert 0 <= move < 3 and info["opponent_mask"].shape == (3,)
        if terminated or truncated:
            break


@pytest.mark.parametrize("env_id", [C4, TRON])
def test_the_prediction_planes_are_the_predictors_prediction(env_id):
    base = make_env(env_id, pattern_kwargs(env_id))
    tracker = OpponentTracker(GAMES[env_id], OpponentPredictor(base.observation_space.shape, int(base.action_space.n),
                                                               seed=1), learn=True)
    env = OpponentObserver(base, tracker)
    predictor = tracker.predictor
    rng = np.random.default_rng(1)
    predictions, hits, informative = 0, 0, 0
    for episode in range(30):
        obs, info = env.reset(seed=episode)
        done = False
        while not done:
            probabilities = predictor.predict(obs, opponent_mask_now(env, info, env_id))
            planes = tracker.features(obs)[obs.shape[0]:]
            np.testing.assert_array_equal(planes, prediction_planes(tracker.game, obs, probabilities))
            informative += planes.any()
            action = int(rng.choice(np.flatnonzero(info["action_mask"])))
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            if info["opponent_move"] >= 0 and episode >= 20:
                predictions += 1
                hits += int(np.argmax(probabilities) == info["opponent_move"])
    assert predictor.games == 30
    assert informative > 0
    # Learned online: after 20 games the planes name the pattern opponent's next move far above chance.
    assert hits / predictions > 0.7


def test_prediction_planes_place_each_probability():
    board = np.zeros((3, 6, 7), dtype=np.uint8)
    board[2] = 1
    board[0, 5, 2], board[2, 5, 2] = 1, 0  # one disc in column 2: a disc dropped there lands on row 4
    board[1, :, 6], board[2, :, 6] = 1, 0  # column 6 is full
    assert connect_four_targets(board) == [(5, 0), (5, 1), (4, 2), (5, 3), (5, 4), (5, 5), None]
    planes = prediction_planes("connect_four", board, np.array([0.0, 0.3, 0.6, 0.1, 0.0, 0.0, 0.0]))
    assert planes.shape == (len(LEVELS), 6, 7)
    assert planes[:, 5, 1].tolist() == [1, 0, 0] and planes[:, 4, 2].tolist() == [1, 1, 0]
    assert planes.sum() == 3

    tron = np.zeros((7, 8, 8), dtype=np.uint8)
    tron[OTHER_HEAD, 4, 7], tron[OTHER_NECK, 4, 6] = 1, 1  # heading right, at the right edge
    assert tron_targets(tron) == [(3, 7), None, (5, 7)]
    planes = prediction_planes("tron", tron, np.array([0.8, 0.1, 0.1]))
    assert planes[:, 3, 7].tolist() == [1, 1, 1] and planes[:, 5, 7].sum() == 0 and planes.sum() == 3


def short_run(tmp_path, env_id, steps, resume=None, overrides=None):
    return Trainer("dqn", env_id, steps=steps, seed=2, device="cpu", run_dir=tmp_path, resume=resume,
                   overrides=(overrides or SMALL) if resume is None else [], env_kwargs=pattern_kwargs(env_id),
                   eval_every=steps, eval_episodes=4, early_stop=False)


def test_a_short_training_run_learns_the_opponent_and_saves_it(tmp_path):
    trainer = short_run(tmp_path, TRON, 600)
    result = trainer.run(progress=False)
    predictor = trainer.learner.play.tracker.predictor
    assert result["steps"] == 600 and predictor.games == trainer.learner.episodes > 0
    assert predictor.scores.predictions > 0
    state = load_checkpoint(tmp_path / "checkpoints" / "last.pt")["learner"]["opponent_model"]
    assert int(state["counters"]["games"]) == predictor.games and "replay" in state
    for name, tensor in predictor.model.state_dict().items():
        assert torch.equal(state["model"][name], tensor), name


def same_actions(trained, loaded, env_id, episodes=4):
    """Both policies, each a player of its own fed the same games' infos, see the same boards and act alike."""
    players = [trained.fork(), loaded.fork()]
    env = make_env(env_id, pattern_kwargs(env_id))
    for episode in range(episodes):
        obs, info = env.reset(seed=episode)
        for player in players:
            player.start_game()
            player.observe_info(info)
        done = False
        while not done:
            action = players[0].act(obs, info["action_mask"])
            assert players[1].act(obs, info["action_mask"]) == action
            obs, _, terminated, truncated, info = env.step(action)
            for player in players:
                player.observe_info(info)
            done = terminated or truncated


def test_load_agent_and_export_keep_the_predictor(tmp_path):
    trainer = short_run(tmp_path, C4, 400)
    trainer.run(progress=False)
    path = tmp_path / "checkpoints" / "last.pt"
    loaded = load_agent(str(path))
    assert loaded.play.opponent_model and hasattr(loaded, "fork")
    same_actions(trainer.learner.policy, loaded, C4)
    exported = save_checkpoint(tmp_path / "slim.pt", slim(load_checkpoint(path)))
    same_actions(trainer.learner.policy, load_agent(str(exported)), C4)
    # eval's path: a vector env, each slot played by a frozen fork that follows its own game.
    outcome = play_episodes(loaded, C4, pattern_kwargs(C4), 6, seed=0)
    assert outcome.returns.shape == (6,)


@pytest.mark.parametrize(("env_id", "overrides", "steps"), [(C4, None, 500), (TRON, "line", 300)])
def test_resume_restores_the_predictor_and_equals_an_uninterrupted_run(tmp_path, env_id, overrides, steps):
    overrides = LINE_SMALL if overrides == "line" else None  # Tron: the lookahead along the predicted line
    whole = short_run(tmp_path / "whole", env_id, steps, overrides=overrides)
    whole.run(progress=False)
    first = short_run(tmp_path / "split", env_id, steps // 2, overrides=overrides)
    first.run(progress=False)
    second = short_run(None, env_id, steps, resume=tmp_path / "split" / "checkpoints" / "last.pt")
    second.run(progress=False)
    assert second.history.episode_returns == whole.history.episode_returns
    whole_state = whole.learner.state_dict(include_replay=False)
    split_state = second.learner.state_dict(include_replay=False)
    for name, tensor in whole_state["model"].items():
        assert torch.equal(tensor, split_state["model"][name]), name
    for name, tensor in whole_state["opponent_model"]["model"].items():
        assert torch.equal(tensor, split_state["opponent_model"]["model"][name]), name
    assert whole_state["opponent_model"]["counters"] == split_state["opponent_model"]["counters"]


@pytest.mark.parametrize(("env_id", "env_kwargs", "extra", "message"), [
    ("CartPole-v1", {}, [], "opponent_model=true needs"),
    (C4, {"opponent": None}, [], "with a built-in opponent"),
    (TRON, {"opponent": "pattern", "obs_mode": "pixels"}, [], "obs_mode=planes"),
    (C4, {"opponent": "pattern"}, ["self_play=0.5"], "opponent_model=true and self_play are alternatives"),
    (C4, {"opponent": "pattern"}, ["search_depth=2"], "combine for Tron only.* add --set search_depth=0"),
])
def test_bad_use_is_a_one_line_error(tmp_path, env_id, env_kwargs, extra, message):
    with pytest.raises(DojoError, match=message) as error:
        Trainer("dqn", env_id, steps=100, seed=0, device="cpu", run_dir=tmp_path, overrides=[*SMALL, *extra],
                env_kwargs=env_kwargs, write_logs=False)
    assert "\n" not in str(error.value)


def test_the_app_plays_such_an_agent_and_feeds_its_model_the_humans_moves(tmp_path):
    from ui.players import AgentPlayer

    short_run(tmp_path / "runs" / "c4-om", C4, 200).run(progress=False)
    path = tmp_path / "runs" / "c4-om" / "checkpoints" / "last.pt"
    player = AgentPlayer(path, C4)
    assert player.models_opponent
    model = player.agent.tracker.predictor
    assert model is not load_agent(str(path)).tracker.predictor  # the app's player has a model of its own
    env = make_env(C4, {"opponent": None})
    obs, info = env.reset(seed=0)
    player.start_game()
    before = model.scores.predictions
    for _ in range(3):  # the human (seat 0) moves, then the agent (seat 1)
        human = int(np.flatnonzero(info["action_mask"])[0])
        player.opponent_moved(env.unwrapped.observation_for(1), human, info["action_mask"])
        obs, _, terminated, _, info = env.step(human)
        obs, _, terminated, _, info = env.step(player.act(obs, info["action_mask"]))
    assert model.scores.predictions == before + 3
    player.end_game()
    assert model.games == 1


# ----- the predicted line (the lookahead's use of the model) -----------------------------------------------------
def habit_predictor(logits: list[float], board_shape: tuple[int, ...]) -> OpponentPredictor:
    """A predictor whose LSTM always prefers the same moves (the head reads nothing, its bias decides)."""
    predictor = OpponentPredictor(board_shape, 3, seed=0)
    with torch.no_grad():
        predictor.model.head.weight.zero_()
        predictor.model.head.bias.copy_(torch.tensor(logits))
    return predictor


def test_tron_other_moves_moves_only_the_other_cycle():
    env = TronEnv(opponent=None, opening_moves=0, territory_plane=True)
    env.reset(seed=0)
    board = env.observation_for(0)  # the other cycle at (8, 11), heading left
    after, mask = tron_other_moves(board, 1)
    assert after[OTHER_HEAD, 8, 10] == 1 and after[OTHER_HEAD].sum() == 1
    assert after[OTHER_NECK, 8, 11] == 1 and after[OTHER_NECK].sum() == 1
    assert after[OTHER_TRAIL, 8, 10] == 1 and after[OTHER_TRAIL].sum() == board[OTHER_TRAIL].sum() + 1
    assert (after[:OTHER_HEAD] == board[:OTHER_HEAD]).all()  # the own cycle stands
    assert (after[7:] == territory_planes(TronGame.from_planes(after))).all()
    assert mask.tolist() == [True, True, True]
    turned_back = board.copy()
    turned_back[OTHER_TRAIL, 8, 10] = 1  # a trail cell straight ahead: straight on crashes
    assert tron_other_moves(turned_back, 1) is None


def test_the_predicted_line_follows_the_habit_around_its_own_trail():
    env = TronEnv(opponent=None, opening_moves=0)
    env.reset(seed=0)
    board = env.observation_for(0)
    predictor = habit_predictor([10.0, 0.0, -10.0], board.shape)  # left if it can, else straight on
    before = predictor.predict(board, env.action_mask_for(1))
    # From (8, 11) heading left, three lefts: down (9, 11), right (9, 12), up (8, 12) (the start cell's neck is no
    # trail). A fourth would re-enter (8, 11), its trail: straight on to (7, 12); left to (7, 11); left again would
    # be (8, 11): straight on to (7, 10).
    assert tron_predicted_line(predictor, board, env.action_mask_for(1), 6) == [0, 0, 0, 1, 0, 1]
    assert np.array_equal(predictor.predict(board, env.action_mask_for(1)), before)  # the state is unchanged
    assert tron_predicted_line(predictor, board, env.action_mask_for(1), 2) == [0, 0]


def test_the_predicted_line_stops_where_the_other_cycle_crashes():
    env = TronEnv(opponent=None, opening_moves=0, size=6)
    env.reset(seed=0)
    board = env.observation_for(0)  # the other cycle at (3, 4), heading left
    predictor = habit_predictor([-10.0, 10.0, -10.0], board.shape)  # straight on, always
    assert tron_predicted_line(predictor, board, None, 6) == [1, 1, 1, 1, 0, 1]  # along row 3, then down the wall
    blocked = board.copy()
    blocked[OTHER_TRAIL, 3, 3] = 1  # with every move allowed, straight on into a trail ends the line there
    assert tron_predicted_line(predictor, blocked, None, 6) == [1]


# ----- opponent_model=true with Tron's lookahead: the policy searches the model's line, the network reads the board --
LINE_SMALL = ["learning_starts=100", "hidden=32,32", "opponent_mix=[]", "opponent_model=true", "buffer_size=2000",
              "search_depth=1"]


def test_with_a_lookahead_the_search_follows_the_predicted_line_and_the_network_reads_the_board():
    learner = model_learner(TRON, search_depth=2)
    tracker, policy, env = learner.play.tracker, learner.policy, learner.env
    assert tracker.line_ticks == 4  # two ticks per depth
    assert env.observation_space.shape == (7, 16, 16)  # the line is the policy's, not the observation's
    assert learner.spaces["observation"]["shape"] == [7, 16, 16]
    assert learner.buffer.fields["obs"].shape[1:] == (7, 16, 16)
    obs, info = env.reset(seed=3)
    lines = set()
    for _ in range(12):
        other_mask = env.unwrapped.action_mask_for(1 - info["agent_seat"])
        line = tron_predicted_line(tracker.predictor, obs, other_mask, 4)
        lines.add(tuple(line))
        move = tron_line_move(obs, info["action_mask"], line, 4, policy.position_values, guard_depth=2)
        assert policy.act(obs, info["action_mask"]) == move
        assert policy.q_values(obs, info["action_mask"]).shape == (3,)
        obs, _, terminated, truncated, info = env.step(move)
        if terminated or truncated:
            break
    assert all(len(line) == 4 for line in lines) and len(lines) > 1


def test_a_line_agent_trains_reloads_acts_alike_and_keeps_its_search_on_export(tmp_path, capsys):
    import main

    trainer = Trainer("dqn", TRON, steps=400, seed=2, device="cpu", run_dir=tmp_path, overrides=LINE_SMALL,
                      env_kwargs=pattern_kwargs(TRON), eval_every=400, eval_episodes=4, early_stop=False)
    trainer.run(progress=False)
    rows = trainer.learner.buffer.fields["obs"][: trainer.learner.buffer.size]
    assert rows.shape[1] == 7 and rows.any()  # replay keeps the board alone
    path = tmp_path / "checkpoints" / "last.pt"
    loaded = load_agent(str(path))
    assert loaded.tracker.line_ticks == 2 and loaded.spaces["observation"]["shape"] == [7, 16, 16]
    same_actions(trainer.learner.policy, loaded, TRON, episodes=2)
    outcome = play_episodes(loaded, TRON, pattern_kwargs(TRON), 4, seed=0)
    assert outcome.returns.shape == (4,)
    # Games one after another (bench_opponent_agents): a learning fork's model learns between them, the agent's own
    # model stays as saved.
    saved = {name: tensor.clone() for name, tensor in loaded.tracker.predictor.model.state_dict().items()}
    player, env = loaded.fork(learn=True), make_env(TRON, pattern_kwargs(TRON))
    for episode in range(2):
        obs, info = env.reset(seed=episode)
        player.start_game()
        player.observe_info(info)
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(player.act(obs, info["action_mask"]))
            player.observe_info(info)
            done = terminated or truncated
        player.end_game()
    model = player.tracker.predictor
    assert model.games == 2 and model is not loaded.tracker.predictor
    assert any(not torch.equal(saved[name], tensor) for name, tensor in model.model.state_dict().items())
    for name, tensor in loaded.tracker.predictor.model.state_dict().items():
        assert torch.equal(saved[name], tensor), name
    assert not loaded.fork().tracker.learn  # eval's forks stay frozen

    deeper = tmp_path / "deeper.pt"
    assert main.main(["export", str(path), "--out", str(deeper), "--set", "search_depth=2"]) == 0
    assert load_agent(str(deeper)).tracker.line_ticks == 4
    for bad, message in ((["search_depth=0"], "trained with search_depth=1"),
                         (["opponent_model=false"], "opponent_model is fixed by training")):
        capsys.readouterr()
        assert main.main(["export", str(path), "--out", str(tmp_path / "bad.pt"), "--set", *bad]) == 2
        error = capsys.readouterr().err
        assert message in error and error.count("\n") == 1
    assert not (tmp_path / "bad.pt").exists()
