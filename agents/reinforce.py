"""REINFORCE (Monte-Carlo policy gradient) with a learned value baseline; categorical or Gaussian policy.

Each ``advance`` plays one whole episode; every ``episodes_per_update`` episodes the policy takes one step
on -log pi(a|s) * (G - V(s)) and the value net one step on (G - V(s))^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from agents.actor_critic import ActorCritic, ActorCriticNetConfig, ActorCriticPolicy, log_prob_of, policy_loader
from agents.common import (
    StepHook,
    action_mask_of,
    close_env,
    describe_spaces,
    episode_seed,
    generator_state,
    make_adam,
    make_env,
    mask_tensor,
    preprocess,
    report_reset,
    report_step,
    restore_generator,
)
from agents.errors import DojoError


@dataclass
class ReinforceConfig(ActorCriticNetConfig):
    """Hyperparameters of REINFORCE; every field can be set with ``--set key=value``."""

    learning_rate: float = 1e-3
    """Adam step size (policy and value)."""
    gamma: float = 0.99
    """Discount factor."""
    episodes_per_update: int = 4
    """Episodes gathered before each gradient step."""
    ent_coef: float = 0.0
    """Entropy bonus weight."""
    vf_coef: float = 0.5
    """Value loss weight."""
    max_grad_norm: float = 1.0
    """Gradient-norm clip."""
    normalize_advantages: bool = True
    """Standardize G - V(s) over each batch of episodes."""


class ReinforceLearner:
    """Plays an episode per ``advance`` with the stochastic policy and learns from whole-episode returns."""

    name = "reinforce"
    config_class = ReinforceConfig
    single_env = True

    def __init__(self, env_id: str, env_kwargs: dict[str, Any], config: ReinforceConfig, device: torch.device,
                 seed: int) -> None:
        if config.episodes_per_update < 1:
            raise DojoError(f"episodes_per_update must be at least 1, got {config.episodes_per_update}")
        self.env_id, self.env_kwargs, self.config, self.device = env_id, env_kwargs, config, device
        self.seed = seed
        self.env = make_env(env_id, env_kwargs)
        self.spaces = describe_spaces(self.env.observation_space, self.env.action_space)
        torch.manual_seed(seed)
        self.net = ActorCritic(self.spaces, config).to(device)
        self.optimizer = make_adam(self.net.parameters(), config.learning_rate, device)
        self.policy = ActorCriticPolicy("reinforce", self.net, self.spaces, env_id, env_kwargs, config, device)
        self.rng = np.random.default_rng(seed)
        self.steps = 0
        self.episodes = 0
        self.updates = 0
        self.last_stats = {"entropy": float("nan"), "loss": float("nan")}
        self._batch: list[dict[str, torch.Tensor]] = []

    def stats(self) -> dict[str, float]:
        return dict(self.last_stats)

    def advance(self, on_step: StepHook | None = None) -> list[dict[str, float]]:
        """One episode with the sampling policy; an update once enough episodes are gathered. ``on_step`` sees every
        env step (and the reset); when it returns False the episode is dropped unfinished."""
        raw, info = self.env.reset(seed=episode_seed(self.seed, self.episodes))
        observations, actions, rewards, masks = [], [], [], []
        if not report_reset(on_step, self.env, raw, info):
            return []
        while True:
            obs = torch.as_tensor(preprocess(raw, self.spaces["observation"]), device=self.device).unsqueeze(0)
            mask = action_mask_of(info)
            mask_t = None if mask is None else mask_tensor(mask[None], self.device)
            with torch.no_grad():
                action = self.net.distribution(obs, mask_t).sample()[0]
            observations.append(obs[0])
            actions.append(action)
            masks.append(mask_t[0] if mask_t is not None else None)
            env_action = self.policy.to_env_action(action.cpu().numpy())
            raw, reward, terminated, truncated, info = self.env.step(env_action if self.net.continuous
                                                                     else int(env_action))
            rewards.append(float(reward))
            self.steps += 1
            if not report_step(on_step, self.env, raw, float(reward), terminated, truncated, info, sum(rewards)):
                return []
            if terminated or truncated:
                break
        self.episodes += 1
        returns = np.zeros(len(rewards), dtype=np.float32)
        running = 0.0
        for t in reversed(range(len(rewards))):
            running = rewards[t] + self.config.gamma * running
            returns[t] = running
        self._batch.append({"obs": torch.stack(observations), "actions": torch.stack(actions),
                            "returns": torch.as_tensor(returns, device=self.device),
                            "masks": None if masks[0] is None else torch.stack(masks)})
        if len(self._batch) >= self.config.episodes_per_update:
            self._update()
        return [{"return": float(sum(rewards)), "length": len(rewards)}]

    def _update(self) -> None:
        config = self.config
        obs = torch.cat([episode["obs"] for episode in self._batch])
        actions = torch.cat([episode["actions"] for episode in self._batch])
        returns = torch.cat([episode["returns"] for episode in self._batch])
        masks = None if self._batch[0]["masks"] is None else torch.cat([e["masks"] for e in self._batch])
        self._batch.clear()
        if self.net.obs_norm is not None:
            self.net.obs_norm.update(obs.flatten(1))
        values = self.net.value(obs)
        advantages = (returns - values).detach()
        if config.normalize_advantages and advantages.numel() > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        dist = self.net.distribution(obs, masks)
        entropy = dist.entropy()
        entropy = entropy.sum(-1) if self.net.continuous else entropy
        policy_loss = -(log_prob_of(dist, actions) * advantages).mean()
        value_loss = 0.5 * (values - returns).pow(2).mean()
        loss = policy_loss + config.vf_coef * value_loss - config.ent_coef * entropy.mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), config.max_grad_norm)
        self.optimizer.step()
        self.updates += 1
        self.last_stats = {"entropy": float(entropy.mean().detach()), "loss": float(loss.detach())}

    def state_dict(self, include_replay: bool) -> dict[str, Any]:
        return {"model": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                "counters": {"steps": self.steps, "episodes": self.episodes, "updates": self.updates},
                "rng": {"numpy": generator_state(self.rng), "torch": torch.get_rng_state()},
                "stats": self.last_stats, "pending_episodes": [dict(episode) for episode in self._batch]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["model"])
        if "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        counters = state["counters"]
        self.steps, self.episodes = int(counters["steps"]), int(counters["episodes"])
        self.updates = int(counters.get("updates", 0))
        if "rng" in state:
            self.rng = restore_generator(state["rng"]["numpy"])
            torch.set_rng_state(state["rng"]["torch"])
        self.last_stats = dict(state.get("stats", self.last_stats))
        self._batch = [{key: (None if value is None else value.to(self.device)) for key, value in episode.items()}
                       for episode in state.get("pending_episodes", [])]

    def close(self) -> None:
        close_env(self.env)  # a rendering env (Trainer(frames=True)) must not quit the app's pygame


CONFIG = ReinforceConfig
LEARNER = ReinforceLearner
load_policy = policy_loader("reinforce")
