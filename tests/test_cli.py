import json
import subprocess
import sys

import pytest

from conftest import REPO

SAMPLES = sorted((REPO / "zoo" / "samples").glob("*.png"))


def zoo_cli(*args, check=True):
    r = subprocess.run([sys.executable, "-m", "zoo.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_list():
    out = zoo_cli("list").stdout
    assert "cnn_mnist" in out and "mlp_mnist" in out and "accuracy 0.99" in out
    assert "mlp_mnist" not in zoo_cli("list", "cnn*").stdout


def test_info():
    rec = json.loads(zoo_cli("info", "cnn_mnist").stdout)
    assert rec["repo_id"] == "fdl-zoo/cnn_mnist" and rec["pretrained"] is True


def test_eval_prints_measured_beside_manifest(tiny_data_root):
    out = zoo_cli("eval", "mlp_mnist", "--data-root", str(tiny_data_root)).stdout
    line = next(l for l in out.splitlines() if l.startswith("accuracy"))
    measured, recorded = map(float, line.split()[1:])
    assert measured >= 0.985 and recorded >= 0.985
    assert "test_images" in out and "2000" in out


def test_predict_on_sample_images():
    out = zoo_cli("predict", "cnn_mnist", *map(str, SAMPLES)).stdout.splitlines()
    assert len(out) == len(SAMPLES) == 10
    for line, path in zip(out, SAMPLES):
        assert line.startswith(f"{path}: {path.stem[-1]} (")


def test_demo():
    out = zoo_cli("demo").stdout
    assert "cnn_mnist" in out and "mlp_mnist" in out and out.count("label") >= 10
    assert " x" not in out  # every bundled digit is classified correctly by both models


def test_train_runs_the_script(tiny_data_root, tmp_path):
    out = zoo_cli("train", "mlp_mnist", "--quick", "--data-root", str(tiny_data_root),
                  "--out", str(tmp_path / "w"), "--manifest", str(tmp_path / "m.json")).stdout
    assert "wrote" in out and (tmp_path / "w" / "model.safetensors").exists()


@pytest.mark.parametrize("args, message", [(("info", "cnn_mnsit"), "Did you mean 'cnn_mnist'"),
                                           (("train", "nope"), "unknown model 'nope'")])
def test_errors_are_clear(args, message):
    r = zoo_cli(*args, check=False)
    assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr


def _bad_images(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "truncated.png").write_bytes(SAMPLES[0].read_bytes()[:60])
    (tmp_path / "folder.png").mkdir()
    return ["empty.png", "text.png", "truncated.png", "folder.png", "missing.png"]


def test_every_failure_is_one_line_and_exit_2(tmp_path, capsys):
    cases = [("predict", "cnn_mnist", str(tmp_path / f)) for f in _bad_images(tmp_path)]
    cases += [("predict", "vae_mnist", str(SAMPLES[0])),  # not a classifier
              ("sample", "vae_mnist", "-o", str(tmp_path / "folder.png")),  # a folder
              ("sample", "vae_mnist", "-n", "1000000", "-o", str(tmp_path / "x.png")),
              ("sample", "vae_mnist", "-o", str(tmp_path / "x.txt")),  # an extension that is no image format
              ("sample", "cnn_mnist", "-o", str(tmp_path / "x.png")),
              ("reconstruct", "cnn_mnist", "-o", str(tmp_path / "x.png")),
              ("play", "dqn_cartpole", "--gif", str(tmp_path / "x.png")),
              ("eval", "mlp_mnist", "--weights", "nope"),
              ("reproduce", "mlp_mnist", "--tolerance", "accuracy"),
              ("sample", "vae_mnist", "-n", "many"), ("nope",)]  # argparse's own errors too
    from zoo.cli import main

    for args in cases:  # in this process: one interpreter start instead of one per case
        with pytest.raises(SystemExit) as exit_:
            main(list(args))
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and err.startswith("zoo: error: ") and len(err.splitlines()) == 1, (args, err)
    # nothing written, and no temporary file left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.png", "folder.png", "text.png", "truncated.png"]
    assert not list((tmp_path / "folder.png").iterdir())


def test_sample_writes_the_format_its_extension_names(tmp_path):
    from PIL import Image

    for ext, fmt in ((".png", "PNG"), (".jpg", "JPEG")):
        zoo_cli("sample", "vae_mnist", "-n", "4", "-o", str(tmp_path / f"s{ext}"))
        assert Image.open(tmp_path / f"s{ext}").format == fmt


def test_weights_versions_are_listed_and_loaded_by_the_cli():
    assert "default, book" in next(l for l in zoo_cli("list").stdout.splitlines() if l.startswith("mlp_mnist"))
    out = zoo_cli("predict", "mlp_mnist", "--weights", "book", str(SAMPLES[0])).stdout
    assert out.startswith(f"{SAMPLES[0]}: {SAMPLES[0].stem[-1]} (")
