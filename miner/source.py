"""Read Python files from a commit through git objects, never from the working tree."""

from __future__ import annotations

import os
import subprocess
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

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
    except (git.GitError, OSError) as err:
        raise SourceError(f"{path}: cannot open the repository: {err}") from None
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


def read_files(repo: git.Repo, entries: Iterable[FileEntry]) -> Iterator[tuple[FileEntry, bytes]]:
    """Each entry with its blob's bytes, in order, from one `git cat-file --batch` that is
    always asked for the next blob before this one is read: git finds and inflates it while
    the caller parses this one. (gitpython's `odb.stream` asks for a blob only when it is
    read, and a 1-job run on the stdlib sat waiting on git for 0.28 s of its ~5 s.)"""
    import git

    try:
        process = repo.git.cat_file("--batch", as_process=True, istream=subprocess.PIPE)
    except (git.GitError, OSError) as err:
        raise SourceError(f"{repo.git_dir}: cannot start git cat-file: {err}") from None
    stdin, stdout = process.proc.stdin, process.proc.stdout
    pending = iter(entries)
    asked: deque[FileEntry] = deque()

    def ask() -> None:
        entry = next(pending, None)
        if entry is not None:
            stdin.write(f"{entry.blob}\n".encode())
            stdin.flush()
            asked.append(entry)

    try:
        ask()
        while asked:
            ask()
            entry = asked.popleft()
            yield entry, _answer(stdout, entry, repo.git_dir)
    except OSError as err:  # git is gone: the pipe broke under a request
        raise SourceError(f"{repo.git_dir}: cannot read blobs: {err}") from None
    finally:
        # Killed, not closed: a caller that stopped early leaves answers git may be stuck
        # writing.
        process.proc.kill()
        process.proc.wait()
        stdin.close()
        stdout.close()


def _answer(stdout: IO[bytes], entry: FileEntry, git_dir: str) -> bytes:
    """One `cat-file --batch` answer: "<id> <type> <size>", the bytes, a newline."""
    header = stdout.readline()
    fields = header.split()
    if len(fields) != 3 or fields[0].decode() != entry.blob:  # "<id> missing", or git ended
        detail = header.decode(errors="replace").strip() or "git cat-file ended"
        raise SourceError(f"{git_dir}: cannot read {entry.path} ({entry.blob}): {detail}")
    size = int(fields[2])
    data = stdout.read(size)
    if len(data) != size or stdout.read(1) != b"\n":
        raise SourceError(f"{git_dir}: cannot read {entry.path} ({entry.blob}): cut short")
    return data
