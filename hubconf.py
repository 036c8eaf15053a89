"""torch.hub entry points: one per registered model of fdl-zoo.

    torch.hub.list("<owner>/fdl-zoo")
    model = torch.hub.load("<owner>/fdl-zoo", "cnn_mnist")                       # pretrained, eval mode
    model = torch.hub.load("path/to/checkout", "vae_mnist", source="local", weights="book")
    model = torch.hub.load("path/to/checkout", "cnn_mnist", source="local", pretrained=False)

Each entry point is `zoo.load(name, pretrained=..., **kwargs)`: the weights are checked against the
manifest's sha256 before loading, whichever way the code arrived.
"""
dependencies = ["torch", "safetensors", "huggingface_hub", "numpy", "filelock"]

import zoo as _zoo


def _entry_point(name: str):
    def entry_point(pretrained: bool = True, **kwargs):
        return _zoo.load(name, pretrained=pretrained, **kwargs)

    factory_doc = (_zoo.get_spec(name).factory.__doc__ or name).strip()
    entry_point.__name__ = entry_point.__qualname__ = name
    entry_point.__doc__ = (f"{factory_doc}\n\npretrained=True (the default) loads the published weights, "
                           f"weights=TAG another version; other keyword arguments change the model's config.")
    return entry_point


globals().update({_name: _entry_point(_name) for _name in _zoo.list_models()})
