"""Writing an entry's weights folder (its Hub repo) and manifest record, together and atomically."""
from __future__ import annotations

import json
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import torch

from ._hub import publish_message, repo_revision
from .book import book_table
from .files import file_lock, make_temp_dir, remove_leftovers, replace_folder, write_atomic
from .manifest import read_manifest, split_key, weights_key
from .provenance import SOURCE_ROOT, git_commit, hardware, uncommitted_code
from .registry import get_spec
from .storage import safetensors_bytes, stored_tensors
from .weights import sha256_bytes

HUB_ORG = "fdl-zoo"
LICENSE = "mit"
EVALUATED_ON = {"word-embeddings": "measured on WordSim353, SimLex-999 and the Google analogy questions",
                "reinforcement-learning": "measured over evaluation episodes",
                "algorithmic": "measured on 500 seeded test sequences of each length",
                "question-answering": "measured on the 1,000 generated test stories of each task"}
HF_DATASETS = {"mnist": "ylecun/mnist", "fashion_mnist": "zalando-datasets/fashion_mnist"}  # only real Hub ids
PIPELINE_TAGS = {  # the Hub's pipeline tag of each task (its own names differ for some)
    "image-classification": "image-classification", "image-generation": "unconditional-image-generation",
    "representation-learning": "feature-extraction", "word-embeddings": "feature-extraction",
    "reinforcement-learning": "reinforcement-learning", "text-classification": "text-classification",
    "grapheme-to-phoneme": "text2text-generation", "algorithmic": "other", "question-answering": "question-answering",
}
PUBLISHED_WEIGHTS = SOURCE_ROOT / "weights"
PUBLISHED_MANIFEST = SOURCE_ROOT / "weights_manifest.json"


class PublishingRefused(ValueError):
    """A training run would overwrite the published weights without being asked to, or from uncommitted code."""


def check_destination(out_dir, manifest, publish: bool) -> None:
    """Refuse to write into the committed weights/ folder or manifest unless `publish`, and to publish
    from code that is not committed (shipped weights must name the commit that made them)."""
    out_dir, manifest = Path(out_dir).resolve(), Path(manifest).resolve()
    touches = out_dir.is_relative_to(PUBLISHED_WEIGHTS) or manifest == PUBLISHED_MANIFEST
    if touches and not publish:
        raise PublishingRefused(f"{out_dir if out_dir.is_relative_to(PUBLISHED_WEIGHTS) else manifest} holds the "
                                "published weights; pass --publish to replace them, or choose --out/--manifest elsewhere")
    if publish:
        dirty = uncommitted_code()
        if dirty:
            raise PublishingRefused("--publish needs committed code, so the weights name the commit that made them; "
                                    f"uncommitted: {', '.join(dirty[:8])}{' ...' if len(dirty) > 8 else ''}")


@contextmanager
def _uninterrupted():
    """Hold off SIGINT and SIGTERM for the few renames that must happen together."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def save_entry(
    model: torch.nn.Module,
    out_dir,
    manifest,
    *,
    metrics: dict,
    metric_names: dict,
    command: str,
    wall_time_s: float,
    description: str,
    extra_files: dict | None = None,
    weights_dtype: torch.dtype = torch.float32,
    device="cpu",
    tag: str | None = None,
    recipe: dict | None = None,
    code_commit: str | None = None,
    environment_packages: dict | None = None,
) -> dict:
    """Write `out_dir` (model.safetensors, config.json, README.md, extra files) and the manifest record.

    The folder is built beside `out_dir`; under the manifest's lock it replaces the old folder and the
    record is written, with interrupts held off, so a reader sees the old pair or the new pair.
    `metrics` holds the measured figures, `metric_names` their human names for the model card, `device`
    where training ran, `tag` the weights version (None: the entry's default), `recipe` the script's
    resolved arguments, `code_commit` the commit of the code when training began (default: now),
    `environment_packages` an agent's simulator versions (`zoo.rl.environment_packages`). With
    `weights_dtype=torch.float16` the file stores half precision, with `torch.int8` int8 matrices with a scale
    per row (see `zoo.storage`); measure the metrics after
    `round_to_storage(model, weights_dtype)` so they describe the published weights. A model with
    `state_files()` (e.g. a vocabulary) gets those files written beside the weights and recorded by sha256.
    """
    name = model.zoo_name
    key = weights_key(name, tag)
    spec = get_spec(name)
    out_dir, manifest = Path(out_dir), Path(manifest)
    weights = safetensors_bytes(stored_tensors(model, weights_dtype), {"format": "pt", "model": key})
    state_files = model.state_files() if hasattr(model, "state_files") else {}
    rec = {
        "repo_id": f"{HUB_ORG}/{key}",
        "revision": None,  # the commit the repo's files make; set below
        "filename": "model.safetensors",
        "sha256": sha256_bytes(weights),
        "size": len(weights),
        **({"files": {f: {"sha256": sha256_bytes(d), "size": len(d)} for f, d in state_files.items()}}
           if state_files else {}),
        "num_params": sum(p.numel() for p in model.parameters()),
        "task": spec.task,
        "dataset": spec.dataset,
        "config": model.zoo_config,
        "metrics": metrics,
        "preprocessing": repr(getattr(model, "transforms", None)),
        "training": {
            "command": command,
            **({"recipe": recipe} if recipe is not None else {}),
            "wall_time_s": round(wall_time_s, 1),
            "hardware": hardware(device),
            "git_commit": code_commit or git_commit(),
            "torch": torch.__version__,
            **({"environment_packages": environment_packages} if environment_packages else {}),
        },
    }
    files = {
        "model.safetensors": weights,
        "config.json": config_json(name, model.zoo_config, model),
        "README.md": model_card(key, rec, metric_names, description, manifest).encode(),
        **state_files,
        **(extra_files or {}),
    }
    rec["revision"] = repo_revision(files, publish_message(key))
    with file_lock(manifest):
        remove_leftovers(out_dir)
        tmp = make_temp_dir(out_dir)
        try:
            for fname, data in files.items():
                (tmp / fname).write_bytes(data)
            man = read_manifest(manifest)
            man["models"][key] = rec
            man["models"] = dict(sorted(man["models"].items()))
            with _uninterrupted():
                replace_folder(tmp, out_dir)
                write_atomic(manifest, (json.dumps(man, indent=2) + "\n").encode())
        finally:
            remove_leftovers(out_dir)
    return rec


def config_json(name: str, config: dict, model) -> bytes:
    """The repo's config.json, flat: the architecture (the zoo's factory), its keyword arguments, and what
    its inputs are (images: size, pixel range and normalisation; agents: the environment's observations).
    A timm model's is in timm's format instead, so that `timm.create_model("hf-hub:<repo>")` builds it."""
    if hasattr(model, "timm_architecture"):
        return timm_config_json(name, config, model)
    inputs = {}
    transforms = getattr(model, "transforms", None)
    if transforms is not None:
        inputs = {"input_size": [1, transforms.size, transforms.size], "value_range": [0, 1],
                  "mean": [transforms.mean], "std": [transforms.std]}
    elif get_spec(name).task in ("representation-learning", "image-generation"):
        inputs = {"input_size": [1, 28, 28], "value_range": [0, 1]}
    elif hasattr(model, "obs_shape"):
        inputs = {"env_id": model.env_id, "observation_shape": list(model.obs_shape)}
    return json.dumps({"architecture": name, **config, **inputs}, indent=2).encode() + b"\n"


def as_in_json(value):
    """`value` as it reads back from JSON: a tuple as a list (the manifest and config.json have lists where a
    factory or a training script may have tuples)."""
    return list(value) if isinstance(value, tuple) else value


def timm_config_json(name: str, config: dict, model) -> bytes:
    """timm's Hub config: `architecture` and `model_args` rebuild the model with `timm.create_model`, and
    `pretrained_cfg` says how to prepare its inputs (timm's data config); the zoo's factory and keyword
    arguments ride along under `fdl_zoo`."""
    t = model.transforms
    args = {k: as_in_json(v) for k, v in model.timm_model_args.items() if k != "num_classes"}
    pretrained_cfg = {"input_size": [1, t.size, t.size], "fixed_input_size": False, "interpolation": "bilinear",
                      "crop_pct": 1.0, "crop_mode": "center", "mean": [t.mean], "std": [t.std],
                      "num_classes": model.num_classes, "pool_size": None,
                      "first_conv": _module_name(model, next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))),
                      "classifier": _module_name(model, model.get_classifier()), "label_names": list(model.classes)}
    return json.dumps({"architecture": model.timm_architecture, "num_classes": model.num_classes,
                       "num_features": model.num_features, "global_pool": "avg", "model_args": args,
                       "pretrained_cfg": pretrained_cfg, "fdl_zoo": {"architecture": name, **config}},
                      indent=2).encode() + b"\n"


def _module_name(model, module) -> str:
    return next(n for n, m in model.named_modules() if m is module)


def folder_revision(folder, key: str) -> str:
    """The commit that the files of the weights folder `folder` make as the Hub repo of `key`."""
    files = {f.name: f.read_bytes() for f in Path(folder).iterdir() if f.is_file()}
    return repo_revision(files, publish_message(key))


def headline(rec: dict) -> str:
    """The first numeric metric of a record, for the book table and listings."""
    for k, v in rec.get("metrics", {}).items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{k} {_fmt(v)}"
    return "-"


def hub_metrics(task: str, metrics: dict) -> dict:
    """The metrics of a card's model-index: the model's measurements only (whole numbers are counts, and
    `real_*` figures describe the real data the model is read against; both stay in the table); an agent's
    in the form the Hub's RL leaderboards read, "mean +/- std" as `mean_reward`."""
    if task == "reinforcement-learning" and {"mean_return", "std_return"} <= set(metrics):
        return {"mean_reward": f"{metrics['mean_return']:.2f} +/- {metrics['std_return']:.2f}"}
    return {k: v for k, v in metrics.items() if isinstance(v, float) and not k.startswith("real_")}


def changed_from_factory(spec, config: dict) -> dict:
    """The arguments in a weights record's `config` that differ from its factory's defaults: what a fresh model
    of the same architecture needs (a `book` version's, say)."""
    defaults = {k: as_in_json(v) for k, v in spec.defaults.items()}
    return {k: v for k, v in config.items() if k in defaults and defaults[k] != as_in_json(v)}


def model_card(key: str, rec: dict, metric_names: dict, description: str, manifest=None, peers: str = "") -> str:
    """A Hugging Face model card: YAML metadata (JSON scalars are valid YAML) and the figures measured;
    `peers` is a markdown section with the figures of the entry's benchmark beside its anchors."""
    name, tag = split_key(key)
    spec = get_spec(name)
    q = json.dumps
    hf_dataset = HF_DATASETS.get(spec.dataset)
    metric_names = {"mean_reward": "mean_reward", **metric_names}
    metric_yaml = "".join(
        f"      - type: {q(k)}\n        name: {q(metric_names[k])}\n        value: {q(v)}\n"
        for k, v in hub_metrics(spec.task, rec["metrics"]).items()
    )
    table = "".join(f"| {metric_names[k]} | {_fmt(v)} |\n" for k, v in rec["metrics"].items())
    t = rec["training"]
    packages = "".join(f", {name} {v}" for name, v in t.get("environment_packages", {}).items())
    recipe = t.get("recipe", {})
    stopped = (f"- Epochs: {recipe['epochs_run']} of the recipe's {recipe['epochs']}, stopped by `--max-minutes` "
               "before the learning rate had annealed\n"
               if recipe.get("epochs_run", recipe.get("epochs")) != recipe.get("epochs") else "")
    models = read_manifest(manifest)["models"] if manifest is not None else {}
    figures = {split_key(k)[1]: headline(r) for k, r in models.items() if split_key(k)[0] == name}
    figures[tag] = headline(rec)
    load_args = f'"{name}"' + (f', weights="{tag}"' if tag else "")
    fresh_args = f'"{name}", pretrained=False' + "".join(  # what a fresh model of this architecture needs
        f', {k}="{v}"' if isinstance(v, str) else f", {k}={v!r}"
        for k, v in changed_from_factory(spec, rec["config"]).items())
    return f"""---
library_name: fdl-zoo
license: {LICENSE}
{f"datasets:{chr(10)}- {hf_dataset}{chr(10)}" if hf_dataset else ""}tags:
- fdl-zoo
- {spec.task}
- {spec.dataset}
- fundamentals-of-deep-learning
pipeline_tag: {PIPELINE_TAGS[spec.task]}
model-index:
- name: {key}
  results:
  - task:
      type: {spec.task}
    dataset:
      name: {q(spec.dataset)}
      type: {q(hf_dataset or spec.dataset)}
      split: test
    metrics:
{metric_yaml}---

# {key}

{description}

From *Fundamentals of Deep Learning* (2nd ed.), chapter {spec.chapter}. Part of the fdl-zoo model zoo.

## Use

```python
import zoo

model = zoo.load({load_args})            # pretrained, eval mode; model.train() before fine-tuning
model = zoo.load({fresh_args})   # fresh weights
```

`zoo.load` (`pip install fdl-zoo`) is the loader: it checks the file's sha256 against the zoo's manifest,
builds the architecture that `config.json` names, and restores what the file stores compactly (float16,
or int8 matrices with a scale per row) and any file beside it (a vocabulary). Generic loaders such as
`PyTorchModelHubMixin` know none of this, so they are not a supported way to load these weights.

## The book and this entry

{book_table(name, figures)}
## Evaluation ({EVALUATED_ON.get(spec.task, f"measured on the full {spec.dataset} test set")} by `zoo.evaluation`)

| metric | value |
|---|---|
{table}
{peers + chr(10) if peers else ""}## Training

- Command: `{t['command']}`
- Wall time: {t['wall_time_s']} s on {t['hardware']}
{stopped}- Code: commit `{t['git_commit']}`, torch {t['torch']}{packages}
- Parameters: {rec['num_params']:,}; config: `{q(rec['config'])}`
- Preprocessing: `{rec['preprocessing']}`
- File: `{rec['filename']}`, {rec['size']:,} bytes, sha256 `{rec['sha256']}`
"""


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)
