import json
import re
import logging
import shutil

import pytest
import torch
from huggingface_hub import ModelCard
from safetensors.torch import load_file

import zoo
from zoo.manifest import read_manifest, split_key
from zoo.publishing import changed_from_factory, folder_revision, hub_metrics
from zoo.registry import get_spec
from zoo.storage import INT8_SCALE, dequantize, quantize_int8
from zoo.weights import sha256_bytes
from conftest import REPO, run_python

MANIFEST = read_manifest(REPO / "weights_manifest.json")["models"]
PUBLISHED = sorted(MANIFEST)


def test_every_published_entry_is_registered():
    assert PUBLISHED and {split_key(key)[0] for key in PUBLISHED} <= set(zoo.list_models())


HUB_PIPELINE_TAGS = {"image-classification", "unconditional-image-generation", "feature-extraction",
                     "reinforcement-learning", "text-classification", "text2text-generation",
                     "other", "question-answering"}


@pytest.mark.parametrize("name", PUBLISHED)
def test_manifest_agrees_with_files(name):
    rec, folder = MANIFEST[name], REPO / "weights" / name
    data = (folder / rec["filename"]).read_bytes()
    assert sha256_bytes(data) == rec["sha256"]
    assert len(data) == rec["size"] < 10 * 2**20
    model_name = split_key(name)[0]  # a weights version `name.tag` is built by its entry's factory
    assert sum(t.numel() for t in zoo.create(model_name, **rec["config"]).parameters()) == rec["num_params"]
    config = json.loads((folder / "config.json").read_text())  # flat: the architecture, its arguments, its inputs
    inputs = config
    if "model_args" in config:  # timm's format (the architecture is timm's; its data config says the inputs)
        assert config["architecture"] == zoo.create(model_name).timm_architecture
        config, inputs = config["fdl_zoo"], config["pretrained_cfg"]
    assert config["architecture"] == model_name and {k: config[k] for k in rec["config"]} == rec["config"]
    if rec["task"] == "image-classification":
        assert inputs["input_size"] == [1, 28, 28] and len(inputs["mean"]) == len(inputs["std"]) == 1
    for picture in folder.glob("*.png"):  # every picture is shown by the card
        assert f"]({picture.name})" in (folder / "README.md").read_text()
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: fdl-zoo\nlicense: mit\n") and "model-index:" in card
    assert "`zoo.load` (`pip install fdl-zoo`) is the loader" in card
    # the card's metadata as huggingface_hub reads it: licence, a Hub pipeline tag, the measured metrics
    data = ModelCard(card).data
    assert data.license == "mit" and data.pipeline_tag in HUB_PIPELINE_TAGS
    assert data.datasets is None or all("/" in d for d in data.datasets)  # only real Hub dataset ids
    measured = {r.metric_type: r.metric_value for r in data.eval_results}
    assert measured == hub_metrics(rec["task"], rec["metrics"])
    if rec["task"] == "reinforcement-learning":  # the RL leaderboards' form, the environment as the dataset
        assert re.fullmatch(r"\d+\.\d\d \+/- \d+\.\d\d", measured["mean_reward"])
        assert {r.dataset_type for r in data.eval_results} == {rec["dataset"]}
    for key in ("command", "wall_time_s", "hardware", "git_commit"):
        assert rec["training"][key]
    # pinned to the commit the folder makes as a Hub repo, never a branch
    assert re.fullmatch(r"[0-9a-f]{40}", rec["revision"]) and rec["revision"] == folder_revision(folder, name)


@pytest.mark.parametrize("name", PUBLISHED)
def test_load_gives_the_published_tensors(name):
    model = zoo.load(name)
    assert not model.training
    saved = load_file(REPO / "weights" / name / "model.safetensors")  # float16 or int8 for the larger entries
    for k, v in model.state_dict().items():
        if k + INT8_SCALE in saved:  # int8 rows times their scale
            assert torch.equal(v, saved[k].float() * saved[k + INT8_SCALE][:, None]), k
        else:
            assert torch.equal(v, saved[k].to(v.dtype)), k


def _copy_weights(tmp_path, name="cnn_mnist"):
    shutil.copytree(REPO / "weights" / name, tmp_path / name)
    return tmp_path / name / "model.safetensors"


def test_fresh_model_arguments_are_only_those_that_differ_from_the_factory():
    """A training script's config may hold tuples where the factory's defaults are tuples and the manifest lists:
    the same values either way, so the card's fresh-model line names none of them."""
    spec = get_spec("score_mnist")
    assert changed_from_factory(spec, {"channels": (32, 64, 128, 256), "sigma": 25.0}) == {}
    assert changed_from_factory(spec, {"channels": [32, 64, 128, 256], "sigma": 25.0}) == {}
    assert changed_from_factory(spec, {"channels": (16, 32, 64, 128), "sigma": 25.0}) == {"channels": (16, 32, 64, 128)}


def test_tampered_file_is_refused(tmp_path, monkeypatch):
    path = _copy_weights(tmp_path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(zoo.IntegrityError, match=r"cnn_mnist/model.safetensors\) does not match the manifest.*local weights folder's copy"):
        zoo.load("cnn_mnist")


def test_truncated_file_is_refused(tmp_path, monkeypatch):
    path = _copy_weights(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(zoo.IntegrityError, match="has 1000 bytes, the manifest records 6656000"):
        zoo.load("cnn_mnist")


def test_offline_without_cache_says_how_to_get_the_file(tmp_path):
    r = run_python("import zoo; zoo.load('cnn_mnist')",
                   {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path)})
    assert r.returncode != 0
    assert "WeightsNotFoundError" in r.stderr and "HF_HUB_OFFLINE is set" in r.stderr
    assert "hf download fdl-zoo/cnn_mnist model.safetensors --revision " in r.stderr


def test_no_weights_for_entry_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "m.json").write_text('{"models": {}}')
    monkeypatch.setenv("ZOO_MANIFEST", str(tmp_path / "m.json"))
    with pytest.raises(KeyError, match="'cnn_mnist' has no pretrained weights.*pretrained=False"):
        zoo.load("cnn_mnist")


def test_fine_tuning_replaces_only_the_head(caplog):
    pretrained = zoo.load("cnn_mnist")
    with caplog.at_level(logging.WARNING, logger="zoo"):
        model = zoo.load("cnn_mnist", num_classes=5)
    assert "except the head (head.weight, head.bias)" in caplog.text
    assert model.head.out_features == 5 and model(torch.zeros(2, 1, 28, 28)).shape == (2, 5)
    for k, v in model.state_dict().items():
        if not k.startswith("head."):
            assert torch.equal(v, pretrained.state_dict()[k]), k


def test_override_that_reshapes_the_body_is_refused():
    with pytest.raises(ValueError, match=r"features.9.bias, features.9.weight\); only the head"):
        zoo.load("cnn_mnist", fc_size=256)


def test_int8_storage_rounds_each_row_to_its_own_scale():
    from zoo.storage import round_to_storage, stored_tensors

    t = torch.randn(50, 16) * torch.logspace(-3, 2, 50)[:, None]  # rows of very different sizes
    q, scale = quantize_int8(t)
    assert q.dtype == torch.int8 and q.abs().max() == 127
    back = dequantize({"w": q, "w" + INT8_SCALE: scale})["w"]
    assert ((back - t).abs() <= scale[:, None] / 2 + 1e-6).all()
    wv = zoo.create("skipgram_dictcorpus", vocab_size=50, dim=16)
    wv.embedding.weight.data = t.clone()
    assert set(stored_tensors(wv, torch.int8)) == {"embedding.weight", "embedding.weight" + INT8_SCALE}
    once = round_to_storage(wv, torch.int8).embedding.weight.clone()
    assert torch.equal(once, back) and torch.equal(round_to_storage(wv, torch.int8).embedding.weight, once)


def test_atomic_write_gives_a_new_file_the_usual_permissions(tmp_path):
    from zoo.files import write_atomic

    write_atomic(tmp_path / "written", b"x")
    (tmp_path / "opened").write_bytes(b"x")
    assert (tmp_path / "written").stat().st_mode == (tmp_path / "opened").stat().st_mode
