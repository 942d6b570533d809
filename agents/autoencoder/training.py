"""Training the observation autoencoder (nets/autoencoder.py) on frames, and measuring it on held-out ones."""

from __future__ import annotations

import math

import numpy as np
import torch

from nets.autoencoder import AutoencoderConfig, ConvAutoencoder

MEDIAN_FRAMES = 1_000  # frames the background (the per-pixel median) is taken from


def reconstruction_mse(model: ConvAutoencoder, frames: np.ndarray, device: torch.device,
                       batch_size: int = 256) -> float:
    """Mean squared error per pixel and channel, with pixels in [0, 1]."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(frames), batch_size):
            batch = torch.as_tensor(frames[start : start + batch_size], device=device)
            recon, _ = model(batch)
            total += float(((recon - batch.float() / 255.0) ** 2).sum())
    return total / frames.size


def psnr_db(mse: float) -> float:
    """Peak signal-to-noise ratio for pixels in [0, 1]."""
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf")


def train_autoencoder(train: np.ndarray, config: AutoencoderConfig, device: torch.device, seed: int,
                      progress: bool = True) -> tuple[ConvAutoencoder, float]:
    """Train on uint8 frames with MSE and Adam (learning rate decaying linearly to a tenth); returns the last loss."""
    from tqdm import tqdm

    torch.manual_seed(seed)
    model = ConvAutoencoder(train.shape[1:], config.channels, config.latent, config.bottleneck).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - 0.9 * step / config.steps)
    frames = torch.as_tensor(train)  # stays on the CPU: only each batch goes to the device
    # Plain MSE is dominated by the static background: a blurry apple costs a few pixels' error out of 12k, yet it
    # is what an agent most needs to see. Pixels away from the median frame weigh more when foreground_weight > 0.
    weighted = config.foreground_weight > 0
    background = frames[:MEDIAN_FRAMES].float().median(dim=0).values.to(device) / 255.0 if weighted else None
    generator = torch.Generator().manual_seed(seed)
    batch_size = min(config.batch_size, len(train))
    loss_value = float("nan")
    model.train()
    with tqdm(total=config.steps, desc="train-ae", unit="step", disable=not progress, dynamic_ncols=True) as bar:
        for step in range(config.steps):
            batch = frames[torch.randint(len(frames), (batch_size,), generator=generator)].to(device)
            recon, _ = model(batch)
            target = batch.float() / 255.0
            if weighted:
                weight = 1.0 + config.foreground_weight * (target - background).abs().amax(dim=1, keepdim=True)
                loss = (weight * (recon - target) ** 2).mean() / weight.mean()
            else:
                loss = torch.nn.functional.mse_loss(recon, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % 50 == 0 or step == config.steps - 1:
                loss_value = float(loss.item())
                bar.set_postfix_str(f"loss {loss_value:.5f}, {psnr_db(loss_value):.1f} dB")
            bar.update(1)
    model.eval()
    return model, loss_value
