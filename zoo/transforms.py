"""Preprocessing that travels with each model, so raw images give correct predictions."""
from __future__ import annotations

import numpy as np
import torch

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class ImageTransform:
    """Turns raw grey images into the normalised (N, 1, H, W) float batch a model expects.

    Accepts a PIL image, a numpy array or tensor of shape (H, W), (1, H, W), (N, H, W) or
    (N, 1, H, W) (uint8 in 0..255, or float in 0..1), or a list of any of these.
    PIL images of another size or mode are converted to grey and resized.
    Digits are expected light on dark, as in MNIST.
    """

    def __init__(self, size: int = 28, mean: float = MNIST_MEAN, std: float = MNIST_STD):
        self.size, self.mean, self.std = size, mean, std

    def __call__(self, images) -> torch.Tensor:
        if isinstance(images, (list, tuple)):
            return torch.cat([self(im) for im in images])
        x = self._to_unit_tensor(images)
        if x.ndim == 2:
            x = x[None, None]
        elif x.ndim == 3:
            x = x[:, None] if x.shape[0] != 1 else x[None]
        if x.ndim != 4 or x.shape[1:] != (1, self.size, self.size):
            raise ValueError(
                f"expected grey images of shape ({self.size}, {self.size}), (N, {self.size}, {self.size}) "
                f"or (N, 1, {self.size}, {self.size}); got {tuple(x.shape)}"
            )
        return (x - self.mean) / self.std

    def _to_unit_tensor(self, image) -> torch.Tensor:
        if hasattr(image, "convert") and hasattr(image, "resize"):  # a PIL image
            image = image.convert("L")
            if image.size != (self.size, self.size):
                image = image.resize((self.size, self.size))
            image = np.asarray(image)
        x = image if torch.is_tensor(image) else torch.from_numpy(np.array(image))
        if x.dtype == torch.uint8:
            return x.float() / 255.0
        if not x.is_floating_point():
            raise TypeError(f"expected uint8 (0..255) or float (0..1) pixels, got dtype {x.dtype}")
        return x.float()

    def __repr__(self):
        return f"ImageTransform(size={self.size}, mean={self.mean}, std={self.std})"
