"""The core's promises: bad input gets a clear error, manifests and files are not trusted too far,
artifacts reproduce bit for bit, writes are whole, and the package has no import cycles."""
import ast
import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from conftest import REPO, run_python
from zoo.manifest import get_record, split_key, weights_key

SAMPLE = REPO / "zoo" / "samples" / "mnist_9992_label9.png"


# ---- bad input: classifiers ----------------------------------------------------------------------------
@pytest.mark.parametrize("images, message", [
    (torch.full((1, 28, 28), 255.0), r"float pixels must lie in \[0, 1\], got values from 255 to 255; pass 0..255 images as uint8"),
    (torch.full((28, 28), float("nan")), "NaN or infinite"),
    (Image.new("L", (0, 0)), r"empty \(0x0 pixels\)"),
    (torch.rand(3, 28, 28), r"could be a colour image or a batch of grey images"),
    (np.zeros((28, 28, 3), np.uint8), r"could be a colour image"),
    (torch.zeros(0, 1, 28, 28), r"N >= 1"),
    (torch.zeros(2, 28, 28, dtype=torch.int64), r"expected uint8 pixels \(0..255\) or float pixels \(0..1\)"),
])
def test_classifiers_refuse_input_outside_the_documented_range(images, message):
    with pytest.raises((ValueError, TypeError), match=message):
        zoo.create("mlp_mnist").eval().predict(images)


def test_classifiers_accept_uint8_float_and_pil_alike():
    model = zoo.load("cnn_mnist")
    image = np.asarray(Image.open(SAMPLE))
    as_uint8 = model.predict(image)[1]
    assert torch.allclose(as_uint8, model.predict(image / 255.0)[1], atol=1e-6)
    assert torch.allclose(as_uint8, model.predict(Image.open(SAMPLE))[1])
    assert model.predict(np.stack([image] * 3)[:, None])[0].tolist() == [9, 9, 9]  # 3 grey images as (N, 1, H, W)


# ---- bad input: VAE and autoencoders --------------------------------------------------------------------
@pytest.fixture(scope="module")
def vae():
    return zoo.load("vae_mnist")


def _binary(n=4):
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0)) > 0.7).float()


@pytest.mark.parametrize("transform, message", [
    (lambda x: x * 2, "must lie in \\[0, 1\\]"),
    (lambda x: x * 255, "must lie in \\[0, 1\\]"),
    (lambda x: -x, "must lie in \\[0, 1\\]"),
    (lambda x: x * 0.5, "every pixel must be 0 or 1"),
])
def test_vae_likelihood_refuses_input_that_is_not_binary(vae, transform, message):
    with pytest.raises(ValueError, match=message):
        vae.log_likelihood(transform(_binary()), k=5)


@pytest.mark.parametrize("k", [0, -3, 2.5])
def test_vae_likelihood_refuses_k_below_one(vae, k):
    with pytest.raises(ValueError, match="k is the number of importance samples"):
        vae.log_likelihood(_binary(), k=k)


@pytest.mark.parametrize("name", ["vae_mnist", "autoencoder_mnist"])
def test_uint8_and_float64_images_give_the_float32_result(name):
    model = zoo.load(name)
    x = _binary()
    expected = model.reconstruct(x)
    assert torch.allclose(model.reconstruct((x * 255).to(torch.uint8)), expected, atol=1e-6)
    assert torch.allclose(model.reconstruct(x.double()), expected, atol=1e-6)


def test_vae_likelihood_reads_uint8_as_0_to_255(vae):
    x = _binary()
    torch.manual_seed(0)
    expected = vae.log_likelihood(x, k=5)
    torch.manual_seed(0)
    assert torch.allclose(vae.log_likelihood((x * 255).to(torch.uint8), k=5), expected)
    with pytest.raises(ValueError, match="every pixel must be 0 or 1"):  # uint8 0/1 is 0 and 1/255, not binary
        vae.log_likelihood(x.to(torch.uint8), k=5)


@pytest.mark.parametrize("n", [0, -1, 2.0])
def test_sample_counts_must_be_positive_whole_numbers(vae, n):
    with pytest.raises(ValueError, match="whole number of samples"):
        vae.sample(n)


# ---- bad input: agents, word vectors, names -------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(episodes=0), ValueError, "episodes must be a whole number of at least 1"),
    (dict(episodes=-2), ValueError, "episodes must be"),
    (dict(seed=-1), ValueError, "seed must be a whole number from 0"),
])
def test_evaluate_agent_refuses_bad_counts_and_seeds(kwargs, error, message):
    with pytest.raises(error, match=message):
        zoo.evaluate_agent("dqn_cartpole", **kwargs)


def test_evaluate_agent_refuses_a_model_that_is_not_an_agent():
    with pytest.raises(TypeError, match="cnn_mnist is not a reinforcement-learning agent; agents: a3c_cartpole"):
        zoo.evaluate_agent("cnn_mnist")


def test_word_vector_queries_refuse_k_below_one():
    wv = zoo.create("skipgram_dictcorpus", vocab_size=3, dim=4)
    wv.set_vocabulary(["a", "b", "c"])
    with pytest.raises(ValueError, match="k is how many words to return"):
        wv.most_similar("a", -1)


@pytest.mark.parametrize("name, error", [(None, TypeError), (3, TypeError), ("cnn_mnist.nope", zoo.NoPretrainedWeightsError)])
def test_load_refuses_names_that_are_not_entries(name, error):
    with pytest.raises(error):
        zoo.load(name)


def test_weights_that_do_not_exist_list_the_ones_that_do():
    with pytest.raises(zoo.NoPretrainedWeightsError, match=r"'mlp_mnist' has no weights 'nope'.*None \(the default\), 'book'"):
        zoo.load("mlp_mnist", weights="nope")


# ---- manifest and files are not trusted too far ---------------------------------------------------------
def _manifest_with(tmp_path, monkeypatch, change):
    rec = json.loads((REPO / "weights_manifest.json").read_text())["models"]["mlp_mnist"]
    change(rec)
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"models": {"mlp_mnist": rec}}))
    monkeypatch.setenv("ZOO_MANIFEST", str(path))
    return path


@pytest.mark.parametrize("filename", ["../cnn_mnist/model.safetensors", "/etc/passwd", "a/../../b", "C:\\x"])
def test_filenames_must_stay_inside_the_repo(filename, tmp_path, monkeypatch):
    path = _manifest_with(tmp_path, monkeypatch, lambda r: r.update(filename=filename))
    with pytest.raises(zoo.ManifestError, match=f"{path}: record 'mlp_mnist'.*leaves the repo|{path}.*leaves the repo"):
        zoo.load("mlp_mnist")


def test_a_record_without_sha256_is_a_clear_error(tmp_path, monkeypatch):
    _manifest_with(tmp_path, monkeypatch, lambda r: r.pop("sha256"))
    with pytest.raises(zoo.ManifestError, match="has no sha256; every record needs repo_id, revision, filename, sha256"):
        zoo.load("mlp_mnist")


def test_a_malformed_manifest_is_reported_with_its_path(tmp_path, monkeypatch):
    (tmp_path / "m.json").write_text('{"models": {')
    monkeypatch.setenv("ZOO_MANIFEST", str(tmp_path / "m.json"))
    with pytest.raises(zoo.ManifestError, match=f"the weights manifest {tmp_path / 'm.json'} is not valid JSON"):
        zoo.load("mlp_mnist")


def _local_folder_with(tmp_path, monkeypatch, make):
    folder = tmp_path / "w" / "mlp_mnist"
    folder.mkdir(parents=True)
    make(folder / "model.safetensors")
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "w"))


@pytest.mark.parametrize("make, message", [
    (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
    (lambda p: os.mkfifo(p), "is not a regular file"),
    (lambda p: p.open("wb").truncate(3 * 2**30), r"has 3221225472 bytes, the manifest records"),  # sparse: no disk used
])
def test_files_are_checked_before_they_are_read(make, message, tmp_path, monkeypatch):
    _local_folder_with(tmp_path, monkeypatch, make)
    with pytest.raises(zoo.IntegrityError, match=message):
        zoo.load("mlp_mnist")


# ---- artifacts that reproduce ---------------------------------------------------------------------------
WRITE = """
import sys, torch
from zoo.storage import safetensors_bytes
from zoo.weights import sha256_bytes
tensors = {"b": torch.arange(6.0).view(2, 3), "a": torch.ones(4, dtype=torch.int8)}
meta = {"format": "pt", "model": "x", "zeta": "1", "alpha": "2", "mid": "3"}
print(sha256_bytes(safetensors_bytes(tensors, meta)))
"""


def test_the_same_tensors_make_the_same_file_in_every_process():
    digests = {run_python(WRITE, {"PYTHONHASHSEED": str(seed)}).stdout for seed in range(3)}
    assert len(digests) == 1 and len(next(iter(digests)).strip()) == 64
    from safetensors import safe_open

    from zoo.storage import safetensors_bytes

    data = safetensors_bytes({"w": torch.ones(3)}, {"b": "1", "a": "2"})
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"zoo-st-{os.getpid()}.safetensors"
    path.write_bytes(data)
    with safe_open(str(path), "pt") as f:  # still a valid safetensors file
        assert f.metadata() == {"a": "2", "b": "1"} and torch.equal(f.get_tensor("w"), torch.ones(3))
    path.unlink()


# ---- writes ----------------------------------------------------------------------------------------------
def test_training_refuses_to_overwrite_the_published_weights_unless_asked():
    r = subprocess.run([sys.executable, "scripts/train_mlp_mnist.py", "--quick", "--out", "weights/mlp_mnist"],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode != 0 and "holds the published weights; pass --publish" in r.stderr
    r = subprocess.run([sys.executable, "scripts/train_mlp_mnist.py", "--quick", "--manifest", "weights_manifest.json",
                        "--out", "/tmp/x"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode != 0 and "weights_manifest.json holds the published weights" in r.stderr


def test_only_code_makes_a_commit_dirty():
    from zoo.provenance import CODE_PATHS

    assert set(CODE_PATHS) == {"zoo", "scripts", "pyproject.toml"}


def test_the_hardware_recorded_names_the_vector_instructions_and_threads_of_a_cpu():
    from zoo.provenance import hardware

    capability = re.escape(torch.backends.cpu.get_cpu_capability())
    assert re.fullmatch(rf"CPU: .+ \({capability}\), {torch.get_num_threads()} threads?", hardware("cpu"))


def test_the_processor_model_is_read_back_from_every_recorded_hardware_format():
    from zoo.provenance import hardware, processor

    assert processor(hardware("cpu")) == hardware("cpu").removeprefix("CPU: ").rsplit(" (", 1)[0]
    assert processor("CPU: AMD EPYC, 1 threads") == processor("CPU: AMD EPYC (AVX2), 2 threads") == "AMD EPYC"
    assert processor("CPU: Intel(R) Xeon(R) Processor (AVX512), 1 thread") == "Intel(R) Xeon(R) Processor"
    assert processor("NVIDIA H200 (CUDA 13.0)") is None


WRITER = """
import sys, zoo
from zoo.publishing import save_entry
model = zoo.create("dqn_cartpole", hidden=4)
for i in range(int(sys.argv[2])):
    model.zoo_name = "dqn_cartpole"
    save_entry(model, sys.argv[1] + f"/w/{sys.argv[3]}{i}", sys.argv[1] + "/m.json", metrics={"x": i},
               metric_names={"x": "x"}, command="c", wall_time_s=0, description="d", tag=f"{sys.argv[3]}{i}")
"""


def test_concurrent_writers_to_one_manifest_lose_nothing(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path), "6", who], cwd=REPO) for who in "ab"]
    assert all(p.wait(120) == 0 for p in procs)
    keys = json.loads((tmp_path / "m.json").read_text())["models"]
    assert sorted(keys) == sorted(f"dqn_cartpole.{w}{i}" for w in "ab" for i in range(6))
    folders = list((tmp_path / "w").iterdir())
    assert len(folders) == 12 and not [f for f in folders if f.name.startswith(".")]
    assert all(f.stat().st_mode & 0o777 == 0o777 & ~_umask() for f in folders)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_failed_save_leaves_the_old_folder_and_record(tmp_path, monkeypatch):
    from zoo import publishing

    model = zoo.create("dqn_cartpole", hidden=4)
    kwargs = dict(metrics={"x": 1}, metric_names={"x": "x"}, command="c", wall_time_s=0, description="d")
    first = publishing.save_entry(model, tmp_path / "w" / "dqn_cartpole", tmp_path / "m.json", **kwargs)

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(publishing, "write_atomic", broken)
    with pytest.raises(OSError, match="disk full"):
        publishing.save_entry(zoo.create("dqn_cartpole", hidden=4), tmp_path / "w" / "dqn_cartpole",
                              tmp_path / "m.json", **kwargs)
    assert json.loads((tmp_path / "m.json").read_text())["models"]["dqn_cartpole"]["sha256"] == first["sha256"]
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["dqn_cartpole"]


# ---- versions and layout --------------------------------------------------------------------------------
def test_an_entry_lists_its_weight_versions_and_loads_each():
    assert zoo.info("mlp_mnist")["weights"] == [None, "book"]
    book = zoo.load("mlp_mnist", weights="book")
    assert book.zoo_weights == "book" and book.zoo_config["hidden_sizes"] == [256]
    assert zoo.load("mlp_mnist.book").state_dict().keys() == book.state_dict().keys()
    assert get_record("mlp_mnist", "book").repo_id == "fdl-zoo/mlp_mnist.book"


def test_a_weights_key_and_its_entry_and_tag_convert_both_ways():
    for name, tag in [("mlp_mnist", None), ("mlp_mnist", "book")]:
        assert split_key(weights_key(name, tag)) == (name, tag)
    assert split_key("mlp_mnist.") == ("mlp_mnist", None)


def _imports(path: Path, module: str, is_package: bool) -> set[str]:
    """The zoo modules that `module` imports anywhere in its text, at import time or inside functions."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_the_package_has_no_import_cycles():
    """No module reaches itself through imports, eager or lazy. The package `zoo` itself is the facade
    that users import, so its own imports of submodules do not count."""
    modules = {}
    for path in (REPO / "zoo").rglob("*.py"):
        rel = path.relative_to(REPO).with_suffix("")
        modules[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = path
    graph = {name: {m for m in _imports(path, name, path.name == "__init__.py") if m in modules and m not in (name, "zoo")}
             for name, path in modules.items() if name != "zoo"}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                pytest.fail(f"import cycle: {' -> '.join(trail[trail.index(nxt):] + [nxt])}")
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_importing_zoo_stays_light():
    r = run_python("import sys, zoo; zoo.list_models(); print(sorted(m for m in ('torchvision', 'gymnasium', "
                   "'huggingface_hub', 'matplotlib', 'filelock', 'PIL', 'safetensors') if m in sys.modules))", {})
    assert r.stdout.strip() == "[]", r.stderr


def test_classifiers_offer_timms_fine_tuning_interface():
    model = zoo.load("cnn_mnist")
    x = model.transforms(torch.rand(3, 1, 28, 28))
    assert model.forward_features(x).shape == (3, model.num_features) and model.num_classes == 10
    assert torch.allclose(model.get_classifier()(model.forward_features(x)), model(x))
    model.reset_classifier(5)
    assert model(x).shape == (3, 5) and model.num_classes == 5
    with pytest.raises(ValueError, match="positive int"):
        model.reset_classifier(0)
    model.freeze_features()
    model.train()
    before = {k: v.clone() for k, v in model.features.state_dict().items()}
    torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1, 2])).backward()
    assert all(p.grad is None for p in model.features.parameters()) and model.head.weight.grad is not None
    assert all(torch.equal(v, model.features.state_dict()[k]) for k, v in before.items())  # BN statistics kept
    assert model.training and not model.features.training
    model.freeze_features(False)
    assert model.features.training and all(p.requires_grad for p in model.features.parameters())


def test_balanced_subsets_give_each_class_its_share():
    from zoo.data import balanced_subset

    labels = torch.arange(1000) % 10
    chosen = balanced_subset(labels, 105, seed=1)
    assert len(chosen) == len(set(chosen.tolist())) == 105
    assert sorted(torch.bincount(labels[chosen]).tolist()) == [10] * 5 + [11] * 5
    assert torch.equal(chosen, balanced_subset(labels, 105, seed=1))
    assert not torch.equal(chosen, balanced_subset(labels, 105, seed=2))
    with pytest.raises(ValueError, match="size must be between 1 and 1000, got 0"):
        balanced_subset(labels, 0)


@pytest.mark.parametrize("mode", ["pretrained", "linear_probe", "scratch"])
def test_fine_tuning_starts_where_its_mode_says(mnist_fixture, mode):
    from zoo.training import finetune_classifier

    images, labels = mnist_fixture
    pretrained = zoo.load("cnn_mnist")
    model, _ = finetune_classifier("cnn_mnist", images[:128], labels[:128] % 5, mode=mode, num_classes=5, epochs=1,
                                   batch_size=64, lr=1e-3)
    assert model.num_classes == 5 and not model.training
    same = [torch.equal(v, pretrained.features.state_dict()[k]) for k, v in model.features.state_dict().items()]
    assert all(same) if mode == "linear_probe" else not any(same[:1])
    with pytest.raises(ValueError, match="mode must be one of pretrained, scratch, linear_probe"):
        finetune_classifier("cnn_mnist", images[:8], labels[:8], mode="probe", num_classes=10, epochs=1,
                            batch_size=8, lr=1e-3)


def test_progress_off_a_terminal_is_a_line_at_a_time():
    r = subprocess.run([sys.executable, "-c", "import time, zoo.progress as p\np.PERIOD_S = 0.05\n"
                        "for _ in p.progress(range(4), desc='work'): time.sleep(0.06)"],
                       capture_output=True, text=True, check=True)
    lines = r.stderr.splitlines()
    assert len(lines) >= 3 and all(line.startswith("work:") for line in lines) and "\r" not in r.stderr
    assert "4/4" in lines[-1]


def test_mirroring_flips_images_left_to_right_about_half_the_time():
    from zoo.data import random_affine

    x = torch.rand(1, 1, 28, 28).repeat(64, 1, 1, 1)
    out = random_affine(x, 0.0, 0.0, 0.0, hflip=True, generator=torch.Generator().manual_seed(0))
    kept = torch.isclose(out, x, atol=1e-5).flatten(1).all(1)
    mirrored = torch.isclose(out, x.flip(-1), atol=1e-5).flatten(1).all(1)
    assert (kept ^ mirrored).all() and 16 < mirrored.sum() < 48
    assert torch.allclose(random_affine(x, 0.0, 0.0, 0.0), x, atol=1e-5)  # without hflip, nothing is mirrored


def test_random_erasing_fills_one_rectangle_of_about_p_of_the_images():
    from zoo.data import random_erase

    x = torch.zeros(400, 1, 28, 28)
    out = random_erase(x, 0.5, generator=torch.Generator().manual_seed(0))
    changed = out != 0
    erased = changed.flatten(1).any(1)
    assert 150 < erased.sum() < 250
    for mask in changed[erased][:, 0]:  # one filled rectangle: its bounding box is all changed
        rows, cols = mask.any(1).nonzero(), mask.any(0).nonzero()
        box = mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all() and 0.01 < box.numel() / 784 < 0.45
    assert torch.equal(random_erase(x, 0.0), x)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        random_erase(x, 1.5)


def _interrupt_at_test_pass(n: int, run, monkeypatch) -> None:
    """`run()` killed at train_classifier's n-th test pass: after that epoch's training, before its checkpoint."""
    import zoo.training

    real, calls = zoo.training.classification_accuracy, []

    def killing(*a):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(*a)

    monkeypatch.setattr(zoo.training, "classification_accuracy", killing)
    with pytest.raises(KeyboardInterrupt):
        run()
    monkeypatch.setattr(zoo.training, "classification_accuracy", real)


def test_classifier_training_resumes_exactly_where_it_stopped(mnist_fixture, tmp_path, monkeypatch):
    """A run killed after its first epoch, then run again, ends with the weights of an unbroken run."""
    from zoo.training import train_classifier

    x, y = mnist_fixture
    x, y = x[:128], y[:128]
    options = dict(epochs=2, batch_size=32, lr=1e-3, weight_decay=0.01, label_smoothing=0.1, augment=(10, 0.1, 0.1),
                   seed=0, device="cpu", show_progress=False)

    def run(**more):
        torch.manual_seed(0)
        model = zoo.create("cnn_bn_fashion_mnist")
        history = []
        train_classifier(model, x, y, x[:32], y[:32], history=history, **options, **more)
        return model, history

    straight, history = run()
    ckpt = tmp_path / "classifier.ckpt"
    _interrupt_at_test_pass(2, lambda: run(checkpoint=ckpt), monkeypatch)
    resumed, second = run(checkpoint=ckpt)
    assert [h["test_accuracy"] for h in second] == [h["test_accuracy"] for h in history]
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    options["augment"] = None
    with pytest.raises(ValueError, match="other options.*augment"):
        run(checkpoint=ckpt)


def test_bfloat16_gives_way_to_float32_where_the_device_lacks_it(monkeypatch, capsys):
    """A recipe's default of bfloat16 trains in float32, and says so, where the device has no bfloat16 arithmetic
    (oneDNN's LSTM fails under it on such CPUs); an explicit --bf16 there is refused; elsewhere it stays."""
    from argparse import Namespace

    from zoo import training

    assert training.bf16_native("cpu") in (True, False)
    monkeypatch.setattr(training, "bf16_native", lambda device: False)
    args = Namespace(bf16=True, device="cpu")
    training.settle_bf16(args, ["train.py", "--threads", "2"])
    assert args.bf16 is False and "training in float32, not under the recipe's bfloat16" in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"--bf16: cpu \(CPU: .*\) has no bfloat16 arithmetic"):
        training.settle_bf16(Namespace(bf16=True, device="cpu"), ["train.py", "--bf16"])
    monkeypatch.setattr(training, "bf16_native", lambda device: True)
    args = Namespace(bf16=True, device="cpu")
    training.settle_bf16(args, ["train.py"])
    assert args.bf16 is True


def test_training_state_round_trips_without_pickle(tmp_path):
    from safetensors import safe_open

    from zoo.training_state import load_training_state, save_training_state

    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    path = tmp_path / "state.safetensors"
    save_training_state(path, optimizer=opt.state_dict(), best=(float("inf"), None), note="x")
    with safe_open(str(path), "pt"):  # a plain safetensors file
        pass
    saved = load_training_state(path)
    assert sorted(saved["optimizer"]["state"]) == [0, 1]  # integer keys stay integers
    assert torch.equal(saved["optimizer"]["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert saved["best"] == [float("inf"), None] and saved["note"] == "x"
    with pytest.raises(TypeError, match="is a object"):
        save_training_state(path, odd=object())
    with pytest.raises(ValueError, match="both be stored as 'clash.a.b'"):
        save_training_state(path, clash={"a.b": torch.zeros(1), "a": {"b": torch.ones(1)}})
    assert load_training_state(path)["note"] == "x"  # the failed save left the last one whole


def test_weight_averaging_keeps_the_mean_of_its_epochs_and_resumes(mnist_fixture, tmp_path, monkeypatch):
    """After the schedule, --swa-epochs epochs whose end weights are averaged: the model ends with their mean and
    batch-norm statistics recomputed for it, and a run killed in those epochs resumes to the same weights."""
    from torch.optim.swa_utils import AveragedModel, update_bn

    from zoo.training import train_classifier

    x, y = mnist_fixture
    x, y = x[:128], y[:128]
    options = dict(epochs=1, swa_epochs=2, swa_lr=1e-3, batch_size=32, lr=1e-3, weight_decay=0.01,
                   label_smoothing=0.1, augment=(10, 0.1, 0.1), seed=0, device="cpu", show_progress=False)

    def run(**more):
        torch.manual_seed(0)
        model = zoo.create("cnn_bn_fashion_mnist")
        history = []
        train_classifier(model, x, y, x[:32], y[:32], history=history, **{**options, **more})
        return model, history

    averaged, real_update = [], AveragedModel.update_parameters

    def noting(self, model):
        averaged.append({k: v.detach().clone() for k, v in model.named_parameters()})
        return real_update(self, model)

    monkeypatch.setattr(AveragedModel, "update_parameters", noting)
    straight, history = run()
    monkeypatch.setattr(AveragedModel, "update_parameters", real_update)
    assert [h["epoch"] for h in history] == [1, 2, 3] and len(averaged) == 2
    for name, value in straight.named_parameters():
        torch.testing.assert_close(value, (averaged[0][name] + averaged[1][name]) / 2, msg=name)
    recomputed = copy.deepcopy(straight)
    update_bn(straight.transforms(x).split(500), recomputed)  # the training images, as train_classifier reads them
    for (name, a), b in zip(straight.state_dict().items(), recomputed.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)

    ckpt = tmp_path / "swa.ckpt"
    _interrupt_at_test_pass(3, lambda: run(checkpoint=ckpt), monkeypatch)  # in the last epoch, one averaged
    resumed, second = run(checkpoint=ckpt)
    assert [h["test_accuracy"] for h in second] == [h["test_accuracy"] for h in history]
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    with pytest.raises(ValueError, match="swa_lr"):
        run(swa_lr=None)
