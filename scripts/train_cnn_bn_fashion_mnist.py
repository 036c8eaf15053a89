"""Train cnn_bn_fashion_mnist, the book's CIFAR-10 network with batch normalisation (ch. 7), on FashionMNIST
from scratch; write its weights, learning curve and manifest entry.

    python scripts/train_cnn_bn_fashion_mnist.py --data-root ../shared/datasets --threads 1

scripts/bench_cnn_bn_fashion_mnist.py trains the same network without batch normalisation on this recipe.
"""
from zoo.training import classifier_script

RECIPE = dict(
    epochs=10,
    batch_size=256,
    lr=4e-3,  # peak of the one-cycle AdamW schedule
    weight_decay=5e-2,
    label_smoothing=0.1,
    augment=(0.0, 0.0, 0.15),  # no rotation or scaling; shifts of up to 15% of the half-width (2 pixels)
    hflip=True,
)
DESCRIPTION = (
    "The book's CIFAR-10 network (ch. 7), on FashionMNIST's 28x28 grey images because CIFAR-10 is not available "
    "here: two 5x5 convolution (64 channels) and max-pooling stages, dense layers of 384 and 192, and a 10-way "
    "classifier, with batch normalisation after each convolution and dense layer. Training uses random shifts "
    "and left-right mirroring, label smoothing and a one-cycle AdamW schedule."
)

if __name__ == "__main__":
    classifier_script("cnn_bn_fashion_mnist", __doc__, RECIPE, DESCRIPTION, channels_last=True, dataset="fashion_mnist")
