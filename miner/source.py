"""Read Python files from a commit through git objects, never from the working tree."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
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


def list_python_files(
    repo: git.Repo, commit: str, known_sizes: Mapping[str, int] | None = None
) -> list[FileEntry]:
    """Every regular `.py` blob in the commit's tree, sorted by path.

    Sizes in `known_sizes` (blob id -> bytes, say from the last run) are taken as they are;
    only the other blobs' sizes are asked of git, in one batch. Reading a size means opening
    the object, which for a loose one means inflating it: `ls-tree --long` would do that for
    every file of the tree, Python or not, on every run.
    """
    import git

    known_sizes = known_sizes or {}
    try:
        listing = repo.git.ls_tree("-r", "-z", "--full-tree", commit)
    except git.GitCommandError as err:
        raise SourceError(f"{repo.git_dir}: cannot list {commit}: {err.stderr.strip()}") from None
    found: list[tuple[str, str]] = []
    for record in listing.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind == "blob" and mode in _REGULAR_MODES and path.endswith(".py"):
            found.append((path, blob))
    sizes = dict(known_sizes)
    sizes.update(_blob_sizes(repo, {blob for _, blob in found if blob not in sizes}))
    return sorted((FileEntry(path, blob, sizes[blob]) for path, blob in found),
                  key=lambda e: e.path)


def _blob_sizes(repo: git.Repo, blobs: set[str]) -> dict[str, int]:
    """Sizes of `blobs`, from one `git cat-file --batch-check`."""
    if not blobs:
        return {}
    checker = repo.git.cat_file("--batch-check", as_process=True, istream=subprocess.PIPE)
    out, err = checker.proc.communicate("".join(f"{b}\n" for b in sorted(blobs)).encode())
    sizes: dict[str, int] = {}
    for line in out.decode().splitlines():
        fields = line.split()
        if len(fields) != 3:  # "<id> missing": the tree names an object the repository lacks
            raise SourceError(f"{repo.git_dir}: cannot read object {fields[0]}: missing")
        sizes[fields[0]] = int(fields[2])
    if checker.proc.returncode != 0 or len(sizes) != len(blobs):
        detail = err.decode(errors="replace").strip() or "git cat-file failed"
        raise SourceError(f"{repo.git_dir}: cannot read blob sizes: {detail}")
    return sizes


def read_blob(repo: git.Repo, blob: str) -> bytes:
    return repo.odb.stream(bytes.fromhex(blob)).read()
