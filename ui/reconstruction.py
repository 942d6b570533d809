"""The autoencoder beside the watched game: the 64x64 frame the agent sees, the AE's reconstruction and its PSNR.

The frame is the observation itself where the agent sees pixels (``obs_mode="pixels"``, what ``encoder=ae:PATH``
reads), else the rendered picture area-downscaled to 64x64 the way ``train-ae`` collects it. Reconstructing takes
about 2 ms, but downscaling a big render (CartPole's 600x400) about 14 ms (bench/bench_ui_predict.py): a frame that
cost more than FRAME_BUDGET_S is followed by a pause of SLOW_REFRESH_S before the next one, so the picture updates
every frame where it is cheap and ten times a second where it is not.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pygame
import torch

from agents.autoencoder import load_autoencoder, psnr_db
from agents.autoencoder.encoder import autoencoder_path
from agents.errors import DojoError
from envs.common import downscale
from ui import catalog, style
from ui.session import View

FRAME_BUDGET_S = 0.005
SLOW_REFRESH_S = 0.1


class Reconstruction:
    """Keeps the latest frame, its reconstruction and their PSNR; draws them side by side."""

    def __init__(self, model: Any, latent: int, env_id: str) -> None:
        """``model``: a trained autoencoder, as ``agents.autoencoder.load_autoencoder`` gives it."""
        self.model = model
        self.latent = latent
        self.env_id = env_id  # the env whose frames it was trained on
        self.visible = True
        self.psnr = float("nan")
        self.seconds = 0.0  # what the last refresh cost
        self.images: tuple[pygame.Surface, pygame.Surface] | None = None
        self.agent_view = False  # whether the frame is the agent's own observation (else the scaled-down render)
        self._view: View | None = None
        self._next = 0.0

    def frame_of(self, view: View) -> np.ndarray:
        """The (3, 64, 64) uint8 frame the AE reads for ``view``."""
        shape = tuple(self.model.input_shape)
        obs = view.obs
        if isinstance(obs, np.ndarray) and obs.shape == shape and obs.dtype == np.uint8:
            return obs
        return np.ascontiguousarray(downscale(np.asarray(view.frame), shape[-1]).transpose(2, 0, 1))

    def update(self, view: View | None) -> None:
        """Reconstruct ``view``'s frame unless hidden, already shown, or too soon after a slow refresh."""
        started = time.perf_counter()
        if not self.visible or view is None or view is self._view or started < self._next:
            return
        frame = self.frame_of(view)
        self.agent_view = frame is view.obs
        original = torch.as_tensor(frame).float() / 255.0
        with torch.no_grad():
            recon = self.model(torch.as_tensor(frame)[None])[0][0].clamp(0.0, 1.0)
        self.psnr = psnr_db(float(((recon - original) ** 2).mean()))
        pixels = (recon * 255.0).round().to(torch.uint8).numpy()
        self.images = (style.array_to_surface(frame.transpose(1, 2, 0)),
                       style.array_to_surface(pixels.transpose(1, 2, 0)))
        self._view = view
        self.seconds = time.perf_counter() - started
        self._next = started + (SLOW_REFRESH_S if self.seconds > FRAME_BUDGET_S else 0.0)

    def draw(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Title, the two frames scaled up (crisp pixels), their captions and the PSNR, inside ``rect``."""
        style.draw_text(surface, "AUTOENCODER", (rect.x, rect.y), style.SMALL, style.TEXT_DIM)
        if self.images is None:
            style.draw_text(surface, "waiting for a frame...", rect.center, style.BODY, style.TEXT_DIM, "center")
            return
        gap = 12
        side = max(16, min((rect.width - gap) // 2, rect.height - 96))
        top = rect.y + 26
        captions = ("what the agent sees" if self.agent_view else "the game at 64x64",
                    f"rebuilt from {self.latent} floats")
        for index, (image, caption) in enumerate(zip(self.images, captions)):
            x = rect.x + index * (side + gap)
            surface.blit(pygame.transform.scale(image, (side, side)), (x, top))
            style.draw_text(surface, caption, (x, top + side + 6), style.SMALL, style.TEXT_DIM, max_width=side)
        style.draw_text(surface, f"PSNR {self.psnr:.1f} dB", (rect.x, top + side + 30), style.LABEL, style.ACCENT)


def open_reconstruction(path: str) -> Reconstruction:
    """The autoencoder of a ``train-ae`` checkpoint, ready to draw; one-line errors for anything else."""
    model, data = load_autoencoder(path)
    return Reconstruction(model, int(data["config"]["latent"]), str(data["env_id"]))


def reconstruction_for(trainer: Any, given: Reconstruction | None) -> tuple[Reconstruction | None, str]:
    """What the watch screen shows beside the game: ``given`` (``watch --ae``), else the agent's own autoencoder
    (``encoder=ae:PATH``), else none; plus a line for the user when the agent's AE file cannot be read (the
    agent's checkpoint carries the encoder, not the decoder a reconstruction needs)."""
    if given is not None:
        if given.env_id != trainer.env_id:
            raise DojoError(f"that autoencoder was trained on {catalog.title(given.env_id)} frames, not "
                            f"{catalog.title(trainer.env_id)} ones")
        return given, ""
    path = autoencoder_path(str(getattr(trainer.config, "encoder", "")))
    if path is None:
        return None, ""
    try:
        return open_reconstruction(path), ""
    except DojoError as error:
        return None, f"no reconstructions: the agent's autoencoder cannot be read ({error}); use watch --ae PATH"
