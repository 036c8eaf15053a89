"""Pictures for model cards and the CLI: image grids, scatter plots, charts and GIFs."""
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


def gif_bytes(frames: list, every: int = 2, width: int = 300, fps: int = 25) -> bytes:
    """An animated GIF of RGB frames (every `every`-th one, scaled to `width` pixels wide)."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames[::every]]
    height = round(images[0].height * width / images[0].width)
    images = [im.resize((width, height)) for im in images]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    return buf.getvalue()


def learning_curve(steps, returns, title: str, target: float | None = None, size=(480, 300)):
    """A PIL line chart of evaluation return against environment steps."""
    from PIL import Image, ImageDraw

    w, h = size
    left, right, top, bottom = 48, 30, 24, 28
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.text((left, 4), title, fill="black")
    x_max = max(max(steps), 1)
    y_max = max(max(returns), target or 0, 1)

    def xy(x, y):
        return left + (w - left - right) * x / x_max, h - bottom - (h - top - bottom) * y / y_max

    draw.line([xy(0, 0), xy(x_max, 0)], fill="black")
    draw.line([xy(0, 0), xy(0, y_max)], fill="black")
    for frac in (0, 0.5, 1):
        draw.text((2, xy(0, y_max * frac)[1] - 6), f"{y_max * frac:.0f}", fill="black")
        draw.text((xy(x_max * frac, 0)[0] - 12, h - bottom + 6), f"{x_max * frac:,.0f}", fill="black")
    if target is not None:
        draw.line([xy(0, target), xy(x_max, target)], fill=(200, 200, 200))
    draw.line([xy(x, y) for x, y in zip(steps, returns)], fill=(31, 119, 180), width=2)
    draw.text((w - 150, h - 14), "environment steps", fill="black")
    return img
