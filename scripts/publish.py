"""Publish weights/<key>/ folders: upload each to its Hub repo and pin the manifest to the commit made, or
lay them out as local git repos that a self-hosted Hub mirror (e.g. olah with `mirrors-path`) serves.

    python scripts/publish.py                         # every entry in the manifest, to the Hub
    python scripts/publish.py cnn_mnist --mirror /srv/hf-mirrors
    python scripts/publish.py --pin                   # pin each record to the commit its folder makes

A mirror repo is one commit by a fixed author at a fixed time, so the same files always make the same
commit: the revision `zoo.publishing.save_entry` records. A published revision is never overwritten:
retrained weights make a new commit, and installed copies keep loading the one they pin.
"""
import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from zoo._hub import PUBLISH_TIME, PUBLISHER, publish_message
from zoo.manifest import get_record, read_manifest, split_key, update_manifest
from zoo.publishing import folder_revision
from zoo.weights import read_checked

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("names", nargs="*", help="manifest keys to publish (default: every one)")
p.add_argument("--weights-dir", default="weights", help="folder holding the <key>/ weights folders")
p.add_argument("--manifest", default="weights_manifest.json")
p.add_argument("--mirror", metavar="DIR", help="write git repos under DIR/models/<org>/<repo> instead of uploading")
p.add_argument("--pin", action="store_true", help="only record in the manifest the commit each folder makes")
args = p.parse_args()

models = read_manifest(args.manifest)["models"]
unknown = sorted(set(args.names) - set(models))
if unknown:
    sys.exit(f"not in {args.manifest}: {', '.join(unknown)}; published entries: {', '.join(sorted(models))}")

for key in args.names or sorted(models):
    rec, folder = get_record(*split_key(key), path=args.manifest), Path(args.weights_dir) / key
    for f in rec.files():
        read_checked(folder / f.filename, f, f"{key}/{f.filename}")  # an IntegrityError stops here
    revision = folder_revision(folder, key)
    if args.pin:
        if revision != rec.revision:
            update_manifest(args.manifest, key, {**models[key], "revision": revision})
        print(f"{key}: pinned to {revision}")
    elif args.mirror:
        if revision != rec.revision:
            sys.exit(f"{key}: {folder} makes commit {revision}, the manifest pins {rec.revision}; "
                     "run `python scripts/publish.py --pin` after changing a weights folder")
        repo = Path(args.mirror) / "models" / rec.repo_id
        shutil.rmtree(repo, ignore_errors=True)
        shutil.copytree(folder, repo)
        author, email = PUBLISHER.split(" <")
        env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email.rstrip(">"),
               "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email.rstrip(">"),
               "GIT_AUTHOR_DATE": PUBLISH_TIME, "GIT_COMMITTER_DATE": PUBLISH_TIME}
        git = ["git", "-C", str(repo), "-c", "commit.gpgsign=false"]
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", publish_message(key)], check=True, env=env)
        made = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
        if made != rec.revision:
            sys.exit(f"{key}: the mirror repo's commit {made} is not the pinned {rec.revision}")
        print(f"{key}: mirror repo at {repo}, commit {made}")
    else:
        from huggingface_hub import HfApi

        api = HfApi()
        api.create_repo(rec.repo_id, exist_ok=True)
        info = api.upload_folder(repo_id=rec.repo_id, folder_path=str(folder), revision="main",
                                 commit_message=publish_message(key))
        update_manifest(args.manifest, key, {**models[key], "revision": info.oid})
        print(f"{key}: uploaded to {info.commit_url}; the manifest now pins {info.oid}")
