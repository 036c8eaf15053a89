"""Train denoising_autoencoder_mnist (ch. 8): the deep autoencoder (30-dimensional code) trained to restore
images under masking noise; compare with the plain autoencoder and PCA at several noise levels; write
weights, a picture and the manifest entry.

    python scripts/train_denoising_autoencoder_mnist.py --data-root ../shared/datasets
"""
import torch

import zoo
from zoo.data import load_images
from zoo.evaluation import DENOISING_LEVELS, DENOISING_TRAINING_NOISE, corrupt, pca, pca_reconstruct, reconstruction_mse
from zoo.publishing import save_entry
from zoo.storage import round_to_storage
from zoo.card_pictures import denoising_pictures
from zoo.training import recipe_of, script_parser, setup, train_autoencoder

NAME = "denoising_autoencoder_mnist"
LEVELS = DENOISING_LEVELS  # evaluation: share of pixels set to 0
p = script_parser(NAME, __doc__)
p.add_argument("--noise", type=float, default=DENOISING_TRAINING_NOISE, help="masking noise level during training")
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--lr", type=float, default=1e-3)
args = p.parse_args()
device = setup(args, NAME)

train_x, _ = load_images("mnist", train=True, root=args.data_root)
test_x, _ = load_images("mnist", train=False, root=args.data_root)
if args.quick:
    train_x, test_x, args.epochs = train_x[:512], test_x[:256], 1

model = zoo.create(NAME)
wall = train_autoencoder(model, train_x, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, device=device, noise=args.noise)
round_to_storage(model, torch.float16)  # published in float16 to keep the file under 10 MB; measured as published

clean = test_x.float().div(255).unsqueeze(1)
plain = zoo.load("autoencoder_mnist")
mean, components = pca(train_x.float().div(255).flatten(1), model.code_dim)
metrics = {}
for level in LEVELS:
    noisy = corrupt(clean, level, torch.Generator().manual_seed(0))
    metrics[f"mse_noise{level}"] = reconstruction_mse(model, noisy, clean)
    metrics[f"plain_ae_mse_noise{level}"] = reconstruction_mse(plain, noisy, clean)
    metrics[f"pca_mse_noise{level}"] = ((pca_reconstruct(noisy.flatten(1), mean, components) - clean.flatten(1)) ** 2).mean().item()
names = {}
for level in LEVELS:
    names.update({f"mse_noise{level}": f"MSE to clean, {level:.0%} masked (this model)",
                  f"plain_ae_mse_noise{level}": f"MSE to clean, {level:.0%} masked (autoencoder_mnist)",
                  f"pca_mse_noise{level}": f"MSE to clean, {level:.0%} masked (PCA, 30 components)"})

save_entry(
    model, args.out, args.manifest, metrics=metrics, metric_names=names, command=args.command, device=args.device,
    recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall,
    description="A denoising autoencoder for MNIST (ch. 8): the book's deep autoencoder (784-1000-500-250-30 "
    f"and its mirror) trained to map images with {args.noise:.0%} of their pixels set to 0 (masking noise) "
    "back to the clean image (weights stored in float16). Measured by `zoo.evaluation` on the 10,000 test images at several noise levels "
    "(noise drawn with seed 0), beside the plain autoencoder_mnist and PCA with 30 components.\n\n"
    f"Noisy inputs ({args.noise:.0%} masked), the denoised outputs, and the clean images:\n\n![denoising](denoising.png)",
    extra_files=denoising_pictures(model, clean, args.noise), weights_dtype=torch.float16,
)
print(f"{NAME}: " + ", ".join(f"{k} {v:.5f}" for k, v in metrics.items()) + f"; {wall:.0f} s; wrote {args.out}")
