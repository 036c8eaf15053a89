"""The book's image classifiers: feed-forward (ch. 5), and convolutional (ch. 7) for MNIST and FashionMNIST."""
from __future__ import annotations

import torch
import torch.nn as nn

from ..data import FASHION_MNIST_CLASSES
from ..registry import register_model
from ..transforms import FASHION_MNIST_MEAN, FASHION_MNIST_STD, ImageTransform


class ImageClassifier(nn.Module):
    """`features` maps a normalised (N, 1, H, W) batch to a vector; `head` maps it to class logits.
    `classes` names the classes in the order of the logits (default: their numbers, as MNIST's digits)."""

    def __init__(self, features: nn.Module, feature_dim: int, num_classes: int, image_size: int = 28,
                 transforms: ImageTransform | None = None, classes: tuple[str, ...] | None = None):
        super().__init__()
        self.features = features
        self.head = nn.Linear(feature_dim, num_classes)
        self.image_size = image_size
        self.transforms = transforms or ImageTransform(image_size)
        self.classes = tuple(classes) if classes and len(classes) == num_classes else _numbered(num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.image_size
        if x.ndim != 4 or x.shape[1:] != (1, s, s) or not x.is_floating_point():
            raise ValueError(
                f"expected a float batch of shape (N, 1, {s}, {s}), got {tuple(x.shape)} ({x.dtype}); "
                "use model.transforms(images) to turn raw images into one"
            )
        return self.head(self.features(x))

    # timm's classifier interface, for fine-tuning ----------------------------------------------------
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The feature vector (N, num_features) of a normalised batch, before the classifier."""
        return self.features(x)

    @property
    def num_features(self) -> int:
        return self.head.in_features

    @property
    def num_classes(self) -> int:
        return self.head.out_features

    def get_classifier(self) -> nn.Linear:
        return self.head

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh head for `num_classes` classes, as timm's models have it."""
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.head = nn.Linear(self.num_features, num_classes).to(self.head.weight.device)
        self.classes = _numbered(num_classes)

    def freeze_features(self, freeze: bool = True) -> None:
        """Stop training the feature extractor (a linear probe or a fine-tuned head): its weights get no
        gradients, and its batch-norm statistics stay as they are even in train mode."""
        self.features.requires_grad_(not freeze)
        self._frozen = freeze
        self.train(self.training)

    def train(self, mode: bool = True):
        super().train(mode)
        if getattr(self, "_frozen", False):
            self.features.eval()
        return self

    @torch.no_grad()
    def predict(self, images) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw images in (anything `self.transforms` accepts), predicted labels and probabilities out."""
        x = self.transforms(images).to(next(self.parameters()).device)
        probs = self(x).softmax(dim=1)
        return probs.argmax(dim=1), probs


def _numbered(num_classes: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(num_classes))


@register_model(task="image-classification", dataset="mnist", chapter=5, capabilities=("predict",), head=("head",))
def mlp_mnist(num_classes: int = 10, hidden_sizes: tuple = (512, 512), dropout: float = 0.2):
    """Feed-forward network (ch. 5): Linear-ReLU layers on the flattened image.

    The book's network is 784-256-10; the default here is widened to 784-512-512-10.
    """
    layers, width = [nn.Flatten()], 28 * 28
    for h in hidden_sizes:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
        width = h
    return ImageClassifier(nn.Sequential(*layers), width, num_classes)


@register_model(task="image-classification", dataset="mnist", chapter=7, capabilities=("predict",), head=("head",))
def cnn_mnist(num_classes: int = 10, fc_size: int = 512, dropout: float = 0.5, batch_norm: bool = True):
    """Convolutional network (ch. 7): two 5x5 conv + max-pool stages, a hidden dense layer, dropout.

    As in the book, with batch norm after each convolution and a 512-wide dense layer (the book's 1024);
    `batch_norm=False, fc_size=1024` is the book's own network (the `book` weights).
    """

    def conv(cin, cout):
        if not batch_norm:
            return [nn.Conv2d(cin, cout, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)]
        return [nn.Conv2d(cin, cout, 5, padding=2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)]

    features = nn.Sequential(
        *conv(1, 32), *conv(32, 64), nn.Flatten(), nn.Linear(64 * 7 * 7, fc_size), nn.ReLU(), nn.Dropout(dropout)
    )
    return ImageClassifier(features, fc_size, num_classes)


@register_model(task="image-classification", dataset="fashion_mnist", chapter=7, capabilities=("predict",),
                head=("head",))
def cnn_bn_fashion_mnist(num_classes: int = 10, batch_norm: bool = True):
    """The book's CIFAR-10 network (ch. 7) on 28x28 grey images: two 5x5 conv + max-pool stages of 64
    channels, dense layers of 384 and 192, and batch norm after each convolution and dense layer.

    `batch_norm=False` is the same network without it, the baseline of the batch-norm comparison.
    """

    def layer(make, cin, cout, norm):
        if not batch_norm:
            return [make(cin, cout, bias=True), nn.ReLU()]
        return [make(cin, cout, bias=False), norm(cout), nn.ReLU()]

    def conv(cin, cout, bias):
        return nn.Conv2d(cin, cout, 5, padding=2, bias=bias)

    features = nn.Sequential(
        *layer(conv, 1, 64, nn.BatchNorm2d), nn.MaxPool2d(2),
        *layer(conv, 64, 64, nn.BatchNorm2d), nn.MaxPool2d(2), nn.Flatten(),
        *layer(nn.Linear, 64 * 7 * 7, 384, nn.BatchNorm1d),
        *layer(nn.Linear, 384, 192, nn.BatchNorm1d),
    )
    return ImageClassifier(features, 192, num_classes, transforms=ImageTransform(28, FASHION_MNIST_MEAN, FASHION_MNIST_STD),
                           classes=FASHION_MNIST_CLASSES)
