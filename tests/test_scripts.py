"""Each training script's --quick run writes a weights folder and manifest entry that zoo.load accepts."""
import json
import os
import subprocess
import sys

import pytest
import torch

import zoo
from conftest import REPO


SCRIPTED = ["mlp_mnist", "cnn_mnist", "vae_mnist", "gan_mnist", "autoencoder_mnist", "autoencoder2d_mnist",
            "denoising_autoencoder_mnist", "sparse_autoencoder_mnist", "skipgram_dictcorpus",
            "pg_cartpole", "dqn_cartpole", "a3c_cartpole", "dqn_breakout", "lstm_sentiment_rt",
            "seq2seq_g2p_cmudict", "transformer_g2p_cmudict", "ntm_copy", "dnc_copy", "dnc_babi",
            "drqn_cartpole_pomdp", "cnn_bn_fashion_mnist", "resnet34_fashion_mnist",
            "score_mnist"]
BASELINES = {"dqn_cartpole_pomdp": "dqn_cartpole"}  # registered to be trained beside an entry, by its script
SAME_SCRIPT_AS = {"transformer_g2p_cmudict": "seq2seq_g2p_cmudict",  # both are zoo.g2p_training.g2p_script
                  "dnc_copy": "ntm_copy"}  # both are zoo.memory_training.copy_script


def test_every_model_has_a_training_script():
    assert sorted(SCRIPTED + list(BASELINES)) == zoo.list_models()
    for name in SCRIPTED + list(BASELINES.values()):
        assert (REPO / "scripts" / f"train_{name}.py").exists()


def test_the_baselines_train_through_their_entrys_script(tmp_path):
    out, manifest = tmp_path / "weights" / "dqn_cartpole_pomdp", tmp_path / "manifest.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "train_dqn_cartpole.py"), "--quick", "--observe",
                    "positions-stack4", "--out", str(out), "--manifest", str(manifest)],
                   cwd=REPO, check=True, capture_output=True, text=True)
    rec = json.loads(manifest.read_text())["models"]["dqn_cartpole_pomdp"]
    assert rec["config"] == {"hidden": 128, "stack": 4} and "training_history.json" in {p.name for p in out.iterdir()}


def test_the_book_transformer_trains_through_its_entrys_script(tmp_path):
    """`--book` builds the book's Transformer (sinusoidal encodings, dropout 0.1) on its own recipe, records it
    as the `book` version, and its card says how to build it fresh."""
    out, manifest = tmp_path / "weights" / "transformer_g2p_cmudict.book", tmp_path / "manifest.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "train_transformer_g2p_cmudict.py"), "--quick", "--book",
                    "--out", str(out), "--manifest", str(manifest)], cwd=REPO, check=True, capture_output=True, text=True)
    rec = json.loads(manifest.read_text())["models"]["transformer_g2p_cmudict.book"]
    assert (rec["config"]["positions"], rec["config"]["dropout"]) == ("sinusoidal", 0.1)
    assert rec["training"]["recipe"]["bf16"] is False  # the book's recipe, not the default weights' one
    assert rec["repo_id"] == "fdl-zoo/transformer_g2p_cmudict.book" and "--book" in rec["training"]["command"]
    card = (out / "README.md").read_text()
    assert 'zoo.load("transformer_g2p_cmudict", pretrained=False, dropout=0.1, positions="sinusoidal")' in card
    assert "sinusoidal positional encodings; layer normalisation" in card


@pytest.mark.parametrize("name", [n for n in SCRIPTED if n not in SAME_SCRIPT_AS])
def test_quick_run_yields_a_loadable_folder(name, tiny_data_root, tmp_path, monkeypatch):
    out, manifest = tmp_path / "weights" / name, tmp_path / "manifest.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / f"train_{name}.py"), "--quick",
                    "--data-root", str(tiny_data_root), "--out", str(out), "--manifest", str(manifest)],
                   cwd=REPO, check=True, capture_output=True, text=True)
    rec = json.loads(manifest.read_text())["models"][name]
    assert {"README.md", "config.json", "model.safetensors"} <= {p.name for p in out.iterdir()}
    assert rec["training"]["command"].startswith("python ") and "--quick" in rec["training"]["command"]
    assert rec["metrics"] and all(v == v for v in rec["metrics"].values())  # measured, and no NaN
    assert not list(tmp_path.glob("weights/.*"))  # no temporary folder left behind
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("ZOO_MANIFEST", str(manifest))
    model = zoo.load(name)
    if rec["task"] == "image-classification":
        assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    elif rec["task"] == "reinforcement-learning":
        assert model.act(torch.zeros(model.obs_shape)) in range(model.scores(torch.zeros(1, *model.obs_shape)).shape[1])
    elif rec["task"] == "word-embeddings":
        assert model.vector(model.words[0]).shape == (rec["config"]["dim"],) and "vocab.json" in rec["files"]
    elif rec["task"] == "representation-learning":
        assert model.reconstruct(torch.zeros(2, 1, 28, 28)).shape == (2, 1, 28, 28)
    elif rec["task"] == "text-classification":
        assert model.predict(["w1 w2 w3"])[1].shape == (1, 2) and "vocab.json" in rec["files"]
    elif rec["task"] == "grapheme-to-phoneme":
        assert isinstance(model.pronounce("zoo"), str) and "attention.png" in {p.name for p in out.iterdir()}
    elif rec["task"] == "algorithmic":
        assert model.copy(torch.ones(1, 3, 8)).shape == (1, 3, 8) and "memory.png" in {p.name for p in out.iterdir()}
    elif rec["task"] == "question-answering":
        assert model.answer("Mary moved to the office.", "Where is Mary?") in model.words
    else:
        assert model.sample(2, seed=0).shape == (2, 1, 28, 28)


def test_missing_data_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "train_mlp_mnist.py"), "--quick",
                        "--data-root", str(tmp_path), "--out", str(tmp_path / "o"), "--manifest", str(tmp_path / "m.json")],
                       cwd=REPO, capture_output=True, text=True, env={"PATH": "", "HOME": str(tmp_path), "no_proxy": "*",
                                                                     "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"})
    assert r.returncode != 0
    assert "mnist is not under" in r.stderr and "--data-root" in r.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "m.json").exists()


def test_score_training_carries_on_from_its_checkpoint(tiny_data_root, tmp_path):
    """Two epochs in two runs through a checkpoint ship the same weights, bit for bit, as in one run (the moving
    average and the random generators carried over); a run with other options is refused."""
    script, ckpt = str(REPO / "scripts" / "train_score_mnist.py"), tmp_path / "run.ckpt"
    common = ["--quick", "--epochs", "2", "--data-root", str(tiny_data_root), "--manifest", str(tmp_path / "m.json")]
    subprocess.run([sys.executable, script, *common, "--out", str(tmp_path / "whole")], cwd=REPO, check=True,
                   capture_output=True)
    in_parts = [*common, "--checkpoint", str(ckpt), "--max-minutes", "1e-9"]
    r = subprocess.run([sys.executable, script, *in_parts, "--out", str(tmp_path / "parts")], cwd=REPO, check=True,
                       capture_output=True, text=True)
    assert "1 of 2 epochs done" in r.stdout and not (tmp_path / "parts").exists()
    other = subprocess.run([sys.executable, script, *common, "--checkpoint", str(ckpt), "--lr", "1e-3",
                            "--out", str(tmp_path / "other")], cwd=REPO, capture_output=True, text=True)
    assert other.returncode != 0 and "'lr': (0.0005, 0.001)" in other.stderr
    assert not (tmp_path / "other").exists()
    r = subprocess.run([sys.executable, script, *in_parts, "--out", str(tmp_path / "parts")], cwd=REPO, check=True,
                       capture_output=True, text=True)
    assert f"resumed from {ckpt} after epoch 1" in r.stdout
    whole, parts = ((tmp_path / run / "model.safetensors").read_bytes() for run in ("whole", "parts"))
    assert whole == parts
    card = (tmp_path / "parts" / "README.md").read_text()
    assert "It was trained in 2 runs" in card
    rec = json.loads((tmp_path / "m.json").read_text())["models"]["score_mnist"]
    assert rec["training"]["command"].count("--checkpoint") == 2
    assert rec["training"]["recipe"]["epochs_trained"] == 2


def test_breakout_training_resumes_from_its_checkpoint(tmp_path):
    script, ckpt = str(REPO / "scripts" / "train_dqn_breakout.py"), tmp_path / "run.ckpt"
    common = ["--quick", "--checkpoint", str(ckpt), "--manifest", str(tmp_path / "manifest.json"),
              "--double", "--dueling", "--prioritized"]  # the book's improvements, which the plain quick run lacks
    missing = subprocess.run([sys.executable, script, *common, "--resume", str(ckpt), "--out", str(tmp_path / "first")],
                             cwd=REPO, capture_output=True, text=True)
    assert missing.returncode != 0 and f"--resume {ckpt}: no such checkpoint" in missing.stderr
    subprocess.run([sys.executable, script, *common, "--out", str(tmp_path / "first")], cwd=REPO, check=True, capture_output=True)
    other = subprocess.run([sys.executable, script, *common[:-1], "--resume", str(ckpt), "--out", str(tmp_path / "other")],
                           cwd=REPO, capture_output=True, text=True)  # without --prioritized
    assert other.returncode != 0 and "'prioritized': (True, False)" in other.stderr
    assert not (tmp_path / "other").exists()
    r = subprocess.run([sys.executable, script, *common, "--resume", str(ckpt), "--out", str(tmp_path / "second")],
                       cwd=REPO, check=True, capture_output=True, text=True)
    assert "resuming at step 300" in r.stdout
    rec = json.loads((tmp_path / "manifest.json").read_text())["models"]["dqn_breakout"]
    first, second = rec["training"]["command"].split(" && ")
    assert "--resume" not in first and "--resume" in second
    assert rec["metrics"]["env_steps"] == 300 and rec["config"]["dueling"] is True
    card = (tmp_path / "second" / "README.md").read_text()
    assert "with Double DQN targets, a dueling head" in card
    assert "It was trained in 2 runs, each after the first resuming from the checkpoint before it" in card
    from safetensors.torch import load_file

    from zoo.training_state import load_training_state

    best = load_training_state(ckpt)["best_state"]
    shipped = load_file(tmp_path / "second" / "model.safetensors")
    assert best.keys() == shipped.keys() and all(torch.equal(best[k], shipped[k]) for k in best)


@pytest.mark.parametrize("name", ["mlp_mnist", "gan_mnist"])
def test_a_quick_run_trains_on_two_processes_under_torchrun(name, tiny_data_root, tmp_path):
    out, manifest = tmp_path / "w", tmp_path / "m.json"
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                        str(REPO / "scripts" / f"train_{name}.py"), "--quick", "--device", "cpu",
                        "--data-root", str(tiny_data_root), "--out", str(out), "--manifest", str(manifest)],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("wrote") == 1  # only rank 0 evaluates and writes
    rec = json.loads(manifest.read_text())["models"][name]
    assert rec["training"]["command"].startswith("torchrun --nproc_per_node 2 ")


def test_a_quick_run_reproduces_bit_for_bit(tmp_path, monkeypatch):
    out, manifest = tmp_path / "w" / "dqn_cartpole", tmp_path / "m.json"
    subprocess.run([sys.executable, "scripts/train_dqn_cartpole.py", "--quick", "--out", str(out), "--manifest", str(manifest)],
                   cwd=REPO, check=True, capture_output=True)
    env = {**os.environ, "ZOO_MANIFEST": str(manifest), "ZOO_WEIGHTS_DIR": str(tmp_path / "w")}
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "reproduce", "dqn_cartpole"], cwd=REPO, capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0 and "dqn_cartpole: bit-identical" in r.stdout, r.stdout + r.stderr
    # a recorded figure the rerun cannot meet is reported as off
    from zoo.manifest import WeightsRecord
    from zoo.reproduce import compare
    from zoo.storage import load_tensors

    raw = json.loads(manifest.read_text())["models"]["dqn_cartpole"]
    published = WeightsRecord.from_dict("dqn_cartpole", raw, manifest)
    worse = WeightsRecord.from_dict("dqn_cartpole", {**raw, "metrics": {**raw["metrics"], "mean_return": -1.0}}, manifest)
    monkeypatch.setenv("ZOO_WEIGHTS_DIR", str(tmp_path / "w"))
    result = compare(published, worse, load_tensors((out / "model.safetensors").read_bytes()), {"mean_return": 1.0})
    assert result.verdict == "off" and not result.ok and any("outside the tolerance of 1" in l for l in result.lines)
    # bit-identity is expected on the processor model that made the weights only
    assert result.same_processor
    elsewhere = WeightsRecord.from_dict("dqn_cartpole", {**raw, "training": {**raw["training"],
                                        "hardware": "CPU: Another Vendor X (AVX2), 1 thread"}}, manifest)
    result = compare(published, elsewhere, load_tensors((out / "model.safetensors").read_bytes()), {})
    assert not result.same_processor and any("made on" in l and "Another Vendor X" in l for l in result.lines)


def test_finetune_script_reports_the_test_accuracy_of_its_mode(tiny_data_root, tmp_path):
    script = str(REPO / "scripts" / "finetune_classifier.py")
    r = subprocess.run([sys.executable, script, "cnn_mnist", "--dataset", "mnist", "--train-size", "40", "--epochs", "1",
                        "--freeze-features", "--data-root", str(tiny_data_root), "--save", str(tmp_path / "t.safetensors")],
                       cwd=REPO, check=True, capture_output=True, text=True)
    result = json.loads(r.stdout.splitlines()[-1])
    assert result["mode"] == "linear_probe" and result["train_size"] == 40 and 0 <= result["accuracy"] <= 1
    tuned = zoo.create("cnn_mnist")
    from safetensors.torch import load_file

    tuned.load_state_dict(load_file(tmp_path / "t.safetensors"))
    bad = subprocess.run([sys.executable, script, "cnn_mnist", "--scratch", "--freeze-features"], cwd=REPO,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--freeze-features trains a head on pretrained features" in bad.stderr


def test_remeasure_refuses_a_record_whose_figures_come_out_different(tiny_data_root, tmp_path):
    # on the tiny data root (2,000 fixture digits) mlp_mnist's accuracy is not the recorded full-test-set one
    manifest = tmp_path / "manifest.json"
    manifest.write_text((REPO / "weights_manifest.json").read_text())
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "remeasure.py"), "mlp_mnist", "--data-root",
                        str(tiny_data_root), "--manifest", str(manifest), "--weights-dir", str(tmp_path / "weights")],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 1 and "accuracy" in r.stderr and "nothing written" in r.stderr
    assert manifest.read_text() == (REPO / "weights_manifest.json").read_text()


def test_remeasure_replace_writes_the_remeasured_figures_and_an_agents_evaluation_table(tmp_path):
    import shutil

    shutil.copytree(REPO / "weights" / "dqn_cartpole", tmp_path / "weights" / "dqn_cartpole")
    records = json.loads((REPO / "weights_manifest.json").read_text())
    recorded = records["models"]["dqn_cartpole"]["metrics"]["mean_return"]
    records["models"]["dqn_cartpole"]["metrics"] |= {"mean_return": 123.0, "eval_episodes": 3}  # 3 of its 100: quick
    manifest, card = tmp_path / "manifest.json", tmp_path / "weights" / "dqn_cartpole" / "README.md"
    manifest.write_text(json.dumps(records))
    card.write_text(card.read_text().replace(f"| {recorded:.1f} |", "| 123.0 |"))  # the card's evaluation table
    cmd = [sys.executable, str(REPO / "scripts" / "remeasure.py"), "dqn_cartpole", "--manifest", str(manifest),
           "--weights-dir", str(tmp_path / "weights")]
    refused = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert refused.returncode == 1 and "mean_return: 123.0 recorded" in refused.stderr
    subprocess.run(cmd + ["--replace"], cwd=REPO, check=True, capture_output=True)
    assert json.loads(manifest.read_text())["models"]["dqn_cartpole"]["metrics"]["mean_return"] == recorded
    assert "| 123.0 |" not in card.read_text() and f"| {recorded:.1f} |" in card.read_text()


def test_redraw_draws_a_classifiers_learning_curve_from_its_history(tmp_path):
    import shutil

    from PIL import Image

    folder = tmp_path / "weights" / "cnn_mnist"
    shutil.copytree(REPO / "weights" / "cnn_mnist", folder)
    (folder / "learning_curve.png").unlink()
    manifest = tmp_path / "manifest.json"
    manifest.write_text((REPO / "weights_manifest.json").read_text())
    subprocess.run([sys.executable, str(REPO / "scripts" / "redraw_pictures.py"), "cnn_mnist", "--manifest",
                    str(manifest), "--weights-dir", str(tmp_path / "weights")], cwd=REPO, check=True)
    assert Image.open(folder / "learning_curve.png").size[0] > 400
    record = json.loads(manifest.read_text())["models"]["cnn_mnist"]
    assert record["sha256"] == json.loads((REPO / "weights_manifest.json").read_text())["models"]["cnn_mnist"]["sha256"]
