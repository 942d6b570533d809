"""Observation encoders: an MLP for vectors and a CNN for (C, H, W) planes or images.

The output size is derived from the input shape by a dummy forward pass, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class MLPEncoder(nn.Module):
    """Flattens the input and runs it through fully connected layers with tanh or ReLU."""

    def __init__(self, input_shape: Sequence[int], hidden: Sequence[int] = (64, 64), activation: str = "relu",
                 input_scale: float = 1.0) -> None:
        super().__init__()
        in_features = 1
        for dim in input_shape:
            in_features *= int(dim)
        act = _activation(activation)
        layers: list[nn.Module] = [nn.Flatten()]
        for width in hidden:
            layers += [nn.Linear(in_features, int(width)), act()]
            in_features = int(width)
        self.body = nn.Sequential(*layers)
        self.input_scale = input_scale
        self.output_dim = in_features

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs.float()
        if self.input_scale != 1.0:
            x = x * self.input_scale
        return self.body(x)


class CNNEncoder(nn.Module):
    """Conv stack for (C, H, W) inputs, then one linear layer.

    Small boards (under 16 cells a side) keep full resolution with 3x3 convs; larger images (pixels)
    downsample with strided convs like NatureCNN.
    """

    def __init__(self, input_shape: Sequence[int], channels: Sequence[int] = (32, 64, 64), features: int = 256,
                 input_scale: float = 1.0) -> None:
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(f"CNNEncoder needs a (C, H, W) input shape, got {tuple(input_shape)}")
        in_channels, height, width = (int(d) for d in input_shape)
        layers: list[nn.Module] = []
        downsample = min(height, width) >= 32
        for out_channels in channels:
            if downsample:
                layers += [nn.Conv2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1), nn.ReLU()]
            else:
                layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1), nn.ReLU()]
            in_channels = out_channels
        layers.append(nn.Flatten())
        self.conv = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, *input_shape)).shape[1]
        self.fc = nn.Sequential(nn.Linear(flat, features), nn.ReLU())
        self.input_scale = input_scale
        self.output_dim = features

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs.float()
        if self.input_scale != 1.0:
            x = x * self.input_scale
        return self.fc(self.conv(x))


ENCODER_KINDS = ("auto", "mlp", "cnn")


def make_encoder(input_shape: Sequence[int], kind: str = "auto", hidden: Sequence[int] = (64, 64),
                 activation: str = "relu", input_scale: float = 1.0, cnn_channels: Sequence[int] = (32, 64, 64),
                 cnn_features: int = 256) -> MLPEncoder | CNNEncoder:
    """The one encoder factory: ``auto`` gives a CNN for (C, H, W) inputs and an MLP for anything else; ``mlp`` and
    ``cnn`` ask for one (``hidden`` / ``activation`` shape the MLP, ``cnn_channels`` / ``cnn_features`` the CNN)."""
    if kind not in ENCODER_KINDS:
        raise ValueError(f"unknown encoder {kind!r}; choose one of {', '.join(ENCODER_KINDS)}")
    if kind == "cnn" or (kind == "auto" and len(input_shape) == 3):
        if len(input_shape) != 3:
            raise ValueError(f"encoder=cnn needs (C, H, W) observations, this env gives shape {tuple(input_shape)}")
        return CNNEncoder(input_shape, cnn_channels, cnn_features, input_scale)
    return MLPEncoder(input_shape, hidden, activation, input_scale)


def _activation(name: str) -> type[nn.Module]:
    table = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU}
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(table)}")
    return table[name]
