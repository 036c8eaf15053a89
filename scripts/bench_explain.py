"""Which attribution method to trust: each method of `zoo.attribution` on the image classifiers, measured on
the committed fixture digits (the first MNIST test images) by `zoo.evaluation`:

- cost: seconds per image on this machine;
- the model-randomisation sanity check: Spearman correlation of the absolute attributions of the
  trained model and of the same network with random weights, over each digit's own pixels (low is good);
- the deletion curve: the predicted class's probability as the digit's pixels are blacked out in order
  of attribution, against a random order; the area under each (lower than random is good).

The gradient methods run on `--images` digits, the model-agnostic ones (which call the model hundreds of
times per image) on `--agnostic-images`. Results go to docs/benchmarks/explain.json; `python
scripts/make_docs.py` renders them in docs/benchmarks.md and docs/interpretability.md.

    python scripts/bench_explain.py
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import zoo
from zoo.attribution import METHODS
from zoo.evaluation import area_under, deletion_curve, randomisation_check
from zoo.files import write_atomic
from zoo.provenance import hardware

AGNOSTIC = ("occlusion", "lime", "kernel_shap")
p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--models", nargs="+", default=["cnn_mnist", "mlp_mnist"])
p.add_argument("--images", type=int, default=100)
p.add_argument("--agnostic-images", type=int, default=30)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--out", default="docs/benchmarks/explain.json")
args = p.parse_args()
torch.set_num_threads(args.threads)

fixture = np.load(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mnist_test_2k.npz")
digits = torch.from_numpy(fixture["images"]).unsqueeze(1)
result = {"hardware": hardware(), "threads": args.threads, "images": args.images,
          "agnostic_images": args.agnostic_images, "models": {}}
for name in args.models:
    model = zoo.load(name)
    rows = {}
    for method in METHODS:
        x = digits[: args.agnostic_images if method in AGNOSTIC else args.images]
        start = time.time()
        maps = zoo.explain(model, x, method)
        seconds = (time.time() - start) / len(x)
        check = randomisation_check(model, x, method)
        curve = deletion_curve(model, x, maps)
        random_curve = deletion_curve(model, x, None)
        rows[method] = {"images": len(x), "seconds_per_image": round(seconds, 4),
                        "randomisation_spearman": round(check["spearman"], 4), "constant_maps": check["constant_maps"],
                        "deletion_auc": round(area_under(curve), 4), "random_deletion_auc": round(area_under(random_curve), 4),
                        "deletion_curve": [round(v, 4) for v in curve]}
        print(name, method, {k: v for k, v in rows[method].items() if k != "deletion_curve"}, flush=True)
    result["models"][name] = rows
write_atomic(Path(args.out), (json.dumps(result, indent=2) + "\n").encode())
