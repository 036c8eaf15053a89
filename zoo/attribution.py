"""Why did a classifier say that? The book's interpretability methods (ch. 11), through Captum (the
`explain` extra), for any zoo image classifier.

    maps = zoo.explain("cnn_mnist", images, method="integrated_gradients")   # (N, 1, 28, 28)
    maps = zoo.explain(model, images, method="occlusion", target=3)          # evidence for the class 3

Attributions are for the predicted class unless `target` is given, with respect to the normalised
input; positive values speak for the class. Removing a pixel means setting it to black (the background
of MNIST), which is also the baseline of integrated gradients and the value LIME and Kernel SHAP put in
place of a switched-off patch. The model-agnostic methods (occlusion, LIME, Kernel SHAP) only call the
model; the others need its gradients.
"""
from __future__ import annotations

import torch

METHODS = {
    "saliency": "absolute gradient of the class score (Simonyan et al., 2014)",
    "integrated_gradients": "gradients integrated along the path from a black image (Sundararajan et al., 2017)",
    "smoothgrad": "gradients averaged over noisy copies of the image (Smilkov et al., 2017)",
    "occlusion": "the score's drop when a 4x4 patch is blacked out, sliding by 2 pixels (Zeiler and Fergus, 2014)",
    "lime": "a linear model of the score over 7x7 patches switched on and off (Ribeiro et al., 2016)",
    "kernel_shap": "Shapley values of 7x7 patches, estimated by weighted regression (Lundberg and Lee, 2017)",
}
RECOMMENDED = "integrated_gradients"  # by docs/benchmarks/explain.json: see docs/interpretability.md
DEFAULT_OPTIONS = {
    "integrated_gradients": {"n_steps": 32},
    "smoothgrad": {"nt_samples": 16, "stdevs": 0.5},
    "occlusion": {"window": 4, "stride": 2},
    "lime": {"n_samples": 300, "patch": 4},
    "kernel_shap": {"n_samples": 300, "patch": 4},
}


def _captum():
    try:
        import captum.attr as attr
    except ImportError as e:
        raise ImportError("zoo.explain needs Captum: pip install 'fdl-zoo[explain]'") from e
    return attr


def patch_mask(size: int = 28, patch: int = 4) -> torch.Tensor:
    """(1, 1, size, size) feature ids of square patches, for LIME and Kernel SHAP."""
    per_row = -(-size // patch)
    rows = torch.arange(size) // patch
    return (rows[:, None] * per_row + rows[None, :])[None, None]


def _classifier(model_or_name):
    from . import load
    from .registry import get_spec

    model = load(model_or_name) if isinstance(model_or_name, str) else model_or_name
    name = getattr(model, "zoo_name", None)
    if name is None or not get_spec(name).can("predict") or not hasattr(model, "transforms"):
        raise TypeError(f"zoo.explain explains image classifiers (a name or a model from zoo.load); got "
                        f"{name or type(model).__name__}")
    return model


def explain(model_or_name, images, method: str = "integrated_gradients", target=None, **options) -> torch.Tensor:
    """Attributions (N, 1, 28, 28) of raw `images` (anything `predict` takes) under `method` (see
    METHODS), for the predicted class or `target` (one class for all images, or one per image).
    `options` change a method's settings (DEFAULT_OPTIONS), e.g. n_samples=1000 for LIME."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
    unknown = set(options) - set(DEFAULT_OPTIONS.get(method, {}))
    if unknown:
        allowed = ", ".join(DEFAULT_OPTIONS.get(method, {})) or "none"
        raise TypeError(f"{method} has no option {', '.join(sorted(unknown))}; its options: {allowed}")
    settings = {**DEFAULT_OPTIONS.get(method, {}), **options}
    model = _classifier(model_or_name)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x = model.transforms(images).to(device)
    if method in ("saliency", "integrated_gradients", "smoothgrad"):
        x.requires_grad_()
    black = model.transforms(torch.zeros(1, 28, 28)).to(device)
    with torch.no_grad():
        predicted = model(x).argmax(1)
    targets = _targets(target, predicted, model)
    try:
        return _attribute(model, x, black, targets, method, settings).detach().cpu()
    finally:
        model.train(was_training)


def _targets(target, predicted: torch.Tensor, model) -> torch.Tensor:
    if target is None:
        return predicted
    classes = model.head.out_features if hasattr(model, "head") else None
    t = torch.as_tensor(target).long().reshape(-1).to(predicted.device)
    if len(t) == 1:
        t = t.expand(len(predicted))
    if len(t) != len(predicted):
        raise ValueError(f"target gives {len(t)} classes for {len(predicted)} images; give one, or one per image")
    if classes is not None and (t.min() < 0 or t.max() >= classes):
        raise ValueError(f"target classes must lie in 0..{classes - 1}, got {t.tolist()}")
    return t.clone()


def _attribute(model, x, black, targets, method, s) -> torch.Tensor:
    attr = _captum()
    baseline = black.expand_as(x)
    if method == "saliency":
        return attr.Saliency(model).attribute(x, target=targets, abs=True)
    if method == "integrated_gradients":
        return attr.IntegratedGradients(model).attribute(x, baselines=baseline, target=targets, n_steps=s["n_steps"])
    if method == "smoothgrad":
        tunnel = attr.NoiseTunnel(attr.Saliency(model))
        return tunnel.attribute(x, nt_type="smoothgrad", nt_samples=s["nt_samples"], stdevs=s["stdevs"],
                                target=targets, abs=True)
    if method == "occlusion":
        w, st = s["window"], s["stride"]
        return attr.Occlusion(model).attribute(x, sliding_window_shapes=(1, w, w), strides=(1, st, st),
                                               baselines=black[0], target=targets)
    mask = patch_mask(x.shape[-1], s["patch"]).to(x.device)
    explainer = attr.Lime(model) if method == "lime" else attr.KernelShap(model)
    out = [explainer.attribute(x[i : i + 1], baselines=black, target=int(targets[i]), feature_mask=mask,
                               n_samples=s["n_samples"], perturbations_per_eval=s["n_samples"])
           for i in range(len(x))]
    return torch.cat(out)
