"""The book's reinforcement-learning agents (ch. 13): small networks with an `act` method.

    agent = zoo.load("dqn_cartpole")
    action = agent.act(obs)                       # one raw gymnasium observation -> one action
    actions = agent.act(batch_of_obs)             # (N, *obs_shape) -> N actions
    agent.act(obs, deterministic=False)           # explore: sample the policy (epsilon-greedy for DQN)

Each agent acts on the observations of `zoo.rl.make_env(agent.env_id)`, the environment it was trained
in: for the Atari agent, that is gymnasium's AtariPreprocessing (84x84 grey, frame skip 4) and a stack
of the last 4 frames, (4, 84, 84) uint8. Call `agent.reset()` at the start of each episode.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..registry import register_model


class Agent(nn.Module):
    env_id: str
    obs_shape: tuple
    greedy_evaluation = True  # False: evaluated with `act(..., deterministic=False)`

    def scores(self, obs: torch.Tensor) -> torch.Tensor:
        """Action preferences (logits or Q-values), (N, actions), for a batch of float observations."""
        raise NotImplementedError

    def explore(self, scores: torch.Tensor) -> torch.Tensor:
        """Actions drawn for exploration from the scores of a batch."""
        return torch.distributions.Categorical(logits=scores).sample()

    def observations(self, obs) -> torch.Tensor:
        """A batch (N, *obs_shape) of float observations, with a clear error for anything else."""
        x = torch.as_tensor(np.asarray(obs), dtype=torch.float32)
        if tuple(x.shape) == self.obs_shape:
            x = x[None]
        if x.ndim != len(self.obs_shape) + 1 or tuple(x.shape[1:]) != self.obs_shape:
            raise ValueError(f"{type(self).__name__} acts on observations of shape {self.obs_shape} from "
                             f"zoo.rl.make_env({self.env_id!r}), or a batch of shape "
                             f"(N, {', '.join(map(str, self.obs_shape))}); got {tuple(x.shape)}")
        if not torch.isfinite(x).all():
            raise ValueError("observations contain NaN or infinite values")
        return x

    @torch.no_grad()
    def act(self, obs, deterministic: bool = True):
        """The action for one observation (an int), or for a batch (an int array)."""
        single = np.ndim(obs) == len(self.obs_shape)
        x = self.observations(obs).to(next(self.parameters()).device)
        scores = self.scores(x)
        actions = (scores.argmax(1) if deterministic else self.explore(scores)).cpu()
        return int(actions[0]) if single else actions.numpy()

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """Stable-Baselines3's policy interface: (actions, state) for a batch of observations, so that its
        `evaluate_policy` and RL Zoo-style tools use a zoo agent as they are. These agents keep no state."""
        return np.asarray(self.act(observation, deterministic=deterministic)), state

    def reset(self) -> None:
        """Start of an episode: forget any state kept between calls (none for these feed-forward agents)."""


def mlp(sizes) -> nn.Sequential:
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class CartPoleAgent(Agent):
    env_id, obs_shape = "CartPole-v1", (4,)


class PolicyGradientAgent(CartPoleAgent):
    """REINFORCE with a baseline: a policy network and a separate state-value network (the baseline)."""

    def __init__(self, hidden: int):
        super().__init__()
        self.policy = mlp([4, hidden, 2])
        self.value = mlp([4, hidden, 1])

    def scores(self, obs):
        return self.policy(obs)


class ActorCriticAgent(CartPoleAgent):
    """A3C's actor-critic: one trunk, a policy head (logits) and a value head."""

    def __init__(self, hidden: int):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(4, hidden), nn.ReLU())
        self.policy = nn.Linear(hidden, 2)
        self.value = nn.Linear(hidden, 1)

    def forward(self, obs):
        h = self.trunk(obs)
        return self.policy(h), self.value(h).squeeze(1)

    def scores(self, obs):
        return self.policy(self.trunk(obs))


class QAgent(Agent):
    """Acts greedily on Q-values; `deterministic=False` is epsilon-greedy with `epsilon`."""

    epsilon = 0.05

    def forward(self, obs):
        return self.scores(obs)

    def explore(self, scores):
        random = torch.randint(scores.shape[1], (len(scores),), device=scores.device)
        return torch.where(torch.rand(len(scores), device=scores.device) < self.epsilon, random, scores.argmax(1))


class CartPoleDQN(QAgent, CartPoleAgent):
    def __init__(self, hidden: int):
        super().__init__()
        self.q = mlp([4, hidden, hidden, 2])

    def scores(self, obs):
        return self.q(obs)


class StackedPositionsDQN(QAgent):
    """dqn_cartpole's Q-network on CartPole without velocities, seeing the last `stack` observations at once
    (a baseline for the DRQN: memory by stacking, not by recurrence)."""

    __jit_ignored_attributes__ = ["env_id", "obs_shape"]  # set per instance here; TorchScript needs no env

    def __init__(self, hidden: int, stack: int):
        super().__init__()
        if stack not in (1, 4):
            raise ValueError(f"stack must be 1 (the newest observation) or 4 (the last four), got {stack!r}")
        self.env_id = "zoo/CartPoleNoVelocity-v1" if stack == 1 else "zoo/CartPoleNoVelocityStack4-v1"
        self.obs_shape = (2,) if stack == 1 else (4, 2)
        self.q = mlp([2 * stack, hidden, hidden, 2])

    def scores(self, obs):
        return self.q(obs.flatten(1))


class RecurrentQAgent(QAgent):
    """The book's DRQN (ch. 13): Q-values from an LSTM over the observations so far, for a game the agent
    cannot see whole. `act` carries the LSTM state from call to call (one state per environment of a
    batch); `reset()` clears it, at the start of each episode."""

    env_id, obs_shape = "zoo/CartPoleNoVelocity-v1", (2,)

    def __init__(self, hidden: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(2, hidden), nn.ReLU())
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)
        self.state = None

    def forward(self, obs: torch.Tensor, state=None):
        """Q-values (B, T, actions) along observation sequences (B, T, 2), from `state` ((h, c), each
        (B, hidden); zeros if None), and the state after them."""
        out, (h, c) = self.lstm(self.encoder(obs), None if state is None else (state[0][None], state[1][None]))
        return self.head(out), (h[0], c[0])

    def scores(self, obs):
        if self.state is not None and len(self.state[0]) != len(obs):
            raise ValueError(f"the agent carries state for {len(self.state[0])} environments but got "
                             f"{len(obs)} observations; call agent.reset() when the batch changes")
        q, self.state = self(obs[:, None], state=self.state)
        return q[:, 0]

    def reset(self) -> None:
        """Start of an episode: forget the observations seen so far."""
        self.state = None

    @torch.no_grad()
    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        """Stable-Baselines3's recurrent-policy interface: the LSTM state travels in and out as
        (h, c) numpy arrays of shape (N, hidden), zeroed where `episode_start` is true."""
        x = self.observations(observation)
        device = next(self.parameters()).device
        if state is not None:
            state = tuple(torch.as_tensor(np.asarray(s), dtype=torch.float32, device=device) for s in state)
        if state is not None and episode_start is not None:
            keep = 1 - torch.as_tensor(np.asarray(episode_start, dtype=np.float32).reshape(-1, 1), device=device)
            state = (state[0] * keep, state[1] * keep)
        q, (h, c) = self(x.to(device)[:, None], state)
        actions = q[:, 0].argmax(1) if deterministic else self.explore(q[:, 0])
        return actions.cpu().numpy(), (h.cpu().numpy(), c.cpu().numpy())


class DuelingHead(nn.Module):
    """The dueling architecture (Wang et al., 2016): a state value and action advantages from two streams,
    Q(s, a) = V(s) + A(s, a) - mean over a' of A(s, a'), so that V and A are identifiable."""

    def __init__(self, in_features: int, hidden: int, num_actions: int):
        super().__init__()
        self.value = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.advantage = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_actions))

    def forward(self, x):
        advantage = self.advantage(x)
        return self.value(x) + advantage - advantage.mean(1, keepdim=True)


class AtariDQN(QAgent):
    """The Nature-DQN network on four stacked 84x84 grey frames (uint8 values as floats), as
    `zoo.rl.make_env("ALE/Breakout-v5")` gives them."""

    env_id, obs_shape = "ALE/Breakout-v5", (4, 84, 84)
    greedy_evaluation = False  # evaluated epsilon-greedy (0.05), as in the Nature paper: a purely greedy
    # agent can wait forever without pressing FIRE

    def __init__(self, num_actions: int, dueling: bool = False):
        super().__init__()
        head = ([DuelingHead(64 * 7 * 7, 256, num_actions)] if dueling
                else [nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, num_actions)])
        self.q = nn.Sequential(
            nn.Conv2d(4, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten(), *head,
        )

    def scores(self, obs):
        return self.q(obs / 255.0)


@register_model(task="reinforcement-learning", dataset="CartPole-v1", chapter=13, capabilities=("play",))
def pg_cartpole(hidden: int = 128):
    """The book's policy-gradient pole balancer: REINFORCE with a learned state-value baseline."""
    return PolicyGradientAgent(hidden)


@register_model(task="reinforcement-learning", dataset="CartPole-v1", chapter=13, capabilities=("play",))
def dqn_cartpole(hidden: int = 128):
    """DQN (experience replay, target network, epsilon-greedy) with an MLP Q-network."""
    return CartPoleDQN(hidden)


@register_model(task="reinforcement-learning", dataset="zoo/CartPoleNoVelocity-v1", chapter=13,
                capabilities=("play",))
def drqn_cartpole_pomdp(hidden: int = 64):
    """DRQN: a recurrent (LSTM) Q-network for CartPole seen only through the cart position and the pole
    angle (`zoo/CartPoleNoVelocity-v1`), trained on sequences from the replay memory."""
    return RecurrentQAgent(hidden)


@register_model(task="reinforcement-learning", dataset="zoo/CartPoleNoVelocity-v1", chapter=13,
                capabilities=("play",))
def dqn_cartpole_pomdp(hidden: int = 128, stack: int = 1):
    """A baseline for drqn_cartpole_pomdp (no published weights): dqn_cartpole's Q-network on the same
    partial observations, the newest one (`stack=1`) or the last four (`stack=4`)."""
    return StackedPositionsDQN(hidden, stack)


@register_model(task="reinforcement-learning", dataset="CartPole-v1", chapter=13, capabilities=("play",))
def a3c_cartpole(hidden: int = 128):
    """A3C's actor-critic, trained by asynchronous worker processes on one shared model."""
    return ActorCriticAgent(hidden)


@register_model(task="reinforcement-learning", dataset="ALE/Breakout-v5", chapter=13, capabilities=("play",))
def dqn_breakout(num_actions: int = 4, dueling: bool = False):
    """The book's Atari DQN (the Nature-DQN network) for Breakout; `dueling=True` ends it in a dueling head
    of two 256-unit streams, which keeps the parameter count of the 512-unit Q head."""
    return AtariDQN(num_actions, dueling)
