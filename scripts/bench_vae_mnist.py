"""Side by side on one machine: vae_mnist against pytorch/examples' vae/main.py (an MLP VAE, 784-400-20).

The anchor runs with its defaults for the wall time our training took (manifest), and we record the
test loss it prints after each epoch: the negative ELBO per image with a summed BCE on unbinarised
pixels. Ours is the same figure computed by `zoo.evaluation.vae_metrics` (`examples_test_loss`).
Results go to docs/benchmarks/vae_mnist.json; `python scripts/make_docs.py` renders them.

    python scripts/bench_vae_mnist.py /path/to/examples --data-root ../shared/datasets
"""
import sys
from pathlib import Path

import zoo
from zoo.provenance import hardware
from anchor_run import parse_args, run_anchor, save_result

args = parse_args("vae_mnist", __doc__)

ours = zoo.info("vae_mnist")
budget = None if args.full else ours["training"]["wall_time_s"]
cmd = [sys.executable, str(Path(args.examples) / "vae" / "main.py"), "--no-accel", "--epochs", "1000"]
found, _ = run_anchor(cmd, args.data_root, budget, pattern=r"Test set loss: ([0-9.]+)", threads=args.threads,
                      keep=args.anchor_files)
epochs = [{"epoch": i + 1, "seconds": s, "test_loss": float(v)} for i, (s, (v,)) in enumerate(found)]
result = {
    "hardware": hardware(),
    "threads": args.threads,
    "ours": {"command": ours["training"]["command"], "seconds": budget,
             "test_loss": ours["metrics"]["examples_test_loss"], "nll_iw": ours["metrics"]["nll_iw"]},
    "anchor": {"command": "python vae/main.py --no-accel --epochs 1000 (stopped at our wall time)",
               "budget_s": budget, "epochs": epochs,
               "test_loss_within_budget": min((e["test_loss"] for e in epochs), default=None)},
}
save_result(args.out, result)
