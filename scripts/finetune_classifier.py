"""Fine-tune a zoo image classifier on a labelled image dataset and measure it on the dataset's test set:
from its pretrained weights (a fresh head), from scratch, or as a linear probe (a fresh head on frozen
pretrained features, batch-norm statistics included).

    python scripts/finetune_classifier.py cnn_mnist --dataset fashion_mnist --train-size 1000
    python scripts/finetune_classifier.py cnn_mnist --dataset fashion_mnist --train-size 1000 --scratch
    python scripts/finetune_classifier.py cnn_mnist --dataset fashion_mnist --train-size 100 --freeze-features
    ... --save runs/cnn_fashion.safetensors     # the fine-tuned weights, for zoo.create(name, num_classes=...)

The training set is `--train-size` images drawn with `--seed`, an equal share per class. Defaults: AdamW
with a one-cycle schedule, peak learning rate 1e-3 (1e-2 for a linear probe), batch 64, no augmentation,
and epochs for about 30,000 images seen, at least 2 (100 epochs of 100 images, 30 of 1,000, 2 of 60,000).
"""
import argparse
import json

import torch

from zoo.data import DATASETS, balanced_subset, load_images
from zoo.evaluation import classification_accuracy
from zoo.training import finetune_classifier


def default_epochs(train_size: int) -> int:
    """About 30,000 images seen, between 2 and 100 epochs."""
    return max(2, min(100, round(30000 / train_size)))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="a zoo image classifier, e.g. cnn_mnist")
    p.add_argument("--dataset", choices=DATASETS, default="fashion_mnist")
    p.add_argument("--train-size", type=int, default=1000, help="training images, an equal share per class")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--pretrained", dest="pretrained", action="store_true", default=True,
                       help="start from the pretrained weights (the default)")
    start.add_argument("--scratch", dest="pretrained", action="store_false", help="start from fresh weights")
    p.add_argument("--freeze-features", action="store_true", help="train the head alone (a linear probe)")
    p.add_argument("--epochs", type=int, default=None, help="default: scaled to --train-size")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default 1e-3; 1e-2 for a linear probe)")
    p.add_argument("--seed", type=int, default=0, help="draws the training set, the head and the batches")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data-root", default=None)
    p.add_argument("--save", default=None, help="write the fine-tuned weights to this .safetensors file")
    args = p.parse_args(argv)
    if args.freeze_features and not args.pretrained:
        p.error("--freeze-features trains a head on pretrained features; it cannot go with --scratch")
    if args.threads:
        torch.set_num_threads(args.threads)
    mode = "linear_probe" if args.freeze_features else "pretrained" if args.pretrained else "scratch"
    epochs = args.epochs or default_epochs(args.train_size)
    lr = args.lr or (1e-2 if mode == "linear_probe" else 1e-3)

    train_x, train_y = load_images(args.dataset, train=True, root=args.data_root)
    test_x, test_y = load_images(args.dataset, train=False, root=args.data_root)
    chosen = balanced_subset(train_y, args.train_size, seed=args.seed)
    num_classes = int(train_y.max()) + 1
    model, wall = finetune_classifier(args.name, train_x[chosen], train_y[chosen], mode=mode, num_classes=num_classes,
                                      epochs=epochs, batch_size=args.batch_size, lr=lr, seed=args.seed,
                                      device=args.device)
    result = {"name": args.name, "dataset": args.dataset, "train_size": args.train_size, "mode": mode,
              "seed": args.seed, "epochs": epochs, "lr": lr, "batch_size": args.batch_size,
              "accuracy": classification_accuracy(model, test_x, test_y), "test_images": len(test_x),
              "wall_s": round(wall, 1)}
    if args.save:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.save,
                  {"model": args.name, "num_classes": str(num_classes), "dataset": args.dataset})
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
