"""Side by side on one machine: the memory networks against an LSTM of about as many parameters, trained on
the same generated tasks with the same recipe for the same wall time as the published entry.

    python scripts/bench_memory.py copy   # ntm_copy and dnc_copy against a 3-layer LSTM (as the NTM paper's)
    python scripts/bench_memory.py babi   # dnc_babi against a 1-layer LSTM reading the same line encodings

The LSTM's training time is the NTM's (copy) or the DNC's (babi) as the manifest records it. Our figures
are the manifest's; the learning curves come from each weights folder's training_history.json. Results
go to docs/benchmarks/memory_<task>.json with charts beside them; `python scripts/make_docs.py` renders
the tables.
"""
import argparse
import json
from pathlib import Path

import torch

from zoo import charts
from zoo.babi import TASKS
from zoo.evaluation import COPY_LENGTHS, babi_errors, copy_errors
from zoo.files import write_atomic
from zoo.manifest import read_manifest
from zoo.memory_training import (babi_training, babi_validation, copy_loss, copy_validation, draw_copy,
                                 train_on_batches)
from zoo.models.memory import lstm_babi, lstm_copy
from zoo.provenance import hardware

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("task", choices=["copy", "babi"])
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--threads", type=int, default=1, help="torch CPU threads (the entries trained on 1)")
p.add_argument("--minutes", type=float, default=None, help="the LSTM's training time (default: the entry's)")
p.add_argument("--out-dir", default="docs/benchmarks")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
models = read_manifest(args.manifest)["models"]
LABELS = {"lstm": "LSTM (baseline)"}
params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731


def matched(build, target: int):
    """The LSTM whose parameter count is closest to `target`, and its hidden size."""
    hidden = min(range(8, 512), key=lambda h: abs(params(build(h)) - target))
    return build(hidden), hidden


def ours(name: str) -> dict:
    rec = models[name]
    history = json.loads((Path(args.weights_dir) / name / "training_history.json").read_text())
    return {"parameters": rec["num_params"], "training_seconds": rec["training"]["wall_time_s"],
            "metrics": rec["metrics"], "history": history}


def train_lstm(model, draw, loss_of, validate, seconds: float) -> dict:
    wall, history = train_on_batches(model, draw, loss_of, validate, batches=10**9, lr=1e-3, clip=10.0,
                                     validate_every=250, seed=0, max_minutes=seconds / 60)
    return {"parameters": params(model), "training_seconds": round(wall, 1), "history": history}


if args.task == "copy":
    entries = {name: ours(name) for name in ("ntm_copy", "dnc_copy") if name in models}
    seconds = 60 * args.minutes if args.minutes else entries["ntm_copy"]["training_seconds"]
    lstm, hidden = matched(lambda h: lstm_copy(h, layers=3), entries["ntm_copy"]["parameters"])
    print(f"LSTM: 3 layers of {hidden}, {params(lstm):,} parameters, {seconds:.0f} s of training")
    baseline = train_lstm(lstm, draw_copy(32), copy_loss, copy_validation(), seconds)
    baseline["metrics"] = copy_errors(lstm.eval())
    baseline["layers"], baseline["hidden"] = 3, hidden
    results = {**entries, "lstm": baseline}
    lengths = [t for t in COPY_LENGTHS if all(f"bit_error_rate_T{t}" in r["metrics"] for r in results.values())]
    curves = {LABELS.get(name, name): (lengths, [r["metrics"][f"bit_error_rate_T{t}"] for t in lengths])
              for name, r in results.items()}
    write_atomic(Path(args.out_dir) / "memory_copy_errors.png", charts.line_chart(
        curves, "sequence length T (training: 1 to 20)", "bit error rate", "Copy: errors by sequence length",
        percent=True, markers=True))
    cost = lambda r: [h["cost"] for h in r["history"]]  # noqa: E731
else:
    entries = {"dnc_babi": ours("dnc_babi")}
    seconds = 60 * args.minutes if args.minutes else entries["dnc_babi"]["training_seconds"]
    lstm, hidden = matched(lambda h: lstm_babi(h), entries["dnc_babi"]["parameters"])
    print(f"LSTM: 1 layer of {hidden}, {params(lstm):,} parameters, {seconds:.0f} s of training")
    baseline = train_lstm(lstm, *babi_training(lstm, 10_000, 32), babi_validation(), seconds)
    baseline["metrics"] = babi_errors(lstm.eval())
    baseline["layers"], baseline["hidden"] = 1, hidden
    results = {**entries, "lstm": baseline}
    cost = lambda r: [h["validation"] for h in r["history"]]  # noqa: E731

for r in results.values():
    r["sequences_per_second"] = round(r["history"][-1]["sequences"] / r["training_seconds"], 1)
write_atomic(Path(args.out_dir) / f"memory_{args.task}_learning.png", charts.line_chart(
    {LABELS.get(name, name): ([h["sequences"] for h in r["history"]], cost(r)) for name, r in results.items()},
    "sequences seen" if args.task == "copy" else "stories seen",
    "training cost (bits per sequence)" if args.task == "copy" else "validation error (mean of tasks)",
    "Copy: learning curves" if args.task == "copy" else "bAbI-style tasks: learning curves",
    percent=args.task == "babi", log_x=True))
result = {"hardware": hardware(), "threads": args.threads, "task": args.task,
          "tasks": {str(k): v for k, v in TASKS.items()} if args.task == "babi" else list(COPY_LENGTHS),
          "models": {name: r | {"sequences_seen": r["history"][-1]["sequences"]} for name, r in results.items()}}
write_atomic(Path(args.out_dir) / f"memory_{args.task}.json", (json.dumps(result, indent=2) + "\n").encode())
print(json.dumps({name: r["metrics"] for name, r in results.items()}, indent=2))
