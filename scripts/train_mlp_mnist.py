"""Train mlp_mnist, the book's feed-forward network (ch. 5), from scratch; write its weights and manifest entry.

    python scripts/train_mlp_mnist.py --data-root ../shared/datasets
"""
import zoo
from zoo.data import load_images
from zoo.evaluation import classification_accuracy
from zoo.export import save_entry
from zoo.training import script_parser, setup, train_classifier

NAME = "mlp_mnist"
p = script_parser(NAME, __doc__)
p.add_argument("--epochs", type=int, default=30)
p.add_argument("--batch-size", type=int, default=256)
p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate of the one-cycle AdamW schedule")
p.add_argument("--weight-decay", type=float, default=1e-2)
p.add_argument("--label-smoothing", type=float, default=0.1)
p.add_argument("--augment", type=float, nargs=3, default=(8.0, 0.08, 0.12), metavar=("DEGREES", "SCALE", "SHIFT"),
               help="random rotation (degrees), scaling and shift (fraction of half-width) of each image")
args = p.parse_args()
device = setup(args, NAME)

train_x, train_y = load_images("mnist", train=True, root=args.data_root)
test_x, test_y = load_images("mnist", train=False, root=args.data_root)
if args.quick:
    train_x, train_y, test_x, test_y = train_x[:512], train_y[:512], test_x[:256], test_y[:256]
    args.epochs, args.batch_size = 1, 64

model = zoo.create(NAME)
wall = train_classifier(model, train_x, train_y, test_x, test_y, epochs=args.epochs, batch_size=args.batch_size,
                        lr=args.lr, weight_decay=args.weight_decay, label_smoothing=args.label_smoothing,
                        augment=args.augment, seed=args.seed, device=device, channels_last=False)
acc = classification_accuracy(model, test_x, test_y)
rec = save_entry(
    model, args.out, args.manifest,
    metrics={"accuracy": acc, "test_images": len(test_x)},
    metric_names={"accuracy": "Test accuracy", "test_images": "Test images"},
    command=args.command, wall_time_s=wall,
    description="The book's feed-forward network for MNIST digits (ch. 5): the flattened image through "
    "fully connected ReLU layers with dropout to a 10-way classifier. Training uses random affine augmentation, "
    "label smoothing and a one-cycle AdamW schedule.",
)
print(f"{NAME}: test accuracy {acc:.4f} on {len(test_x)} images in {wall:.0f} s; wrote {args.out}")
