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


DIGIT_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def scatter(points: torch.Tensor, labels: torch.Tensor, title: str, size: int = 360):
    """A PIL scatter plot of 2-D `points` coloured by digit label, with a title and a colour key."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size + 24), "white")
    draw = ImageDraw.Draw(img)
    draw.text((6, 4), title, fill="black")
    for d, colour in enumerate(DIGIT_COLOURS):
        draw.text((size - 10 * (10 - d) - 4, 4), str(d), fill=colour)
    p = points.double()
    lo, hi = p.quantile(0.005, dim=0), p.quantile(0.995, dim=0)
    xy = ((p - lo) / (hi - lo)).clamp(0, 1) * (size - 12) + 6
    for (x, y), label in zip(xy.tolist(), labels.tolist()):
        draw.rectangle((x, 24 + size - y, x + 1, 25 + size - y), fill=DIGIT_COLOURS[label])
    return img


def side_by_side(*images):
    from PIL import Image

    out = Image.new("RGB", (sum(i.width for i in images), max(i.height for i in images)), "white")
    x = 0
    for im in images:
        out.paste(im.convert("RGB"), (x, 0))
        x += im.width
    return out
