"""The zoo's own gymnasium environments, registered under the `zoo/` namespace by `register()`, which
`zoo.rl.make_env` calls, so `gymnasium.make("zoo/CartPoleNoVelocity-v1")` works after it as well.

- `zoo/CartPoleNoVelocity-v1`: CartPole-v1 observed only through the cart position and the pole angle
  (indices 0 and 2 of its observation). The velocities are hidden, so the game is partially observable:
  an agent must remember earlier observations to act well (the book's case for DRQN, ch. 13).
- `zoo/CartPoleNoVelocityStack4-v1`: the same, observed as the last 4 of those observations, (4, 2),
  oldest first (the first observation repeated at reset): the feed-forward remedy.

`FireOnLifeStart` is a training aid for Atari games, not an environment of its own: it presses FIRE at the
start of every life, as the FireResetEnv and EpisodicLifeEnv of OpenAI Baselines (and CleanRL) do.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np

NO_VELOCITY = "zoo/CartPoleNoVelocity-v1"
NO_VELOCITY_STACK4 = "zoo/CartPoleNoVelocityStack4-v1"


class PositionsOnly(gym.ObservationWrapper):
    """CartPole's observation cut to the cart position and the pole angle."""

    KEPT = [0, 2]

    def __init__(self, env: gym.Env):
        super().__init__(env)
        low, high = env.observation_space.low[self.KEPT], env.observation_space.high[self.KEPT]
        self.observation_space = gym.spaces.Box(low, high, dtype=np.float32)

    def observation(self, observation):
        return np.asarray(observation, dtype=np.float32)[self.KEPT]


class FireOnLifeStart(gym.Wrapper):
    """Presses FIRE after a reset and after every lost life, so that a game such as Breakout, which waits
    for FIRE to serve, never waits on a network that has not learnt to press it. After a lost life, the
    FIRE step's reward counts towards the step that lost it."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        meanings = getattr(env.unwrapped, "get_action_meanings", lambda: [])()
        if "FIRE" not in meanings:
            game = env.spec.id if env.spec else type(env.unwrapped).__name__  # an environment built by hand has no spec
            raise ValueError(f"FireOnLifeStart needs an Atari game with a FIRE action; {game} has none "
                             f"(its actions: {meanings or 'not named'})")
        self.fire = meanings.index("FIRE")

    def reset(self, **kwargs):
        self.env.reset(**kwargs)
        obs, _, _, _, info = self.env.step(self.fire)  # one serve cannot end a game
        return obs, info

    def step(self, action):
        lives = self.env.unwrapped.ale.lives()
        obs, reward, terminated, truncated, info = self.env.step(action)
        if not (terminated or truncated) and 0 < self.env.unwrapped.ale.lives() < lives:
            obs, fire_reward, terminated, truncated, info = self.env.step(self.fire)
            reward += fire_reward
        return obs, reward, terminated, truncated, info


def _no_velocity(**kwargs) -> gym.Env:
    return PositionsOnly(gym.make("CartPole-v1", **kwargs))


def _no_velocity_stack4(**kwargs) -> gym.Env:
    return gym.wrappers.FrameStackObservation(_no_velocity(**kwargs), 4, padding_type="reset")


def register() -> None:
    for env_id, entry_point in ((NO_VELOCITY, _no_velocity), (NO_VELOCITY_STACK4, _no_velocity_stack4)):
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)
