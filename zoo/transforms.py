"""Preprocessing that travels with each model, so raw images give correct predictions."""
from __future__ import annotations

import numpy as np
import torch

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
FASHION_MNIST_MEAN, FASHION_MNIST_STD = 0.2860, 0.3530  # of the 60,000 training images


class ImageTransform:
    """Turns raw grey images into the normalised (N, 1, H, W) float batch a model expects.

    Accepts a PIL image, a numpy array or tensor of shape (H, W), (1, H, W), (N, H, W) or
    (N, 1, H, W) (uint8 in 0..255, or float in 0..1), or a list of any of these.
    PIL images of another size or mode are converted to grey and resized.
    Images are expected light on dark, as in MNIST and FashionMNIST. Anything else is refused with a ValueError or
    TypeError that says what is allowed: float pixels outside [0, 1] (e.g. 0..255 as floats), NaN,
    empty images, and arrays of 3 or 4 channels, which could be one colour image or a batch of grey ones
    (pass colour images as PIL images, and 3 or 4 grey images as (N, 1, H, W)).
    """

    def __init__(self, size: int = 28, mean: float = MNIST_MEAN, std: float = MNIST_STD):
        self.size, self.mean, self.std = size, mean, std

    def __call__(self, images) -> torch.Tensor:
        if isinstance(images, (list, tuple)):
            return torch.cat([self(im) for im in images])
        x = self._to_unit_tensor(images)
        if x.ndim == 3 and x.shape[0] in (3, 4) or x.ndim >= 3 and x.shape[-1] in (3, 4):
            raise ValueError(
                f"an array of shape {tuple(x.shape)} could be a colour image or a batch of grey images; pass colour "
                f"images as PIL images, and grey ones as ({self.size}, {self.size}) or (N, 1, {self.size}, {self.size})")
        if x.ndim == 2:
            x = x[None, None]
        elif x.ndim == 3:
            x = x[:, None] if x.shape[0] != 1 else x[None]
        if x.ndim != 4 or x.shape[1:] != (1, self.size, self.size) or x.shape[0] == 0:
            raise ValueError(
                f"expected grey images of shape ({self.size}, {self.size}), (N, {self.size}, {self.size}) "
                f"or (N, 1, {self.size}, {self.size}) with N >= 1; got {tuple(x.shape)}"
            )
        return (x - self.mean) / self.std

    def _to_unit_tensor(self, image) -> torch.Tensor:
        if hasattr(image, "convert") and hasattr(image, "resize"):  # a PIL image
            if image.width == 0 or image.height == 0:
                raise ValueError(f"the image is empty ({image.width}x{image.height} pixels)")
            image = image.convert("L")
            if image.size != (self.size, self.size):
                image = image.resize((self.size, self.size))
            image = np.asarray(image)
        return unit_pixels(image)

    def __repr__(self):
        return f"ImageTransform(size={self.size}, mean={self.mean}, std={self.std})"


def unit_pixels(images) -> torch.Tensor:
    """Pixels in [0, 1] as float32: uint8 (0..255) is divided by 255, floats of any precision must already
    lie in [0, 1]; NaN, other ranges and other dtypes are refused, naming what is allowed."""
    x = images if torch.is_tensor(images) else torch.from_numpy(np.array(images))
    if x.dtype == torch.uint8:
        return x.float() / 255.0
    if not x.is_floating_point():
        raise TypeError(f"expected uint8 pixels (0..255) or float pixels (0..1), got dtype {x.dtype}")
    x = x.float()
    if x.numel() and not torch.isfinite(x).all():
        raise ValueError("the images contain NaN or infinite pixels; pixels must be uint8 (0..255) or floats in [0, 1]")
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"float pixels must lie in [0, 1], got values from {x.min().item():g} to {x.max().item():g}; "
                         "pass 0..255 images as uint8")
    return x


def unit_batch(images, who: str, size: int = 28) -> torch.Tensor:
    """A batch of images in [0, 1] as (N, size * size) float32, for the autoencoders and the VAE: accepts
    (N, 1, size, size) or (N, size * size), uint8 or float; anything else is a clear error."""
    x = unit_pixels(images)
    if x.ndim == 4 and x.shape[1:] == (1, size, size) and len(x):
        return x.flatten(1)
    if x.ndim == 2 and x.shape[1] == size * size and len(x):
        return x
    raise ValueError(f"{who} expects images (uint8, or floats in [0, 1]) of shape (N, 1, {size}, {size}) or "
                     f"(N, {size * size}) with N >= 1, got {tuple(x.shape)}")
