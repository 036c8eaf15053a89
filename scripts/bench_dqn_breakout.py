"""Side by side on one machine, at equal frames: dqn_breakout's training script against CleanRL's
dqn_atari.py, each with its own defaults and the same number of agent steps (4 emulator frames each).

Both train at once, one CPU thread each (or on one GPU with `--device cuda`): ours as a subprocess
with the options of the published run (validation every 50,000 steps, 10 episodes), CleanRL's script
unmodified in this process (a checkout of github:vwxyzjn/cleanrl; its `tyro` and `tensorboard` are in the bench extra).
CleanRL's replay buffer is given room for every step of the run (`--buffer-size` steps + 1), which
samples exactly as its default of 1M does for runs of up to 1M steps, without reserving 28 GB. Each
recipe's product is then scored by `zoo.evaluate_agent`'s protocol (epsilon 0.05, evaluation seeds, on
`zoo.rl.make_env`'s Breakout), both as the zoo trains (no sticky actions, up to 30 no-op starts) and
under ALE v5's sticky actions: ours as its script ships it (the best validation checkpoint), CleanRL's
final network. CleanRL's frames are preprocessed by its own wrappers in training (colour frames resized,
then greyed), so it plays ours slightly out of its training distribution; its own evaluation, in its
training wrappers, is reported too.

    python scripts/bench_dqn_breakout.py /path/to/cleanrl --steps 150000
    python scripts/bench_dqn_breakout.py --steps 150000 --improvements double dueling --work runs/bench_dd
    python scripts/bench_dqn_breakout.py --steps 150000 --eps-decay-steps 15000 --eps-end 0.01 --work runs/bench_eps

A comparison longer than a session can be split with `--only ours` and `--only cleanrl`, which train one side
and stop: ours writes a checkpoint after every validation and carries on from it when run again (as the
published run did, refilling its replay buffer), while CleanRL's run must finish in one process. A run without
`--only` then trains what is missing and scores both.

    python scripts/bench_dqn_breakout.py --steps 300000 --only ours --work runs/bench_300k
    python scripts/bench_dqn_breakout.py /path/to/cleanrl --steps 300000 --work runs/bench_300k

`--improvements` trains ours with the book's DQN improvements (train_dqn_breakout.py's `--double`,
`--dueling`, `--prioritized`), `--eps-decay-steps`/`--eps-end` with another exploration schedule (our
recipe's is made for a million steps; CleanRL's shrinks with the budget), `--adam-eps` with another Adam
epsilon (ours is the Rainbow paper's 1.5e-4, CleanRL's PyTorch's default of 1e-8), and `--fire-reset` pressing FIRE at
the start of every life in training, as CleanRL's wrappers do. Any of them adds ours to the results as a
variant, beside the plain recipe and CleanRL of an earlier run with the same steps, seed and hardware, which
it needs when scoring (a variant's `--only ours` can train beside that run): CleanRL's side is the same for
every choice, so its figures are taken from there, not trained again.

Results go to docs/benchmarks/dqn_breakout.json, a table per training seed (`--seed`) of runs with the same steps,
hardware and evaluation; `python scripts/make_docs.py` renders them. `--work DIR`
keeps both runs' outputs; a run whose output is already there is scored, not trained again.
"""
import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import torch
from filelock import Timeout
from safetensors.torch import load_file, save_file

import zoo
from zoo.files import file_lock
from zoo.manifest import get_record
from zoo.provenance import hardware
from zoo.rl import evaluate_agent
from zoo.rl_training import DQN_IMPROVEMENTS
from anchor_run import gymnasium_029, run_cleanrl, save_result
from dqn_breakout_options import recorded_training_options

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("cleanrl", nargs="?", help="checkout of github:vwxyzjn/cleanrl (not needed with --improvements or --only ours)")
p.add_argument("--steps", type=int, default=None, help="agent steps for both (default: the published weights' run's)")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--episodes", type=int, default=30, help="evaluation episodes per protocol")
p.add_argument("--device", default="cpu", help="both trainings' torch device: cpu (one thread each) or cuda")
p.add_argument("--work", default="runs/bench_dqn_breakout", help="both runs' outputs")
p.add_argument("--out", default="docs/benchmarks/dqn_breakout.json")
p.add_argument("--improvements", nargs="*", default=[], choices=list(DQN_IMPROVEMENTS),
               help="train ours with these of the book's DQN improvements")
p.add_argument("--eps-decay-steps", type=int, help="train ours with epsilon decaying over this many steps")
p.add_argument("--eps-end", type=float, help="train ours with epsilon decaying to this")
p.add_argument("--adam-eps", type=float, help="train ours with this Adam epsilon")
p.add_argument("--fire-reset", action="store_true", help="train ours pressing FIRE at the start of every life")
p.add_argument("--only", choices=["ours", "cleanrl"], help="train this side alone and stop (see above)")
p.add_argument("--quick", action="store_true", help="a smoke test: shortened episodes, few steps")
args = p.parse_args()
args.steps = args.steps or get_record("dqn_breakout").metrics["env_steps"]
settings = {k: getattr(args, k) for k in ("eps_decay_steps", "eps_end", "adam_eps") if getattr(args, k) is not None}
changes = {"improvements": sorted(args.improvements), "settings": settings, "fire_reset": args.fire_reset}
variant = bool(args.improvements or settings or args.fire_reset)
if not variant and not args.cleanrl and args.only != "ours":
    p.error("give the path of a CleanRL checkout")
torch.set_num_threads(1)
work = Path(args.work)
work.mkdir(parents=True, exist_ok=True)
OURS_OPTIONS = ["--eval-every", "50000", "--eval-episodes", "10",  # as in the published run's command
                *(f"--{name}" for name in args.improvements), *(["--fire-reset"] if args.fire_reset else []),
                *(str(part) for k, v in settings.items() for part in (f"--{k.replace('_', '-')}", v))]
OURS_RECIPE = ["--seed", str(args.seed), "--total-steps", str(args.steps), *OURS_OPTIONS, *(["--quick"] if args.quick else [])]
limit = 100 if args.quick else None  # evaluation episode length cap, for the smoke test only


OURS_LOCK = file_lock(work / "ours.ckpt")  # so that two benches never train ours in one folder at once


def start_ours():
    """Our script in a subprocess, carrying on from its checkpoint if an earlier one stopped; None if its output
    is already in `work`."""
    if (work / "ours_manifest.json").exists():
        return None
    try:
        OURS_LOCK.acquire(timeout=0)  # held until this process ends
    except Timeout:
        sys.exit(f"our side is being trained by another process in {work}; run again when it has ended")
    checkpoint = work / "ours.ckpt"
    resume = ["--resume", str(checkpoint)] if checkpoint.exists() else []
    cmd = [sys.executable, str(Path(__file__).with_name("train_dqn_breakout.py")), "--threads", "1",
           "--device", args.device, *OURS_RECIPE, "--out", str(work / "ours"), "--manifest",
           str(work / "ours_manifest.json"), "--checkpoint", str(checkpoint), *resume]
    return subprocess.Popen(cmd, stdout=open(work / "ours.log", "a"), stderr=subprocess.STDOUT)


def cleanrl() -> tuple[dict, dict]:
    """CleanRL's dqn_atari.py for `args.steps` steps; its final network in our agent's layout, its own
    evaluation and its training time (kept in `work`)."""
    weights, record = work / "cleanrl.safetensors", work / "cleanrl.json"
    if weights.exists():
        kept = json.loads(record.read_text())
        if kept["steps"] != args.steps:
            sys.exit(f"{weights} is a run of {kept['steps']:,} steps, not {args.steps:,}; use another --work")
        return load_file(weights), kept
    argv = ["--seed", args.seed, *([] if args.device.startswith("cuda") else ["--no-cuda"]),
            "--total-timesteps", args.steps, "--buffer-size", min(1_000_000, args.steps + 1)]
    if args.quick:
        argv += ["--learning-starts", 100]
    start = time.time()
    with open(work / "cleanrl.log", "w") as log:
        stdout, sys.stdout = sys.stdout, log
        try:
            g = run_cleanrl(args.cleanrl, "dqn_atari.py", argv)
            seconds = time.time() - start
            own = own_evaluation(g)
        finally:
            sys.stdout = stdout
    state = {k.replace("network.", "q.", 1): v.cpu().contiguous() for k, v in g["q_network"].state_dict().items()}
    save_file(state, weights)
    kept = {"steps": args.steps, "train_seconds": round(seconds, 1), "own_evaluation": own}
    record.write_text(json.dumps(kept))
    return state, kept


def own_evaluation(g) -> dict:
    """CleanRL's network in its own training wrappers (a new environment seeded 0, whole games, epsilon
    0.05), as its dqn_eval does; `args.episodes` games."""
    import random

    import numpy as np

    with gymnasium_029():
        envs = g["gym"].vector.SyncVectorEnv([g["make_env"](g["args"].env_id, 0, 0, False, "eval")])
        obs, _ = envs.reset(seed=0)
        returns = []
        while len(returns) < (2 if args.quick else args.episodes):
            if random.random() < 0.05:
                actions = np.array([envs.single_action_space.sample()])
            else:
                with torch.no_grad():
                    actions = g["q_network"](torch.Tensor(obs).to(g["device"])).argmax(1).cpu().numpy()
            obs, _, _, _, infos = envs.step(actions)
            returns += [float(info["episode"]["r"]) for info in infos.get("final_info", []) if "episode" in info]
        envs.close()
    returns = torch.tensor(returns, dtype=torch.float64)
    return {"mean": returns.mean().item(), "std": returns.std(unbiased=False).item(), "episodes": len(returns)}


def scores(agent) -> dict:
    """Both protocols' returns, and the share of the agent's greedy choices (before epsilon's random actions)
    that went to its most frequent action: 1 means a network that has not learnt to act yet, whose return is
    that of its random actions."""
    greedy = Counter()
    network_scores = agent.scores

    def counted(x):
        out = network_scores(x)
        greedy.update(out.argmax(1).tolist())
        return out

    agent.scores = counted
    both = {}
    for protocol, sticky in (("zoo", False), ("sticky", True)):
        r = evaluate_agent(agent, episodes=args.episodes, seed=0, max_episode_steps=limit, sticky_actions=sticky)
        both[protocol] = {"mean": r["mean"], "std": r["std"]}
    del agent.scores
    return {**both, "top_greedy_action_share": max(greedy.values()) / sum(greedy.values())}


out = Path(args.out)
evaluation = (f"zoo.evaluate_agent, {args.episodes} episodes each, epsilon 0.05: as the zoo trains, and with sticky "
              "actions (0.25) and no no-op starts")


def comparable_tables() -> list[dict]:
    """The tables already in `out` (one per training seed) of runs like this one: steps, hardware, evaluation."""
    tables = json.loads(out.read_text())["tables"] if out.exists() else []
    return [t for t in tables if [t[k] for k in ("steps", "hardware", "evaluation")]
            == [args.steps, hardware(args.device), evaluation]]


def earlier_table():
    """This seed's table in `out`, if it is of a run like this one."""
    return next((t for t in comparable_tables() if t["seed"] == args.seed), None)


if args.only == "cleanrl" and variant:
    p.error("--only cleanrl trains CleanRL's side, which is the same for every variant: leave out --improvements, "
            "--fire-reset and the schedule and Adam options")
if variant and args.only != "ours" and not earlier_table():
    sys.exit(f"{out} holds no run of {args.steps:,} steps, seed {args.seed}, {args.episodes} evaluation episodes, on "
             "this hardware: run the plain recipe and CleanRL first (without --improvements, --fire-reset, the "
             "schedule or the Adam option), then the variants")

ours_process = start_ours() if args.only != "cleanrl" else None
if not variant and args.only != "ours":
    cleanrl_state, cleanrl_record = cleanrl()
if ours_process and ours_process.wait():
    sys.exit(f"our training script failed; see {work / 'ours.log'}")
if args.only:
    side = "Our side" if args.only == "ours" else "CleanRL's side"
    print(f"{side} is trained, in {work}; run again without --only to score both")
    sys.exit()

ours_record = json.loads((work / "ours_manifest.json").read_text())["models"]["dqn_breakout"]
if ours_record["metrics"]["env_steps"] != args.steps:
    sys.exit(f"{work / 'ours'} is a run of {ours_record['metrics']['env_steps']:,} steps, not {args.steps:,}; "
             "use another --work")
ours_runs = ours_record["training"]["command"].split(" && ")  # a training split between sessions has several
ours_command = f"python scripts/train_dqn_breakout.py --threads 1 {' '.join(OURS_RECIPE)}"
wanted = recorded_training_options(ours_command)
for run in ours_runs:
    trained = recorded_training_options(run)
    if trained != wanted:
        differing = {k: (v, wanted[k]) for k, v in trained.items() if v != wanted[k]}
        sys.exit(f"{work / 'ours'} was trained with other options, as (trained, wanted): {differing}; use another --work")
ours = zoo.create("dqn_breakout", **ours_record["config"])
ours.load_state_dict(load_file(work / "ours" / "model.safetensors"))
ours_figures = {"command": ours_command,
                "train_seconds": ours_record["training"]["wall_time_s"], "training_runs": len(ours_runs), **scores(ours)}
OUT_LOCK = file_lock(out)  # runs trained side by side each add their rows to the latest tables
OUT_LOCK.acquire()
earlier = earlier_table()
if variant and not earlier:
    sys.exit(f"{out} was replaced by a table of another run while this variant trained; its training is kept in "
             f"{work}: run this again to score it once that table is back")
if variant:
    def changes_of(v):
        """A row's changes to our recipe, in the layout of `changes`."""
        return {k: v[k] for k in changes}

    def order(v):
        c = changes_of(v)
        return c["fire_reset"], len(c["settings"]), len(c["improvements"]), c["improvements"]

    result = earlier
    result["variants"] = sorted([v for v in result.get("variants", []) if changes_of(v) != changes]
                                + [{**changes, **ours_figures}], key=order)
else:
    theirs = zoo.create("dqn_breakout")
    theirs.load_state_dict(cleanrl_state)
    result = {
        "hardware": hardware(args.device), "threads": 1, "device": args.device, "steps": args.steps,
        "frames": 4 * args.steps, "seed": args.seed,
        "evaluation": evaluation,
        "ours": ours_figures,
        "cleanrl": {"command": f"cleanrl/dqn_atari.py --seed {args.seed} --total-timesteps {args.steps} "
                               f"--buffer-size {min(1_000_000, args.steps + 1)}",
                    "train_seconds": cleanrl_record["train_seconds"], **scores(theirs),
                    "own_wrappers": cleanrl_record["own_evaluation"]},
        "variants": earlier.get("variants", []) if earlier else [],
    }
other_seeds = [t for t in comparable_tables() if t["seed"] != args.seed]  # tables of other runs are dropped
save_result(out, {"tables": sorted(other_seeds + [result], key=lambda t: t["seed"])})
