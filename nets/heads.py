"""Heads that turn encoder features into Q-values, action distributions or state values."""

from __future__ import annotations

import torch
from torch import nn


class QHead(nn.Module):
    """Q-values per action; the dueling form splits value and advantage streams."""

    def __init__(self, in_features: int, n_actions: int, dueling: bool = False) -> None:
        super().__init__()
        self.dueling = dueling
        self.advantage = nn.Linear(in_features, n_actions)
        self.value = nn.Linear(in_features, 1) if dueling else None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        advantage = self.advantage(features)
        if self.value is None:
            return advantage
        return self.value(features) + advantage - advantage.mean(dim=-1, keepdim=True)


class CategoricalHead(nn.Module):
    """Logits of a categorical policy; masked actions get a large negative logit."""

    def __init__(self, in_features: int, n_actions: int) -> None:
        super().__init__()
        self.logits = nn.Linear(in_features, n_actions)
        # Small initial logits give a near-uniform first policy (as in CleanRL's PPO).
        nn.init.orthogonal_(self.logits.weight, gain=0.01)
        nn.init.zeros_(self.logits.bias)

    def forward(self, features: torch.Tensor, action_mask: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.logits(features)
        if action_mask is not None:
            logits = logits.masked_fill(~action_mask, -1e8)
        return logits


class GaussianHead(nn.Module):
    """Mean of a diagonal Gaussian policy with a state-independent learned log standard deviation."""

    def __init__(self, in_features: int, action_dim: int, initial_log_std: float = 0.0) -> None:
        super().__init__()
        self.mean = nn.Linear(in_features, action_dim)
        nn.init.orthogonal_(self.mean.weight, gain=0.01)
        nn.init.zeros_(self.mean.bias)
        self.log_std = nn.Parameter(torch.full((action_dim,), float(initial_log_std)))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mean(features), self.log_std.expand(features.shape[0], -1)


class ValueHead(nn.Module):
    """A scalar state value."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.value = nn.Linear(in_features, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.value(features).squeeze(-1)
