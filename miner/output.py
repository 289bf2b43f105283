"""Split → write: pair records, the manifest and the scopes file, each replaced atomically."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from miner.index import RepoIndex
from miner.judge import Candidate
from miner.records import ImportBinding

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def split_of(repo: str, path: str, validation_fraction: float) -> str:
    """Deterministic per file, so a file never changes split when other files change."""
    digest = hashlib.sha256(f"{repo}\0{path}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return "validation" if position < validation_fraction else "train"


def pair_id(repo: str, path: str, qualname: str, code: str) -> str:
    return hashlib.sha256(f"{repo}\0{path}\0{qualname}\0{code}".encode()).hexdigest()[:32]


def import_context(imports: Iterable[ImportBinding], code: str) -> str:
    """The module's import statements that bind a name the code uses, one per line."""
    used = set(_IDENTIFIER.findall(code))
    statements: dict[tuple, list[ImportBinding]] = {}
    for binding in imports:
        if binding.local in used:
            key = (binding.line, binding.level, binding.module, binding.name is None)
            statements.setdefault(key, []).append(binding)
    lines = []
    for (_, level, module, plain), bindings in statements.items():
        if plain:
            lines.extend(b.text for b in bindings)
        else:
            names = ", ".join(b.text.split(" import ", 1)[1] for b in bindings)
            lines.append(f"from {'.' * level}{module} import {names}")
    return "\n".join(dict.fromkeys(lines))


def pair_record(candidate: Candidate, context: str) -> dict:
    fn = candidate.fn
    return {
        "id": pair_id(candidate.repo, candidate.path, fn.qualname, fn.code),
        "repo": candidate.repo,
        "commit": candidate.commit,
        "path": candidate.path,
        "module": candidate.module,
        "qualname": fn.qualname,
        "start_line": fn.start_line,
        "end_line": fn.end_line,
        "docstring": fn.docstring,
        "prompt": fn.docstring,
        "completion": fn.completion,
        "rules": candidate.require,
        "forbidden": candidate.forbid,
        "split": candidate.split,
        "context": context,
    }


def repo_scope(index: RepoIndex, modules: Iterable[str]) -> dict:
    """What checking generated code later needs: exception classes and module bindings."""
    return {
        "exception_classes": index.exception_classes(),
        "modules": {
            m: {"bindings": {k: index.canonical(v) for k, v in sorted(index.bindings(m).items())}}
            for m in sorted(set(modules))
        },
    }


PAUSE_ENV = "HOUSESTYLE_TEST_PAUSE_AT"


def pause_point(stage: str) -> None:
    """Crash-test hook: with HOUSESTYLE_TEST_PAUSE_AT=<stage> the run says so on stderr and
    sleeps there, so a test can SIGKILL it at exactly that point."""
    if os.environ.get(PAUSE_ENV) == stage:
        print(f"miner: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(600)


def narrow_scope(scope: dict, modules: Iterable[str]) -> dict:
    """A `repo_scope` reduced to `modules` (those whose functions survived dedup)."""
    keep = set(modules)
    return {**scope, "modules": {m: b for m, b in scope["modules"].items() if m in keep}}


def atomic_write(path: Path, chunks: Iterable[str]) -> None:
    """Write to a temp file beside `path`, fsync, rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        pause_point(f"write:{path.name}")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stale_temps(out: Path) -> None:
    """Delete temp files of writes a killed run left behind (call only under OUT's lock)."""
    for name in ("pairs.jsonl", "scopes.json", "manifest.json"):
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)


def write_jsonl(path: Path, records: Iterable[dict]) -> None:
    atomic_write(path, _jsonl_lines(records))


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, [_json_text(data)])


def refresh_jsonl(path: Path, records: Sequence[dict]) -> None:
    """`write_jsonl`, unless `path` holds these very lines already: then the file is left as
    it is, mtime included, so whatever watches the dataset sees no change where there is none
    (and a no-op rerun skips the write and its fsyncs)."""
    if not _holds(path, _jsonl_lines(records)):
        atomic_write(path, _jsonl_lines(records))


def refresh_json(path: Path, data: dict) -> None:
    """`write_json`, unless `path` holds this very text already (see `refresh_jsonl`)."""
    text = _json_text(data)
    if not _holds(path, [text]):
        atomic_write(path, [text])


def _jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    return (json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in records)


def _json_text(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _holds(path: Path, chunks: Iterable[str]) -> bool:
    """Whether the file at `path` is exactly the UTF-8 text of `chunks` (read as it goes)."""
    try:
        handle = path.open("rb")
    except OSError:
        return False
    with handle:
        for chunk in chunks:
            data = chunk.encode("utf-8")
            if handle.read(len(data)) != data:
                return False
        return handle.read(1) == b""


@dataclass
class PreviousRun:
    """What the last run left in OUT: the base of the delta and of a failed repo's carry-over."""

    pairs: dict[str, list[dict]] = field(default_factory=dict)  # repo -> its pairs, in order
    scopes: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)


def _load(path: Path, parse) -> object | None:
    if not path.exists():
        return None
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError, OSError) as err:
        # Only a hand-edited file gets here (writes are atomic): start over from nothing.
        print(f"miner: warning: {path}: unreadable, ignored: {err}", file=sys.stderr)
        return None


def _pairs_by_repo(text: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for line in text.splitlines():
        record = json.loads(line)
        grouped.setdefault(record["repo"], []).append(record)
    return grouped


def read_previous(out: Path) -> PreviousRun:
    previous = PreviousRun()
    previous.pairs = _load(out / "pairs.jsonl", _pairs_by_repo) or {}
    previous.scopes = _load(out / "scopes.json", json.loads) or {}
    previous.manifest = _load(out / "manifest.json", json.loads) or {}
    return previous
