"""Shared fixtures: real git repositories built with gitpython in a temp dir."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from miner.cli import main as miner_main


class RepoBuilder:
    """A real git work tree; `commit(files)` writes, stages and commits in one step."""

    def __init__(self, path: Path):
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.repo = git.Repo.init(path, initial_branch="main")
        with self.repo.config_writer() as cfg:
            cfg.set_value("user", "name", "Test")
            cfg.set_value("user", "email", "test@example.com")

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for rel, content in files.items():
            target = self.path / rel
            if content is None:
                if target.exists():
                    self.repo.index.remove([rel], working_tree=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Write files (None deletes), `git add -A`, commit; returns the commit sha."""
        self.write(files)
        self.repo.git.add("-A")
        return self.repo.index.commit(message).hexsha

    def close(self) -> None:
        self.repo.close()


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., RepoBuilder]:
    builders: list[RepoBuilder] = []

    def factory(name: str = "repo", files: dict | None = None) -> RepoBuilder:
        builder = RepoBuilder(tmp_path / name)
        builders.append(builder)
        if files:
            builder.commit(files, "initial")
        return builder

    yield factory
    for builder in builders:
        builder.close()


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def mine(tmp_path: Path) -> Callable[..., tuple[int, list[dict], dict]]:
    """Run `miner mine` in-process; returns (exit status, pairs, manifest)."""

    def run(*repos: RepoBuilder | Path | str, args: tuple[str, ...] = (), out: Path | None = None):
        out = out or tmp_path / "out"
        paths = [str(r.path if isinstance(r, RepoBuilder) else r) for r in repos]
        status = miner_main(["mine", *paths, "--out", str(out), "--no-progress", *args])
        pairs = read_jsonl(out / "pairs.jsonl") if (out / "pairs.jsonl").exists() else []
        manifest_path = out / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        return status, pairs, manifest

    return run
