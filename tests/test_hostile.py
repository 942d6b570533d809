"""Hostile input, table-driven: broken checkpoints built here and fed to every reader, bad command lines through
main's entry point in-process, broken logs, models and run folders. Each must be one line on stderr (exit 2),
never a traceback, a hang or a huge allocation."""

import copy
import json
import os
import re
import signal
import zipfile
from pathlib import Path

import pytest
import torch

import main
from agents import load_agent
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.errors import DojoError
from agents.opponent_model import OpponentPredictor, load_opponent_model
from agents.trainer import Trainer

SMALL = ["learning_starts=50", "hidden=16,16", "buffer_size=500"]
C4 = "dojo/ConnectFour-v0"


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A small CartPole DQN run: its last.pt holds everything a checkpoint can (replay, RNGs, the episode in
    flight, the trainer's history)."""
    run_dir = tmp_path_factory.mktemp("good-run")
    Trainer("dqn", "CartPole-v1", steps=150, run_dir=run_dir, device="cpu", overrides=SMALL, eval_every=150,
            eval_episodes=2).run(progress=False)
    return run_dir / "checkpoints" / "last.pt"


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    return err


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
    ("config.search_depth", with_field(99), "search_depth must be at most 6"),
    ("config.search_depth", with_field(2), "search_depth needs Connect Four, Tron or Snake"),
    ("config.encoder", with_field("ae:/tmp/no-such-fifo"), "spaces.autoencoder is missing"),
    ("config.batch_size", with_field(float("inf")), "batch_size expects a whole number"),
    ("metrics.best_eval", with_field("great"), "metrics.best_eval must be a number"),
    ("notes", deep_nesting, "nests deeper"),
    ("trainer.history.losses", with_field("x" * 10), "trainer.history.losses must be a list"),
]


@pytest.mark.parametrize(("field", "change", "message"), BROKEN_CHECKPOINTS,
                         ids=[f"{field}-{index}" for index, (field, _, _) in enumerate(BROKEN_CHECKPOINTS)])
def test_every_reader_refuses_a_broken_checkpoint(good, tmp_path, capsys, field, change, message):
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


def test_a_good_checkpoint_passes_every_reader(good, tmp_path, capsys):
    """The control: the same readers accept the unchanged file (so the table above tests what it says)."""
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
def run_dir_cases(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return [
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--run-dir", str(a_file)], "is a file"),
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--run-dir", str(a_file / "run")], "which is a file"),
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--run-dir", str(tmp_path / ("x" * 300))],
         "cannot create run dir"),
        (["train-opponent-model", "--env", C4, "--games", "1", "--run-dir", str(a_file)], "is a file"),
        (["train-ae", "--env", "CartPole-v1", "--frames", "4", "--steps", "1", "--run-dir", str(a_file / "x")],
         "which is a file"),
    ]


BAD_COMMAND_LINES = [
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "batch_size=1e400"], "batch_size expects a whole"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "batch_size=NaN"], "batch_size expects a whole"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "learning_rate=NaN"], "finite number"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "learning_rate=1e400"], "finite number"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "cnn_features=9223372036854775808"],
     "cnn_features must be at most"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "batch_size=" + "9" * 4000], "4000-digit"),
    (["train", "--env", "CartPole-v1", "--agent", "ppo", "--set", "gae_lambda=-1e300"], "gae_lambda must be between"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "torch_threads=65536"], "at most 256"),
    (["train", "--env", "CartPole-v1", "--agent", "ppo", "--set", "n_envs=100000"], "n_envs must be at most"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "hidden=20000,20000"], "hidden must be at most"),
    (["train", "--env", "dojo/ConnectFour-v0", "--agent", "dqn", "--set", "search_depth=99"], "search_depth must"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "checkpoint_every=1e400"],
     "checkpoint_every expects a whole number"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--seed", "-1"], "--seed must be at least 0"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--seed", str(10**20)], "--seed must be at most"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", str(10**11)], "--steps must be at most"),
    (["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", '{"size": 100000}'], "<= 64"),
    (["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", '{"size": 1e400}'], "snake size"),
    (["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", '{"size": NaN}'], "holds NaN"),
    (["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", "[" * 200_000], "characters long"),
    (["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", "[" * 5000], "nests too deeply"),
    (["train", "--env", "dojo/Snake-v0", "--agent", "dqn", "--env-kwargs", '{"size": ' + "9" * 5000 + "}"],
     "5000-digit"),
    (["train", "--env", "dojo/Tron-v0", "--agent", "dqn", "--env-kwargs", '{"pixel_size": 100000}'], "1 to 512"),
    (["train", "--env", C4, "--agent", "dqn", "--env-kwargs", '{"opponent": "minimax:99"}'], "minimax depth"),
    (["eval", "assets/agents/connect_four.pt", "--episodes", "100000"], "--episodes must be at most 10,000"),
    (["eval", "assets/agents/connect_four.pt", "--episodes", "1000000000"], "--episodes must be at most"),
    (["eval", "assets/agents/connect_four.pt", "--seed", "-1"], "--seed must be at least 0"),
    (["eval", "assets/agents/connect_four.pt", "--opponent", "minimax:99"], "minimax depth must be 1..8"),
    (["train-opponent-model", "--env", C4, "--opponent", "minimax:99"], "minimax depth must be 1..8"),
    (["train-opponent-model", "--env", C4, "--games", "10000000"], "--games must be at most"),
    (["train-ae", "--env", "CartPole-v1", "--frames", "1000000000"], "--frames must be at most"),
    (["play", "--env", "dojo/Maze-v0", "--seed", "-1", "--dry-run"], "--seed must be at least 0"),
    (["play", "--env", "Pendulum-v1", "--seed", str(10**20)], "--seed must be at most"),
    (["watch", "--env", "CartPole-v1", "--agent", "dqn"], "no display available: watch needs a window"),
    (["play", "--env", C4], "no display available: play needs a window"),
    (["export", "assets/agents/maze.pt", "--out", ""], "--out is empty"),
    # A FIFO stands in for a device node: were the refusal to break, a test run as root must not replace /dev/null.
    (["export", "assets/agents/maze.pt", "--out", "{fifo}"], "not a regular file"),
    (["export", "assets/agents/maze.pt", "--out", "assets"], "is a folder"),
    (["export", "assets/agents/maze.pt", "--out", "assets/"], "names a folder"),
    (["export", "assets/agents/maze.pt", "--out", "README.md/agent.pt"], "which is a file"),
    (["screenshot", "--size", "100000x100000"], "--size expects WIDTHxHEIGHT from 640x400 to 7680x4320"),
    (["screenshot", "--steps", str(10**9)], "--steps must be at most"),
    (["train", "--env", "CartPole-v1", "--agent", "dqn", "--run-dir", ""], "--run-dir is empty"),
    (["eval", "runs-nowhere/latest/checkpoints/best.pt"], "no file matches"),
    (["eval", "runs-nowhere/*/checkpoints/best.pt"], "no file matches"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_COMMAND_LINES,
                         ids=lambda value: " ".join(value)[:70] if isinstance(value, list) else None)
def test_bad_command_lines_are_one_line_errors(argv, message, capsys, tmp_path, monkeypatch):
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(repo)  # the shipped agents are the good inputs these lines start from
    if argv[0] in ("train", "train-ae", "train-opponent-model"):
        argv = [*argv, *([] if "--run-dir" in argv else ["--run-dir", str(tmp_path / "run")]), "--quiet"]
    if "{fifo}" in argv:
        os.mkfifo(tmp_path / "fifo")
        argv = [str(tmp_path / "fifo") if arg == "{fifo}" else arg for arg in argv]
    assert main.main(argv) == 2
    assert re.search(message, one_line_error(capsys))


def test_bad_run_dirs_are_one_line_errors_before_training(tmp_path, capsys):
    for argv, message in run_dir_cases(tmp_path):
        assert main.main([*argv, "--quiet"]) == 2, argv
        assert message in one_line_error(capsys), argv


def test_an_unwritable_checkpoints_folder_is_found_before_training(tmp_path, capsys, monkeypatch):
    import agents.safe_files

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoints").write_text("a file where the folder goes")
    argv = ["train", "--env", "CartPole-v1", "--agent", "dqn", "--run-dir", str(tmp_path / "run"), "--quiet"]
    assert main.main(argv) == 2
    assert "is a file, where the run keeps a folder" in one_line_error(capsys)

    def read_only(*args, **kwargs):  # as root every folder is writable, so the refusal is simulated
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(agents.safe_files.tempfile, "mkstemp", read_only)
    assert main.main([*argv[:-3], "--run-dir", str(tmp_path / "other"), "--quiet"]) == 2
    assert "is not writable (Permission denied)" in one_line_error(capsys)


def test_buffers_beyond_memory_are_refused(tmp_path, capsys, monkeypatch):
    import agents.common

    monkeypatch.setattr(agents.common, "memory_limit", lambda: 1 << 20)
    argv = ["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "buffer_size=100000", "--quiet",
            "--run-dir", str(tmp_path / "run")]
    assert main.main(argv) == 2
    assert "the replay buffer would take" in one_line_error(capsys)


# ---- losing work ---------------------------------------------------------------------------------------------
class SignalInsideSave:
    """A stream that sends this process ``number`` halfway through torch.save's writes (from inside its C++
    writer, which turns a KeyboardInterrupt raised there into a RuntimeError)."""

    def __init__(self, stream, number):
        self.stream, self.number, self.writes = stream, number, 0

    def write(self, data):
        self.writes += 1
        if self.writes == 3:
            os.kill(os.getpid(), self.number)
        return self.stream.write(data)

    def __getattr__(self, name):
        return getattr(self.stream, name)


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_inside_a_save_is_held_until_the_file_is_complete(tmp_path, monkeypatch, capsys, number):
    real_save = torch.save
    signalled = []

    def save(obj, stream, *args, **kwargs):
        if not signalled:  # only the first (periodic) save is interrupted
            signalled.append(True)
            stream = SignalInsideSave(stream, number)
        return real_save(obj, stream, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        code = main.main(["train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", "400", "--quiet",
                          "--run-dir", str(tmp_path), "--no-early-stop", "--set", *SMALL, "checkpoint_every=100"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    out = capsys.readouterr().out
    assert signalled and code == 130 and "Interrupted at step" in out
    data = load_checkpoint(tmp_path / "checkpoints" / "last.pt", resumable=True)  # complete and resumable
    assert data["counters"]["steps"] >= 100
    assert not list((tmp_path / "checkpoints").glob(".*.tmp"))


def test_leftover_temp_files_of_a_killed_save_are_removed_on_the_next_start(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    leftover = checkpoints / ".last.pt.k2j3h4.tmp"
    leftover.write_bytes(b"half a checkpoint")
    Trainer("dqn", "CartPole-v1", steps=10, run_dir=tmp_path, device="cpu", overrides=SMALL).close()
    assert not leftover.exists()


def test_save_checkpoint_never_replaces_a_device_or_a_folder(tmp_path):
    fifo = tmp_path / "fifo"  # stands in for a device node (replacing /dev/null, as root, would break the system)
    os.mkfifo(fifo)
    for target, message in ((str(fifo), "not a regular file"), (str(tmp_path), "is a folder"), ("", "empty")):
        with pytest.raises(DojoError, match=message):
            save_checkpoint(target, {"agent": "dqn"})
    assert fifo.is_fifo()


def test_a_read_only_target_is_a_one_line_error(good, tmp_path, capsys, monkeypatch):
    import agents.checkpoint

    def read_only(*args, **kwargs):  # as root every folder is writable, so the refusal is simulated
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(agents.checkpoint.tempfile, "mkstemp", read_only)
    assert main.main(["export", str(good), "--out", str(tmp_path / "copy.pt")]) == 2
    assert "cannot write" in one_line_error(capsys) and not (tmp_path / "copy.pt").exists()


def test_an_illegal_move_in_the_episode_in_flight_is_refused_on_resume(tmp_path, capsys):
    Trainer("dqn", C4, steps=60, run_dir=tmp_path / "run", device="cpu", overrides=[*SMALL, "opponent_mix=[]"],
            eval_episodes=1).run(progress=False)
    data = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    data["learner"]["episode"].update(actions=[0] * 7, length=7)  # a seventh disc in one column
    torch.save(data, tmp_path / "illegal.pt")
    assert main.main(["train", "--resume", str(tmp_path / "illegal.pt"), "--run-dir", str(tmp_path / "again"),
                      "--quiet"]) == 2
    assert re.search("cannot resume|does not replay", one_line_error(capsys))


# ---- what training and export do with what they are given -----------------------------------------------------
def test_ppo_honours_a_small_step_budget(tmp_path):
    trainer = Trainer("ppo", "CartPole-v1", steps=10, run_dir=tmp_path, device="cpu", write_logs=False,
                      overrides=["n_envs=4", "n_steps=128"], eval_episodes=1)
    result = trainer.run(progress=False)
    assert 10 <= result["steps"] <= 12  # 3 steps in each of 4 envs, not one 512-step rollout


def test_trainer_settings_can_be_set_with_set(tmp_path):
    trainer = Trainer("dqn", "CartPole-v1", run_dir=tmp_path, device="cpu", write_logs=False,
                      overrides=[*SMALL, "checkpoint_every=500", "eval_episodes=3", "steps=700"])
    assert (trainer.checkpoint_every, trainer.eval_episodes, trainer.total_steps) == (500, 3, 700)
    trainer.close()
    with pytest.raises(DojoError, match="env_kwargs is set with --env-kwargs"):
        Trainer("dqn", "CartPole-v1", run_dir=tmp_path, device="cpu", write_logs=False,
                overrides=['env_kwargs={"a": 1}'])


def test_export_writes_nothing_that_eval_would_refuse(good, tmp_path, capsys):
    out = tmp_path / "copy.pt"
    assert main.main(["export", str(good), "--out", str(out), "--set", "search_depth=2"]) == 2
    assert "search_depth needs Connect Four, Tron or Snake" in one_line_error(capsys)
    assert not out.exists()


# ---- logs, opponent models and run folders ------------------------------------------------------------------
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
        OpponentPredictor((3, 6, 7), 7).save(path, C4, {}, "pattern")
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
    assert "would play dqn (connect_four)" in out
    assert "against minimax:2" in out and "the best of 2 saved agents on the same test" in out
    cache = json.loads((weak / "checkpoints" / "reference.json").read_text())
    assert cache["best.pt"]["reference"].startswith(C4 + "|minimax:2")  # measured once, then cached
