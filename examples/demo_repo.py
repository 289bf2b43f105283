"""Commit the embedded example service (`examples/acme/`) into a fresh git repository.

The repository gets a short, realistic history: an initial import, two feature commits and a
fix that edits a file already committed, so that mining reads real git objects at a HEAD that
differs from the first commit. Authors and dates are fixed, so the commit ids are the same on
every run.

`examples` is not a package: run this file (`python examples/demo_repo.py DEST`) or load it by
path with importlib, as `examples/demo.py` and `tests/test_demo_repo.py` do.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import git

SOURCE = Path(__file__).resolve().parent / "acme"

ALICE = git.Actor("Alice Moreau", "alice@acme.example")
BOB = git.Actor("Bob Okafor", "bob@acme.example")
CET = timezone(timedelta(hours=1))


@dataclass(frozen=True)
class Rewrite:
    """An older version of a file: `then` stood where the file now says `now`."""

    path: str
    now: str
    then: str


@dataclass(frozen=True)
class Commit:
    message: str
    author: git.Actor
    date: datetime
    paths: tuple[str, ...]  # files or folders under examples/acme, as they are now
    rewrites: tuple[Rewrite, ...] = ()  # applied on top of `paths`, to write an older version


# The fix commit is the house rule being adopted: before it, get_order raised KeyError.
KEYERROR_VERSION = Rewrite(
    "acme/orders.py",
    now='        raise OrderNotFound(f"order {order_id} does not exist")\n    order["lines"]',
    then='        raise KeyError(order_id)\n    order["lines"]',
)

HISTORY: tuple[Commit, ...] = (
    Commit(
        "Initial import of the acme order service",
        ALICE,
        datetime(2024, 1, 8, 9, 30, tzinfo=CET),
        (
            ".gitignore",
            "README.md",
            "pyproject.toml",
            "sql",
            "acme/__init__.py",
            "acme/errors.py",
            "acme/settings.py",
            "acme/db/__init__.py",
            "acme/db/db_wrapper.py",
            "acme/audit.py",
            "acme/orders.py",
            "acme/customers.py",
            "acme/api",
            "tests/__init__.py",
            "tests/conftest.py",
        ),
        rewrites=(KEYERROR_VERSION,),
    ),
    Commit(
        "Add payments, refunds and order e-mails",
        BOB,
        datetime(2024, 2, 13, 16, 5, tzinfo=UTC),
        ("acme/payments.py", "acme/notifications.py", "acme/compat.py", "acme/proto"),
    ),
    Commit(
        "orders: raise OrderNotFound instead of KeyError",
        ALICE,
        datetime(2024, 2, 20, 11, 12, tzinfo=CET),
        ("acme/orders.py", "tests/test_orders.py"),
    ),
    Commit(
        "Add inventory, shipping and the finance reports",
        BOB,
        datetime(2024, 3, 4, 14, 40, tzinfo=UTC),
        (
            "acme/inventory.py",
            "acme/shipping.py",
            "acme/reports",
            "acme/vendor",
            "acme/db/generated_queries.py",
            "tests/test_reports.py",
        ),
    ),
)


def source_files(root: Path = SOURCE) -> list[str]:
    """Every file of the example tree, as sorted posix paths relative to `root`."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def _expand(paths: tuple[str, ...]) -> list[str]:
    files = source_files()
    chosen = []
    for path in paths:
        matched = [f for f in files if f == path or f.startswith(path + "/")]
        if not matched:
            raise FileNotFoundError(f"{SOURCE / path}: named in demo_repo.HISTORY but missing")
        chosen += matched
    return chosen


def _write(dest: Path, rel: str, rewrites: tuple[Rewrite, ...]) -> None:
    text = (SOURCE / rel).read_text(encoding="utf-8")
    for rewrite in (r for r in rewrites if r.path == rel):
        if text.count(rewrite.now) != 1:
            raise ValueError(f"{SOURCE / rel}: the text demo_repo rewrites is not there once")
        text = text.replace(rewrite.now, rewrite.then)
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def build_demo_repo(dest: Path) -> Path:
    """Create a git repository at `dest` (absent or empty) holding examples/acme; return it."""
    dest = Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty; the demo repository needs a fresh folder")
    repo = git.Repo.init(dest, mkdir=True, initial_branch="main")
    committed: set[str] = set()
    for commit in HISTORY:
        files = _expand(commit.paths)
        for rel in files:
            _write(dest, rel, commit.rewrites)
        repo.index.add(files)
        repo.index.commit(
            commit.message,
            author=commit.author,
            committer=commit.author,
            author_date=commit.date,
            commit_date=commit.date,
        )
        committed.update(files)
    missing = sorted(set(source_files()) - committed)
    if missing:
        raise ValueError(f"{SOURCE / missing[0]}: not committed by any step of demo_repo.HISTORY")
    repo.close()
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="folder to create (absent or empty)")
    args = parser.parse_args(argv)
    try:
        path = build_demo_repo(args.dest)
    except (OSError, ValueError) as err:
        print(f"demo_repo: {err}", file=sys.stderr)
        return 1
    repo = git.Repo(path)
    for commit in repo.iter_commits():
        print(f"{commit.hexsha[:10]} {commit.authored_datetime:%Y-%m-%d} {commit.summary}")
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
