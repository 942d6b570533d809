"""A preallocated replay buffer on the training device.

Termination and truncation are stored apart: only termination cuts the bootstrap. Each row also keeps the
discount to apply to its bootstrap value (gamma**k for an n-step row), and optionally the legal-action mask of
the next state so the target's max only ranges over legal moves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


class ReplayBuffer:
    """Ring buffer of transitions. Rows are written through numpy staging and copied to the device in blocks."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype: torch.dtype, n_actions: int,
                 device: torch.device, store_masks: bool) -> None:
        if capacity <= 0:
            raise ValueError(f"buffer_size must be positive, got {capacity}")
        self.capacity = capacity
        self.device = device
        self.store_masks = store_masks
        self.fields: dict[str, torch.Tensor] = {
            "obs": torch.zeros((capacity, *obs_shape), dtype=obs_dtype, device=device),
            "next_obs": torch.zeros((capacity, *obs_shape), dtype=obs_dtype, device=device),
            "action": torch.zeros(capacity, dtype=torch.int64, device=device),
            "reward": torch.zeros(capacity, dtype=torch.float32, device=device),
            "discount": torch.zeros(capacity, dtype=torch.float32, device=device),
            "terminated": torch.zeros(capacity, dtype=torch.float32, device=device),
            "truncated": torch.zeros(capacity, dtype=torch.float32, device=device),
        }
        if store_masks:
            self.fields["next_mask"] = torch.ones((capacity, n_actions), dtype=torch.bool, device=device)
        # On the CPU the numpy views write straight into the tensors; on a GPU rows are staged and flushed.
        self._direct = device.type == "cpu"
        self._views = {name: tensor.numpy() for name, tensor in self.fields.items()} if self._direct else None
        self._staged: list[tuple[int, dict[str, Any]]] = []
        self.position = 0
        self.size = 0

    def add(self, obs: np.ndarray, action: int, reward: float, next_obs: np.ndarray, discount: float,
            terminated: bool, truncated: bool, next_mask: np.ndarray | None = None) -> None:
        row = {"obs": obs, "next_obs": next_obs, "action": action, "reward": reward, "discount": discount,
               "terminated": float(terminated), "truncated": float(truncated)}
        if self.store_masks:
            row["next_mask"] = next_mask if next_mask is not None else True
        if self._direct:
            for name, value in row.items():
                self._views[name][self.position] = value
        else:
            self._staged.append((self.position, row))
        self.position = (self.position + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def _flush(self) -> None:
        if not self._staged:
            return
        index = torch.as_tensor([position for position, _ in self._staged], device=self.device)
        for name, tensor in self.fields.items():
            values = np.stack([np.asarray(row[name]) for _, row in self._staged])
            if name == "next_mask":
                values = np.broadcast_to(values.reshape(len(self._staged), -1), (len(self._staged), tensor.shape[1]))
            tensor[index] = torch.as_tensor(np.array(values), device=self.device).to(tensor.dtype)
        self._staged.clear()

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        self._flush()
        index = torch.as_tensor(rng.integers(0, self.size, size=batch_size), device=self.device)
        return {name: tensor[index] for name, tensor in self.fields.items()}

    def state_dict(self) -> dict[str, Any]:
        self._flush()
        # Only the filled rows are saved; the ring order is kept through position.
        return {"position": self.position, "size": self.size,
                "fields": {name: tensor[: self.size].cpu().clone() for name, tensor in self.fields.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        size = int(state["size"])
        if size > self.capacity:
            raise ValueError(f"saved replay buffer holds {size} rows, more than buffer_size {self.capacity}")
        for name, tensor in self.fields.items():
            if name in state["fields"] and state["fields"][name].shape[1:] != tensor.shape[1:]:
                raise ValueError(f"saved replay rows of {name} have shape {tuple(state['fields'][name].shape[1:])}, "
                                 f"this learner stores {tuple(tensor.shape[1:])} (saved by an older version?)")
        for name, tensor in self.fields.items():
            if name in state["fields"]:
                tensor[:size] = state["fields"][name].to(self.device)
        self.size = size
        self.position = int(state["position"]) % self.capacity
