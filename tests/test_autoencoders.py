import pytest
import torch

import zoo
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
