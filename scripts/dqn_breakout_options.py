"""The command-line options of scripts/train_dqn_breakout.py, apart from the script so that its benchmark reads
recorded commands with the parser the script itself runs with."""
import argparse
import shlex

from zoo.training import script_parser

PER_ALPHA, PER_BETA_START = 0.6, 0.4  # prioritised replay as Schaul et al. ran it on Atari; beta rises to 1
RUN_OPTIONS = {"threads", "device", "out", "manifest", "publish", "checkpoint", "resume", "time_budget", "data_root"}


def parser(doc: str | None = None) -> argparse.ArgumentParser:
    p = script_parser("dqn_breakout", doc)
    p.add_argument("--total-steps", type=int, default=2_500_000, help="agent steps (4 frames each)")
    p.add_argument("--buffer-size", type=int, default=100_000)
    p.add_argument("--learning-starts", type=int, default=20_000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--adam-eps", type=float, default=1.5e-4,
                   help="Adam's epsilon: 1.5e-4 as the Rainbow paper ran it; PyTorch's default, which CleanRL keeps, is 1e-8")
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--train-every", type=int, default=4)
    p.add_argument("--target-every", type=int, default=1_000, help="steps between target-network copies")
    p.add_argument("--eps-end", type=float, default=0.1)
    p.add_argument("--eps-decay-steps", type=int, default=250_000)
    p.add_argument("--eval-every", type=int, default=100_000)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--double", action="store_true",
                   help="Double DQN targets: the online network picks the next action, the target network values it")
    p.add_argument("--dueling", action="store_true", help="a dueling head (value and advantage streams)")
    p.add_argument("--prioritized", action="store_true",
                   help=f"proportional prioritised replay (alpha {PER_ALPHA}; beta from {PER_BETA_START} to 1 over the run)")
    p.add_argument("--fire-reset", action="store_true",
                   help="press FIRE at the start of every life in training (not in validation or evaluation)")
    p.add_argument("--time-budget", type=float, default=None,
                   help="stop after this many seconds of training (a CPU budget)")
    p.add_argument("--checkpoint", default=None, help="write a resumable checkpoint here after every validation")
    p.add_argument("--resume", default=None, help="carry on from a checkpoint written by --checkpoint")
    return p


def training_options(args: argparse.Namespace) -> dict:
    """The parsed options that shape what the script trains: all but those naming files, threads, the device or a
    time budget."""
    return {k: v for k, v in vars(args).items() if k not in RUN_OPTIONS}


def recorded_training_options(command: str) -> dict:
    """`training_options` of a command the script recorded ("python scripts/train_dqn_breakout.py ...")."""
    return training_options(parser().parse_args(shlex.split(command)[2:]))  # after the launcher and the script
