"""Which commit a repository and ref name, its files and their bytes, and the one-line errors
when they name none."""

from __future__ import annotations

import git
import pytest

from miner.cli import main as miner_main
from miner.source import (
    FileEntry,
    SourceError,
    list_python_files,
    open_repo,
    read_files,
    resolve_commit,
)


def test_a_ref_resolves_in_a_work_tree_and_in_a_bare_clone(make_repo, tmp_path):
    repo = make_repo("repo", {"a.py": "x = 1\n"})
    first = repo.repo.head.commit.hexsha
    second = repo.commit({"a.py": "x = 2\n"})
    repo.repo.create_tag("v1", ref=first)
    bare = git.Repo.clone_from(repo.path, tmp_path / "bare.git", bare=True)
    bare.close()
    for path in (repo.path, tmp_path / "bare.git"):
        assert resolve_commit(path, "HEAD") == second
        assert resolve_commit(path, "v1") == first  # a tag names its commit
        assert resolve_commit(path, "main~1") == first


@pytest.mark.parametrize(
    ("where", "ref", "message"),
    [
        ("missing", "HEAD", "no such repository path"),
        ("repo/pkg", "HEAD", "not a git repository"),  # never the repository above it
        ("repo", "no-such-branch", "cannot resolve ref 'no-such-branch' to a commit"),
        ("repo", "HEAD:pkg/a.py", "cannot resolve ref 'HEAD:pkg/a.py' to a commit"),  # a blob
        ("repo", "--output=x", "cannot resolve ref '--output=x' to a commit"),
    ],
)
def test_what_names_no_commit_is_one_clear_error(make_repo, tmp_path, where, ref, message):
    make_repo("repo", {"pkg/a.py": "x = 1\n"})
    with pytest.raises(SourceError) as raised:
        resolve_commit(tmp_path / where, ref)
    assert str(raised.value) == f"{tmp_path / where}: {message}"


def test_mining_a_directory_that_is_no_repository_fails_in_one_line(tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.mkdir()
    status = miner_main(["mine", str(plain), "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1
    assert f"{plain}: not a git repository" in err


def test_sizes_come_from_git_or_from_what_is_known(make_repo):
    repo = make_repo("repo", {"a.py": "x = 1\n", "pkg/b.py": "y = 22\n", "notes.txt": "n\n"})
    with open_repo(repo.path) as opened:
        entries = list_python_files(opened, "HEAD")
        assert [(e.path, e.size) for e in entries] == [("a.py", 6), ("pkg/b.py", 7)]
        # A known size is taken as it is: git is asked only about the other blobs.
        known = {entries[0].blob: 999}
        assert [e.size for e in list_python_files(opened, "HEAD", known)] == [999, 7]


def test_a_blob_missing_from_the_repository_is_one_clear_error(make_repo):
    repo = make_repo("repo", {"a.py": "x = 1\n", "b.py": "y = 2\n"})
    blob = repo.repo.head.commit.tree["b.py"].hexsha
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    with open_repo(repo.path) as opened, pytest.raises(SourceError) as raised:
        list_python_files(opened, "HEAD")
    assert str(raised.value).endswith(f"cannot read object {blob}: missing")


def test_files_are_read_in_order_each_one_ahead(make_repo):
    files = {f"m{i:02}.py": f"x = {i}\n" * (i * 900 + 1) for i in range(12)}  # up to ~90 KB
    files["empty.py"] = ""
    repo = make_repo("repo", files)
    with open_repo(repo.path) as opened:
        entries = list_python_files(opened, "HEAD")
        read = list(read_files(opened, reversed(entries)))
        assert [(e.path, blob.decode()) for e, blob in read] == [
            (e.path, files[e.path]) for e in reversed(entries)
        ]
        # A reader left halfway (a failed parse) must not leave git stuck or out of step.
        stream = read_files(opened, entries)
        next(stream)
        stream.close()
        assert [e.path for e, _ in read_files(opened, entries[:2])] == ["empty.py", "m00.py"]


def test_a_blob_git_cannot_find_is_one_clear_error(make_repo):
    repo = make_repo("repo", {"a.py": "x = 1\n"})
    with open_repo(repo.path) as opened:
        [entry] = list_python_files(opened, "HEAD")
        gone = FileEntry("b.py", "0" * 40, 10)  # no object has this id
        stream = read_files(opened, [entry, gone])
        assert next(stream) == (entry, b"x = 1\n")
        with pytest.raises(SourceError) as raised:
            next(stream)
    zeros = "0" * 40
    assert str(raised.value) == f"{opened.git_dir}: cannot read b.py ({zeros}): {zeros} missing"
