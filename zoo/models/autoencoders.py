"""The book's autoencoders of MNIST (ch. 8): deep, denoising and sparse.

Each works on images in [0, 1] of shape (N, 1, 28, 28) or (N, 784): `encode(x)` gives the code,
`decode(z)` images, `reconstruct(x)` both at once.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..registry import register_model
from ..transforms import unit_batch

PIXELS = 28 * 28


def _mlp(sizes, last_activation=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers += [nn.BatchNorm1d(b), nn.ReLU()]
    if last_activation is not None:
        layers.append(last_activation)
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    def __init__(self, hidden: tuple, code_dim: int, code_activation=None):
        super().__init__()
        self.code_dim = code_dim
        self.encoder = _mlp([PIXELS, *hidden, code_dim], code_activation)
        self.decoder = _mlp([code_dim, *reversed(hidden), PIXELS], nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(unit_batch(x, "encode").to(next(self.parameters()).device))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(z) or not z.is_floating_point() or z.ndim != 2 or z.shape[1] != self.code_dim:
            raise ValueError(f"decode expects codes of shape (N, {self.code_dim}), got {tuple(z.shape) if torch.is_tensor(z) else type(z).__name__}")
        return self.decoder(z.float()).view(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor, return_code: bool = False):
        """The reconstruction of `x`, and with `return_code` the code as well: (reconstruction, code)."""
        code = self.encode(x)
        return (self.decode(code), code) if return_code else self.decode(code)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)


@register_model(task="representation-learning", dataset="mnist", chapter=8, capabilities=("reconstruct",))
def autoencoder_mnist(code_dim: int = 30, hidden: tuple = (1000, 500, 250)):
    """The book's deep autoencoder: 784-1000-500-250-code and its mirror, 30-dimensional code."""
    return Autoencoder(hidden, code_dim)


@register_model(task="representation-learning", dataset="mnist", chapter=8, capabilities=("reconstruct",))
def autoencoder2d_mnist(code_dim: int = 2, hidden: tuple = (1000, 500, 250)):
    """The book's deep autoencoder with a 2-dimensional code, for pictures of the code space."""
    return Autoencoder(hidden, code_dim)


@register_model(task="representation-learning", dataset="mnist", chapter=8, capabilities=("reconstruct",))
def denoising_autoencoder_mnist(code_dim: int = 30, hidden: tuple = (1000, 500, 250)):
    """The deep autoencoder trained to restore corrupted inputs to the clean image."""
    return Autoencoder(hidden, code_dim)


@register_model(task="representation-learning", dataset="mnist", chapter=8, capabilities=("reconstruct",))
def sparse_autoencoder_mnist(code_dim: int = 1000):
    """An overcomplete single hidden layer of sigmoid units, kept sparse by a KL penalty during training."""
    return Autoencoder((), code_dim, code_activation=nn.Sigmoid())
