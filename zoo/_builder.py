"""The one path that builds a model and loads its weights (compare timm's `build_model_with_cfg`)."""
from __future__ import annotations

import logging

import torch.nn as nn

from .manifest import WeightsRecord, get_record, split_key
from .registry import ModelSpec, build, get_spec
from .weights import load_state_dict, read_extra_files

log = logging.getLogger("zoo")


def split_name(name, weights):
    """("vae_mnist", "book") from ("vae_mnist.book", None) or ("vae_mnist", "book"), with clear errors."""
    if not isinstance(name, str):
        raise TypeError(f"a model name must be a string such as 'cnn_mnist', got {name!r}")
    if weights is not None and not isinstance(weights, str):
        raise TypeError(f"weights must be None (the entry's default) or a version name such as 'book', got {weights!r}")
    base, tag = split_key(name)
    if tag and weights is not None and tag != weights:
        raise ValueError(f"{name!r} names the weights {tag!r} but weights={weights!r} was given")
    return base, (tag or weights)


def build_model(name: str, *, pretrained: bool = True, weights: str | None = None, device=None,
                **overrides) -> nn.Module:
    """`name` built from its factory (with the recorded config of its weights when pretrained, changed by
    `overrides`), its verified weights loaded, moved to `device`, in eval mode."""
    name, weights = split_name(name, weights)
    spec = get_spec(name)
    if not pretrained:
        if weights is not None:
            raise ValueError(f"weights={weights!r} asks for pretrained weights; drop it, or drop pretrained=False")
        return build(name, **overrides).to(device).eval()
    rec = get_record(name, weights)
    model = build(name, **{**rec.config, **overrides})
    load_pretrained(model, spec, rec)
    model.zoo_weights = rec.tag
    packages = rec.raw.get("training", {}).get("environment_packages")
    if packages:  # an agent
        from .rl import warn_on_environment_change

        warn_on_environment_change(rec.key, packages, model.env_id)
    return model.to(device).eval()


def load_pretrained(model: nn.Module, spec: ModelSpec, rec: WeightsRecord) -> None:
    """Load `rec`'s verified weights into `model`. Only the head may differ in shape (a changed class count),
    and it then stays freshly initialised; any other mismatch is an error."""
    state = load_state_dict(rec)
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
        raise ValueError(f"pretrained weights of {rec.key} do not fit: missing {missing}, unexpected {unexpected}")
    if head_keys:
        log.warning("%s: loaded pretrained weights except the head (%s), which is freshly initialised "
                    "because its shape differs from the pretrained one", spec.name, ", ".join(head_keys))
    if rec.extra_files:  # e.g. a vocabulary that belongs with the weights
        model.load_state_files(read_extra_files(rec))
