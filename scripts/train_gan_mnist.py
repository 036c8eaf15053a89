"""Train gan_mnist, a DCGAN-style GAN for MNIST (ch. 10), from scratch; write its weights, pictures and
manifest entry. Scored by MNIST-FID in the feature space of the zoo's pretrained cnn_mnist.

    python scripts/train_gan_mnist.py --data-root ../shared/datasets
"""
import copy
import time

import torch
import torch.nn.functional as F

import zoo
from zoo import distributed
from zoo.data import load_images
from zoo.evaluation import SAMPLE_QUALITY_NAMES, sample_quality
from zoo.publishing import save_entry
from zoo.card_pictures import gan_pictures
from zoo.progress import progress
from zoo.training import recipe_of, script_parser, setup

NAME = "gan_mnist"
p = script_parser(NAME, __doc__)
p.add_argument("--epochs", type=int, default=15)
p.add_argument("--time-budget", type=float, default=None,
               help="stop after this many seconds of training, mid-epoch if need be (a CPU budget)")
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--lr", type=float, default=2e-4)  # DCGAN's Adam settings
p.add_argument("--beta1", type=float, default=0.5)
p.add_argument("--real-label", type=float, default=0.9, help="one-sided label smoothing of the discriminator's targets")
p.add_argument("--ema", type=float, default=0.999, help="decay of the moving average of generator weights")
p.add_argument("--eval-samples", type=int, default=10_000)
args = p.parse_args()
device = setup(args, NAME)

train_x, _ = load_images("mnist", train=True, root=args.data_root)
test_x, _ = load_images("mnist", train=False, root=args.data_root)
check_samples, calibration_batches = 2000, 50  # the progress check's samples; batches that measure batch norm
if args.quick:
    train_x, test_x, args.epochs, args.eval_samples = train_x[:512], test_x[:500], 1, 500
    check_samples, calibration_batches = 200, 5

model = zoo.create(NAME).to(device)
G, D = model.generator, model.discriminator
G_trained, D_trained = distributed.wrap(G), distributed.wrap(D)  # themselves, unless under torchrun
opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
real_all = train_x.float().div(255).unsqueeze(1).to(device)
gen = torch.Generator(device=device).manual_seed(args.seed)
steps = len(real_all) // args.batch_size
ones = torch.ones(args.batch_size // distributed.world_size(), device=device)
ema = [p.detach().clone() for p in G.parameters()]
classifier = zoo.load("cnn_mnist", device=device)


@torch.no_grad()
def averaged_model():
    """A copy of the model whose generator has the averaged weights, with batch-norm statistics measured
    anew for those weights (the running statistics belong to the live generator)."""
    averaged = copy.deepcopy(model)
    for p_, e in zip(averaged.generator.parameters(), ema):
        p_.copy_(e)
    for bn in averaged.generator.modules():
        if isinstance(bn, torch.nn.modules.batchnorm._BatchNorm):
            bn.reset_running_stats()
            bn.momentum = None  # a plain average over the batches below
    averaged.train()
    calibration = torch.Generator(device=device).manual_seed(12345)
    for _ in range(calibration_batches):
        averaged(torch.randn(args.batch_size, model.latent_dim, generator=calibration, device=device))
    return averaged.eval()


start = time.time()
out_of_time = False
for epoch in range(args.epochs):
    model.train()
    perm = torch.randperm(len(real_all), generator=gen, device=device)
    bar = progress(range(steps), desc=f"epoch {epoch + 1}/{args.epochs}", disable=not distributed.is_main(),
               leave=False)
    for step in bar:
        real = real_all[distributed.shard(perm[step * args.batch_size : (step + 1) * args.batch_size])]
        z = torch.randn(args.batch_size, model.latent_dim, generator=gen, device=device)
        fake = G_trained(distributed.shard(z))
        # discriminator: real -> 1, fake -> 0; one backward per forward, as DistributedDataParallel needs,
        # with the gradients averaged across ranks once, at the second
        opt_d.zero_grad(set_to_none=True)
        with distributed.no_sync(D_trained):
            loss_real = F.binary_cross_entropy_with_logits(model.discriminate(real, D_trained), args.real_label * ones)
            loss_real.backward()
        loss_fake = F.binary_cross_entropy_with_logits(model.discriminate(fake.detach(), D_trained), 0 * ones)
        loss_fake.backward()
        loss_d = loss_real.detach() + loss_fake.detach()
        opt_d.step()
        # generator: the non-saturating loss, fake -> 1
        loss_g = F.binary_cross_entropy_with_logits(model.discriminate(fake, D_trained), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            torch._foreach_lerp_(ema, list(G.parameters()), 1 - args.ema)
        if step % 50 == 0:
            bar.set_postfix(d=f"{loss_d.item():.3f}", g=f"{loss_g.item():.3f}", refresh=False)
        out_of_time = distributed.any_rank(args.time_budget is not None and time.time() - start > args.time_budget)
        if out_of_time:
            break
    if not distributed.is_main():  # rank 0 alone checks progress; the others wait for it at the next step
        if out_of_time:
            break
        continue
    # progress against training images (the test set is kept for the final figure)
    check_began = time.time()
    candidates = {"live": copy.deepcopy(model).eval(), "averaged": averaged_model()}
    scores = {kind: sample_quality(m.sample(check_samples, seed=0), train_x[-5000:], classifier)
              for kind, m in candidates.items()}
    print(f"epoch {epoch + 1}: loss D {loss_d.item():.3f}, G {loss_g.item():.3f}; FID ({check_samples:,} samples vs "
          "training images), smallest class share, confidence: " + "; ".join(
              f"{k} {q['mnist_fid']:.2f}, {q['min_class_share']:.3f}, {q['mean_confidence']:.3f}" for k, q in scores.items())
          + f"; live class shares {scores['live']['class_shares']} ({check_began - start:.0f} s)", flush=True)
    start += time.time() - check_began  # the progress check is not training time
    if out_of_time:
        print(f"time budget reached after {step + 1} of {steps} steps of epoch {epoch + 1}", flush=True)
        break
wall = time.time() - start
epochs_trained = round(epoch + (step + 1) / steps, 2)
distributed.release()  # from here on, rank 0 alone

# ship whichever generator, the live one or the averaged one, scores better on the training images
shipped = min(scores, key=lambda k: scores[k]["mnist_fid"])
model = candidates[shipped].cpu()
metrics = sample_quality(model.sample(args.eval_samples, seed=0), test_x, classifier.cpu())
save_entry(
    model, args.out, args.manifest, metrics=metrics,
    metric_names=SAMPLE_QUALITY_NAMES,
    command=args.command, device=args.device, recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall,
    description="A DCGAN-style GAN for MNIST digits (ch. 10): the generator maps a 64-dimensional normal code "
    "through a dense layer to 7x7 maps, then a 3x3 convolution, a stride-2 transposed convolution to 14x14, a 3x3 "
    "convolution and a stride-2 transposed convolution to a 28x28 image (batch norm and ReLU between); the "
    "discriminator mirrors it with stride-2 convolutions and leaky ReLUs, and sees the batch's spread of features "
    "through a minibatch standard-deviation map (against mode collapse). "
    f"Trained for {epochs_trained:g} epochs with the non-saturating loss and Adam ({args.lr:g}, beta1 {args.beta1}), "
    f"one-sided label smoothing (real target {args.real_label}). The generator shipped ({shipped}) is the better, by "
    f"MNIST-FID against training images, of the last live generator and the moving average of its weights (decay "
    f"{args.ema}, batch-norm statistics measured anew for the averaged weights).\n\n"
    "MNIST-FID is the Fréchet distance between 10,000 samples (seed 0) and the 10,000 test images in the "
    "512-dimensional penultimate-layer features of the zoo's pretrained `cnn_mnist` "
    "(`zoo.evaluation.sample_quality`); the class shares are cnn_mnist's predictions over the samples. Read the "
    "samples' mean cnn_mnist confidence against the real test digits' beside it: cnn_mnist was trained with label "
    "smoothing, so even real digits do not get 1.\n\n"
    "Samples (seed 0) and a latent walk (each row a straight line between two codes):\n\n"
    "![samples](samples.png)\n\n![latent walk](latent_walk.png)",
    extra_files=gan_pictures(model),
)
print(f"{NAME}: MNIST-FID {metrics['mnist_fid']:.2f}, smallest class share {metrics['min_class_share']:.3f}; "
      f"{wall:.0f} s; wrote {args.out}")
