"""A nightly run killed with SIGKILL anywhere, and two runs at once on one output dir."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miner.cli import EXIT_LOCKED
from miner.cli import main as miner_main
from miner.output import PAUSE_ENV
from tests.test_nightly import HELPERS, HISTORY, REPORTS, _orders

OUTPUTS = ("pairs.jsonl", "scopes.json", "manifest.json")  # in the order they are replaced


def _start_paused(repo: Path, out: Path, stage: str) -> subprocess.Popen:
    """`miner mine` in a subprocess, returned once it sleeps at `stage` (holding the lock)."""
    command = [sys.executable, "-m", "miner.cli", "mine", str(repo), "--out", str(out)]
    proc = subprocess.Popen(
        [*command, "--no-progress"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, PAUSE_ENV: stage},
    )
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"paused at {stage}" in line:
            return proc
    proc.wait()
    pytest.fail(f"never paused at {stage}: {''.join(seen)}")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def _snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def nightly(make_repo, tmp_path):
    """(repo, yesterday's OUT, the `--full` OUT for today's commit)."""
    repo = make_repo("acme", {**HISTORY[0], "acme/reports.py": REPORTS})
    before = tmp_path / "before"
    assert miner_main(["mine", str(repo.path), "--out", str(before), "--no-progress"]) == 0
    repo.commit(
        {
            "acme/orders.py": _orders("Load a single order by its id.", more=True),
            "acme/util/__init__.py": "",
            "acme/util/helpers.py": HELPERS,
            "acme/reports.py": None,
        }
    )
    expected = tmp_path / "expected"
    args = ["mine", str(repo.path), "--out", str(expected), "--no-progress", "--full"]
    assert miner_main(args) == 0
    return repo, before, expected


STAGES = ["parse", "state", "write:pairs.jsonl", "write:scopes.json", "write:manifest.json"]


@pytest.mark.parametrize("stage", STAGES)
def test_sigkill_keeps_outputs_whole_and_rerun_is_correct(nightly, tmp_path, stage):
    repo, before, expected = nightly
    out = tmp_path / "out"
    shutil.copytree(before, out)
    _kill(_start_paused(repo.path, out, stage))

    # Every output is whole: the previous version, or (already replaced) the new one.
    replaced = OUTPUTS.index(stage.removeprefix("write:")) if stage.startswith("write:") else 0
    for position, name in enumerate(OUTPUTS):
        text = (out / name).read_text(encoding="utf-8")
        if name.endswith(".jsonl"):
            [json.loads(line) for line in text.splitlines()]
        else:
            json.loads(text)
        source = expected if position < replaced else before
        if name != "manifest.json" or source is before:
            assert (out / name).read_bytes() == (source / name).read_bytes(), name

    # The lock died with the process; the rerun finishes the job and cleans up.
    assert miner_main(["mine", str(repo.path), "--out", str(out), "--no-progress"]) == 0
    for name in ("pairs.jsonl", "scopes.json"):
        assert (out / name).read_bytes() == (expected / name).read_bytes(), name
    counts = json.loads((out / "manifest.json").read_text())["repos"]["acme"]
    assert counts["kept"] == json.loads((expected / "manifest.json").read_text())["total"]["kept"]
    assert counts["pairs_added"] + counts["pairs_unchanged"] == counts["kept"]
    # Killed before the state committed: the new blobs are parsed again (and only those).
    assert counts["files_parsed"] == (2 if stage in ("parse", "state") else 0)
    assert not list(out.glob(".*.tmp"))


def test_second_run_refuses_at_once_and_touches_nothing(nightly, tmp_path, capsys):
    repo, before, _ = nightly
    out = tmp_path / "out"
    shutil.copytree(before, out)
    proc = _start_paused(repo.path, out, "parse")
    try:
        snapshot = _snapshot(out)
        started = time.monotonic()
        status = miner_main(["mine", str(repo.path), "--out", str(out), "--no-progress"])
        elapsed = time.monotonic() - started
        err = capsys.readouterr().err
    finally:
        _kill(proc)
    assert status == EXIT_LOCKED
    assert elapsed < 5.0  # a blocking lock would wait for the paused run (600 s)
    assert f"{out / '.miner.lock'}: another miner run (pid {proc.pid})" in err
    assert _snapshot(out) == snapshot
