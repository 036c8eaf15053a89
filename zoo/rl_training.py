"""What the agents' training scripts share: Q-learning targets, validation while training, the checkpoint to
ship, and writing the trained agent with its evaluation and pictures."""
from __future__ import annotations

import copy

import torch

from .rl import (EVAL_SEED_BASE, STICKY_METRIC_NAMES, VALIDATION_SEED_BASE, agent_metrics, environment_packages,
                 make_env, run_episode)
from .training import history_file, recipe_of

# The book's DQN improvements that dqn_breakout's script offers: its option names, and how documents name them
DQN_IMPROVEMENTS = {"double": "Double DQN", "dueling": "a dueling head", "prioritized": "prioritised replay"}


def agent_card_files(agent, curve: dict, title: str, target: float | None = None,
                     max_episode_steps: int | None = None) -> dict:
    """The pictures of an agent's model card: learning curve, a GIF of one evaluation episode, one frame."""
    from PIL import Image

    from .charts import line_chart
    from .pictures import gif_bytes, png_bytes

    env = make_env(agent.env_id, render_mode="rgb_array", max_episode_steps=max_episode_steps)
    frames: list = []
    run_episode(agent, env, EVAL_SEED_BASE, frames=frames)
    env.close()
    frame = Image.fromarray(frames[len(frames) // 2])
    chart = line_chart({"validation return": (curve["steps"], curve["returns"])}, "environment steps",
                       "mean return (validation episodes)", title,
                       reference=None if target is None else ("target", target))
    return {"learning_curve.png": chart,
            "episode.gif": gif_bytes(frames), "frame.png": png_bytes(frame)}


def q_learning_targets(batch: dict, target, gamma: float, online=None) -> torch.Tensor:
    """TD targets r + gamma (1 - done) Q_target(s', a') of a replayed batch: a' is the target network's best
    action, or with `online` given (Double DQN) the online network's, still valued by the target network."""
    with torch.no_grad():
        next_q = target(batch["next_obs"])
        if online is None:
            next_value = next_q.max(1).values
        else:
            next_value = next_q.gather(1, online(batch["next_obs"]).argmax(1, keepdim=True)).squeeze(1)
        return batch["rewards"] + gamma * (1 - batch["dones"]) * next_value


EVALUATION_TABLE_HEADER = "| episodes | evaluation seeds | mean return | std | min | max |"


def evaluation_table(evaluation: dict) -> str:
    return (EVALUATION_TABLE_HEADER + "\n|---|---|---|---|---|---|\n"
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

    def validate(self, model, steps: int, clock, label: str = "", note: str = "") -> float:
        """`record` with the training `clock` paused, and a progress line: "{label or step N}: validation
        return R, {note} (S s training)"."""
        with clock.paused() as seconds:
            ret = self.record(model, steps, seconds)
            print(f"{label or f'step {steps}'}: validation return {ret:.1f}{', ' + note if note else ''} "
                  f"({seconds:.1f} s training)", flush=True)
        return ret


def save_agent(model, args, *, checkpoints: Checkpoints, wall_time_s: float, description: str, target: float,
               episodes: int = 100, extra_metrics: dict | None = None, extra_names: dict | None = None,
               max_episode_steps: int | None = None, target_line: bool = True) -> dict:
    """Evaluate a trained agent (`episodes` evaluation episodes, seed 0), draw its pictures from the
    learning curve in `checkpoints`, and write its weights folder and manifest entry. The learning curve
    shows `target` as a dashed line unless `target_line` is False (for a target far above the curve, which
    the line would squash). `max_episode_steps` shortens the episodes (for quick tests only)."""
    from .publishing import save_entry

    curve = checkpoints.curve
    model = model.cpu().eval()
    metrics, evaluation = agent_metrics(model, episodes, max_episode_steps)
    reached = next((i for i, r in enumerate(curve["returns"]) if r >= 0.95 * target), None)
    metrics |= {
        "env_steps": curve["steps"][-1] if curve["steps"] else 0,
        "steps_to_95pct": None if reached is None else curve["steps"][reached],
        "seconds_to_95pct": None if reached is None else curve["seconds"][reached],
        **(extra_metrics or {}),
    }
    names = {"mean_return": f"Mean return, {episodes} evaluation episodes", "std_return": "Standard deviation of return",
             "eval_episodes": "Evaluation episodes", "env_steps": "Environment steps of training",
             "steps_to_95pct": f"Steps until a validation return of {0.95 * target:g}",
             "seconds_to_95pct": f"Training seconds until a validation return of {0.95 * target:g}",
             **STICKY_METRIC_NAMES, **(extra_names or {})}
    files = {**agent_card_files(model, curve, f"{model.zoo_name}: validation return",
                                 target if target_line else None, max_episode_steps),
             "training_history.json": history_file(curve)}
    actions = "greedy actions" if model.greedy_evaluation else f"epsilon-greedy actions (epsilon {model.epsilon:g})"
    description += (f"\n\n## Evaluation episodes\n\n`zoo.evaluate_agent(\"{model.zoo_name}\", episodes={episodes}, seed=0)`, "
                    f"{actions}:\n\n" + evaluation_table(evaluation) + "\n\n"
                    f"Learning curve (mean return over {checkpoints.episodes} validation episodes, {actions}, whose "
                    "seeds are neither training "
                    "nor evaluation seeds, against environment steps), and one evaluation episode:\n\n"
                    "![learning curve](learning_curve.png)\n\n![episode](episode.gif)\n\n![frame](frame.png)\n\n"
                    "The learning curve's figures (validation return and training seconds at each step) are in "
                    "`training_history.json`.")
    rec = save_entry(model, args.out, args.manifest, metrics=metrics, metric_names=names, command=args.command,
                     device=args.device, recipe=recipe_of(args), code_commit=args.code_commit,
                     wall_time_s=wall_time_s, description=description, extra_files=files,
                     environment_packages=environment_packages(model.env_id))
    print(f"{model.zoo_name}: mean return {evaluation['mean']:.1f} ± {evaluation['std']:.1f} over {episodes} "
          f"episodes; {wall_time_s:.0f} s; wrote {args.out}")
    return rec
