"""Hostile command lines, table-driven, through main's entry point in-process: numbers out of range, bad run
dirs and output paths, no display; and work that must not be lost (a signal inside a save, leftover temp files),
budgets and settings honoured. Each bad line is one line on stderr with exit 2, never a traceback or a hang."""

import os
import re
import signal
from pathlib import Path

import pytest
import torch

import main
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.errors import DojoError
from agents.trainer import Trainer
from tests.hostile_support import C4, SMALL, one_line_error, train_good_checkpoint


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return train_good_checkpoint(tmp_path_factory.mktemp("good-run"))


DQN = ["train", "--env", "CartPole-v1", "--agent", "dqn"]
PPO = ["train", "--env", "CartPole-v1", "--agent", "ppo"]
SNAKE = ["train", "--env", "dojo/Snake-v0", "--agent", "dqn"]
ALPHAZERO = ["train", "--env", C4, "--agent", "alphazero"]


def run_dir_cases(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    return [
        ([*DQN, "--run-dir", str(a_file)], "is a file"),
        ([*DQN, "--run-dir", str(a_file / "run")], "which is a file"),
        ([*DQN, "--run-dir", str(tmp_path / ("x" * 300))],
         "cannot create run dir"),
        (["train-opponent-model", "--env", C4, "--games", "1", "--run-dir", str(a_file)], "is a file"),
        (["train-ae", "--env", "CartPole-v1", "--frames", "4", "--steps", "1", "--run-dir", str(a_file / "x")],
         "which is a file"),
    ]


BAD_COMMAND_LINES = [
    ([*DQN, "--set", "batch_size=1e400"], "batch_size expects a whole"),
    ([*DQN, "--set", "batch_size=NaN"], "batch_size expects a whole"),
    ([*DQN, "--set", "learning_rate=NaN"], "finite number"),
    ([*DQN, "--set", "learning_rate=1e400"], "finite number"),
    ([*DQN, "--set", "cnn_features=9223372036854775808"],
     "cnn_features must be at most"),
    ([*DQN, "--set", "batch_size=" + "9" * 4000], "4000-digit"),
    ([*PPO, "--set", "gae_lambda=-1e300"], "gae_lambda must be between"),
    ([*DQN, "--set", "torch_threads=65536"], "at most 256"),
    ([*PPO, "--set", "n_envs=100000"], "n_envs must be at most"),
    ([*DQN, "--set", "hidden=20000,20000"], "hidden must be at most"),
    (["train", "--env", "dojo/ConnectFour-v0", "--agent", "dqn", "--set", "search_depth=99"], "search_depth must"),
    ([*DQN, "--set", "checkpoint_every=1e400"],
     "checkpoint_every expects a whole number"),
    ([*ALPHAZERO, "--set", "simulations=0"], "simulations must be at least 2"),
    ([*ALPHAZERO, "--set", "play_simulations=1000000"], "play_simulations must be at most 100,000"),
    ([*ALPHAZERO, "--set", "channels=100000"], "channels must be at most 512"),
    ([*ALPHAZERO, "--set", "blocks=1000"], "blocks must be at most 40"),
    ([*ALPHAZERO, "--set", "games=1000000"], "games must be at most 4,096"),
    ([*ALPHAZERO, "--set", "replay_size=1e12"], "replay_size must be at most 5,000,000"),
    ([*ALPHAZERO, "--set", "temperature=0"], "temperature must be between"),
    ([*ALPHAZERO, "--set", "reference=minimax:99"], "minimax depth"),
    (["train", "--env", "dojo/Tron-v0", "--agent", "alphazero", "--env-kwargs", '{"size": 100000}'], "<= 64"),
    ([*DQN, "--seed", "-1"], "--seed must be at least 0"),
    ([*DQN, "--seed", str(10**20)], "--seed must be at most"),
    ([*DQN, "--steps", str(10**11)], "--steps must be at most"),
    ([*SNAKE, "--env-kwargs", '{"size": 100000}'], "<= 64"),
    ([*SNAKE, "--env-kwargs", '{"size": 1e400}'], "snake size"),
    ([*SNAKE, "--env-kwargs", '{"size": NaN}'], "holds NaN"),
    ([*SNAKE, "--env-kwargs", "[" * 200_000], "characters long"),
    ([*SNAKE, "--env-kwargs", "[" * 5000], "nests too deeply"),
    ([*SNAKE, "--env-kwargs", '{"size": ' + "9" * 5000 + "}"],
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
    ([*DQN, "--run-dir", ""], "--run-dir is empty"),
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
    # Python's Ctrl-C handler even where this process started as a shell's background job (which ignores SIGINT).
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main.main([*DQN, "--steps", "400", "--quiet",
                          "--run-dir", str(tmp_path), "--no-early-stop", "--set", *SMALL, "checkpoint_every=100"])
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
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
    import agents.safe_files

    def read_only(*args, **kwargs):  # as root every folder is writable, so the refusal is simulated
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(agents.safe_files.tempfile, "mkstemp", read_only)
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
    assert "search_depth needs Snake, Connect Four, Tron" in one_line_error(capsys)
    assert not out.exists()


# ---- logs, opponent models and run folders ------------------------------------------------------------------
