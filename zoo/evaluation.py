"""The project's evaluation code: every metric in the manifest and the model cards comes from here."""
from __future__ import annotations

import math

import torch

from .errors import ZooError
from .progress import progress


@torch.no_grad()
def classification_accuracy(model, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of `model` on raw uint8 images (N, H, W), through the model's own transforms."""
    model.eval()
    device = _device(model)
    correct = 0
    for i in range(0, len(images), batch_size):
        x = model.transforms(images[i : i + batch_size].unsqueeze(1)).to(device)
        correct += (model(x).argmax(1).cpu() == labels[i : i + batch_size]).sum().item()
    return correct / len(images)


def _device(model) -> torch.device:
    return next(model.parameters()).device


def evaluate(name: str, model, data_root=None) -> dict:
    """Re-measure `model` (entry `name`) on its full test set; the keys match the manifest's metrics."""
    from . import registry
    from .data import load_images

    spec = registry.get_spec(name)
    if spec.task == "reinforcement-learning":
        from .rl import agent_metrics

        return agent_metrics(model, _published_count(name, "eval_episodes", 100))[0]
    if spec.task == "word-embeddings":
        from .data import text_file

        return word_vector_metrics(model, text_file("eval", root=data_root))
    if spec.task == "text-classification":
        from .data import rotten_tomatoes

        return text_classification_metrics(model, *rotten_tomatoes("test", root=data_root))
    if spec.task == "grapheme-to-phoneme":
        from .data import cmudict_entries

        return g2p_metrics(model, cmudict_entries("test"))
    if spec.task == "algorithmic":
        return copy_errors(model)
    if spec.task == "question-answering":
        return babi_errors(model)
    images, labels = load_images(spec.dataset, train=False, root=data_root)
    if spec.task == "image-classification":
        return {"accuracy": classification_accuracy(model, images, labels), "test_images": len(images)}
    if spec.task == "representation-learning":
        return autoencoder_metrics(model, images, denoising=name.startswith("denoising"))
    if hasattr(model, "log_likelihood"):
        return vae_metrics(model, images)
    if hasattr(model, "sample"):
        from . import load

        return sample_quality(model.sample(_published_count(name, "samples", 10_000), seed=0), images, load("cnn_mnist"))
    raise NotImplementedError(f"no evaluation for {name} ({spec.task}) yet")


def _published_count(name: str, key: str, default: int) -> int:
    """As many episodes or samples as `name`'s published figures were measured over (`key` of its record's
    metrics), so that a re-measurement compares like with like; `default` without a record."""
    from .manifest import get_record

    try:
        return get_record(name).metrics.get(key, default)
    except ZooError:
        return default


def binarize(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The fixed stochastic binarisation of uint8 images used for likelihoods: each pixel is 1 with
    probability intensity/255, drawn from a generator seeded with `seed`. Returns (N, 1, 28, 28) floats."""
    gen = torch.Generator().manual_seed(seed)
    return torch.bernoulli(images.float().div(255).unsqueeze(1), generator=gen)


@torch.no_grad()
def vae_metrics(model, images: torch.Tensor, k: int = 1000, batch_size: int = 100, seed: int = 0) -> dict:
    """On uint8 test images: negative ELBO and importance-weighted NLL (k samples) of the fixed binarisation,
    and the pytorch/examples test loss (negative ELBO with summed BCE on unbinarised pixels), all in nats."""
    model.eval()
    torch.manual_seed(seed)
    device = _device(model)
    binary, unit = binarize(images, seed).to(device), images.float().div(255).unsqueeze(1).to(device)
    neg_elbo = nll = examples_loss = 0.0
    for i in progress(range(0, len(images), batch_size), desc=f"importance-weighted likelihood, k={k}", leave=False):
        neg_elbo -= model.elbo(binary[i : i + batch_size]).sum().item()
        nll -= model.log_likelihood(binary[i : i + batch_size], k=k).sum().item()
        examples_loss -= model.elbo(unit[i : i + batch_size]).sum().item()
    n = len(images)
    return {"nll_iw": nll / n, "neg_elbo": neg_elbo / n, "iw_samples": k, "examples_test_loss": examples_loss / n}


@torch.no_grad()
def classifier_outputs(classifier, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Penultimate-layer features (float64) and class probabilities of `classifier` for images in [0, 1] of
    shape (N, 1, 28, 28), from one pass of the network."""
    classifier.eval()
    device, features, probs = _device(classifier), [], []
    for i in range(0, len(images), batch_size):
        f = classifier.forward_features(classifier.transforms(images[i : i + batch_size].cpu()).to(device))
        features.append(f.cpu())
        probs.append(classifier.get_classifier()(f).softmax(1).cpu())
    return torch.cat(features).double(), torch.cat(probs)


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (rows are samples)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    # Tr(sqrt(cov_a cov_b)) through the symmetric form sqrt(cov_a) cov_b sqrt(cov_a)
    vals, vecs = torch.linalg.eigh(cov_a)
    root_a = vecs @ vals.clamp(min=0).sqrt().diag() @ vecs.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return ((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross).item()


SAMPLE_QUALITY_NAMES = {"mnist_fid": "MNIST-FID (cnn_mnist features)", "samples": "Samples scored",
                        "min_class_share": "Smallest class share (cnn_mnist)",
                        "class_shares": "Class shares 0-9 (cnn_mnist)", "mean_confidence": "Mean cnn_mnist confidence",
                        "real_mean_confidence": "Mean cnn_mnist confidence on the real test digits (for comparison)"}


@torch.no_grad()
def sample_quality(samples: torch.Tensor, test_images: torch.Tensor, classifier) -> dict:
    """MNIST-FID of `samples` (N, 1, 28, 28) in [0, 1] against uint8 test images, in the feature space of
    `classifier` (cnn_mnist), the classifier's predicted class distribution and mean confidence over the
    samples, and its mean confidence over the real test images, the figure to read that one against
    (keys and their card names: `SAMPLE_QUALITY_NAMES`)."""
    real = test_images.float().div(255).unsqueeze(1)
    features, probs = classifier_outputs(classifier, samples)
    real_features, real_probs = classifier_outputs(classifier, real)
    fid = frechet_distance(features, real_features)
    share = torch.bincount(probs.argmax(1), minlength=10).double() / len(samples)
    return {"mnist_fid": fid, "samples": len(samples), "min_class_share": share.min().item(),
            "class_shares": [round(s, 4) for s in share.tolist()], "mean_confidence": probs.max(1).values.mean().item(),
            "real_mean_confidence": real_probs.max(1).values.mean().item()}


def pca(train: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and top-k principal directions (k, D) of the rows of `train`."""
    train = train.double()
    mean = train.mean(0)
    _, vecs = torch.linalg.eigh(torch.cov((train - mean).T))
    return mean, vecs[:, -k:].flip(1).T


def pca_reconstruct(x: torch.Tensor, mean: torch.Tensor, components: torch.Tensor) -> torch.Tensor:
    return ((x.double() - mean) @ components.T @ components + mean).float()


def corrupt(x: torch.Tensor, level: float, generator=None) -> torch.Tensor:
    """Masking noise: each pixel of `x` set to 0 with probability `level`."""
    return x * (torch.rand(x.shape, generator=generator, device=x.device) >= level)


@torch.no_grad()
def reconstruction_mse(model, x: torch.Tensor, target: torch.Tensor | None = None, batch_size: int = 1000) -> float:
    """Mean squared error per pixel between model(x) and `target` (default x), images in [0, 1]."""
    model.eval()
    device = _device(model)
    target = x if target is None else target
    total = sum(((model(x[i : i + batch_size].to(device)).flatten(1)
                  - target[i : i + batch_size].to(device).flatten(1)) ** 2).sum().item()
                for i in range(0, len(x), batch_size))
    return total / x.numel()


def spearman(a, b) -> float:
    """Spearman's rank correlation, ties given their average rank (as scipy.stats.spearmanr does)."""
    def ranks(x):
        x = torch.as_tensor(x, dtype=torch.float64)
        order = x.argsort()
        r = torch.empty_like(x)
        r[order] = torch.arange(1, len(x) + 1, dtype=torch.float64)
        for v in x.unique():  # average the ranks of tied values
            tied = x == v
            r[tied] = r[tied].mean()
        return r

    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return ((ra * rb).sum() / (ra.norm() * rb.norm())).item()


def word_similarity(wv, path) -> dict:
    """Spearman correlation between cosine similarities and human scores on a word-pair file
    (word, word, score per line; `#` lines are comments). Pairs with a word outside the vocabulary are
    skipped and counted, as gensim's `evaluate_word_pairs` does."""
    human, model, skipped = [], [], 0
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        a, b, score = line.lower().split("\t")[:3]
        if a in wv and b in wv:
            human.append(float(score))
            model.append(wv.similarity(a, b))
        else:
            skipped += 1
    return {"spearman": spearman(human, model), "pairs": len(human), "skipped": skipped}


@torch.no_grad()
def analogy_accuracy(wv, path, batch_size: int = 1000) -> dict:
    """Accuracy on analogy questions ("a b c d": a is to b as c is to d), answered by the nearest word to
    b - a + c among unit vectors with a, b, c excluded. Questions with a word outside the vocabulary are
    skipped and counted, as gensim's `evaluate_word_analogies` does."""
    questions, skipped = [], 0
    for line in open(path, encoding="utf-8"):
        if line.startswith(":") or not line.strip():
            continue
        words = line.lower().split()
        if all(w in wv for w in words):
            questions.append([wv.index(w) for w in words])
        else:
            skipped += 1
    unit = wv.unit_vectors()
    q = torch.tensor(questions, device=unit.device).view(-1, 4)
    correct = 0
    for i in range(0, len(q), batch_size):
        a, b, c, d = q[i : i + batch_size].T
        sims = (unit[b] - unit[a] + unit[c]) @ unit.T
        rows = torch.arange(len(a), device=unit.device)
        for exclude in (a, b, c):
            sims[rows, exclude] = float("-inf")
        correct += (sims.argmax(1) == d).sum().item()
    return {"accuracy": correct / max(len(q), 1), "questions": len(q), "skipped": skipped}


def word_vector_metrics(wv, eval_dir) -> dict:
    """WordSim353 and SimLex-999 Spearman correlations and Google analogy accuracy, from `eval_dir`."""
    from pathlib import Path

    eval_dir = Path(eval_dir)
    ws = word_similarity(wv, eval_dir / "wordsim353.tsv")
    sl = word_similarity(wv, eval_dir / "simlex999.txt")
    an = analogy_accuracy(wv, eval_dir / "questions-words.txt")
    return {"wordsim353": ws["spearman"], "simlex999": sl["spearman"], "analogy": an["accuracy"],
            "wordsim353_pairs": ws["pairs"], "simlex999_pairs": sl["pairs"], "analogy_questions": an["questions"]}


def text_classification_metrics(model, texts: list[str], labels: list[int]) -> dict:
    """Accuracy of a text classifier's `predict` on raw texts."""
    model.eval()
    predicted, _ = model.predict(texts)
    return {"accuracy": (predicted == torch.tensor(labels)).float().mean().item(), "test_texts": len(texts)}


DENOISING_LEVELS = (0.1, 0.3, 0.5)  # shares of pixels masked when a denoising autoencoder is measured
DENOISING_TRAINING_NOISE = 0.3  # the share masked while denoising_autoencoder_mnist trains (its script's default)


def autoencoder_metrics(model, images: torch.Tensor, denoising: bool = False) -> dict:
    """Reconstruction MSE of uint8 `images` (N, 28, 28) in [0, 1] units; for a denoising autoencoder, the
    MSE to the clean image from inputs with each share of DENOISING_LEVELS masked (seeded)."""
    clean = images.float().div(255).unsqueeze(1)
    if not denoising:
        return {"mse": reconstruction_mse(model, clean)}
    return {f"mse_noise{level}": reconstruction_mse(model, corrupt(clean, level, torch.Generator().manual_seed(0)), clean)
            for level in DENOISING_LEVELS}


def edit_distance(a: list, b: list) -> int:
    """Levenshtein distance between two sequences (insertions, deletions and substitutions cost 1)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def g2p_metrics(model, entries: list[tuple[str, list[list[str]]]], beam: int = 1) -> dict:
    """Word and phoneme error rates of a G2P model on (word, pronunciations) entries. A word is right if
    its prediction equals any listed pronunciation (WER: share of words with any error). PER: the edit
    distance to the closest listed pronunciation over that pronunciation's length, summed over words."""
    model.eval()
    return {**g2p_error_rates(model.predict([w for w, _ in entries], beam=beam), entries), "test_words": len(entries)}


def g2p_error_rates(predicted: list[list[str]], entries: list[tuple[str, list[list[str]]]]) -> dict:
    """WER and PER (rules above) of phoneme lists `predicted` for `entries`, from any G2P system."""
    wrong = edits = length = 0
    for pred, (_, prons) in zip(predicted, entries):
        distance, ref = min((edit_distance(pred, p), len(p)) for p in prons)
        wrong += distance > 0
        edits += distance
        length += ref
    return {"wer": wrong / len(entries), "per": edits / length}


def g2p_wer_by_length(predicted: list[list[str]], entries: list[tuple[str, list[list[str]]]],
                      starts: tuple[int, ...] = (1, 5, 7, 9, 11, 13)) -> list[dict]:
    """WER of phoneme lists `predicted` for `entries` in groups by the word's number of letters: from each
    of `starts` up to the next (the last group is open-ended). Empty groups are left out."""
    groups = []
    for lo, hi in zip(starts, (*(s - 1 for s in starts[1:]), math.inf)):
        chosen = [(p, e) for p, e in zip(predicted, entries) if lo <= len(e[0]) <= hi]
        if chosen:
            preds, group = zip(*chosen)
            groups.append({"letters": f"{lo}+" if hi == math.inf else f"{lo}-{hi}", "words": len(group),
                           "wer": g2p_error_rates(list(preds), list(group))["wer"]})
    return groups


def randomisation_check(model, images: torch.Tensor, method: str, seed: int = 0, **options) -> dict:
    """The model-randomisation sanity check (Adebayo et al., 2018): the Spearman correlation between the
    absolute attributions of `model` and of the same architecture with fresh random weights, over each
    digit's own (non-black) pixels, where ties at zero cannot make two maps look alike; mean and per image.
    A real explanation depends on the weights, so the correlation should be low."""
    from . import create
    from .attribution import explain

    torch.manual_seed(seed)
    randomised = create(model.zoo_name, **model.zoo_config).eval()
    trained_maps = explain(model, images, method, **options).abs()
    random_maps = explain(randomised, images, method, target=model.predict(images)[0], **options).abs()
    pixels = images.reshape(len(images), -1) > 0
    rhos, constant = [], 0
    for a, b, m in zip(trained_maps, random_maps, pixels):
        a, b = a.flatten()[m], b.flatten()[m]
        ranked = a.unique().numel() > 1 and b.unique().numel() > 1
        constant += not ranked  # a constant map (e.g. LIME's lasso zeroing every patch) ranks nothing: counted as 0
        rhos.append(spearman(a, b) if ranked else 0.0)
    return {"spearman": sum(rhos) / len(rhos), "per_image": rhos, "constant_maps": constant}


@torch.no_grad()
def deletion_curve(model, images: torch.Tensor, attributions: torch.Tensor | None, steps: int = 20,
                   seed: int = 0) -> list[float]:
    """Mean probability of each image's predicted class as its own (non-black) pixels are set to black,
    in order of attribution, most important first, or in a random order when `attributions` is None;
    at 0, 1/steps, ..., 1 of those pixels. A good attribution makes the probability fall fast."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    x = images.reshape(len(images), -1).clone()
    predicted = model.predict(images)[0]
    orders = []
    for i in range(len(x)):
        own = (x[i] > 0).nonzero().flatten()
        key = attributions[i].flatten()[own] if attributions is not None else torch.rand(len(own), generator=gen)
        orders.append(own[key.argsort(descending=True)])
    curve = []
    for step in range(steps + 1):
        batch = x.clone()
        for i, order in enumerate(orders):
            batch[i, order[: round(len(order) * step / steps)]] = 0
        probs = model.predict(batch.reshape(images.shape))[1]
        curve.append(probs[torch.arange(len(x)), predicted].mean().item())
    return curve


def area_under(curve: list[float]) -> float:
    """Trapezoid area under a curve sampled evenly on [0, 1]."""
    n = len(curve) - 1
    return sum((a + b) / 2 for a, b in zip(curve, curve[1:])) / n


COPY_LENGTHS = (10, 20, 40, 80, 120)  # the copy entries are trained on 1 to 20 vectors
COPY_TEST_SEED = 1_000_000  # + T; training draws from the script's seed, validation from 2_000_000 + T


def copy_errors(model, lengths=COPY_LENGTHS, n: int = 500, seed: int = COPY_TEST_SEED, batch_size: int = 100) -> dict:
    """Bits wrong per sequence and bit error rate of `model.copy` on `n` seeded random sequences of each
    length T (seed + T): keys `bits_wrong_T{T}` and `bit_error_rate_T{T}`."""
    from .data import copy_task

    out = {}
    for t in lengths:
        inputs, targets = copy_task(n, t, seed + t)
        bits = inputs[:, :t, :-1]
        wrong = sum(int((model.copy(bits[i : i + batch_size]) != bits[i : i + batch_size]).sum())
                    for i in range(0, n, batch_size))
        out[f"bits_wrong_T{t}"] = wrong / n
        out[f"bit_error_rate_T{t}"] = wrong / bits.numel()
    return out


def babi_errors(model, tasks=None, split: str = "test", n: int | None = None, seed: int | None = None,
                batch_size: int = 200) -> dict:
    """Share of wrong answers on each generated bAbI task's `split` (`error_task{k}`) and their mean;
    `n` and `seed` as `zoo.babi.babi_stories` takes them."""
    from .babi import TASKS, babi_stories

    out, device = {}, _device(model)
    for task in tasks or TASKS:
        stories = babi_stories(task, split, n, seed)
        wrong = total = 0
        for i in range(0, len(stories), batch_size):
            ids, is_question, answers = model.encode(stories[i : i + batch_size])
            with torch.no_grad():
                predicted = model(ids.to(device), is_question.to(device))[..., 1:].argmax(-1).cpu() + 1
            wrong += int((predicted != answers)[is_question].sum())
            total += int(is_question.sum())
        out[f"error_task{task}"] = wrong / total
    out["mean_error"] = sum(out.values()) / len(out)
    return out
