"""Side by side on one machine: lstm_sentiment_rt against two strong classical baselines on the same
fixed Rotten Tomatoes split, each tuned on the validation split:

- scikit-learn's logistic regression on tf-idf unigrams and bigrams;
- NB-SVM (Wang and Manning, 2012): a linear SVM on binarised unigrams and bigrams scaled by their
  naive-Bayes log-count ratios, its weights interpolated with their mean magnitude.

Ours is the published entry (manifest figures); with --train-variants the script also trains our recipe
with random embeddings (into runs/bench/), to show what the skip-gram start buys. Results go to
docs/benchmarks/lstm_sentiment_rt.json and the chart docs/benchmarks/lstm_sentiment_rt.png;
`python scripts/make_docs.py` renders the table.

    python scripts/bench_lstm_sentiment_rt.py --data-root ../shared/datasets --train-variants
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

import zoo
from zoo import charts
from zoo.data import rotten_tomatoes
from zoo.files import write_atomic
from zoo.models.sentiment import TOKEN_PATTERN
from zoo.provenance import hardware

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--data-root", required=True, help="folder holding text/rotten_tomatoes/")
p.add_argument("--train-variants", action="store_true", help="also train our recipe with random embeddings")
p.add_argument("--out", default="docs/benchmarks/lstm_sentiment_rt.json")
args = p.parse_args()

(train_x, train_y), (val_x, val_y), (test_x, test_y) = (rotten_tomatoes(s, root=args.data_root)
                                                        for s in ("train", "validation", "test"))
train_y, val_y, test_y = map(np.array, (train_y, val_y, test_y))
tokens = dict(token_pattern=TOKEN_PATTERN, lowercase=True, ngram_range=(1, 2))


def tuned(fit, grid):
    """Fit on train for each setting of `grid`, keep the best on validation; (test accuracy, setting, fit seconds)."""
    best = None
    start = time.time()
    for setting in grid:
        predict = fit(setting)
        val = (predict(val_x) == val_y).mean()
        if best is None or val > best[0]:
            best = (val, setting, predict)
    seconds = time.time() - start
    return {"test_accuracy": float((best[2](test_x) == test_y).mean()), "validation_accuracy": float(best[0]),
            "setting": best[1], "tuning_seconds": round(seconds, 1), "settings_tried": len(grid)}


def logistic_tfidf(c):
    vec = TfidfVectorizer(sublinear_tf=True, **tokens)
    clf = LogisticRegression(C=c, max_iter=2000).fit(vec.fit_transform(train_x), train_y)
    return lambda texts: clf.predict(vec.transform(texts))


def nbsvm(setting):
    c, beta = setting
    vec = CountVectorizer(binary=True, **tokens)
    x = vec.fit_transform(train_x)
    pos, neg = np.asarray(x[train_y == 1].sum(0)).ravel() + 1, np.asarray(x[train_y == 0].sum(0)).ravel() + 1
    r = np.log((pos / pos.sum()) / (neg / neg.sum()))
    svm = LinearSVC(C=c, max_iter=5000).fit(x.multiply(r).tocsr(), train_y)
    w = svm.coef_.ravel()
    w = (1 - beta) * np.abs(w).mean() + beta * w
    return lambda texts: (vec.transform(texts).multiply(r).tocsr() @ w + svm.intercept_[0] > 0).astype(int)


anchors = {
    "logistic regression, tf-idf 1-2-grams": tuned(logistic_tfidf, [0.3, 1, 3, 10, 30, 100]),
    "NB-SVM, 1-2-grams": tuned(nbsvm, [(c, b) for c in (0.01, 0.1, 1) for b in (0.25, 0.5, 1.0)]),
}
for name, r in anchors.items():
    print(f"{name}: test {r['test_accuracy']:.4f} (validation {r['validation_accuracy']:.4f}, {r['setting']})")

ours = {}
info = zoo.info("lstm_sentiment_rt")
ours["lstm_sentiment_rt (published, skip-gram start)"] = {
    "test_accuracy": info["metrics"]["accuracy"], "validation_accuracy": info["metrics"]["validation_accuracy"],
    "training_seconds": info["training"]["wall_time_s"], "command": info["training"]["command"]}
if args.train_variants:
    out = Path("runs/bench/lstm_sentiment_rt_random")
    cmd = [sys.executable, "scripts/train_lstm_sentiment_rt.py", "--data-root", args.data_root, "--embeddings", "random",
           "--out", str(out), "--manifest", "runs/bench/weights_manifest.json",
           "--threads", str(info["training"]["recipe"]["threads"] or 2)]
    subprocess.run(cmd, check=True)
    rec = json.loads(Path("runs/bench/weights_manifest.json").read_text())["models"]["lstm_sentiment_rt"]
    ours["same recipe, random start"] = {
        "test_accuracy": rec["metrics"]["accuracy"], "validation_accuracy": rec["metrics"]["validation_accuracy"],
        "training_seconds": rec["training"]["wall_time_s"], "command": rec["training"]["command"]}

result = {"hardware": hardware(), "split": "fixed film-hash split: 10,504 / 981 / 1,323 snippets",
          "anchors": anchors, "ours": ours}
points = {k: (max(v.get("tuning_seconds", v.get("training_seconds")), 0.1), v["test_accuracy"])
          for k, v in {**anchors, **ours}.items()}
chart = charts.points_chart(points, "training (and tuning) seconds, log scale", "test accuracy",
                            "Rotten Tomatoes snippets: accuracy against training time", percent=True, log_x=True)
write_atomic(Path(args.out).with_suffix(".png"), chart)
write_atomic(Path(args.out), (json.dumps(result, indent=2) + "\n").encode())
print(json.dumps(result, indent=2))
