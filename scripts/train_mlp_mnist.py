"""Train mlp_mnist, the book's feed-forward network (ch. 5), from scratch; write its weights and manifest entry.

    python scripts/train_mlp_mnist.py --data-root ../shared/datasets
    python scripts/train_mlp_mnist.py --data-root ../shared/datasets --book   # the book's 784-256-10 network
"""
from zoo.training import classifier_script

RECIPE = dict(
    epochs=30,
    batch_size=256,
    lr=2e-3,  # peak of the one-cycle AdamW schedule
    weight_decay=1e-2,
    label_smoothing=0.1,
    augment=(8.0, 0.08, 0.12),  # rotation (degrees), scaling, shift (fraction of half-width)
)
DESCRIPTION = (
    "The book's feed-forward network for MNIST digits (ch. 5): the flattened image through fully connected "
    "ReLU layers with dropout to a 10-way classifier. Training uses random affine augmentation, label "
    "smoothing and a one-cycle AdamW schedule."
)

BOOK = (
    dict(hidden_sizes=(256,), dropout=0.0),
    dict(epochs=20, batch_size=100, lr=0.01, weight_decay=0.0, label_smoothing=0.0, augment=(0.0, 0.0, 0.0),
         optimizer="sgd"),
    "The book's feed-forward network for MNIST digits (ch. 5) as the book draws it: 784-256-10, one hidden "
    "layer of ReLU units, no dropout, trained with SGD (momentum 0.9, learning rate 0.01, batch 100) for 20 "
    "epochs on the plain images: no augmentation, no label smoothing.",
)

if __name__ == "__main__":
    classifier_script("mlp_mnist", __doc__, RECIPE, DESCRIPTION, book=BOOK)
