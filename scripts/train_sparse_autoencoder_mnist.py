"""Train sparse_autoencoder_mnist (ch. 8): an overcomplete hidden layer of 1,000 sigmoid units kept sparse
by a KL penalty towards a target mean activation; write weights, its features as tiles and the manifest entry.

    python scripts/train_sparse_autoencoder_mnist.py --data-root ../shared/datasets
"""
import torch

import zoo
from zoo.data import load_images
from zoo.evaluation import reconstruction_mse
from zoo.publishing import save_entry
from zoo.card_pictures import sparse_feature_pictures
from zoo.training import recipe_of, script_parser, setup, train_autoencoder

NAME = "sparse_autoencoder_mnist"
p = script_parser(NAME, __doc__)
p.add_argument("--sparsity-target", type=float, default=0.05, help="target mean activation of each hidden unit")
p.add_argument("--sparsity-weight", type=float, default=1e-3, help="weight of the summed KL penalty")
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
                         seed=args.seed, device=device, sparsity_target=args.sparsity_target,
                         sparsity_weight=args.sparsity_weight)

test = test_x.float().div(255).unsqueeze(1)
with torch.no_grad():
    codes = model.encode(test)
metrics = {"mse": reconstruction_mse(model, test), "mean_activation": codes.mean().item(),
           "sparsity_target": args.sparsity_target,
           "share_of_activations_above_0.5": (codes > 0.5).float().mean().item()}
save_entry(
    model, args.out, args.manifest, metrics=metrics,
    metric_names={"mse": "Test reconstruction MSE per pixel", "mean_activation": "Mean hidden activation (test)",
                  "sparsity_target": "Target mean activation",
                  "share_of_activations_above_0.5": "Share of hidden activations above 0.5 (test)"},
    command=args.command, device=args.device, recipe=recipe_of(args), code_commit=args.code_commit, wall_time_s=wall,
    description="A sparse autoencoder for MNIST (ch. 8): one overcomplete hidden layer of 1,000 sigmoid units "
    f"between 784 inputs and a sigmoid output, trained on the squared error plus {args.sparsity_weight} times "
    f"the summed KL divergence between a target mean activation of {args.sparsity_target} and each unit's mean "
    "activation over the batch. Measured by `zoo.evaluation` on the 10,000 test images.\n\n"
    "The first 100 learned features (each hidden unit's input weights on its own scale):\n\n"
    "![features](features.png)",
    extra_files=sparse_feature_pictures(model),
)
print(f"{NAME}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()) + f"; {wall:.0f} s; wrote {args.out}")
