"""Running a reference implementation ("anchor") beside ours, for the benchmark scripts."""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from zoo.files import write_atomic


def parse_args(name: str, doc: str):
    """The options every benchmark takes: the anchor checkout, the data, where the result goes."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("examples", help="checkout of github:pytorch/examples")
    p.add_argument("--data-root", required=True, help="folder holding MNIST/raw")
    p.add_argument("--full", action="store_true", help="let the anchor run to its end instead of our wall time")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for the anchor (OMP_NUM_THREADS); match the threads our recorded run had")
    p.add_argument("--anchor-files", default=None, metavar="DIR",
                   help="keep the anchor's output here; if DIR already holds a run's output, score that instead "
                        "of running the anchor again")
    p.add_argument("--out", default=f"docs/benchmarks/{name}.json")
    return p.parse_args()


def save_result(path, result: dict) -> None:
    write_atomic(Path(path), (json.dumps(result, indent=2) + "\n").encode())
    print(json.dumps(result, indent=2))


def run_anchor(cmd: list, data_root, budget_s=None, pattern: str = ".^", echo=True, threads=None, keep=None):
    """Run `cmd` in a fresh folder `run/` whose `../data` is `data_root` (where pytorch/examples reads
    MNIST), for at most `budget_s` seconds, with `threads` CPU threads if given. Returns (matches, run folder
    files): each output line that matches `pattern` as (seconds since start, match groups), and {file name:
    bytes} left in run/. With `keep`, both are also written to that folder, or read from it if already there."""
    kept = Path(keep) / "matches.json" if keep else None
    if kept and kept.exists():
        files = {p.name: p.read_bytes() for p in kept.parent.iterdir() if p != kept}
        return [(t, tuple(g)) for t, g in json.loads(kept.read_text())], files
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "data").symlink_to(Path(data_root).resolve())
        run = Path(tmp) / "run"
        (run / "results").mkdir(parents=True)
        start, found = time.time(), []
        proc = subprocess.Popen(cmd, cwd=run, stdout=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1",
                                     **({"OMP_NUM_THREADS": str(threads)} if threads else {})})
        for line in proc.stdout:
            m = re.search(pattern, line)
            if m:
                found.append((round(time.time() - start, 1), m.groups()))
                if echo:
                    print(f"anchor at {found[-1][0]} s: {line.strip()}", flush=True)
            if budget_s is not None and time.time() - start > budget_s:
                proc.kill()
                break
        proc.wait()
        files = {p.name: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    if kept:
        for name, data in files.items():
            write_atomic(kept.parent / name, data)
        write_atomic(kept, json.dumps(found).encode())
    return found, files
