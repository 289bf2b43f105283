"""The parse step on every core: worker processes that read and summarize blobs.

tree-sitter and the Python sweep over its captures hold the GIL, so threads would not help.
Each worker compiles the rule pack's queries once (compiled queries do not pickle) and reads
blobs itself through its own `git cat-file --batch`, so the parent ships only (path, blob id)
and gets summaries back already encoded for the state (`miner.codec`). Work goes out in chunks
of files cut by bytes, finer than one repository per worker, so one huge repository keeps every
core busy; results come back in input order, so the output is byte-identical for any number of
jobs.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import multiprocessing.pool

from miner.codec import Encoded, Outcome, decode_outcome, encode
from miner.config import MineConfig
from miner.exclusions import ExclusionConfig
from miner.index import RepoIndex
from miner.judge import Candidate, judge_repo
from miner.output import import_context
from miner.rules import RulePack
from miner.scan import RepoScan, summarize_blob
from miner.source import FileEntry, open_repo, read_files

T = TypeVar("T")
R = TypeVar("R")

# Below this many bytes to parse, starting workers costs more than it saves.
MIN_POOL_BYTES = 256 << 10
# Chunks several times smaller than a fair share let fast workers take over slow ones' work.
_CHUNKS_PER_JOB = 8
_MAX_CHUNK_BYTES = 4 << 20
# Judging fewer functions takes about as long as forking workers to share the work.
MIN_FORK_FUNCTIONS = 1000


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def chunk_entries(entries: Sequence[FileEntry], jobs: int) -> list[list[FileEntry]]:
    """Consecutive runs of `entries`, each about `total / (jobs * 8)` bytes (at least 1 file)."""
    total = sum(e.size for e in entries)
    target = min(max(total // (jobs * _CHUNKS_PER_JOB), 1), _MAX_CHUNK_BYTES)
    chunks: list[list[FileEntry]] = []
    current: list[FileEntry] = []
    size = 0
    for entry in entries:
        current.append(entry)
        size += entry.size
        if size >= target:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


class _Reader:
    """One process's blob reader and summarizer: the rule pack's queries, compiled once."""

    def __init__(self, exclusions: ExclusionConfig, pack: RulePack, all_usages: bool):
        self.exclusions = exclusions
        self.queries = pack.query_rules()
        self.all_usages = all_usages

    def summarize(self, repo_path: str, entries: Iterable[FileEntry]) -> Iterator[Outcome]:
        """The outcome of each entry, in order, read and summarized one at a time."""
        with open_repo(repo_path) as repo:
            for _, blob in read_files(repo, entries):
                yield summarize_blob(blob, self.exclusions, self.queries, self.all_usages)


_worker: _Reader | None = None


def _context(method: str | None) -> multiprocessing.context.BaseContext:
    # Imported when workers start: multiprocessing costs a no-op rerun ~10 ms it never uses.
    import multiprocessing

    return multiprocessing.get_context(method)


def _die_with_parent(parent: int) -> None:
    """Linux: a killed miner takes its workers along (idle workers never notice otherwise).

    Forked workers hold a copy of every file the miner had open, its output lock included.
    """
    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(
    parent: int, exclusions: ExclusionConfig, pack: RulePack, all_usages: bool
) -> None:
    global _worker
    _die_with_parent(parent)
    _worker = _Reader(exclusions, pack, all_usages)


def _summarize_chunk(task: tuple[str, list[FileEntry]]) -> list[Encoded]:
    assert _worker is not None, "worker used before its initializer ran"
    return [encode(outcome) for outcome in _worker.summarize(*task)]


class FilePool:
    """Summarize blobs of any repository with `jobs` worker processes (1: in this process),
    with or without `all_usages` (`parse.summarize`).

    `summarize` queues its work at once and returns a lazy iterator, so the caller can queue
    several repositories before consuming the first and no core waits between them. Workers
    start once the run has queued `MIN_POOL_BYTES`; what comes before is read in-process.
    """

    def __init__(
        self, jobs: int, exclusions: ExclusionConfig, pack: RulePack, all_usages: bool = True
    ):
        if jobs < 1:
            raise ValueError(f"jobs: must be at least 1, not {jobs}")
        self.jobs = jobs
        self.exclusions = exclusions
        self.pack = pack
        self.all_usages = all_usages
        self._pool: multiprocessing.pool.Pool | None = None
        self._local: _Reader | None = None
        self._queued = 0  # bytes asked for so far

    @property
    def started(self) -> bool:
        """Whether worker processes were started (small runs stay in-process)."""
        return self._pool is not None

    def summarize(
        self, repo_path: str, entries: Sequence[FileEntry], encoded: bool = False
    ) -> Iterator[tuple[FileEntry, Outcome | None, Encoded | None]]:
        """Each entry with its outcome, in the order given. With `encoded`, also the outcome's
        encoding for the state; then an outcome a worker made comes back encoded only (None
        in place of the outcome), to be decoded by whichever process judges it."""
        entries = list(entries)
        self._queued += sum(e.size for e in entries)
        if self.jobs == 1 or (self._pool is None and self._queued < MIN_POOL_BYTES):
            return self._in_process(str(repo_path), entries, encoded)
        chunks = chunk_entries(entries, self.jobs)
        results = self._workers().imap(_summarize_chunk, [(str(repo_path), c) for c in chunks])
        return (
            (entry, None, data) if encoded else (entry, decode_outcome(data[0]), None)
            for chunk, part in zip(chunks, results, strict=True)
            for entry, data in zip(chunk, part, strict=True)
        )

    def _in_process(
        self, repo_path: str, entries: list[FileEntry], encoded: bool
    ) -> Iterator[tuple[FileEntry, Outcome | None, Encoded | None]]:
        if self._local is None:
            self._local = _Reader(self.exclusions, self.pack, self.all_usages)
        for entry, outcome in zip(entries, self._local.summarize(repo_path, entries), strict=True):
            yield entry, outcome, encode(outcome) if encoded else None

    def _workers(self) -> multiprocessing.pool.Pool:
        if self._pool is None:
            # fork on Linux: workers start in milliseconds with every module already imported,
            # and a caller's unguarded script is not re-imported as spawn/forkserver would.
            method = "fork" if sys.platform == "linux" else None
            self._pool = _context(method).Pool(
                self.jobs, _init_worker, (os.getpid(), self.exclusions, self.pack, self.all_usages)
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
        self._local = None

    def __enter__(self) -> FilePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None and self._pool is not None:
            self._pool.terminate()
        self.close()


_inherited: tuple[Callable[[Any, Any], Any], Any] | None = None  # what fork_map's workers find


def _call_inherited(item: Any) -> Any:
    assert _inherited is not None, "fork_map's worker started without its inheritance"
    function, shared = _inherited
    return function(shared, item)


def fork_map(
    function: Callable[[Any, T], R],
    items: Sequence[T],
    jobs: int,
    shared: Any,
    meanwhile: Callable[[], None] = lambda: None,
) -> list[R]:
    """`[function(shared, item) for item in items]` on `jobs` forked workers, running
    `meanwhile` in this process while they work (and before any fork is gone).

    The workers inherit `function` and `shared` through fork instead of receiving them through
    a pipe, which is what makes it worth farming out work over a whole repository's index:
    only the items and the results travel. In-process with one job, or where fork is missing.
    """
    global _inherited
    if jobs == 1 or len(items) < 2 or sys.platform != "linux":
        meanwhile()
        return [function(shared, item) for item in items]
    _inherited = (function, shared)
    # Frozen, everything the workers inherit is outside their collector's sight: its passes
    # would otherwise write to every inherited object and copy the whole heap page by page.
    gc.freeze()
    try:
        with _context("fork").Pool(jobs, _die_with_parent, (os.getpid(),)) as pool:
            gc.unfreeze()
            pending = pool.map_async(_call_inherited, items, chunksize=1)
            meanwhile()
            return pending.get()
    finally:
        gc.unfreeze()
        _inherited = None


def judge_files(
    scan: RepoScan,
    index: RepoIndex,
    pack: RulePack,
    config: MineConfig,
    jobs: int,
    meanwhile: Callable[[], None] = lambda: None,
) -> tuple[list[Candidate], Counter]:
    """Verdicts on every function of the repository in (path, line) order, on `jobs` forked
    workers, and the funnel's counts; `meanwhile` runs in this process as they work. With one
    job every candidate comes back; with several, only those the filters kept (the others
    would cost more to send back than to judge)."""
    parts = map_paths(judge_paths, (scan, index, pack, config, jobs == 1), jobs, meanwhile)
    return [c for part, _ in parts for c in part], sum((n for _, n in parts), Counter())


def map_paths(
    function: Callable[[tuple, list[str]], R],
    shared: tuple,
    jobs: int,
    meanwhile: Callable[[], None],
) -> list[R]:
    """`function(shared, paths)` over the paths of the scan in `shared` (as `judge_by_file`
    takes it) in order: on forked workers in chunks of about equally many functions, or in one
    call here with one job or too little to judge for forking to pay."""
    scan, index = shared[0], shared[1]
    paths = scan.paths()
    counts = [scan.function_count(p) for p in paths]
    if jobs == 1 or sum(counts) < MIN_FORK_FUNCTIONS:
        meanwhile()
        return [function(shared, paths)]
    index.build_all()  # once here, rather than in every worker for the modules it reaches
    return fork_map(function, path_chunks(paths, counts, jobs), jobs, shared, meanwhile)


def path_chunks(paths: list[str], counts: list[int], jobs: int) -> list[list[str]]:
    """`paths` in order, cut into runs of about equally many functions (`counts` per path)."""
    target = sum(counts) // (jobs * 4) + 1
    chunks: list[list[str]] = [[]]
    size = 0
    for path, count in zip(paths, counts, strict=True):
        if size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append(path)
        size += count
    return chunks


def judge_paths(shared: tuple, paths: list[str]) -> tuple[list[Candidate], Counter]:
    """Verdicts on the functions in `paths`: the candidates (every one, or only those kept)
    and the funnel's counts."""
    by_file = judge_by_file(shared, paths).values()
    return [c for part, _ in by_file for c in part], sum((n for _, n in by_file), Counter())


def judge_by_file(shared: tuple, paths: list[str]) -> dict[str, tuple[list[Candidate], Counter]]:
    """`judge_paths` file by file, their summaries decoded here. One `judge_repo` judges them
    all, so a name used in many files is resolved and matched against the rules once."""
    scan, index, pack, config, everything = shared
    part = RepoScan(scan.name, scan.commit, summaries={p: scan.summary(p) for p in paths})
    verdicts: dict[str, tuple[list[Candidate], Counter]] = {p: ([], Counter()) for p in paths}
    for c in judge_repo(part, index, pack, config):
        candidates, counts = verdicts[c.path]
        counts["functions_found"] += 1
        if c.fn.docstring is not None:
            counts["functions_documented"] += 1
            counts["functions_rule_matched"] += bool(c.require)
        if c.drop is None:
            c.extra["context"] = import_context(part.summaries[c.path].imports, c.fn.completion)
        else:
            counts["drop:" + c.drop] += 1
        if everything or c.drop is None:
            candidates.append(c)
    return verdicts
