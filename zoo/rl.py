"""The agents' environments, and evaluation episodes with seeds that training never uses.

Evaluation episode i of `evaluate_agent(..., seed=s)` resets its environment with seed
EVAL_SEED_BASE + 1000 * s + i; training scripts seed their environments below EVAL_SEED_BASE, and the
validation they do while training uses VALIDATION_SEED_BASE and up, so evaluation seeds are never
training seeds.
"""
from __future__ import annotations

import warnings

import torch

EVAL_SEED_BASE = 1_000_000
VALIDATION_SEED_BASE = 500_000
STICKY_PROBABILITY = 0.25  # ALE v5's default repeat_action_probability


def environment_packages(env_id: str) -> dict[str, str]:
    """The installed versions of the packages that simulate `env_id`: gymnasium, and ale-py for Atari games.
    Training records them; loading compares (`warn_on_environment_change`)."""
    from importlib.metadata import PackageNotFoundError, version

    names = ["gymnasium"] + (["ale-py"] if env_id.startswith("ALE/") else [])
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _release(text: str, parts: int) -> tuple:
    return tuple(text.split("+")[0].split(".")[:parts])


def environment_changes(recorded: dict[str, str], env_id: str) -> list[str]:
    """The differences, between the packages an agent was trained with and those installed, that are known
    to change its scores: another major version of gymnasium (1.0 changed resets, autoreset and several
    environments' dynamics), or another minor version of ale-py (its releases change the emulator's game
    versions and defaults)."""
    installed = environment_packages(env_id)
    parts = {"gymnasium": 1, "ale-py": 2}
    return [f"{name} {was} (trained) against {installed.get(name)} (installed)"
            for name, was in recorded.items() if name in parts
            and _release(was, parts[name]) != _release(installed.get(name, "not installed"), parts[name])]


def warn_on_environment_change(key: str, recorded: dict[str, str], env_id: str) -> None:
    changes = environment_changes(recorded, env_id)
    if changes:
        warnings.warn(f"{key} was trained and evaluated with other versions of its environment's packages: "
                      f"{'; '.join(changes)}. Its recorded returns may not hold here.", stacklevel=3)


def make_env(env_id: str, render_mode: str | None = None, max_episode_steps: int | None = None,
             sticky_actions: bool = False):
    """The environment an agent was trained on: CartPole-v1 as it is, or partially observed (`zoo.envs`); Atari games without frame skip or
    sticky actions in the emulator, then gymnasium's Atari preprocessing (frame skip 4 with max-pooling,
    up to 30 no-op starts, 84x84 grey) and a stack of the last 4 frames. `max_episode_steps` shortens
    episodes (for quick tests). `sticky_actions=True` gives an Atari game under the protocol of Machado et al.
    (2018) that ALE v5 made standard: each emulator frame repeats the previous action with probability 0.25,
    and there are no no-op starts (the minimal action set, as always)."""
    import gymnasium as gym

    if sticky_actions and not env_id.startswith("ALE/"):
        raise ValueError(f"sticky_actions is a protocol for Atari games (ALE/...), not {env_id}")
    if env_id.startswith("zoo/"):
        from .envs import register

        register()
    if not env_id.startswith("ALE/"):
        return gym.make(env_id, render_mode=render_mode, max_episode_steps=max_episode_steps)
    import ale_py

    gym.register_envs(ale_py)
    env = gym.make(env_id, frameskip=1, repeat_action_probability=STICKY_PROBABILITY if sticky_actions else 0.0,
                   full_action_space=False, render_mode=render_mode,
                   max_episode_steps=max_episode_steps and 4 * max_episode_steps)
    env = gym.wrappers.AtariPreprocessing(env, frame_skip=4, noop_max=0 if sticky_actions else 30, screen_size=84,
                                          grayscale_obs=True)
    return gym.wrappers.FrameStackObservation(env, 4)


def run_episode(agent, env, seed: int, frames: list | None = None, deterministic: bool | None = None) -> float:
    """One episode of `agent` in `env`; its return. With `frames`, the rendered frames are appended.
    `deterministic=None` follows the agent's evaluation protocol (`agent.greedy_evaluation`)."""
    deterministic = agent.greedy_evaluation if deterministic is None else deterministic
    obs, _ = env.reset(seed=seed)
    agent.reset()
    total, done = 0.0, False
    while not done:
        if frames is not None:
            frames.append(env.render())
        obs, reward, terminated, truncated, _ = env.step(agent.act(obs, deterministic=deterministic))
        total += float(reward)
        done = terminated or truncated
    return total


def evaluate_agent(agent, episodes: int = 100, seed: int = 0, deterministic: bool | None = None,
                   max_episode_steps: int | None = None, sticky_actions: bool = False) -> dict:
    """Mean, standard deviation and per-episode returns of an agent (a name or a model) over `episodes`
    episodes seeded EVAL_SEED_BASE + 1000 * seed + i, acting as its evaluation protocol says (greedy,
    or epsilon-greedy for the Atari agent) unless `deterministic` is given. Each episode's seed seeds both
    the environment and the agent's random actions, so the figures do not depend on what ran before. `sticky_actions=True` plays an
    Atari agent's game under the sticky-action protocol (`make_env`)."""
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be a whole number of at least 1, got {episodes!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1_000_000:
        raise ValueError(f"seed must be a whole number from 0 to 999,999 (episode i is seeded "
                         f"{EVAL_SEED_BASE:,} + 1000 * seed + i, above every training seed), got {seed!r}")
    if isinstance(agent, str):
        from . import load
        from .registry import get_spec, list_names

        if not get_spec(agent).can("play"):
            raise TypeError(f"{agent} is not a reinforcement-learning agent; agents: {', '.join(list_names(capability='play'))}")
        agent = load(agent)
    if not hasattr(agent, "act") or not hasattr(agent, "env_id"):
        raise TypeError(f"evaluate_agent needs an agent (a model with act() and env_id), got {type(agent).__name__}")
    env = make_env(agent.env_id, max_episode_steps=max_episode_steps, sticky_actions=sticky_actions)
    returns = []
    for i in range(episodes):
        episode_seed = EVAL_SEED_BASE + 1000 * seed + i
        with torch.random.fork_rng(devices=[]):  # the agent's own random actions are seeded too, apart from the caller's
            torch.manual_seed(episode_seed)
            returns.append(run_episode(agent, env, episode_seed, deterministic=deterministic))
    env.close()
    r = torch.tensor(returns, dtype=torch.float64)
    return {"mean": r.mean().item(), "std": r.std(unbiased=False).item(), "episodes": episodes, "seed": seed,
            "returns": returns}


STICKY_METRIC_NAMES = {"mean_return_sticky": "Mean return, sticky actions (0.25) and no no-op starts",
                       "std_return_sticky": "Standard deviation of return, sticky actions"}


def agent_metrics(agent, episodes: int, max_episode_steps: int | None = None) -> tuple[dict, dict]:
    """A published agent's figures, keyed as in its record: mean and standard deviation of return over
    `episodes` evaluation episodes (seed 0), and for an Atari agent the same under the sticky-action protocol
    (STICKY_METRIC_NAMES), on the same seeds. Also returns the main evaluation, for the card's table."""
    evaluation = evaluate_agent(agent, episodes=episodes, seed=0, max_episode_steps=max_episode_steps)
    metrics = {"mean_return": evaluation["mean"], "std_return": evaluation["std"], "eval_episodes": episodes}
    if agent.env_id.startswith("ALE/"):
        sticky = evaluate_agent(agent, episodes=episodes, seed=0, max_episode_steps=max_episode_steps, sticky_actions=True)
        metrics |= {"mean_return_sticky": sticky["mean"], "std_return_sticky": sticky["std"]}
    return metrics, evaluation
