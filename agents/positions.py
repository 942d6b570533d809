"""AlphaZero's training positions: a bit-packed replay ring and the board symmetries it is read under.

A position is the mover's planes (0/1, so one bit each: a Tron arena's 7 x 16 x 16 planes take 224 bytes instead of
1,792), the search's visit distribution over the actions and the value target. A symmetry is a rotation and/or
mirror of the board that maps legal play to legal play; the visit distribution follows through an action
permutation (agents/alphazero.py's ``Game`` says which symmetries and which permutation each game has).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.errors import DojoError


class Replay:
    """Ring buffer of training positions: bit-packed planes, the visit distribution and the value target."""

    def __init__(self, capacity: int, planes_shape: tuple[int, ...], n_actions: int) -> None:
        self.capacity, self.planes_shape = capacity, planes_shape
        packed = (int(np.prod(planes_shape)) + 7) // 8
        self.planes = np.zeros((capacity, packed), dtype=np.uint8)
        self.policies = np.zeros((capacity, n_actions), dtype=np.float32)
        self.values = np.zeros(capacity, dtype=np.float32)
        self.position = self.size = 0

    def add(self, planes: np.ndarray, policy: np.ndarray, value: float) -> None:
        self.planes[self.position] = planes
        self.policies[self.position] = policy
        self.values[self.position] = value
        self.position = (self.position + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        count = int(np.prod(self.planes_shape))
        planes = np.unpackbits(self.planes[index], axis=1, count=count).reshape(len(index), *self.planes_shape)
        return planes, self.policies[index], self.values[index]

    def state_dict(self) -> dict[str, Any]:
        size = self.size
        return {"position": self.position, "size": size, "capacity": self.capacity,
                "planes": torch.from_numpy(self.planes[:size].copy()),
                "policies": torch.from_numpy(self.policies[:size].copy()),
                "values": torch.from_numpy(self.values[:size].copy())}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        size, position = int(state["size"]), int(state["position"])
        if tuple(state["planes"].shape[1:]) != self.planes.shape[1:]:
            raise DojoError(f"the saved replay holds positions of {tuple(state['planes'].shape[1:])} bytes, this "
                            f"game's are {self.planes.shape[1:]}")
        fields = [(self.planes, state["planes"].numpy()), (self.policies, state["policies"].numpy()),
                  (self.values, state["values"].numpy())]
        if int(state.get("capacity", self.capacity)) != self.capacity:
            # replay_size changed on resume: keep the newest positions, oldest first.
            full = size == int(state["capacity"])
            order = np.roll(np.arange(size), -position) if full else np.arange(size)
            order = order[-self.capacity :]
            fields = [(mine, saved[order]) for mine, saved in fields]
            size = len(order)
            position = size % self.capacity
        for mine, saved in fields:
            mine[:size] = saved
        self.size, self.position = size, position


def symmetric(planes: np.ndarray, policies: np.ndarray, symmetry: int,
              mirrored_actions: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A batch of positions and their visit distributions under one symmetry (see ``Game.symmetries``)."""
    planes = np.rot90(planes, symmetry % 4, axes=(-2, -1))
    if symmetry >= 4:
        planes, policies = planes[..., ::-1], policies[:, list(mirrored_actions)]
    return planes, policies
