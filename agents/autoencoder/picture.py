"""The originals-vs-reconstructions picture of ``train-ae``, written as a PNG by a few lines of zlib (no pygame)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from nets.autoencoder import ConvAutoencoder


def write_png(path: Path, picture: np.ndarray) -> Path:
    """Write an (H, W, 3) uint8 RGB array as an 8-bit PNG."""
    height, width = picture.shape[:2]
    rows = np.ascontiguousarray(picture, dtype=np.uint8).reshape(height, width * 3)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # each scanline: filter type 0, then its pixels

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
                     + chunk(b"IEND", b""))
    return path


def save_comparison(path: Path, model: ConvAutoencoder, frames: np.ndarray, device: torch.device) -> Path:
    """A PNG: originals on the top row, their reconstructions below, each frame drawn at twice its size."""
    with torch.no_grad():
        recon, _ = model(torch.as_tensor(frames, device=device))
    recon_frames = (recon.clamp(0, 1) * 255.0).round().to(torch.uint8).cpu().numpy()
    rows = [np.concatenate(list(row), axis=2) for row in (frames, recon_frames)]
    picture = np.concatenate(rows, axis=1).transpose(1, 2, 0)  # (H, W, C)
    picture = picture.repeat(2, axis=0).repeat(2, axis=1)
    if picture.shape[2] == 1:
        picture = picture.repeat(3, axis=2)
    return write_png(path, picture)
