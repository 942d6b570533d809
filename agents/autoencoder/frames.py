"""The autoencoder's data: 64x64 RGB frames (channel first, uint8) from random play and an agent's play.

Grid games give them as ``obs_mode="pixels"`` observations; any other env's ``render_mode="rgb_array"`` picture is
area-downscaled to 64x64 (a non-square picture is squashed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import envs
from agents.common import action_mask_of, make_env
from agents.errors import DojoError
from envs.common import downscale

FRAME_SIZE = 64
FRAME_SHAPE = (3, FRAME_SIZE, FRAME_SIZE)
AGENT_EPSILON = 0.05  # a few random moves keep a deterministic agent from replaying the same few episodes
MAX_EPISODE_FRAMES = 1_000  # so one long episode (a solved CartPole) cannot fill the whole set alone


class FrameSource:
    """An env that yields 64x64 RGB frames, played at random or by an agent.

    An agent trained on another observation (a grid game's planes) plays a twin env stepped with the same actions
    from the same seed; the frames come from the pixel env.
    """

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], agent: Any = None) -> None:
        self.grid = env_id in envs.GRID_GAMES
        if self.grid:
            self.view_env = make_env(env_id, {**env_kwargs, "obs_mode": "pixels", "pixel_size": FRAME_SIZE})
        else:
            self.view_env = make_env(env_id, env_kwargs, render_mode="rgb_array")
        self.agent = agent
        self.act_env = self.view_env
        if agent is not None and self.grid and agent.env_kwargs.get("obs_mode", "planes") != "pixels":
            self.act_env = make_env(env_id, agent.env_kwargs)

    def frame(self, obs: np.ndarray) -> np.ndarray:
        if self.grid:
            return np.asarray(obs, dtype=np.uint8)
        picture = self.view_env.render()
        return np.ascontiguousarray(downscale(picture, FRAME_SIZE).transpose(2, 0, 1))

    def play(self, count: int, seed: int, rng: np.random.Generator, on_frame: Any = None) -> list[np.ndarray]:
        """``count`` frames from whole episodes (the last one cut short), reset seeds ``seed``, ``seed + 1``..."""
        frames: list[np.ndarray] = []
        self.view_env.action_space.seed(seed)
        episode = 0
        while len(frames) < count:
            obs, info = self.view_env.reset(seed=seed + episode)
            act_obs = obs if self.act_env is self.view_env else self.act_env.reset(seed=seed + episode)[0]
            episode += 1
            for _ in range(MAX_EPISODE_FRAMES):
                frames.append(self.frame(obs))
                if on_frame is not None:
                    on_frame()
                if len(frames) >= count:
                    break
                action = self._action(act_obs, action_mask_of(info), rng)
                obs, reward, terminated, truncated, info = self.view_env.step(action)
                if self.act_env is not self.view_env:
                    act_obs, twin_reward, twin_terminated, twin_truncated, _ = self.act_env.step(action)
                    if (twin_reward, twin_terminated, twin_truncated) != (reward, terminated, truncated):
                        break  # the twins drifted apart (a game with hidden randomness): start a new pair
                else:
                    act_obs = obs
                if terminated or truncated:
                    break
        return frames

    def _action(self, obs: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> Any:
        if self.agent is not None and rng.random() >= AGENT_EPSILON:
            return self.agent.act(obs, mask)
        if mask is not None:
            return int(rng.choice(np.flatnonzero(mask)))
        return self.view_env.action_space.sample()

    def close(self) -> None:
        self.view_env.close()
        if self.act_env is not self.view_env:
            self.act_env.close()


def collect_frames(env_id: str, env_kwargs: dict[str, Any], count: int, seed: int, agent: Any = None,
                   agent_fraction: float = 0.5, progress: bool = True) -> np.ndarray:
    """(count, 3, 64, 64) uint8 frames: random play, and ``agent_fraction`` of them agent play when one is given."""
    from tqdm import tqdm

    agent_count = int(round(count * agent_fraction)) if agent is not None else 0
    rng = np.random.default_rng(seed)
    frames: list[np.ndarray] = []
    with tqdm(total=count, desc="frames", unit="frame", disable=not progress, dynamic_ncols=True) as bar:
        for player, wanted, first_seed in ((None, count - agent_count, seed), (agent, agent_count, seed + 500_000)):
            if wanted == 0:
                continue
            source = FrameSource(env_id, env_kwargs, player)
            try:
                frames += source.play(wanted, first_seed, rng, on_frame=lambda: bar.update(1))
            finally:
                source.close()
    stacked = np.stack(frames)
    if stacked.shape[1:] != FRAME_SHAPE:
        raise DojoError(f"{env_id} gives frames of shape {stacked.shape[1:]}, expected {FRAME_SHAPE}")
    return stacked


def split_frames(frames: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle and hold out ``test_fraction`` of the frames (at least one) for measuring."""
    order = np.random.default_rng(seed).permutation(len(frames))
    test_count = max(1, int(round(len(frames) * test_fraction)))
    return frames[order[test_count:]], frames[order[:test_count]]
