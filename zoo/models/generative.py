"""The book's generative models of MNIST (ch. 10): a variational autoencoder and a DCGAN-style GAN.

Both work on images in [0, 1] of shape (N, 1, 28, 28); `sample(n, seed)` returns such images.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..registry import register_model
from ..transforms import unit_batch

PIXELS = 28 * 28


def _generator(seed, device):
    return None if seed is None else torch.Generator(device=device).manual_seed(seed)


def check_count(n, who: str = "sample") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{who} needs a whole number of samples of at least 1, got {n!r}")
    return n


class VAE(nn.Module):
    """Gaussian MLP encoder q(z|x), Bernoulli MLP decoder p(x|z), standard normal prior p(z)."""

    def __init__(self, hidden: int, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(PIXELS, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, PIXELS))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x)."""
        mu, logvar = self.encoder(self._inputs(x, "encode")).chunk(2, dim=1)
        return mu, logvar

    def _inputs(self, x, who: str) -> torch.Tensor:
        return unit_batch(x, who).to(next(self.parameters()).device)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli means of p(x|z) as images (N, 1, 28, 28)."""
        return torch.sigmoid(self.decoder(z)).view(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor):
        """(decoder logits, mu, logvar) with one reparameterised sample of z per image."""
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode_logits(z), mu, logvar

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x)[0])

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        device = next(self.parameters()).device
        z = torch.randn(check_count(n), self.latent_dim, generator=_generator(seed, device), device=device)
        return self.decode(z)

    def elbo(self, x: torch.Tensor) -> torch.Tensor:
        """Evidence lower bound per image in nats, one sample of z (x binary or in [0, 1])."""
        x = self._inputs(x, "elbo")
        return self.elbo_of(x, *self(x))

    @staticmethod
    def elbo_of(x: torch.Tensor, logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """The ELBO of flattened images `x` from the outputs of `forward(x)` (so that a training loop can call
        forward through DistributedDataParallel)."""
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return log_px_z - kl

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, k: int = 1000, chunk: int = 250) -> torch.Tensor:
        """Importance-weighted estimate of log p(x) per image in nats, with k samples from q(z|x).
        The decoder is Bernoulli, so `x` must be binary (0 or 1; e.g. `zoo.evaluation.binarize(images)`)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k is the number of importance samples, a whole number of at least 1; got {k!r}")
        x = self._inputs(x, "log_likelihood")
        if not ((x == 0) | (x == 1)).all():
            raise ValueError("log_likelihood is the likelihood of binary images under a Bernoulli decoder; every pixel "
                             "must be 0 or 1 (binarise first, e.g. zoo.evaluation.binarize(uint8_images))")
        mu, logvar = self.encode(x)
        std = (0.5 * logvar).exp()
        terms = []
        for start in range(0, k, chunk):
            eps = torch.randn(min(chunk, k - start), *mu.shape, device=x.device)  # (s, N, latent)
            z = mu + eps * std
            logits = self.decode_logits(z)
            log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
            log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
            log_qz_x = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(-1)
            terms.append(log_px_z + log_pz - log_qz_x)
        return torch.logsumexp(torch.cat(terms), dim=0) - math.log(k)


@register_model(task="image-generation", dataset="mnist", chapter=10, capabilities=("sample", "reconstruct"))
def vae_mnist(hidden: int = 500, latent_dim: int = 20):
    """The book's VAE: a 784-500-(20+20) Gaussian encoder and a 20-500-784 Bernoulli decoder."""
    return VAE(hidden, latent_dim)


class MinibatchStd(nn.Module):
    """Appends one feature map holding the batch's mean standard deviation (as in Progressive GAN), so the
    discriminator can tell a batch of too-similar fakes from real variety; this counters mode collapse."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = x.std(0, unbiased=False).mean() if len(x) > 1 else x.new_zeros(())
        return torch.cat([x, std.expand(x.shape[0], 1, x.shape[2], x.shape[3])], 1)


class GAN(nn.Module):
    """A DCGAN-style pair for 28x28 digits; `forward(z)` and `sample` give images in [0, 1]."""

    def __init__(self, latent_dim: int, width: int):
        super().__init__()
        self.latent_dim = latent_dim
        w = width
        self.generator = nn.Sequential(
            nn.Linear(latent_dim, 2 * w * 7 * 7, bias=False), nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(),
            nn.Unflatten(1, (2 * w, 7, 7)),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1), nn.Sigmoid(),
        )
        self.discriminator = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            MinibatchStd(), nn.Flatten(), nn.Linear((2 * w + 1) * 7 * 7, 1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_scripting():
            self._check_codes(z)
        return self.generator(z)

    @torch.jit.unused
    def _check_codes(self, z: torch.Tensor) -> None:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected latent codes of shape (N, {self.latent_dim}), got {tuple(z.shape)}")

    def discriminate(self, x: torch.Tensor, discriminator: nn.Module | None = None) -> torch.Tensor:
        """Logit that each image (N, 1, 28, 28) in [0, 1] is real (through `discriminator`, e.g. the
        discriminator wrapped for distributed training, instead of `self.discriminator` if given)."""
        return (discriminator or self.discriminator)(x * 2 - 1).squeeze(1)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        device = next(self.parameters()).device
        return self(torch.randn(check_count(n), self.latent_dim, generator=_generator(seed, device), device=device))


@register_model(task="image-generation", dataset="mnist", chapter=10, capabilities=("sample",))
def gan_mnist(latent_dim: int = 64, width: int = 64):
    """DCGAN-style generator and discriminator for 28x28 digits (two stride-2 stages each)."""
    return GAN(latent_dim, width)
