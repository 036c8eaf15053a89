"""Reading an entry's files and trusting them: each file must be a regular file of the recorded size and
sha256 before any tensor is made from it. A bad copy in the Hub cache is downloaded again once."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import torch

from . import _hub
from .errors import IntegrityError
from .manifest import FileRecord, WeightsRecord
from .storage import load_tensors

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_checked(path: Path, expected: FileRecord, what: str) -> bytes:
    """The bytes of `path` if it is a regular file of the expected size and sha256; the size is checked
    before anything is read, and the file is hashed as it is read."""
    try:
        st = os.stat(path)  # follows symlinks, as the Hub cache's snapshots are links to blobs
    except OSError as e:
        raise IntegrityError(f"{path} ({what}) cannot be read: {e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise IntegrityError(f"{path} ({what}) is not a regular file; refusing to read it")
    if st.st_size != expected.size:
        raise IntegrityError(f"{path} ({what}) has {st.st_size} bytes, the manifest records {expected.size}: "
                             "the file is truncated, corrupt or a different version")
    digest, data = hashlib.sha256(), bytearray()
    with open(path, "rb") as f:
        while len(data) <= expected.size and (chunk := f.read(CHUNK)):
            digest.update(chunk)
            data += chunk
    if len(data) != expected.size or digest.hexdigest() != expected.sha256:
        raise IntegrityError(f"{path} ({what}) does not match the manifest: sha256 {digest.hexdigest()}, expected "
                             f"{expected.sha256} ({len(data)} bytes). The file is corrupt or tampered with")
    return bytes(data)


def read_verified(rec: WeightsRecord, file: FileRecord | None = None) -> bytes:
    """The verified bytes of one file of `rec`'s repo (default: the weights file). A local copy that fails
    is an error to fix by hand; a Hub-cache copy that fails is downloaded again once, then it is an error."""
    file = file or rec.file
    what = f"{rec.key}/{file.filename}"
    local = _hub.local_file(rec, file.filename)
    if local is not None:
        try:
            return read_checked(local, file, what)
        except IntegrityError as e:
            raise IntegrityError(f"{e}. It is the local weights folder's copy: restore it (e.g. `git checkout -- "
                                 f"{local}` in a checkout) or remove it to use the Hub's") from None
    path = _hub.hub_file(rec, file.filename)
    try:
        return read_checked(path, file, what)
    except IntegrityError:
        path = _hub.hub_file(rec, file.filename, force=True)
    try:
        return read_checked(path, file, what)
    except IntegrityError as e:
        raise IntegrityError(f"{e}, even after downloading it again from the Hub: the Hub's copy of {rec.repo_id} "
                             f"at {rec.revision[:12]} is not the one this version of fdl-zoo records") from None


def load_state_dict(rec: WeightsRecord) -> dict[str, torch.Tensor]:
    """The verified tensors of a set of weights, in float32 where they were stored as int8."""
    return load_tensors(read_verified(rec))


def read_extra_files(rec: WeightsRecord) -> dict[str, bytes]:
    """The verified files that belong with the weights (e.g. a vocabulary), by filename."""
    return {f.filename: read_verified(rec, f) for f in rec.extra_files}


def copy_verified(rec: WeightsRecord, folder) -> list[Path]:
    """Write the verified files of `rec` into `folder/<key>/`, a weights folder that ZOO_WEIGHTS_DIR=folder
    then serves without a network; returns the paths written."""
    from .files import write_atomic

    written = []
    for f in rec.files():
        path = Path(folder) / rec.key / f.filename
        write_atomic(path, read_verified(rec, f))
        written.append(path)
    return written
