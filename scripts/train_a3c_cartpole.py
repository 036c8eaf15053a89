"""Train a3c_cartpole, A3C on CartPole-v1 (ch. 13), from scratch; write its weights, pictures and manifest entry.

    python scripts/train_a3c_cartpole.py

Asynchronous advantage actor-critic as the paper defines it: `workers` processes, each with its own
environment and a local copy of the actor-critic, play `n_steps` steps, compute n-step returns, and apply
their gradients to one shared model (in shared memory) through one shared Adam optimiser whose moments
are shared too, without locks. The main process only watches: every `eval_every` steps it plays 20
validation episodes with a snapshot of the shared model while the workers go on; the checkpoint shipped
is the last with the best validation return (judged on 100 validation episodes once 20 give 475 or more);
training stops early once that return reaches `solved_at`.

Before training, the script measures throughput (environment steps per second, all workers together) with
1 worker and with `workers` workers, each for `throughput_seconds` on a fresh model.
"""
import copy
import multiprocessing as mp
import os
import time

import numpy as np
import torch

import zoo
from zoo.rl import make_env
from zoo.rl_training import Checkpoints, save_agent
from zoo.training import script_parser, setup

NAME = "a3c_cartpole"
p = script_parser(NAME, __doc__)
p.add_argument("--workers", type=int, default=2)
p.add_argument("--total-steps", type=int, default=500_000, help="environment steps, all workers together")
p.add_argument("--n-steps", type=int, default=20, help="steps per update (n-step returns)")
p.add_argument("--lr", type=float, default=1e-3, help="annealed linearly to zero over total_steps")
p.add_argument("--gamma", type=float, default=0.99)
p.add_argument("--entropy-coef", type=float, default=0.01)
p.add_argument("--value-coef", type=float, default=0.5)
p.add_argument("--eval-every", type=int, default=10_000, help="environment steps between validations")
p.add_argument("--solved-at", type=float, default=500.0, help="stop once 100 validation episodes average this")
p.add_argument("--throughput-seconds", type=float, default=30.0)
args = p.parse_args()
setup(args, NAME, cpu_only=True)
torch.set_num_threads(1)  # the workers are the parallelism; one thread each
if args.quick:
    args.total_steps, args.eval_every, args.throughput_seconds = 2_000, 1_000, 1.0
fork = mp.get_context("fork")


class SharedAdam(torch.optim.Adam):
    """Adam whose moment estimates and step counts live in shared memory, so all workers share them."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        for group in self.param_groups:
            for p_ in group["params"]:
                self.state[p_] = {"step": torch.zeros(()).share_memory_(),
                                  "exp_avg": torch.zeros_like(p_).share_memory_(),
                                  "exp_avg_sq": torch.zeros_like(p_).share_memory_()}


def worker(rank, shared, opt, steps, stop_at, updates, deadline, solved):
    """Play and learn until the shared step counter reaches `stop_at`, the clock reaches `deadline`, or the
    main process sets `solved`."""
    torch.manual_seed(args.seed * 100 + rank)
    env = make_env("CartPole-v1")
    obs, _ = env.reset(seed=args.seed * 100 + rank)
    local = copy.deepcopy(shared)
    while steps.value < stop_at and time.time() < deadline and not solved.is_set():
        local.load_state_dict(shared.state_dict())
        observations, actions, rewards, ends = [], [], [], []
        for _ in range(args.n_steps):
            with torch.no_grad():
                logits, _ = local(torch.as_tensor(obs)[None])
            action = int(torch.multinomial(logits.softmax(1), 1))
            next_obs, reward, terminated, truncated, _ = env.step(action)
            observations.append(obs), actions.append(action), rewards.append(float(reward))
            ends.append((terminated, truncated, next_obs))
            obs = next_obs if not (terminated or truncated) else env.reset()[0]
            if terminated or truncated:
                break
        terminated, truncated, last = ends[-1]
        with torch.no_grad():  # bootstrap from the value of where the rollout stopped, unless the episode ended
            g = 0.0 if terminated else local(torch.as_tensor(last)[None])[1].item()
        returns = []
        for r in reversed(rewards):
            g = r + args.gamma * g
            returns.append(g)
        returns = torch.tensor(returns[::-1])
        logits, values = local(torch.as_tensor(np.array(observations)))
        dist = torch.distributions.Categorical(logits=logits)
        advantage = returns - values
        loss = (-(dist.log_prob(torch.tensor(actions)) * advantage.detach()).mean()
                + args.value_coef * advantage.pow(2).mean() - args.entropy_coef * dist.entropy().mean())
        local.zero_grad(set_to_none=True)
        loss.backward()
        for lp, sp in zip(local.parameters(), shared.parameters()):
            sp.grad = lp.grad  # this process's view of the shared model gets the local gradients
        for group in opt.param_groups:  # annealed linearly to zero, as in the paper
            group["lr"] = args.lr * max(1 - steps.value / stop_at, 0.0) if stop_at < float("inf") else args.lr
        opt.step()  # updates the shared weights and shared moments in place, without a lock
        with steps.get_lock():
            steps.value += len(rewards)
        updates[rank] += 1


def launch(shared, opt, n_workers, stop_at, seconds=float("inf")):
    """Start `n_workers` worker processes on `shared`; returns them with the step and update counters and
    the event that stops them."""
    steps, updates, solved = fork.Value("q", 0), fork.Array("q", n_workers), fork.Event()
    deadline = time.time() + seconds
    procs = [fork.Process(target=worker, args=(r, shared, opt, steps, stop_at, updates, deadline, solved))
             for r in range(n_workers)]
    for proc in procs:
        proc.start()
    return procs, steps, updates, solved


def join(procs):
    for proc in procs:
        proc.join()
    if any(proc.exitcode for proc in procs):
        raise SystemExit(f"a worker failed (exit codes {[proc.exitcode for proc in procs]})")


# throughput with 1 worker and with all of them, each on a fresh model for a fixed time
throughput = {}
for n in sorted({1, args.workers}):
    model = zoo.create(NAME).share_memory()
    procs, steps, _, _ = launch(model, SharedAdam(model.parameters(), args.lr), n, float("inf"), args.throughput_seconds)
    join(procs)
    throughput[n] = steps.value / args.throughput_seconds
    print(f"throughput with {n} worker(s): {throughput[n]:,.0f} steps/s", flush=True)

# training
model = zoo.create(NAME).share_memory()
opt = SharedAdam(model.parameters(), args.lr)
val_env = make_env("CartPole-v1")
checkpoints = Checkpoints(val_env, confirm_at=475)
next_eval = args.eval_every
start = time.time()
procs, steps, updates, solved = launch(model, opt, args.workers, args.total_steps)
print(f"main process {os.getpid()}, workers {[proc.pid for proc in procs]}", flush=True)
while True:
    running = any(proc.is_alive() for proc in procs)
    if running and steps.value < next_eval:
        time.sleep(0.05)
        continue
    # the workers go on while a snapshot is validated, so the validation slows them a little
    at, seconds = steps.value, time.time() - start
    ret = checkpoints.record(copy.deepcopy(model), at, seconds)
    print(f"step {at}: validation return {ret:.1f} ({seconds:.1f} s)", flush=True)
    next_eval = (at // args.eval_every + 1) * args.eval_every  # skip the intervals that passed meanwhile
    if checkpoints.best >= args.solved_at:
        solved.set()  # past this point A3C on CartPole tends to oscillate; the checkpoint is already the best
    if not running or solved.is_set():
        break
join(procs)
wall = checkpoints.curve["seconds"][-1]
model.load_state_dict(checkpoints.state)

save_agent(
    model, args, checkpoints=checkpoints, wall_time_s=wall, target=500, episodes=10 if args.quick else 100,
    extra_metrics={"workers": args.workers, "updates_by_worker": list(updates),
                   "steps_per_s_1_worker": throughput[1], f"steps_per_s_{args.workers}_workers": throughput[args.workers],
                   "throughput_ratio": throughput[args.workers] / throughput[1]},
    extra_names={"workers": "Worker processes", "updates_by_worker": "Updates applied by each worker",
                 "steps_per_s_1_worker": "Steps per second, 1 worker",
                 f"steps_per_s_{args.workers}_workers": f"Steps per second, {args.workers} workers",
                 "throughput_ratio": f"Throughput of {args.workers} workers over 1"},
    description=f"A3C on CartPole-v1 (ch. 13): {args.workers} worker processes, each with its own environment, "
    f"apply gradients asynchronously to one shared actor-critic (a 4-{model.trunk[0].out_features} trunk with "
    f"policy and value heads) through a shared Adam optimiser ({args.lr:g}, annealed linearly to zero); {args.n_steps}-step returns "
    f"(gamma {args.gamma}), entropy bonus {args.entropy_coef}, value loss weight {args.value_coef}; "
    f"up to {args.total_steps:,} environment steps in all, stopping once 100 validation episodes average "
    f"{args.solved_at:g}. The checkpoint shipped is the last with the best validation "
    "return (on 100 validation episodes once 20 give 475 or more). Wall time runs from the workers' start to "
    "their end, the main process's validation running beside them; throughput was measured before training on "
    "fresh models, all workers' steps together.",
)
