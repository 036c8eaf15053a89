"""Environments, evaluation and pictures for the reinforcement-learning agents.

Evaluation episode i of `evaluate_agent(..., seed=s)` resets its environment with seed
EVAL_SEED_BASE + 1000 * s + i; training scripts seed their environments below EVAL_SEED_BASE, and the
validation they do while training uses VALIDATION_SEED_BASE and up, so evaluation seeds are never
training seeds.
"""
from __future__ import annotations

import copy
import io

import torch

EVAL_SEED_BASE = 1_000_000
VALIDATION_SEED_BASE = 500_000


def make_env(env_id: str, render_mode: str | None = None, max_episode_steps: int | None = None):
    """The environment an agent was trained on: CartPole-v1 as it is; Atari games without frame skip or
    sticky actions in the emulator, then gymnasium's Atari preprocessing (frame skip 4 with max-pooling,
    up to 30 no-op starts, 84x84 grey) and a stack of the last 4 frames. `max_episode_steps` shortens
    episodes (for quick tests)."""
    import gymnasium as gym

    if not env_id.startswith("ALE/"):
        return gym.make(env_id, render_mode=render_mode, max_episode_steps=max_episode_steps)
    import ale_py

    gym.register_envs(ale_py)
    env = gym.make(env_id, frameskip=1, repeat_action_probability=0.0, render_mode=render_mode,
                   max_episode_steps=max_episode_steps and 4 * max_episode_steps)
    env = gym.wrappers.AtariPreprocessing(env, frame_skip=4, noop_max=30, screen_size=84, grayscale_obs=True)
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
                   max_episode_steps: int | None = None) -> dict:
    """Mean, standard deviation and per-episode returns of an agent (a name or a model) over `episodes`
    episodes seeded EVAL_SEED_BASE + 1000 * seed + i, acting as its evaluation protocol says (greedy,
    or epsilon-greedy for the Atari agent) unless `deterministic` is given."""
    if isinstance(agent, str):
        from . import load

        agent = load(agent)
    env = make_env(agent.env_id, max_episode_steps=max_episode_steps)
    returns = [run_episode(agent, env, EVAL_SEED_BASE + 1000 * seed + i, deterministic=deterministic)
               for i in range(episodes)]
    env.close()
    r = torch.tensor(returns, dtype=torch.float64)
    return {"mean": r.mean().item(), "std": r.std(unbiased=False).item(), "episodes": episodes, "seed": seed,
            "returns": returns}


def gif_bytes(frames: list, every: int = 2, width: int = 300, fps: int = 25) -> bytes:
    """An animated GIF of RGB frames (every `every`-th one, scaled to `width` pixels wide)."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames[::every]]
    height = round(images[0].height * width / images[0].width)
    images = [im.resize((width, height)) for im in images]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    return buf.getvalue()


def learning_curve(steps, returns, title: str, target: float | None = None, size=(480, 300)):
    """A PIL line chart of evaluation return against environment steps."""
    from PIL import Image, ImageDraw

    w, h = size
    left, right, top, bottom = 48, 30, 24, 28
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.text((left, 4), title, fill="black")
    x_max = max(max(steps), 1)
    y_max = max(max(returns), target or 0, 1)

    def xy(x, y):
        return left + (w - left - right) * x / x_max, h - bottom - (h - top - bottom) * y / y_max

    draw.line([xy(0, 0), xy(x_max, 0)], fill="black")
    draw.line([xy(0, 0), xy(0, y_max)], fill="black")
    for frac in (0, 0.5, 1):
        draw.text((2, xy(0, y_max * frac)[1] - 6), f"{y_max * frac:.0f}", fill="black")
        draw.text((xy(x_max * frac, 0)[0] - 12, h - bottom + 6), f"{x_max * frac:,.0f}", fill="black")
    if target is not None:
        draw.line([xy(0, target), xy(x_max, target)], fill=(200, 200, 200))
    draw.line([xy(x, y) for x, y in zip(steps, returns)], fill=(31, 119, 180), width=2)
    draw.text((w - 150, h - 14), "environment steps", fill="black")
    return img


def agent_card_files(agent, curve: dict, title: str, target: float | None = None,
                     max_episode_steps: int | None = None) -> dict:
    """The pictures of an agent's model card: learning curve, a GIF of one evaluation episode, one frame."""
    from .pictures import png_bytes
    from PIL import Image

    env = make_env(agent.env_id, render_mode="rgb_array", max_episode_steps=max_episode_steps)
    frames: list = []
    run_episode(agent, env, EVAL_SEED_BASE, frames=frames)
    env.close()
    frame = Image.fromarray(frames[len(frames) // 2])
    return {"learning_curve.png": png_bytes(learning_curve(curve["steps"], curve["returns"], title, target)),
            "episode.gif": gif_bytes(frames), "frame.png": png_bytes(frame)}


def evaluation_table(evaluation: dict) -> str:
    return ("| episodes | evaluation seeds | mean return | std | min | max |\n|---|---|---|---|---|---|\n"
            f"| {evaluation['episodes']} | {EVAL_SEED_BASE + 1000 * evaluation['seed']} and up | "
            f"{evaluation['mean']:.1f} | {evaluation['std']:.1f} | {min(evaluation['returns']):.0f} | "
            f"{max(evaluation['returns']):.0f} |")



def validate(agent, env, episodes: int = 20) -> float:
    """Mean return over `episodes` validation episodes (seeds VALIDATION_SEED_BASE and up), acting as the
    agent's evaluation protocol says (greedy, or epsilon-greedy for the Atari agent), used while training
    to draw the learning curve and pick the checkpoint; never the evaluation seeds."""
    was_training = agent.training
    agent.eval()
    mean = sum(run_episode(agent, env, VALIDATION_SEED_BASE + i) for i in range(episodes)) / episodes
    agent.train(was_training)
    return mean


class Checkpoints:
    """The learning curve and the checkpoint to ship: `record` validates the model on `episodes` validation
    episodes, notes (steps, return, seconds) and keeps the last state with the best validation return. Once
    the return reaches `confirm_at`, that state is judged on 100 validation episodes instead, which tells
    a lucky checkpoint from a reliable one."""

    def __init__(self, env, episodes: int = 20, confirm_at: float | None = None):
        self.env, self.episodes, self.confirm_at = env, episodes, confirm_at
        self.curve = {"steps": [], "returns": [], "seconds": []}
        self.best, self.state = float("-inf"), None

    def record(self, model, steps: int, seconds: float) -> float:
        ret = validate(model, self.env, self.episodes)
        self.curve["steps"].append(steps), self.curve["returns"].append(ret), self.curve["seconds"].append(round(seconds, 2))
        score = validate(model, self.env, 100) if self.confirm_at is not None and ret >= self.confirm_at else ret
        if score >= self.best:
            self.best, self.state = score, copy.deepcopy(model.state_dict())
        return ret


def save_agent(model, args, *, checkpoints: Checkpoints, wall_time_s: float, description: str, target: float,
               episodes: int = 100, extra_metrics: dict | None = None, extra_names: dict | None = None,
               max_episode_steps: int | None = None) -> dict:
    """Evaluate a trained agent (`episodes` evaluation episodes, seed 0), draw its pictures from the
    learning curve in `checkpoints`, and write its weights folder and manifest entry.
    `max_episode_steps` shortens the episodes (for quick tests only)."""
    from .export import save_entry

    curve = checkpoints.curve
    model = model.cpu().eval()
    evaluation = evaluate_agent(model, episodes=episodes, seed=0, max_episode_steps=max_episode_steps)
    reached = next((i for i, r in enumerate(curve["returns"]) if r >= 0.95 * target), None)
    metrics = {
        "mean_return": evaluation["mean"], "std_return": evaluation["std"], "eval_episodes": episodes,
        "env_steps": curve["steps"][-1] if curve["steps"] else 0,
        "steps_to_95pct": None if reached is None else curve["steps"][reached],
        "seconds_to_95pct": None if reached is None else curve["seconds"][reached],
        **(extra_metrics or {}),
    }
    names = {"mean_return": f"Mean return, {episodes} evaluation episodes", "std_return": "Standard deviation of return",
             "eval_episodes": "Evaluation episodes", "env_steps": "Environment steps of training",
             "steps_to_95pct": f"Steps until a validation return of {0.95 * target:g}",
             "seconds_to_95pct": f"Training seconds until a validation return of {0.95 * target:g}",
             **(extra_names or {})}
    files = agent_card_files(model, curve, f"{model.zoo_name}: validation return", target, max_episode_steps)
    actions = "greedy actions" if model.greedy_evaluation else f"epsilon-greedy actions (epsilon {model.epsilon:g})"
    description += (f"\n\n## Evaluation episodes\n\n`zoo.evaluate_agent(\"{model.zoo_name}\", episodes={episodes}, seed=0)`, "
                    f"{actions}:\n\n" + evaluation_table(evaluation) + "\n\n"
                    f"Learning curve (mean return over {checkpoints.episodes} validation episodes, {actions}, whose "
                    "seeds are neither training "
                    "nor evaluation seeds, against environment steps), and one evaluation episode:\n\n"
                    "![learning curve](learning_curve.png)\n\n![episode](episode.gif)\n\n![frame](frame.png)")
    rec = save_entry(model, args.out, args.manifest, metrics=metrics, metric_names=names, command=args.command,
                     wall_time_s=wall_time_s, description=description, extra_files=files)
    print(f"{model.zoo_name}: mean return {evaluation['mean']:.1f} ± {evaluation['std']:.1f} over {episodes} "
          f"episodes; {wall_time_s:.0f} s; wrote {args.out}")
    return rec
