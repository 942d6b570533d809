"""Running mean and variance, kept as module buffers so they travel inside a model's state_dict."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class RunningNorm(nn.Module):
    """Normalizes inputs by running statistics (Chan's parallel update); frozen unless ``update`` is called."""

    def __init__(self, shape: Sequence[int], clip: float = 10.0, epsilon: float = 1e-8) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(tuple(shape), dtype=torch.float64))
        self.register_buffer("var", torch.ones(tuple(shape), dtype=torch.float64))
        self.register_buffer("count", torch.tensor(1e-4, dtype=torch.float64))
        self.clip = clip
        self.epsilon = epsilon

    @torch.no_grad()
    def update(self, batch: torch.Tensor) -> None:
        batch = batch.to(torch.float64)
        batch_mean, batch_var, batch_count = batch.mean(0), batch.var(0, unbiased=False), batch.shape[0]
        delta = batch_mean - self.mean
        total = self.count + batch_count
        self.mean += delta * batch_count / total
        m2 = self.var * self.count + batch_var * batch_count + delta.pow(2) * self.count * batch_count / total
        self.var.copy_(m2 / total)
        self.count.copy_(total)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normalized = (x.to(torch.float64) - self.mean) / torch.sqrt(self.var + self.epsilon)
        return normalized.clamp(-self.clip, self.clip).to(torch.float32)
