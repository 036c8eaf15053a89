import re
import subprocess
import sys

import pytest
import torch

import zoo
from zoo.babi import Line


def _forward(model, task):
    if task == "image-classification":
        assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    elif task == "image-generation":
        steps = {"steps": 10} if hasattr(model, "default_steps") else {}  # as `zoo sample` tells; a score model's 250
        images = model.sample(3, seed=0, **steps)
        assert images.shape == (3, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
        assert torch.equal(images, model.sample(3, seed=0, **steps))
    elif task == "representation-learning":
        x = torch.rand(3, 1, 28, 28)
        assert model(x).shape == x.shape and model.decode(model.encode(x)).shape == x.shape
    elif task == "word-embeddings":
        assert model(torch.tensor([0, 2])).shape == (2, model.embedding.embedding_dim)
    elif task == "reinforcement-learning":
        obs = torch.zeros(3, *model.obs_shape)
        actions = model.act(obs)
        assert actions.shape == (3,) and model.scores(obs).shape[0] == 3
        model.reset()  # a new episode, here with one environment instead of three
        assert isinstance(model.act(obs[0]), int)
    elif task == "text-classification":
        assert model(torch.tensor([[2, 3, 4], [5, 0, 0]])).shape == (2, 2)
    elif task == "grapheme-to-phoneme":
        from zoo.models.g2p import letter_ids, phoneme_ids

        logits = model(letter_ids(["zoo", "hello"]), phoneme_ids([["Z", "UW"], ["HH", "AH", "L", "OW"]])[:, :-1])
        assert logits.shape[:2] == (2, 5)
    elif task == "algorithmic":
        assert model(torch.zeros(2, 7, 9)).shape == (2, 7, 8)
    elif task == "question-answering":
        ids, is_question, _ = model.encode([[Line(1, "Mary went to the office."),
                                             Line(2, "Where is Mary?", "office")]])
        assert model(ids, is_question).shape == (1, 2, len(model.words) + 1)
    else:
        raise AssertionError(f"no forward check for task {task!r}: add one")


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_builds_and_runs_forward(name):
    _forward(zoo.create(name).eval(), zoo.info(name)["task"])
    assert zoo.load(name, pretrained=False).training is False


def test_list_models_filters():
    assert zoo.list_models() == sorted(zoo.list_models())
    assert {"mlp_mnist", "cnn_mnist"} <= set(zoo.list_models(task="image-classification"))
    assert zoo.list_models("cnn_*") == ["cnn_bn_fashion_mnist", "cnn_mnist"]
    assert zoo.list_models(task="no-such-task") == []
    assert set(zoo.list_models(pretrained=True)) >= {"mlp_mnist", "cnn_mnist"}


def test_unknown_name_suggests_close_matches():
    with pytest.raises(KeyError) as e:
        zoo.create("cnn_mnsit")
    assert "'cnn_mnsit'" in str(e.value) and "Did you mean 'cnn_mnist'" in str(e.value)
    assert "mlp_mnist" in str(e.value)  # the list of what is available


def test_unknown_override_lists_allowed():
    with pytest.raises(TypeError, match=r"does not accept 'width'.*allowed overrides: num_classes=10"):
        zoo.create("cnn_mnist", width=3)


@pytest.mark.parametrize("shape", [(28, 28), (2, 28, 28), (2, 3, 28, 28), (2, 1, 32, 32), (2, 784)])
def test_wrong_input_shape_is_named(shape):
    model = zoo.create("mlp_mnist")
    with pytest.raises(ValueError, match=re.escape(f"expected a float batch of shape (N, 1, 28, 28), got {tuple(shape)}")):
        model(torch.zeros(shape))


def test_import_is_light():
    code = ("import sys, zoo; zoo.list_models(); zoo.create('cnn_mnist'); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torchvision', 'huggingface_hub', 'gymnasium', 'timm', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
