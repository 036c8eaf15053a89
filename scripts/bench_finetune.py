"""Fine-tuning a zoo classifier on another dataset with few and many labels: from its pretrained weights,
from scratch, and as a linear probe, for each training-set size and seed, with logistic regression on the
raw pixels (scikit-learn) on the same images as the classical anchor. Every run uses
`scripts/finetune_classifier.py`'s defaults and is scored on the 10,000 test images. Each finished run is
written at once to docs/benchmarks/finetune_<dataset>.json, and runs already there are skipped, so an
interrupted benchmark resumes. Processes may share the file to split the work (`--modes`): each adds its runs
under a lock. `python scripts/make_docs.py` renders the table.

    python scripts/bench_finetune.py --data-root ../shared/datasets --threads 1     # cnn_mnist on FashionMNIST
    python scripts/bench_finetune.py --name resnet34_fashion_mnist --dataset mnist --data-root ../shared/datasets
"""
import argparse
import json
import time
from pathlib import Path

import torch

from finetune_classifier import main as finetune
from zoo.data import DATASETS, DATASET_TITLES, balanced_subset, load_images
from zoo.files import file_lock, write_atomic
from zoo.manifest import get_record
from zoo.provenance import hardware
from zoo.training import FINETUNE_MODES, PRETRAINED_MODES

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--name", default="cnn_mnist")
p.add_argument("--dataset", choices=DATASETS, default="fashion_mnist", help="the dataset to fine-tune on")
p.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 60000])
p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
p.add_argument("--modes", nargs="+", choices=[*FINETUNE_MODES, "logistic_regression"],
               default=[*FINETUNE_MODES, "logistic_regression"],
               help="which runs to make, to split the work between processes")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--data-root", default=None)
p.add_argument("--out", default=None, help="default: docs/benchmarks/finetune_<dataset>.json")
args = p.parse_args()
torch.set_num_threads(args.threads)
out = Path(args.out or f"docs/benchmarks/finetune_{args.dataset}.json")
result = json.loads(out.read_text()) if out.exists() else {"name": args.name, "dataset": args.dataset, "runs": []}
if (result["name"], result["dataset"]) != (args.name, args.dataset):
    raise SystemExit(f"{out} holds runs of {result['name']} on {result['dataset']}, not {args.name} on {args.dataset}; "
                     "give another --out")
result["hardware"] = hardware()
weights_sha256 = get_record(args.name).file.sha256  # the runs from pretrained weights record which, so a stale table shows
stale = [r for r in result["runs"] if r["mode"] in PRETRAINED_MODES and r.get("weights_sha256") != weights_sha256]
if stale:
    raise SystemExit(f"{out} holds {len(stale)} runs from other weights of {args.name} than the manifest's "
                     f"(sha256 {weights_sha256[:12]}...): give another --out, or remove those runs")


def done(size, mode, seed) -> bool:
    return any(r["train_size"] == size and r["mode"] == mode and r["seed"] == seed for r in result["runs"])


def record(run: dict) -> None:
    """Add `run` to the file as it is now, with the runs other processes have written meanwhile."""
    with file_lock(out):
        if out.exists():
            result["runs"] = json.loads(out.read_text())["runs"]
        result["runs"].append(run)
        write_atomic(out, (json.dumps(result, indent=1) + "\n").encode())


def logistic_regression(size: int, seed: int) -> dict:
    """scikit-learn's LogisticRegression (lbfgs, C=1, up to 1,000 iterations) on pixels scaled to [0, 1]."""
    from sklearn.linear_model import LogisticRegression

    train_x, train_y = load_images(args.dataset, train=True, root=args.data_root)
    test_x, test_y = load_images(args.dataset, train=False, root=args.data_root)
    chosen = balanced_subset(train_y, size, seed=seed)
    start = time.time()
    clf = LogisticRegression(max_iter=1000).fit(train_x[chosen].flatten(1).numpy() / 255, train_y[chosen].numpy())
    wall = time.time() - start
    accuracy = float((clf.predict(test_x.flatten(1).numpy() / 255) == test_y.numpy()).mean())
    return {"train_size": size, "mode": "logistic_regression", "seed": seed, "accuracy": accuracy,
            "test_images": len(test_x), "wall_s": round(wall, 1)}


MODE_OPTIONS = {"pretrained": [], "scratch": ["--scratch"], "linear_probe": ["--freeze-features"]}
for size in args.sizes:
    for seed in args.seeds:
        for mode in FINETUNE_MODES:
            if mode in args.modes and not done(size, mode, seed):
                run = finetune([args.name, "--dataset", args.dataset, "--train-size", str(size), "--seed", str(seed),
                                *MODE_OPTIONS[mode], *(["--data-root", args.data_root] if args.data_root else [])])
                record({**run, "weights_sha256": weights_sha256} if mode in PRETRAINED_MODES else run)
        if "logistic_regression" in args.modes and not done(size, "logistic_regression", seed):
            record(logistic_regression(size, seed))
            print(json.dumps(result["runs"][-1]), flush=True)

from make_docs import FINETUNE_COLUMNS, finetune_summary  # noqa: E402
from zoo.charts import line_chart  # noqa: E402

summary = finetune_summary(result)
sizes = sorted({size for size, _ in summary})
chart = line_chart({label: ([n for n in sizes if (n, mode) in summary], [summary[(n, mode)][0] for n in sizes if (n, mode) in summary])
                    for mode, label in FINETUNE_COLUMNS.items()}, "training images (equal share per class)",
                   "test accuracy (mean over seeds)", f"{result['name']} on {DATASET_TITLES[args.dataset]}", percent=True, markers=True,
                   log_x=True)
write_atomic(out.with_suffix(".png"), chart)
