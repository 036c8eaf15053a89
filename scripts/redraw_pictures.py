"""Redraw the card pictures of published image models from their weights, as their training scripts draw
them (`zoo.card_pictures`), without retraining; then pin each record to the commit its folder now makes.
The weights files, cards and metrics are not touched.

    python scripts/redraw_pictures.py gan_mnist vae_mnist vae_mnist.book --data-root ../shared/datasets
    python scripts/redraw_pictures.py autoencoder_mnist autoencoder2d_mnist denoising_autoencoder_mnist
    python scripts/redraw_pictures.py cnn_mnist        # a classifier's learning curve, from training_history.json
"""
import argparse
import json
import sys
from pathlib import Path

import zoo
from zoo.card_pictures import (accuracy_curve, autoencoder_pictures, denoising_pictures, gan_pictures, score_pictures,
                               sparse_feature_pictures, vae_pictures)
from zoo.data import load_images
from zoo.evaluation import DENOISING_TRAINING_NOISE, pca
from zoo.files import write_atomic
from zoo.manifest import read_manifest, split_key, update_manifest
from zoo.publishing import folder_revision


def test_images(root):
    images, labels = load_images("mnist", train=False, root=root)
    return images.float().div(255).unsqueeze(1), labels


def autoencoder(model, rec, root, folder):
    test, labels = test_images(root)
    mean, components = pca(load_images("mnist", train=True, root=root)[0].float().div(255).flatten(1), model.code_dim)
    return autoencoder_pictures(model, test, labels, mean, components)


def denoising(model, rec, root, folder):
    noise = rec["training"].get("recipe", {}).get("noise", DENOISING_TRAINING_NOISE)
    return denoising_pictures(model, test_images(root)[0], noise)


def classifier(model, rec, root, folder):
    path = folder / "training_history.json"
    if not path.exists():
        sys.exit(f"{folder.name}: no training_history.json to draw its learning curve from")
    history = json.loads(path.read_text())
    return {"learning_curve.png": accuracy_curve(model.zoo_name, history)}


DRAWERS = {"gan_mnist": lambda model, rec, root, folder: gan_pictures(model),
           "vae_mnist": lambda model, rec, root, folder: vae_pictures(model, load_images("mnist", train=False, root=root)[0]),
           "autoencoder_mnist": autoencoder, "autoencoder2d_mnist": autoencoder, "denoising_autoencoder_mnist": denoising,
           "sparse_autoencoder_mnist": lambda model, rec, root, folder: sparse_feature_pictures(model),
           "score_mnist": lambda model, rec, root, folder: score_pictures(model)}


def drawer_for(key, rec):
    """The drawer of `key`'s pictures: by its name, or, for every image classifier, its learning curve."""
    if rec["task"] == "image-classification":
        return classifier
    return DRAWERS.get(split_key(key)[0])


p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="+",
               help=f"manifest keys of image classifiers or of {', '.join(DRAWERS)} (with or without a tag)")
p.add_argument("--data-root", default="../shared/datasets")
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
args = p.parse_args()

models = read_manifest(args.manifest)["models"]
for key in args.names:
    draw = drawer_for(key, models[key]) if key in models else None
    if draw is None:
        sys.exit(f"{key}: pictures can be redrawn for the manifest's image classifiers and for {', '.join(DRAWERS)}")
    folder = Path(args.weights_dir) / key
    for filename, data in draw(zoo.load(key), models[key], args.data_root, folder).items():
        write_atomic(folder / filename, data)
    revision = folder_revision(folder, key)
    update_manifest(args.manifest, key, {**models[key], "revision": revision})
    print(f"{key}: pictures redrawn, pinned to {revision}")
