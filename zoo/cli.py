"""The `zoo` command: list, info, eval, predict, sample, reconstruct, play, train and demo."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import zoo
from zoo.transforms import ImageTransform

SAMPLES_DIR = Path(__file__).parent / "samples"


def cmd_list(args):
    names = zoo.list_models(args.pattern, task=args.task, pretrained=True if args.pretrained else None)
    print(f"{'name':<22} {'task':<22} {'dataset':<10} {'ch.':>3}  metrics")
    for name in names:
        i = zoo.info(name)
        metrics = ", ".join(f"{k} {_fmt(v)}" for k, v in i.get("metrics", {}).items()) or "(no weights)"
        print(f"{name:<22} {i['task']:<22} {i['dataset']:<10} {i['chapter']:>3}  {metrics}")


def cmd_info(args):
    print(json.dumps(zoo.info(args.name), indent=2))


def cmd_eval(args):
    from .evaluation import evaluate

    recorded = zoo.info(args.name).get("metrics", {})
    measured = evaluate(args.name, zoo.load(args.name), data_root=args.data_root)
    print(f"{'metric':<16} {'measured':>10} {'manifest':>10}")
    for k, v in measured.items():
        print(f"{k:<16} {_fmt(v):>10} {_fmt(recorded.get(k, '-')):>10}")


def cmd_predict(args):
    from PIL import Image

    model = zoo.load(args.name)
    for path in args.images:
        labels, probs = model.predict(Image.open(path))
        print(f"{path}: {labels[0].item()} ({probs[0].max().item():.1%})")


def cmd_sample(args):
    import math

    from .export import write_atomic
    from .pictures import grid, png_bytes

    model = zoo.load(args.name)
    if not hasattr(model, "sample"):
        generative = ", ".join(zoo.list_models(task="image-generation"))
        sys.exit(f"zoo: error: {args.name} is not a generative model; these are: {generative}")
    if args.n < 1:
        sys.exit(f"zoo: error: -n must be at least 1, got {args.n}")
    images = model.sample(args.n, seed=args.seed)
    write_atomic(Path(args.output), png_bytes(grid(images, nrow=math.ceil(math.sqrt(args.n)))))
    print(f"wrote {args.n} samples of {args.name} to {args.output}")


def cmd_reconstruct(args):
    import torch
    from PIL import Image

    from .evaluation import corrupt
    from .export import write_atomic
    from .pictures import grid, png_bytes

    model = zoo.load(args.name)
    if not hasattr(model, "reconstruct"):
        able = [n for n in zoo.list_models() if hasattr(zoo.create(n), "reconstruct")]
        sys.exit(f"zoo: error: {args.name} does not reconstruct images; these do: {', '.join(able)}")
    if not 0 <= args.mask < 1:
        sys.exit(f"zoo: error: --mask is the share of pixels set to 0, from 0 up to (not including) 1; got {args.mask}")
    paths = args.images or sorted(SAMPLES_DIR.glob("*.png"))
    clean = ImageTransform(mean=0.0, std=1.0)([Image.open(p) for p in paths])  # pixels in [0, 1]
    inputs = corrupt(clean, args.mask, torch.Generator().manual_seed(args.seed)) if args.mask else clean
    rows = [inputs, model.reconstruct(inputs)] + ([clean] if args.mask else [])
    write_atomic(Path(args.output), png_bytes(grid(torch.cat(rows), nrow=len(clean))))
    what = "masked inputs, reconstructions, originals" if args.mask else "originals above reconstructions"
    print(f"wrote {len(clean)} images through {args.name} to {args.output} ({what})")


def cmd_play(args):
    from .export import write_atomic
    from .rl import EVAL_SEED_BASE, gif_bytes, make_env, run_episode

    agent = zoo.load(args.name)
    if not hasattr(agent, "act"):
        sys.exit(f"zoo: error: {args.name} is not an agent; these are: {', '.join(zoo.list_models(task='reinforcement-learning'))}")
    if args.episodes < 1:
        sys.exit(f"zoo: error: --episodes must be at least 1, got {args.episodes}")
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
        zoo.registry.get_spec(args.name)  # an unknown name gets the registry's error
        sys.exit(f"no training script for {args.name!r} at {script}")
    sys.exit(subprocess.call([sys.executable, str(script), *args.script_args]))


def cmd_demo(args):
    from PIL import Image

    samples = sorted(SAMPLES_DIR.glob("*.png"))
    images = [Image.open(p) for p in samples]
    truth = [int(p.stem.rsplit("label", 1)[1]) for p in samples]
    print("Bundled MNIST test digits:\n")
    print(_ascii_row([ImageTransform()(im)[0, 0] for im in images[:5]]))
    print("\nPredictions of the pretrained classifiers (true label, then each model's guess and confidence):\n")
    names = zoo.list_models(task="image-classification", pretrained=True)
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
        if zoo.create(n).env_id == "CartPole-v1":
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


def main(argv=None):
    p = argparse.ArgumentParser(prog="zoo", description="The fdl-zoo model zoo.")
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
    s.set_defaults(func=cmd_eval)
    s = sub.add_parser("predict", help="classify image files")
    s.add_argument("name")
    s.add_argument("images", nargs="+")
    s.set_defaults(func=cmd_predict)
    s = sub.add_parser("sample", help="write a PNG grid of samples from a generative model")
    s.add_argument("name")
    s.add_argument("-n", type=int, default=64, help="number of samples (default 64)")
    s.add_argument("-o", "--output", default="samples.png")
    s.add_argument("--seed", type=int, default=None)
    s.set_defaults(func=cmd_sample)
    s = sub.add_parser("reconstruct", help="write a PNG of images beside an autoencoder's reconstructions")
    s.add_argument("name")
    s.add_argument("images", nargs="*", help="image files (default: the bundled MNIST digits)")
    s.add_argument("-o", "--output", default="reconstructions.png")
    s.add_argument("--mask", type=float, default=0.0, help="share of pixels set to 0 first, to show denoising")
    s.add_argument("--seed", type=int, default=0, help="seed of the masking noise")
    s.set_defaults(func=cmd_reconstruct)
    s = sub.add_parser("play", help="run a reinforcement-learning agent, optionally writing a GIF of its first episode")
    s.add_argument("name")
    s.add_argument("--episodes", type=int, default=5)
    s.add_argument("--gif", help="write episode 1 as an animated GIF here")
    s.add_argument("--seed", type=int, default=0, help="evaluation seed, as in zoo.evaluate_agent")
    s.set_defaults(func=cmd_play)
    s = sub.add_parser("train", help="run a model's training script; arguments after NAME go to the script")
    s.add_argument("name")
    s.add_argument("script_args", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_train)
    s = sub.add_parser("demo", help="the pretrained models on bundled sample images")
    s.set_defaults(func=cmd_demo)
    args = p.parse_args(argv)
    try:
        args.func(args)
    except (KeyError, TypeError, ValueError, FileNotFoundError, zoo.IntegrityError) as e:
        sys.exit(f"zoo: error: {e}")


if __name__ == "__main__":
    main()
