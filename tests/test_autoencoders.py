import subprocess
import sys

import pytest
import torch

import zoo
from conftest import REPO
from PIL import Image
from zoo.evaluation import corrupt, pca, pca_reconstruct, reconstruction_mse


@pytest.fixture(scope="module")
def halves(mnist_fixture):
    """Fixture digits in [0, 1]: the first 1,000 to fit PCA on, the next 1,000 to measure on."""
    x = mnist_fixture[0].float().div(255).unsqueeze(1)
    return x[:1000], x[1000:]


@pytest.mark.parametrize("name, code_dim", [("autoencoder_mnist", 30), ("autoencoder2d_mnist", 2)])
def test_autoencoder_beats_pca_by_30_percent(name, code_dim, halves):
    fit, test = halves
    model = zoo.load(name)
    assert model.encode(test[:3]).shape == (3, code_dim)
    mean, components = pca(fit.flatten(1), code_dim)
    pca_mse = ((pca_reconstruct(test.flatten(1), mean, components) - test.flatten(1)) ** 2).mean().item()
    assert reconstruction_mse(model, test) <= 0.7 * pca_mse


def test_autoencoder_api(halves):
    model = zoo.load("autoencoder2d_mnist")
    x = halves[1][:4]
    z = model.encode(x)
    assert model.decode(z).shape == model.reconstruct(x).shape == (4, 1, 28, 28)
    assert torch.allclose(model.reconstruct(x.flatten(1)), model.reconstruct(x))
    with pytest.raises(ValueError, match=r"decode expects codes of shape \(N, 2\), got \(4, 3\)"):
        model.decode(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"encode expects images .* got \(4, 28, 28\)"):
        model.encode(x[:, 0])


def test_denoising_autoencoder_restores_better_than_the_plain_one(halves):
    clean = halves[1]
    noisy = corrupt(clean, 0.3, torch.Generator().manual_seed(0))
    denoised = reconstruction_mse(zoo.load("denoising_autoencoder_mnist"), noisy, clean)
    assert denoised < reconstruction_mse(zoo.load("autoencoder_mnist"), noisy, clean)
    assert denoised < ((noisy - clean) ** 2).mean().item() / 2


def test_sparse_autoencoder_is_sparse_and_reconstructs(halves):
    model = zoo.load("sparse_autoencoder_mnist")
    x = halves[1]
    with torch.no_grad():
        codes = model.encode(x)
    assert codes.shape == (1000, 1000)
    assert codes.mean() < 0.1  # target 0.05; an unpenalised sigmoid layer sits near 0.5
    assert reconstruction_mse(model, x) < 0.02


@pytest.mark.parametrize("mask, rows", [(0.0, 2), (0.3, 3)])
def test_zoo_reconstruct_writes_a_png(mask, rows, tmp_path):
    out = tmp_path / "rec.png"
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "reconstruct", "denoising_autoencoder_mnist", "-o", str(out),
                        "--mask", str(mask)], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:  # the 10 bundled digits per row, 28 px plus 2 padding, scaled twice
        assert im.format == "PNG" and im.size == (2 * (10 * 30 + 2), 2 * (rows * 30 + 2))


@pytest.mark.parametrize("args, message", [(["cnn_mnist"], "does not reconstruct images; these do: autoencoder"),
                                            (["autoencoder_mnist", "--mask", "1.5"], "--mask is the share")])
def test_zoo_reconstruct_refuses_bad_input(args, message, tmp_path):
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "reconstruct", *args, "-o", str(tmp_path / "x.png")],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode != 0 and message in r.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("name", ["autoencoder_mnist", "denoising_autoencoder_mnist"])
def test_zoo_eval_measures_the_autoencoders(name, tiny_data_root):
    """`zoo eval` re-measures every autoencoder with the figures its manifest record holds."""
    from zoo.evaluation import evaluate

    measured = evaluate(name, zoo.load(name), data_root=tiny_data_root)  # the 2,000 fixture digits
    recorded = zoo.info(name)["metrics"]
    assert measured and set(measured) <= set(recorded)
    assert all(abs(measured[k] - recorded[k]) < 0.5 * recorded[k] for k in measured)
