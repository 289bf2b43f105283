"""`--executor ray` on a local Ray instance: byte-identical to the local executor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from miner.pipeline import RUN_KEYS
from tests.test_parallel import package_files


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _outputs(out: Path) -> tuple[bytes, bytes, dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    for key in RUN_KEYS:
        manifest.pop(key)
    return (out / "pairs.jsonl").read_bytes(), (out / "scopes.json").read_bytes(), manifest


def test_ray_executor_matches_local(ray_local, make_repo, mine, tmp_path):
    repos = [make_repo(f"r{i}", package_files(f"r{i}", modules=3 + 5 * i, functions=3,
                                              first=100 * i)) for i in range(3)]
    # A copy of r0's code in r2: dedup across repositories must drop the same pairs.
    copied = (repos[0].path / "r0/mod_000.py").read_text()
    repos[2].commit({"copy/__init__.py": "", "copy/mod_000.py": copied}, "copy")
    missing = tmp_path / "missing"
    runs = {"local": ("--executor", "local", "--jobs", "1"), "ray": ("--executor", "ray")}
    for name, args in runs.items():
        status, pairs, manifest = mine(*repos, missing, args=args, out=tmp_path / name)
        assert status == 1  # the missing repository
        assert manifest["failures"].keys() == {"missing"}
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    assert {p["repo"] for p in pairs} == {"r0", "r1", "r2"}
    assert manifest["total"]["dropped"].get("duplicate", 0) > 0

    # Rerun after a change in one repository: each task used its own repository's state.
    repos[1].commit({"r1/mod_000.py": None}, "drop a module")
    for name, args in runs.items():
        mine(*repos, args=args, out=tmp_path / name)
    assert _outputs(tmp_path / "ray") == _outputs(tmp_path / "local")
    reused = json.loads((tmp_path / "ray" / "manifest.json").read_text())["repos"]
    assert reused["r0"]["files_parsed"] == 0 and reused["r2"]["files_parsed"] == 0
    assert reused["r1"]["files_parsed"] == 0 and reused["r1"]["files_reused"] > 0
    states = {p.name for p in (tmp_path / "ray" / "state").glob("*.sqlite")}
    assert {"r0.sqlite", "r1.sqlite", "r2.sqlite"} <= states


def test_missing_ray_is_a_one_line_usage_error(make_repo, tmp_path):
    repo = make_repo("one", package_files("one", modules=1, functions=1))
    script = (
        "import sys; sys.modules['ray'] = None\n"  # what `import ray` sees when not installed
        "from miner.cli import main\n"
        f"sys.exit(main(['mine', {str(repo.path)!r}, '--out', {str(tmp_path / 'o')!r},"
        " '--executor', 'ray']))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr == (
        "miner: error: executor: ray is not installed (pip install 'housestyle[ray]')\n"
    )
