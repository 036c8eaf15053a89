"""Train cnn_mnist, the book's convolutional network (ch. 7), from scratch; write its weights and manifest entry.

    python scripts/train_cnn_mnist.py --data-root ../shared/datasets
    python scripts/train_cnn_mnist.py --data-root ../shared/datasets --book   # no batch norm, 1024-wide layer
"""
from zoo.training import classifier_script

RECIPE = dict(
    epochs=12,
    batch_size=256,
    lr=4e-3,  # peak of the one-cycle AdamW schedule
    weight_decay=5e-2,
    label_smoothing=0.1,
    augment=(10.0, 0.1, 0.15),  # rotation (degrees), scaling, shift (fraction of half-width)
)
DESCRIPTION = (
    "The book's convolutional network for MNIST digits (ch. 7): two 5x5 convolution and max-pooling stages, "
    "a dense layer with dropout, and a 10-way classifier. Batch norm follows each convolution; training uses "
    "random affine augmentation, label smoothing and a one-cycle AdamW schedule."
)

BOOK = (
    dict(fc_size=1024, batch_norm=False),
    dict(epochs=8, batch_size=100, lr=0.01, weight_decay=0.0, label_smoothing=0.0, augment=(0.0, 0.0, 0.0),
         optimizer="sgd", weights_dtype="float16"),  # float32 would be 12.5 MiB
    "The book's convolutional network for MNIST digits (ch. 7) as the book builds it: two 5x5 convolution "
    "(32 and 64 channels) and max-pooling stages without batch norm, a 1024-wide dense layer with dropout 0.5, "
    "and a 10-way classifier, trained with SGD (momentum 0.9, learning rate 0.01, batch 100) for 8 epochs on "
    "the plain images: no augmentation, no label smoothing. Weights stored in float16 (the accuracy is measured on "
    "the rounded weights).",
)

if __name__ == "__main__":
    classifier_script("cnn_mnist", __doc__, RECIPE, DESCRIPTION, channels_last=True, book=BOOK)
