"""Sweeps without Ray running: the search space file is checked against the agent's config, bad input is one line
with exit 2 before Ray starts, and the preset block the sweep prints reads back as a preset."""

import sys
import tomllib

import pytest

import main
from agents import agent_module
from agents.config import build_config, load_presets
from agents.sweep_space import load_space

TRAINER_KEYS = ("steps", "eval_every", "eval_episodes", "checkpoint_every", "env_kwargs", "eval_env_kwargs")


def error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ("warp = [1, 2]", "unknown key 'warp'"),
        ("learning_rate = { low = 0.01, high = 0.001 }", "empty range"),
        ("learning_rate = { low = 0.01, high = 0.01 }", "empty range"),
        ("batch_size = []", "empty list of choices"),
        ("batch_size = { low = 16.5, high = 64 }", "batch_size expects a whole number"),
        ("batch_size = ['big', 'small']", "batch_size expects a whole number"),
        ("hidden = { low = 1, high = 2 }", "hidden in"),
        ("hidden = [64, 128]", "takes a list of lists"),
        ("gamma = { low = 0.0, high = 0.99, log = true }", "a log range needs low > 0"),
        ("learning_rate = { low = 0.001, top = 0.1 }", "unknown range key(s) top"),
        ("learning_rate = 0.001", "must be a range"),
        ("torch_threads = [1, 2]", "torch_threads is not swept"),
        ("[ppo]\nlearning_rate = [0.001]", "has no [dqn] table"),
        ("learning_rate = [", "cannot read space file"),
    ],
)
def test_bad_space_is_one_line_exit_2(tmp_path, capsys, space, message):
    path = tmp_path / "space.toml"
    path.write_text(space + "\n")
    code = main.main(["sweep", "--env", "CartPole-v1", "--agent", "dqn", "--space", str(path),
                      "--run-dir", str(tmp_path / "sweep")])
    assert code == 2
    assert message in error_line(capsys)
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "CartPole-v1", "--agent", "dqn", "--space", "nowhere.toml"], "no such space file"),
        (["--env", "NoSuchEnv-v9", "--agent", "dqn"], "unknown env 'NoSuchEnv-v9'"),
        (["--env", "CartPole-v1", "--agent", "muzero"], "unknown agent 'muzero'"),
        (["--env", "dojo/ConnectFour-v0", "--agent", "alphazero"], "has no [alphazero] table"),
        (["--env", "Pendulum-v1", "--agent", "dqn"], "dqn needs discrete actions"),
        (["--env", "CartPole-v1", "--agent", "dqn", "--trials", "0"], "--trials must be at least 1"),
        (["--env", "CartPole-v1", "--agent", "dqn", "--steps", "1000", "--grace", "5000"], "--grace 5,000 is past"),
        (["--agent", "dqn"], "sweep needs --env and --agent"),
        (["--resume", "nowhere"], "is not a sweep dir"),
        (["--resume", "nowhere", "--trials", "3"], "leave out --trials"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(capsys, argv, message):
    assert main.main(["sweep", *argv]) == 2
    assert message in error_line(capsys)


def test_ray_not_installed_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where Ray is not installed
    code = main.main(["sweep", "--env", "FrozenLake-v1", "--agent", "qlearning", "--run-dir", str(tmp_path / "s")])
    assert code == 2
    assert "pip install -r requirements-dev.txt" in error_line(capsys)
    assert not (tmp_path / "s").exists()


def test_unreachable_address_fails_fast(tmp_path, capsys):
    code = main.main(["sweep", "--env", "FrozenLake-v1", "--agent", "qlearning", "--address", "127.0.0.1:1",
                      "--run-dir", str(tmp_path / "s")])
    assert code == 2
    assert "no Ray cluster answers at 127.0.0.1:1" in error_line(capsys)


@pytest.mark.parametrize("agent", ["dqn", "ppo", "reinforce", "qlearning"])
def test_default_space_fits_the_agent_and_its_presets(agent):
    space = load_space(agent)
    config_cls = agent_module(agent).CONFIG
    for param in space.params:
        point = {param.name: param.choices[-1] if param.choices else param.high}
        build_config(config_cls, {name: list(value) if isinstance(value, tuple) else value
                                  for name, value in point.items()})
    # The tuned presets of the classic-control envs lie in the space, so their sweeps start from them.
    for env_id in ("CartPole-v1", "FrozenLake-v1", "Pendulum-v1"):
        preset = load_presets()[agent].get(env_id)
        if preset is not None:
            assert space.baseline(preset) is not None, (agent, env_id)


def test_settings_become_overrides_and_typed_values():
    space = load_space("dqn")
    point = space.corner()
    assert point["hidden"] == "64,64"  # Optuna stores choices as scalars
    overrides = space.overrides(point)
    assert "hidden=64,64" in overrides and "torch_threads=1" in overrides
    typed = space.typed(point)
    assert typed["hidden"] == [64, 64] and typed["batch_size"] == 32 and typed["learning_rate"] == 1e-4
    assert space.baseline({"hidden": [48, 48]}) is None  # not among the choices: no baseline trial


def test_preset_block_reads_back_as_a_preset():
    from agents.sweep_report import preset_block  # imports Ray, as the sweep that prints it does

    preset = dict(load_presets()["dqn"]["CartPole-v1"])
    best = {"learning_rate": 0.00123456789, "hidden": [256, 256], "gamma": 1.0, "batch_size": 64}
    block = preset_block("dqn", "CartPole-v1", preset, best, "swept: best eval 500")
    table = tomllib.loads(block)["dqn"]["CartPole-v1"]
    assert table["hidden"] == [256, 256] and table["gamma"] == 1.0 and isinstance(table["gamma"], float)
    assert table["learning_rate"] == pytest.approx(0.00123457)
    assert table["steps"] == preset["steps"]
    config = build_config(agent_module("dqn").CONFIG, {k: v for k, v in table.items() if k not in TRAINER_KEYS})
    assert config.batch_size == 64
