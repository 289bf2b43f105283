"""The miner as a pipeline: source → parse → rules → filters → dedup → split → write.

Mining into OUT is incremental: each repository's state (`<state>/<repo>.sqlite`) caches its
summaries by blob, its last commit's file list and the verdicts on that commit, also per file.
Only blobs not seen before are read and parsed; whenever the commit or the settings moved, the
files whose verdicts may have changed are judged again (`miner.reuse`: the changed files, or
all of them when the facts other files' verdicts depend on changed), and a repository where
neither moved is not read at all. Dedup and split run across repositories on every run. That
is what keeps the result byte-identical to `--full`, which judges every file.
"""

from __future__ import annotations

import gc
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import git

from miner import __version__
from miner.codec import Encoded, Outcome
from miner.config import MineConfig, RepoSpec
from miner.dedup import find_duplicates
from miner.index import RepoIndex
from miner.judge import Candidate
from miner.lock import output_lock
from miner.manifest import delta, failed_manifest, repo_manifest, total
from miner.output import (
    PreviousRun,
    narrow_scope,
    pair_record,
    pause_point,
    read_previous,
    refresh_json,
    refresh_jsonl,
    remove_stale_temps,
    repo_scope,
    split_of,
    write_json,
)
from miner.parallel import FilePool, judge_files
from miner.reuse import funnel_of, judge_reusing
from miner.rules import RulePack, load_rules
from miner.scan import RepoScan, add_encoded, add_facts, add_outcome, summary_key, triage_entries
from miner.source import (
    FileEntry,
    SourceError,
    list_python_files,
    open_repo,
    resolve_commit,
)
from miner.state import RepoState, decode_verdicts, encode_kept, encode_verdicts, verdict_key

# The only manifest keys in which an incremental run differs from a `--full` run on the same
# commits and the same previous outputs: when it ran, and how much work the state saved
# (per repository and in the total).
RUN_KEYS = ("started_at", "finished_at", "seconds")
REUSE_KEYS = ("files_listed", "files_parsed", "files_reused", "files_judged")


@dataclass
class RepoResult:
    """One repository judged, as far as dedup, split and the outputs need it."""

    scan: RepoScan
    candidates: list[Candidate]  # every function; from the state, only those in `filtered`
    filtered: list[Candidate]  # kept by the per-repository filters, before dedup
    funnel: dict  # counts before dedup: functions found, documented, rule-matched, drops
    scope: dict  # `repo_scope` over the modules of `filtered`

    def slim(self) -> RepoResult:
        """Only what a writing run needs: memory stays bounded by the kept functions, not by
        every repository's code."""
        self.candidates = self.filtered
        self.scan.summaries, self.scan.encoded = {}, {}
        return self


@dataclass
class MineResult:
    repos: dict[str, RepoResult] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # repo name -> one-line error
    carried: dict[str, list[dict]] = field(default_factory=dict)  # failed repo -> kept pairs
    manifest: dict = field(default_factory=dict)
    pairs: list[dict] = field(default_factory=list)

    def candidates(self) -> list[Candidate]:
        return [c for r in self.repos.values() for c in r.candidates]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def scan_repo(spec: RepoSpec, config: MineConfig, pack: RulePack) -> RepoScan:
    """Source and parse steps for one repository, in this process, without a state."""
    path = config.source_path(spec)
    commit = resolve_commit(path, spec.ref)
    with FilePool(1, config.exclusions, pack) as pool, open_repo(path) as repo:
        return _scan(repo, spec, commit, config, pack, None, pool)()[0]


def _scan(
    repo: git.Repo,
    spec: RepoSpec,
    commit: str,
    config: MineConfig,
    pack: RulePack,
    state: RepoState | None,
    pool: FilePool,
) -> Callable[[], tuple[RepoScan, Callable[[], None]]]:
    """List the files and queue the unseen blobs on `pool` now; the step returned collects
    their summaries, and returns the scan with the step that saves them to the state."""
    key = summary_key(pack, config.exclusions)
    cached = state is not None and not config.full
    scan = RepoScan(name=spec.name, commit=commit)
    entries = state.tree(commit) if cached else None
    if entries is None:
        entries = list_python_files(repo, commit, state.sizes() if cached else None)
        scan.files_listed = len(entries)
    to_read = triage_entries(scan, entries, config.exclusions)
    known = state.facts(key) if cached else {}
    misses = [e for e in to_read if e.blob not in known]
    outcomes = pool.summarize(config.source_path(spec), misses, encoded=state is not None)

    def collect() -> tuple[RepoScan, Callable[[], None]]:
        parsed = _collect(outcomes, misses, config, spec.name)
        for entry in to_read:
            if entry.blob in known:
                scan.files_reused += 1
                add_facts(scan, entry, known[entry.blob])
            else:
                outcome, encoded = parsed[entry.path]
                if outcome is None:  # a worker's, left encoded
                    add_encoded(scan, entry, encoded)
                    continue
                add_outcome(scan, entry, outcome)
                if encoded is not None:
                    add_facts(scan, entry, encoded[1], counted=True)
        scan.files_parsed = len(misses)

        def save() -> None:
            if state is not None:
                state.save(commit, entries, {e.blob: parsed[e.path][1] for e in misses}, key)

        return scan, save

    return collect


def _collect(
    outcomes: Iterator[tuple[FileEntry, Outcome | None, Encoded | None]],
    entries: list[FileEntry],
    config: MineConfig,
    name: str,
) -> dict[str, tuple[Outcome | None, Encoded | None]]:
    """The summaries of `entries` as they come in: the only step whose cost follows what
    changed."""
    parsed: dict[str, tuple[Outcome | None, Encoded | None]] = {}
    show = config.progress and sys.stderr.isatty()
    with _progress_bar(name, sum(e.size for e in entries)) if show else nullcontext() as bar:
        for entry, outcome, encoded in outcomes:
            pause_point("parse")
            parsed[entry.path] = outcome, encoded
            if bar is not None:
                bar.update(entry.size)
    return parsed


def _progress_bar(name: str, size: int):
    # Imported only for a terminal: importing tqdm costs ~0.1 s, a tenth of a nightly rerun.
    from tqdm import tqdm

    return tqdm(total=size, unit="B", unit_scale=True, desc=name)


def judge(
    scan: RepoScan,
    pack: RulePack,
    config: MineConfig,
    jobs: int = 1,
    meanwhile: Callable[[], None] = lambda: None,
) -> RepoResult:
    """Rules and filters over the whole repository's summaries. With several jobs the files
    are judged in forked workers (while `meanwhile` runs here) and only the kept functions
    come back (a slim result)."""
    index = RepoIndex(scan.module_facts())
    candidates, counts = judge_files(scan, index, pack, config, jobs, meanwhile)
    scan.files_judged = len(scan.paths())
    filtered = [c for c in candidates if c.drop is None]
    funnel = funnel_of(counts)
    scope = repo_scope(index, (c.module for c in filtered))
    return RepoResult(scan, candidates, filtered, funnel, scope)


def start_repo(
    spec: RepoSpec,
    config: MineConfig,
    pack: RulePack,
    state: RepoState | None,
    pool: FilePool,
    judge_jobs: int = 1,
) -> Callable[[], RepoResult]:
    """Queue one repository's parse work on `pool`; the step returned finishes it (verdicts,
    on `judge_jobs` processes). With a state, an unmoved repository is finished from the
    state alone."""
    path = config.source_path(spec)
    commit = resolve_commit(path, spec.ref)
    if state is None:
        with open_repo(path) as repo:
            collect = _scan(repo, spec, commit, config, pack, None, pool)
        return lambda: judge(collect()[0], pack, config, judge_jobs)
    skey = summary_key(pack, config.exclusions)
    key = verdict_key(commit, skey, pack, config)
    stored = None if config.full else state.verdicts(key)
    if stored is not None:
        scan = RepoScan(name=spec.name, commit=commit)
        filtered, funnel, scope = decode_verdicts(stored, scan, pack)
        done = RepoResult(scan, filtered, filtered, funnel, scope)
        return lambda: done
    with open_repo(path) as repo:
        collect = _scan(repo, spec, commit, config, pack, state, pool)

    def finish() -> RepoResult:
        scan, save = collect()
        # The new summaries are encoded into the state while the workers judge.
        if config.full:
            result = judge(scan, pack, config, judge_jobs, meanwhile=save)
            encoded = encode_kept(result.filtered)
        else:
            kept, encoded, funnel, scope = judge_reusing(
                scan, state, skey, pack, config, judge_jobs, save
            )
            result = RepoResult(scan, kept, kept, funnel, scope)
        verdicts = encode_verdicts(result.scan, encoded, result.funnel, result.scope)
        state.save_verdicts(key, verdicts)
        return result

    return finish


def _cached_duplicates(
    items: list[tuple[tuple, str]], config: MineConfig, cache: Path | None
) -> dict[int, tuple[str, int]]:
    """`find_duplicates`, reused when its inputs are those of the last run (a nightly rerun
    that changed nothing need not tokenize every kept function again)."""
    digest = hashlib.sha256(json.dumps(asdict(config.dedup), sort_keys=True).encode())
    for key, code in items:
        digest.update(f"{key!r}\0{code}\0".encode())
    if cache is not None:
        try:
            stored = json.loads(cache.read_text(encoding="utf-8"))
            if stored["digest"] == digest.hexdigest():
                return {int(i): (reason, kept) for i, (reason, kept) in stored["dropped"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no cache, or a damaged one: compute
    dropped = find_duplicates(items, config.dedup)
    if cache is not None:
        write_json(cache, {"digest": digest.hexdigest(), "dropped": dropped})
    return dropped


def deduplicate(candidates: list[Candidate], config: MineConfig, cache: Path | None = None) -> None:
    """Across every repository of the run; the lowest (repo, path, line) survives."""
    kept = sorted((c for c in candidates if c.drop is None), key=lambda c: c.sort_key)
    items = [(c.sort_key, c.fn.completion) for c in kept]
    for dropped, (reason, survivor) in _cached_duplicates(items, config, cache).items():
        kept[dropped].drop = reason
        kept[dropped].duplicate_of = f"{kept[survivor].repo}:{kept[survivor].path}::" + (
            kept[survivor].fn.qualname
        )


def mine(config: MineConfig, pack: RulePack | None = None, write: bool = True) -> MineResult:
    """Run the whole pipeline; a failing repository is reported, the others still mined.

    With `write`, the run holds OUT's lock, uses and refreshes the per-repository state, and
    a repository that fails keeps the pairs it had in the previous pairs.jsonl.
    """
    config.validate()
    pack = pack or load_rules(config.rules)
    with _rare_young_collections():
        if not write:
            return _mine(config, pack, None)
        out = config.out_dir()
        with output_lock(out):
            remove_stale_temps(out)
            return _mine(config, pack, out)


@contextmanager
def _rare_young_collections() -> Iterator[None]:
    """A run keeps millions of small acyclic records until it ends; at the default thresholds
    the cyclic collector runs every 700 allocations and rescans the growing heap in its older
    generations, ~5% of a run's CPU on the stdlib corpus (0.33 s of 7 s, against 0.08 s with
    these). Forked workers inherit the setting."""
    previous = gc.get_threshold()
    gc.set_threshold(20_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _mine(config: MineConfig, pack: RulePack, out: Path | None) -> MineResult:
    started, clock = _now(), time.perf_counter()
    result = MineResult()
    previous = read_previous(out) if out is not None else PreviousRun()
    state_dir = config.state_dir() if out is not None else None
    from miner.executors import mine_repos  # the executors run this module's steps

    for name, outcome in mine_repos(config, pack, state_dir, slim=out is not None):
        if isinstance(outcome, SourceError):
            result.failures[name] = str(outcome)
            result.carried[name] = previous.pairs.get(name, [])
        else:
            result.repos[name] = outcome
    candidates = result.candidates()
    deduplicate(candidates, config, state_dir / "dedup.json" if state_dir else None)
    for c in candidates:
        if c.drop is None:
            c.split = split_of(c.repo, c.path, config.validation_fraction)
    kept = sorted((c for c in candidates if c.drop is None), key=lambda c: c.sort_key)
    fresh = [pair_record(c, c.extra["context"]) for c in kept]
    carried = [p for pairs in result.carried.values() for p in pairs]
    result.pairs = sorted(fresh + carried, key=_pair_order)
    by_repo: dict[str, list[dict]] = {}
    for pair in result.pairs:
        by_repo.setdefault(pair["repo"], []).append(pair)
    repos: dict[str, dict] = {}
    for spec in config.repos:
        before = previous.pairs.get(spec.name, [])
        if spec.name in result.repos:
            entry = repo_manifest(result.repos[spec.name], spec)
            entry.update(delta(before, by_repo.get(spec.name, [])))
        else:
            old = previous.manifest.get("repos", {}).get(spec.name, {})
            entry = failed_manifest(spec, result.failures[spec.name], old, len(before))
        repos[spec.name] = entry
    result.manifest = {
        "tool": "housestyle-miner",
        "version": __version__,
        "started_at": started,
        "finished_at": _now(),
        "seconds": round(time.perf_counter() - clock, 3),
        "rules": {"ids": pack.ids, "fingerprint": pack.fingerprint},
        "settings": {
            "keep": config.keep,
            "validation_fraction": config.validation_fraction,
            "exclusions": asdict(config.exclusions),
            "quality": asdict(config.quality),
            "dedup": asdict(config.dedup),
        },
        "repos": repos,
        "failures": result.failures,
        "total": total(repos),
    }
    if out is not None:
        scopes = {
            name: narrow_scope(r.scope, (c.module for c in kept if c.repo == name))
            for name, r in result.repos.items()
        }
        for name in result.failures:
            if name in previous.scopes:
                scopes[name] = previous.scopes[name]
        # Pairs first and the manifest last: a run killed in between leaves every file whole,
        # and the next run recomputes all of them.
        refresh_jsonl(out / "pairs.jsonl", result.pairs)
        refresh_json(out / "scopes.json", scopes)
        write_json(out / "manifest.json", result.manifest)
    return result


def _pair_order(pair: dict) -> tuple:
    return (pair["repo"], pair["path"], pair["start_line"], pair["qualname"])
