"""Experience replay for the value-based agents (ch. 13): one ring buffer of transitions in preallocated numpy
arrays, sampled uniformly with the caller's numpy Generator, so that a script's random stream stays its own.

    buffer = ReplayBuffer(50_000, obs_shape=(4,))
    buffer.add(obs, action, reward, next_obs, terminated)
    batch = buffer.sample(64, rng)          # obs, actions, rewards, next_obs, dones: torch tensors

With `frame_stack=True` (stacked Atari frames, uint8) a transition keeps its stack once and only the newest
frame of the next observation, whose stack is the current one shifted by a frame: half the memory.
`sample_sequences` draws windows of consecutive transitions, for recurrent Q-networks.
`PrioritizedReplayBuffer` samples transitions in proportion to their last TD error (Schaul et al., 2016).
"""
from __future__ import annotations

import numpy as np
import torch


def linear_schedule(start: float, end: float, duration: float, t: float) -> float:
    """From `start` at t = 0 to `end` at t = `duration`, then `end` (e.g. epsilon of epsilon-greedy)."""
    if start >= end:
        return max(end, start - (start - end) * t / duration)
    return min(end, start + (end - start) * t / duration)


class ReplayBuffer:
    def __init__(self, capacity: int, obs_shape: tuple, obs_dtype=np.float32, frame_stack: bool = False):
        if capacity < 1:
            raise ValueError(f"a replay buffer needs a capacity of at least 1, got {capacity}")
        self.capacity, self.frame_stack, self.added = capacity, frame_stack, 0
        self.obs = np.zeros((capacity, *obs_shape), obs_dtype)
        self.next_obs = np.zeros((capacity, *(obs_shape[1:] if frame_stack else obs_shape)), obs_dtype)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.dones = np.zeros(capacity, np.float32)  # 1 where the episode ended for learning (not truncated)

    def __len__(self) -> int:
        return min(self.added, self.capacity)

    def add(self, obs, action: int, reward: float, next_obs, done: bool) -> None:
        i = self.added % self.capacity
        self.obs[i], self.actions[i], self.rewards[i], self.dones[i] = obs, action, reward, done
        self.next_obs[i] = next_obs[-1] if self.frame_stack else next_obs
        self.added += 1

    def _check_not_empty(self) -> None:
        if not len(self):
            raise ValueError("the replay buffer is empty; add transitions before sampling")

    def _batch(self, idx: np.ndarray, device) -> dict[str, torch.Tensor]:
        obs = torch.from_numpy(self.obs[idx]).to(device).float()
        next_part = torch.from_numpy(self.next_obs[idx]).to(device).float()
        next_obs = torch.cat([obs[..., 1:, :, :], next_part[..., None, :, :]], -3) if self.frame_stack else next_part
        return {"obs": obs, "actions": torch.from_numpy(self.actions[idx]).to(device),
                "rewards": torch.from_numpy(self.rewards[idx]).to(device), "next_obs": next_obs,
                "dones": torch.from_numpy(self.dones[idx]).to(device)}

    def sample(self, batch_size: int, rng: np.random.Generator, device="cpu") -> dict[str, torch.Tensor]:
        """`batch_size` transitions drawn uniformly (with replacement) from those held."""
        self._check_not_empty()
        return self._batch(rng.integers(0, len(self), batch_size), device)

    def sample_sequences(self, batch_size: int, length: int, rng: np.random.Generator, device="cpu"):
        """`batch_size` windows of `length` consecutive transitions, each (B, length, ...), oldest first; a
        window may cross the end of an episode, which its `dones` mark (a recurrent learner resets there)."""
        if len(self) < length:
            raise ValueError(f"the replay buffer holds {len(self)} transitions, fewer than a sequence of {length}")
        oldest = self.added - len(self)  # windows stay within what is held, in the order it was added
        starts = oldest + rng.integers(0, len(self) - length + 1, batch_size)
        idx = (starts[:, None] + np.arange(length)) % self.capacity
        return self._batch(idx, device)


class PrioritizedReplayBuffer(ReplayBuffer):
    """Proportional prioritised replay (Schaul et al., 2016): transition i is drawn with probability
    p_i^alpha / sum_k p_k^alpha, where p_i is its last absolute TD error (a new transition gets the largest
    priority so far, so it is soon replayed), and its loss is weighted by (N P(i))^-beta, divided by
    the batch's largest weight, to undo the bias. A sum tree over the priorities makes sampling and updating
    O(log N). After each update, give the batch's TD errors back with `update_priorities`."""

    def __init__(self, capacity: int, obs_shape: tuple, obs_dtype=np.float32, frame_stack: bool = False,
                 alpha: float = 0.6, eps: float = 1e-6):
        super().__init__(capacity, obs_shape, obs_dtype, frame_stack)
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be between 0 (uniform) and 1 (fully prioritised), got {alpha}")
        self.alpha, self.eps, self.max_priority = alpha, eps, 1.0
        self.leaves = 1 << (capacity - 1).bit_length()  # a power of two; tree[1] is the root, leaf i is tree[leaves + i]
        self.tree = np.zeros(2 * self.leaves, np.float64)

    def _set(self, idx: np.ndarray, priorities: np.ndarray) -> None:
        nodes = idx + self.leaves
        self.tree[nodes] = priorities ** self.alpha
        while nodes[0] > 1:  # every node is at the same depth, so the parents are recomputed level by level
            nodes = np.unique(nodes // 2)
            self.tree[nodes] = self.tree[2 * nodes] + self.tree[2 * nodes + 1]

    def add(self, obs, action: int, reward: float, next_obs, done: bool) -> None:
        i = self.added % self.capacity
        super().add(obs, action, reward, next_obs, done)
        self._set(np.array([i]), np.array([self.max_priority]))

    def sample(self, batch_size: int, rng: np.random.Generator, device="cpu", beta: float = 0.4) -> dict[str, torch.Tensor]:
        """`batch_size` transitions, one from each of `batch_size` equal slices of the total priority, with
        their importance-sampling `weights` and their buffer `indices` (for `update_priorities`)."""
        self._check_not_empty()
        total = self.tree[1]
        mass = (np.arange(batch_size) + rng.random(batch_size)) * (total / batch_size)
        nodes = np.ones(batch_size, np.int64)
        while nodes[0] < self.leaves:  # walk down: left if the mass lies in the left subtree, else right
            left = 2 * nodes
            right = mass >= self.tree[left]
            mass = np.where(right, mass - self.tree[left], mass)
            nodes = np.where(right, left + 1, left)
        idx = np.minimum(nodes - self.leaves, len(self) - 1)  # rounding can step past the last held transition
        probability = self.tree[idx + self.leaves] / total
        weights = (len(self) * probability) ** -beta
        batch = self._batch(idx, device)
        batch["weights"] = torch.from_numpy((weights / weights.max()).astype(np.float32)).to(device)
        batch["indices"] = idx
        return batch

    def update_priorities(self, indices: np.ndarray, td_errors: np.ndarray) -> None:
        priorities = np.abs(td_errors) + self.eps
        self.max_priority = max(self.max_priority, float(priorities.max()))
        order = np.argsort(indices, kind="stable")  # one priority per index: the last given for a repeated one
        indices, priorities = indices[order], priorities[order]
        last = np.append(indices[1:] != indices[:-1], True)
        self._set(indices[last], priorities[last])
