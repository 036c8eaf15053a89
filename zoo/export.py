"""Writing an entry's weights folder (the Hub repo) and its manifest record, each atomically."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

from .registry import get_spec
from .weights import INT8_SCALE, SOURCE_ROOT, quantize_int8, sha256_bytes

HUB_ORG = "fdl-zoo"
LICENSE = "mit"
EVALUATED_ON = {"word-embeddings": "measured on WordSim353, SimLex-999 and the Google analogy questions",
                "reinforcement-learning": "measured over evaluation episodes"}
HF_DATASETS = {"mnist": "ylecun/mnist", "fashion_mnist": "zalando-datasets/fashion_mnist"}


def hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda})"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU: {cpu}, {torch.get_num_threads()} threads"


def git_commit() -> str:
    """The commit the code was at, with '-dirty' when tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=SOURCE_ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD")
    if not commit:
        return "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's files are private (0600); give the usual permissions of a new file
    os.replace(tmp, path)


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
) -> dict:
    """Write `out_dir` (model.safetensors, config.json, README.md, extra files) and the manifest record.

    The folder is built beside `out_dir` and renamed into place, so a failure leaves the old one whole.
    `metrics` holds the measured figures, `metric_names` their human names for the model card.
    With `weights_dtype=torch.float16` the file stores half precision, with `torch.int8` int8 matrices
    with a scale per row (see `stored_tensors`), to stay small; measure the metrics after
    `round_to_storage(model, weights_dtype)` so they describe the published weights. A model with
    `state_files()` (e.g. a vocabulary) gets those files written beside the weights and recorded by sha256.
    """
    from safetensors.torch import save

    name = model.zoo_name
    spec = get_spec(name)
    out_dir, manifest = Path(out_dir), Path(manifest)
    weights = save(stored_tensors(model, weights_dtype), metadata={"format": "pt", "model": name})
    state_files = model.state_files() if hasattr(model, "state_files") else {}
    rec = {
        "repo_id": f"{HUB_ORG}/{name}",
        "revision": "main",
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
            "wall_time_s": round(wall_time_s, 1),
            "hardware": hardware(),
            "git_commit": git_commit(),
            "torch": torch.__version__,
        },
    }
    files = {
        "model.safetensors": weights,
        "config.json": json.dumps({"model": name, "kwargs": model.zoo_config}, indent=2).encode() + b"\n",
        "README.md": model_card(name, rec, metric_names, description).encode(),
        **state_files,
        **(extra_files or {}),
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    for fname, data in files.items():
        (tmp / fname).write_bytes(data)
    old = out_dir.with_name(f".{out_dir.name}.old")
    if out_dir.exists():
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)

    man = json.loads(manifest.read_text()) if manifest.exists() else {"models": {}}
    man["models"][name] = rec
    man["models"] = dict(sorted(man["models"].items()))
    write_atomic(manifest, (json.dumps(man, indent=2) + "\n").encode())
    return rec


def stored_tensors(model: torch.nn.Module, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The state dict as written: floating tensors in `dtype`; for torch.int8, each floating matrix as int8
    rows plus float32 scales under `<key>.int8_scale`, and other floating tensors in float16."""
    state = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        if v.is_floating_point() and dtype == torch.int8 and v.ndim == 2:
            state[k], state[k + INT8_SCALE] = quantize_int8(v)
        elif v.is_floating_point():
            state[k] = v.to(torch.float16 if dtype == torch.int8 else dtype)
        else:
            state[k] = v
    return {k: v.contiguous() for k, v in state.items()}


@torch.no_grad()
def round_to_storage(model: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """Round every floating tensor of `model` in place to what `stored_tensors(model, dtype)` keeps
    (the model stays float32), so that metrics measured afterwards describe the published file."""
    from .weights import dequantize

    stored = dequantize(stored_tensors(model, dtype))
    for k, t in model.state_dict().items():
        if t.is_floating_point():
            t.copy_(stored[k])
    return model


def model_card(name: str, rec: dict, metric_names: dict, description: str) -> str:
    """A Hugging Face model card: YAML metadata (JSON scalars are valid YAML) and the figures measured."""
    spec = get_spec(name)
    q = json.dumps
    hf_dataset = HF_DATASETS.get(spec.dataset, spec.dataset)
    metric_yaml = "".join(
        f"      - type: {q(k)}\n        name: {q(metric_names[k])}\n        value: {q(v)}\n"
        for k, v in rec["metrics"].items()
        if isinstance(v, (int, float))
    )
    table = "".join(f"| {metric_names[k]} | {_fmt(v)} |\n" for k, v in rec["metrics"].items())
    t = rec["training"]
    return f"""---
library_name: pytorch
license: {LICENSE}
datasets:
- {hf_dataset}
tags:
- fdl-zoo
- {spec.task}
- {spec.dataset}
- fundamentals-of-deep-learning
pipeline_tag: {spec.task}
model-index:
- name: {name}
  results:
  - task:
      type: {spec.task}
    dataset:
      name: {q(spec.dataset)}
      type: {q(hf_dataset)}
      split: test
    metrics:
{metric_yaml}---

# {name}

{description}

From *Fundamentals of Deep Learning* (2nd ed.), chapter {spec.chapter}. Part of the fdl-zoo model zoo.

## Use

```python
import zoo

model = zoo.load("{name}")            # pretrained, eval mode
model = zoo.load("{name}", pretrained=False)   # fresh weights
```

## Evaluation ({EVALUATED_ON.get(spec.task, f"measured on the full {spec.dataset} test set")} by `zoo.evaluation`)

| metric | value |
|---|---|
{table}
## Training

- Command: `{t['command']}`
- Wall time: {t['wall_time_s']} s on {t['hardware']}
- Code: commit `{t['git_commit']}`, torch {t['torch']}
- Parameters: {rec['num_params']:,}; config: `{q(rec['config'])}`
- Preprocessing: `{rec['preprocessing']}`
- File: `{rec['filename']}`, {rec['size']:,} bytes, sha256 `{rec['sha256']}`
"""


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)
