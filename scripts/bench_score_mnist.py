"""score_mnist against Hugging Face diffusers' DDPM on one machine: diffusers' `UNet2DModel` of about the same
parameter count (1.04M against our 1.12M) with its `DDPMScheduler`, trained on the same MNIST training
images for score_mnist's recorded training time, on as many CPU threads, with the same EMA of the weights and,
when ours trained under bfloat16 autocast (`--bf16`), under it too, sampled with the scheduler's defaults
(1,000 steps), and scored by the same code (`zoo.evaluation.sample_quality`: MNIST-FID in cnn_mnist's features,
class shares, mean confidence). For ours, MNIST-FID against the number of sampling steps (noise levels, each of
two network evaluations: a corrector's and a predictor's). Images per second for both.

    python scripts/bench_score_mnist.py --data-root ../shared/datasets          # a GPU is advised

The anchor's U-Net has four resolutions without attention, on digits padded to 32x32 and cropped back. Diffusers'
usual small-image configuration, (32, 64, 64) channels with attention at 16x16, has our parameter count too, but
a training step costs 15 times ours on a CPU; this one costs about 5 times. Results go to
docs/benchmarks/score_mnist.json with a chart; `python scripts/make_docs.py` renders the table. Each stage's
product is kept in `--work` as it ends (the anchor's weights, then each model's figures for that many samples
and threads, ours also for those weights and that sampling code), and a rerun takes it from there instead of
repeating the stage. The anchor's training state is kept there too, every five minutes, and a rerun carries on
from it, so that its training can span several sittings. When only score_mnist has changed, `--anchor-from
docs/benchmarks/score_mnist.json` keeps the anchor's figures of an earlier run (hours of training and sampling on
a CPU) if its anchor trained at least as long as ours, in the same precision, and was scored on as many samples.
"""
import argparse
import inspect
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import zoo
from zoo import charts
from zoo.data import load_images
from zoo.evaluation import sample_quality
from zoo.files import write_atomic
from zoo.manifest import read_manifest
from zoo.progress import progress
from zoo.provenance import hardware
from zoo.training import bf16_autocast, bf16_native
from zoo.training_state import resume_progress, save_progress
from zoo.weights import sha256_bytes

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--data-root", default=None)
p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
p.add_argument("--samples", type=int, default=10_000, help="samples scored for each figure")
p.add_argument("--steps", type=int, nargs="+", default=[50, 100, 250, 500, 1000], help="our sampling steps (noise levels) to score")
p.add_argument("--budget", type=float, default=None, help="the anchor's training seconds (default: ours, recorded)")
p.add_argument("--threads", type=int, default=None, help="torch CPU threads for sampling both models (default: torch's "
               "choice); the anchor trains on as many as score_mnist's training did")
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--lr", type=float, default=1e-3, help="the anchor's AdamW learning rate (diffusers' DDPM example's is 1e-4 at batch 16)")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--out-dir", default="docs/benchmarks")
p.add_argument("--work", default="runs/bench_score_mnist", help="each stage's product, for a rerun to resume from")
p.add_argument("--anchor-from", default=None, help="an earlier result of this script whose anchor figures to keep "
               "instead of training and sampling the anchor again")
p.add_argument("--note", default=None, help="what the figures should be read with (say, other work that shared the "
               "machine while they were measured), printed with them in docs/benchmarks.md")
args = p.parse_args()
from diffusers import DDPMScheduler, UNet2DModel  # noqa: E402  (the bench extra)
from diffusers.training_utils import EMAModel  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

rec = read_manifest(args.manifest)["models"]["score_mnist"]
budget = args.budget or rec["training"]["wall_time_s"]
recipe = rec["training"]["recipe"]
bf16 = recipe.get("bf16", False)
train_x, _ = load_images("mnist", train=True, root=args.data_root)
test_x, _ = load_images("mnist", train=False, root=args.data_root)
cnn = zoo.load("cnn_mnist", device=args.device)
torch.manual_seed(0)
work = Path(args.work)
work.mkdir(parents=True, exist_ok=True)


def kept(name: str, make) -> dict:
    """The figures `make()` returns, kept in `work` under `name` once made."""
    path = work / name
    if not path.exists():
        write_atomic(path, json.dumps(make()).encode())
    figures = json.loads(path.read_text())
    print(name, json.dumps({k: v for k, v in figures.items() if k != "class_shares"}), flush=True)
    return figures


def timed(sample) -> tuple[torch.Tensor, float]:
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.time()
    images = sample()
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    return images.cpu(), args.samples / (time.time() - start)


# the anchor: diffusers' DDPM, trained for our wall time
if recipe.get("threads"):
    torch.set_num_threads(recipe["threads"])
training_threads = torch.get_num_threads()
unet = UNet2DModel(sample_size=32, in_channels=1, out_channels=1, block_out_channels=(16, 32, 64, 64), layers_per_block=1,
                   down_block_types=("DownBlock2D",) * 4, up_block_types=("UpBlock2D",) * 4, norm_num_groups=8).to(args.device)
scheduler = DDPMScheduler()  # its defaults: 1,000 steps, linear betas


def train_anchor() -> dict:
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr)
    ema = EMAModel(unet.parameters(), decay=recipe["ema"])
    data = F.pad(train_x.float().div(255).unsqueeze(1) * 2 - 1, (2, 2, 2, 2), value=-1.0).to(args.device)
    checkpoint, objects = work / "anchor_training.ckpt", {"unet": unet, "optimizer": opt, "ema": ema}
    options = {"budget": budget, "batch_size": args.batch_size, "lr": args.lr, "bf16": bf16, "ema": recipe["ema"],
               "threads": training_threads}
    saved = resume_progress(checkpoint, options, objects)
    earlier_s, iterations = (saved["seconds"], saved["iterations"]) if saved else (0.0, 0)
    if saved:
        ema.to(args.device)
        print(f"anchor: carrying on from {checkpoint} after {iterations} iterations in {earlier_s:.0f} s", flush=True)
    start, saved_at = time.time() - earlier_s, time.time()
    while time.time() - start < budget:
        x = data[torch.randint(len(data), (args.batch_size,), device=args.device)]
        noise = torch.randn_like(x)
        t = torch.randint(scheduler.config.num_train_timesteps, (len(x),), device=args.device)
        with bf16_autocast(args.device, bf16):
            predicted = unet(scheduler.add_noise(x, noise, t), t).sample
        loss = F.mse_loss(predicted.float(), noise)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.step(unet.parameters())
        iterations += 1
        if time.time() - saved_at > 300:
            save_progress(checkpoint, options, objects, seconds=time.time() - start, iterations=iterations)
            saved_at = time.time()
        if iterations % 500 == 0:
            print(f"anchor: {iterations} iterations in {time.time() - start:.0f} s, loss {loss.item():.4f}", flush=True)
    seconds = time.time() - start
    ema.copy_to(unet.parameters())
    save_file({k: v.cpu().contiguous() for k, v in unet.state_dict().items()}, work / "anchor.safetensors")
    return {"budget": budget, "batch_size": args.batch_size, "lr": args.lr, "bf16": bf16, "training_seconds": seconds,
            "training_threads": training_threads, "iterations": iterations}


earlier_anchor = json.loads(Path(args.anchor_from).read_text())["anchor"] if args.anchor_from else None
if earlier_anchor is None and bf16 and not bf16_native(args.device):
    sys.exit(f"score_mnist trained under bfloat16 autocast, and so must the anchor, but {args.device} "
             f"({hardware(args.device)}) has no bfloat16 arithmetic: the anchor would train slower than in float32 "
             "and lose to the precision, not to our model; run this where ours trained, or give --anchor-from")
if earlier_anchor is None:
    training = kept("anchor_training.json", train_anchor)
    trained_as = [training.get(k, False) for k in ("budget", "batch_size", "lr", "bf16")]
    if trained_as != [budget, args.batch_size, args.lr, bf16]:
        sys.exit(f"{work} holds an anchor trained with another budget, batch size, learning rate or precision; "
                 "give another --work")
    unet.load_state_dict(load_file(work / "anchor.safetensors"))
elif (earlier_anchor["training_seconds"] < budget or earlier_anchor["samples"] != args.samples
      or earlier_anchor.get("bf16", False) != bf16):
    sys.exit(f"the anchor in {args.anchor_from} trained for {earlier_anchor['training_seconds']:.0f} s"
             f"{' under bfloat16 autocast' if earlier_anchor.get('bf16') else ''} and was scored on "
             f"{earlier_anchor['samples']:,} samples; it must have trained at least as long as ours ({budget:.0f} s), "
             f"{'under bfloat16 autocast' if bf16 else 'in float32'} as ours did, and been scored on as many samples "
             f"as asked ({args.samples:,})")
if args.threads:
    torch.set_num_threads(args.threads)
sampling = f"{args.samples}_samples_{torch.get_num_threads()}_threads"  # what the kept sampling figures depend on

model = zoo.load("score_mnist", device=args.device)
sampler = sha256_bytes(Path(inspect.getsourcefile(type(model))).read_bytes())[:8]  # its module's code
ours = {"parameters": sum(p.numel() for p in model.parameters()), "training_seconds": rec["training"]["wall_time_s"],
        "default_steps": model.default_steps, "by_steps": []}


def network_evaluations(steps: int) -> int:
    """How many times sampling one image at `steps` levels runs the network: counted, not assumed."""
    calls = []
    hook = model.register_forward_hook(lambda *_: calls.append(1))
    model.sample(1, seed=0, steps=steps)
    hook.remove()
    return len(calls)


def score_ours(steps: int) -> dict:
    images, speed = timed(lambda: model.sample(args.samples, seed=0, steps=steps))
    return {"steps": steps, "network_evaluations": network_evaluations(steps), "images_per_second": speed,
            **sample_quality(images, test_x, cnn)}


for steps in args.steps:
    ours["by_steps"].append(kept(f"ours_{rec['sha256'][:12]}_{sampler}_{steps}_levels_{sampling}.json", lambda: score_ours(steps)))


# the anchor's sampling last: its 1,000 steps cost the most
@torch.no_grad()
def ddpm_samples(n: int, batch: int = 1000) -> torch.Tensor:
    unet.eval()
    scheduler.set_timesteps(scheduler.config.num_train_timesteps)
    out, gen = [], torch.Generator(device=args.device).manual_seed(0)
    for i in range(0, n, batch):
        x = torch.randn(min(batch, n - i), 1, 32, 32, generator=gen, device=args.device)
        for t in progress(scheduler.timesteps, desc=f"anchor: sampling images {i + 1}-{i + len(x)}"):
            x = scheduler.step(unet(x, t).sample, t, x, generator=gen).prev_sample
        out.append(((x[:, :, 2:30, 2:30] + 1) / 2).clamp(0, 1))
    return torch.cat(out)


def score_anchor() -> dict:
    images, speed = timed(lambda: ddpm_samples(args.samples))
    return {"images_per_second": speed, **sample_quality(images, test_x, cnn.cpu())}


anchor = earlier_anchor or {
    "command": "diffusers UNet2DModel + DDPMScheduler (this script)", "parameters": sum(p.numel() for p in unet.parameters()),
    **{k: v for k, v in training.items() if k != "budget"}, "ema": recipe["ema"],
    "sampling_steps": scheduler.config.num_train_timesteps, **kept(f"anchor_{sampling}.json", score_anchor)}

result = {"hardware": hardware(args.device), "samples": args.samples, **({"note": args.note} if args.note else {}),
          "ours": ours, "anchor": anchor}
out_dir = Path(args.out_dir)
write_atomic(out_dir / "score_mnist.json", (json.dumps(result, indent=1) + "\n").encode())
write_atomic(out_dir / "score_mnist.png", charts.line_chart(
    {"score_mnist (predictor-corrector)": ([r["network_evaluations"] for r in ours["by_steps"]], [r["mnist_fid"] for r in ours["by_steps"]]),
     f"diffusers DDPM, {anchor['sampling_steps']} steps": ([anchor["sampling_steps"]], [anchor["mnist_fid"]])},
    "network evaluations per image", "MNIST-FID (lower is better)", "score_mnist: MNIST-FID against sampling cost",
    markers=True, log_x=True, reference=("gan_mnist", read_manifest(args.manifest)["models"]["gan_mnist"]["metrics"]["mnist_fid"])))
print(json.dumps({"ours": ours["by_steps"], "anchor": {k: v for k, v in anchor.items() if k != "class_shares"}}, indent=1))
