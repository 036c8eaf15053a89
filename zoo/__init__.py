"""fdl-zoo: the models of *Fundamentals of Deep Learning* (2nd ed.), with pretrained weights.

    import zoo
    zoo.list_models()
    model = zoo.load("cnn_mnist")                 # trained weights, eval mode
    model = zoo.load("cnn_mnist", num_classes=5)  # fine-tuning: a fresh head on pretrained features
"""
from __future__ import annotations

import logging

from .registry import build, get_spec, list_names
from .weights import IntegrityError, WeightsNotFoundError
from . import weights as _weights

__all__ = ["list_models", "create", "load", "info", "evaluate_agent", "IntegrityError", "WeightsNotFoundError"]
__version__ = "0.1.0"

log = logging.getLogger("zoo")


def list_models(pattern: str | None = None, task: str | None = None, pretrained: bool | None = None) -> list[str]:
    """Names of the registered models, filtered by a glob `pattern`, a `task`, and whether weights exist."""
    names = list_names(pattern, task)
    if pretrained is not None:
        published = set(_weights.read_manifest()["models"])
        names = [n for n in names if (n in published) == pretrained]
    return names


def create(name: str, **overrides):
    """A freshly initialised model (train mode), with its factory's defaults changed by `overrides`."""
    return build(name, **overrides)


def load(name: str, pretrained: bool = True, device=None, **overrides):
    """The model `name` in eval mode, with its trained weights unless `pretrained=False`.

    Overrides that change the output size (e.g. `num_classes`) keep every pretrained weight
    but the head, which is freshly initialised.
    """
    spec = get_spec(name)
    if not pretrained:
        model = build(name, **overrides)
    else:
        rec = _weights.record(name)
        model = build(name, **{**rec.get("config", {}), **overrides})
        _load_pretrained(model, spec, _weights.load_state_dict(name, rec))
        if rec.get("files"):  # e.g. a vocabulary that belongs with the weights
            model.load_state_files({f: _weights.read_verified(name, rec, f) for f in rec["files"]})
    return model.to(device).eval()


def info(name: str) -> dict:
    """The manifest record of `name` (weights, metrics, recipe), with its registry details."""
    spec = get_spec(name)
    rec = _weights.read_manifest()["models"].get(name, {})
    return {"name": name, "task": spec.task, "dataset": spec.dataset, "chapter": spec.chapter,
            "default_config": dict(spec.defaults), "pretrained": bool(rec), **rec}


def evaluate_agent(name, episodes: int = 100, seed: int = 0) -> dict:
    """Mean, standard deviation and per-episode returns of a reinforcement-learning agent (a name or a
    model) over `episodes` greedy episodes with evaluation seeds (see `zoo.rl`)."""
    from .rl import evaluate_agent as run

    return run(name, episodes=episodes, seed=seed)


def _load_pretrained(model, spec, state: dict) -> None:
    own = model.state_dict()
    mismatched = [k for k in own if k in state and own[k].shape != state[k].shape]
    head_keys = [k for k in mismatched if k.startswith(spec.head)] if spec.head else []
    other = sorted(set(mismatched) - set(head_keys))
    if other:
        raise ValueError(
            f"the overrides change the shape of pretrained weights of {spec.name} ({', '.join(other)}); "
            f"only the head ({', '.join(spec.head) or 'none'}) may change. Use pretrained=False to train from scratch."
        )
    for k in head_keys:
        del state[k]
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) != set(head_keys):
        raise ValueError(f"pretrained weights of {spec.name} do not fit: missing {missing}, unexpected {unexpected}")
    if head_keys:
        log.warning("%s: loaded pretrained weights except the head (%s), which is freshly initialised "
                    "because its shape differs from the pretrained one", spec.name, ", ".join(head_keys))
