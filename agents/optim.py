"""Adam, written with torch's multi-tensor (foreach) kernels.

Why not torch.optim.Adam: constructing any torch.optim optimizer imports torch._dynamo (the compiler),
which costs ~1 s of every training process's start here; that is a tenth of the time DQN needs to solve
CartPole. The update is PyTorch's Adam exactly (bias-corrected moments, eps outside the square root).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch


class Adam:
    """Adam over the parameters that require gradients; ``param_groups[0]["lr"]`` may be changed between steps."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise ValueError("Adam got no parameters that require gradients")
        self.betas, self.eps = betas, eps
        self.param_groups = [{"params": self.params, "lr": float(lr)}]
        self.steps = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        params = [self.params[i] for i in live]
        grads = [self.params[i].grad for i in live]
        exp_avg = [self.exp_avg[i] for i in live]
        exp_avg_sq = [self.exp_avg_sq[i] for i in live]
        beta1, beta2 = self.betas
        self.steps += 1
        torch._foreach_lerp_(exp_avg, grads, 1 - beta1)
        torch._foreach_mul_(exp_avg_sq, beta2)
        torch._foreach_addcmul_(exp_avg_sq, grads, grads, 1 - beta2)
        bias_correction1 = 1 - beta1**self.steps
        bias_correction2 = 1 - beta2**self.steps
        denom = torch._foreach_sqrt(exp_avg_sq)
        torch._foreach_div_(denom, math.sqrt(bias_correction2))
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, exp_avg, denom, -self.param_groups[0]["lr"] / bias_correction1)

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "lr": self.param_groups[0]["lr"], "exp_avg": [t.clone() for t in self.exp_avg],
                "exp_avg_sq": [t.clone() for t in self.exp_avg_sq]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in ("exp_avg", "exp_avg_sq"):
            saved = state[name]
            if len(saved) != len(self.params) or any(s.shape != p.shape for s, p in zip(saved, self.params)):
                raise ValueError(f"the saved optimizer's {name} does not match this model's parameters")
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, state["exp_avg"] + state["exp_avg_sq"]):
            mine.copy_(saved)
        self.steps = int(state["steps"])
        self.param_groups[0]["lr"] = float(state["lr"])
