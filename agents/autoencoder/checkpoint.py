"""The autoencoder's checkpoint: ``ae.pt`` as ``train-ae`` writes it, and reading it back."""

from __future__ import annotations

import os
from typing import Any

from agents.checkpoint import load_checkpoint
from agents.common import obs_shape
from agents.config import build_config, config_to_dict
from agents.errors import DojoError
from nets.autoencoder import AutoencoderConfig, ConvAutoencoder

AGENT_NAME = "autoencoder"


def autoencoder_payload(model: ConvAutoencoder, config: AutoencoderConfig, env_id: str, env_kwargs: dict[str, Any],
                        counters: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    shape = list(model.input_shape)
    return {"agent": AGENT_NAME, "env_id": env_id, "env_kwargs": env_kwargs,
            "spaces": {"observation": {"type": "box", "shape": shape, "dtype": "uint8", "max": 255.0}},
            "config": config_to_dict(config), "model": model.state_dict(), "counters": counters, "metrics": metrics}


def load_autoencoder(path: str | os.PathLike) -> tuple[ConvAutoencoder, dict[str, Any]]:
    """The trained autoencoder (eval mode, on the CPU) and its checkpoint data; DojoError for anything else."""
    data = load_checkpoint(path, kind=AGENT_NAME)
    if data["agent"] != AGENT_NAME:
        raise DojoError(f"{path} is a {data['agent']} checkpoint, not an autoencoder one (make one with train-ae)")
    config = build_config(AutoencoderConfig, data["config"])
    try:
        model = ConvAutoencoder(obs_shape(data["spaces"]["observation"]), config.channels, config.latent,
                                config.bottleneck)
        model.load_state_dict(data["model"])
    except (RuntimeError, KeyError, TypeError, ValueError) as error:
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        raise DojoError(f"{path}: the weights do not fit an autoencoder ({first})") from None
    model.eval()
    return model, data
