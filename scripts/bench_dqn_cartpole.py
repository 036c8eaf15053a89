"""Side by side on one machine: how fast dqn_cartpole's training script solves CartPole-v1, against
Stable-Baselines3's DQN with RL Baselines3 Zoo's tuned CartPole hyperparameters and CleanRL's dqn.py.

Every run is judged the same way: every 1,000 environment steps its current network plays 20 greedy
validation episodes (seeds `zoo.rl.VALIDATION_SEED_BASE` and up), and the run is solved when their mean
return first reaches 475. We record the environment steps and the training wall time until then (the
validation episodes' own time left out). The anchors are optional: SB3 runs if `stable_baselines3` is
installed (`pip install fdl-zoo[bench]`); CleanRL runs with `--cleanrl PATH`, a checkout of
github:vwxyzjn/cleanrl whose cleanrl/dqn.py runs unmodified (its `tyro` and `tensorboard` are in the bench extra).
Results go to docs/benchmarks/dqn_cartpole.json; `python scripts/make_docs.py` renders them.

    python scripts/bench_dqn_cartpole.py --cleanrl /path/to/cleanrl
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from zoo.provenance import hardware
from zoo.rl import VALIDATION_SEED_BASE, make_env, run_episode
from zoo.training import TrainingClock
from anchor_run import run_cleanrl, save_result

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--cleanrl", help="checkout of github:vwxyzjn/cleanrl")
p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
p.add_argument("--out", default="docs/benchmarks/dqn_cartpole.json")
args = p.parse_args()
EVERY, EPISODES, SOLVED = 1_000, 20, 475
# RL Baselines3 Zoo, hyperparams/dqn.yml, CartPole-v1
RL_ZOO = dict(learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1_000, gamma=0.99,
              target_update_interval=10, train_freq=256, gradient_steps=128, exploration_fraction=0.16,
              exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]))
RL_ZOO_STEPS = 50_000


class Solved(Exception):
    pass


class Judge:
    """Validates a policy every EVERY steps, keeping the validation time out of the clock."""

    def __init__(self, name, budget_steps):
        self.name, self.budget_steps = name, budget_steps
        self.env, self.clock = make_env("CartPole-v1"), TrainingClock()
        self.curve = []

    def check(self, step, act) -> None:
        if step == 0:  # the clock starts with the first step
            self.clock = TrainingClock()
        if step == 0 or step % EVERY:
            return
        policy = type("Policy", (), {"act": staticmethod(act), "reset": lambda self: None, "greedy_evaluation": True})()
        with self.clock.paused() as seconds:
            ret = sum(run_episode(policy, self.env, VALIDATION_SEED_BASE + i) for i in range(EPISODES)) / EPISODES
        self.curve.append((step, round(seconds, 2), ret))
        print(f"{self.name}: step {step}, validation return {ret:.1f}", flush=True)
        if ret >= SOLVED:
            raise Solved

    def result(self) -> dict:
        solved = next((c for c in self.curve if c[2] >= SOLVED), None)
        return {"solved": solved is not None, "steps_to_solve": solved and solved[0],
                "seconds_to_solve": solved and solved[1], "steps_run": self.curve[-1][0] if self.curve else 0}


def ours(seed) -> dict:
    """Our training script, which validates the same way (every 1,000 steps, 20 episodes), stopped as the
    anchors are at the first validation return of 475."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(Path(__file__).with_name("train_dqn_cartpole.py")), "--seed", str(seed),
               "--stop-at", str(SOLVED), "--out", f"{tmp}/w", "--manifest", f"{tmp}/m.json"]
        subprocess.run(cmd, check=True)
        m = json.loads(Path(f"{tmp}/m.json").read_text())["models"]["dqn_cartpole"]["metrics"]
    return {"solved": m["steps_to_95pct"] is not None, "steps_to_solve": m["steps_to_95pct"],
            "seconds_to_solve": m["seconds_to_95pct"], "steps_run": m["env_steps"]}


def sb3(seed) -> dict:
    """Stable-Baselines3's DQN with RL Baselines3 Zoo's hyperparameters."""
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback

    judge = Judge("sb3", RL_ZOO_STEPS)

    class Check(BaseCallback):
        def _on_training_start(self):
            judge.clock = TrainingClock()

        def _on_step(self):
            act = lambda obs, deterministic=True: int(self.model.predict(obs, deterministic=True)[0])  # noqa: E731
            try:
                judge.check(self.num_timesteps, act)
            except Solved:
                return False
            return True

    DQN("MlpPolicy", make_env("CartPole-v1"), seed=seed, device="cpu", **RL_ZOO).learn(RL_ZOO_STEPS, callback=Check())
    return judge.result()


def cleanrl(seed) -> dict:
    """CleanRL's dqn.py, run unmodified; the judge sees its q_network each time it steps its environments."""
    import gymnasium as gym

    judge = Judge("cleanrl", 500_000)
    step_vector_env = gym.vector.SyncVectorEnv.step

    def step(self, actions):
        caller = sys._getframe(1)
        while "q_network" not in caller.f_globals:  # dqn.py's frame, beneath the gymnasium_029 shim
            caller = caller.f_back
        net = caller.f_globals["q_network"]
        judge.check(caller.f_globals["global_step"],
                    lambda obs, deterministic=True: int(net(torch.as_tensor(obs, dtype=torch.float32)[None]).argmax()))
        return step_vector_env(self, actions)

    try:
        gym.vector.SyncVectorEnv.step = step
        run_cleanrl(args.cleanrl, "dqn.py", ["--seed", seed, "--no-cuda"])
    except Solved:
        pass
    finally:
        gym.vector.SyncVectorEnv.step = step_vector_env
    return judge.result()


torch.set_num_threads(1)
runs = {"ours": (f"python scripts/train_dqn_cartpole.py --seed SEED --stop-at {SOLVED}", ours)}
try:
    import stable_baselines3

    runs["sb3_rl_zoo"] = (f"stable-baselines3 {stable_baselines3.__version__} DQN, RL Baselines3 Zoo CartPole-v1 "
                          f"hyperparameters ({RL_ZOO_STEPS:,} steps)", sb3)
except ImportError:
    print("stable_baselines3 is not installed: skipping that anchor")
if args.cleanrl:
    runs["cleanrl"] = ("cleanrl/dqn.py with its defaults (500,000 steps), --seed SEED", cleanrl)

results = {"hardware": hardware(), "threads": 1,
           "validation": f"{EPISODES} greedy episodes every {EVERY:,} steps; solved at a mean return of {SOLVED}"}
for seed in args.seeds:  # seed by seed, all runs, saving as it goes
    for key, (command, run) in runs.items():
        r = results.setdefault(key, {"command": command, "seeds": {}})
        r["seeds"][seed] = run(seed)
        solved = [x for x in r["seeds"].values() if x["solved"]]
        r["solved"] = f"{len(solved)} of {len(r['seeds'])}"
        r["median_steps_to_solve"] = statistics.median(x["steps_to_solve"] for x in solved) if solved else None
        r["median_seconds_to_solve"] = statistics.median(x["seconds_to_solve"] for x in solved) if solved else None
        save_result(args.out, results)
