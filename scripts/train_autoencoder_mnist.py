"""Train autoencoder_mnist (30-dimensional code) or autoencoder2d_mnist (2-dimensional), the book's deep
autoencoder (ch. 8), from scratch; compare it with PCA of the same size; write weights, pictures and
the manifest entry.

    python scripts/train_autoencoder_mnist.py --data-root ../shared/datasets
    python scripts/train_autoencoder_mnist.py --code-dim 2 --data-root ../shared/datasets
"""
import torch

import zoo
from zoo.data import load_images
from zoo.evaluation import pca, pca_reconstruct, reconstruction_mse
from zoo.publishing import save_entry
from zoo.storage import round_to_storage
from zoo.card_pictures import autoencoder_pictures
from zoo.training import recipe_of, script_parser, setup, train_autoencoder

p = script_parser("autoencoder_mnist", __doc__)
p.add_argument("--code-dim", type=int, choices=[2, 30], default=30, help="30: autoencoder_mnist, 2: autoencoder2d_mnist")
p.add_argument("--epochs", type=int, default=20)
p.add_argument("--batch-size", type=int, default=128)
p.add_argument("--lr", type=float, default=1e-3)
args = p.parse_args()
NAME = {30: "autoencoder_mnist", 2: "autoencoder2d_mnist"}[args.code_dim]
device = setup(args, NAME)

train_x, _ = load_images("mnist", train=True, root=args.data_root)
test_x, test_y = load_images("mnist", train=False, root=args.data_root)
if args.quick:
    train_x, test_x, test_y, args.epochs = train_x[:512], test_x[:256], test_y[:256], 1

model = zoo.create(NAME)
wall = train_autoencoder(model, train_x, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, device=device)
round_to_storage(model, torch.float16)  # published in float16 to keep the file under 10 MB; measured as published

test = test_x.float().div(255).unsqueeze(1)
mean, components = pca(train_x.float().div(255).flatten(1), args.code_dim)
pca_recon = pca_reconstruct(test.flatten(1), mean, components).view_as(test)
mse, pca_mse = reconstruction_mse(model, test), ((pca_recon - test) ** 2).mean().item()
metrics = {"mse": mse, "pca_mse": pca_mse, "mse_reduction_vs_pca": 1 - mse / pca_mse, "code_dim": args.code_dim}

save_entry(
    model, args.out, args.manifest, metrics=metrics,
    metric_names={"mse": "Test reconstruction MSE per pixel", "pca_mse": f"PCA ({args.code_dim} components) MSE",
                  "mse_reduction_vs_pca": "MSE reduction against PCA", "code_dim": "Code dimension"},
    command=args.command, device=args.device, recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall,
    description=f"The book's deep autoencoder for MNIST (ch. 8): a 784-1000-500-250-{args.code_dim} encoder "
    "(batch norm and ReLU between layers) and its mirror image as the decoder, with a sigmoid output, trained "
    "on the squared error with Adam and a cosine schedule; weights stored in float16. Compared with PCA of the same number of components "
    "fitted on the training images, both measured by `zoo.evaluation` on the 10,000 test images (pixels in [0, 1]).\n\n"
    "Test digits (top), the autoencoder's reconstructions, and PCA's:\n\n![reconstructions](reconstructions.png)"
    + ("\n\nThe 2-D codes of the test set coloured by digit, beside PCA's projection:\n\n![codes](codes.png)"
       if args.code_dim == 2 else ""),
    extra_files=autoencoder_pictures(model, test, test_y, mean, components), weights_dtype=torch.float16,
)
print(f"{NAME}: test MSE {mse:.5f}, PCA {pca_mse:.5f} ({1 - mse / pca_mse:.1%} lower); {wall:.0f} s; wrote {args.out}")
