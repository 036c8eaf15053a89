"""Train vae_mnist, the book's variational autoencoder (ch. 10), from scratch; write its weights, pictures
and manifest entry.

    python scripts/train_vae_mnist.py --data-root ../shared/datasets
    python scripts/train_vae_mnist.py --data-root ../shared/datasets --book   # the book's recipe

Training binarises each batch afresh (pixel = 1 with probability intensity/255); evaluation uses the
fixed binarisation of `zoo.evaluation.binarize` (seed 0).
"""
import time

import torch

import zoo
from zoo import distributed
from zoo.data import load_images
from zoo.evaluation import vae_metrics
from zoo.publishing import save_entry
from zoo.card_pictures import vae_pictures
from zoo.progress import progress
from zoo.training import add_book_option, recipe_of, script_parser, setup, wants_book

NAME = "vae_mnist"
BOOK = wants_book()  # the book's recipe: 100 epochs at a constant learning rate
p = script_parser(NAME, __doc__)
add_book_option(p)
p.add_argument("--epochs", type=int, default=100 if BOOK else 200)
p.add_argument("--batch-size", type=int, default=100)  # the book's
p.add_argument("--lr", type=float, default=1e-3)  # the book's, Adam
p.add_argument("--schedule", choices=["cosine", "constant"], default="constant" if BOOK else "cosine",
               help="learning rate over training: the book keeps it constant; cosine decay to zero does better")
p.add_argument("--iw-samples", type=int, default=1000, help="importance samples for the test log-likelihood")
args = p.parse_args()
device = setup(args, NAME, "book" if args.book else None)

train_x, _ = load_images("mnist", train=True, root=args.data_root)
test_x, _ = load_images("mnist", train=False, root=args.data_root)
if args.quick:
    train_x, test_x, args.epochs, args.iw_samples = train_x[:500], test_x[:200], 1, 10

model = zoo.create(NAME).to(device)
trained = distributed.wrap(model)
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
unit = train_x.float().div(255).flatten(1).to(device)
gen = torch.Generator(device=device).manual_seed(args.seed)
steps = len(unit) // args.batch_size
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs * steps) if args.schedule == "cosine" else None
start = time.time()
for epoch in range(args.epochs):
    model.train()
    perm, total = torch.randperm(len(unit), generator=gen, device=device), 0.0
    for step in progress(range(steps), desc=f"epoch {epoch + 1}/{args.epochs}", leave=False):
        x = torch.bernoulli(unit[distributed.shard(perm[step * args.batch_size : (step + 1) * args.batch_size])],
                            generator=gen)
        loss = -model.elbo_of(x, *trained(x)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if sched:
            sched.step()
        total += loss.item()
    if distributed.is_main():
        print(f"epoch {epoch + 1}: train -ELBO {total / steps:.2f} nats ({time.time() - start:.0f} s)", flush=True)
wall = time.time() - start
distributed.release()  # from here on, rank 0 alone

model = model.cpu().eval()
metrics = vae_metrics(model, test_x, k=args.iw_samples)
save_entry(
    model, args.out, args.manifest, metrics=metrics,
    metric_names={"nll_iw": "Test NLL, importance-weighted (nats)", "neg_elbo": "Test negative ELBO (nats)",
                  "iw_samples": "Importance samples k", "examples_test_loss": "pytorch/examples test loss (nats)"},
    command=args.command, device=args.device, recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall,
    tag="book" if args.book else None,
    description="The book's variational autoencoder for MNIST (ch. 10): a Gaussian MLP encoder (784-500, "
    "20-dimensional latent) and a Bernoulli MLP decoder, trained with Adam (1e-3, batch 100) on the ELBO; "
    f"{args.epochs} epochs, learning rate {'decayed to zero on a cosine' if args.schedule == 'cosine' else 'constant'}.\n\n"
    "Likelihoods are measured on the MNIST test set under a fixed stochastic binarisation: each pixel is 1 "
    "with probability intensity/255, drawn from `torch.Generator().manual_seed(0)` "
    "(`zoo.evaluation.binarize`). The NLL is the importance-weighted estimate with k samples from q(z|x). "
    "The pytorch/examples test loss is the negative ELBO with a summed BCE on the unbinarised pixels.\n\n"
    "Samples (seed 0), originals above their reconstructions, and a latent interpolation:\n\n"
    "![samples](samples.png)\n\n![reconstructions](reconstructions.png)\n\n![interpolation](interpolation.png)",
    extra_files=vae_pictures(model, test_x),
)
print(f"{NAME}: " + ", ".join(f"{k} {v:.2f}" for k, v in metrics.items()) + f"; {wall:.0f} s; wrote {args.out}")
