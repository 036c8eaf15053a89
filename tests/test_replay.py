"""The RL toolkit the value-based agents share: replay buffer, schedule and training clock."""
import time

import numpy as np
import pytest
import torch

from zoo.replay import PrioritizedReplayBuffer, ReplayBuffer, linear_schedule
from zoo.training import TrainingClock


def test_buffer_keeps_the_newest_transitions_and_samples_them_whole():
    buffer = ReplayBuffer(5, obs_shape=(2,))
    for t in range(8):  # the first three are overwritten
        buffer.add(np.array([t, -t]), t % 2, float(t), np.array([t + 1, -t - 1]), t == 7)
    assert len(buffer) == 5 and buffer.added == 8
    b = buffer.sample(64, np.random.default_rng(0))
    assert set(b["obs"][:, 0].tolist()) == {3.0, 4.0, 5.0, 6.0, 7.0}
    assert torch.equal(b["next_obs"], b["obs"] + torch.tensor([1.0, -1.0]))
    assert torch.equal(b["rewards"], b["obs"][:, 0]) and torch.equal(b["actions"], b["obs"][:, 0].long() % 2)
    assert torch.equal(b["dones"], (b["obs"][:, 0] == 7).float())
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(3, (2,)).sample(1, np.random.default_rng(0))


def test_stacked_frames_are_stored_once_and_rebuilt():
    buffer = ReplayBuffer(10, obs_shape=(4, 3, 3), obs_dtype=np.uint8, frame_stack=True)
    frames = [np.full((3, 3), t, np.uint8) for t in range(12)]
    for t in range(4, 11):
        buffer.add(np.stack(frames[t - 4 : t]), 0, 0.0, np.stack(frames[t - 3 : t + 1]), False)
    assert buffer.next_obs.shape == (10, 3, 3)  # one frame per transition, not four
    b = buffer.sample(20, np.random.default_rng(1))
    assert torch.equal(b["next_obs"][:, :3], b["obs"][:, 1:]) and torch.equal(b["next_obs"][:, 3], b["obs"][:, 3] + 1)


def test_sequences_are_consecutive_across_the_ring():
    buffer = ReplayBuffer(6, obs_shape=(1,))
    for t in range(9):
        buffer.add(np.array([t]), 0, 0.0, np.array([t + 1]), t == 5)
    s = buffer.sample_sequences(50, 3, np.random.default_rng(2))
    obs = s["obs"][..., 0]
    assert s["obs"].shape == (50, 3, 1) and obs.min() >= 3
    assert torch.equal(obs[:, 1:] - obs[:, :-1], torch.ones(50, 2))
    assert torch.equal(s["dones"], (obs == 5).float())
    with pytest.raises(ValueError, match="fewer than a sequence of 7"):
        buffer.sample_sequences(1, 7, np.random.default_rng(0))


def test_prioritized_replay_samples_in_proportion_to_priority_and_weights_the_bias_away():
    buffer = PrioritizedReplayBuffer(6, obs_shape=(1,), alpha=1.0, eps=0.0)
    for t in range(4):
        buffer.add(np.array([t]), 0, 0.0, np.array([t + 1]), False)
    assert buffer.tree[1] == 4.0  # new transitions get the largest priority so far (1)
    buffer.update_priorities(np.array([0, 1, 1, 2, 3]), np.array([-1.0, 5.0, 2.0, 3.0, 4.0]))  # index 1: the last given
    assert buffer.max_priority == 5.0 and buffer.tree[1] == 10.0
    b = buffer.sample(10_000, np.random.default_rng(0), beta=1.0)
    drawn = np.bincount(b["indices"], minlength=4) / 10_000
    assert np.allclose(drawn, [0.1, 0.2, 0.3, 0.4], atol=0.01)
    assert torch.equal(b["obs"][:, 0].long(), torch.from_numpy(b["indices"]))
    # beta = 1 undoes the bias fully: weight 1 / (N P(i)), scaled so the largest is 1
    probability = np.array([0.1, 0.2, 0.3, 0.4])[b["indices"]]
    assert torch.allclose(b["weights"], torch.tensor(0.1 / probability, dtype=torch.float32))
    buffer.add(np.array([4]), 0, 0.0, np.array([5]), False)  # a new transition starts at the largest priority, 5
    assert buffer.tree[buffer.leaves + 4] == 5.0 and buffer.tree[1] == 15.0
    with pytest.raises(ValueError, match="alpha must be between 0"):
        PrioritizedReplayBuffer(4, (1,), alpha=1.5)


def test_linear_schedule_runs_from_start_to_end_and_stays():
    assert linear_schedule(1.0, 0.1, 100, 0) == 1.0
    assert linear_schedule(1.0, 0.1, 100, 50) == pytest.approx(0.55)
    assert linear_schedule(1.0, 0.1, 100, 500) == 0.1
    assert linear_schedule(0.0, 2.0, 10, 5) == 1.0 and linear_schedule(0.0, 2.0, 10, 50) == 2.0


def test_training_clock_leaves_out_what_is_paused():
    clock = TrainingClock()
    with clock.paused() as before:
        time.sleep(0.2)
    assert clock.seconds - before < 0.2 and clock.seconds >= before
