"""Side by side on one machine: skipgram_dictcorpus's training script against gensim's Word2Vec, both with
the published recipe's settings (skip-gram; dimensions, window, min count, noise words, subsampling,
epochs and workers read from the manifest; for gensim the corpus is cut into 1,000-word sentences).

Both are timed from reading the corpus to the end of training, and both sets of vectors are scored by
the same code, `zoo.evaluation.word_vector_metrics`; gensim's own evaluation of its vectors is recorded
too, as a check on ours. gensim is needed here only: `pip install gensim`.
Results go to docs/benchmarks/skipgram_dictcorpus.json; `python scripts/make_docs.py` renders them.

    python scripts/bench_skipgram_dictcorpus.py --data-root ../shared/datasets
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import zoo
from zoo.data import text_file
from zoo.evaluation import word_vector_metrics
from zoo.provenance import hardware
from anchor_run import save_result

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--data-root", required=True, help="folder holding text/dictcorpus.txt and text/eval/")
p.add_argument("--out", default="docs/benchmarks/skipgram_dictcorpus.json")
args = p.parse_args()
corpus, eval_dir = text_file("dictcorpus.txt", args.data_root), text_file("eval", args.data_root)
recipe = zoo.info("skipgram_dictcorpus")["training"]["recipe"]
GENSIM_NAMES = {"dim": "vector_size", "window": "window", "min_count": "min_count", "negative": "negative",
                "sample": "sample", "epochs": "epochs", "workers": "workers"}  # our option: gensim's argument
settings = {**{gensim: recipe[ours] for ours, gensim in GENSIM_NAMES.items()}, "sg": 1, "seed": 0}
recipe_options = [str(v) for k in GENSIM_NAMES for v in (f"--{k.replace('_', '-')}", recipe[k])]

# gensim
from gensim.models import Word2Vec

start = time.time()
words = corpus.read_text().split()
w2v = Word2Vec([words[i : i + 1000] for i in range(0, len(words), 1000)], **settings)
gensim_s = time.time() - start
kv = w2v.wv
as_ours = zoo.create("skipgram_dictcorpus", vocab_size=len(kv.index_to_key), dim=kv.vector_size)
as_ours.set_vocabulary(kv.index_to_key)
as_ours.embedding.weight.data.copy_(torch.from_numpy(kv.vectors))
gensim_own = {
    "wordsim353": kv.evaluate_word_pairs(eval_dir / "wordsim353.tsv")[1].statistic,
    "simlex999": kv.evaluate_word_pairs(eval_dir / "simlex999.txt")[1].statistic,
    "analogy": kv.evaluate_word_analogies(eval_dir / "questions-words.txt")[0],
}
print(f"gensim: {gensim_s:.1f} s", flush=True)

# ours, by its training script, into a scratch folder
with tempfile.TemporaryDirectory() as tmp:
    cmd = [sys.executable, str(Path(__file__).with_name("train_skipgram_dictcorpus.py")), "--data-root",
           args.data_root, "--out", f"{tmp}/w", "--manifest", f"{tmp}/manifest.json", *recipe_options]
    subprocess.run(cmd, check=True)
    ours = json.loads(Path(f"{tmp}/manifest.json").read_text())["models"]["skipgram_dictcorpus"]

result = {
    "hardware": hardware(),
    "ours": {"command": f"python scripts/train_skipgram_dictcorpus.py --data-root DATA {' '.join(recipe_options)}",
             "seconds": ours["training"]["wall_time_s"], **ours["metrics"]},
    "gensim": {"command": f"gensim {__import__('gensim').__version__} Word2Vec({', '.join(f'{k}={v}' for k, v in settings.items())})",
               "seconds": round(gensim_s, 1), **word_vector_metrics(as_ours, eval_dir),
               "gensim_own_evaluation": gensim_own},
}
save_result(args.out, result)
