"""Side by side on the fixed CMUdict test split: seq2seq_g2p_cmudict, transformer_g2p_cmudict (its default
weights and the book's version), and the network of the PyPI package g2p-en (a GRU encoder-decoder trained
on CMUdict, possibly on some of our test words, so a reference rather than a fair peer). All are scored by
`zoo.evaluation.g2p_metrics`'s rules; g2p-en's stress digits are dropped. Speed is measured here, on this
machine's CPU, with `threads` torch threads: words per second of greedy decoding over `--speed-words` test
words. Training time and the error rates of ours come from the manifest; the WER of each system by word
length is measured here, on greedy decoding of every test word.

Results go to docs/benchmarks/g2p_cmudict.json; `python scripts/make_docs.py` renders the table.

    python scripts/bench_g2p_cmudict.py
"""
import argparse
import json
import time
from pathlib import Path

import torch

import zoo
from zoo.data import cmudict_entries
from zoo.evaluation import g2p_error_rates, g2p_wer_by_length
from zoo.files import write_atomic
from zoo.g2p_training import words_per_second
from zoo.manifest import get_record, split_key
from zoo.provenance import hardware

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--speed-words", type=int, default=2000)
p.add_argument("--out", default="docs/benchmarks/g2p_cmudict.json")
args = p.parse_args()
torch.set_num_threads(args.threads)

test = cmudict_entries("test")
words = [w for w, _ in test]


result = {"hardware": hardware(), "threads": args.threads, "test_words": len(test), "models": {}}
for key in ("seq2seq_g2p_cmudict", "transformer_g2p_cmudict", "transformer_g2p_cmudict.book"):
    info = get_record(*split_key(key)).as_dict()
    model = zoo.load(key)
    m, t = info["metrics"], info["training"]
    result["models"][key] = {
        "wer": m["wer"], "per": m["per"], "wer_beam4": m["wer_beam4"], "per_beam4": m["per_beam4"],
        "parameters": info["num_params"], "training_seconds": t["wall_time_s"], "training_hardware": t["hardware"],
        "epochs_run": t["recipe"].get("epochs_run"), "epochs_planned": t["recipe"]["epochs"],
        "bf16": t["recipe"].get("bf16", False),
        "words_per_second_cpu": round(words_per_second(model, words[: args.speed_words]), 1),
        "wer_by_length": g2p_wer_by_length(model.predict(words), test), "command": t["command"]}
    print(key, result["models"][key], flush=True)

import g2p_en.g2p as g2p_module  # noqa: E402  (its import tries to download NLTK data; only its network is used)


class _NoDictionary:  # g2p-en looks words up in CMUdict before its network; score the network alone
    def dict(self):
        return {}


g2p_module.cmudict = _NoDictionary()
reference = g2p_module.G2p()
start = time.time()
predicted = [[ph.rstrip("012") for ph in reference.predict(w.replace("'", ""))] for w in words]
seconds = time.time() - start
result["models"]["g2p-en 2.1.0 (network only)"] = {
    **g2p_error_rates(predicted, test), "parameters": int(sum(v.size for v in reference.variables.values())),
    "words_per_second_cpu": round(len(words) / seconds, 1), "wer_by_length": g2p_wer_by_length(predicted, test),
    "note": "numpy GRU encoder-decoder, one word at a time; trained on CMUdict, perhaps on some of these words"}
print(result["models"]["g2p-en 2.1.0 (network only)"])
write_atomic(Path(args.out), (json.dumps(result, indent=2) + "\n").encode())
