"""Side by side on one machine: cnn_mnist's recipe against pytorch/examples' mnist/main.py.

Our figures are those of the run that made the published weights (manifest). The anchor runs with its
defaults, from a checkout of github:pytorch/examples, for the same wall time (or to the end with
--full), and its test accuracy after each epoch is recorded. Results go to docs/benchmarks/cnn_mnist.json;
`python scripts/make_docs.py` renders them into docs/benchmarks.md.

    python scripts/bench_cnn_mnist.py /path/to/examples --data-root ../shared/datasets
"""
import sys
from pathlib import Path

import zoo
from zoo.provenance import hardware
from anchor_run import parse_args, run_anchor, save_result

args = parse_args("cnn_mnist", __doc__)

ours = zoo.info("cnn_mnist")
budget = None if args.full else ours["training"]["wall_time_s"]
found, _ = run_anchor([sys.executable, str(Path(args.examples) / "mnist" / "main.py"), "--no-accel"],
                      args.data_root, budget, pattern=r"Test set: .*Accuracy: (\d+)/(\d+)", threads=args.threads,
                      keep=args.anchor_files)
epochs = [{"epoch": i + 1, "seconds": s, "accuracy": int(a) / int(n)} for i, (s, (a, n)) in enumerate(found)]
within = [e for e in epochs if budget is None or e["seconds"] <= budget]
result = {
    "hardware": hardware(),
    "ours": {"command": ours["training"]["command"], "seconds": ours["training"]["wall_time_s"],
             "accuracy": ours["metrics"]["accuracy"]},
    "anchor": {"command": "python mnist/main.py --no-accel (pytorch/examples defaults: 14 epochs, Adadelta)",
               "budget_s": budget, "epochs": epochs,
               "accuracy_within_budget": within[-1]["accuracy"] if within else None},
}
save_result(args.out, result)
