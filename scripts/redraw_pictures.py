"""Redraw the pictures of published generative entries from their weights, as their training scripts draw
them (`zoo.card_pictures`), without retraining; then pin each record to the commit its folder now makes.
The weights files, cards and metrics are not touched.

    python scripts/redraw_pictures.py gan_mnist vae_mnist vae_mnist.book --data-root ../shared/datasets
"""
import argparse
import sys
from pathlib import Path

import zoo
from zoo.card_pictures import gan_pictures, vae_pictures
from zoo.data import load_images
from zoo.files import write_atomic
from zoo.manifest import read_manifest, update_manifest
from zoo.publishing import folder_revision

DRAWERS = {"gan_mnist": lambda model, root: gan_pictures(model),
           "vae_mnist": lambda model, root: vae_pictures(model, load_images("mnist", train=False, root=root)[0])}

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="+", help=f"manifest keys of {', '.join(DRAWERS)} (with or without a tag)")
p.add_argument("--data-root", default="../shared/datasets")
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
args = p.parse_args()

models = read_manifest(args.manifest)["models"]
for key in args.names:
    name = key.partition(".")[0]
    if key not in models or name not in DRAWERS:
        sys.exit(f"{key}: pictures can be redrawn for manifest entries of {', '.join(DRAWERS)}")
    folder = Path(args.weights_dir) / key
    for filename, data in DRAWERS[name](zoo.load(key), args.data_root).items():
        write_atomic(folder / filename, data)
    revision = folder_revision(folder, key)
    update_manifest(args.manifest, key, {**models[key], "revision": revision})
    print(f"{key}: pictures redrawn, pinned to {revision}")
