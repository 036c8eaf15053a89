import subprocess
import sys

from conftest import REPO


def test_generated_docs_match_the_measurements():
    r = subprocess.run([sys.executable, "scripts/make_docs.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_test_command_is_what_ci_runs():
    readme = (REPO / "README.md").read_text().splitlines()
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    commands = [l.strip() for l in readme[:20] if l.strip().startswith("python3 -m venv")]
    assert len(commands) == 2 and commands[1] in ci and commands[0].endswith("zoo demo")
