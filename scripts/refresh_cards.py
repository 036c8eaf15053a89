"""Rewrite the files of published weights folders that derive from the manifest: the model card (README.md),
keeping each card's description and metric names, with the entry's benchmark beside its anchors where one
is measured (docs/benchmarks/, rendered as in docs/benchmarks.md), and config.json; then pin each record to
the commit its folder now makes. The weights files are not touched.

    python scripts/refresh_cards.py                 # every entry in the manifest
    python scripts/refresh_cards.py cnn_mnist vae_mnist.book
"""
import argparse
import json
import re
import sys
from pathlib import Path

import make_docs
from zoo.files import write_atomic
from zoo.manifest import read_manifest, update_manifest
import zoo
from zoo.publishing import config_json, folder_revision, model_card

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="*", help="manifest keys (default: every one)")
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
args = p.parse_args()
CARD_BENCHMARKS = {"lstm_sentiment_rt": "lstm_sentiment_rt", "seq2seq_g2p_cmudict": "g2p_cmudict",
                   "transformer_g2p_cmudict": "g2p_cmudict", "ntm_copy": "memory_copy", "dnc_copy": "memory_copy",
                   "dnc_babi": "memory_babi", "drqn_cartpole_pomdp": "drqn_cartpole_pomdp",
                   "cnn_bn_fashion_mnist": "cnn_bn_fashion_mnist", "score_mnist": "score_mnist",
                   "dqn_cartpole": "dqn_cartpole", "dqn_breakout": "dqn_breakout"}  # entry: its benchmark file


def peers_section(key: str) -> str:
    bench = CARD_BENCHMARKS.get(key)
    path = make_docs.ROOT / "docs" / "benchmarks" / f"{bench}.json"
    if bench is None or not path.exists():
        return ""
    text = make_docs.BENCHMARKS[bench](json.loads(path.read_text()))
    return re.sub(r"\n!\[[^]]*\]\([^)]*\)\n", "\n", text)  # the docs' pictures are not in the repo

models = read_manifest(args.manifest)["models"]
for key in args.names or sorted(models):
    if key not in models:
        sys.exit(f"{key} is not in {args.manifest}")
    rec, card_path = models[key], Path(args.weights_dir) / key / "README.md"
    card = card_path.read_text()
    body = card.split(f"\n# {key}\n\n", 1)[1]
    description = body.split("\n\nFrom *Fundamentals of Deep Learning*", 1)[0]
    table = card.split("| metric | value |\n|---|---|\n", 1)[1].split("\n\n", 1)[0]
    names = [re.match(r"\| (.*) \| [^|]* \|$", row).group(1) for row in table.splitlines()]
    if len(names) != len(rec["metrics"]):
        sys.exit(f"{card_path}: its metric table has {len(names)} rows, the manifest {len(rec['metrics'])} metrics")
    name = key.partition(".")[0]
    write_atomic(card_path.with_name("config.json"), config_json(name, rec["config"], zoo.create(name, **rec["config"])))
    write_atomic(card_path, model_card(key, rec, dict(zip(rec["metrics"], names)), description, args.manifest,
                                       peers=peers_section(key)).encode())
    revision = folder_revision(card_path.parent, key)
    update_manifest(args.manifest, key, {**rec, "revision": revision})
    print(f"{key}: card rewritten, pinned to {revision}")
