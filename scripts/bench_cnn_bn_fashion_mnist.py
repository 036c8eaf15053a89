"""What batch normalisation does, measured: cnn_bn_fashion_mnist against the same network without batch
normalisation (`cnn_bn_fashion_mnist(batch_norm=False)`), trained on the same recipe (the training script's
defaults) on the same machine, with test accuracy after every epoch against epochs and against seconds.

    python scripts/bench_cnn_bn_fashion_mnist.py --data-root ../shared/datasets --threads 1

The batch-norm figures are the published run's (its manifest record and training_history.json), which must
have used the same recipe; start this beside that training, at the same thread count, so that both share
the machine alike. The network without batch normalisation is trained here; its result is kept in
runs/bench/ and reused. Results go to
docs/benchmarks/cnn_bn_fashion_mnist.json with two charts; `python scripts/make_docs.py` renders the table.
"""
import argparse
import json
from pathlib import Path

import torch

import zoo
from zoo import charts
from zoo.data import load_images
from zoo.evaluation import classification_accuracy
from zoo.files import write_atomic
from zoo.manifest import read_manifest
from zoo.provenance import hardware
from train_cnn_bn_fashion_mnist import RECIPE
from zoo.training import train_classifier

NAME = "cnn_bn_fashion_mnist"
p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--data-root", default=None)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--runs", default=f"runs/bench/{NAME}")
p.add_argument("--out-dir", default="docs/benchmarks")
args = p.parse_args()
torch.set_num_threads(args.threads)
recipe = {**RECIPE, "seed": args.seed, "threads": args.threads, "optimizer": RECIPE.get("optimizer", "adamw")}

baseline_file = Path(args.runs) / "without_batch_norm.json"
if not baseline_file.exists():
    train_x, train_y = load_images("fashion_mnist", train=True, root=args.data_root)
    test_x, test_y = load_images("fashion_mnist", train=False, root=args.data_root)
    torch.manual_seed(recipe["seed"])
    model, history = zoo.create(NAME, batch_norm=False), []
    wall = train_classifier(model, train_x, train_y, test_x, test_y, epochs=recipe["epochs"],
                            batch_size=recipe["batch_size"], lr=recipe["lr"], weight_decay=recipe["weight_decay"],
                            label_smoothing=recipe["label_smoothing"], augment=recipe["augment"], seed=recipe["seed"],
                            device="cpu", channels_last=True, optimizer=recipe["optimizer"], hflip=recipe["hflip"],
                            history=history)
    run = {"recipe": recipe, "accuracy": classification_accuracy(model, test_x, test_y), "test_images": len(test_x),
           "training_seconds": wall, "parameters": sum(p.numel() for p in model.parameters()), "history": history}
    write_atomic(baseline_file, (json.dumps(run, indent=1) + "\n").encode())

rec = read_manifest(args.manifest)["models"][NAME]
baseline = json.loads(baseline_file.read_text())
differ = {k for k, v in baseline["recipe"].items() if json.loads(json.dumps(rec["training"]["recipe"].get(k))) != json.loads(json.dumps(v))}
if differ:
    raise SystemExit(f"the published {NAME} was trained with another recipe ({', '.join(sorted(differ))}); "
                     f"retrain one of them, or delete {baseline_file}")
ours = {"accuracy": rec["metrics"]["accuracy"], "test_images": rec["metrics"]["test_images"],
        "training_seconds": rec["training"]["wall_time_s"],
        "parameters": sum(p.numel() for p in zoo.create(NAME).parameters()),
        "history": json.loads((Path(args.weights_dir) / NAME / "training_history.json").read_text())}
result = {"hardware": hardware(), "recipe": baseline.pop("recipe"), "with_batch_norm": ours,
          "without_batch_norm": baseline}
labels = {"with_batch_norm": "with batch norm (cnn_bn_fashion_mnist)", "without_batch_norm": "without batch norm"}
out_dir = Path(args.out_dir)
write_atomic(out_dir / f"{NAME}.json", (json.dumps(result, indent=1) + "\n").encode())
for x, xlabel in (("epoch", "epoch"), ("seconds", "training seconds")):
    write_atomic(out_dir / f"{NAME}_{x}.png", charts.line_chart(
        {labels[k]: ([h[x] for h in result[k]["history"]], [h["test_accuracy"] for h in result[k]["history"]])
         for k in labels}, xlabel, "FashionMNIST test accuracy", f"Batch normalisation: test accuracy against {xlabel}",
        percent=True, markers=True))
print(json.dumps({k: {"accuracy": result[k]["accuracy"], "training_seconds": result[k]["training_seconds"]}
                  for k in labels}, indent=1))
