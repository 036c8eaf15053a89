"""Train drqn_cartpole_pomdp, the book's DRQN (ch. 13), on CartPole seen only through the cart position and
the pole angle (zoo/CartPoleNoVelocity-v1); write its weights, pictures and manifest entry.

    python scripts/train_drqn_cartpole_pomdp.py

DQN's recipe with a recurrent Q-network: the agent acts through its LSTM, carrying the state through
each episode, and stores single transitions in the replay memory. Each update draws windows of
`seq_len` consecutive transitions and runs the online and the target networks along them from a zero
state; the first `burn_in` steps only warm the state up, and the Double DQN Huber loss is taken on the
rest up to the first terminal step of the window (after it the state belongs to the episode before).
A step's next observation is the window's next one, so one pass of each network serves every step; at
a time-limit end, which the memory does not mark, that is the next episode's first observation. Every `eval_every` steps the
greedy policy plays 20 validation episodes; the checkpoint shipped is the last with the best validation
return, judged on 100 validation episodes once 20 give 475 or more.
"""
import copy

import numpy as np
import torch
import torch.nn.functional as F

import zoo
from zoo.replay import ReplayBuffer, linear_schedule
from zoo.rl import make_env
from zoo.rl_training import Checkpoints, save_agent
from zoo.training import TrainingClock, script_parser, setup

NAME = "drqn_cartpole_pomdp"
p = script_parser(NAME, __doc__)
p.add_argument("--total-steps", type=int, default=100_000)
p.add_argument("--buffer-size", type=int, default=100_000)
p.add_argument("--learning-starts", type=int, default=2_000)
p.add_argument("--batch-size", type=int, default=32, help="windows per update")
p.add_argument("--seq-len", type=int, default=16, help="transitions per window, burn-in included")
p.add_argument("--burn-in", type=int, default=4, help="steps of each window that only warm the state up")
p.add_argument("--hidden", type=int, default=64)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--gamma", type=float, default=0.99)
p.add_argument("--train-every", type=int, default=4, help="environment steps between updates")
p.add_argument("--target-every", type=int, default=200, help="updates between target-network copies")
p.add_argument("--eps-start", type=float, default=1.0)
p.add_argument("--eps-end", type=float, default=0.02)
p.add_argument("--eps-fraction", type=float, default=0.2, help="share of training over which epsilon decays")
p.add_argument("--eval-every", type=int, default=2_000)
args = p.parse_args()
setup(args, NAME, cpu_only=True)
torch.set_num_threads(args.threads or 1)  # a small network: one thread is fastest
if args.quick:
    args.total_steps, args.learning_starts, args.eval_every = 600, 200, 300

model = zoo.create(NAME, hidden=args.hidden)
env, val_env = make_env(model.env_id), make_env(model.env_id)
target = copy.deepcopy(model)
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
rng = np.random.default_rng(args.seed)
buffer = ReplayBuffer(args.buffer_size, obs_shape=model.obs_shape)
learned = torch.arange(args.seq_len) >= args.burn_in  # the steps of a window that carry a loss

checkpoints = Checkpoints(val_env, confirm_at=475)
updates = 0
obs, _ = env.reset(seed=args.seed)
model.reset()
clock = TrainingClock()
for step in range(1, args.total_steps + 1):
    eps = linear_schedule(args.eps_start, args.eps_end, args.eps_fraction * args.total_steps, step)
    greedy = model.act(obs)  # always, so the LSTM state follows the episode
    action = int(rng.integers(2)) if rng.random() < eps else greedy
    next_obs, reward, terminated, truncated, _ = env.step(action)
    buffer.add(obs, action, reward, next_obs, terminated)
    obs = next_obs
    if terminated or truncated:
        obs, _ = env.reset()
        model.reset()

    if step > args.learning_starts and step % args.train_every == 0:
        b = buffer.sample_sequences(args.batch_size, args.seq_len, rng)
        # the window's observations and its last next observation: step t's next observation is t + 1
        seq = torch.cat([b["obs"], b["next_obs"][:, -1:]], 1)
        q_all, _ = model(seq)
        with torch.no_grad():
            next_q = target(seq)[0][:, 1:].gather(2, q_all[:, 1:].argmax(2, keepdim=True)).squeeze(2)
            y = b["rewards"] + args.gamma * (1 - b["dones"]) * next_q
        q = q_all[:, :-1].gather(2, b["actions"][..., None]).squeeze(2)
        same_episode = (b["dones"].cumsum(1) - b["dones"]) == 0  # no terminal step earlier in the window
        counted = learned & same_episode
        loss = F.smooth_l1_loss(q[counted], y[counted])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        updates += 1
        if updates % args.target_every == 0:
            target.load_state_dict(model.state_dict())

    if step % args.eval_every == 0:
        checkpoints.validate(model, step, clock, note=f"epsilon {eps:.2f}")
        model.reset()  # validation played episodes of its own; the training episode's state is lost
train_time = clock.seconds
model.load_state_dict(checkpoints.state)

save_agent(
    model, args, checkpoints=checkpoints, wall_time_s=train_time, target=500, episodes=10 if args.quick else 100,
    description=f"DRQN on CartPole-v1 seen only through the cart position and the pole angle "
    f"(`{model.env_id}`, velocities hidden; ch. 13): a 2-{args.hidden} ReLU encoder, an LSTM of "
    f"{args.hidden} and a linear head for 2 Q-values. Experience replay ({args.buffer_size:,} transitions) "
    f"sampled as {args.batch_size} windows of {args.seq_len} consecutive steps per update, the first "
    f"{args.burn_in} of each only warming up the LSTM state from zero and no loss after a terminal step; Double DQN targets from a target network "
    f"copied every {args.target_every} updates, Huber loss, Adam ({args.lr:g}), gamma {args.gamma}, one update "
    f"every {args.train_every} steps; epsilon-greedy exploration decaying from {args.eps_start} to "
    f"{args.eps_end} over the first {args.eps_fraction:.0%} of {args.total_steps:,} steps. The checkpoint "
    "shipped is the last with the best validation return (on 100 validation episodes once 20 give 475 or "
    "more). Wall time counts training only, not the validation episodes.\n\n"
    "Against it, measured by `scripts/bench_drqn_cartpole_pomdp.py`, dqn_cartpole's recipe on the same "
    "observations, the newest alone and the last four stacked.",
)
