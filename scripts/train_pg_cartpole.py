"""Train pg_cartpole, the book's policy-gradient pole balancer (ch. 13), from scratch; write its weights,
pictures and manifest entry.

    python scripts/train_pg_cartpole.py

REINFORCE with a baseline: play `episodes_per_update` episodes with the current stochastic policy,
weight each action's log-probability by its discounted return-to-go (bootstrapped from the value
estimate where the time limit cut the episode off) minus the value network's estimate (the baseline),
and fit the value network to the returns. Every `eval_every` updates the greedy policy plays 20
validation episodes; the checkpoint shipped is the last with the best validation return, judged on
100 validation episodes once 20 give 475 or more.
"""

import numpy as np
import torch
import torch.nn.functional as F

import zoo
from zoo.rl import make_env
from zoo.rl_training import Checkpoints, save_agent
from zoo.training import TrainingClock, script_parser, setup

NAME = "pg_cartpole"
p = script_parser(NAME, __doc__)
p.add_argument("--updates", type=int, default=300)
p.add_argument("--episodes-per-update", type=int, default=8)
p.add_argument("--lr", type=float, default=3e-3)
p.add_argument("--gamma", type=float, default=0.99)
p.add_argument("--eval-every", type=int, default=5, help="updates between validations")
args = p.parse_args()
setup(args, NAME, cpu_only=True)
torch.set_num_threads(args.threads or 1)  # a small network: one thread is fastest
if args.quick:
    args.updates, args.episodes_per_update, args.eval_every = 4, 2, 2

env, val_env = make_env("CartPole-v1"), make_env("CartPole-v1")
model = zoo.create(NAME)
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
gen = torch.Generator().manual_seed(args.seed)
env.reset(seed=args.seed)

checkpoints = Checkpoints(val_env, confirm_at=475)
steps = 0
clock = TrainingClock()
for update in range(1, args.updates + 1):
    observations, actions, returns = [], [], []
    for _ in range(args.episodes_per_update):
        obs, _ = env.reset()
        rewards, done = [], False
        while not done:
            with torch.no_grad():
                logits = model.scores(torch.as_tensor(obs)[None])
            action = int(torch.multinomial(logits.softmax(1), 1, generator=gen))
            observations.append(obs), actions.append(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(float(reward))
            done = terminated or truncated
        with torch.no_grad():  # an episode cut off by the time limit continues in the value estimate
            g, to_go = (model.value(torch.as_tensor(obs)[None]).item() if truncated else 0.0), []
        for r in reversed(rewards):  # discounted return from each step to the end of the episode
            g = r + args.gamma * g
            to_go.append(g)
        returns += reversed(to_go)
        steps += len(rewards)
    obs_t, act_t, ret_t = torch.as_tensor(np.array(observations)), torch.tensor(actions), torch.tensor(returns)
    values = model.value(obs_t).squeeze(1)
    advantage = ret_t - values.detach()
    advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
    log_prob = F.log_softmax(model.scores(obs_t), 1).gather(1, act_t[:, None]).squeeze(1)
    loss = -(log_prob * advantage).mean() + F.mse_loss(values, ret_t) / ret_t.var().clamp_min(1.0)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()

    if update % args.eval_every == 0:
        checkpoints.validate(model, steps, clock, label=f"update {update} ({steps} steps)")
train_time = clock.seconds
model.load_state_dict(checkpoints.state)

hidden = model.policy[0].out_features
save_agent(
    model, args, checkpoints=checkpoints, wall_time_s=train_time, target=500, episodes=10 if args.quick else 100,
    description=f"The book's policy-gradient agent for CartPole-v1 (ch. 13): REINFORCE with a baseline. A "
    f"4-{hidden}-2 policy network and a separate 4-{hidden}-1 value network (the baseline); each update "
    f"uses {args.episodes_per_update} episodes of the stochastic policy, discounted returns-to-go (gamma "
    f"{args.gamma}; an episode cut off at 500 steps continues in the value estimate), advantages normalised "
    f"per batch, Adam {args.lr:g}; {args.updates} updates. The checkpoint shipped is the last with the best "
    "validation return (on 100 validation episodes once 20 give 475 or more). Wall time counts training only, "
    "not the validation episodes.",
)
