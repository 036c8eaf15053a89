"""`zoo export`: ONNX and torch.export files with the preprocessing inside, checked against PyTorch."""
import numpy as np
import pytest
import torch

import zoo
from zoo.cli import main
from zoo.export import export, graph


def test_onnx_classifier_takes_raw_uint8_digits_and_agrees_with_pytorch(mnist_fixture, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    images, _ = mnist_fixture
    main(["export", "cnn_mnist", "--format", "onnx", "--input", "uint8", "-o", str(tmp_path / "cnn.onnx")])
    assert "wrote cnn_mnist" in capsys.readouterr().out
    session = ort.InferenceSession(str(tmp_path / "cnn.onnx"))
    logits = session.run(None, {"input": images[:, None].numpy()})[0]
    model = zoo.load("cnn_mnist")
    with torch.no_grad():
        reference = model(model.transforms(images)).numpy()
    assert (logits.argmax(1) == reference.argmax(1)).mean() >= 0.999
    assert np.abs(logits - reference).max() < 1e-4
    assert not list(tmp_path.glob(".partial-*"))


@pytest.mark.parametrize("name,part", [("autoencoder_mnist", "decoder"), ("vae_mnist", None), ("dqn_cartpole", None)])
def test_pt2_program_matches_the_model(name, part, tmp_path):
    path = export(name, tmp_path / f"{name}.pt2", part=part)
    g = graph(name, part)
    x = torch.cat([g.example_input()] * 3)  # another batch size than the one traced
    with torch.no_grad():
        assert torch.allclose(torch.export.load(str(path)).module()(x), g(x), atol=1e-6)


def test_export_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(ValueError, match="unknown export format 'tflite'"):
        export("cnn_mnist", tmp_path / "m.tflite")
    with pytest.raises(ValueError, match="exports encoder, decoder, not 'generator'"):
        export("autoencoder_mnist", tmp_path / "m.pt2", part="generator")
    with pytest.raises(ValueError, match="only images can be uint8"):
        export("vae_mnist", tmp_path / "m.pt2", input_dtype="uint8")
    with pytest.raises(ValueError, match="cannot be exported yet"):
        export(zoo.create("ntm_copy"), tmp_path / "m.pt2")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name, inputs", [
    ("cnn_mnist", lambda model: (torch.rand(3, 1, 28, 28),)),
    ("mlp_mnist", lambda model: (torch.rand(3, 1, 28, 28),)),
    ("cnn_bn_fashion_mnist", lambda model: (torch.rand(3, 1, 28, 28),)),
    ("gan_mnist", lambda model: (torch.randn(3, model.latent_dim),)),
    ("score_mnist", lambda model: (torch.rand(3, 1, 28, 28), torch.rand(3))),
    ("lstm_sentiment_rt", lambda model: (torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]]),)),
    ("dqn_cartpole", lambda model: (torch.randn(3, 4),)),
    ("dqn_cartpole_pomdp", lambda model: (torch.randn(3, 2),)),
])
def test_torchscript_scripts_and_traces_the_networks_and_eager_keeps_its_checks(name, inputs):
    import warnings

    torch.manual_seed(0)
    model = zoo.create(name).eval()
    x = inputs(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's own deprecation notice
        scripted = torch.jit.script(model)
        traced = None if name == "lstm_sentiment_rt" else torch.jit.trace(model, x)  # packed sequences don't trace
    with torch.no_grad():
        expected = model(*x)
        torch.testing.assert_close(scripted(*x), expected)
        if traced is not None:
            torch.testing.assert_close(traced(*x), expected)
    if name in ("cnn_mnist", "gan_mnist", "score_mnist"):
        with pytest.raises(ValueError, match="expected"):
            model(*(a[:, None] for a in x))  # a dimension too many
