"""Split → write: pair records, the manifest and the scopes file, each replaced atomically."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
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


def pair_record(candidate: Candidate, imports: list[ImportBinding]) -> dict:
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
        "context": import_context(imports, fn.completion),
    }


def repo_scope(index: RepoIndex, modules: Iterable[str]) -> dict:
    """What checking generated code later needs: exception classes and module bindings."""
    return {
        "exception_classes": index.exception_classes(),
        "modules": {
            m: {"bindings": {k: index.canonical(v) for k, v in sorted(index.bindings[m].items())}}
            for m in sorted(set(modules))
        },
    }


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
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_jsonl(path: Path, records: Iterable[dict]) -> None:
    atomic_write(path, (json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in records))


def write_json(path: Path, data: dict) -> None:
    atomic_write(path, [json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"])
