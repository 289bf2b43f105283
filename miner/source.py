"""Read Python files from a commit through git objects, never from the working tree."""

from __future__ import annotations

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


def resolve_commit(repo: git.Repo, ref: str) -> str:
    import git

    try:
        return repo.commit(ref).hexsha
    except (git.BadName, ValueError, git.GitCommandError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise SourceError(f"{repo.git_dir}: cannot resolve ref {ref!r} {detail}".strip()) from None


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
