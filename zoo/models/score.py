"""A score-based generative model of MNIST (ch. 10): a noise-conditional score network trained by denoising
score matching, sampled by running the reverse-time SDE with Langevin corrections, Song et al.'s
predictor-corrector sampler (2021, "Score-Based Generative Modeling through Stochastic Differential
Equations").

The noise follows the variance-exploding SDE dx = sigma^t dw for t in [0, 1]: an image x(0) in [0, 1]
becomes x(t) = x(0) + std(t) z with std(t)^2 = (sigma^(2t) - 1) / (2 ln sigma), so noise levels range
from 0 to about sigma / sqrt(2 ln sigma) (9.9 for sigma = 25), more than the distance between two digits.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..registry import register_model
from .generative import _generator, check_count

T_MIN = 1e-5  # the smallest time trained and sampled: std(T_MIN) is about 0.003
# The Langevin corrector's step: its score move is this share of its noise's size. Song et al. use 0.16 for
# VE SDEs; for this model 0.3 gives a lower MNIST-FID and surer digits (0.45 and 0.7 were worse on FID).
CORRECTOR_SNR = 0.3


class FourierTime(nn.Module):
    """Random Fourier features of the time (fixed, not trained), the usual embedding of a noise level."""

    def __init__(self, dim: int, scale: float = 30.0):
        super().__init__()
        self.register_buffer("w", torch.randn(dim // 2, generator=torch.Generator().manual_seed(0)) * scale)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        angles = t[:, None] * self.w[None] * 2 * math.pi
        return torch.cat([angles.sin(), angles.cos()], dim=1)


class Stage(nn.Module):
    """A (transposed) convolution, plus the time embedding as a per-channel bias, then GroupNorm and SiLU."""

    def __init__(self, conv: nn.Module, channels: int, embed_dim: int):
        super().__init__()
        self.conv, self.time, self.norm = conv, nn.Linear(embed_dim, channels), nn.GroupNorm(min(32, channels // 4), channels)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        return F.silu(self.norm(self.conv(x) + self.time(embedding)[:, :, None, None]))


class ScoreNet(nn.Module):
    """The score s(x, t) ~ grad log p_t(x) of images (N, 1, 28, 28) at time t, from a small U-Net (four stages
    down: 28, 26, 12, 5, 2; three up with skip connections) preconditioned as Karras et al. (2022, "Elucidating
    the Design Space of Diffusion-Based Generative Models") advise. The U-Net reads the noisy image scaled to
    unit variance and predicts a mix of the clean image and the noise, which gives a denoised image D(x, t); the
    score is (D - x) / std(t)^2. The mix is chosen so that the U-Net's target has unit variance at every level:
    near the clean image the U-Net predicts the noise, at high noise the image."""

    def __init__(self, channels: tuple = (32, 64, 128, 256), embed_dim: int = 256, sigma: float = 25.0,
                 default_steps: int = 250, sigma_data: float = 0.31):
        super().__init__()
        c1, c2, c3, c4 = channels
        self.sigma, self.default_steps, self.sigma_data = sigma, default_steps, sigma_data
        self.embed = nn.Sequential(FourierTime(embed_dim), nn.Linear(embed_dim, embed_dim), nn.SiLU())
        self.down = nn.ModuleList([
            Stage(nn.Conv2d(1, c1, 3, bias=False), c1, embed_dim),
            Stage(nn.Conv2d(c1, c2, 3, stride=2, bias=False), c2, embed_dim),
            Stage(nn.Conv2d(c2, c3, 3, stride=2, bias=False), c3, embed_dim),
            Stage(nn.Conv2d(c3, c4, 3, stride=2, bias=False), c4, embed_dim),
        ])
        self.up = nn.ModuleList([
            Stage(nn.ConvTranspose2d(c4, c3, 3, stride=2, bias=False), c3, embed_dim),
            Stage(nn.ConvTranspose2d(2 * c3, c2, 3, stride=2, output_padding=1, bias=False), c2, embed_dim),
            Stage(nn.ConvTranspose2d(2 * c2, c1, 3, stride=2, output_padding=1, bias=False), c1, embed_dim),
        ])
        self.out = nn.ConvTranspose2d(2 * c1, 1, 3)

    def std(self, t: torch.Tensor) -> torch.Tensor:
        """The noise level of time t: the standard deviation of x(t) given x(0)."""
        return torch.sqrt((self.sigma ** (2 * t) - 1) / (2 * math.log(self.sigma)))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_scripting():
            self._check_inputs(x, t)
        std = self.std(t)[:, None, None, None]
        variance = std ** 2 + self.sigma_data ** 2  # of x(t), for digits of pixel deviation sigma_data
        denoised = (self.sigma_data ** 2 / variance * x
                    + std * self.sigma_data / variance.sqrt() * self.unet(x / variance.sqrt(), t))
        return (denoised - x) / std ** 2

    def unet(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.embed(t)
        skips = []
        for stage in self.down:
            x = stage(x, e)
            skips.append(x)
        skips.pop()  # the bottom stage feeds the first up stage directly
        for i, stage in enumerate(self.up):
            x = stage(x if i == 0 else torch.cat([x, skips.pop()], 1), e)
        return self.out(torch.cat([x, skips.pop()], 1))

    @torch.jit.unused
    def _check_inputs(self, x: torch.Tensor, t: torch.Tensor) -> None:
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28) or t.shape != x.shape[:1]:
            raise ValueError(f"expected images (N, 1, 28, 28) and times (N,), got {tuple(x.shape)} and {tuple(t.shape)}")

    def loss(self, x: torch.Tensor, generator=None) -> torch.Tensor:
        """Denoising score matching over noise levels, weighted by std(t)^2 so every level counts alike:
        || std(t) s(x + std(t) z, t) + z ||^2 per image, for t uniform in [T_MIN, 1]."""
        t = torch.rand(len(x), generator=generator, device=x.device) * (1 - T_MIN) + T_MIN
        z = torch.randn(x.shape, generator=generator, device=x.device)
        std = self.std(t)[:, None, None, None]
        return (self(x + std * z, t) * std + z).pow(2).sum((1, 2, 3)).mean()

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, steps: int | None = None, batch_size: int = 1000,
               return_path: bool = False, corrector: bool = True):
        """`n` images (N, 1, 28, 28) in [0, 1] by the predictor-corrector sampler, at `steps` noise levels
        (default `default_steps`) from pure noise at t = 1 down to T_MIN: at each level, one step of Langevin
        dynamics at that level (the corrector: the book's sampler), then one Euler-Maruyama step of the
        reverse-time SDE to the next level (the predictor); the last predictor step without its noise. Each
        level costs two evaluations of the network; `corrector=False` runs the predictor alone, one. With
        `return_path`, also the model's estimate of the clean images (from the noisy ones and their score, by
        Tweedie's formula) at 8 evenly spaced levels of the way (every level if fewer), (8, N, 1, 28, 28), first
        level first."""
        steps = self.default_steps if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
        check_count(n)
        device = next(self.parameters()).device
        gen = _generator(seed, device)
        chunks = [self._solve(min(batch_size, n - i), steps, corrector, gen, device) for i in range(0, n, batch_size)]
        images = torch.cat([c[0] for c in chunks])
        return (images, torch.cat([c[1] for c in chunks], 1)) if return_path else images

    def _solve(self, n: int, steps: int, corrector: bool, gen, device):
        # Levels evenly spaced in t: about geometric in noise above 0.5, even in its variance below, so few go
        # to the finest noise (18 of 250 below 0.3). At 250 levels this beat Karras et al.'s grids (even in
        # std^(1/rho), rho = 1, 3, 7) on MNIST-FID and confidence. With more of the finest levels (rho 3, 7)
        # both were worse; with more high-noise levels (rho 1) the classes came out a little more even, but
        # the digits kept faint noise and the classifier was less sure of them.
        times = torch.linspace(1.0, T_MIN, steps + 1, device=device)
        x = torch.randn(n, 1, 28, 28, generator=gen, device=device) * self.std(times[:1])
        shown = set(torch.linspace(0, steps - 1, 8).round().long().tolist())
        path = []
        for i in range(steps):
            t, dt = times[i].expand(n), times[i] - times[i + 1]
            if corrector:
                x = self._langevin_step(x, t, gen)
            g2 = self.sigma ** (2 * times[i])  # the squared diffusion coefficient at t
            score = self(x, t)
            if i in shown:  # what the model takes the clean digits to be: x + std(t)^2 s(x, t) (Tweedie's formula)
                path.append((x + self.std(times[i]) ** 2 * score).clamp(0, 1))
            mean = x + g2 * score * dt
            x = mean + torch.sqrt(g2 * dt) * torch.randn(x.shape, generator=gen, device=device)
        return mean.clamp(0, 1), torch.stack(path)

    def _langevin_step(self, x: torch.Tensor, t: torch.Tensor, gen) -> torch.Tensor:
        """One step of Langevin dynamics at noise level t, x + e s(x, t) + sqrt(2e) z, with each image's step
        e set so that its score move is CORRECTOR_SNR times the size of its noise."""
        score = self(x, t)
        noise = torch.randn(x.shape, generator=gen, device=x.device)
        ratio = noise.flatten(1).norm(dim=1) / score.flatten(1).norm(dim=1)
        step = (2 * (CORRECTOR_SNR * ratio) ** 2)[:, None, None, None]
        return x + step * score + torch.sqrt(2 * step) * noise


@register_model(task="image-generation", dataset="mnist", chapter=10, capabilities=("sample",))
def score_mnist(channels: tuple = (32, 64, 128, 256), embed_dim: int = 256, sigma: float = 25.0,
                default_steps: int = 250, sigma_data: float = 0.31):
    """A score-based model of MNIST: a noise-conditional U-Net trained by denoising score matching on the
    variance-exploding SDE, sampled by predictor-corrector steps (reverse-time SDE and Langevin dynamics).
    `sigma_data` is the standard deviation of MNIST's pixels in [0, 1], which the preconditioning assumes."""
    return ScoreNet(tuple(channels), embed_dim, sigma, default_steps, sigma_data)
