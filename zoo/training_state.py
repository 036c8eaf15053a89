"""Resumable training state in one safetensors file: the tensors of any nest of state dicts (models,
optimizers, schedules, random generators) as tensors, and the structure around them, numbers, strings
and integer keys included, as JSON in the file's metadata. No pickle, so a checkpoint is as safe to
load as a weights file, and it is written atomically, so an interrupted save leaves the last one whole."""
from __future__ import annotations

import json

import torch

from .files import write_atomic


def _split(obj, key: str, tensors: dict):
    if isinstance(obj, torch.Tensor):
        if key in tensors:  # e.g. keys "a.b" and "a" -> "b" side by side: one would silently replace the other
            raise ValueError(f"two tensors of the training state would both be stored as {key!r}")
        tensors[key] = obj.detach().cpu().clone().contiguous()  # clone: safetensors refuses shared storage
        return {"tensor": key}
    if isinstance(obj, dict):  # pairs, not a JSON object, so that integer keys (optimizer state) stay integers
        return {"dict": [[k, _split(v, f"{key}.{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"list": [_split(v, f"{key}.{i}", tensors) for i, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise TypeError(f"a training state holds tensors, numbers, strings, lists and dicts; {key} is a {type(obj).__name__}")


def _join(node, tensors: dict):
    kind, value = next(iter(node.items()))
    if kind == "tensor":
        return tensors[value]
    if kind == "dict":
        return {k: _join(v, tensors) for k, v in value}
    if kind == "list":
        return [_join(v, tensors) for v in value]
    return value


def save_training_state(path, **state) -> None:
    """Write `state` (names to state dicts, tensors or plain values) to `path`."""
    from safetensors.torch import save

    tensors: dict[str, torch.Tensor] = {}
    structure = {name: _split(value, name, tensors) for name, value in state.items()}
    write_atomic(path, save(tensors, metadata={"training_state": json.dumps(structure)}))


def load_training_state(path) -> dict:
    """The state that `save_training_state` wrote to `path`; tuples come back as lists."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        metadata = f.metadata() or {}
        if "training_state" not in metadata:
            raise ValueError(f"{path} is not a training checkpoint written by zoo.training_state")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return {name: _join(node, tensors) for name, node in json.loads(metadata["training_state"]).items()}


def _state_of(obj):
    return obj.get_state() if isinstance(obj, torch.Generator) else obj.state_dict()


def save_progress(path, options: dict, objects: dict, **values) -> None:
    """Save a training loop's state to `path`: the `options` that shape the run, the state of each of
    `objects` (modules, optimizers, schedules, generators), torch's global random state (dropout's), and
    `values` (history, seconds, ...)."""
    save_training_state(path, options=options, **{k: _state_of(v) for k, v in objects.items()},
                        torch_rng=torch.get_rng_state(), **values)


def resume_progress(path, options: dict, objects: dict) -> dict | None:
    """Restore what `save_progress` saved to `path` into `objects` and torch's random state, and return the
    saved values; None when `path` is None (a run without a checkpoint) or there is no file there yet. A
    checkpoint written with other `options` is refused, because carrying on under another schedule would
    silently train something else."""
    from pathlib import Path

    if path is None or not Path(path).exists():
        return None
    saved = load_training_state(path)
    if saved["options"] != options:
        differ = {k: (saved["options"].get(k), options.get(k)) for k in sorted(saved["options"].keys() | options.keys())
                  if saved["options"].get(k) != options.get(k)}
        raise ValueError(f"{path} was written by a run with other options; (checkpoint, this run): {differ}. "
                         "Resume with the same options, or start afresh with another checkpoint file")
    for name, obj in objects.items():
        state = saved.pop(name)
        obj.set_state(state) if isinstance(obj, torch.Generator) else obj.load_state_dict(state)
    torch.set_rng_state(saved.pop("torch_rng"))
    return saved
