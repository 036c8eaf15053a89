"""Train autoencoder2d_mnist, the book's deep autoencoder with a 2-dimensional code (ch. 8): the recipe of
train_autoencoder_mnist.py with --code-dim 2.

    python scripts/train_autoencoder2d_mnist.py --data-root ../shared/datasets
"""
import runpy
import sys
from pathlib import Path

sys.argv[1:1] = ["--code-dim", "2"]
runpy.run_path(str(Path(__file__).with_name("train_autoencoder_mnist.py")), run_name="__main__")
