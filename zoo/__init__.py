"""fdl-zoo: the models of *Fundamentals of Deep Learning* (2nd ed.), with pretrained weights.

    import zoo
    zoo.list_models()
    model = zoo.load("cnn_mnist")                 # trained weights, eval mode
    model = zoo.load("vae_mnist", weights="book") # another published version of the weights
    model = zoo.load("cnn_mnist", num_classes=5)  # fine-tuning: a fresh head on pretrained features
"""
from __future__ import annotations

from .errors import (DownloadError, IntegrityError, ManifestError, NoPretrainedWeightsError, UnknownModelError,
                     WeightsNotFoundError, ZooError)
from . import models  # noqa: F401  (registers every factory)
from .registry import build, get_spec, list_names

__all__ = ["list_models", "create", "load", "info", "evaluate_agent", "explain", "ZooError", "IntegrityError",
           "WeightsNotFoundError", "DownloadError", "ManifestError", "NoPretrainedWeightsError", "UnknownModelError"]
__version__ = "0.2.0"


def list_models(pattern: str | None = None, task: str | None = None, pretrained: bool | None = None,
                capability: str | None = None) -> list[str]:
    """Names of the registered models, filtered by a glob `pattern`, a `task`, a capability (`predict`,
    `sample`, `reconstruct`, `play`, `similar`) and whether published weights exist."""
    from .manifest import published_keys, split_key

    names = list_names(pattern, task, capability)
    if pretrained is not None:
        published = {split_key(k)[0] for k in published_keys()}
        names = [n for n in names if (n in published) == pretrained]
    return names


def create(name: str, **overrides):
    """A freshly initialised model (train mode), with its factory's defaults changed by `overrides`."""
    return build(name, **overrides)


def load(name: str, pretrained: bool = True, weights: str | None = None, device=None, **overrides):
    """The model `name` in eval mode, with its trained weights unless `pretrained=False`.

    `weights` picks a published version (`zoo.info(name)["weights"]` lists them; None is the entry's
    default, e.g. "book" for the book's own recipe where the default departs from it). Every file is
    checked against the sha256 in the manifest before use. Overrides that change the output size
    (e.g. `num_classes`) keep every pretrained weight but the head, which is freshly initialised.
    The model comes in eval mode: call `model.train()` before fine-tuning it.
    """
    from ._builder import build_model

    return build_model(name, pretrained=pretrained, weights=weights, device=device, **overrides)


def info(name: str) -> dict:
    """The manifest record of `name`'s default weights (metrics, recipe, files), its registry details, and
    the versions of its weights (`weights`: None for the default, then the tags)."""
    from .manifest import get_record, versions

    spec = get_spec(name)
    tags = versions(name)
    rec = get_record(name).as_dict() if None in tags else {}
    return {"name": name, "task": spec.task, "dataset": spec.dataset, "chapter": spec.chapter,
            "capabilities": sorted(spec.capabilities), "default_config": dict(spec.defaults),
            "pretrained": bool(tags), "weights": tags, **rec}


def evaluate_agent(name, episodes: int = 100, seed: int = 0, sticky_actions: bool = False) -> dict:
    """Mean, standard deviation and per-episode returns of a reinforcement-learning agent (a name or a
    model) over `episodes` episodes with evaluation seeds, acting as its evaluation protocol says (see
    `zoo.rl`). `sticky_actions=True` scores an Atari agent under ALE v5's sticky-action protocol."""
    from .rl import evaluate_agent as run

    return run(name, episodes=episodes, seed=seed, sticky_actions=sticky_actions)


def explain(model_or_name, images, method: str = "integrated_gradients", target=None, **options):
    """Attributions (N, 1, 28, 28) of an image classifier's prediction for raw `images`, by one of the
    book's interpretability methods through Captum (`zoo.attribution.METHODS`)."""
    from .attribution import explain as run

    return run(model_or_name, images, method=method, target=target, **options)
