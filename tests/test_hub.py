"""The Hub path for real: huggingface_hub downloads from an olah mirror into a fresh HF_HOME."""
import ast

from conftest import run_python
from zoo.manifest import get_record

LOAD_AND_CHECK = """
import torch, zoo
from safetensors.torch import load_file
for name, tag in (("cnn_mnist", None), ("mlp_mnist", None), ("mlp_mnist", "book")):
    model = zoo.load(name, weights=tag)
    ref = load_file("weights/%s/model.safetensors" % (name if tag is None else name + "." + tag))
    assert all(torch.equal(v, ref[k]) for k, v in model.state_dict().items())
print("ok")
"""


def test_load_downloads_through_the_hub_mirror(hub_mirror, tmp_path):
    env = {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none")}
    r = run_python(LOAD_AND_CHECK, env)
    assert r.returncode == 0, r.stderr
    cached = list((tmp_path / "hf" / "hub").glob("models--fdl-zoo--cnn_mnist/snapshots/*/model.safetensors"))
    assert len(cached) == 1 and cached[0].parent.name == get_record("cnn_mnist").revision  # the pinned commit
    # the cache now serves offline, with the mirror out of the picture
    r = run_python(LOAD_AND_CHECK, {**env, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert r.returncode == 0, r.stderr


def test_model_card_and_config_are_on_the_mirror(hub_mirror, tmp_path):
    code = ("from huggingface_hub import snapshot_download; import os; "
            "print(sorted(os.listdir(snapshot_download('fdl-zoo/cnn_mnist'))))")
    r = run_python(code, {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf")})
    assert r.returncode == 0, r.stderr
    files = set(ast.literal_eval(r.stdout.strip().splitlines()[-1]))
    assert {"README.md", "config.json", "model.safetensors", "attributions.png"} <= files


def test_a_corrupt_blob_in_the_hub_cache_is_downloaded_again(hub_mirror, tmp_path):
    # the snapshot file is a link to a blob; corrupting the blob must heal by one forced download
    r = run_python(
        "import zoo, huggingface_hub as h, pathlib\n"
        "from zoo.manifest import get_record\nfrom zoo.weights import sha256_bytes\n"
        "rec = get_record('cnn_mnist')\n"
        "p = pathlib.Path(h.hf_hub_download('fdl-zoo/cnn_mnist', 'model.safetensors', revision=rec.revision))\n"
        "blob = p.resolve(); data = blob.read_bytes(); blob.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))\n"
        "zoo.load('cnn_mnist')\n"
        "assert sha256_bytes(p.read_bytes()) == rec.file.sha256\n"
        "print('healed')",
        {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none")})
    assert r.returncode == 0 and "healed" in r.stdout, r.stderr


def test_download_makes_a_folder_that_serves_offline(hub_mirror, tmp_path):
    env = {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none")}
    r = run_python("from zoo.cli import main; main(['download', 'skipgram_dictcorpus', 'mlp_mnist.book', '--to', %r])"
                   % str(tmp_path / "bundle"), env)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "bundle" / "skipgram_dictcorpus").iterdir()) == ["model.safetensors", "vocab.json"]
    offline = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty"), "ZOO_WEIGHTS_DIR": str(tmp_path / "bundle")}
    r = run_python("import zoo; zoo.load('skipgram_dictcorpus').most_similar('king', 1); "
                   "zoo.load('mlp_mnist', weights='book'); print('ok')", offline)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr


def test_timm_creates_the_zoo_classifiers_through_the_mirror(hub_mirror, tmp_path):
    code = """
import timm, torch
import zoo.timm_registry
from safetensors.torch import load_file
assert timm.list_models("*mnist*") == ["cnn_bn_fashion_mnist", "cnn_mnist", "mlp_mnist", "resnet34_fashion_mnist"]
model = timm.create_model("cnn_mnist", pretrained=True)
ref = load_file("weights/cnn_mnist/model.safetensors")
assert all(torch.equal(v, ref[k]) for k, v in model.state_dict().items())
assert timm.create_model("mlp_mnist", num_classes=3).get_classifier().out_features == 3
print("ok")
"""
    r = run_python(code, {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none")})
    assert r.returncode == 0, r.stderr
    assert list((tmp_path / "hf" / "hub").glob("models--fdl-zoo--cnn_mnist/snapshots/*/model.safetensors"))


TIMM_ALONE = """
import sys, timm, torch
model = timm.create_model("hf-hub:fdl-zoo/resnet34_fashion_mnist", pretrained=True).eval()
assert "zoo" not in sys.modules  # timm and the repo's files alone
data = timm.data.resolve_data_config({}, model=model)
images = torch.randint(0, 256, (16, 28, 28), dtype=torch.uint8)
x = (images[:, None].float() / 255 - torch.tensor(data["mean"])[:, None, None]) / torch.tensor(data["std"])[:, None, None]
with torch.no_grad():
    timm_probs = model(x).softmax(1)
import zoo
labels, probs = zoo.load("resnet34_fashion_mnist").predict(images)
assert torch.equal(labels, timm_probs.argmax(1)) and torch.allclose(probs, timm_probs, atol=1e-6)
assert model.pretrained_cfg["label_names"] == list(zoo.load("resnet34_fashion_mnist").classes)
print("ok")
"""


def test_timm_alone_builds_the_resnet_from_its_hub_repo_and_predicts_as_zoo_load(hub_mirror, tmp_path):
    env = {"HF_ENDPOINT": hub_mirror, "HF_HOME": str(tmp_path / "hf"), "ZOO_WEIGHTS_DIR": str(tmp_path / "none")}
    r = run_python(TIMM_ALONE, env)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
