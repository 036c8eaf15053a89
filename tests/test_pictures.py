"""The cards' pictures: every drawing function gives a PNG from a fresh model, and latent walks start and
end at the codes they were given."""
import pytest
import torch

import zoo
from zoo import card_pictures

pytest.importorskip("matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"


def test_latent_line_runs_between_its_ends():
    ends = torch.randn(2, 3, 5)
    walk = card_pictures._line(ends, steps=4).view(3, 4, 5)
    assert torch.allclose(walk[:, 0], ends[0]) and torch.allclose(walk[:, -1], ends[1])
    assert card_pictures._line(ends[:, 0], steps=4).shape == (4, 5)


def test_every_card_picture_is_a_png():
    images = torch.rand(20, 1, 28, 28)
    labels = torch.arange(20) % 10
    ae2d = zoo.create("autoencoder2d_mnist").eval()
    files = {
        **card_pictures.autoencoder_pictures(ae2d, images, labels, torch.rand(784, dtype=torch.float64),
                                             torch.randn(2, 784, dtype=torch.float64)),
        **card_pictures.denoising_pictures(zoo.create("denoising_autoencoder_mnist").eval(), images, 0.3),
        **card_pictures.sparse_feature_pictures(zoo.create("sparse_autoencoder_mnist"), count=12),
        **card_pictures.vae_pictures(zoo.create("vae_mnist").eval(), (images * 255).to(torch.uint8)[:, 0]),
        **{f"gan_{k}": v for k, v in card_pictures.gan_pictures(zoo.create("gan_mnist").eval()).items()},
    }
    assert sorted(files) == ["codes.png", "denoising.png", "features.png", "gan_latent_walk.png", "gan_samples.png",
                             "interpolation.png", "reconstructions.png", "samples.png"]
    assert all(data.startswith(PNG) for data in files.values())


@pytest.mark.parametrize("low, high", [(0.74, 0.94), (0.984, 0.996), (0.0, 1.0), (0.9, 0.902)])
def test_percentage_tick_labels_say_exactly_where_the_ticks_are(low, high):
    from zoo.charts import _percent_axis, _pyplot

    fig, ax = _pyplot().subplots()
    ax.set_ylim(low, high)
    _percent_axis(ax.yaxis)
    fig.canvas.draw()
    ticks, labels = ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]
    _pyplot().close(fig)
    assert all(abs(float(label.rstrip("%")) / 100 - tick) < 1e-9 for tick, label in zip(ticks, labels)), labels
