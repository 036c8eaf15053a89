"""`zoo reproduce`: run an entry's recorded training command into a temporary folder and compare the new
tensors and metrics with the published ones. Never writes weights/ or the manifest."""
from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from .manifest import WeightsRecord, get_record
from .provenance import SOURCE_ROOT, git_commit, processor
from .storage import load_tensors
from .weights import load_state_dict

# The metrics compared per task, with the absolute difference allowed between a rerun and the published
# figure. Training on many threads, or another CPU, sums in another order; these bounds are what such
# reruns differ by, not what a change of recipe would. Counts (test images, episodes) must match exactly.
TOLERANCES = {
    "image-classification": {"accuracy": 0.003, "test_images": 0},
    "image-generation": {"nll_iw": 0.5, "neg_elbo": 0.5, "mnist_fid": 1.5, "min_class_share": 0.02},
    "representation-learning": {"mse": 0.001},
    "word-embeddings": {"wordsim353": 0.03, "simlex999": 0.03, "analogy": 0.02},
    "reinforcement-learning": {"mean_return": 25.0, "eval_episodes": 0},
    "text-classification": {"accuracy": 0.01, "test_texts": 0},
    "grapheme-to-phoneme": {"wer": 0.01, "per": 0.003, "test_words": 0},  # GPU kernels differ from run to run
}


@dataclass
class Comparison:
    verdict: str  # "bit-identical", "within tolerance" or "off"
    lines: list[str]
    same_processor: bool = True  # whether the rerun ran on the processor model that made the published weights

    @property
    def ok(self) -> bool:
        return self.verdict != "off"


def reproduction_commands(rec: WeightsRecord, out: Path, manifest: Path, data_root=None) -> list[list[str]]:
    """The recorded command, run by this interpreter, with its outputs sent to `out` and `manifest`."""
    command = rec.raw.get("training", {}).get("command")
    if not command:
        raise ValueError(f"{rec.key} records no training command to reproduce")
    runs = []
    for part in command.split(" && "):
        argv = shlex.split(part)
        if argv and Path(argv[0]).name.startswith("python"):
            argv[0] = sys.executable
        argv = [a for a in argv if a != "--publish"]
        argv += ["--out", str(out), "--manifest", str(manifest)]
        if data_root is not None:
            argv += ["--data-root", str(data_root)]
        runs.append(argv)
    return runs


def compare(published: WeightsRecord, new: WeightsRecord, new_tensors: dict, tolerance: dict) -> Comparison:
    old_tensors = load_state_dict(published)
    lines = []
    made_on, rerun_on = (processor(r.raw.get("training", {}).get("hardware")) for r in (published, new))
    same_processor = made_on is not None and made_on == rerun_on
    if not same_processor:
        # another processor's kernels sum in another order, so only the tolerances can hold
        lines.append(f"processor: the weights were made on {made_on or 'another device'}, this rerun ran on "
                     f"{rerun_on or 'another device'}; bit-identical tensors are expected only on the same one")
    same_keys = old_tensors.keys() == new_tensors.keys()
    identical = same_keys and all(torch.equal(old_tensors[k], new_tensors[k]) for k in old_tensors)
    if not same_keys:
        lines.append(f"tensors: the new file has other keys ({sorted(set(old_tensors) ^ set(new_tensors))[:5]})")
    elif identical:
        lines.append(f"tensors: all {len(old_tensors)} bit-identical")
    else:
        diff = max((old_tensors[k].float() - new_tensors[k].float()).abs().max().item() for k in old_tensors)
        lines.append(f"tensors: differ, largest absolute difference {diff:.3g}")
    within = True
    for metric, allowed in tolerance.items():
        old, new_value = published.metrics.get(metric), new.metrics.get(metric)
        if old is None and new_value is None:
            continue
        if not isinstance(old, (int, float)) or not isinstance(new_value, (int, float)):
            lines.append(f"{metric}: published {old}, reproduced {new_value} (not comparable)")
            within = False
            continue
        ok = abs(new_value - old) <= allowed
        within &= ok
        lines.append(f"{metric}: published {old:.6g}, reproduced {new_value:.6g}, difference {new_value - old:+.3g} "
                     f"({'within' if ok else 'outside'} the tolerance of {allowed:g})")
    verdict = "off" if not (within and same_keys) else "bit-identical" if identical else "within tolerance"
    return Comparison(verdict, lines, same_processor)


def reproduce(name: str, weights: str | None = None, tolerance: dict | None = None, data_root=None,
              keep: str | None = None, log=print) -> Comparison:
    """Retrain `name` (its `weights` version) with the manifest's command into a temporary folder (or
    `keep`) and compare the result with the published weights and metrics."""
    published = get_record(name, weights)
    task = published.raw.get("task")
    allowed = {**TOLERANCES.get(task, {}), **(tolerance or {})}
    made_by = published.raw.get("training", {}).get("git_commit", "unknown")
    if made_by.endswith("-dirty") or made_by == "unknown":
        log(f"note: the published weights were made from code that was not committed (commit {made_by}); the "
            "recorded command may not be exactly the code that made them")
    now = git_commit()
    if now.endswith("-dirty"):
        log(f"note: the code here is not committed ({now}); a difference may come from the uncommitted changes")
    with tempfile.TemporaryDirectory(prefix=f"zoo-reproduce-{published.key}-") as tmp:
        work = Path(keep) if keep else Path(tmp)
        out, manifest = work / published.key, work / "weights_manifest.json"
        for argv in reproduction_commands(published, out, manifest, data_root):
            log("running: " + shlex.join(argv))
            result = subprocess.run(argv, cwd=SOURCE_ROOT)
            if result.returncode != 0:
                return Comparison("off", [f"the training command failed with exit code {result.returncode}"])
        new = get_record(name, weights, path=manifest)
        tensors = load_tensors((out / new.file.filename).read_bytes())
        return compare(published, new, tensors, allowed)
