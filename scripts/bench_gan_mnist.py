"""Side by side on one machine: gan_mnist against pytorch/examples' dcgan/main.py --dataset mnist.

The anchor runs with its defaults for the wall time our training took (manifest). It saves a generator
only at the end of an epoch, and a grid of 64 samples from fixed noise every 100 iterations; we score
its last grid (cells resized to 28x28) and, for a like-for-like figure, 64 samples of ours, with the same
code: MNIST-FID in cnn_mnist's feature space (64 samples against the 10,000 test images, a noisier and
higher figure than the 10,000-sample one), and cnn_mnist's class shares. If the anchor finishes an epoch,
its last saved generator also gives 10,000 samples (resized to 28x28), scored like ours.
Results go to docs/benchmarks/gan_mnist.json.

    python scripts/bench_gan_mnist.py /path/to/examples --data-root ../shared/datasets
"""
import ast
import io
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import zoo
from zoo.data import load_images
from zoo.evaluation import sample_quality
from zoo.provenance import hardware
from anchor_run import parse_args, run_anchor, save_result

args = parse_args("gan_mnist", __doc__)

ours = zoo.info("gan_mnist")
budget = None if args.full else ours["training"]["wall_time_s"]
cmd = [sys.executable, str(Path(args.examples) / "dcgan" / "main.py"), "--dataset", "mnist",
       "--dataroot", str(Path(args.data_root).resolve()), "--outf", "results", "--manualSeed", "1"]
found, files = run_anchor(cmd, args.data_root, budget, pattern=r"^\[(\d+)/\d+\]\[(\d+)/(\d+)\]", echo=False,
                          threads=args.threads, keep=args.anchor_files)


def grid_cells(png: bytes, size=64, pad=2, n=64) -> torch.Tensor:
    """The n cells of a torchvision save_image grid (8 per row), grey, resized to 28x28, in [0, 1]."""
    im = Image.open(io.BytesIO(png)).convert("L")
    cells = []
    for i in range(n):
        r, c = divmod(i, 8)
        box = (pad + c * (size + pad), pad + r * (size + pad), pad + c * (size + pad) + size, pad + r * (size + pad) + size)
        cells.append(np.asarray(im.crop(box).resize((28, 28), Image.BILINEAR), dtype=np.float32) / 255)
    return torch.from_numpy(np.stack(cells))[:, None]


@torch.no_grad()
def anchor_samples(state: bytes, n: int = 10_000) -> torch.Tensor:
    """n samples of the anchor's saved generator, resized to 28x28, in [0, 1]. The Generator class is
    read from the checkout's dcgan/main.py (which cannot be imported: it trains on import)."""
    source = (Path(args.examples) / "dcgan" / "main.py").read_text()
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "Generator")
    scope = {"nn": torch.nn, "nz": 100, "ngf": 64, "nc": 1}  # main.py's defaults for --dataset mnist
    exec(compile(ast.Module([cls], []), "dcgan/main.py", "exec"), scope)
    net = scope["Generator"](1)
    net.load_state_dict(torch.load(io.BytesIO(state), weights_only=True))
    z = torch.randn(n, 100, 1, 1, generator=torch.Generator().manual_seed(0))
    # main.py never switches to eval mode: its samples use batch statistics, so ours of it do too
    images = torch.cat([net.train()(z[i : i + 500]) for i in range(0, n, 500)])
    return F.interpolate((images + 1) / 2, size=28, mode="bilinear", antialias=True).clamp(0, 1)


test_x, _ = load_images("mnist", train=False, root=args.data_root)
cnn = zoo.load("cnn_mnist")
grids = sorted(k for k in files if k.startswith("fake_samples"))
anchor_q = sample_quality(grid_cells(files[grids[-1]]), test_x, cnn) if grids else None
ours_q = sample_quality(zoo.load("gan_mnist").sample(64, seed=0), test_x, cnn)
checkpoints = sorted((k for k in files if k.startswith("netG_epoch_")), key=lambda k: int(k[11:-4]))
anchor_10k = sample_quality(anchor_samples(files[checkpoints[-1]]), test_x, cnn) if checkpoints else None
last = found[-1][1] if found else None
result = {
    "hardware": hardware(),
    "threads": args.threads,
    "ours": {"command": ours["training"]["command"], "seconds": budget,
             "mnist_fid_10k": ours["metrics"]["mnist_fid"], "min_class_share_10k": ours["metrics"]["min_class_share"],
             "mean_confidence_10k": ours["metrics"]["mean_confidence"],
             "mnist_fid_64": ours_q["mnist_fid"],
             "min_class_share_64": ours_q["min_class_share"]},
    "anchor": {"command": "python dcgan/main.py --dataset mnist --manualSeed 1 (stopped at our wall time)",
               "budget_s": budget,
               "progress": f"epoch {last[0]}, iteration {last[1]} of {last[2]}" if last else "no iteration",
               "iterations": len(found),
               "saved_generator": checkpoints[-1] if checkpoints else None,
               "mnist_fid_10k": anchor_10k and anchor_10k["mnist_fid"],
               "min_class_share_10k": anchor_10k and anchor_10k["min_class_share"],
               "mean_confidence_10k": anchor_10k and anchor_10k["mean_confidence"],
               "mnist_fid_64": anchor_q and anchor_q["mnist_fid"],
               "min_class_share_64": anchor_q and anchor_q["min_class_share"]},
}
save_result(args.out, result)
