"""The reinforcement-learning agents: act on raw observations, pretrained CartPole scores, A3C's workers, zoo play."""
import json
import subprocess
import sys

import numpy as np
import torch
import pytest
from PIL import Image

import zoo
from conftest import REPO
from zoo.rl import (EVAL_SEED_BASE, STICKY_METRIC_NAMES, VALIDATION_SEED_BASE, agent_metrics, evaluate_agent,
                    make_env)

CARTPOLE_AGENTS = ["pg_cartpole", "dqn_cartpole", "a3c_cartpole"]


@pytest.mark.parametrize("name", CARTPOLE_AGENTS)
def test_pretrained_cartpole_agents_balance_the_pole(name):
    result = zoo.evaluate_agent(name, episodes=10, seed=0)
    assert result["mean"] >= 475, result["returns"]
    assert len(result["returns"]) == 10 and result["std"] >= 0


@pytest.mark.parametrize("name", CARTPOLE_AGENTS + ["dqn_breakout"])
def test_act_takes_raw_observations_and_rejects_wrong_shapes(name):
    agent = zoo.create(name).eval()
    env = make_env(agent.env_id)
    obs, _ = env.reset(seed=VALIDATION_SEED_BASE)
    assert env.action_space.contains(agent.act(obs))
    assert env.action_space.contains(agent.act(obs, deterministic=False))
    assert agent.act(np.stack([obs, obs])).shape == (2,)
    with pytest.raises(ValueError, match=r"observations of shape \(.*got \(3,\)"):
        agent.act(np.zeros(3))
    env.close()


def test_atari_agent_acts_on_its_environments_observations_and_refuses_raw_frames():
    agent = zoo.create("dqn_breakout").eval()
    env = make_env(agent.env_id)
    obs, _ = env.reset(seed=0)
    assert np.shape(obs) == (4, 84, 84) and agent.act(obs) in range(4)
    env.close()
    frame = np.random.default_rng(0).integers(0, 256, (210, 160, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"zoo.rl.make_env\('ALE/Breakout-v5'\).*got \(210, 160, 3\)"):
        agent.act(frame)


def _noop_max(env) -> int:
    while not hasattr(env, "noop_max"):
        env = env.env
    return env.noop_max


def test_sticky_action_protocol_repeats_actions_without_noop_starts_and_is_for_atari_only():
    plain, sticky = make_env("ALE/Breakout-v5"), make_env("ALE/Breakout-v5", sticky_actions=True)
    assert (plain.spec.kwargs["repeat_action_probability"], _noop_max(plain)) == (0.0, 30)
    assert (sticky.spec.kwargs["repeat_action_probability"], _noop_max(sticky)) == (0.25, 0)
    assert sticky.action_space.n == 4  # the minimal action set
    with pytest.raises(ValueError, match=r"sticky_actions is a protocol for Atari games \(ALE/...\), not CartPole-v1"):
        make_env("CartPole-v1", sticky_actions=True)
    main = {"mean_return", "std_return", "eval_episodes"}
    metrics, evaluation = agent_metrics(zoo.create("dqn_cartpole").eval(), episodes=1)
    assert set(metrics) == main and metrics["mean_return"] == evaluation["mean"]
    metrics, _ = agent_metrics(zoo.create("dqn_breakout").eval(), episodes=2, max_episode_steps=50)
    assert set(metrics) == main | set(STICKY_METRIC_NAMES) and metrics["std_return_sticky"] >= 0


def test_evaluation_is_seeded_apart_from_training_and_validation():
    assert EVAL_SEED_BASE > VALIDATION_SEED_BASE > 1000  # training scripts seed with small integers
    agent = zoo.create("dqn_cartpole").eval()
    returns = zoo.evaluate_agent(agent, episodes=5, seed=0)["returns"]
    assert returns == zoo.evaluate_agent(agent, episodes=5, seed=0)["returns"]
    assert returns != zoo.evaluate_agent(agent, episodes=5, seed=1)["returns"]


def test_evaluation_seeds_the_agents_random_actions_and_leaves_the_callers_generator_alone():
    agent = zoo.create("dqn_cartpole").eval()
    agent.epsilon = 0.5  # epsilon-greedy play (deterministic=False) with many random actions
    runs = []
    for caller_seed in (1, 2):
        torch.manual_seed(caller_seed)
        state = torch.get_rng_state()
        runs.append(evaluate_agent(agent, episodes=5, seed=0, deterministic=False)["returns"])
        assert torch.equal(torch.get_rng_state(), state)
    assert runs[0] == runs[1]
    assert runs[0] != evaluate_agent(agent, episodes=5, seed=1, deterministic=False)["returns"]


def test_a3c_quick_run_uses_several_processes_on_one_shared_model(tmp_path):
    out, manifest = tmp_path / "a3c_cartpole", tmp_path / "manifest.json"
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "train_a3c_cartpole.py"), "--quick", "--out", str(out),
                        "--manifest", str(manifest)], cwd=REPO, capture_output=True, text=True, check=True)
    main_pid, workers = r.stdout.split("main process ")[1].split(", workers ")
    pids = json.loads(workers.splitlines()[0])
    assert len(set(pids)) == 2 and int(main_pid) not in pids
    metrics = json.loads(manifest.read_text())["models"]["a3c_cartpole"]["metrics"]
    assert metrics["workers"] == 2 and all(n > 0 for n in metrics["updates_by_worker"])  # both updated the shared model
    assert metrics["steps_per_s_1_worker"] > 0 and metrics["steps_per_s_2_workers"] > 0


def test_zoo_play_writes_a_gif(tmp_path):
    gif = tmp_path / "episode.gif"
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "play", "dqn_cartpole", "--episodes", "2", "--gif", str(gif)],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "episode 2: return" in r.stdout and "mean return" in r.stdout
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.is_animated and im.n_frames > 10


def test_zoo_play_refuses_a_model_that_is_not_an_agent(tmp_path):
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "play", "cnn_mnist", "--gif", str(tmp_path / "x.gif")],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode != 0 and "not a reinforcement-learning agent" in r.stderr and "dqn_cartpole" in r.stderr
    assert not (tmp_path / "x.gif").exists()


def test_environment_changes_that_matter_are_named(monkeypatch):
    from zoo import rl

    monkeypatch.setattr(rl, "environment_packages", lambda env_id: {"gymnasium": "1.4.0", "ale-py": "0.12.1"})
    assert rl.environment_changes({"gymnasium": "1.2.0", "ale-py": "0.12.3"}, "ALE/Breakout-v5") == []
    assert rl.environment_changes({"gymnasium": "0.29.1"}, "CartPole-v1") == [
        "gymnasium 0.29.1 (trained) against 1.4.0 (installed)"]
    assert rl.environment_changes({"ale-py": "0.9.0"}, "ALE/Breakout-v5") == [
        "ale-py 0.9.0 (trained) against 0.12.1 (installed)"]


def test_loading_warns_when_the_environment_packages_changed(monkeypatch):
    import warnings

    from zoo import rl

    assert zoo.info("drqn_cartpole_pomdp")["training"]["environment_packages"]["gymnasium"].startswith("1.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zoo.load("drqn_cartpole_pomdp")  # trained with the major version installed here: no warning
    monkeypatch.setattr(rl, "environment_packages", lambda env_id: {"gymnasium": "0.26.3"})
    with pytest.warns(UserWarning, match=r"gymnasium 1\.\S+ \(trained\) against 0\.26\.3 \(installed\)"):
        zoo.load("drqn_cartpole_pomdp")


def test_the_partially_observed_cartpole_hides_the_velocities():
    full, partial = make_env("CartPole-v1"), make_env("zoo/CartPoleNoVelocity-v1")
    stacked = make_env("zoo/CartPoleNoVelocityStack4-v1")
    obs, _ = full.reset(seed=3)
    seen, _ = partial.reset(seed=3)
    stack, _ = stacked.reset(seed=3)
    assert np.array_equal(seen, obs[[0, 2]].astype(np.float32)) and partial.observation_space.shape == (2,)
    assert stack.shape == (4, 2) and (stack == seen).all()  # the first observation repeated at reset
    for action in (1, 0, 1):
        obs, *_ = full.step(action)
        seen, *_ = partial.step(action)
        stack, *_ = stacked.step(action)
    assert np.array_equal(seen, obs[[0, 2]].astype(np.float32)) and np.array_equal(stack[-1], seen)
    import gymnasium

    assert gymnasium.make("zoo/CartPoleNoVelocity-v1").observation_space.shape == (2,)  # registered


def test_fire_on_life_start_serves_every_life_so_a_network_that_never_fires_still_plays():
    from zoo.envs import FireOnLifeStart

    def lives_lost_by_noop(env, steps=200):
        _, info = env.reset(seed=0)
        start = info["lives"]
        for _ in range(steps):
            _, _, terminated, truncated, info = env.step(0)  # NOOP
            if terminated or truncated:
                return start
        return start - info["lives"]

    assert lives_lost_by_noop(make_env("ALE/Breakout-v5")) == 0  # the game waits for FIRE
    assert lives_lost_by_noop(FireOnLifeStart(make_env("ALE/Breakout-v5"))) == 5  # served every life, game over
    with pytest.raises(ValueError, match=r"FireOnLifeStart needs an Atari game with a FIRE action; CartPole-v1 has "
                                         r"none"):
        FireOnLifeStart(make_env("CartPole-v1"))
    from gymnasium.envs.classic_control import CartPoleEnv
    with pytest.raises(ValueError, match=r"CartPoleEnv has none"):  # built by hand, without a spec
        FireOnLifeStart(CartPoleEnv())


def test_drqn_carries_its_state_through_an_episode_and_reset_clears_it():
    agent = zoo.create("drqn_cartpole_pomdp").eval()
    obs = np.array([0.01, -0.02], dtype=np.float32)
    q_fresh = agent.scores(torch.as_tensor(obs)[None]).clone()
    q_next = agent.scores(torch.as_tensor(obs)[None])
    assert not torch.allclose(q_fresh, q_next)  # the same observation, another history
    agent.reset()
    assert torch.allclose(agent.scores(torch.as_tensor(obs)[None]), q_fresh)
    with pytest.raises(ValueError, match="carries state for 1 environments but got 3 observations; call agent.reset"):
        agent.act(np.zeros((3, 2), np.float32))


def test_drqn_predict_follows_sb3s_recurrent_protocol():
    agent = zoo.create("drqn_cartpole_pomdp").eval()
    obs = np.zeros((2, 2), np.float32)
    _, state = agent.predict(obs, episode_start=np.array([True, True]))
    actions, (h, c) = agent.predict(obs, state=state, episode_start=np.array([True, False]))
    _, fresh = agent.predict(obs[:1])
    assert h.shape == (2, agent.lstm.hidden_size) and actions.shape == (2,)
    assert np.allclose(h[0], fresh[0][0]) and not np.allclose(h[1], fresh[0][0])  # env 0 started again
