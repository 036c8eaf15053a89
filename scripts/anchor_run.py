"""Running a reference implementation ("anchor") beside ours, for the benchmark scripts."""
import argparse
import json
import os
import re
import runpy
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
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


def _env_info(batched: dict, i: int) -> dict:
    """Environment i's entries of a gymnasium 1.x vector-env info dict (each key batched, with a `_key` mask)."""
    return {k: _env_info(v, i) if isinstance(v, dict) else v[i] for k, v in batched.items()
            if not k.startswith("_") and (f"_{k}" not in batched or batched[f"_{k}"][i])}


@contextmanager
def gymnasium_029():
    """CleanRL's scripts were written for gymnasium 0.29; run them unmodified under gymnasium 1.x. Vector
    environments reset an episode in the step that ends it and report it as `final_observation` and a list
    `final_info` of one dict per environment, as 0.29 did; the wrappers' old names (GrayScaleObservation,
    FrameStack) are back; ale-py's games are registered, as its 0.29-era plugin did on import."""
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)
    init, step = gym.vector.SyncVectorEnv.__init__, gym.vector.SyncVectorEnv.step

    def same_step_init(self, env_fns, **kwargs):
        init(self, env_fns, **kwargs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)

    def step_029(self, actions):
        obs, rewards, terminations, truncations, infos = step(self, actions)
        if "final_obs" in infos:
            infos["final_observation"] = infos.pop("final_obs")
            final = infos.pop("final_info")
            infos["final_info"] = [_env_info(final, i) if infos["_final_obs"][i] else {} for i in range(len(actions))]
        return obs, rewards, terminations, truncations, infos

    renamed = {"GrayScaleObservation": gym.wrappers.GrayscaleObservation,
               "FrameStack": gym.wrappers.FrameStackObservation}
    gym.vector.SyncVectorEnv.__init__, gym.vector.SyncVectorEnv.step = same_step_init, step_029
    for old, wrapper in renamed.items():
        setattr(gym.wrappers, old, wrapper)
    try:
        yield
    finally:
        gym.vector.SyncVectorEnv.__init__, gym.vector.SyncVectorEnv.step = init, step
        for old in renamed:
            delattr(gym.wrappers, old)


def run_cleanrl(checkout, script: str, argv: list) -> dict:
    """Run `cleanrl/{script}` of a CleanRL checkout unmodified, in this process, under `gymnasium_029`, with
    command-line `argv`, in a temporary folder (it writes its logs under runs/). Returns the script's
    globals at its end (its networks among them)."""
    sys.path.insert(0, str(checkout))
    sys.argv, cwd = [script, *map(str, argv)], Path.cwd()
    with tempfile.TemporaryDirectory() as tmp, gymnasium_029():
        os.chdir(tmp)
        try:
            return runpy.run_path(str(Path(checkout) / "cleanrl" / script), run_name="__main__")
        finally:
            os.chdir(cwd)
            sys.path.remove(str(checkout))
