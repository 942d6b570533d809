"""Config presets and --set overrides: typed parsing and one-line errors."""

import pytest

from agents.config import apply_overrides, build_config, load_presets
from agents.dqn import DQNConfig
from agents.errors import DojoError
from agents.ppo import PPOConfig
from agents.qlearning import QLearningConfig


@pytest.mark.parametrize(
    ("pair", "field", "expected"),
    [
        ("learning_rate=3e-4", "learning_rate", 3e-4),
        ("batch_size=32", "batch_size", 32),
        ("dueling=true", "dueling", True),
        ("double=False", "double", False),
        ("hidden=32,32", "hidden", (32, 32)),
        ("hidden=[16, 8]", "hidden", (16, 8)),
        ("hidden=128", "hidden", (128,)),
        ("encoder=mlp", "encoder", "mlp"),
        ("gamma=1", "gamma", 1.0),
    ],
)
def test_overrides_parse_by_field_type(pair, field, expected):
    config = apply_overrides(DQNConfig(), [pair])
    assert getattr(config, field) == expected
    assert type(getattr(config, field)) is type(expected)


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("no_such_key=1", "unknown config key 'no_such_key'"),
        ("batch_size=abc", "batch_size expects a whole number"),
        ("batch_size=1.5", "batch_size expects a whole number"),
        ("dueling=maybe", "dueling expects true or false"),
        ("learning_rate=fast", "learning_rate expects a number"),
        ("novalue", "--set expects key=value"),
        ("=3", "--set expects key=value"),
    ],
)
def test_bad_overrides_name_the_problem(pair, message):
    with pytest.raises(DojoError, match=message):
        apply_overrides(DQNConfig(), [pair])


def test_every_preset_builds_a_valid_config():
    from agents import agent_module
    from agents.games.settings import PlayConfig, split_config
    from agents.trainer import TRAINER_KEYS

    trainer_keys = set(TRAINER_KEYS)
    presets = load_presets()
    assert {"dqn", "ppo", "reinforce", "qlearning"} <= set(presets)
    for agent, table in presets.items():
        for env_id, values in table.items():
            fields = {k: v for k, v in values.items() if k not in trainer_keys}
            if agent == "dqn":  # DQN's presets also set the play settings composed around it
                fields, play = split_config(fields)
                build_config(PlayConfig, play)
            build_config(agent_module(agent).CONFIG, fields)  # raises on a stale key or a wrong type
            assert env_id


def test_build_config_rejects_unknown_keys():
    with pytest.raises(DojoError, match="unknown config key"):
        build_config(PPOConfig, {"n_envs": 4, "warp_speed": 9})
    assert build_config(QLearningConfig, {"bins": [1, 2, 3]}).bins == (1, 2, 3)
