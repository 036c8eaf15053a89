"""The book's image classifiers: feed-forward (ch. 5), and convolutional (ch. 7) for MNIST and FashionMNIST."""
from __future__ import annotations

import functools

import torch
import torch.nn as nn

from ..data import FASHION_MNIST_CLASSES
from ..registry import register_model
from ..transforms import FASHION_MNIST_MEAN, FASHION_MNIST_STD, ImageTransform


class ClassifierInterface:
    """What every zoo image classifier offers beyond timm's classifier interface (`forward_features`,
    `get_classifier`, `reset_classifier`, `num_classes`, `num_features`): `transforms` and `classes`, set by
    the class it is mixed into, `predict` on raw images, and `freeze_features` for a linear probe."""

    def freeze_features(self, freeze: bool = True) -> None:
        """Stop training all but the classifier (a linear probe or a fine-tuned head): the rest gets no
        gradients, and its batch-norm statistics and dropout stay fixed even in train mode."""
        self.requires_grad_(not freeze)
        self.get_classifier().requires_grad_(True)
        self._frozen = freeze
        self.train(self.training)

    def train(self, mode: bool = True):
        super().train(mode)
        if getattr(self, "_frozen", False):
            head = self.get_classifier()
            for child in self.children():
                if child is not head:
                    child.eval()
        return self

    @torch.no_grad()
    def predict(self, images) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw images in (anything `self.transforms` accepts), predicted labels and probabilities out."""
        x = self.transforms(images).to(next(self.parameters()).device)
        probs = self(x).softmax(dim=1)
        return probs.argmax(dim=1), probs


class ImageClassifier(ClassifierInterface, nn.Module):
    """`features` maps a normalised (N, 1, H, W) batch to a vector; `head` maps it to class logits.
    `classes` names the classes in the order of the logits (default: their numbers, as MNIST's digits)."""

    def __init__(self, features: nn.Module, feature_dim: int, num_classes: int, image_size: int = 28,
                 transforms: ImageTransform | None = None, classes: tuple[str, ...] | None = None):
        super().__init__()
        self.features = features
        self.head = nn.Linear(feature_dim, num_classes)
        self.image_size = image_size
        self.transforms = transforms or ImageTransform(image_size)
        self.classes = _class_names(classes, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.jit.is_scripting():  # a scripted model is fed by code, and skips the friendly check
            self._check_batch(x)
        return self.head(self.features(x))

    @torch.jit.unused
    def _check_batch(self, x: torch.Tensor) -> None:
        s = self.image_size
        if x.ndim != 4 or x.shape[1:] != (1, s, s) or not x.is_floating_point():
            raise ValueError(
                f"expected a float batch of shape (N, 1, {s}, {s}), got {tuple(x.shape)} ({x.dtype}); "
                "use model.transforms(images) to turn raw images into one"
            )

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
        self.classes = _class_names(None, num_classes)


@functools.cache
def _with_zoo_interface(timm_class: type) -> type:
    class TimmClassifier(ClassifierInterface, timm_class):
        def reset_classifier(self, num_classes: int, *args, **kwargs) -> None:
            super().reset_classifier(num_classes, *args, **kwargs)
            self.classes = _class_names(None, num_classes)

    TimmClassifier.__name__ = TimmClassifier.__qualname__ = timm_class.__name__
    return TimmClassifier


def timm_classifier(architecture: str, transforms: ImageTransform, classes: tuple[str, ...] | None,
                    **model_args) -> nn.Module:
    """timm's `architecture`, built by `timm.create_model(architecture, **model_args)`, with the zoo's
    interface added. Its modules, state dict and forward are timm's own, so its weights file is a timm
    checkpoint, and the Hub repo (config.json in timm's format) loads in timm alone."""
    try:
        import timm
    except ImportError as e:
        raise ImportError(f"this entry is timm's {architecture}: pip install 'fdl-zoo[timm]'") from e

    model = timm.create_model(architecture, pretrained=False, **model_args)
    model.__class__ = _with_zoo_interface(type(model))  # the same object, with the methods above
    model.timm_architecture, model.timm_model_args = architecture, model_args
    model.transforms, model.classes = transforms, _class_names(classes, model.num_classes)
    return model


def _class_names(classes: tuple[str, ...] | None, num_classes: int) -> tuple[str, ...]:
    """`classes` if it names `num_classes` classes; otherwise the classes' numbers."""
    if classes and len(classes) == num_classes:
        return tuple(classes)
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


@register_model(task="image-classification", dataset="fashion_mnist", chapter=7, capabilities=("predict",),
                head=("fc",))
def resnet34_fashion_mnist(num_classes: int = 10, channels: tuple = (30, 60, 120, 240), stem_width: int = 16,
                           output_stride: int = 16):
    """The book's ResNet-34 (ch. 7): basic residual blocks, 3, 4, 6 and 3 to a stage, built by timm's ResNet
    (`timm.create_model("resnet34", ...)`) for 28x28 grey images.

    Narrower than ImageNet's (`channels` per stage, against 64-512) so that a CPU can train it; a stem of
    three 3x3 convolutions (`stem_width`, timm's "deep" stem) with timm's stride 4; `output_stride=16`
    keeps the last stage at 2x2 rather than 1x1 (dilated instead of strided).
    """
    return timm_classifier("resnet34", ImageTransform(28, FASHION_MNIST_MEAN, FASHION_MNIST_STD), FASHION_MNIST_CLASSES,
                           num_classes=num_classes, in_chans=1, channels=tuple(channels), stem_type="deep",
                           stem_width=stem_width, output_stride=output_stride)
