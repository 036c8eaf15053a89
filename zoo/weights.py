"""Where pretrained weights live and how they are fetched and checked.

Resolution order for an entry's file: the local weights folder (ZOO_WEIGHTS_DIR if set, else the
`weights/` folder of a source checkout), then the Hugging Face Hub through `hf_hub_download`, which
honours HF_ENDPOINT, HF_HUB_OFFLINE and the Hub cache. The sha256 from the manifest is checked on the
file's bytes before any tensor is made from them.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent  # the repository root when running from a checkout


class IntegrityError(RuntimeError):
    """A weights file does not match the sha256 recorded in the manifest."""


class NoPretrainedWeightsError(KeyError):
    """The entry exists but has no published weights."""

    def __str__(self):
        return str(self.args[0])


class WeightsNotFoundError(FileNotFoundError):
    """No copy of a weights file could be found locally or fetched from the Hub."""


def manifest_path() -> Path:
    if os.environ.get("ZOO_MANIFEST"):
        return Path(os.environ["ZOO_MANIFEST"])
    packaged = PACKAGE_DIR / "weights_manifest.json"  # inside an installed wheel
    return packaged if packaged.exists() else SOURCE_ROOT / "weights_manifest.json"


def read_manifest(path: Path | None = None) -> dict:
    path = Path(path) if path is not None else manifest_path()
    if not path.exists():
        return {"models": {}}
    return json.loads(path.read_text())


def record(name: str) -> dict:
    """The manifest record of `name`; a clear error when the entry has no published weights."""
    models = read_manifest()["models"]
    if name not in models:
        raise NoPretrainedWeightsError(
            f"{name!r} has no pretrained weights in {manifest_path()}; entries with weights: "
            f"{', '.join(sorted(models)) or 'none'}. Use pretrained=False for a fresh model."
        )
    return models[name]


def local_weights_dir() -> Path | None:
    if "ZOO_WEIGHTS_DIR" in os.environ:
        return Path(os.environ["ZOO_WEIGHTS_DIR"]) if os.environ["ZOO_WEIGHTS_DIR"] else None
    checkout = SOURCE_ROOT / "weights"
    return checkout if (SOURCE_ROOT / "pyproject.toml").exists() and checkout.is_dir() else None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(name: str, rec: dict, filename: str | None = None) -> Path:
    """Path of one file of `name`'s weights repo: the local copy if there is one, else from the Hub."""
    filename = filename or rec["filename"]
    local = local_weights_dir()
    if local is not None and (local / name / filename).exists():
        return local / name / filename
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(rec["repo_id"], filename, revision=rec.get("revision", "main")))
    except LocalEntryNotFoundError as e:
        offline = " HF_HUB_OFFLINE is set, so the Hub was not asked." if constants.HF_HUB_OFFLINE else ""
        raise WeightsNotFoundError(
            f"weights of {name!r} ({rec['repo_id']}/{filename}) are neither in the local weights folder "
            f"({local or 'none'}) nor in the Hugging Face cache, and could not be downloaded.{offline} "
            f"To get them, run `huggingface-cli download {rec['repo_id']}` once with network access "
            f"(HF_ENDPOINT selects a mirror), or set ZOO_WEIGHTS_DIR to a folder holding {name}/{filename}."
        ) from e
    except HfHubHTTPError as e:
        raise WeightsNotFoundError(f"could not download {rec['repo_id']}/{filename}: {e}") from e


def read_verified(name: str, rec: dict, filename: str | None = None) -> bytes:
    """The bytes of one file of `name`'s weights repo, checked against the sha256 in its manifest record."""
    filename = filename or rec["filename"]
    expected = rec if filename == rec["filename"] else rec["files"][filename]
    path = fetch(name, rec, filename)
    data = path.read_bytes()
    digest = sha256_bytes(data)
    if digest != expected["sha256"]:
        raise IntegrityError(
            f"{path} does not match the manifest for {name!r}: sha256 {digest}, expected {expected['sha256']} "
            f"({len(data)} bytes, expected {expected.get('size')}). The file is corrupt or tampered with; "
            "delete it and download it again."
        )
    return data


def load_state_dict(name: str, rec: dict | None = None) -> dict[str, torch.Tensor]:
    """The verified tensors of `name`'s pretrained weights, in float32 where they were stored as int8."""
    from safetensors.torch import load as load_safetensors

    rec = rec or record(name)
    return dequantize(load_safetensors(read_verified(name, rec)))


INT8_SCALE = ".int8_scale"  # key suffix of the per-row scales of a matrix stored as int8


def quantize_int8(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A float matrix as int8 rows and one float32 scale per row (symmetric, absolute maximum to 127)."""
    scale = t.detach().float().abs().amax(1).clamp_min(1e-12) / 127
    return (t.detach().float() / scale[:, None]).round().to(torch.int8), scale


def dequantize(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for key in [k for k in state if k.endswith(INT8_SCALE)]:
        base = key[: -len(INT8_SCALE)]
        state[base] = state[base].float() * state.pop(key)[:, None]
    return state
