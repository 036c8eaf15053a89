"""Publish weights/<name>/ folders: upload each to its Hub repo, or lay them out as local git repos
that a self-hosted Hub mirror (e.g. olah with `mirrors-path`) serves.

    python scripts/publish.py                       # every entry in the manifest, to the Hub
    python scripts/publish.py cnn_mnist --mirror /srv/hf-mirrors
"""
import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from zoo.weights import sha256_bytes

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="*", help="entries to publish (default: every entry in the manifest)")
p.add_argument("--weights-dir", default="weights", help="folder holding <name>/ weights folders")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--mirror", metavar="DIR", help="write git repos under DIR/models/<org>/<repo> instead of uploading")
args = p.parse_args()

models = json.loads(Path(args.manifest).read_text())["models"]
unknown = sorted(set(args.names) - set(models))
if unknown:
    sys.exit(f"not in {args.manifest}: {', '.join(unknown)}; published entries: {', '.join(sorted(models))}")

for name in args.names or sorted(models):
    rec, folder = models[name], Path(args.weights_dir) / name
    weights = folder / rec["filename"]
    if not weights.exists() or sha256_bytes(weights.read_bytes()) != rec["sha256"]:
        sys.exit(f"{weights} is missing or does not match the manifest's sha256; retrain or fix the manifest first")
    if args.mirror:
        repo = Path(args.mirror) / "models" / rec["repo_id"]
        shutil.rmtree(repo, ignore_errors=True)
        shutil.copytree(folder, repo)
        git = ["git", "-C", str(repo), "-c", "user.name=fdl-zoo", "-c", "user.email=fdl-zoo@users.noreply.huggingface.co"]
        subprocess.run(["git", "init", "-q", "-b", rec.get("revision", "main"), str(repo)], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", f"Publish {name}"], check=True)
        print(f"{name}: mirror repo at {repo}")
    else:
        from huggingface_hub import HfApi

        api = HfApi()
        api.create_repo(rec["repo_id"], exist_ok=True)
        info = api.upload_folder(repo_id=rec["repo_id"], folder_path=str(folder), revision=rec.get("revision", "main"),
                                 commit_message=f"Publish {name} ({rec['sha256'][:12]})")
        print(f"{name}: uploaded to {info.commit_url}")
