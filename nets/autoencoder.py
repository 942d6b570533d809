"""A convolutional autoencoder for (C, H, W) images: strided convs -> a small latent vector -> transposed convs.

Two bottlenecks turn the last conv features into the latent:
* ``dense``: a linear layer over the flattened features (the best reconstructions per float);
* ``keypoints``: a spatial softmax (Finn et al. 2016, "Deep spatial autoencoders for visuomotor learning"): each of
  latent/2 feature maps becomes the expected (x, y) of its activation, so the code says WHERE things are, as
  coordinates in [-1, 1]. A small object (Snake's apple) gets a map of its own instead of a sliver of a dense code,
  and a Q-network reads positions off it directly. The maps stay at least 16x16 for the coordinates' precision.

Every layer size is derived from the input shape by a dummy forward pass, and the decoder mirrors the sizes the
encoder saw, so odd sizes (a 10x10 board, a 63x47 image) reconstruct at exactly the input's shape.
Batch norm after each hidden conv: measured on Snake frames, it is what gets the small moving objects (snake,
apple) learned within minutes instead of a long plateau at the mean picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from nets.encoders import MLPEncoder

# A stride-2 layer halves the image; below this size there is too little left to halve, so the layer keeps it.
MIN_SIZE_TO_HALVE = 4
KEYPOINT_MAP_SIZE = 16  # the keypoint bottleneck's maps stay at least this big: a 64x64 frame's 10x10 cells stay apart
BOTTLENECKS = ("dense", "keypoints")


@dataclass
class AutoencoderConfig:
    """Architecture and training settings of the observation autoencoder (``train-ae``)."""

    latent: int = 32
    """Floats in the code each frame is compressed to."""
    channels: tuple[int, ...] = (16, 32, 64, 64)
    """Channels of each encoder conv (stride 2 while the image is big enough; the decoder mirrors them)."""
    learning_rate: float = 3e-3
    """Adam step size (decays linearly to a tenth over the run)."""
    batch_size: int = 32
    """Frames per gradient step."""
    steps: int = 3000
    """Gradient steps."""
    frames: int = 6000
    """Frames collected (training plus held-out)."""
    test_fraction: float = 0.1
    """Share of the collected frames held out to measure the reconstruction error."""
    bottleneck: str = "dense"
    """dense (a linear layer: best reconstructions) or keypoints (latent/2 spatial-softmax (x, y) points: positions)."""
    foreground_weight: float = 0.0
    """Extra loss weight on pixels that differ from the frames' median (the small moving objects: apple, head)."""
    agent_fraction: float = 0.5
    """Share of the frames played by the --checkpoint agent (when one is given; the rest is random play)."""
    torch_threads: int = 2
    """CPU threads for torch (convs on 64x64 images use more than one well)."""


class ConvEncoder(nn.Module):
    """uint8 or float (N, C, H, W) images -> (N, latent) codes; uint8 inputs are scaled into [0, 1]."""

    def __init__(self, input_shape: Sequence[int], channels: Sequence[int], latent: int,
                 bottleneck: str = "dense") -> None:
        super().__init__()
        if len(input_shape) != 3:
            raise ValueError(f"the autoencoder needs a (C, H, W) input shape, got {tuple(input_shape)}")
        if latent < 1:
            raise ValueError(f"latent must be at least 1, got {latent}")
        if not channels:
            raise ValueError("the autoencoder needs at least one conv layer (channels is empty)")
        if bottleneck not in BOTTLENECKS:
            raise ValueError(f"unknown bottleneck {bottleneck!r}; choose one of {BOTTLENECKS}")
        if bottleneck == "keypoints" and latent % 2:
            raise ValueError(f"the keypoints bottleneck needs an even latent (an x and a y per point), got {latent}")
        self.bottleneck = bottleneck
        smallest_to_halve = MIN_SIZE_TO_HALVE if bottleneck == "dense" else 2 * KEYPOINT_MAP_SIZE
        in_channels, height, width = (int(d) for d in input_shape)
        layers: list[nn.Module] = []
        self.strides: list[int] = []
        for out_channels in channels:
            if min(height, width) >= smallest_to_halve:
                layers.append(nn.Conv2d(in_channels, int(out_channels), kernel_size=4, stride=2, padding=1))
                height, width = height // 2, width // 2
                self.strides.append(2)
            else:
                layers.append(nn.Conv2d(in_channels, int(out_channels), kernel_size=3, stride=1, padding=1))
                self.strides.append(1)
            layers += [nn.BatchNorm2d(int(out_channels)), nn.ReLU()]
            in_channels = int(out_channels)
        self.conv = nn.Sequential(*layers)
        self.input_shape = tuple(int(d) for d in input_shape)
        with torch.no_grad():
            self.feature_shape = tuple(self.conv(torch.zeros(1, *self.input_shape)).shape[1:])
        flat = self.feature_shape[0] * self.feature_shape[1] * self.feature_shape[2]
        self.output_dim = int(latent)
        if bottleneck == "dense":
            self.fc: nn.Module = nn.Linear(flat, int(latent))
        else:
            self.fc = SpatialSoftmax(self.feature_shape, int(latent) // 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        features = self.conv(x)
        return self.fc(features.flatten(1)) if self.bottleneck == "dense" else self.fc(features)


class SpatialSoftmax(nn.Module):
    """(N, C, H, W) features -> (N, 2 * points): a 1x1 conv to ``points`` maps, each map's softmax over the pixels,
    and the expected (x, y) under it (all x first, then all y), in [-1, 1] from left/top to right/bottom."""

    def __init__(self, feature_shape: Sequence[int], points: int) -> None:
        super().__init__()
        channels, height, width = (int(d) for d in feature_shape)
        self.maps = nn.Conv2d(channels, points, kernel_size=1)
        # Learned sharpness: a soft spread early in training, then peaks that sit on one object.
        self.log_temperature = nn.Parameter(torch.zeros(1))
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
        self.register_buffer("xs", xs.reshape(-1), persistent=False)
        self.register_buffer("ys", ys.reshape(-1), persistent=False)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        logits = self.maps(features).flatten(2) / self.log_temperature.exp()  # (N, points, H * W)
        weights = torch.softmax(logits, dim=-1)
        return torch.cat([weights @ self.xs, weights @ self.ys], dim=1)


class ConvDecoder(nn.Module):
    """(N, latent) codes -> (N, C, H, W) images in [0, 1], mirroring an encoder's layers and sizes."""

    def __init__(self, encoder: ConvEncoder, channels: Sequence[int]) -> None:
        super().__init__()
        self.feature_shape = encoder.feature_shape
        flat = self.feature_shape[0] * self.feature_shape[1] * self.feature_shape[2]
        self.fc = nn.Sequential(nn.Linear(encoder.output_dim, flat), nn.ReLU())
        # The spatial size before each encoder layer: a transposed conv's output_padding restores the odd
        # pixel that the encoder's floor division dropped.
        sizes = [encoder.input_shape[1:]]
        for stride in encoder.strides:
            height, width = sizes[-1]
            sizes.append((height // stride, width // stride))
        outs = [encoder.input_shape[0], *(int(c) for c in channels[:-1])]
        layers: list[nn.Module] = []
        for index in reversed(range(len(encoder.strides))):
            in_channels, out_channels = int(channels[index]), outs[index]
            if encoder.strides[index] == 2:
                target, source = sizes[index], sizes[index + 1]
                padding = (target[0] - 2 * source[0], target[1] - 2 * source[1])
                layers.append(nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1,
                                                 output_padding=padding))
            else:
                layers.append(nn.ConvTranspose2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1))
            layers += [nn.BatchNorm2d(out_channels), nn.ReLU()] if index > 0 else [nn.Sigmoid()]
        self.deconv = nn.Sequential(*layers)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.fc(codes).view(-1, *self.feature_shape))


class ConvAutoencoder(nn.Module):
    """Encoder and decoder; ``forward(x)`` returns ``(reconstruction, code)``."""

    def __init__(self, input_shape: Sequence[int], channels: Sequence[int] = (16, 32, 64, 64),
                 latent: int = 32, bottleneck: str = "dense") -> None:
        super().__init__()
        self.encoder = ConvEncoder(input_shape, channels, latent, bottleneck)
        self.decoder = ConvDecoder(self.encoder, channels)
        self.input_shape = self.encoder.input_shape
        self.latent = int(latent)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.encoder(images)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(codes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.encoder(images)
        return self.decoder(code), code


class FrozenLatentFeatures(nn.Module):
    """A trained encoder, frozen (no gradients, batch norm kept in eval mode), with a trainable MLP on top.

    The encoder's weights stay in this module's state_dict, so a model that uses it saves and loads on its own.
    """

    def __init__(self, encoder: ConvEncoder, hidden: Sequence[int], activation: str = "relu") -> None:
        super().__init__()
        self.encoder = encoder
        for parameter in self.encoder.parameters():
            parameter.requires_grad_(False)
        self.mlp = MLPEncoder((encoder.output_dim,), hidden, activation)
        self.output_dim = self.mlp.output_dim
        self.train(True)

    def train(self, mode: bool = True) -> FrozenLatentFeatures:
        super().train(mode)
        # Train mode would update the batch-norm statistics and make codes depend on the batch.
        self.encoder.eval()
        return self

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            code = self.encoder(obs)
        return self.mlp(code)
