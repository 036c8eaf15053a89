"""zoo.explain: every method on the classifiers, the checks that tell a real explanation from a picture
of edges, and the CLI."""
import pytest
import torch

import zoo
from zoo.attribution import METHODS
from zoo.evaluation import area_under, deletion_curve, randomisation_check

pytest.importorskip("captum")
FAST = {"lime": {"n_samples": 60}, "kernel_shap": {"n_samples": 60}, "integrated_gradients": {"n_steps": 16},
        "smoothgrad": {"nt_samples": 4}}


@pytest.fixture(scope="module")
def digits(mnist_fixture):
    images, labels = mnist_fixture
    return images[:3].unsqueeze(1), labels[:3]


@pytest.mark.parametrize("name", ["mlp_mnist", "cnn_mnist"])
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_gives_one_map_per_image(name, method, digits):
    images, _ = digits
    maps = zoo.explain(name, images, method, **FAST.get(method, {}))
    assert maps.shape == (3, 1, 28, 28) and torch.isfinite(maps).all() and maps.abs().sum() > 0


def test_target_changes_the_explanation(digits):
    images, labels = digits
    model = zoo.load("cnn_mnist")
    own = zoo.explain(model, images, "integrated_gradients")
    other = zoo.explain(model, images, "integrated_gradients", target=(labels + 1) % 10)
    assert not torch.allclose(own, other)
    # integrated gradients add up to the score's change from the black baseline (completeness)
    x = model.transforms(images)
    black = model.transforms(torch.zeros(1, 28, 28)).expand_as(x)
    with torch.no_grad():
        gap = model(x)[torch.arange(3), labels] - model(black)[torch.arange(3), labels]
    assert torch.allclose(own.sum((1, 2, 3)), gap, rtol=0.1, atol=0.1)


def test_attributions_depend_on_the_weights(digits):
    """The sanity check fails if the maps stop depending on the trained weights (e.g. an edge detector)."""
    images, _ = digits
    model = zoo.load("cnn_mnist")
    assert randomisation_check(model, images, "saliency")["spearman"] < 0.5
    assert randomisation_check(model, images, "occlusion")["spearman"] < 0.5


def test_deletion_in_attribution_order_beats_random(mnist_fixture):
    images = mnist_fixture[0][:20].unsqueeze(1)
    model = zoo.load("cnn_mnist")
    guided = area_under(deletion_curve(model, images, zoo.explain(model, images, "integrated_gradients")))
    assert guided < area_under(deletion_curve(model, images, None)) - 0.1


def test_bad_requests_are_refused(digits):
    images, _ = digits
    with pytest.raises(ValueError, match="available: saliency"):
        zoo.explain("cnn_mnist", images, "gradcam")
    with pytest.raises(TypeError, match="its options: n_samples, patch"):
        zoo.explain("cnn_mnist", images, "lime", steps=3)
    with pytest.raises(ValueError, match="0..9"):
        zoo.explain("cnn_mnist", images, "saliency", target=10)
    with pytest.raises(TypeError, match="image classifiers"):
        zoo.explain("vae_mnist", images)


def test_cli_draws_an_explanation(tmp_path, mnist_fixture):
    from PIL import Image

    from zoo.cli import main

    path = tmp_path / "digit.png"
    Image.fromarray(mnist_fixture[0][0].numpy()).save(path)
    out = tmp_path / "out.png"
    main(["explain", "cnn_mnist", str(path), "--method", "integrated_gradients", "-o", str(out)])
    assert Image.open(out).size[0] > 200
