"""The actor-critic network and its greedy policy, shared by PPO and REINFORCE (their configs differ)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical, Normal

from agents.autoencoder.encoder import build_encoder
from agents.common import mask_tensor, obs_shape, preprocess, preprocess_batch
from nets import CategoricalHead, GaussianHead, ValueHead
from nets.normalize import RunningNorm


@dataclass
class ActorCriticNetConfig:
    """The actor-critic network's settings, shared by the PPO and REINFORCE configs (which add their own)."""

    normalize_obs: bool = False
    """Normalize observations by running statistics (saved with the model)."""
    shared_encoder: bool = False
    """One encoder for policy and value (else two)."""
    encoder: str = "auto"
    """auto (CNN for grids and images, MLP for vectors), mlp, cnn or ae:PATH (frozen train-ae encoder + MLP)."""
    hidden: tuple[int, ...] = (64, 64)
    """MLP layer widths."""
    activation: str = "tanh"
    """MLP activation: tanh, relu or elu."""
    cnn_channels: tuple[int, ...] = (32, 64, 64)
    """CNN channels per conv layer."""
    cnn_features: int = 256
    """Width of the CNN's output layer."""
    initial_log_std: float = 0.0
    """Starting log standard deviation of a Gaussian policy."""
    torch_threads: int = 1
    """CPU threads for torch (small nets are fastest on one)."""


class ActorCritic(nn.Module):
    """Policy and value nets: encoder(s) + categorical or Gaussian head + value head."""

    def __init__(self, spaces: dict[str, Any], config: ActorCriticNetConfig) -> None:
        super().__init__()
        self.continuous = spaces["action"]["type"] == "box"
        shape = obs_shape(spaces["observation"])
        self.obs_norm = RunningNorm(shape) if config.normalize_obs else None
        args = (spaces, config.encoder, config.hidden, config.activation, config.cnn_channels, config.cnn_features)
        self.actor_encoder = build_encoder(*args)
        self.critic_encoder = self.actor_encoder if config.shared_encoder else build_encoder(*args)
        features = self.actor_encoder.output_dim
        if self.continuous:
            self.policy_head: nn.Module = GaussianHead(features, int(np.prod(spaces["action"]["shape"])),
                                                       config.initial_log_std)
        else:
            self.policy_head = CategoricalHead(features, int(spaces["action"]["n"]))
        self.value_head = ValueHead(self.critic_encoder.output_dim)

    def _normalized(self, obs: torch.Tensor) -> torch.Tensor:
        return obs if self.obs_norm is None else self.obs_norm(obs)

    def distribution(self, obs: torch.Tensor, mask: torch.Tensor | None = None) -> Categorical | Normal:
        features = self.actor_encoder(self._normalized(obs))
        if self.continuous:
            mean, log_std = self.policy_head(features)
            return Normal(mean, log_std.exp())
        return Categorical(logits=self.policy_head(features, mask))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.value_head(self.critic_encoder(self._normalized(obs)))


def greedy(dist: Categorical | Normal) -> torch.Tensor:
    return dist.mean if isinstance(dist, Normal) else dist.probs.argmax(dim=-1)


class ActorCriticPolicy:
    """The deterministic policy of a trained actor-critic (mode of the distribution)."""

    def __init__(self, name: str, net: ActorCritic, spaces: dict[str, Any], env_id: str, env_kwargs: dict[str, Any],
                 config: Any, device: torch.device) -> None:
        self.name, self.net, self.spaces, self.env_id, self.env_kwargs = name, net, spaces, env_id, env_kwargs
        self.config, self.device = config, device
        action = spaces["action"]
        self.low = np.asarray(action.get("low", []), dtype=np.float32)
        self.high = np.asarray(action.get("high", []), dtype=np.float32)

    def to_env_action(self, actions: np.ndarray) -> np.ndarray:
        """Gaussian samples are unbounded; the env gets them clipped into its action box."""
        return np.clip(actions, self.low, self.high) if self.net.continuous else actions

    @torch.no_grad()
    def act_batch(self, obs: np.ndarray, action_mask: np.ndarray | None = None) -> np.ndarray:
        batch = torch.as_tensor(preprocess_batch(obs, self.spaces["observation"]), device=self.device)
        actions = greedy(self.net.distribution(batch, mask_tensor(action_mask, self.device))).cpu().numpy()
        return self.to_env_action(actions)

    def act(self, obs: Any, action_mask: np.ndarray | None = None) -> Any:
        single = preprocess(obs, self.spaces["observation"])[None]
        mask = None if action_mask is None else np.asarray(action_mask)[None]
        action = self.act_batch(single, mask)[0]
        return action if self.net.continuous else int(action)

    @torch.no_grad()
    def explain(self, obs: Any, action_mask: np.ndarray | None = None) -> dict[str, Any]:
        batch = torch.as_tensor(preprocess(obs, self.spaces["observation"]), device=self.device).unsqueeze(0)
        mask = None if action_mask is None else mask_tensor(np.asarray(action_mask)[None], self.device)
        dist = self.net.distribution(batch, mask)
        if isinstance(dist, Normal):
            return {"kind": "gaussian", "mean": dist.mean[0].tolist(), "std": dist.stddev[0].tolist()}
        return {"kind": "probabilities", "values": dist.probs[0].tolist()}


def policy_loader(name: str) -> Callable[[dict[str, Any], Any, torch.device], ActorCriticPolicy]:
    """The ``load_policy`` of an actor-critic agent."""

    def load(data: dict[str, Any], config: Any, device: torch.device) -> ActorCriticPolicy:
        net = ActorCritic(data["spaces"], config).to(device)
        net.load_state_dict(data["model"])
        net.eval()
        return ActorCriticPolicy(name, net, data["spaces"], data["env_id"], data["env_kwargs"], config, device)

    return load


def log_prob_of(dist: Categorical | Normal, action: torch.Tensor) -> torch.Tensor:
    log_prob = dist.log_prob(action)
    return log_prob.sum(-1) if isinstance(dist, Normal) else log_prob


def entropy_of(dist: Categorical | Normal) -> torch.Tensor:
    entropy = dist.entropy()
    return entropy.sum(-1) if isinstance(dist, Normal) else entropy
