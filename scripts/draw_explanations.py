"""Draw the attribution pictures of the image classifiers' model cards, under the recommended method
(`zoo.attribution.RECOMMENDED`, chosen from docs/benchmarks/explain.json): a few test digits with their
maps, and the class-average map of each digit (a global view). Adds them to each card's description,
then re-renders the cards and re-pins the manifest with scripts/refresh_cards.py.

    python scripts/draw_explanations.py                 # every published image classifier
"""
import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

import zoo
from zoo import charts
from zoo.attribution import RECOMMENDED
from zoo.files import write_atomic
from zoo.manifest import read_manifest, split_key

ROOT = Path(__file__).resolve().parents[1]
p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("keys", nargs="*", help="manifest keys (default: every image classifier)")
p.add_argument("--per-class", type=int, default=50, help="fixture digits of each class in the class averages")
args = p.parse_args()

fixture = np.load(ROOT / "tests" / "fixtures" / "mnist_test_2k.npz")
images, labels = torch.from_numpy(fixture["images"]).unsqueeze(1), torch.from_numpy(fixture["labels"])
models = read_manifest(ROOT / "weights_manifest.json")["models"]
keys = args.keys or [k for k, r in models.items() if r["task"] == "image-classification"]
method = RECOMMENDED.replace("_", " ")
for key in keys:
    name, tag = split_key(key)
    model = zoo.load(name, weights=tag)
    few = images[:8]
    probs = model.predict(few)[1]
    maps = zoo.explain(model, few, RECOMMENDED)
    titles = [f"{p.argmax().item()} ({p.max().item():.0%})" for p in probs]
    examples = charts.attribution_rows(few[:, 0].float() / 255, maps[:, 0], titles,
                                       f"{key}: {method} for the predicted class (test digits)")
    means, mean_maps = [], []
    for digit in range(10):
        chosen = images[labels == digit][: args.per_class]
        means.append(chosen[:, 0].float().mean(0) / 255)
        mean_maps.append(zoo.explain(model, chosen, RECOMMENDED, target=digit)[:, 0].mean(0))
    averages = charts.attribution_rows(torch.stack(means), torch.stack(mean_maps), [str(d) for d in range(10)],
                                       f"{key}: mean {method} map of each digit ({args.per_class} test digits each)",
                                       row_labels=("mean digit", "mean map"))
    folder = ROOT / "weights" / key
    write_atomic(folder / "attributions.png", examples)
    write_atomic(folder / "class_attributions.png", averages)
    card = (folder / "README.md").read_text()
    if "(attributions.png)" not in card:
        link = ("\n\nWhat the prediction rests on, by `zoo.explain` (see docs/interpretability.md):\n\n"
                "![attributions](attributions.png)\n\n![class attributions](class_attributions.png)")
        card = card.replace("\n\nFrom *Fundamentals of Deep Learning*", link + "\n\nFrom *Fundamentals of Deep Learning*", 1)
        write_atomic(folder / "README.md", card.encode())
    print(f"{key}: drew attributions.png and class_attributions.png")
subprocess.run([sys.executable, str(ROOT / "scripts" / "refresh_cards.py"), *keys], check=True, cwd=ROOT)
