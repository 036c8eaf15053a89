"""Train skipgram_dictcorpus, skip-gram word vectors with negative sampling (ch. 8), from scratch; write
its weights, vocabulary and manifest entry.

    python scripts/train_skipgram_dictcorpus.py --data-root ../shared/datasets
    python scripts/train_skipgram_dictcorpus.py --corpus text8          # downloads text8 (needs internet)
    python scripts/train_skipgram_dictcorpus.py --corpus my_corpus.txt  # any text8-style file

The objective is word2vec's: each word inside a (randomly shrunk) window around a center word predicts
the center word against `negative` noise words drawn from the unigram distribution to the 3/4, after
frequent words are subsampled; the learning rate decays linearly to `min_lr`. Two things make it fast
on a CPU: the noise words are shared by all the context words of one center (as BlazingText does), so
each update is a batch of small matrix products instead of one dot product per pair; and `workers`
processes update the shared vectors without locks, each on its share of the corpus (Hogwild, as word2vec
and gensim do). With more than one worker the run is not bit-for-bit repeatable.
"""
import math
import multiprocessing as mp
import time
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import torch

import zoo
from zoo.data import default_data_root, text_file
from zoo.evaluation import word_vector_metrics
from zoo.progress import progress as progress_bar
from zoo.publishing import save_entry
from zoo.storage import round_to_storage
from zoo.training import recipe_of, script_parser, setup

NAME = "skipgram_dictcorpus"
p = script_parser(NAME, __doc__)
p.add_argument("--corpus", default="dictcorpus",
               help="'dictcorpus' (<data root>/text/dictcorpus.txt), 'text8' (downloaded), or a text file path")
p.add_argument("--dim", type=int, default=128)
p.add_argument("--window", type=int, default=5, help="largest distance between center and context word")
p.add_argument("--min-count", type=int, default=5, help="words rarer than this are dropped")
p.add_argument("--negative", type=int, default=5, help="noise words per center word")
p.add_argument("--sample", type=float, default=1e-4, help="subsampling threshold for frequent words")
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--lr", type=float, default=0.025)
p.add_argument("--min-lr", type=float, default=0.0001)
p.add_argument("--batch-size", type=int, default=2048, help="(context, center) pairs per update")
p.add_argument("--workers", type=int, default=2, help="processes updating the shared vectors")
args = p.parse_args()
setup(args, NAME, cpu_only=True)
threads = torch.get_num_threads()
torch.set_num_threads(1)  # the workers are the parallelism; one thread each


def corpus_path(corpus: str, root) -> Path:
    if corpus == "dictcorpus":
        return text_file("dictcorpus.txt", root=root)
    if corpus == "text8":
        path = Path(root or default_data_root()) / "text" / "text8"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            zipped = path.with_suffix(".zip")
            urllib.request.urlretrieve("http://mattmahoney.net/dc/text8.zip", zipped)
            with zipfile.ZipFile(zipped) as z:
                z.extract("text8", path.parent)
        return path
    if not Path(corpus).is_file():
        raise SystemExit(f"--corpus: {corpus!r} is not a file; use dictcorpus, text8 or a path to a text file")
    return Path(corpus)


start = time.time()
words = corpus_path(args.corpus, args.data_root).read_text().split()
if args.quick:
    words, args.epochs, args.min_count = words[:20000], 1, 2
counts = Counter(words)
vocab = sorted((w for w, c in counts.items() if c >= args.min_count), key=lambda w: (-counts[w], w))
index = {w: i for i, w in enumerate(vocab)}
ids = np.array([index.get(w, -1) for w in words], dtype=np.int64)
ids = ids[ids >= 0]  # rare words leave the stream, as in word2vec
freq = np.array([counts[w] for w in vocab], dtype=np.float64)
threshold = args.sample * freq.sum()
keep_prob = np.minimum((np.sqrt(freq / threshold) + 1) * threshold / freq, 1.0)  # word2vec's formula
noise = freq ** 0.75
noise_table = torch.from_numpy(np.searchsorted(np.cumsum(noise / noise.sum()), np.linspace(0, 1, 10_000_000, endpoint=False)))
print(f"{len(words):,} words, vocabulary {len(vocab):,} (min count {args.min_count}), "
      f"{len(ids):,} tokens kept ({time.time() - start:.1f} s)", flush=True)

model = zoo.create(NAME, vocab_size=len(vocab), dim=args.dim)
model.set_vocabulary(vocab, [counts[w] for w in vocab])
w_in = model.embedding.weight.data
w_in.uniform_(-0.5 / args.dim, 0.5 / args.dim, generator=torch.Generator().manual_seed(args.seed))
w_out = torch.zeros_like(w_in)  # word2vec's syn1neg: the center words' output vectors
w_in.share_memory_(), w_out.share_memory_()
expected_centers = args.epochs * keep_prob @ freq  # for the learning-rate schedule
progress = mp.get_context("fork").Value("q", 0, lock=False)  # centers done, all workers together


def train_worker(rank: int) -> None:
    """One Hogwild worker: its contiguous share of the corpus, every epoch, updating w_in/w_out in place."""
    torch.set_num_threads(1)
    shard = np.array_split(ids, args.workers)[rank]
    rng = np.random.default_rng(args.seed * 1000 + rank)
    gen = torch.Generator().manual_seed(args.seed * 1000 + rank)
    label = torch.zeros(1, 1, args.negative + 1)
    label[..., 0] = 1
    for epoch in range(args.epochs):
        kept = shard[rng.random(len(shard)) < keep_prob[shard]]
        reach = rng.integers(1, args.window + 1, len(kept))  # word2vec's shrunk window, per center
        reach[: args.window], reach[len(kept) - args.window :] = 0, 0  # no window past the shard's ends
        batches = []  # (centers, their contexts) with the same window size share a batch
        for b in range(1, args.window + 1):
            centers = rng.permutation(np.nonzero(reach == b)[0])
            offsets = np.r_[-b:0, 1 : b + 1]
            per = max(1, args.batch_size // (2 * b))
            batches += [(centers[i : i + per], offsets) for i in range(0, len(centers), per)]
        for j in rng.permutation(len(batches)):
            at, offsets = batches[j]
            center = torch.from_numpy(kept[at])
            context = torch.from_numpy(kept[at[:, None] + offsets])  # (n, 2b)
            n = len(center)
            targets = torch.cat([center[:, None], noise_table[torch.randint(len(noise_table), (n, args.negative), generator=gen)]], 1)
            lr = args.lr - (args.lr - args.min_lr) * min(progress.value / expected_centers, 1.0)
            x = w_in[context]  # (n, 2b, dim): inputs
            y = w_out[targets]  # (n, 1 + negative, dim): the center word, then the noise words
            g = (label - torch.bmm(x, y.transpose(1, 2)).sigmoid_()).mul_(lr)  # (n, 2b, 1 + negative)
            w_in.index_add_(0, context.view(-1), torch.bmm(g, y).view(-1, args.dim))
            w_out.index_add_(0, targets.view(-1), torch.bmm(g.transpose(1, 2), x).view(-1, args.dim))
            progress.value += n


workers = [mp.get_context("fork").Process(target=train_worker, args=(r,)) for r in range(args.workers)]
for w in workers:
    w.start()
with progress_bar(total=math.ceil(expected_centers), unit="word", unit_scale=True) as bar:
    while any(w.is_alive() for w in workers):
        time.sleep(0.5)
        bar.update(progress.value - bar.n)
if any(w.exitcode for w in workers):
    raise SystemExit(f"a training worker failed (exit codes {[w.exitcode for w in workers]})")
wall = time.time() - start
print(f"trained {progress.value:,} centers in {wall:.1f} s", flush=True)

torch.set_num_threads(threads)
model = round_to_storage(model.eval(), torch.int8)  # measure what is published
try:
    metrics = word_vector_metrics(model, text_file("eval", root=args.data_root))
except FileNotFoundError:
    if not args.quick:
        raise
    metrics = {}  # a --quick run on a corpus of its own, without the evaluation sets
print(metrics)
save_entry(
    model, args.out, args.manifest, metrics=metrics,
    metric_names={"wordsim353": "WordSim353 Spearman", "simlex999": "SimLex-999 Spearman",
                  "analogy": "Google analogy accuracy", "wordsim353_pairs": "WordSim353 pairs in vocabulary",
                  "simlex999_pairs": "SimLex-999 pairs in vocabulary",
                  "analogy_questions": "Analogy questions in vocabulary"},
    command=args.command, device=args.device, recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall, weights_dtype=torch.int8,
    description="Skip-gram word vectors with negative sampling (ch. 8), trained on the dictionary corpus: "
    "5,985,028 words of English from the GNU Collaborative International Dictionary of English and the "
    f"WordNet 3.0 glosses. {args.dim} dimensions, window {args.window}, min count {args.min_count}, "
    f"{args.negative} noise words, subsampling {args.sample:g}, {args.epochs} epochs, learning rate "
    f"{args.lr:g} decayed linearly to {args.min_lr:g}; {args.workers} Hogwild workers; noise words shared by "
    "the context words of one center.\n\n"
    "The weights are the input vectors (the usual word vectors), stored as int8 with one float32 scale per "
    "row (`embedding.weight.int8_scale`) to keep the file small; `zoo.load` restores float32. The metrics "
    "were measured on the stored vectors. The vocabulary is `vocab.json` (words by descending count, with "
    "counts).\n\n"
    "Evaluation: Spearman correlation of cosine similarity with human scores on WordSim353 and SimLex-999, "
    "and accuracy on the Google analogy questions (nearest word to b - a + c, question words excluded); "
    "pairs and questions with a word outside the vocabulary are skipped, as gensim does.\n\n"
    "```python\nwv = zoo.load(\"skipgram_dictcorpus\")\nwv.most_similar(\"king\", 5)\n"
    "wv.analogy(\"man\", \"king\", \"woman\")\nwv.save_word2vec_format(\"vectors.txt\")\n```",
)
