"""Per-repository SQLite state: module summaries (and their module facts) by blob, the Python
files of the last commit, the verdicts on that commit, and each file's own verdicts.

Everything stored is a fact about content (the summary of blob B under cache key K, the files
of commit C, the functions the filters keep at commit C under settings K), never about the
previous run's outputs. So the state may be committed at any moment, a run killed anywhere
leaves it true, and a lost or damaged state file costs only the work of reading again.
Summaries withhold secret-bearing code before they get here and the filters drop it, so the
state never holds a secret either.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from functools import cache
from pathlib import Path

from miner.codec import Encoded
from miner.config import MineConfig
from miner.engine import RuleHit
from miner.judge import Candidate
from miner.output import pause_point
from miner.records import FunctionRecord
from miner.rules import RulePack
from miner.scan import RepoScan
from miner.source import FileEntry

SCHEMA = "5"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- facts before the outcome: SQLite reads a row's columns in order, so a column stored after a
-- large blob costs reading the blob's overflow pages (loading every file's facts took 8 ms,
-- not 2.5 ms, the other way round).
CREATE TABLE IF NOT EXISTS summaries (
    blob TEXT NOT NULL, key TEXT NOT NULL, facts TEXT NOT NULL, outcome BLOB NOT NULL,
    PRIMARY KEY (blob, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, blob TEXT NOT NULL, size INTEGER);
CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS judged (
    path TEXT PRIMARY KEY, blob TEXT NOT NULL, counts TEXT NOT NULL, kept TEXT NOT NULL
);
"""
_DROP = "".join(
    f"DROP TABLE IF EXISTS {t};" for t in ("summaries", "files", "verdicts", "judged", "meta")
)
# The fields of a kept function that dedup, split and the pair records use.
_KEPT_FIELDS = ("qualname", "start_line", "end_line", "code", "docstring", "completion")

@cache
def _miner_sources() -> str:
    digest = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def verdict_key(commit: str, summary_key: str, pack: RulePack, config: MineConfig) -> str:
    """What the verdicts on a commit depend on besides its blobs; the miner's code included,
    so an upgrade never serves verdicts the new code would not give."""
    settings = (config.keep, asdict(config.exclusions), asdict(config.quality))
    material = repr((commit, summary_key, pack.fingerprint, settings, _miner_sources()))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def encode_kept(kept: list[Candidate]) -> str:
    """The functions the filters kept, as a JSON array (what `encode_verdicts` holds)."""
    return json.dumps([_encode_kept(c) for c in kept], ensure_ascii=False, separators=(",", ":"))


def join_kept(arrays: Iterable[str]) -> str:
    """`encode_kept` of the concatenated lists, from each list's own: a rerun joins the stored
    arrays of the files it did not judge again instead of encoding their functions anew."""
    return "[" + ",".join(array[1:-1] for array in arrays if array != "[]") + "]"


def encode_verdicts(scan: RepoScan, kept: str, funnel: dict, scope: dict) -> str:
    """A judged repository as the later steps need it: the functions the filters kept (before
    dedup; `kept` is their `encode_kept`), the counts of the rest, and the scope of the kept
    functions' modules."""
    files = {"total": scan.files_total, "read": scan.files_parsed + scan.files_reused}
    data = {"files": files, "dropped": scan.files_dropped, "funnel": funnel, "scope": scope}
    head = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f'{head[:-1]},"kept":{kept}}}'


def decode_verdicts(
    text: str, scan: RepoScan, pack: RulePack
) -> tuple[list[Candidate], dict, dict]:
    """(filtered candidates, funnel, scope) from `encode_verdicts`; fills `scan`'s counts."""
    data = json.loads(text)
    scan.files_total = data["files"]["total"]
    scan.files_reused = data["files"]["read"]
    scan.files_dropped = Counter(data["dropped"])
    rules = {rule.id: rule for rule in pack.rules}
    filtered = [_decode_kept(kept, scan, rules) for kept in data["kept"]]
    return filtered, data["funnel"], data["scope"]


def _encode_kept(c: Candidate) -> dict:
    return {
        "path": c.path,
        "module": c.module,
        "fn": {name: getattr(c.fn, name) for name in _KEPT_FIELDS},
        "hits": [(hit.rule.id, hit.line, hit.detail) for hit in c.hits],
        "context": c.extra["context"],
    }


def _decode_kept(kept: dict, scan: RepoScan, rules: dict) -> Candidate:
    fn = FunctionRecord(**kept["fn"], syntax_error=False, trivial_body=False)
    hits = [RuleHit(rules[rule_id], line, detail) for rule_id, line, detail in kept["hits"]]
    candidate = Candidate(scan.name, scan.commit, kept["path"], kept["module"], fn, hits)
    candidate.extra["context"] = kept["context"]
    return candidate


def encode_file_verdicts(kept: list[Candidate], counts: Mapping[str, int]) -> tuple[str, str]:
    """One file's verdicts: the funnel's counts and the functions the filters kept (as
    `encode_kept`). They hold no commit: they are reused on any commit where the file and the
    index facts are the same."""
    return json.dumps(dict(counts), separators=(",", ":")), encode_kept(kept)


def decode_file_verdicts(
    counts: str, kept: str, scan: RepoScan, rules: dict
) -> tuple[list[Candidate], dict[str, int]]:
    """(kept candidates on `scan`'s commit, counts) from `encode_file_verdicts`."""
    return [_decode_kept(item, scan, rules) for item in json.loads(kept)], json.loads(counts)


class RepoState:
    """`<state>/<repo>.sqlite`; one transaction per `save`.

    A cache that cannot be read is rebuilt, never a reason to fail the run: damage found on
    opening is discarded here, and damage found later raises sqlite3.DatabaseError, on which
    the caller `discard`s the state and mines the repository again from nothing.
    """

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._connect()
        except sqlite3.DatabaseError as err:
            self._remove(err)
            self.conn = self._connect()

    def discard(self, err: sqlite3.DatabaseError) -> None:
        """Close and delete this state, found damaged by `err`."""
        self.conn.close()
        self._remove(err)

    def _remove(self, err: sqlite3.DatabaseError) -> None:
        print(f"miner: warning: {self.path}: {err}; starting a fresh state", file=sys.stderr)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            # The rollback journal keeps every transaction whole through any crash of the
            # process (the next open rolls a killed one back), and with synchronous=OFF nothing
            # waits for the disk. One writer at a time holds OUT's lock, so WAL's concurrent
            # readers buy nothing, and its checkpoint would write every page twice: a full
            # run's 14 MB state took 0.30 s with WAL and fsyncs, 0.09 s with WAL alone, 0.045 s
            # like this. What only an OS crash or a power cut can do, damage the file, costs
            # the cache one rebuild (see the class docstring).
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(_TABLES)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or row[0] != SCHEMA:
                # Another schema's tables may lack columns: rebuilt, not just emptied.
                conn.executescript(_DROP + _TABLES)
                conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def tree(self, commit: str) -> list[FileEntry] | None:
        """The Python files of `commit` when it is the commit last saved, else None."""
        if self._meta("commit") != commit:
            return None
        rows = self.conn.execute("SELECT path, blob, size FROM files ORDER BY path")
        return [FileEntry(path, blob, size) for path, blob, size in rows]

    def sizes(self) -> dict[str, int]:
        """Size per blob id of the last saved commit's files (what a new commit's listing
        need not ask git again)."""
        return dict(self.conn.execute("SELECT blob, size FROM files").fetchall())

    def facts(self, key: str) -> dict[str, str]:
        """Encoded module facts per blob id under cache `key` (`codec.decode_facts`):
        what a rerun needs of every file, without the cost of decoding whole summaries."""
        rows = self.conn.execute("SELECT blob, facts FROM summaries WHERE key = ?", (key,))
        return dict(rows.fetchall())

    def outcome(self, key: str, blob: str) -> bytes:
        """The encoded outcome (`codec.encode_outcome`) of one blob known under `key`."""
        row = self.conn.execute(
            "SELECT outcome FROM summaries WHERE blob = ? AND key = ?", (blob, key)
        ).fetchone()
        return row[0]

    def save(
        self, commit: str, entries: Iterable[FileEntry], fresh: Mapping[str, Encoded], key: str
    ) -> None:
        """Store new outcomes (encoded, by blob) and `commit`'s files; forget what that commit
        no longer uses."""
        rows = [(blob, key, facts, outcome) for blob, (outcome, facts) in fresh.items()]
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?)", rows)
            if self._meta("commit") != commit:
                conn.execute("DELETE FROM files")
                conn.executemany(
                    "INSERT INTO files VALUES (?, ?, ?)",
                    ((e.path, e.blob, e.size) for e in entries),
                )
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('commit', ?)", (commit,))
            conn.execute(
                "DELETE FROM summaries WHERE key != ? OR blob NOT IN (SELECT blob FROM files)",
                (key,),
            )
            pause_point("state")
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            print(f"miner: warning: {self.path}: not saved: {err}", file=sys.stderr)

    def verdicts(self, key: str) -> str | None:
        row = self.conn.execute("SELECT data FROM verdicts WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def save_verdicts(self, key: str, data: str) -> None:
        """Keep the verdicts on the latest commit only: one row, replaced in a transaction."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM verdicts")
            self.conn.execute("INSERT INTO verdicts VALUES (?, ?)", (key, data))
            self.conn.execute("COMMIT")
        except sqlite3.Error as err:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            print(f"miner: warning: {self.path}: verdicts not saved: {err}", file=sys.stderr)

    def file_verdicts(self, key: str) -> dict[str, tuple[str, str, str]]:
        """(blob, counts, kept) per path as `encode_file_verdicts` gave them, stored under `key`
        (see `judged_key`); none when the last ones were stored under another key."""
        if self._meta("judged") != key:
            return {}
        rows = self.conn.execute("SELECT path, blob, counts, kept FROM judged")
        return {path: (blob, counts, kept) for path, blob, counts, kept in rows}

    def scope(self) -> str | None:
        """The last scope stored with the file verdicts (see `save_file_verdicts`)."""
        return self._meta("scope")

    def save_file_verdicts(
        self,
        key: str,
        fresh: Mapping[str, tuple[str, str, str]],
        paths: Iterable[str],
        scope: str,
    ) -> None:
        """Store the files judged now under `key`, (blob, counts, kept) by path, and forget the
        paths not in `paths`; under a new key, the old rows go first (they were judged against
        other index facts). `scope` is stored alongside, encoded with what it was computed
        from."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('scope', ?)", (scope,))
            if self._meta("judged") != key:
                conn.execute("DELETE FROM judged")
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('judged', ?)", (key,))
            conn.executemany(
                "INSERT OR REPLACE INTO judged VALUES (?, ?, ?, ?)",
                ((path, *row) for path, row in fresh.items()),
            )
            current = set(paths)
            gone = [(p,) for (p,) in conn.execute("SELECT path FROM judged") if p not in current]
            conn.executemany("DELETE FROM judged WHERE path = ?", gone)
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            print(f"miner: warning: {self.path}: file verdicts not saved: {err}", file=sys.stderr)

    def close(self) -> None:
        self.conn.close()
