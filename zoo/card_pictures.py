"""The pictures on the image models' cards, drawn from a model (and test images) alone, so a training
script and `scripts/redraw_pictures.py` make the same files. Each function returns {filename: PNG bytes}."""
from __future__ import annotations

import torch

from . import charts


def _line(ends: torch.Tensor, steps: int = 10) -> torch.Tensor:
    """`steps` points on the straight line between ends[0] and ends[1] (also batched: ends (2, B, D) gives
    (B * steps, D), each row of `steps` one line)."""
    points = torch.stack([ends[0] + (ends[1] - ends[0]) * t for t in torch.linspace(0, 1, steps)], dim=-2)
    return points.flatten(0, -2)


def accuracy_curve(name: str, history: list[dict]) -> bytes:
    """A classifier's test accuracy after each epoch, from its training history."""
    return charts.line_chart({"test accuracy": ([h["epoch"] for h in history], [h["test_accuracy"] for h in history])},
                             "epoch", "test accuracy", f"{name}: test accuracy after each epoch", percent=True,
                             markers=True)


@torch.no_grad()
def autoencoder_pictures(model, test: torch.Tensor, labels: torch.Tensor, mean: torch.Tensor,
                         components: torch.Tensor) -> dict:
    """Test images (N, 1, 28, 28) in [0, 1] above the model's reconstructions and those of PCA (`mean`,
    `components` fitted on the training images, as many as the code has dimensions); for a 2-D code, the
    test set's codes coloured by `labels` beside PCA's projection as well."""
    from .evaluation import pca_reconstruct

    name = model.zoo_name
    pca_recon = pca_reconstruct(test[:16].flatten(1), mean, components).view_as(test[:16])
    files = {"reconstructions.png": charts.image_rows(
        [("test images", test[:16]), (name, model.reconstruct(test[:16])), ("PCA", pca_recon)],
        f"{name}: reconstructions of the first 16 test images")}
    if len(components) == 2:
        pca_codes = (test.flatten(1).double() - mean) @ components.T
        files["codes.png"] = charts.labelled_scatter(
            [(f"{name} codes", model.encode(test).numpy(), labels.numpy()),
             ("PCA, first two components", pca_codes.numpy(), labels.numpy())],
            f"The {len(test):,} test digits in two dimensions", xlabel="code 1", ylabel="code 2")
    return files


@torch.no_grad()
def denoising_pictures(model, clean: torch.Tensor, noise: float) -> dict:
    """16 test images (N, 1, 28, 28) in [0, 1] with `noise` of their pixels masked (seed 1), the model's
    outputs, and the clean images."""
    from .evaluation import corrupt

    noisy = corrupt(clean[:16], noise, torch.Generator().manual_seed(1))
    return {"denoising.png": charts.image_rows(
        [(f"input, {noise:.0%} masked", noisy), ("denoised", model.reconstruct(noisy)), ("clean", clean[:16])],
        f"{model.zoo_name}: denoising test images")}


def sparse_feature_pictures(model, count: int = 100) -> dict:
    weights = model.encoder[0].weight.detach()[:count].view(-1, 28, 28)
    return {"features.png": charts.filters(weights.numpy(), f"{model.zoo_name}: the first {count} hidden units' "
                                           "input weights (white positive, black negative, grey zero)")}


@torch.no_grad()
def vae_pictures(model, test_images: torch.Tensor) -> dict:
    """Samples (seed 0), 16 binarised test digits above their reconstructions, and a walk through the
    latent space between the codes of two test digits. `test_images`: the uint8 test set."""
    from .evaluation import binarize

    name = model.zoo_name
    originals = binarize(test_images[:16])
    ends = model.encode(binarize(test_images[:2], seed=1))[0]
    return {
        "samples.png": charts.image_grid(model.sample(64, seed=0), f"{name}: 64 samples (seed 0)"),
        "reconstructions.png": charts.image_rows(
            [("test images", originals), ("reconstructions", model.reconstruct(originals))],
            f"{name}: binarised test digits and their reconstructions"),
        "interpolation.png": charts.image_grid(model.decode(_line(ends)), f"{name}: decoded along a straight line "
                                               "between two test digits' codes", nrow=10),
    }


@torch.no_grad()
def gan_pictures(model) -> dict:
    """Samples (seed 0) and a latent walk: each row a straight line between two random codes (seed 1)."""
    name = model.zoo_name
    ends = torch.randn(2, 8, model.latent_dim, generator=torch.Generator().manual_seed(1))
    return {"samples.png": charts.image_grid(model.sample(64, seed=0), f"{name}: 64 samples (seed 0)"),
            "latent_walk.png": charts.image_grid(model(_line(ends)), f"{name}: each row a straight line "
                                                 "between two random codes", nrow=10)}


def score_pictures(model) -> dict:
    """Samples (seed 0), and the sampler turning noise into digits: for 8 samples (seed 1), each a column, the
    model's estimate of the clean digit at 8 evenly spaced noise levels of the way down."""
    name = model.zoo_name
    _, path = model.sample(8, seed=1, return_path=True)
    levels = model.default_steps
    shown = torch.linspace(0, levels - 1, len(path)).round().long().tolist()
    return {"samples.png": charts.image_grid(model.sample(64, seed=0), f"{name}: 64 samples (seed 0, {levels} noise levels)"),
            "trajectory.png": charts.image_rows([(f"level {i + 1}", images) for i, images in zip(shown, path)],
                                                f"{name}: the digits it sees in the noise, level by level ({levels} levels, seed 1)")}
