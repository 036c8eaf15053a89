import re
import subprocess
import sys

import pytest
import torch
from PIL import Image

import zoo
from zoo.evaluation import binarize, frechet_distance, sample_quality
from zoo.training import bf16_autocast, bf16_native
from conftest import REPO

needs_gan_weights = pytest.mark.skipif("gan_mnist" not in zoo.list_models(pretrained=True),
                                       reason="gan_mnist has no published weights yet")

# The pretrained VAE's negative ELBO on the first 500 fixture digits is 92.4 nats (an untrained one ~540).
VAE_FIXTURE_NEG_ELBO = 95.0


@pytest.fixture(scope="module")
def vae():
    return zoo.load("vae_mnist")


def test_vae_api_shapes(vae, mnist_fixture):
    x = binarize(mnist_fixture[0][:5])
    mu, logvar = vae.encode(x)
    assert mu.shape == logvar.shape == (5, 20)
    assert vae.decode(mu).shape == vae.reconstruct(x).shape == (5, 1, 28, 28)
    assert torch.equal(vae.sample(4, seed=3), vae.sample(4, seed=3))
    assert not torch.equal(vae.sample(4, seed=3), vae.sample(4, seed=4))
    expected = "expects images (uint8, or floats in [0, 1]) of shape (N, 1, 28, 28) or (N, 784) with N >= 1, got (5, 28, 28)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        vae.encode(x[:, 0])


def test_pretrained_vae_elbo_on_fixture(vae, mnist_fixture):
    x = binarize(mnist_fixture[0][:500])
    torch.manual_seed(0)
    neg_elbo = -vae.elbo(x).mean().item()
    nll = -vae.log_likelihood(x, k=100).mean().item()
    assert neg_elbo < VAE_FIXTURE_NEG_ELBO
    assert nll < neg_elbo  # the importance-weighted bound is tighter than the ELBO
    fresh = zoo.load("vae_mnist", pretrained=False)
    assert -fresh.elbo(x).mean().item() > 400  # an untrained decoder is near 784 ln 2 nats


def test_vae_reconstructs_digits_the_classifier_recognises(vae, mnist_fixture):
    images, labels = mnist_fixture[0][:200], mnist_fixture[1][:200]
    predicted, _ = zoo.load("cnn_mnist").predict(vae.reconstruct(binarize(images)))
    assert (predicted == labels).float().mean() > 0.9


@needs_gan_weights
def test_gan_samples_cover_every_class(mnist_fixture):
    gan = zoo.load("gan_mnist")
    samples = gan.sample(2000, seed=123)
    assert samples.shape == (2000, 1, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    q = sample_quality(samples, mnist_fixture[0], zoo.load("cnn_mnist"))
    assert q["min_class_share"] >= 0.05, q["class_shares"]
    # real test digits get 0.91 (cnn_mnist is not overconfident), the shipped generator 0.72 on 10,000 samples,
    # and the same generator after one epoch of training 0.52
    assert q["mean_confidence"] > 0.65


def test_score_samples_are_digits_of_every_class(mnist_fixture):
    samples = zoo.load("score_mnist").sample(200, seed=123, steps=25)  # 250 levels by default; 25 keep the test quick
    q = sample_quality(samples, mnist_fixture[0], zoo.load("cnn_mnist"))
    # 2,000 samples at 250 levels: smallest class share 7.6%, mean confidence 0.838; these 200: 7.0%, 0.75
    assert q["min_class_share"] >= 0.04, q["class_shares"]
    assert q["mean_confidence"] > 0.6


def test_evaluate_scores_as_many_samples_as_the_published_figures(tiny_data_root):
    from zoo.evaluation import evaluate
    from zoo.manifest import get_record

    asked = []

    class Recorder(torch.nn.Module):  # score_mnist's published 2,000 samples, drawn in a moment
        def sample(self, n, seed=None):
            asked.append(n)
            return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))

    published = get_record("score_mnist").metrics["samples"]
    assert evaluate("score_mnist", Recorder(), data_root=tiny_data_root)["samples"] == published == asked[0]


def test_frechet_distance_separates_real_from_noise(mnist_fixture):
    cnn = zoo.load("cnn_mnist")
    real = mnist_fixture[0][:1000]
    same = sample_quality(mnist_fixture[0][1000:].float().div(255).unsqueeze(1), real, cnn)["mnist_fid"]
    noise = sample_quality(torch.rand(1000, 1, 28, 28), real, cnn)["mnist_fid"]
    assert 0 <= same < noise / 20
    a = torch.randn(500, 8, dtype=torch.float64)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("name, options", [("vae_mnist", []), pytest.param("gan_mnist", [], marks=needs_gan_weights),
                                           ("score_mnist", ["--steps", "50"])])
def test_zoo_sample_writes_a_png(name, options, tmp_path):
    out = tmp_path / "grid.png"
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "sample", name, "-n", "16", "-o", str(out), "--seed", "1", *options],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (2 * (4 * 30 + 2),) * 2


def test_zoo_sample_refuses_a_classifier(tmp_path):
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "sample", "cnn_mnist", "-o", str(tmp_path / "x.png")],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode != 0 and "not a generative model" in r.stderr and "vae_mnist" in r.stderr
    assert not (tmp_path / "x.png").exists()


def test_the_score_model_samples_in_the_steps_asked_reproducibly():
    model = zoo.create("score_mnist").eval()
    images, path = model.sample(3, seed=0, steps=10, return_path=True)
    assert images.shape == (3, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert path.shape == (8, 3, 1, 28, 28) and torch.equal(images, model.sample(3, seed=0, steps=10))
    assert model.sample(2, seed=0, steps=3, return_path=True)[1].shape == (3, 2, 1, 28, 28)
    calls = []
    model.register_forward_hook(lambda *_: calls.append(1))
    model.sample(2, seed=0, steps=3)
    model.sample(2, seed=0, steps=3, corrector=False)
    assert len(calls) == 3 * 2 + 3  # a corrector and a predictor evaluation per level, then the predictor alone
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="steps must be a whole number of at least 1"):
            model.sample(2, steps=bad)


@pytest.mark.parametrize("bf16", [False, pytest.param(True, marks=pytest.mark.skipif(
    not bf16_native("cpu"), reason="this CPU has no bfloat16 arithmetic, where the scripts train in float32"))])
def test_denoising_score_matching_lowers_the_loss(bf16):
    """A few steps on a handful of digits, in float32 and under bfloat16 autocast (train_score_mnist.py --bf16,
    where the CPU has bfloat16 arithmetic), which leaves the loss and the weights in float32."""
    torch.manual_seed(0)
    model = zoo.create("score_mnist").train()
    x = torch.rand(16, 1, 28, 28).round()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for step in range(30):
        with bf16_autocast("cpu", bf16):
            loss = model.loss(x, generator=torch.Generator().manual_seed(step % 3))
        assert loss.dtype == torch.float32
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) < 0.5 * sum(losses[:3])
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_zoo_sample_takes_steps_only_for_a_model_that_samples_in_steps(tmp_path):
    from zoo.cli import main

    with pytest.raises(SystemExit) as e:
        main(["sample", "gan_mnist", "-n", "4", "--steps", "10", "-o", str(tmp_path / "x.png")])
    assert e.value.code != 0 and not (tmp_path / "x.png").exists()
