"""Per-file verdict reuse: a rerun judges only the files whose verdicts may have changed.

A file's verdicts depend on its own summary, on the `RepoIndex` and on the rules and
settings. The index reads only each file's path and module facts (imports, classes, aliases),
so it is built from the facts alone, and its fingerprint (every path with its facts) goes into
the key the per-file verdicts are stored under. A file whose blob is the one judged under the
same key reuses its stored verdicts without its summary being decoded; anything that changes
the index (an import, class or alias anywhere, a file added or removed) changes the key, and
then every file is judged again. Reuse is therefore exact, never a guess about what a change
could affect.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable

from miner.config import MineConfig
from miner.index import RepoIndex
from miner.judge import Candidate
from miner.output import repo_scope
from miner.parallel import judge_by_file, map_paths
from miner.rules import RulePack
from miner.scan import RepoScan
from miner.state import (
    RepoState,
    decode_file_verdicts,
    encode_file_verdicts,
    join_kept,
    verdict_key,
)

FileVerdicts = tuple[list[Candidate], Counter]  # the kept candidates, the funnel's counts


def judged_key(scan: RepoScan, summary_key: str, pack: RulePack, config: MineConfig) -> str:
    """The verdict key without the commit, and the fingerprint of the index's inputs."""
    digest = hashlib.sha256(verdict_key("", summary_key, pack, config).encode())
    for path in sorted(scan.facts):
        digest.update(f"{path}\0{scan.facts[path]}\0".encode())
    return digest.hexdigest()[:32]


def load_summaries(scan: RepoScan, state: RepoState, summary_key: str, paths: list[str]) -> None:
    """Load from the state, encoded, the summaries of `paths` that were not parsed in this run."""
    for path in paths:
        if path not in scan.summaries and path not in scan.encoded:
            scan.encoded[path] = state.outcome(summary_key, scan.blobs[path])


def judge_reusing(
    scan: RepoScan,
    state: RepoState,
    summary_key: str,
    pack: RulePack,
    config: MineConfig,
    jobs: int,
    meanwhile: Callable[[], None],
) -> tuple[list[Candidate], str, dict, dict]:
    """(kept candidates, their `encode_kept`, funnel, scope) of the repository, judging only
    the files without stored verdicts under the current key; stores the new ones."""
    key = judged_key(scan, summary_key, pack, config)
    stored = state.file_verdicts(key)
    paths = sorted(scan.facts)
    todo = [p for p in paths if stored.get(p, ("",))[0] != scan.blobs[p]]
    load_summaries(scan, state, summary_key, todo)
    index = RepoIndex(scan.module_facts())
    fresh = _judge_each(scan.part(todo), index, pack, config, jobs, meanwhile)
    scan.files_judged = len(todo)
    rules = {rule.id: rule for rule in pack.rules}
    kept: list[Candidate] = []
    arrays: list[str] = []
    counts: Counter = Counter()
    for path in paths:
        if path in fresh:
            (file_kept, file_counts), (_, array) = fresh[path]
        else:
            _, counts_text, array = stored[path]
            file_kept, file_counts = decode_file_verdicts(counts_text, array, scan, rules)
        kept += file_kept
        arrays.append(array)
        counts.update(file_counts)
    scope, scope_text = _scope(state, key, index, kept)
    rows = {p: (scan.blobs[p], *fresh[p][1]) for p in todo}
    state.save_file_verdicts(key, rows, paths, scope_text)
    return kept, join_kept(arrays), funnel_of(counts), scope


def _scope(
    state: RepoState, key: str, index: RepoIndex, kept: list[Candidate]
) -> tuple[dict, str]:
    """`repo_scope` of the kept modules and its encoding for the state. It depends only on the
    index and those modules, so the stored one is reused while both are the same (finding the
    repository's exception classes walks every class)."""
    modules = sorted({c.module for c in kept})
    stored = state.scope()
    if stored is not None:
        stored_key, stored_modules, scope = json.loads(stored)
        if (stored_key, stored_modules) == (key, modules):
            return scope, stored
    scope = repo_scope(index, modules)
    return scope, json.dumps([key, modules, scope], ensure_ascii=False, separators=(",", ":"))


def funnel_of(counts: Counter) -> dict:
    return {
        "functions_found": counts["functions_found"],
        "functions_documented": counts["functions_documented"],
        "functions_rule_matched": counts["functions_rule_matched"],
        "dropped": {k[5:]: v for k, v in sorted(counts.items()) if k.startswith("drop:")},
    }


def _judge_each(
    scan: RepoScan,
    index: RepoIndex,
    pack: RulePack,
    config: MineConfig,
    jobs: int,
    meanwhile: Callable[[], None],
) -> dict[str, tuple[FileVerdicts, tuple[str, str]]]:
    """Each file's verdicts and their encoding for the state (`encode_file_verdicts`), on
    `jobs` forked workers when there is enough to judge."""
    parts = map_paths(_judge_chunk, (scan, index, pack, config, False), jobs, meanwhile)
    return {path: found for part in parts for path, found in part}


def _judge_chunk(
    shared: tuple, paths: list[str]
) -> list[tuple[str, tuple[FileVerdicts, tuple[str, str]]]]:
    return [
        (path, (verdicts, encode_file_verdicts(*verdicts)))
        for path, verdicts in judge_by_file(shared, paths).items()
    ]
