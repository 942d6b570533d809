"""The command line: exit codes, one-line errors (never a traceback), eval's JSON line."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import main
from agents.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("cli-run")
    code = main.main(["train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", "800", "--quiet",
                      "--run-dir", str(run_dir), "--set", "learning_starts=200", "hidden=16,16"])
    assert code == 0
    return run_dir / "checkpoints" / "last.pt"


def error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--env", "NoSuchEnv-v9", "--agent", "dqn"], "unknown env 'NoSuchEnv-v9'"),
        (["train", "--env", "CartPole-v1", "--agent", "muzero"], "unknown agent 'muzero'"),
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "warp=9"], "unknown config key 'warp'"),
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "batch_size=big"], "batch_size expects"),
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--set", "batch_size=0"], "batch_size must be"),
        (["train", "--env", "Pendulum-v1", "--agent", "dqn"], "dqn needs discrete actions"),
        (["train", "--env", "Pendulum-v1", "--agent", "qlearning"], "qlearning needs discrete actions"),
        (["train", "--env", "dojo/Snake-v0", "--agent", "qlearning"], "qlearning bins flat vector"),
        (["train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", "0"], "steps must be at least 1"),
        (["train", "--env", "CartPole-v1"], "train needs --env and --agent"),
        (["train", "--resume", "missing.pt"], "does not exist"),
        (["eval", "missing.pt"], "does not exist"),
    ],
)
def test_misuse_exits_2_with_one_line(capsys, tmp_path, argv, message):
    argv = [*argv, "--run-dir", str(tmp_path / "run")] if argv[0] == "train" else argv
    assert main.main(argv) == 2
    assert message in error_line(capsys)


def test_corrupt_checkpoint_exits_2(capsys, tmp_path, checkpoint):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(checkpoint.read_bytes()[:1000])
    assert main.main(["eval", str(broken)]) == 2
    assert "not a readable checkpoint" in error_line(capsys)
    assert main.main(["eval", str(checkpoint), "--episodes", "0"]) == 2
    assert "--episodes must be at least 1" in error_line(capsys)


def test_resume_with_the_wrong_agent_is_refused(capsys, checkpoint):
    assert main.main(["train", "--resume", str(checkpoint), "--agent", "ppo"]) == 2
    assert "trained by dqn, not ppo" in error_line(capsys)


def test_argparse_misuse_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main.main(["train", "--steps", "many"])
    assert exit_info.value.code == 2


def test_eval_prints_a_json_line_last(capsys, checkpoint):
    assert main.main(["eval", str(checkpoint), "--episodes", "3"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert {"mean_return", "std_return", "episodes", "env", "agent"} <= set(result)
    assert result["episodes"] == 3 and result["env"] == "CartPole-v1" and result["agent"] == "dqn"


def test_train_writes_the_run_folder(checkpoint):
    run_dir = checkpoint.parent.parent
    config = json.loads((run_dir / "config.json").read_text())
    assert config["agent"] == "dqn" and config["config"]["hidden"] == [16, 16]
    header, *rows = (run_dir / "metrics.csv").read_text().splitlines()
    assert header.startswith("kind,step,episode,return")
    assert any(row.startswith("episode,") for row in rows) and any(row.startswith("eval,") for row in rows)
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert (run_dir / "checkpoints" / "best.pt").exists()


def test_list_names_envs_agents_and_presets(capsys):
    assert main.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("CartPole-v1", "dojo/ConnectFour-v0", "dojo/Tron-v0", "dqn", "ppo", "reinforce", "qlearning"):
        assert name in out


def test_ctrl_c_saves_last_checkpoint_and_exits_cleanly(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "main.py", "train", "--env", "CartPole-v1", "--agent", "dqn", "--steps", "10000000",
         "--run-dir", str(tmp_path), "--quiet", "--no-early-stop"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # A shell's background job ignores Ctrl-C and its children inherit that; give the child the default back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # metrics.csv exists from the trainer's construction; an episode row means the training loop is running.
    metrics = tmp_path / "metrics.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (metrics.exists() and "\nepisode," in metrics.read_text()):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "Interrupted at step" in out
    data = load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert data["counters"]["steps"] > 0
