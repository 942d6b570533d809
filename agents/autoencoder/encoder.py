"""What an agent sees through (its config's ``encoder``): the nets' factory for ``auto``/``mlp``/``cnn``, or with
``ae:PATH`` the frozen encoder of a ``train-ae`` checkpoint under a trainable MLP."""

from __future__ import annotations

from typing import Any

from agents.autoencoder.checkpoint import load_autoencoder
from agents.common import input_scale, obs_shape
from agents.config import AE_ENCODER_PREFIX, build_config
from agents.errors import DojoError
from nets import ENCODER_KINDS, make_encoder
from nets.autoencoder import AutoencoderConfig, ConvEncoder, FrozenLatentFeatures


def build_encoder(spaces: dict[str, Any], kind: str, hidden: tuple[int, ...], activation: str,
                  cnn_channels: tuple[int, ...], cnn_features: int) -> Any:
    """The encoder for an observation space (``nets.make_encoder``), or ``ae:PATH``'s frozen one with an MLP of
    ``hidden`` widths on top."""
    if kind.startswith(AE_ENCODER_PREFIX):
        return frozen_encoder(spaces, kind[len(AE_ENCODER_PREFIX):], hidden, activation)
    if kind not in ENCODER_KINDS:
        raise DojoError(f"unknown encoder {kind!r}; choose auto, mlp, cnn or ae:PATH (a train-ae checkpoint)")
    desc = spaces["observation"]
    try:
        return make_encoder(obs_shape(desc), kind, hidden, activation, input_scale(desc), cnn_channels, cnn_features)
    except ValueError as error:
        raise DojoError(str(error)) from None


def autoencoder_path(encoder: str) -> str | None:
    """The checkpoint path of an ``ae:PATH`` encoder setting, else None."""
    return encoder[len(AE_ENCODER_PREFIX):] if encoder.startswith(AE_ENCODER_PREFIX) else None


def frozen_encoder(spaces: dict[str, Any], path: str, hidden: tuple[int, ...],
                   activation: str) -> FrozenLatentFeatures:
    """The frozen encoder of the autoencoder at ``path`` with a trainable MLP on top (``encoder=ae:PATH``).

    The first build reads the file and records the encoder (architecture and weights) in ``spaces["autoencoder"]``;
    ``spaces`` goes into the agent's checkpoints, so an agent rebuilds from its own file even once the AE file is
    gone (and a second encoder, PPO's critic, gets the same weights).
    """
    record = spaces.get("autoencoder")
    if record is None or record["source"] != path:
        if not path:
            raise DojoError("encoder=ae:PATH needs the path of an autoencoder checkpoint after 'ae:'")
        model, data = load_autoencoder(path)
        wanted = obs_shape(spaces["observation"])
        if tuple(model.input_shape) != tuple(wanted):
            raise DojoError(f"the autoencoder {path} reads observations of shape {tuple(model.input_shape)}, but "
                            f"this env gives {tuple(wanted)} (train one on this env, e.g. with obs_mode=pixels)")
        config = build_config(AutoencoderConfig, data["config"])
        record = {"source": path, "input_shape": list(model.input_shape), "channels": list(config.channels),
                  "latent": config.latent, "bottleneck": config.bottleneck,
                  "encoder": model.encoder.state_dict()}
        spaces["autoencoder"] = record
    # Agents saved before the keypoints bottleneck existed have no "bottleneck" entry: theirs is dense.
    encoder = ConvEncoder(record["input_shape"], record["channels"], int(record["latent"]),
                          record.get("bottleneck", "dense"))
    encoder.load_state_dict(record["encoder"])
    return FrozenLatentFeatures(encoder, hidden, activation)

