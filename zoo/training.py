"""What the training scripts share: their common options, and the recipe of the MNIST classifiers."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from . import distributed
from .data import random_affine, random_erase
from .evaluation import classification_accuracy
from .progress import progress
from .training_state import load_training_state, resume_progress, save_progress


def script_parser(name: str, doc: str) -> argparse.ArgumentParser:
    """An argument parser with the options every training script takes; the script adds its recipe."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--data-root", default=None, help="dataset folder (default: $ZOO_DATA or ~/.cache/fdl-zoo/data)")
    p.add_argument("--device", default=None, help="torch device to train on (default: cuda if available, else cpu)")
    p.add_argument("--out", default=None,
                   help=f"weights folder to write (default: runs/{name}; weights/{name} with --publish)")
    p.add_argument("--manifest", default=None,
                   help="manifest to update (default: runs/weights_manifest.json; weights_manifest.json with --publish)")
    p.add_argument("--publish", action="store_true",
                   help="write the published weights/ folder and manifest (refused unless the code is committed)")
    p.add_argument("--quick", action="store_true", help="a few batches of tiny data, to test the pipeline end to end")
    return p


def setup(args, name: str, tag: str | None = None, cpu_only: bool = False) -> str:
    """Seeds, threads, device, the process group under torchrun, and the output defaults from the common
    options; refuses to write the published weights unless --publish (and committed code). Returns the
    device to train on, also kept as `args.device`."""
    from .manifest import weights_key
    from .provenance import git_commit
    from .publishing import PublishingRefused, check_destination

    key = weights_key(name, tag)
    root = "runs/quick" if args.quick else "weights" if args.publish else "runs"
    args.out = args.out or f"{root}/{key}"
    args.manifest = args.manifest or ("weights_manifest.json" if args.publish and not args.quick
                                      else f"{root}/weights_manifest.json")
    try:
        check_destination(args.out, args.manifest, args.publish)
    except PublishingRefused as e:
        raise SystemExit(f"{name}: {e}") from None
    if cpu_only and args.device not in (None, "cpu"):
        raise SystemExit(f"{name} trains on the CPU only (its network is too small for an accelerator to help); "
                         f"got --device {args.device}")
    default = "cpu" if cpu_only or not torch.cuda.is_available() else "cuda"
    args.device = distributed.init(args.device or default)
    settle_bf16(args, sys.argv)
    args.code_commit = git_commit()  # the code this run imported, whatever changes while it trains
    launcher = f"torchrun --nproc_per_node {distributed.world_size()}" if distributed.world_size() > 1 else "python"
    args.command = f"{launcher} {shlex.join(sys.argv)}"
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args.device


class TrainingClock:
    """Seconds spent training, not validating: it runs from creation; `with clock.paused() as seconds:`
    stops it for a validation and gives the training seconds so far."""

    def __init__(self):
        self._total, self._since = 0.0, time.time()

    @property
    def seconds(self) -> float:
        return self._total + (time.time() - self._since if self._since is not None else 0.0)

    @contextmanager
    def paused(self):
        self._total, self._since = self.seconds, None
        try:
            yield self._total
        finally:
            self._since = time.time()


def history_file(history: list[dict]) -> bytes:
    """The learning curve, published beside the weights so that benchmarks can draw it."""
    return (json.dumps(history, indent=1) + "\n").encode()


def add_checkpoint_option(p) -> None:
    p.add_argument("--checkpoint", default=None,
                   help="save the training state to this file after every epoch, and carry on from it when it "
                   "exists: a run that was stopped resumes exactly where it stopped when given the same command")


def add_bf16_option(p, default: bool = False) -> None:
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=default,
                   help="train under bfloat16 autocast (float32 weights and optimizer), faster where the device "
                   "has bfloat16 arithmetic (CPUs with AVX512-BF16 or AMX, recent GPUs); elsewhere a recipe's default "
                   "of it gives way to float32")


def bf16_native(device) -> bool:
    """Whether `device` has bfloat16 arithmetic: a CUDA device that says so, or a CPU with AVX512-BF16 or AMX
    (oneDNN's own test). Elsewhere bfloat16 autocast runs slower than float32, or fails: oneDNN's LSTM has no
    bfloat16 path on such CPUs."""
    kind = torch.device(device).type
    if kind == "cuda":
        return torch.cuda.is_bf16_supported()
    return kind == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def settle_bf16(args, argv: list[str]) -> None:
    """Keep `args.bf16` only where `args.device` has bfloat16 arithmetic (`bf16_native`). Elsewhere a recipe's
    default of bfloat16 gives way to float32, with a word, and the record says float32; an explicit --bf16 is
    refused."""
    if not getattr(args, "bf16", False) or bf16_native(args.device):
        return
    from .provenance import hardware

    where = f"{args.device} ({hardware(args.device)}) has no bfloat16 arithmetic (on a CPU, AVX512-BF16 or AMX)"
    if "--bf16" in argv:
        raise SystemExit(f"--bf16: {where}, so bfloat16 autocast would run slower than float32, or fail; "
                         "train in float32 with --no-bf16")
    print(f"training in float32, not under the recipe's bfloat16 autocast: {where}", flush=True)
    args.bf16 = False


def bf16_autocast(device, enabled: bool = True):
    """What `--bf16` trains under: bfloat16 autocast on `device`'s kind of device, a no-op unless `enabled`."""
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=enabled)


def runs_so_far(args) -> list[str]:
    """The commands of the runs of a training that `--checkpoint` carries from run to run, this one's last.
    A checkpoint written by other code is refused, so that the record names the code that trained."""
    from pathlib import Path

    if not (args.checkpoint and Path(args.checkpoint).exists()):
        return [args.command]
    saved = load_training_state(args.checkpoint)
    if saved.get("code_commit") != args.code_commit:
        raise SystemExit(f"{args.checkpoint} was written by the code at {saved.get('code_commit')}, this is "
                         f"{args.code_commit}: resume from the same commit, so that the record names the code")
    return saved["commands"] + [args.command]


def runs_sentence(commands: list[str]) -> str:
    """The card's word on a training done in several runs (none for one)."""
    if len(commands) < 2:
        return ""
    return (f" It was trained in {len(commands)} runs, each after the first carrying on from the training state "
            "that the one before saved, as if it had never stopped.")


def recipe_of(args) -> dict:
    """The script's resolved arguments, as the manifest records them beside the command."""
    skip = {"command", "out", "manifest", "publish", "device", "book", "code_commit"}
    return {k: v for k, v in sorted(vars(args).items()) if k not in skip}


def train_classifier(model, train_x, train_y, test_x, test_y, *, epochs, batch_size, lr, weight_decay,
                     label_smoothing, augment, seed, device, channels_last=False, optimizer="adamw",
                     hflip=False, erase=0.0, swa_epochs=0, swa_lr=None, show_progress=True,
                     history: list | None = None, checkpoint=None, extra_state: dict | None = None) -> float:
    """AdamW with a one-cycle schedule (or SGD with momentum 0.9 at a constant rate, the book's), random
    affine augmentation (none if `augment` is None; mirrored left to right half the time with `hflip`),
    random erasing of a rectangle with probability `erase`, and label smoothing on raw uint8 images; prints
    the test accuracy after each epoch (unless `test_x` is None), appending {epoch, seconds, test_accuracy}
    to `history` if given, and returns the wall time in seconds (test passes excluded). Under torchrun each
    rank trains on its share of every batch; only rank 0 measures. With `checkpoint` (a path), the training
    state (and `extra_state`) is saved there after every epoch, and a run that finds one there carries on
    from it as if it had never stopped.

    With `swa_epochs`, that many epochs follow the schedule at the constant rate `swa_lr`, and the weights
    after each are averaged (stochastic weight averaging, Izmailov et al. 2018, "Averaging Weights Leads to
    Wider Optima and Better Generalization"): the model ends with the average, its batch-norm statistics
    recomputed on the training images, and the test accuracy of those epochs is the average's."""
    if swa_epochs and swa_lr is None:
        raise ValueError(f"swa_epochs={swa_epochs} needs swa_lr (--swa-lr), the constant learning rate of those epochs")
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device).to(memory_format=fmt)
    trained = distributed.wrap(model)
    x_all = model.transforms(train_x).to(device)  # normalise once; augmentation works on normalised images
    y_all = train_y.to(device)
    background = -model.transforms.mean / model.transforms.std  # a black pixel, once normalised
    steps = len(x_all) // batch_size
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps)
    gen = torch.Generator(device=device).manual_seed(seed)
    average = torch.optim.swa_utils.AveragedModel(model) if swa_epochs else None

    history = [] if history is None else history
    options = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
               "label_smoothing": label_smoothing, "augment": None if augment is None else list(augment),
               "seed": seed, "optimizer": optimizer, "hflip": hflip, "erase": erase, "images": len(x_all),
               **({"swa_epochs": swa_epochs, "swa_lr": swa_lr} if swa_epochs else {})}  # older checkpoints lack them
    objects = {"model": model, "optimizer": opt, "lr_schedule": sched, "generator": gen,
               **({"average": average} if average is not None else {})}
    saved = resume_progress(checkpoint, options, objects)
    first, earlier_s = (saved["epochs_done"], saved["seconds"]) if saved else (0, 0.0)
    if saved:
        history[:] = saved["history"]
        print(f"resumed from {checkpoint} after epoch {first} ({earlier_s:.0f} s training)", flush=True)
    clock = TrainingClock()
    for epoch in range(first, epochs + swa_epochs):
        averaging = epoch >= epochs
        if averaging:
            for group in opt.param_groups:
                group["lr"] = swa_lr
        model.train()
        perm = torch.randperm(len(x_all), generator=gen, device=device)
        bar = progress(range(steps), desc=f"epoch {epoch + 1}/{epochs + swa_epochs}",
                       disable=not (show_progress and distributed.is_main()))
        for step in bar:
            idx = distributed.shard(perm[step * batch_size : (step + 1) * batch_size])
            x = x_all[idx]
            if augment is not None:
                x = random_affine(x - background, *augment, hflip=hflip, generator=gen) + background
            if erase > 0:  # only then, so that recipes without it draw the same numbers as before
                x = random_erase(x, erase, generator=gen)
            loss = F.cross_entropy(trained(x.contiguous(memory_format=fmt)), y_all[idx], label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if not averaging:
                sched.step()
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)  # shown at the next timed refresh
        if averaging:
            average.update_parameters(model)
            torch.optim.swa_utils.update_bn((x.contiguous(memory_format=fmt) for x in x_all.split(500)), average.module)
        if distributed.is_main() and test_x is not None:
            with clock.paused() as seconds:
                acc = classification_accuracy(average.module if averaging else model, test_x, test_y)
                print(f"epoch {epoch + 1}: test accuracy {acc:.4f} ({earlier_s + seconds:.0f} s)", flush=True)
                history.append({"epoch": epoch + 1, "seconds": round(earlier_s + seconds, 1), "test_accuracy": acc})
        if checkpoint and distributed.is_main():
            with clock.paused() as seconds:
                save_progress(checkpoint, options, objects, history=history, seconds=earlier_s + seconds,
                              epochs_done=epoch + 1, **(extra_state or {}))
    distributed.release()  # from here on, rank 0 alone
    if average is not None:
        model.load_state_dict(average.module.state_dict())
    model.to("cpu").to(memory_format=torch.contiguous_format).eval()
    return earlier_s + clock.seconds


FINETUNE_MODES = ("pretrained", "scratch", "linear_probe")
PRETRAINED_MODES = ("pretrained", "linear_probe")  # the modes that start from the published weights


def finetune_classifier(name: str, train_x, train_y, *, mode: str, num_classes: int, epochs: int, batch_size: int,
                        lr: float, weight_decay: float = 0.01, augment=None, seed: int = 0, device="cpu"):
    """`name` trained on new images: from its pretrained weights with a fresh head ("pretrained"), from
    fresh weights ("scratch"), or only a fresh head on its frozen pretrained features ("linear_probe").
    Returns (model in eval mode, wall seconds)."""
    from . import load

    if mode not in FINETUNE_MODES:
        raise ValueError(f"mode must be one of {', '.join(FINETUNE_MODES)}, got {mode!r}")
    torch.manual_seed(seed)
    model = load(name, pretrained=mode in PRETRAINED_MODES)
    model.reset_classifier(num_classes)  # a fresh head: the new classes are not the old ones, even when as many
    model.freeze_features(mode == "linear_probe")
    wall = train_classifier(model, train_x, train_y, None, None, epochs=epochs, batch_size=min(batch_size, len(train_x)),
                            lr=lr, weight_decay=weight_decay, label_smoothing=0.0, augment=augment, seed=seed,
                            device=device, show_progress=False)
    return model, wall


def wants_book() -> bool:
    """Whether the command line asks for the book's version of an entry (`--book`), read before the
    parser is built because it changes the recipe's defaults."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--book", action="store_true")
    return pre.parse_known_args()[0].book


def add_book_option(p) -> None:
    p.add_argument("--book", action="store_true",
                   help="train the book's version (its architecture and recipe), published as weights='book'")


def classifier_script(name: str, doc: str, recipe: dict, description: str, channels_last: bool = False,
                      book: tuple[dict, dict, str] | None = None, dataset: str = "mnist") -> None:
    """The whole training script of an image classifier on `dataset`: options (defaults from `recipe`),
    data, the loop above, evaluation on the full test set, and the weights folder with its manifest entry
    and learning curve (`training_history.json`). `book` = (config, recipe, description) of the book's
    version, trained with `--book`."""
    config, tag = None, None
    if book is not None and wants_book():
        config, recipe, description = book
        tag = "book"
    from . import create
    from .card_pictures import accuracy_curve
    from .data import load_images
    from .publishing import save_entry
    from .storage import round_to_storage

    p = script_parser(name, doc)
    if book is not None:
        add_book_option(p)
    p.add_argument("--epochs", type=int, default=recipe["epochs"])
    p.add_argument("--optimizer", choices=["adamw", "sgd"], default=recipe.get("optimizer", "adamw"),
                   help="AdamW with a one-cycle schedule, or plain SGD with momentum at a constant rate")
    p.add_argument("--batch-size", type=int, default=recipe["batch_size"])
    p.add_argument("--lr", type=float, default=recipe["lr"], help="peak learning rate of the one-cycle AdamW schedule")
    p.add_argument("--weight-decay", type=float, default=recipe["weight_decay"])
    p.add_argument("--label-smoothing", type=float, default=recipe["label_smoothing"])
    p.add_argument("--weights-dtype", choices=["float32", "float16"], default=recipe.get("weights_dtype", "float32"),
                   help="precision of the published file (float16 halves it; the accuracy is measured after rounding)")
    p.add_argument("--augment", type=float, nargs=3, default=recipe["augment"], metavar=("DEGREES", "SCALE", "SHIFT"),
                   help="random rotation (degrees), scaling and shift (fraction of half-width) of each image")
    p.add_argument("--hflip", action=argparse.BooleanOptionalAction, default=recipe.get("hflip", False),
                   help="mirror each training image left to right half the time")
    p.add_argument("--erase", type=float, default=recipe.get("erase", 0.0),
                   help="probability of erasing a random rectangle of each training image (random erasing)")
    p.add_argument("--swa-epochs", type=int, default=recipe.get("swa_epochs", 0),
                   help="epochs after the schedule at the constant rate --swa-lr, the weights averaged after each "
                   "(stochastic weight averaging); the model kept is the average")
    p.add_argument("--swa-lr", type=float, default=recipe.get("swa_lr"), help="the learning rate of those epochs")
    add_checkpoint_option(p)
    args = p.parse_args()
    device = setup(args, name, tag)

    train_x, train_y = load_images(dataset, train=True, root=args.data_root)
    test_x, test_y = load_images(dataset, train=False, root=args.data_root)
    if args.quick:
        train_x, train_y, test_x, test_y = train_x[:512], train_y[:512], test_x[:256], test_y[:256]
        args.epochs, args.batch_size, args.swa_epochs = 1, 64, min(args.swa_epochs, 1)

    model, history, commands = create(name, **(config or {})), [], runs_so_far(args)
    wall = train_classifier(model, train_x, train_y, test_x, test_y, epochs=args.epochs, batch_size=args.batch_size,
                            lr=args.lr, weight_decay=args.weight_decay, label_smoothing=args.label_smoothing,
                            augment=args.augment, seed=args.seed, device=device, channels_last=channels_last,
                            optimizer=args.optimizer, hflip=args.hflip, erase=args.erase, swa_epochs=args.swa_epochs,
                            swa_lr=args.swa_lr, history=history,
                            checkpoint=args.checkpoint,
                            extra_state={"commands": commands, "code_commit": args.code_commit})
    args.command = " && ".join(commands)
    runs = runs_sentence(commands).lstrip()
    if runs:  # a paragraph of its own: a description may end with a code block
        description += "\n\n" + runs
    curve = accuracy_curve(name, history)
    description += ("\n\nTest accuracy after each epoch of training (its figures, with the training seconds, are in "
                    "`training_history.json`):\n\n![learning curve](learning_curve.png)")
    dtype = getattr(torch, args.weights_dtype)
    round_to_storage(model, dtype)
    acc = classification_accuracy(model, test_x, test_y)
    save_entry(model, args.out, args.manifest, metrics={"accuracy": acc, "test_images": len(test_x)}, weights_dtype=dtype,
               metric_names={"accuracy": "Test accuracy", "test_images": "Test images"},
               command=args.command, wall_time_s=wall, description=description, device=device, tag=tag,
               recipe=recipe_of(args), code_commit=args.code_commit,
               extra_files={"training_history.json": history_file(history), "learning_curve.png": curve})
    print(f"{name}: test accuracy {acc:.4f} on {len(test_x)} images in {wall:.0f} s; wrote {args.out}")


def train_autoencoder(model, images, *, epochs, batch_size, lr, seed, device, noise=0.0,
                      sparsity_target=None, sparsity_weight=0.0) -> float:
    """Adam with cosine decay on the squared reconstruction error of uint8 `images` (N, 28, 28).

    `noise` > 0 trains a denoising autoencoder: inputs get masking noise at that level, the target is
    the clean image. `sparsity_target` adds `sparsity_weight` times the KL divergence between it and each
    code unit's mean activation over the batch (the units must lie in (0, 1)). Under torchrun each rank
    trains on its share of every batch, and only rank 0 returns."""
    from .evaluation import corrupt

    model.to(device)
    trained = distributed.wrap(model)
    x_all = images.float().div(255).unsqueeze(1).to(device)
    steps = len(x_all) // batch_size
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * steps)
    gen = torch.Generator(device=device).manual_seed(seed)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        perm, total = torch.randperm(len(x_all), generator=gen, device=device), 0.0
        for step in progress(range(steps), desc=f"epoch {epoch + 1}/{epochs}", disable=not distributed.is_main(),
                         leave=False):
            x = x_all[distributed.shard(perm[step * batch_size : (step + 1) * batch_size])]
            restored, code = trained(corrupt(x, noise, gen) if noise else x, return_code=True)
            loss = F.mse_loss(restored, x)
            if sparsity_target is not None:
                rho, rho_hat = sparsity_target, code.mean(0).clamp(1e-6, 1 - 1e-6)
                kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
                loss = loss + sparsity_weight * kl.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        if distributed.is_main():
            print(f"epoch {epoch + 1}: train loss {total / steps:.5f} ({time.time() - start:.0f} s)", flush=True)
    distributed.release()
    model.to("cpu").eval()
    return time.time() - start
