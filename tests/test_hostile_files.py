"""Hostile files, table-driven: broken checkpoints built here and fed to every reader (resume, eval, export),
files that are not regular files, zip bombs, broken game logs, opponent models and run folders. Each is one line
on stderr (exit 2) or one DojoError line, never a traceback, a hang or a huge allocation. Bad command lines are in
test_hostile_cli.py."""

import copy
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch

import main
from agents import load_agent
from agents.checkpoint import load_checkpoint
from agents.errors import DojoError
from agents.games.opponent import load_opponent_model, save_opponent_model
from agents.opponent_model import OpponentPredictor
from agents.trainer import Trainer
from tests.hostile_support import C4, SMALL, one_line_error, train_good_alphazero_checkpoint, train_good_checkpoint


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return train_good_checkpoint(tmp_path_factory.mktemp("good-run"))


def at(data: dict, dotted: str):
    """The dict holding the last key of ``dotted`` (``learner.rng.numpy.bit_generator``) and that key."""
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]
    return data, last


def with_field(value):
    def change(data, dotted):
        holder, key = at(data, dotted)
        holder[key] = value
    return change


def without_field(data, dotted):
    holder, key = at(data, dotted)
    del holder[key]


def nan_weights(data, dotted):
    first = next(iter(data["model"]))
    data["model"][first] = data["model"][first].clone().fill_(float("nan"))
    data["learner"]["model"] = data["model"]


def replay_past_its_rows(data, dotted):
    data["learner"]["replay"]["size"] = data["learner"]["replay"]["size"] + 10


def deep_nesting(data, dotted):
    deep: list = []
    for _ in range(100):
        deep = [deep]
    data["notes"] = deep


# (field, change, what the one-line error says): every reader refuses each before it builds anything.
BROKEN_CHECKPOINTS = [
    ("seed", without_field, "seed"),
    ("seed", with_field("zero"), "seed must be a whole number"),
    ("seed", with_field(-1), "seed must be"),
    ("counters.steps", with_field(float("nan")), "counters.steps must be a whole number"),
    ("counters.steps", with_field("many"), "counters.steps must be a whole number"),
    ("counters.steps", with_field(10**30), "counters.steps must be"),
    ("counters.steps", with_field(-5), "counters.steps must be"),
    ("config", with_field(7), "config must be a mapping"),
    ("env_kwargs", with_field("obs_mode=pixels"), "env_kwargs must be a mapping"),
    ("env_id", with_field(["CartPole-v1"]), "env_id must be text"),
    ("learner.rng.numpy.bit_generator", with_field("BitGenerator"), "bit_generator must be one of"),
    ("learner.rng.numpy.bit_generator", with_field("__import__"), "bit_generator must be one of"),
    ("learner.rng.numpy.state", with_field("garbage"), "does not fit|random state|mapping"),
    ("learner.rng.torch", with_field(torch.zeros(3, dtype=torch.uint8)), "learner.rng.torch must be"),
    ("learner.replay.size", replay_past_its_rows, "must hold"),
    ("learner.episode.actions", with_field([0, 1, 7]), "learner.episode.actions must be 0..1"),
    ("model", nan_weights, "NaN"),
    ("config.hidden", with_field([20000, 20000]), "hidden must be at most 4,096"),
    ("config.hidden", with_field([4000, 4000]), "do not fit"),  # built on the meta device: nothing allocated
    ("spaces.action.n", with_field(3e6), "spaces.action.n must be a whole number"),
    ("spaces.action.n", with_field(3_000_000), "spaces.action.n must be"),
    ("play.search_depth", with_field(99), "search_depth must be at most 6"),
    ("play.search_depth", with_field(2), "search_depth needs Snake, Connect Four, Tron"),
    ("config.search_depth", with_field(2), "search_depth belongs in play"),
    ("config.encoder", with_field("ae:/tmp/no-such-fifo"), "spaces.autoencoder is missing"),
    ("config.batch_size", with_field(float("inf")), "batch_size expects a whole number"),
    ("metrics.best_eval", with_field("great"), "metrics.best_eval must be a number"),
    ("notes", deep_nesting, "nests deeper"),
    ("trainer.history.losses", with_field("x" * 10), "trainer.history.losses must be a list"),
]


@pytest.fixture(scope="module")
def good_alphazero(tmp_path_factory):
    return train_good_alphazero_checkpoint(tmp_path_factory.mktemp("good-alphazero-run"))


def in_first_game(change):
    """A change to the first game in flight (``learner.games[0]``), at the dotted field under it."""
    def apply(data, dotted):
        change(data["learner"]["games"][0], dotted)
    return apply


def illegal_moves(game, dotted):
    game["moves"] = [[0]] * 7  # the seventh disc in column 0 does not fit


def twice_the_games(data, dotted):
    data["learner"]["games"] = data["learner"]["games"] * 2


def a_huge_tree(game, dotted):
    for name, entries in game["tree"].items():
        game["tree"][name] = entries * 50  # more nodes than the moves can have searched


# The same, for what an alphazero file holds beyond the shared parts (agents/alphazero_checks.py).
BROKEN_ALPHAZERO = [
    ("config.simulations", with_field(0), "simulations must be at least 2"),
    ("config.channels", with_field(100_000), "channels must be at most 512"),
    ("config.channels", with_field(64), "do not fit"),  # the meta device again
    ("config.blocks", with_field(1000), "blocks must be at most 40"),
    ("config.games", with_field(10**6), "games must be at most 4,096"),
    ("config.replay_size", with_field(10), "learner.replay.capacity must be"),
    ("learner.replay.size", replay_past_its_rows, "must have shape"),
    ("learner.replay.planes", with_field(torch.zeros(3)), "learner.replay.planes must be a torch.uint8"),
    ("learner.games", twice_the_games, "learner.games holds 8 entries, more than 4"),
    ("moves", in_first_game(illegal_moves), "illegal move"),
    ("tree", in_first_game(a_huge_tree), "more than"),
    ("tree.children", in_first_game(with_field([[5]])), "learner.games\\[0\\].tree.children must"),
    ("records", in_first_game(with_field([{"planes": torch.zeros(3), "policy": 1, "seat": 0, "value": 0}])),
     "records.planes must be a torch.uint8"),
    ("learner.optimizer.exp_avg", with_field("x"), "learner.optimizer.exp_avg must be a list"),
    ("learner.rng.numpy.bit_generator", with_field("__import__"), "bit_generator must be one of"),
    ("spaces.action.n", with_field(5), "spaces.action.n must be the game's 7 actions"),
    ("learner.search_stats.simulations", with_field("many"), "learner.search_stats.simulations must be a number"),
]


@pytest.mark.parametrize(("field", "change", "message"), BROKEN_CHECKPOINTS,
                         ids=[f"{field}-{index}" for index, (field, _, _) in enumerate(BROKEN_CHECKPOINTS)])
def test_every_reader_refuses_a_broken_checkpoint(good, tmp_path, capsys, field, change, message):
    every_reader_refuses(good, tmp_path, capsys, field, change, message)


@pytest.mark.parametrize(("field", "change", "message"), BROKEN_ALPHAZERO,
                         ids=[f"{field}-{index}" for index, (field, _, _) in enumerate(BROKEN_ALPHAZERO)])
def test_every_reader_refuses_a_broken_alphazero_checkpoint(good_alphazero, tmp_path, capsys, field, change,
                                                            message):
    every_reader_refuses(good_alphazero, tmp_path, capsys, field, change, message)


def every_reader_refuses(good, tmp_path, capsys, field, change, message):
    data = copy.deepcopy(torch.load(good, weights_only=True))
    change(data, field)
    path = tmp_path / "broken.pt"
    torch.save(data, path)
    with pytest.raises(DojoError, match=message) as error:
        load_checkpoint(path, resumable=True)
    assert "\n" not in str(error.value)
    readers = [["train", "--resume", str(path), "--quiet"]]
    if change is not without_field:  # a missing seed matters to resume only: eval and export do not use it
        readers += [["eval", str(path), "--episodes", "1"], ["export", str(path), "--out", str(tmp_path / "out.pt")]]
    for argv in readers:
        assert main.main(argv) == 2, argv
        one_line_error(capsys)
    assert not (tmp_path / "out.pt").exists()


@pytest.mark.parametrize("which", ["good", "good_alphazero"])
def test_a_good_checkpoint_passes_every_reader(which, request, tmp_path, capsys):
    """The control: the same readers accept the unchanged file (so the tables above test what they say)."""
    good = request.getfixturevalue(which)
    load_checkpoint(good, resumable=True)
    assert main.main(["eval", str(good), "--episodes", "1"]) == 0
    assert main.main(["export", str(good), "--out", str(tmp_path / "out.pt")]) == 0
    load_agent(str(tmp_path / "out.pt"))


def test_files_that_are_not_regular_files_are_refused_without_reading(tmp_path):
    fifo = tmp_path / "fifo.pt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.pt"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero):  # a FIFO would block the open, /dev/zero would be read until memory runs out
        with pytest.raises(DojoError, match="not a regular file"):
            load_checkpoint(path)
    with pytest.raises(DojoError, match="is a folder"):
        load_checkpoint(tmp_path)


def test_a_file_over_the_size_limit_is_refused(good, monkeypatch):
    import agents.checkpoint

    monkeypatch.setattr(agents.checkpoint, "MAX_CHECKPOINT_BYTES", 1000)
    with pytest.raises(DojoError, match="more than the 1000 bytes"):
        load_checkpoint(good)


def test_a_zip_bomb_is_refused_before_inflating(good, tmp_path):
    """torch.save stores its members uncompressed: a compressed member is refused from the zip's directory."""
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
        target.writestr("archive/data/999", b"\0" * 5_000_000)  # inflates 1000x
    assert bomb.stat().st_size < good.stat().st_size + 100_000
    with pytest.raises(DojoError, match="compressed members"):
        load_checkpoint(bomb)


def test_an_agent_through_an_autoencoder_never_opens_a_file_its_checkpoint_names(good, tmp_path):
    fifo = tmp_path / "ae.pt"
    os.mkfifo(fifo)
    data = torch.load(good, weights_only=True)
    data["config"]["encoder"] = f"ae:{fifo}"
    path = tmp_path / "through-fifo.pt"
    torch.save(data, path)
    with pytest.raises(DojoError, match="spaces.autoencoder is missing"):
        load_agent(str(path))  # would block forever if it opened the FIFO


# ---- command lines -------------------------------------------------------------------------------------------
def game(**changes):
    record = {"env": C4, "opponent": "pattern", "opponent_seat": 1, "moves": [[0, 3], [1, 3]], "winner": -1}
    return json.dumps({**record, **changes}).encode()


BROKEN_LOGS = [
    (game(opponent_seat="1"), "opponent_seat must be 0 or 1"),
    (game(moves="3,3"), "moves must be a list"),
    (game(moves=[[0, "3"]]), "each move must be"),
    (game(env=5), "env must be one of"),
    (game(opponent=["x"]), "opponent must be a name"),
    (game(env_kwargs="big"), "env_kwargs must be a mapping"),
    (game(env="dojo/Tron-v0", moves=[[0, 1], [1, 1]], env_kwargs={"size": 100000}), "<= 64"),
    (b'{"env": "dojo/ConnectFour-v0", "opponent": "p", "opponent_seat": 1, "moves": [[0, 1e400]]}', "each move"),
    (b'{"env": "dojo/ConnectFour-v0", "opponent": "p", "opponent_seat": NaN, "moves": []}', "holds NaN"),
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    (b'{"env": "dojo/ConnectFour-v0", "opponent": "p", "opponent_seat": ' + b"1" * 5000 + b', "moves": []}',
     "5000-digit"),
    (b'{"env": "dojo/ConnectFour-v0", "opponent": "\xff\xfe", "opponent_seat": 1, "moves": []}', "not UTF-8"),
    (b"", "holds no games"),
    (b"not json at all", "is not valid JSON"),
]


@pytest.mark.parametrize(("content", "message"), BROKEN_LOGS, ids=[message for _, message in BROKEN_LOGS])
def test_a_broken_game_log_is_a_one_line_error(tmp_path, capsys, content, message):
    log = tmp_path / "games.jsonl"
    log.write_bytes(content)
    assert main.main(["train-opponent-model", "--from-log", str(log), "--run-dir", str(tmp_path / "run"),
                      "--quiet"]) == 2
    assert message in one_line_error(capsys)


def test_a_fifo_log_is_refused(tmp_path, capsys):
    os.mkfifo(tmp_path / "games.jsonl")
    assert main.main(["train-opponent-model", "--from-log", str(tmp_path / "games.jsonl"), "--quiet"]) == 2
    assert "not a regular file" in one_line_error(capsys)


def broken_model(change):
    def build(path):
        save_opponent_model(OpponentPredictor((3, 6, 7), 7), path, C4, {}, "pattern")
        data = torch.load(path, weights_only=True)
        change(data)
        torch.save(data, path)
    return build


BROKEN_MODELS = [
    (lambda data: data["spaces"].update(n_actions=10**6), "n_actions must be"),
    (lambda data: data["spaces"].update(board_shape=[1000, 1000, 1000]), "board_shape must be"),
    (lambda data: data.update(baseline_counts=torch.zeros(3)), "baseline_counts must be"),
    (lambda data: data["config"].update(hidden=10**6), "hidden must be at most"),
    (lambda data: data["config"].update(hidden=128), "do not fit"),
    (lambda data: data["model"].update({key: value.fill_(float("nan")) for key, value in data["model"].items()}),
     "NaN"),
    (lambda data: data["counters"].update(games=-1), "counters.games must be"),
]


@pytest.mark.parametrize(("change", "message"), BROKEN_MODELS, ids=[message for _, message in BROKEN_MODELS])
def test_a_broken_opponent_model_is_a_one_line_error(tmp_path, change, message):
    path = tmp_path / "opponent_model.pt"
    broken_model(change)(path)
    with pytest.raises(DojoError, match=message) as error:
        load_opponent_model(path)
    assert "\n" not in str(error.value)


def test_a_broken_run_folder_is_skipped_with_a_warning(good, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "runs"
    for name, config in (("bad-json", "{not json"), ("deep", "[" * 5000), ("wrong-types", '{"env_id": [1]}')):
        (runs / name / "checkpoints").mkdir(parents=True)
        (runs / name / "config.json").write_text(config)
        (runs / name / "checkpoints" / "best.pt").write_bytes(good.read_bytes())
    (runs / "garbage" / "checkpoints").mkdir(parents=True)
    (runs / "garbage" / "checkpoints" / "best.pt").write_bytes(b"\0" * 100)
    (runs / "fifo" / "checkpoints").mkdir(parents=True)
    (runs / "fifo" / "config.json").write_text('{"env_id": "CartPole-v1", "agent": "dqn"}')
    os.mkfifo(runs / "fifo" / "checkpoints" / "best.pt")  # not a file: the run has no checkpoint to offer
    (runs / "good" / "checkpoints").mkdir(parents=True)
    (runs / "good" / "checkpoints" / "best.pt").write_bytes(good.read_bytes())
    assert main.main(["play", "--env", "CartPole-v1", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 4, captured.err
    assert "would play dqn (good)" in captured.out


def test_play_picks_by_the_same_test_not_by_each_runs_own_evaluation(tmp_path, monkeypatch, capsys):
    """A barely trained run that scored 0.9 against random must not beat the shipped agent (measured against
    minimax:2): both are measured on the same test, and the pick says so."""
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(tmp_path)
    (tmp_path / "assets" / "agents").mkdir(parents=True)
    for name in ("connect_four.pt", "reference.json"):
        (tmp_path / "assets" / "agents" / name).write_bytes((repo / "assets" / "agents" / name).read_bytes())
    weak = tmp_path / "runs" / "dojo-ConnectFour-v0-dqn-weak"
    Trainer("dqn", C4, steps=60, run_dir=weak, device="cpu", overrides=[*SMALL, "opponent_mix=[]"],
            eval_episodes=2).run(progress=False)
    with (weak / "metrics.csv").open("a") as metrics:
        metrics.write("eval,60,,,,0.9,0.1,,,,1.0\n")  # its own evaluation, against random
    assert main.main(["play", "--env", C4, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would play alphazero (connect_four)" in out
    assert "against minimax:2" in out and "the best of 2 saved agents on the same test" in out
    cache = json.loads((weak / "checkpoints" / "reference.json").read_text())
    assert cache["best.pt"]["reference"].startswith(C4 + "|minimax:2")  # measured once, then cached
