import json
import subprocess
import sys

from conftest import REPO
from zoo.manifest import get_record
from zoo.training import PRETRAINED_MODES


def test_generated_docs_match_the_measurements():
    r = subprocess.run([sys.executable, "scripts/make_docs.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_model_cards_match_the_manifest_and_benchmarks():
    r = subprocess.run([sys.executable, "scripts/refresh_cards.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text().splitlines()
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    commands = [l.strip() for l in readme[:20] if l.strip().startswith("python3 -m venv")]
    assert len(commands) == 2 and commands[1] in ci and commands[0].endswith("zoo demo")


def test_fine_tuning_tables_were_measured_on_the_published_weights():
    tables = sorted((REPO / "docs" / "benchmarks").glob("finetune_*.json"))
    assert tables
    for path in tables:
        result = json.loads(path.read_text())
        published = get_record(result["name"], path=REPO / "weights_manifest.json").file.sha256
        runs = [r for r in result["runs"] if r["mode"] in PRETRAINED_MODES]
        assert runs and all(r.get("weights_sha256") == published for r in runs), (
            f"{path.name} was measured on other weights of {result['name']} than the manifest's: rerun "
            "scripts/bench_finetune.py")
