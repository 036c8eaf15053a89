"""The zoo's image classifiers in timm's registry, after one import:

    import timm
    import zoo.timm_registry  # noqa: F401  (registers them)

    timm.list_models("*mnist*")                        # ['cnn_mnist', 'mlp_mnist']
    model = timm.create_model("cnn_mnist", pretrained=True)       # zoo.load's verified weights, eval mode
    model = timm.create_model("cnn_mnist", num_classes=5)         # fresh; timm's keyword arguments pass on

Each entry point is `zoo.load(name, pretrained=..., **kwargs)`, so the weights are checked against the
manifest's sha256 as they are everywhere else. The models offer timm's classifier interface
(`forward_features`, `get_classifier`, `reset_classifier`).
"""
from __future__ import annotations

from timm.models import register_model

from . import load
from .registry import list_names

# what timm.create_model passes that a zoo factory does not take
_TIMM_ONLY = ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir")


def _entry_point(name: str):
    def entry_point(pretrained: bool = False, **kwargs):
        for key in _TIMM_ONLY:
            kwargs.pop(key, None)
        return load(name, pretrained=pretrained, **kwargs)

    entry_point.__name__ = entry_point.__qualname__ = name
    entry_point.__module__ = __name__
    entry_point.__doc__ = f"zoo.load({name!r}, pretrained=..., **kwargs), for timm.create_model."
    return entry_point


NAMES = list_names(task="image-classification")
for _name in NAMES:
    globals()[_name] = register_model(_entry_point(_name))
