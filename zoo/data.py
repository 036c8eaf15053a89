"""Datasets as whole tensors (MNIST fits in memory many times over), and batch augmentation."""
from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F

DATASETS = ("mnist", "fashion_mnist")


def default_data_root() -> Path:
    return Path(os.environ.get("ZOO_DATA", Path.home() / ".cache" / "fdl-zoo" / "data"))


def load_images(dataset: str, train: bool, root=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) through torchvision, which downloads where it can."""
    from torchvision import datasets

    classes = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}
    if dataset not in classes:
        raise ValueError(f"unknown dataset {dataset!r}; available: {', '.join(DATASETS)}")
    root = Path(root) if root is not None else default_data_root()
    try:
        ds = classes[dataset](str(root), train=train, download=True)
    except RuntimeError as e:  # no local copy and no network
        raise FileNotFoundError(
            f"{dataset} is not under {root} and could not be downloaded ({e}); "
            f"pass --data-root (or set ZOO_DATA) to a folder holding {classes[dataset].__name__}/raw/"
        ) from e
    return ds.data, ds.targets


def random_affine(x: torch.Tensor, degrees: float, scale: float, shift: float, generator=None) -> torch.Tensor:
    """Each image of the (N, C, H, W) batch rotated by up to `degrees`, scaled by up to 1±`scale`
    and shifted by up to `shift` of its half-width, all drawn independently."""
    n = x.shape[0]

    def uniform(lo, hi):
        return torch.rand(n, generator=generator, device=x.device) * (hi - lo) + lo

    angle = uniform(-degrees, degrees) * math.pi / 180
    s = uniform(1 - scale, 1 + scale)
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack(
        [torch.stack([cos, -sin, uniform(-shift, shift)], 1), torch.stack([sin, cos, uniform(-shift, shift)], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def text_file(relative: str, root=None) -> Path:
    """A file or folder of the text datasets, `<data root>/text/<relative>`, with a clear error when absent."""
    path = (Path(root) if root is not None else default_data_root()) / "text" / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; the text datasets live under <data root>/text/ "
                                "(set --data-root or ZOO_DATA to the folder that holds text/)")
    return path
