"""The agents shipped under assets/agents load with today's code, play their game, and are what play picks."""

from pathlib import Path

import numpy as np
import pytest

from agents import load_agent
from agents.common import play_episodes

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "agents"
SHIPPED = sorted(ASSETS.glob("*.pt"))


def test_something_is_shipped():
    assert SHIPPED, f"no agents under {ASSETS}"


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_shipped_agent_loads_and_plays(path):
    agent = load_agent(path, device="cpu")
    assert path.stat().st_size < 2_000_000, "shipped agents stay small: export them (python main.py export)"
    outcome = play_episodes(agent.act_batch, agent.env_id, agent.env_kwargs, 2, seed=5)
    assert np.isfinite(outcome.returns).all()


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_play_picks_the_shipped_agent_by_default(path, monkeypatch):
    from ui.players import AgentPlayer, default_player

    monkeypatch.chdir(ASSETS.parent.parent)  # play looks in ./assets, as when started from the repository
    agent = load_agent(path, device="cpu")
    choice = default_player(agent.env_id, np.random.default_rng(0))
    assert isinstance(choice.player, AgentPlayer) and "best saved agent" in choice.note
