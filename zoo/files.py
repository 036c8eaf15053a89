"""Writing files and folders so that a reader never sees half of one."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def usual_mode(directory: bool = False) -> int:
    """The permissions a new file (or folder) gets under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def write_atomic(path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename: `path` holds
    either its old content or the new, never part of it, and no temporary file is left on failure."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, usual_mode())  # mkstemp's files are private (0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_temp_dir(beside: Path) -> Path:
    """A fresh hidden folder beside `beside` (same file system, so it can be renamed into place)."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=beside.parent, prefix=f".{beside.name}.tmp."))
    os.chmod(tmp, usual_mode(directory=True))  # mkdtemp's folders are private (0700)
    return tmp


def remove_leftovers(folder: Path) -> None:
    """Remove temporary and old copies of `folder` that an interrupted replacement left beside it."""
    for stale in folder.parent.glob(f".{folder.name}.*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def replace_folder(tmp: Path, folder: Path) -> None:
    """Move the finished folder `tmp` to `folder`, keeping the old one until the new one is in place."""
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    try:
        tmp.rename(folder)
    except BaseException:
        if old.exists() and not folder.exists():
            old.rename(folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def file_lock(path):
    """An inter-process lock on `path`, held through a hidden `.<name>.lock` file beside it. The manifest's
    lock also guards the weights folders written with it."""
    from filelock import FileLock

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path.with_name(f".{path.name}.lock")))
