"""How tensors are stored in a weights file: safetensors with a deterministic header, in float32,
float16, or int8 matrices with a float32 scale per row."""
from __future__ import annotations

import json
import struct

import torch

INT8_SCALE = ".int8_scale"  # key suffix of the per-row scales of a matrix stored as int8


def safetensors_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    """The safetensors file of `tensors`, its header written with sorted keys, so that the same tensors
    and metadata always give the same bytes (safetensors itself orders `__metadata__` differently from
    one process to the next)."""
    from safetensors.torch import save

    raw = save(tensors, metadata={str(k): str(v) for k, v in metadata.items()})
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads the header with spaces to an 8-byte boundary
    return struct.pack("<Q", len(text)) + text + raw[8 + length :]


def load_tensors(data: bytes) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file's bytes, in float32 where they were stored as int8."""
    from safetensors.torch import load

    return dequantize(load(data))


def quantize_int8(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A float matrix as int8 rows and one float32 scale per row (symmetric, absolute maximum to 127)."""
    scale = t.detach().float().abs().amax(1).clamp_min(1e-12) / 127
    return (t.detach().float() / scale[:, None]).round().to(torch.int8), scale


def dequantize(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for key in [k for k in state if k.endswith(INT8_SCALE)]:
        base = key[: -len(INT8_SCALE)]
        state[base] = state[base].float() * state.pop(key)[:, None]
    return state


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
    stored = dequantize(stored_tensors(model, dtype))
    for k, t in model.state_dict().items():
        if t.is_floating_point():
            t.copy_(stored[k])
    return model
