"""Train cnn_mnist, the book's convolutional network (ch. 7), from scratch; write its weights and manifest entry.

    python scripts/train_cnn_mnist.py --data-root ../shared/datasets
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

if __name__ == "__main__":
    classifier_script("cnn_mnist", __doc__, RECIPE, DESCRIPTION, channels_last=True)
