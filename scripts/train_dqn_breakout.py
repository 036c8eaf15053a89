"""Train dqn_breakout, the book's Atari DQN (ch. 13) on ALE/Breakout-v5, from scratch; write its weights,
pictures and manifest entry.

    python scripts/train_dqn_breakout.py --total-steps 2500000      # agent steps; 4 frames each

The Nature-DQN recipe: gymnasium's Atari preprocessing (frame skip 4 with max-pooling, up to 30 no-op
starts, 84x84 grey) and a stack of 4 frames, rewards clipped to their sign, a replay buffer of
`buffer_size` transitions (uint8 frames; 100,000 take about 3.5 GB), a target network copied every
`target_every` steps, epsilon decaying linearly from 1 to `eps_end` over `eps_decay_steps` steps (1M
frames), one RMSprop-like Adam update of batch 32 every 4 steps, Huber loss. A life lost ends the
episode for learning (not for the score). Every `eval_every` steps the greedy policy (epsilon 0.05, as
in the paper's evaluation) plays `eval_episodes` validation episodes.

The defaults (in scripts/dqn_breakout_options.py, which the benchmark shares) are the Nature paper's; the
book's improvements on DQN are options: `--double` (Double DQN targets), `--dueling` (a dueling head, at the Q
head's parameter count) and `--prioritized` (proportional prioritised replay, whose importance weights scale
the Huber loss). `--fire-reset` presses FIRE at the start of every life in training, as CleanRL's wrappers do
(`zoo.envs.FireOnLifeStart`); validation and evaluation play without it. The manifest's command says which
options the published weights were trained with, and docs/benchmarks.md measures them against CleanRL at
300,000 steps.

A CPU budget rarely covers a whole run, so training can go on in a later process: with `--checkpoint
PATH` the script writes the network, the best checkpoint so far, the learning curve, the step count
and the commands run so far to PATH after every validation, and `--resume PATH` carries on from there
under the same options, as any other are refused (`--total-steps` and `--time-budget` count from the start
of the first run; the time budget, the files, threads and device may change). The replay buffer and the
optimiser's moments are not saved (the buffer alone is gigabytes): a resumed run refills `learning_starts`
transitions with the current policy before it updates again, and starts Adam afresh.

    python scripts/train_dqn_breakout.py --time-budget 6300 --checkpoint runs/dqn_breakout.ckpt
    python scripts/train_dqn_breakout.py --time-budget 12600 --checkpoint runs/dqn_breakout.ckpt --resume runs/dqn_breakout.ckpt
"""
import copy
import os

import numpy as np
import torch
import torch.nn.functional as F

import zoo
from zoo.envs import FireOnLifeStart
from zoo.progress import progress
from zoo.rl import make_env
from zoo.replay import PrioritizedReplayBuffer, ReplayBuffer, linear_schedule
from zoo.rl_training import Checkpoints, q_learning_targets, save_agent
from zoo.training import TrainingClock, setup
from zoo.training_state import load_training_state, save_training_state
from dqn_breakout_options import PER_ALPHA, PER_BETA_START, parser, recorded_training_options, training_options

NAME = "dqn_breakout"
p = parser(__doc__)
args = p.parse_args()
if args.resume and not os.path.isfile(args.resume):
    p.error(f"--resume {args.resume}: no such checkpoint")
meta = load_training_state(args.resume) if args.resume else None
if meta:  # carrying on under other options would silently train something else
    first, now = recorded_training_options(meta["commands"][0]), training_options(args)
    changed = {k: (first[k], v) for k, v in now.items() if first[k] != v}
    if changed:
        p.error(f"--resume {args.resume}: its training ran with other options, as (checkpoint, this run): {changed}; "
                "resume with the same options, or start afresh with another --checkpoint")
device = setup(args, NAME)
if args.quick:
    args.total_steps, args.buffer_size, args.learning_starts, args.eval_every, args.eval_episodes = 300, 300, 100, 300, 1

limit = 100 if args.quick else None  # episode length cap, for quick tests only
env, val_env = make_env("ALE/Breakout-v5", max_episode_steps=limit), make_env("ALE/Breakout-v5", max_episode_steps=limit)
if args.fire_reset:
    env = FireOnLifeStart(env)
model = zoo.create(NAME, num_actions=int(env.action_space.n), dueling=args.dueling).to(device)
target = copy.deepcopy(model)
opt = torch.optim.Adam(model.parameters(), lr=args.lr, eps=args.adam_eps)
Buffer, options = (PrioritizedReplayBuffer, {"alpha": PER_ALPHA}) if args.prioritized else (ReplayBuffer, {})
buffer = Buffer(args.buffer_size, obs_shape=(4, 84, 84), obs_dtype=np.uint8, frame_stack=True, **options)


def save_checkpoint(path: str, step: int, train_time: float, commands: list) -> None:
    save_training_state(path, model=model.state_dict(), best_state=checkpoints.state, best=checkpoints.best,
                        curve=checkpoints.curve, step=step, train_time=train_time, commands=commands)


checkpoints = Checkpoints(val_env, episodes=args.eval_episodes)
train_time, first_step, commands = 0.0, 1, [args.command]
if meta:
    model.load_state_dict(meta["model"])
    target.load_state_dict(model.state_dict())
    checkpoints.state, checkpoints.best, checkpoints.curve = meta["best_state"], meta["best"], meta["curve"]
    train_time, first_step, commands = meta["train_time"], meta["step"] + 1, meta["commands"] + [args.command]
    print(f"resuming at step {meta['step']:,} ({train_time:.0f} s of training so far)", flush=True)
stage = len(commands) - 1  # a resumed run draws other random numbers and episodes than the runs before it
rng = np.random.default_rng(args.seed if stage == 0 else [args.seed, stage])
obs, info = env.reset(seed=args.seed + stage)
lives = info.get("lives", 0)
step = first_step - 1  # the last step taken, should this run have none left
clock = TrainingClock()
for step in progress(range(first_step, args.total_steps + 1)):
    out_of_time = args.time_budget is not None and train_time + clock.seconds > args.time_budget
    eps = linear_schedule(1.0, args.eps_end, args.eps_decay_steps, step)
    action = int(rng.integers(env.action_space.n)) if rng.random() < eps else model.act(obs)
    next_obs, reward, terminated, truncated, info = env.step(action)
    life_lost = info.get("lives", lives) < lives
    lives = info.get("lives", lives)
    buffer.add(obs, action, np.sign(reward), next_obs, terminated or life_lost)
    if terminated or truncated:
        next_obs, info = env.reset()
        lives = info.get("lives", 0)
    obs = next_obs

    if buffer.added > args.learning_starts and step % args.train_every == 0:
        if args.prioritized:
            b = buffer.sample(args.batch_size, rng, device, beta=linear_schedule(PER_BETA_START, 1.0, args.total_steps, step))
        else:
            b = buffer.sample(args.batch_size, rng, device)
        y = q_learning_targets(b, target, args.gamma, online=model if args.double else None)
        q = model(b["obs"]).gather(1, b["actions"][:, None]).squeeze(1)
        if args.prioritized:
            loss = (F.smooth_l1_loss(q, y, reduction="none") * b["weights"]).mean()
            buffer.update_priorities(b["indices"], (q - y).detach().cpu().numpy())
        else:
            loss = F.smooth_l1_loss(q, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if step % args.target_every == 0:
        target.load_state_dict(model.state_dict())

    if step % args.eval_every == 0 or out_of_time:
        with clock.paused() as seconds:
            ret = checkpoints.record(model, step, train_time + seconds)
            print(f"step {step} ({4 * step:,} frames): validation return {ret:.1f} ({train_time + seconds:.0f} s)",
                  flush=True)
            if args.checkpoint:
                save_checkpoint(args.checkpoint, step, train_time + seconds, commands)
    if out_of_time:
        break
train_time += clock.seconds
model.load_state_dict(checkpoints.state)

args.command = " && ".join(commands)
improvements = [name for name, on in [
    ("Double DQN targets", args.double),
    ("a dueling head of two 256-unit streams", args.dueling),
    (f"prioritised replay (alpha {PER_ALPHA}, beta {PER_BETA_START} to 1)", args.prioritized),
    ("FIRE pressed at the start of every life in training", args.fire_reset),
] if on]
resumed = (f" It was trained in {len(commands)} runs, each after the first resuming from the checkpoint before it "
           "with an empty replay buffer." if len(commands) > 1 else "")
save_agent(
    model, args, checkpoints=checkpoints, wall_time_s=train_time, target=400, episodes=2 if args.quick else 30,
    max_episode_steps=limit, target_line=False,  # a return of 400 is far above this budget's curve
    extra_metrics={"frames": 4 * step}, extra_names={"frames": "Emulator frames of training"},
    description=f"The book's Atari DQN (ch. 13) for Breakout: the Nature-DQN network on 4 stacked 84x84 grey "
    f"frames{', with ' + ', '.join(improvements) if improvements else ''}, trained for {step:,} agent steps "
    f"({4 * step:,} frames) with replay "
    f"({args.buffer_size:,} transitions), a target network copied every {args.target_every:,} steps, epsilon "
    f"from 1 to {args.eps_end} over {args.eps_decay_steps:,} steps, Adam {args.lr:g} (epsilon {args.adam_eps:g}), batch "
    f"{args.batch_size}, "
    f"rewards clipped to their sign, a life lost ending the episode for learning.{resumed} The checkpoint shipped is "
    f"the last with the best validation return ({args.eval_episodes} episodes every {args.eval_every:,} steps). "
    "Evaluation plays "
    "epsilon-greedy with epsilon 0.05 as the Nature paper did (`zoo.evaluate_agent`); the score is the game's "
    "unclipped score. It is given twice: in the environment the agent was trained in (no sticky actions, up to 30 "
    f"no-op starts{'; pressing FIRE is left to the agent' if args.fire_reset else ''}), and under the protocol "
    "ALE v5 made standard (Machado et al., 2018: each frame repeats the previous action with probability 0.25, "
    "no no-op starts, the minimal action set; "
    "`zoo.evaluate_agent(..., sticky_actions=True)`).",
)
