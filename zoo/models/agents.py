"""The book's reinforcement-learning agents (ch. 13): small networks with an `act` method.

    agent = zoo.load("dqn_cartpole")
    action = agent.act(obs)                       # one raw gymnasium observation -> one action
    actions = agent.act(batch_of_obs)             # (N, *obs_shape) -> N actions
    agent.act(obs, deterministic=False)           # explore: sample the policy (epsilon-greedy for DQN)

The Atari agent takes raw RGB frames (210, 160, 3) and does its own preprocessing (grey, 84x84) and
frame stacking; call `agent.reset()` at the start of each episode. It also takes observations that are
already preprocessed and stacked, (4, 84, 84), as its training environment gives them.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

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
            raise ValueError(f"{type(self).__name__} acts on {self.env_id} observations of shape {self.obs_shape}, "
                             f"or a batch of shape (N, {', '.join(map(str, self.obs_shape))}); got {tuple(x.shape)}")
        return x

    @torch.no_grad()
    def act(self, obs, deterministic: bool = True):
        """The action for one observation (an int), or for a batch (an int array)."""
        single = np.ndim(obs) == len(self.obs_shape)
        x = self.observations(obs).to(next(self.parameters()).device)
        scores = self.scores(x)
        actions = (scores.argmax(1) if deterministic else self.explore(scores)).cpu()
        return int(actions[0]) if single else actions.numpy()

    def reset(self) -> None:
        """Forget the past frames at the start of an episode (only the Atari agent keeps any)."""


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


class AtariDQN(QAgent):
    """The Nature-DQN network on four stacked 84x84 grey frames (uint8 values as floats)."""

    env_id, obs_shape = "ALE/Breakout-v5", (4, 84, 84)
    greedy_evaluation = False  # evaluated epsilon-greedy (0.05), as in the Nature paper: a purely greedy
    # agent can wait forever without pressing FIRE

    def __init__(self, num_actions: int):
        super().__init__()
        self.q = nn.Sequential(
            nn.Conv2d(4, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, num_actions),
        )
        self.frames: deque = deque(maxlen=4)

    def scores(self, obs):
        return self.q(obs / 255.0)

    def reset(self):
        self.frames.clear()

    def observations(self, obs):
        if np.ndim(obs) == 3 and np.shape(obs)[-1] == 3:  # a raw RGB frame: preprocess and stack
            frame = preprocess_frame(obs)
            if not self.frames:
                self.frames.extend([frame] * 4)
            self.frames.append(frame)
            obs = np.stack(self.frames)
        return super().observations(obs)


def preprocess_frame(rgb) -> np.ndarray:
    """A (210, 160, 3) RGB frame as an (84, 84) uint8 grey image (luma weights, area resize)."""
    grey = torch.as_tensor(np.asarray(rgb), dtype=torch.float32) @ torch.tensor([0.299, 0.587, 0.114])
    small = F.interpolate(grey[None, None], size=(84, 84), mode="area")[0, 0]
    return small.round().clamp(0, 255).to(torch.uint8).numpy()


@register_model(task="reinforcement-learning", dataset="CartPole-v1", chapter=13)
def pg_cartpole(hidden: int = 128):
    """The book's policy-gradient pole balancer: REINFORCE with a learned state-value baseline."""
    return PolicyGradientAgent(hidden)


@register_model(task="reinforcement-learning", dataset="CartPole-v1", chapter=13)
def dqn_cartpole(hidden: int = 128):
    """DQN (experience replay, target network, epsilon-greedy) with an MLP Q-network."""
    return CartPoleDQN(hidden)


@register_model(task="reinforcement-learning", dataset="CartPole-v1", chapter=13)
def a3c_cartpole(hidden: int = 128):
    """A3C's actor-critic, trained by asynchronous worker processes on one shared model."""
    return ActorCriticAgent(hidden)


@register_model(task="reinforcement-learning", dataset="ALE/Breakout-v5", chapter=13)
def dqn_breakout(num_actions: int = 4):
    """The book's Atari DQN (the Nature-DQN network) for Breakout."""
    return AtariDQN(num_actions)
