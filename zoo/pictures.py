"""Raster pictures for the CLI and the agents' cards: image grids, PNG and GIF bytes. Charts are in `charts`."""
from __future__ import annotations

import io

import numpy as np
import torch


def tile(images: torch.Tensor, nrow: int = 8, pad: int = 2, pad_value: float = 0.5) -> np.ndarray:
    """A (N, 1, H, W) batch in [0, 1] tiled `nrow` to a row into one (rows, columns) array, `pad` pixels of
    `pad_value` around each image."""
    images = images.detach().float().cpu().clamp(0, 1)
    n, _, h, w = images.shape
    rows = (n + nrow - 1) // nrow
    canvas = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value, dtype=np.float32)
    for i, im in enumerate(images[:, 0].numpy()):
        r, c = divmod(i, nrow)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = im
    return canvas


def grid(images: torch.Tensor, nrow: int = 8, pad: int = 2, scale: int = 2):
    """A PIL image tiling a (N, 1, H, W) batch in [0, 1], `nrow` per row, on a grey background."""
    from PIL import Image

    pil = Image.fromarray((tile(images, nrow, pad) * 255).round().astype(np.uint8))
    return pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)


def png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: list, every: int = 2, width: int = 300, fps: int = 25) -> bytes:
    """An animated GIF of RGB frames (every `every`-th one, scaled to `width` pixels wide)."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames[::every]]
    height = round(images[0].height * width / images[0].width)
    images = [im.resize((width, height)) for im in images]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    return buf.getvalue()
