"""All Hub input and output: downloading a file of an entry's repo at its pinned commit, turning every
failure into the zoo's own errors, and the commit a repo's files make.

Resolution order for a file: the local weights folder (ZOO_WEIGHTS_DIR if set, else the `weights/`
folder of a source checkout), then `hf_hub_download`, which honours HF_ENDPOINT, HF_HUB_OFFLINE and the
Hub cache.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import DownloadError, WeightsNotFoundError
from .manifest import WeightsRecord
from .provenance import SOURCE_ROOT

# The identity and time of the commits that scripts/publish.py makes for a self-hosted mirror, fixed so
# that the same files always make the same commit (the revision the manifest pins).
PUBLISHER = "fdl-zoo <fdl-zoo@users.noreply.huggingface.co>"
PUBLISH_TIME = "1700000000 +0000"


def local_weights_dir() -> Path | None:
    if "ZOO_WEIGHTS_DIR" in os.environ:
        return Path(os.environ["ZOO_WEIGHTS_DIR"]) if os.environ["ZOO_WEIGHTS_DIR"] else None
    checkout = SOURCE_ROOT / "weights"
    return checkout if (SOURCE_ROOT / "pyproject.toml").exists() and checkout.is_dir() else None


def local_file(rec: WeightsRecord, filename: str) -> Path | None:
    """The copy of `filename` in the local weights folder, if there is one."""
    folder = local_weights_dir()
    if folder is None:
        return None
    path = folder / rec.key / filename
    return path if os.path.lexists(path) else None


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def hub_file(rec: WeightsRecord, filename: str, force: bool = False) -> Path:
    """Path of `filename` of `rec`'s repo at its pinned revision in the Hub cache, downloading it if needed
    (always, with `force`). Every failure is a WeightsNotFoundError that says what failed and what to do."""
    from huggingface_hub import constants, hf_hub_download

    where = f"{rec.repo_id}/{filename} at revision {rec.revision[:12]}"
    get_it = (f"`hf download {rec.repo_id} {filename} --revision {rec.revision}` fetches it once the Hub is "
              f"reachable; or set ZOO_WEIGHTS_DIR to a folder holding {rec.key}/{filename}")
    try:
        return Path(hf_hub_download(rec.repo_id, filename, revision=rec.revision, force_download=force))
    except Exception as e:
        if not constants.HF_HUB_OFFLINE:
            raise _download_error(e, where, get_it) from e
        raise WeightsNotFoundError(
            f"the weights {where} are neither in the local weights folder ({local_weights_dir() or 'none'}) "
            f"nor in the Hugging Face cache, and HF_HUB_OFFLINE is set, so the Hub was not asked. {get_it}."
        ) from e


def _download_error(e: Exception, where: str, get_it: str) -> DownloadError:
    # LocalEntryNotFoundError (the Hub unreachable), httpx and OS errors, a bad HF_ENDPOINT, a server that
    # stalls or closes early: all say the same to the user
    return DownloadError(f"could not download {where} from {_endpoint()}: {_reason(e)}. Check the network "
                         f"and HF_ENDPOINT (a URL such as https://huggingface.co), then try again: a partial "
                         f"download resumes; {get_it}.")


def _reason(e: BaseException) -> str:
    """The innermost cause of a download failure, on one line."""
    while e.__cause__ is not None or e.__context__ is not None:
        e = e.__cause__ or e.__context__
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text[:300]}" if text else type(e).__name__


def _git_object(kind: str, body: bytes) -> bytes:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).digest()


def repo_revision(files: dict[str, bytes], message: str) -> str:
    """The git commit that the files of a flat repo make when committed alone by PUBLISHER at PUBLISH_TIME
    with `message`: the revision scripts/publish.py creates and the manifest pins."""
    tree = b"".join(b"100644 " + name.encode() + b"\0" + _git_object("blob", data)
                    for name, data in sorted(files.items(), key=lambda kv: kv[0].encode()))
    commit = (f"tree {_git_object('tree', tree).hex()}\nauthor {PUBLISHER} {PUBLISH_TIME}\n"
              f"committer {PUBLISHER} {PUBLISH_TIME}\n\n{message}\n").encode()
    return _git_object("commit", commit).hex()


def publish_message(key: str) -> str:
    return f"Publish {key}"
