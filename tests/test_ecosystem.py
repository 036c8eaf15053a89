"""The zoo where users already are: torch.hub, and Stable-Baselines3's evaluation of agents."""
import torch

import zoo
from conftest import REPO


def _hubconf():
    """hubconf.py as torch.hub imports it (torch.hub.list and help read only GitHub repos)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hubconf", REPO / "hubconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_torch_hub_lists_loads_and_documents_every_entry():
    hubconf = _hubconf()
    names = [f for f in dir(hubconf) if callable(getattr(hubconf, f)) and not f.startswith("_")]  # torch.hub.list's rule
    assert sorted(names) == zoo.list_models()
    assert "Convolutional network" in hubconf.cnn_mnist.__doc__ and "weights=TAG" in hubconf.cnn_mnist.__doc__
    model = torch.hub.load(str(REPO), "cnn_mnist", source="local")
    assert not model.training
    assert all(torch.equal(v, zoo.load("cnn_mnist").state_dict()[k]) for k, v in model.state_dict().items())
    book = torch.hub.load(str(REPO), "vae_mnist", source="local", weights="book")
    assert book.zoo_weights == "book"
    fresh = torch.hub.load(str(REPO), "mlp_mnist", source="local", pretrained=False, num_classes=3)
    assert fresh.head.out_features == 3


def test_stable_baselines3_evaluates_a_zoo_agent_as_it_is():
    import gymnasium as gym
    from stable_baselines3.common.evaluation import evaluate_policy

    agent = zoo.load("dqn_cartpole")
    from stable_baselines3.common.monitor import Monitor

    env = Monitor(gym.make("CartPole-v1"))
    env.reset(seed=1_000_000)
    mean, std = evaluate_policy(agent, env, n_eval_episodes=5, deterministic=True)
    assert mean >= 475, (mean, std)
    actions, state = agent.predict(torch.zeros(3, 4).numpy())
    assert actions.shape == (3,) and state is None


def test_stable_baselines3_evaluates_the_recurrent_agent_with_its_state():
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor

    from zoo.rl import make_env

    agent = zoo.load("drqn_cartpole_pomdp")
    env = Monitor(make_env(agent.env_id))
    env.reset(seed=1_000_000)
    mean, std = evaluate_policy(agent, env, n_eval_episodes=5, deterministic=True)
    assert mean >= 475, (mean, std)
