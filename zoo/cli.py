"""The `zoo` command: list, info, eval, predict, explain, sample, reconstruct, play, train, reproduce and demo.

Every failure prints one line, `zoo: error: ...`, and exits with status 2."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import zoo
from zoo.attribution import METHODS as EXPLAIN_METHODS
from zoo.transforms import ImageTransform

SAMPLES_DIR = Path(__file__).parent / "samples"
MAX_SAMPLES = 10_000  # a 10,000-image grid is about 64 MB of pixels; more is surely a typo
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".bmp": "BMP", ".webp": "WEBP"}


class CLIError(Exception):
    """A usage error the CLI reports in one line."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line like every other failure of the command."""

    def error(self, message):
        self.exit(2, f"zoo: error: {message} (see `{self.prog} --help`)\n")


def require(name: str, capability: str, what: str):
    """The spec of `name`, or a CLIError naming the entries that can do `capability`."""
    spec = zoo.get_spec(name)
    if not spec.can(capability):
        raise CLIError(f"{name} {what}; these do: {', '.join(zoo.list_models(capability=capability))}")
    return spec


def output_format(path: str, allowed=IMAGE_FORMATS) -> str:
    """The image format that the output file's extension names, or a CLIError listing the allowed ones."""
    p = Path(path)
    if p.is_dir():
        raise CLIError(f"{path} is a folder; give a file name such as {p / 'out.png'}")
    fmt = allowed.get(p.suffix.lower())
    if fmt is None:
        raise CLIError(f"the output's extension chooses its format; {path!r} has {p.suffix or 'none'}, "
                       f"allowed: {', '.join(allowed)}")
    return fmt


def open_image(path: str):
    """A fully decoded PIL image from `path`, or a CLIError saying why it cannot be one."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if p.is_dir():
        raise CLIError(f"{path} is a folder, not an image file")
    try:
        image = Image.open(p)
        image.load()  # decode now: a truncated file fails here, not later
        return image
    except FileNotFoundError:
        raise CLIError(f"{path}: no such file") from None
    except UnidentifiedImageError:
        raise CLIError(f"{path} is not an image file PIL can read (PNG, JPEG, GIF, BMP, ...)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise CLIError(f"{path} could not be decoded as an image: {e}") from None


def image_bytes(image, fmt: str) -> bytes:
    import io

    buf = io.BytesIO()
    image.convert("RGB" if fmt == "JPEG" else image.mode).save(buf, format=fmt)
    return buf.getvalue()


def cmd_list(args):
    names = zoo.list_models(args.pattern, task=args.task, pretrained=True if args.pretrained else None)
    print(f"{'name':<28} {'task':<24} {'dataset':<16} {'ch.':>3}  {'weights':<16} metrics")
    for name in names:
        i = zoo.info(name)
        tags = ", ".join("default" if t is None else t for t in i["weights"]) or "-"
        metrics = ", ".join(f"{k} {_fmt(v)}" for k, v in i.get("metrics", {}).items()) or "(no weights)"
        print(f"{name:<28} {i['task']:<24} {i['dataset']:<16} {i['chapter']:>3}  {tags:<16} {metrics}")


def cmd_info(args):
    print(json.dumps(zoo.info(args.name), indent=2))


def cmd_eval(args):
    from .evaluation import evaluate
    from .manifest import get_record

    recorded = get_record(args.name, args.weights).metrics
    measured = evaluate(args.name, zoo.load(args.name, weights=args.weights, device=args.device),
                        data_root=args.data_root)
    print(f"{'metric':<16} {'measured':>10} {'manifest':>10}")
    for k, v in measured.items():
        print(f"{k:<16} {_fmt(v):>10} {_fmt(recorded.get(k, '-')):>10}")


PREDICTS = ("predict", "classify_text", "pronounce")  # images, texts, words


def cmd_predict(args):
    spec = zoo.get_spec(args.name)
    if not any(spec.can(c) for c in PREDICTS):
        able = [n for n in zoo.list_models() if any(zoo.get_spec(n).can(c) for c in PREDICTS)]
        raise CLIError(f"{args.name} does not predict from images, texts or words; these do: {', '.join(able)}")
    if spec.can("classify_text"):
        model = zoo.load(args.name, weights=args.weights, device=args.device)
        labels, probs = model.predict(args.inputs)
        for text, label, p in zip(args.inputs, labels.tolist(), probs):
            print(f"{model.classes[label]} ({p[label].item():.1%}): {text}")
    elif spec.can("pronounce"):
        model = zoo.load(args.name, weights=args.weights, device=args.device)
        for word, phonemes in zip(args.inputs, model.predict(args.inputs, beam=args.beam)):
            print(f"{word}: {' '.join(phonemes)}")
    else:
        images = [open_image(path) for path in args.inputs]  # every file checked before any output
        model = zoo.load(args.name, weights=args.weights, device=args.device)
        for path, image in zip(args.inputs, images):
            labels, probs = model.predict(image)
            print(f"{path}: {model.classes[labels[0].item()]} ({probs[0].max().item():.1%})")


def cmd_explain(args):
    from . import charts
    from .attribution import explain
    from .transforms import unit_pixels

    require(args.name, "predict", "does not classify images")
    fmt = output_format(args.output, {".png": "PNG"})
    images = [open_image(path) for path in args.images]
    model = zoo.load(args.name, weights=args.weights, device=args.device)
    x = model.transforms(images)
    pixels = (x * model.transforms.std + model.transforms.mean).clamp(0, 1)
    labels, probs = model.predict(pixels)
    maps = explain(model, pixels, args.method, target=args.target)
    titles = [f"{Path(p).name[:14]}\n{label} ({prob.max().item():.0%})" for p, label, prob in zip(args.images, labels.tolist(), probs)]
    png = charts.attribution_rows(unit_pixels(pixels)[:, 0], maps[:, 0], titles,
                                  f"{args.name}: {args.method.replace('_', ' ')}"
                                  + (f" for class {args.target}" if args.target is not None else " for the predicted class"))
    from .files import write_atomic

    write_atomic(Path(args.output), png)
    print(f"wrote {args.output} ({fmt}): {len(images)} image(s) and their {args.method} maps")


def cmd_sample(args):
    import math

    from .files import write_atomic
    from .pictures import grid

    require(args.name, "sample", "is not a generative model")
    if not 1 <= args.n <= MAX_SAMPLES:
        raise CLIError(f"-n must be from 1 to {MAX_SAMPLES:,}, got {args.n}")
    fmt = output_format(args.output)
    model = zoo.load(args.name, weights=args.weights, device=args.device)
    if args.steps is not None and not hasattr(model, "default_steps"):
        raise CLIError(f"--steps is for models that sample in steps (score_mnist); {args.name} samples in one pass")
    images = model.sample(args.n, seed=args.seed, **({} if args.steps is None else {"steps": args.steps}))
    write_atomic(Path(args.output), image_bytes(grid(images, nrow=math.ceil(math.sqrt(args.n))), fmt))
    print(f"wrote {args.n} samples of {args.name} to {args.output}")


def cmd_export(args):
    from .export import export

    model = zoo.load(args.name, weights=args.weights)
    path = export(model, args.output, format=args.format, part=args.part, input_dtype=args.input)
    print(f"wrote {args.name} ({args.part or 'default part'}) to {path}")


def cmd_reconstruct(args):
    import torch

    from .evaluation import corrupt
    from .files import write_atomic
    from .pictures import grid

    require(args.name, "reconstruct", "does not reconstruct images")
    if not 0 <= args.mask < 1:
        raise CLIError(f"--mask is the share of pixels set to 0, from 0 up to (not including) 1; got {args.mask}")
    fmt = output_format(args.output)
    paths = args.images or sorted(SAMPLES_DIR.glob("*.png"))
    clean = ImageTransform(mean=0.0, std=1.0)([open_image(str(p)) for p in paths])  # pixels in [0, 1]
    model = zoo.load(args.name, weights=args.weights, device=args.device)
    inputs = corrupt(clean, args.mask, torch.Generator().manual_seed(args.seed)) if args.mask else clean
    rows = [inputs, model.reconstruct(inputs).cpu()] + ([clean] if args.mask else [])
    write_atomic(Path(args.output), image_bytes(grid(torch.cat(rows), nrow=len(clean)), fmt))
    what = "masked inputs, reconstructions, originals" if args.mask else "originals above reconstructions"
    print(f"wrote {len(clean)} images through {args.name} to {args.output} ({what})")


def cmd_play(args):
    from .files import write_atomic
    from .pictures import gif_bytes
    from .rl import EVAL_SEED_BASE, make_env, run_episode

    require(args.name, "play", "is not a reinforcement-learning agent")
    if args.episodes < 1:
        raise CLIError(f"--episodes must be at least 1, got {args.episodes}")
    if args.gif:
        output_format(args.gif, {".gif": "GIF"})
    agent = zoo.load(args.name, weights=args.weights, device=args.device)
    env = make_env(agent.env_id, render_mode="rgb_array" if args.gif else None)
    returns = []
    for i in range(args.episodes):
        frames = [] if args.gif and i == 0 else None
        returns.append(run_episode(agent, env, EVAL_SEED_BASE + 1000 * args.seed + i, frames=frames))
        print(f"episode {i + 1}: return {returns[-1]:.0f}", flush=True)
        if frames is not None:
            write_atomic(Path(args.gif), gif_bytes(frames))
            print(f"wrote {len(frames)} frames of episode 1 to {args.gif}")
    env.close()
    print(f"{args.name} on {agent.env_id}: mean return {sum(returns) / len(returns):.1f} over {len(returns)} episodes")


def cmd_train(args):
    script = _scripts_dir() / f"train_{args.name}.py"
    if not script.exists():
        zoo.get_spec(args.name)  # an unknown name gets the registry's error
        raise CLIError(f"no training script for {args.name!r} at {script}")
    sys.exit(subprocess.call([sys.executable, str(script), *args.script_args]))


def cmd_download(args):
    from .manifest import get_record, published_keys, split_key
    from .weights import copy_verified

    if bool(args.names) == args.all:
        raise CLIError("name the entries to download (e.g. cnn_mnist vae_mnist.book), or pass --all")
    keys = published_keys() if args.all else args.names
    records = [get_record(*split_key(k)) for k in keys]  # all checked first
    for rec in records:
        paths = copy_verified(rec, args.to)
        print(f"{rec.key}: {', '.join(p.name for p in paths)} verified into {Path(args.to) / rec.key}")
    print(f"ZOO_WEIGHTS_DIR={args.to} serves these without a network")


def cmd_reproduce(args):
    from .reproduce import reproduce

    tolerance = {}
    for item in args.tolerance or []:
        metric, sep, value = item.partition("=")
        try:
            tolerance[metric] = float(value)
        except ValueError:
            raise CLIError(f"--tolerance takes METRIC=VALUE, e.g. accuracy=0.005; got {item!r}") from None
        if not sep or not metric:
            raise CLIError(f"--tolerance takes METRIC=VALUE, e.g. accuracy=0.005; got {item!r}")
    result = reproduce(args.name, args.weights, tolerance, data_root=args.data_root, keep=args.keep)
    for line in result.lines:
        print(line)
    print(f"{args.name}{'.' + args.weights if args.weights else ''}: {result.verdict}")
    if not result.ok or args.exact and result.same_processor and result.verdict != "bit-identical":
        sys.exit(1)


def cmd_demo(args):
    from PIL import Image

    samples = sorted(SAMPLES_DIR.glob("*.png"))
    images = [Image.open(p) for p in samples]
    truth = [int(p.stem.rsplit("label", 1)[1]) for p in samples]
    print("Bundled MNIST test digits:\n")
    print(_ascii_row([ImageTransform()(im)[0, 0] for im in images[:5]]))
    print("\nPredictions of the pretrained classifiers (true label, then each model's guess and confidence):\n")
    names = [n for n in zoo.list_models(task="image-classification", pretrained=True) if zoo.get_spec(n).dataset == "mnist"]
    models = {n: zoo.load(n) for n in names}
    print(f"{'image':<26} {'true':>4}  " + "  ".join(f"{n:>16}" for n in names))
    for path, im, t in zip(samples, images, truth):
        cells = []
        for n, m in models.items():
            label, probs = m.predict(im)
            mark = "" if label.item() == t else " x"
            cells.append(f"{label.item()} ({probs[0].max().item():6.1%}){mark}".rjust(16))
        print(f"{path.name:<26} {t:>4}  " + "  ".join(cells))
    for n in names:
        print(f"\n{n}: test accuracy {zoo.info(n)['metrics']['accuracy']:.2%} (manifest); zoo.load({n!r})")
    reader = models.get("cnn_mnist")
    for n in zoo.list_models(task="image-generation", pretrained=True):
        samples = zoo.load(n).sample(6, seed=0)
        print(f"\n{n}: zoo.load({n!r}).sample(6, seed=0)\n")
        print(_ascii_row(samples[:, 0]))
        if reader is not None:
            print("cnn_mnist reads them as: " + " ".join(str(d) for d in reader.predict(samples)[0].tolist()))
    if "skipgram_dictcorpus" in zoo.list_models(pretrained=True):
        wv = zoo.load("skipgram_dictcorpus")
        print("\nskipgram_dictcorpus: wv.most_similar(word, 5)\n")
        for word in ("king", "river", "happy", "seven"):
            print(f"{word:>8}: " + ", ".join(w for w, _ in wv.most_similar(word, 5)))
        print(f"\nwv.analogy('man', 'king', 'woman'): {wv.analogy('man', 'king', 'woman')[0][0]}")
    for n in zoo.list_models(task="reinforcement-learning", pretrained=True):
        if zoo.get_spec(n).dataset == "CartPole-v1":
            r = zoo.evaluate_agent(n, episodes=3)
            print(f"\n{n}: returns {', '.join(f'{x:.0f}' for x in r['returns'])} in 3 CartPole-v1 episodes "
                  f"(500 is the most); zoo.evaluate_agent({n!r})")


def _ascii_row(images, width=28):
    shades = " .:-=+*#%@"
    rows = []
    for r in range(0, width, 2):  # two pixel rows per text line keeps the aspect ratio
        line = []
        for im in images:
            v = (im[r] - im.min()) / (im.max() - im.min())
            line.append("".join(shades[min(int(p * len(shades)), len(shades) - 1)] for p in v.tolist()))
        rows.append("  ".join(line))
    return "\n".join(rows)


def _scripts_dir() -> Path:
    checkout = Path(__file__).resolve().parent.parent / "scripts"
    return checkout if checkout.is_dir() else Path(__file__).resolve().parent / "scripts"


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _model_options(s, device=True):
    s.add_argument("--weights", default=None, help="a published version of the weights (default: the entry's default)")
    if device:
        s.add_argument("--device", default=None, help="torch device to run on, e.g. cpu or cuda (default: cpu)")


def main(argv=None):
    p = OneLineParser(prog="zoo", description="The fdl-zoo model zoo.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("list", help="list the models")
    s.add_argument("pattern", nargs="?", help="glob pattern on names, e.g. '*mnist'")
    s.add_argument("--task")
    s.add_argument("--pretrained", action="store_true", help="only entries with published weights")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("info", help="the manifest record of a model")
    s.add_argument("name")
    s.set_defaults(func=cmd_info)
    s = sub.add_parser("eval", help="re-measure a pretrained model on its test set")
    s.add_argument("name")
    s.add_argument("--data-root", help="dataset folder (default: $ZOO_DATA or ~/.cache/fdl-zoo/data)")
    _model_options(s)
    s.set_defaults(func=cmd_eval)
    s = sub.add_parser("predict", help="classify image files or texts, or pronounce words")
    s.add_argument("name")
    s.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="image files (image classifiers), texts (text classifiers) or words (G2P models)")
    s.add_argument("--beam", type=int, default=1, help="beam width of a G2P model's decoding (default 1: greedy)")
    _model_options(s)
    s.set_defaults(func=cmd_predict)
    s = sub.add_parser("explain", help="draw image files beside the attributions of a classifier's prediction")
    s.add_argument("name")
    s.add_argument("images", nargs="+")
    s.add_argument("--method", default="integrated_gradients", choices=list(EXPLAIN_METHODS))
    s.add_argument("--target", type=int, default=None, help="explain this class instead of the predicted one")
    s.add_argument("-o", "--output", default="explanation.png")
    _model_options(s)
    s.set_defaults(func=cmd_explain)
    s = sub.add_parser("sample", help="write a PNG grid of samples from a generative model")
    s.add_argument("name")
    s.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    s.add_argument("-o", "--output", default="samples.png")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--steps", type=int, default=None, help="sampling steps of a score-based model (default: its own)")
    _model_options(s)
    s.set_defaults(func=cmd_sample)
    s = sub.add_parser("reconstruct", help="write a PNG of images beside an autoencoder's reconstructions")
    s.add_argument("name")
    s.add_argument("images", nargs="*", help="image files (default: the bundled MNIST digits)")
    s.add_argument("-o", "--output", default="reconstructions.png")
    s.add_argument("--mask", type=float, default=0.0, help="share of pixels set to 0 first, to show denoising")
    s.add_argument("--seed", type=int, default=0, help="seed of the masking noise")
    _model_options(s)
    s.set_defaults(func=cmd_reconstruct)
    s = sub.add_parser("play", help="run a reinforcement-learning agent, optionally writing a GIF of its first episode")
    s.add_argument("name")
    s.add_argument("--episodes", type=int, default=5)
    s.add_argument("--gif", help="write episode 1 as an animated GIF here")
    s.add_argument("--seed", type=int, default=0, help="evaluation seed, as in zoo.evaluate_agent")
    _model_options(s)
    s.set_defaults(func=cmd_play)
    s = sub.add_parser("export", help="write an entry's network, preprocessing included, as ONNX or a torch.export .pt2")
    s.add_argument("name")
    s.add_argument("-o", "--output", required=True, help="file to write (.onnx or .pt2)")
    s.add_argument("--format", choices=["onnx", "pt2"], help="default: by the file's suffix")
    s.add_argument("--part", help="encoder or decoder of an autoencoder (default: the entry's main network)")
    s.add_argument("--input", choices=["float32", "uint8"], default="float32",
                   help="image input: floats in [0, 1] (default) or uint8 in 0..255")
    _model_options(s, device=False)
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("train", help="run a model's training script; arguments after NAME go to the script")
    s.add_argument("name")
    s.add_argument("script_args", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("reproduce", help="retrain an entry with its recorded command in a temporary folder and "
                       "compare with the published weights and metrics")
    s.add_argument("name")
    _model_options(s, device=False)
    s.add_argument("--tolerance", action="append", metavar="METRIC=VALUE",
                   help="allowed absolute difference of a metric (default: per task, see zoo.reproduce.TOLERANCES)")
    s.add_argument("--data-root", help="dataset folder passed to the training command")
    s.add_argument("--exact", action="store_true",
                   help="fail unless the tensors come out bit-identical (where the rerun runs on the processor model "
                   "that made the weights; elsewhere the tolerances decide)")
    s.add_argument("--keep", metavar="DIR", help="keep the reproduced weights in DIR instead of a temporary folder")
    s.set_defaults(func=cmd_reproduce)
    s = sub.add_parser("download", help="fetch weights, verified, into a folder that ZOO_WEIGHTS_DIR then serves offline")
    s.add_argument("names", nargs="*", help="entries or versions (name or name.tag)")
    s.add_argument("--all", action="store_true", help="every published entry and version")
    s.add_argument("--to", required=True, metavar="DIR")
    s.set_defaults(func=cmd_download)
    s = sub.add_parser("demo", help="the pretrained models on bundled sample images")
    s.set_defaults(func=cmd_demo)
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_VERBOSITY", "error")  # no retry notices from huggingface_hub: the failure is ours to say
    try:
        args.func(args)
    except (CLIError, zoo.ZooError, KeyError, TypeError, ValueError, OSError, RuntimeError, MemoryError) as e:
        p.exit(2, f"zoo: error: {' '.join(str(e).split()) or type(e).__name__}\n")
    except KeyboardInterrupt:
        p.exit(2, "zoo: error: interrupted\n")


if __name__ == "__main__":
    main()
