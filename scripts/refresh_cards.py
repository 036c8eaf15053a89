"""Rewrite the files of published weights folders that derive from the manifest: the model card (README.md),
keeping each card's description and metric names, with the entry's benchmark beside its anchors where one
is measured (docs/benchmarks/, rendered as in docs/benchmarks.md), and config.json; then pin each record to
the commit its folder now makes. The weights files are not touched.

    python scripts/refresh_cards.py                 # every entry in the manifest
    python scripts/refresh_cards.py cnn_mnist vae_mnist.book
    python scripts/refresh_cards.py --check         # write nothing; fail if a card or config.json is out of date
"""
import argparse
import json
import re
import sys
from pathlib import Path

import make_docs
from zoo.files import write_atomic
from zoo.manifest import read_manifest, split_key, update_manifest
import zoo
from zoo.publishing import config_json, folder_revision, model_card

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="*", help="manifest keys (default: every one)")
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--check", action="store_true", help="write nothing; fail if a card or config.json is out of date")
args = p.parse_args()
CARD_BENCHMARKS = {"lstm_sentiment_rt": "lstm_sentiment_rt", "seq2seq_g2p_cmudict": "g2p_cmudict",
                   "transformer_g2p_cmudict": "g2p_cmudict", "transformer_g2p_cmudict.book": "g2p_cmudict",
                   "ntm_copy": "memory_copy", "dnc_copy": "memory_copy",
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
stale = []
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
    name = split_key(key)[0]
    files = {card_path.with_name("config.json"): config_json(name, rec["config"], zoo.create(name, **rec["config"])),
             card_path: model_card(key, rec, dict(zip(rec["metrics"], names)), description, args.manifest,
                                   peers=peers_section(key)).encode()}
    if args.check:
        stale += [str(path) for path, content in files.items() if path.read_bytes() != content]
        continue
    for path, content in files.items():
        write_atomic(path, content)
    revision = folder_revision(card_path.parent, key)
    update_manifest(args.manifest, key, {**rec, "revision": revision})
    print(f"{key}: card rewritten, pinned to {revision}")
if stale:
    sys.exit(f"out of date: {', '.join(stale)}; run python scripts/refresh_cards.py")
