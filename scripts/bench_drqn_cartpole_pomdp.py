"""Side by side on one machine: drqn_cartpole_pomdp against dqn_cartpole's recipe on the same partial
observations of CartPole (cart position and pole angle only), the newest observation alone and the last
four stacked, each given the DRQN's number of environment steps. What memory buys.

    python scripts/bench_drqn_cartpole_pomdp.py

The baselines train with `scripts/train_dqn_cartpole.py --observe positions|positions-stack4` into
runs/bench/drqn_cartpole_pomdp/ (their seeds' runs are reused if there); the DRQN's figures are the
manifest's and its weights folder's training_history.json. Every agent is scored by
`zoo.evaluate_agent`'s protocol (100 greedy episodes, evaluation seeds). Results go to
docs/benchmarks/drqn_cartpole_pomdp.json with the learning curves beside them; `python scripts/make_docs.py`
renders the table.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import torch

from zoo import charts
from zoo.files import write_atomic
from zoo.manifest import read_manifest
from zoo.provenance import hardware

NAME = "drqn_cartpole_pomdp"
BASELINES = {"positions": "DQN, newest observation", "positions-stack4": "DQN, last 4 observations stacked"}
p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--weights-dir", default="weights")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--runs", default=f"runs/bench/{NAME}")
p.add_argument("--out-dir", default="docs/benchmarks")
args = p.parse_args()
torch.set_num_threads(1)  # as every run here: hardware() then names the threads they had
rec = read_manifest(args.manifest)["models"][NAME]
steps = rec["training"]["recipe"]["total_steps"]


def summary(record: dict, folder: Path, command: str) -> dict:
    m = record["metrics"]
    return {"command": command, "mean_return": m["mean_return"], "std_return": m["std_return"],
            "eval_episodes": m["eval_episodes"], "env_steps": m["env_steps"], "steps_to_95pct": m["steps_to_95pct"],
            "training_seconds": record["training"]["wall_time_s"],
            "history": json.loads((folder / "training_history.json").read_text())}


result = {"hardware": hardware(), "env_steps": steps,
          "ours": summary(rec, Path(args.weights_dir) / NAME, rec["training"]["command"])}
for observe in BASELINES:
    out = Path(args.runs) / f"{observe}-seed{args.seed}"
    manifest = Path(args.runs) / f"manifest-{observe}-seed{args.seed}.json"
    command = [sys.executable, "scripts/train_dqn_cartpole.py", "--observe", observe, "--total-steps", str(steps),
               "--seed", str(args.seed), "--threads", "1", "--out", str(out), "--manifest", str(manifest)]
    if not manifest.exists():
        subprocess.run(command, check=True)
    result[observe] = summary(read_manifest(manifest)["models"]["dqn_cartpole_pomdp"], out,
                              "python " + " ".join(command[1:]))

labels = {"ours": "drqn_cartpole_pomdp (ours)", **BASELINES}
out_dir = Path(args.out_dir)
write_atomic(out_dir / f"{NAME}.json", (json.dumps(result, indent=1) + "\n").encode())
write_atomic(out_dir / f"{NAME}.png", charts.line_chart(
    {labels[k]: (r["history"]["steps"], r["history"]["returns"]) for k, r in result.items() if k in labels},
    "environment steps", "mean return (20 validation episodes)",
    "CartPole without velocities: what memory buys", reference=("target", 500)))
print(json.dumps({k: {"mean_return": r["mean_return"], "std_return": r["std_return"]} for k, r in result.items()
                  if k in labels}, indent=1))
