"""One registry of model factories: each architecture is defined once and listed by name.

The factories register themselves when `zoo.models` is imported, which `import zoo` does."""
from __future__ import annotations

import difflib
import fnmatch
import inspect
from dataclasses import dataclass, field
from typing import Callable

import torch.nn as nn

from .errors import UnknownModelError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    factory: Callable[..., nn.Module]
    task: str
    dataset: str
    chapter: int
    head: tuple[str, ...] = ()  # parameter-name prefixes re-initialised when the output size changes
    defaults: dict = field(default_factory=dict)
    capabilities: frozenset = frozenset()  # what the model does beyond forward: CAPABILITIES

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def kwargs(self) -> list[str]:
        return [p for p in inspect.signature(self.factory).parameters]


_MODELS: dict[str, ModelSpec] = {}
CAPABILITIES = {
    "predict": "predict(images) -> (labels, probabilities)",
    "sample": "sample(n, seed) -> images in [0, 1]",
    "reconstruct": "reconstruct(images) -> images in [0, 1]",
    "play": "act(observation) -> action, in its environment",
    "similar": "most_similar(word, k), similarity, analogy",
    "classify_text": "predict(texts) -> (labels, probabilities)",
    "pronounce": "pronounce(word) -> phonemes; predict(words, beam)",
    "copy": "copy(bits, return_weights) -> the bits written back",
    "answer": "answer(story, question, return_weights) -> answer word",
}


def register_model(*, task: str, dataset: str, chapter: int, capabilities: tuple[str, ...],
                   head: tuple[str, ...] = ()):
    """Decorator: register `factory` under its function name, its keyword defaults as the config, and
    what it can do (keys of CAPABILITIES), so that callers need not build it to find out."""
    unknown = set(capabilities) - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown capabilities {sorted(unknown)}; known: {', '.join(CAPABILITIES)}")

    def wrap(factory):
        name = factory.__name__
        if name in _MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        defaults = {
            k: p.default
            for k, p in inspect.signature(factory).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        _MODELS[name] = ModelSpec(name, factory, task, dataset, chapter, tuple(head), defaults, frozenset(capabilities))
        return factory

    return wrap


def get_spec(name: str) -> ModelSpec:
    if not isinstance(name, str):
        raise TypeError(f"a model name must be a string such as 'cnn_mnist', got {name!r}")
    if name not in _MODELS:
        close = difflib.get_close_matches(name, _MODELS, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownModelError(f"unknown model {name!r}.{hint} Available: {', '.join(sorted(_MODELS))}")
    return _MODELS[name]


def all_specs() -> list[ModelSpec]:
    return [_MODELS[n] for n in sorted(_MODELS)]


def list_names(pattern: str | None = None, task: str | None = None, capability: str | None = None) -> list[str]:
    return [
        s.name
        for s in all_specs()
        if (pattern is None or fnmatch.fnmatch(s.name, pattern)) and (task is None or s.task == task)
        and (capability is None or s.can(capability))
    ]


def build(name: str, **overrides) -> nn.Module:
    """Build `name` from its factory with the given keyword overrides, checked against its signature."""
    spec = get_spec(name)
    unknown = sorted(set(overrides) - set(spec.kwargs()))
    if unknown:
        allowed = ", ".join(f"{k}={v!r}" for k, v in spec.defaults.items())
        raise TypeError(f"{name} does not accept {', '.join(map(repr, unknown))}; allowed overrides: {allowed}")
    model = spec.factory(**overrides)
    model.zoo_name = name
    model.zoo_config = {**spec.defaults, **overrides}
    return model
