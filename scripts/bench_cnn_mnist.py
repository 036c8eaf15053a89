"""Side by side on one machine: cnn_mnist's recipe against pytorch/examples' mnist/main.py.

Our figures are those of the run that made the published weights (manifest). The anchor runs with its
defaults, from a checkout of github:pytorch/examples, for the same wall time (or to the end with
--full), and its test accuracy after each epoch is recorded. Results go to docs/benchmarks/cnn_mnist.json;
`python scripts/make_docs.py` renders them into docs/benchmarks.md.

    python scripts/bench_cnn_mnist.py /path/to/examples --data-root ../shared/datasets
"""
import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zoo
from zoo.export import hardware, write_atomic

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("examples", help="checkout of github:pytorch/examples")
p.add_argument("--data-root", required=True, help="folder holding MNIST/raw")
p.add_argument("--full", action="store_true", help="let the anchor run all its epochs instead of our wall time")
p.add_argument("--out", default="docs/benchmarks/cnn_mnist.json")
args = p.parse_args()

ours = zoo.info("cnn_mnist")
budget = None if args.full else ours["training"]["wall_time_s"]
with tempfile.TemporaryDirectory() as tmp:
    (Path(tmp) / "data").symlink_to(Path(args.data_root).resolve())  # the anchor reads ../data
    (Path(tmp) / "run").mkdir()
    cmd = [sys.executable, str(Path(args.examples) / "mnist" / "main.py"), "--no-accel"]
    start, epochs = time.time(), []
    proc = subprocess.Popen(cmd, cwd=Path(tmp) / "run", stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        m = re.search(r"Test set: .*Accuracy: (\d+)/(\d+)", line)
        if m:
            epochs.append({"epoch": len(epochs) + 1, "seconds": round(time.time() - start, 1),
                           "accuracy": int(m[1]) / int(m[2])})
            print(f"anchor epoch {len(epochs)}: {epochs[-1]['accuracy']:.4f} at {epochs[-1]['seconds']} s", flush=True)
        if budget is not None and time.time() - start > budget:
            proc.kill()
            break
    proc.wait()

within = [e for e in epochs if budget is None or e["seconds"] <= budget]
result = {
    "hardware": hardware(), "python": platform.python_version(),
    "ours": {"command": ours["training"]["command"], "seconds": ours["training"]["wall_time_s"],
             "accuracy": ours["metrics"]["accuracy"]},
    "anchor": {"command": "python mnist/main.py --no-accel (pytorch/examples defaults: 14 epochs, Adadelta)",
               "budget_s": budget, "epochs": epochs,
               "accuracy_within_budget": within[-1]["accuracy"] if within else None},
}
write_atomic(Path(args.out), (json.dumps(result, indent=2) + "\n").encode())
print(json.dumps(result, indent=2))
