"""Export to ONNX (through torch.onnx, with onnxscript) or to a torch.export program (.pt2), with the
preprocessing inside the graph, so that the file takes what a user has: raw images (floats in [0, 1], or
uint8 with `input_dtype="uint8"`), latent codes, or observations.

    zoo.export.export("cnn_mnist", "cnn_mnist.onnx")                  # images (N, 1, 28, 28) -> logits
    zoo.export.export("autoencoder_mnist", "decoder.pt2", part="decoder")

What each entry exports (PARTS): a classifier its logits; an autoencoder its encoder (images -> codes) or
decoder (codes -> images in [0, 1]); the VAE its decoder and the GAN its generator (latent codes ->
images); an agent its policy network (observations -> action scores, logits or Q-values). The batch
dimension is dynamic.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn

FORMATS = ("onnx", "pt2")
INPUT_DTYPES = ("float32", "uint8")
PARTS = {"image-classification": ("classifier",), "representation-learning": ("encoder", "decoder"),
         "image-generation": ("generator",), "reinforcement-learning": ("policy",)}


class Graph(nn.Module):
    """`model`'s `part` as one function of tensors, preprocessing included."""

    def __init__(self, model: nn.Module, task: str, part: str, input_dtype: str):
        super().__init__()
        self.model, self.task, self.part, self.uint8 = model, task, part, input_dtype == "uint8"
        transforms = getattr(model, "transforms", None)
        self.mean = transforms.mean if transforms is not None else 0.0
        self.std = transforms.std if transforms is not None else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        if self.part in ("classifier", "encoder"):
            x = x.float() / 255.0 if self.uint8 else x
            if self.part == "classifier":
                return m.head(m.features((x - self.mean) / self.std))
            return m.encoder(x.flatten(1))
        if self.part == "decoder":
            return m.decoder(x).view(-1, 1, 28, 28)
        if self.part == "generator":
            return m.generator(x) if hasattr(m, "generator") else torch.sigmoid(m.decoder(x)).view(-1, 1, 28, 28)
        return m.scores(x)

    def example_input(self) -> torch.Tensor:
        m = self.model
        if self.part in ("classifier", "encoder"):
            images = torch.rand(2, 1, 28, 28)
            return (images * 255).to(torch.uint8) if self.uint8 else images
        if self.part == "decoder":
            return torch.randn(2, m.code_dim)
        if self.part == "generator":
            return torch.randn(2, m.latent_dim)
        return torch.rand(2, *m.obs_shape) * (255 if m.obs_shape[0] == 4 and len(m.obs_shape) == 3 else 1)


def graph(model_or_name, part: str | None = None, input_dtype: str = "float32") -> Graph:
    """The exportable module of an entry (a name, or a model from zoo.load) and `part` (default: the first
    of PARTS[task])."""
    from . import load
    from .registry import get_spec

    model = load(model_or_name) if isinstance(model_or_name, str) else model_or_name
    name = getattr(model, "zoo_name", None)
    if name is None:
        raise TypeError("export takes an entry name or a model from zoo.load / zoo.create")
    task = get_spec(name).task
    parts = PARTS.get(task)
    if parts is None:
        raise ValueError(f"{name} ({task}) cannot be exported yet; exportable tasks: {', '.join(PARTS)}")
    part = part or parts[0]
    if part not in parts:
        raise ValueError(f"{name} exports {', '.join(parts)}, not {part!r}")
    if input_dtype not in INPUT_DTYPES:
        raise ValueError(f"input_dtype must be one of {', '.join(INPUT_DTYPES)}, got {input_dtype!r}")
    if input_dtype == "uint8" and part not in ("classifier", "encoder"):
        raise ValueError(f"only images can be uint8; the {part} of {name} takes float tensors")
    return Graph(model.cpu().eval(), task, part, input_dtype).eval()


def export(model_or_name, path, format: str | None = None, part: str | None = None,
           input_dtype: str = "float32") -> Path:
    """Write `path` as ONNX or .pt2 (by `format`, or the file's suffix); returns the path."""
    path = Path(path)
    format = format or path.suffix.lstrip(".")
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; available: {', '.join(FORMATS)} (or name the file "
                         ".onnx / .pt2)")
    g = graph(model_or_name, part, input_dtype)
    x = g.example_input()
    batch = torch.export.Dim("batch", min=1)
    program = torch.export.export(g, (x,), dynamic_shapes=({0: batch},))
    if format == "onnx":
        try:
            import onnxscript  # noqa: F401
        except ImportError as e:
            raise ImportError("ONNX export needs onnx and onnxscript: pip install 'fdl-zoo[export]'") from e
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".partial-{path.name}")  # renamed into place once whole
    try:
        if format == "pt2":
            torch.export.save(program, str(partial))
        else:
            torch.onnx.export(program, (x,), input_names=["input"], output_names=["output"], dynamo=True,
                              external_data=False, verbose=False).save(str(partial))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
