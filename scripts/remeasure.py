"""Re-measure published entries with the evaluation code (`zoo.evaluation.evaluate`) and add to their records
the figures it has gained since they were trained. Every figure the evaluation code measures that a record
already holds must come out the same (to a relative 1e-6), or nothing is written. The weights are not
touched; the cards are re-rendered and the records re-pinned by scripts/refresh_cards.py.

    python scripts/remeasure.py gan_mnist --data-root ../shared/datasets
"""
import argparse
import math
import subprocess
import sys
from pathlib import Path

import zoo
from zoo.evaluation import SAMPLE_QUALITY_NAMES, evaluate
from zoo.files import write_atomic
from zoo.manifest import read_manifest, split_key, update_manifest
from zoo.rl import STICKY_METRIC_NAMES, agent_metrics
from zoo.rl_training import EVALUATION_TABLE_HEADER, evaluation_table

METRIC_NAMES = {**SAMPLE_QUALITY_NAMES, **STICKY_METRIC_NAMES}  # the card names of the figures an older record may lack

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="+", help="manifest keys")
p.add_argument("--data-root", default=None)
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--replace", action="store_true",
               help="after a change to how a figure is measured: write the re-measured figures over the recorded "
                    "ones that differ (both are printed), and an agent's evaluation table in its card")
args = p.parse_args()


def same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b


models = read_manifest(args.manifest)["models"]
for key in args.names:
    if key not in models:
        sys.exit(f"{key} is not in {args.manifest}")
    rec, card_path = models[key], Path(args.weights_dir) / key / "README.md"
    name, tag = split_key(key)
    model = zoo.load(name, weights=tag)
    agent = zoo.get_spec(name).task == "reinforcement-learning"
    if agent:  # measured as zoo.evaluation.evaluate does, keeping the episodes for the card's table
        measured, evaluation = agent_metrics(model, rec["metrics"]["eval_episodes"])
    else:
        measured = evaluate(name, model, data_root=args.data_root)
    # figures of training (an agent's environment steps, say) are not re-measurable; the rest must hold
    changed = [k for k, v in measured.items() if k in rec["metrics"] and not same(rec["metrics"][k], v)]
    both = "; ".join(f"{k}: {rec['metrics'][k]} recorded, {measured.get(k)} now" for k in changed)
    if changed and not args.replace:
        sys.exit(f"{key}: re-measured figures no longer match the record ({both}); nothing written")
    new = {k: v for k, v in measured.items() if k not in rec["metrics"]}
    unnamed = [k for k in new if k not in METRIC_NAMES]
    if unnamed:
        sys.exit(f"{key}: no card name for {', '.join(unnamed)}; add it to METRIC_NAMES")
    if not new and not changed:
        print(f"{key}: every figure re-measured the same; nothing to add")
        continue
    card = card_path.read_text()
    if changed and agent:  # the card's own evaluation table
        start = card.index(EVALUATION_TABLE_HEADER)
        end = card.index("\n\n", start)
        card = card[:start] + evaluation_table(evaluation) + card[end:]
    table_end = card.index("\n\n", card.index("| metric | value |\n|---|---|\n"))
    rows = "".join(f"\n| {METRIC_NAMES[k]} | {v} |" for k, v in new.items())  # refresh_cards re-renders them
    write_atomic(card_path, (card[:table_end] + rows + card[table_end:]).encode())
    update_manifest(args.manifest, key, {**rec, "metrics": {**rec["metrics"], **measured}})
    subprocess.run([sys.executable, str(Path(__file__).with_name("refresh_cards.py")), key, "--weights-dir",
                    args.weights_dir, "--manifest", args.manifest], check=True)
    print(f"{key}: added {', '.join(f'{k} {v}' for k, v in new.items()) or 'nothing'}"
          + (f"; replaced {both}" if changed else ""))
