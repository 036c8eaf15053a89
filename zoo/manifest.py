"""The weights manifest: one typed, checked record per published set of weights.

An entry's default weights are recorded under its name (`vae_mnist`); further versions under
`name.tag` (`vae_mnist.book`), each with its own Hub repo pinned to a commit, like timm's pretrained tags.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType

from .errors import ManifestError, NoPretrainedWeightsError
from .provenance import SOURCE_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent
REQUIRED = ("repo_id", "revision", "filename", "sha256", "size")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def manifest_path() -> Path:
    if os.environ.get("ZOO_MANIFEST"):
        return Path(os.environ["ZOO_MANIFEST"])
    packaged = PACKAGE_DIR / "weights_manifest.json"  # inside an installed wheel
    return packaged if packaged.exists() else SOURCE_ROOT / "weights_manifest.json"


def weights_key(name: str, tag: str | None = None) -> str:
    """The manifest key and weights-folder name of an entry's weights: `name`, or `name.tag`."""
    return name if tag is None else f"{name}.{tag}"


def split_key(key: str) -> tuple[str, str | None]:
    """The entry and weights tag that a key names, the inverse of weights_key: `name.tag` -> (name, tag),
    `name` -> (name, None)."""
    name, _, tag = key.partition(".")
    return name, tag or None


def check_repo_path(filename, where: str) -> str:
    """`filename` if it names a file inside a repo (relative, no `..`), else a ManifestError."""
    if not isinstance(filename, str) or not filename:
        raise ManifestError(f"{where}: a filename must be a non-empty string, got {filename!r}")
    p = PurePosixPath(filename)
    if p.is_absolute() or ".." in p.parts or "\\" in filename or ":" in filename or filename.startswith("~"):
        raise ManifestError(f"{where}: filename {filename!r} leaves the repo; only relative paths inside it are allowed")
    return filename


@dataclass(frozen=True)
class FileRecord:
    filename: str
    sha256: str
    size: int


@dataclass(frozen=True)
class WeightsRecord:
    """One published set of weights of an entry, as the manifest records it."""

    name: str  # the registered model
    tag: str | None  # None for the entry's default weights
    repo_id: str
    revision: str  # a Hub commit
    file: FileRecord  # the weights file
    extra_files: tuple[FileRecord, ...] = ()  # files that belong with the weights, e.g. a vocabulary
    config: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    raw: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # the whole record

    @property
    def key(self) -> str:
        return weights_key(self.name, self.tag)

    @property
    def metrics(self) -> dict:
        return dict(self.raw.get("metrics", {}))

    def files(self) -> tuple[FileRecord, ...]:
        return (self.file, *self.extra_files)

    def as_dict(self) -> dict:
        return json.loads(json.dumps(dict(self.raw)))

    @classmethod
    def from_dict(cls, key: str, rec, source) -> "WeightsRecord":
        where = f"{source}: record {key!r}"
        if not isinstance(rec, dict):
            raise ManifestError(f"{where} must be a JSON object, got {type(rec).__name__}")
        missing = [f for f in REQUIRED if f not in rec]
        if missing:
            raise ManifestError(f"{where} has no {', '.join(missing)}; every record needs {', '.join(REQUIRED)}")
        name, tag = split_key(key)
        files = rec.get("files", {})
        if not isinstance(files, dict):
            raise ManifestError(f"{where}: 'files' must map filenames to {{sha256, size}}")
        return cls(name=name, tag=tag, repo_id=str(rec["repo_id"]), revision=str(rec["revision"]),
                   file=_file_record(rec["filename"], rec, where),
                   extra_files=tuple(_file_record(f, r, where) for f, r in files.items()),
                   config=MappingProxyType(dict(rec.get("config", {}))), raw=MappingProxyType(rec))


def _file_record(filename, rec, where) -> FileRecord:
    check_repo_path(filename, where)
    if not isinstance(rec, dict) or "sha256" not in rec or "size" not in rec:
        raise ManifestError(f"{where}: file {filename!r} needs a sha256 and a size")
    sha, size = rec["sha256"], rec["size"]
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ManifestError(f"{where}: the sha256 of {filename!r} must be 64 lowercase hex digits, got {sha!r}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}: the size of {filename!r} must be a byte count, got {size!r}")
    return FileRecord(filename, sha, size)


def read_manifest(path=None) -> dict:
    """The manifest as JSON ({"models": {key: record}}); an empty one when the file does not exist."""
    path = Path(path) if path is not None else manifest_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {"models": {}}
    except OSError as e:
        raise ManifestError(f"cannot read the weights manifest {path}: {e}") from None
    try:
        man = json.loads(text)
    except json.JSONDecodeError as e:
        raise ManifestError(f"the weights manifest {path} is not valid JSON: {e}") from None
    if not isinstance(man, dict) or not isinstance(man.get("models"), dict):
        raise ManifestError(f"the weights manifest {path} must be a JSON object with a 'models' object")
    return man


def published_keys(path=None) -> list[str]:
    return sorted(read_manifest(path)["models"])


def versions(name: str, path=None) -> list[str | None]:
    """The weight tags of `name` in the manifest: None for the default, then the named versions."""
    tags = [tag for base, tag in map(split_key, published_keys(path)) if base == name]
    return sorted(tags, key=lambda t: (t is not None, t or ""))


def get_record(name: str, tag: str | None = None, path=None) -> WeightsRecord:
    """The typed record of `name`'s weights (`tag` None: the default); a clear error when there is none."""
    path = Path(path) if path is not None else manifest_path()
    models = read_manifest(path)["models"]
    key = weights_key(name, tag)
    if key not in models:
        have = versions(name, path)
        if have:
            shown = ", ".join("None (the default)" if t is None else repr(t) for t in have)
            raise NoPretrainedWeightsError(f"{name!r} has no weights {tag!r} in {path}; its weights are: {shown}")
        raise NoPretrainedWeightsError(
            f"{name!r} has no pretrained weights in {path}; entries with weights: "
            f"{', '.join(sorted({split_key(k)[0] for k in models})) or 'none'}. "
            "Use pretrained=False for a fresh model.")
    return WeightsRecord.from_dict(key, models[key], path)


def update_manifest(path, key: str, rec: dict | None) -> None:
    """Set (or with None remove) one record, holding the manifest's lock so that concurrent writers
    never lose each other's records; the file is replaced atomically."""
    from .files import file_lock, write_atomic

    path = Path(path)
    with file_lock(path):
        man = read_manifest(path)
        if rec is None:
            man["models"].pop(key, None)
        else:
            man["models"][key] = rec
        man["models"] = dict(sorted(man["models"].items()))
        write_atomic(path, (json.dumps(man, indent=2) + "\n").encode())
