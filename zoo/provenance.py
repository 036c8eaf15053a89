"""Where a set of weights came from: the hardware it was trained on and the state of the code."""
from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

import torch

SOURCE_ROOT = Path(__file__).resolve().parent.parent  # the repository root when running from a checkout
CODE_PATHS = ("zoo", "scripts", "pyproject.toml")  # what decides the weights; weights/ and the manifest do not


def hardware(device="cpu") -> str:
    """The hardware a training on `device` actually used."""
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"{torch.cuda.get_device_name(index)} (CUDA {torch.version.cuda})"
    if device.type != "cpu":
        return device.type
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = torch.get_num_threads()
    # the vector instructions torch's kernels use: hosts sold under one name differ by them, and several-fold in speed
    return f"CPU: {cpu} ({torch.backends.cpu.get_cpu_capability()}), {threads} thread{'s' if threads != 1 else ''}"


def processor(recorded: str | None) -> str | None:
    """The processor model in a string recorded by `hardware()` ("CPU: AMD EPYC (AVX2), 1 thread" ->
    "AMD EPYC"; older records lack the vector-instruction tag), or None for another device."""
    found = re.match(r"CPU: (.*?)(?: \([A-Z0-9_]+\))?, \d+ threads?$", recorded or "")
    return found.group(1) if found else None


def _git(*args) -> str:
    try:
        return subprocess.run(["git", *args], cwd=SOURCE_ROOT, capture_output=True, text=True).stdout
    except OSError:  # no git
        return ""


def uncommitted_code() -> list[str]:
    """The code files (under CODE_PATHS) that differ from the commit or are not tracked yet."""
    out = _git("status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS)
    return [line[3:] for line in out.splitlines() if line.strip()]


def git_commit() -> str:
    """The commit the code was at, with '-dirty' when code files differ from it. Changes under weights/
    and to the manifest, e.g. by a training running beside this one, do not count. Outside a git checkout
    it is $ZOO_CODE_COMMIT, set by whoever copied a clean checkout of that commit (to a training machine,
    say), or 'unknown'."""
    commit = _git("rev-parse", "HEAD").strip()
    if not commit:
        return os.environ.get("ZOO_CODE_COMMIT", "unknown")
    return commit + ("-dirty" if uncommitted_code() else "")
