"""Experience replay for the value-based agents (ch. 13): one ring buffer of transitions in preallocated numpy
arrays, sampled uniformly with the caller's numpy Generator, so that a script's random stream stays its own.

    buffer = ReplayBuffer(50_000, obs_shape=(4,))
    buffer.add(obs, action, reward, next_obs, terminated)
    batch = buffer.sample(64, rng)          # obs, actions, rewards, next_obs, dones: torch tensors

With `frame_stack=True` (stacked Atari frames, uint8) a transition keeps its stack once and only the newest
frame of the next observation, whose stack is the current one shifted by a frame: half the memory.
`sample_sequences` draws windows of consecutive transitions, for recurrent Q-networks.
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

    def _batch(self, idx: np.ndarray, device) -> dict[str, torch.Tensor]:
        obs = torch.from_numpy(self.obs[idx]).to(device).float()
        next_part = torch.from_numpy(self.next_obs[idx]).to(device).float()
        next_obs = torch.cat([obs[..., 1:, :, :], next_part[..., None, :, :]], -3) if self.frame_stack else next_part
        return {"obs": obs, "actions": torch.from_numpy(self.actions[idx]).to(device),
                "rewards": torch.from_numpy(self.rewards[idx]).to(device), "next_obs": next_obs,
                "dones": torch.from_numpy(self.dones[idx]).to(device)}

    def sample(self, batch_size: int, rng: np.random.Generator, device="cpu") -> dict[str, torch.Tensor]:
        """`batch_size` transitions drawn uniformly (with replacement) from those held."""
        if not len(self):
            raise ValueError("the replay buffer is empty; add transitions before sampling")
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
