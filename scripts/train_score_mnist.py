"""Train score_mnist, a score-based generative model of MNIST (ch. 10), from scratch: denoising score matching
on the variance-exploding SDE; write its weights, pictures and manifest entry.

    python scripts/train_score_mnist.py --data-root ../shared/datasets                  # a GPU is advised
    python scripts/train_score_mnist.py --data-root ../shared/datasets --time-budget 3600
    python scripts/train_score_mnist.py --data-root ../shared/datasets --checkpoint runs/score.ckpt  # resumable

Adam with a cosine schedule over the planned epochs (a time budget stops training early, without
shortening the schedule) and an exponential moving average of the weights, which is what ships. With
--checkpoint, the training state is saved after every epoch, and the same command run again carries on from
it as if it had never stopped, so that a training longer than one sitting can be done in several: --max-minutes
ends a run cleanly after the epoch that passes that many minutes. Evaluation samples 10,000 images with the
default number of steps and scores them with `zoo.evaluation.sample_quality` (MNIST-FID in cnn_mnist's
features, class shares, mean confidence), as gan_mnist is scored. scripts/bench_score_mnist.py measures FID
against sampling steps, and images per second.
"""
import copy
import sys
import time

import torch

import zoo
from zoo.card_pictures import score_pictures
from zoo.data import load_images
from zoo.evaluation import SAMPLE_QUALITY_NAMES, sample_quality
from zoo.progress import progress
from zoo.publishing import save_entry
from zoo.training import (TrainingClock, add_bf16_option, add_checkpoint_option, bf16_autocast, history_file, recipe_of,
                          runs_sentence, runs_so_far, script_parser, setup)
from zoo.training_state import resume_progress, save_progress

NAME = "score_mnist"
p = script_parser(NAME, __doc__)
p.add_argument("--epochs", type=int, default=50)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--lr", type=float, default=5e-4, help="peak of the cosine schedule (Adam)")
p.add_argument("--ema", type=float, default=0.999, help="decay of the moving average of the weights")
p.add_argument("--time-budget", type=float, default=None, help="stop after this many training seconds")
p.add_argument("--eval-samples", type=int, default=10_000)
add_bf16_option(p)
add_checkpoint_option(p)
p.add_argument("--max-minutes", type=float, default=None,
               help="with --checkpoint, stop after the epoch that passes this many minutes of this run, to carry on "
               "with the same command later")
args = p.parse_args()
if args.max_minutes is not None and not args.checkpoint:
    p.error("--max-minutes stops a run to carry on later, which needs --checkpoint PATH to carry on from")
device = setup(args, NAME)

train_x, _ = load_images("mnist", train=True, root=args.data_root)
test_x, _ = load_images("mnist", train=False, root=args.data_root)
model = zoo.create(NAME)
if args.quick:
    train_x, test_x, args.epochs, args.eval_samples = train_x[:512], test_x[:256], min(args.epochs, 2), 64
    model.default_steps = 10

model.to(device)
averaged = torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema))
images = train_x.float().div(255).unsqueeze(1).to(device)
steps_per_epoch = len(images) // args.batch_size
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs * steps_per_epoch)
gen = torch.Generator(device=device).manual_seed(args.seed)
options = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "ema": args.ema, "seed": args.seed,
           "bf16": args.bf16, "images": len(images)}
objects = {"model": model, "average": averaged, "optimizer": opt, "lr_schedule": sched, "generator": gen}
commands = runs_so_far(args)
saved = resume_progress(args.checkpoint, options, objects)
history, earlier_s = (saved["history"], saved["seconds"]) if saved else ([], 0.0)
if saved:
    print(f"resumed from {args.checkpoint} after epoch {len(history)} ({earlier_s:.0f} s training)", flush=True)
clock, out_of_time, began = TrainingClock(), False, time.time()
for epoch in range(len(history), args.epochs):
    model.train()
    perm, total = torch.randperm(len(images), generator=gen, device=device), 0.0
    for step in progress(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}", leave=False):
        # only the U-Net runs in bfloat16: the preconditioning around it and the loss stay float32
        with bf16_autocast(device, args.bf16):
            loss = model.loss(images[perm[step * args.batch_size : (step + 1) * args.batch_size]], generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        averaged.update_parameters(model)
        total += loss.item()
        out_of_time = args.time_budget is not None and earlier_s + clock.seconds > args.time_budget
        if out_of_time:
            break
    with clock.paused() as seconds:
        history.append({"epoch": epoch + 1, "seconds": round(earlier_s + seconds, 1), "train_loss": total / (step + 1)})
        print(f"epoch {epoch + 1}: denoising score-matching loss {total / (step + 1):.2f} "
              f"({earlier_s + seconds:.0f} s)", flush=True)
        if out_of_time:
            print(f"time budget reached after {step + 1} of {steps_per_epoch} steps of epoch {epoch + 1}", flush=True)
            break
        if args.checkpoint:
            save_progress(args.checkpoint, options, objects, history=history, seconds=earlier_s + seconds,
                          commands=commands, code_commit=args.code_commit)
        if args.max_minutes is not None and time.time() - began > 60 * args.max_minutes and epoch + 1 < args.epochs:
            print(f"{epoch + 1} of {args.epochs} epochs done in --max-minutes {args.max_minutes:g}; run the same "
                  f"command again to carry on from {args.checkpoint}", flush=True)
            sys.exit()
wall = earlier_s + clock.seconds
args.epochs_trained = round(len(history) - 1 + (step + 1) / steps_per_epoch, 2) if out_of_time else len(history)
args.command = " && ".join(commands)

shipped = copy.deepcopy(averaged.module).cpu().eval()
shipped.zoo_name = NAME
start = time.time()
samples = shipped.to(device).sample(args.eval_samples, seed=0)
sampling_s = time.time() - start
shipped.cpu()
metrics = sample_quality(samples.cpu(), test_x, zoo.load("cnn_mnist"))
steps = shipped.default_steps
save_entry(
    shipped, args.out, args.manifest, metrics=metrics, metric_names=SAMPLE_QUALITY_NAMES,
    command=args.command, device=device, recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall,
    description="A score-based generative model of MNIST (ch. 10): a small U-Net s(x, t) (four convolution stages "
    "down, three transposed ones up with skip connections, GroupNorm and SiLU, the time as random Fourier "
    "features added to every stage) estimates the score, the gradient of the log-density of noisy digits, at "
    "every noise level of a variance-exploding SDE (noise up to 9.9 on pixels in [0, 1]). The U-Net is "
    "preconditioned as Karras et al. (2022) advise: it reads the noisy digit scaled to unit variance and predicts "
    "a mix of the clean digit and the noise whose share of each depends on the level, so that its target has unit "
    "variance at every level, and the score follows from the denoised digit. It is trained by "
    "denoising score matching: from a digit with known noise added, the score of that noise. Sampling starts "
    f"from pure noise and takes Song et al.'s predictor-corrector steps down {steps} noise levels by default: at "
    "each, one step of Langevin dynamics (the corrector) and one Euler-Maruyama step of the reverse-time SDE (the "
    "predictor), two evaluations of the network (`model.sample(n, seed=None, steps=None)`, images in [0, 1]). "
    f"Trained for {args.epochs_trained:g} epochs with Adam ({args.lr:g}, cosine schedule, batch {args.batch_size})"
    f"{' under bfloat16 autocast' if args.bf16 else ''}; "
    f"the weights shipped are the moving average (decay {args.ema}).{runs_sentence(commands)}\n\n"
    f"MNIST-FID is the Fréchet distance between {args.eval_samples:,} samples (seed 0, {steps} noise levels) and the test "
    "images in the penultimate-layer features of the zoo's pretrained `cnn_mnist` (`zoo.evaluation.sample_quality`), "
    "as for gan_mnist; the class shares are cnn_mnist's predictions over the samples, and the mean confidence is "
    "read against the real test digits' beside it.\n\n"
    "Samples, and the way from noise to digits:\n\n![samples](samples.png)\n\n![trajectory](trajectory.png)",
    extra_files={**score_pictures(shipped), "training_history.json": history_file(history)},
)
print(f"{NAME}: MNIST-FID {metrics['mnist_fid']:.2f}, smallest class share {metrics['min_class_share']:.3f}, "
      f"confidence {metrics['mean_confidence']:.3f}; {wall:.0f} s training, {sampling_s:.0f} s sampling; wrote {args.out}")
