"""Which files and functions are not the team's hand-written code: tests, vendored copies,
generated modules, and whatever the user's include/exclude globs rule out.

Paths are repository-relative POSIX paths as git reports them ("src/acme/orders.py").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_TEST_DIRS = frozenset({"tests", "test"})
# `_vendor` is how pip, setuptools and friends ship their vendored dependencies.
_VENDOR_DIRS = frozenset(
    {"vendor", "_vendor", "third_party", "site-packages", "node_modules", ".venv", "venv"}
)
_GENERATED_SUFFIXES = ("_pb2.py", "_pb2_grpc.py")
_GENERATED_HEADER = re.compile(r"generated\s+by|auto-?generated|do\s+not\s+edit", re.IGNORECASE)
_HEADER_LINES = 5


@dataclass
class ExclusionConfig:
    tests: bool = True
    vendored: bool = True
    generated: bool = True
    include: list[str] = field(default_factory=list)  # when non-empty, only these are mined
    exclude: list[str] = field(default_factory=list)
    max_file_bytes: int = 1 << 20


def path_exclusion(path: str, cfg: ExclusionConfig) -> str | None:
    """The reason `path` is not mined ("vendored", "generated", "test", "excluded"), or None.

    Built-in categories come first so that the funnel says *why* a vendored test file went away;
    the user's globs only decide about what is left.
    """
    path = path.removeprefix("./")
    # A plain split: git's paths are already normalized, and PurePosixPath costs 10x more.
    *dirs, name = path.split("/")
    if cfg.vendored and any(part in _VENDOR_DIRS for part in dirs):
        return "vendored"
    if cfg.generated and name.endswith(_GENERATED_SUFFIXES):
        return "generated"
    if cfg.tests and _is_test_path(dirs, name):
        return "test"
    if cfg.include and not any(_glob(p).fullmatch(path) for p in cfg.include):
        return "excluded"
    if any(_glob(p).fullmatch(path) for p in cfg.exclude):
        return "excluded"
    return None


def generated_header(head: str) -> bool:
    """True when one of the first five lines says the file was generated."""
    lines = head.splitlines()[:_HEADER_LINES]
    return any(_GENERATED_HEADER.search(line) for line in lines)


def is_test_function(qualname: str) -> bool:
    return qualname.rsplit(".", 1)[-1].startswith("test_")


def _is_test_path(dirs: list[str], name: str) -> bool:
    return (
        any(part in _TEST_DIRS for part in dirs)
        or name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """Compile a gitignore-style glob into a regex over whole repository-relative paths.

    As in .gitignore: a pattern without an inner slash matches at any depth ("*.py", "tests/"),
    one with a slash is anchored at the root ("src/gen/*.py"), a trailing slash matches only
    directories, `**` spans directories, and a matched directory takes everything under it.
    """
    dir_only = pattern.endswith("/")
    core = pattern.strip("/")
    if not core:
        raise ValueError(f"glob {pattern!r}: empty pattern")
    anchored = "/" in pattern.rstrip("/")
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return re.compile(prefix + _translate(core) + suffix, re.DOTALL)


def _translate(glob: str) -> str:
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and (end := glob.find("]", i + 2)) != -1:
            body = glob[i + 1 : end]
            if body[0] in "!^":
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)
