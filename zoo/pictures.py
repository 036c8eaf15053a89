"""PNG pictures of image batches, for model cards and the `zoo sample` command."""
from __future__ import annotations

import io

import numpy as np
import torch


def grid(images: torch.Tensor, nrow: int = 8, pad: int = 2, scale: int = 2):
    """A PIL image tiling a (N, 1, H, W) batch in [0, 1], `nrow` per row, on a grey background."""
    from PIL import Image

    images = images.detach().float().cpu().clamp(0, 1)
    n, _, h, w = images.shape
    rows = (n + nrow - 1) // nrow
    canvas = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), 0.5, dtype=np.float32)
    for i, im in enumerate(images[:, 0].numpy()):
        r, c = divmod(i, nrow)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = im
    pil = Image.fromarray((canvas * 255).round().astype(np.uint8))
    return pil.resize((pil.width * scale, pil.height * scale), Image.NEAREST)


def png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
