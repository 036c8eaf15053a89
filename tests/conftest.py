import bz2
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets"
FIXTURES = Path(__file__).parent / "fixtures"
needs_full_data = pytest.mark.skipif(
    not (SHARED_DATA / "MNIST" / "raw").is_dir(), reason=f"the full datasets are not at {SHARED_DATA}"
)


@pytest.fixture(scope="session")
def mnist_fixture():
    """The first 2,000 MNIST test images (uint8) and labels, committed under tests/fixtures."""
    with np.load(FIXTURES / "mnist_test_2k.npz", allow_pickle=False) as f:
        return torch.from_numpy(f["images"]), torch.from_numpy(f["labels"]).long()


def _write_idx(path: Path, array: np.ndarray):
    magic = {1: 0x801, 3: 0x803}[array.ndim]
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _write_tiny_text(text: Path):
    """A made-up corpus (a Zipf-like stream over 300 words) and evaluation files in the shared layout."""
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)]
    zipf = 1 / np.arange(1, 301)
    stream = rng.choice(vocab, 30000, p=zipf / zipf.sum())
    (text / "eval").mkdir(parents=True)
    (text / "dictcorpus.txt").write_text(" ".join(stream))
    pairs = "".join(f"{vocab[i]}\t{vocab[i + 1]}\t{rng.uniform(0, 10):.2f}\n" for i in range(0, 60, 2))
    (text / "eval" / "wordsim353.tsv").write_text("# word pairs\n" + pairs + "notaword\tw1\t5.0\n")
    (text / "eval" / "simlex999.txt").write_text(pairs)
    (text / "eval" / "questions-words.txt").write_text(
        ": section\n" + "".join(" ".join(vocab[i : i + 4]) + "\n" for i in range(0, 80, 4)))
    rows = [("fresh" if rng.random() < 0.6 else "rotten", " ".join(rng.choice(vocab[:50], 12)), f"film{i // 3}")
            for i in range(600)]
    csv = "category,text,movie_name,has_plot_and_reviews\n" + "".join(f"{c},{t},{m},True\n" for c, t, m in rows)
    (text / "rotten_tomatoes").mkdir()
    (text / "rotten_tomatoes" / "rotten_tomatoes_corpus_full.csv.bz2").write_bytes(bz2.compress(csv.encode()))


@pytest.fixture(scope="session")
def tiny_data_root(tmp_path_factory, mnist_fixture):
    """A data root in the shared layout: torchvision's raw MNIST and FashionMNIST made from the MNIST fixture
    (train and test alike), and a made-up text corpus with evaluation files."""
    root = tmp_path_factory.mktemp("data")
    _write_tiny_text(root / "text")
    images, labels = (t.numpy() for t in mnist_fixture)
    for dataset in ("MNIST", "FashionMNIST"):  # the digits stand in for clothes: only the layout matters here
        raw = root / dataset / "raw"
        raw.mkdir(parents=True)
        for split in ("train", "t10k"):
            _write_idx(raw / f"{split}-images-idx3-ubyte", images)
            _write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def hub_mirror(tmp_path_factory):
    """An olah Hub mirror on 127.0.0.1 serving the repos that scripts/publish.py lays out; yields HF_ENDPOINT."""
    base = tmp_path_factory.mktemp("hub")
    subprocess.run([sys.executable, str(REPO / "scripts" / "publish.py"), "--mirror", str(base / "mirrors")],
                   cwd=REPO, check=True, capture_output=True)
    port = free_port()
    (base / "olah.toml").write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nmirrors-path = ["{base / "mirrors"}"]\n'
        f'repos-path = "{base / "repos"}"\nmirror-netloc = "127.0.0.1:{port}"\n'
        f'mirror-lfs-netloc = "127.0.0.1:{port}"\n[accessibility]\noffline = true\n'
    )
    log = open(base / "olah.out", "w")
    server = subprocess.Popen([sys.executable, "-m", "olah.server", "-c", str(base / "olah.toml")],
                              cwd=base, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail(f"olah did not start: {(base / 'olah.out').read_text()[-2000:]}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def run_python(code: str, env: dict, cwd=REPO) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter (huggingface_hub reads its settings at import time)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ZOO_"))}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, cwd=cwd, capture_output=True, text=True,
                          timeout=300)
