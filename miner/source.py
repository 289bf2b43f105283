"""Read Python files from a commit through git objects, never from the working tree."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import git

# Symlinks (120000) and submodules (160000) are never read: only regular blobs.
_REGULAR_MODES = {"100644", "100755"}


class SourceError(RuntimeError):
    """A repository or ref that cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    blob: str  # hex object id
    size: int


@contextmanager
def open_repo(path: str | Path) -> Iterator[git.Repo]:
    """Open a work tree or bare repo; closing it reaps gitpython's `cat-file` processes."""
    import git  # on first use: a no-op nightly rerun never opens a repository

    try:
        repo = git.Repo(path)
    except git.NoSuchPathError:
        raise SourceError(f"{path}: no such repository path") from None
    except git.InvalidGitRepositoryError:
        raise SourceError(f"{path}: not a git repository") from None
    try:
        yield repo
    finally:
        repo.close()


def resolve_commit(path: str | Path, ref: str) -> str:
    """The commit `ref` names in the work tree or bare repository at `path` (never in a
    repository above it). Asked of `git rev-parse` directly: it is all a no-op rerun needs of
    git, and importing gitpython would cost that run ~0.1 s, a third of its time."""
    path = Path(path)
    if not path.is_dir():
        raise SourceError(f"{path}: no such repository path")
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(path.resolve().parent))
    for variable in ("GIT_DIR", "GIT_WORK_TREE"):  # they would override `-C path`
        env.pop(variable, None)
    done = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--verify", "--quiet", "--end-of-options",
         ref + "^{commit}"],
        env=env, capture_output=True, text=True, check=False,
    )
    if done.returncode == 0:
        return done.stdout.strip()
    if "not a git repository" in done.stderr:
        raise SourceError(f"{path}: not a git repository")
    raise SourceError(f"{path}: cannot resolve ref {ref!r} to a commit")


def list_python_files(repo: git.Repo, commit: str) -> list[FileEntry]:
    """Every regular `.py` blob in the commit's tree, sorted by path."""
    import git

    try:
        listing = repo.git.ls_tree("-r", "-z", "--long", "--full-tree", commit)
    except git.GitCommandError as err:
        raise SourceError(f"{repo.git_dir}: cannot list {commit}: {err.stderr.strip()}") from None
    entries = []
    for record in listing.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, blob, size = meta.split()
        if kind == "blob" and mode in _REGULAR_MODES and path.endswith(".py"):
            entries.append(FileEntry(path=path, blob=blob, size=int(size)))
    entries.sort(key=lambda e: e.path)
    return entries


def read_blob(repo: git.Repo, blob: str) -> bytes:
    return repo.odb.stream(bytes.fromhex(blob)).read()
