"""Per-repository SQLite state: module summaries by blob, and the Python files of the last commit.

Everything stored is a fact about content (the summary of blob B under cache key K, the files
of commit C), never about the previous run's outputs. So the state may be committed at any
moment, a run killed anywhere leaves it true, and a lost or damaged state file costs only the
work of reading again. Summaries withhold secret-bearing code before they get here, so the
state never holds a secret either.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from miner.output import pause_point
from miner.records import ModuleSummary
from miner.source import FileEntry

SCHEMA = "1"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS summaries (
    blob TEXT NOT NULL, key TEXT NOT NULL, outcome TEXT NOT NULL, PRIMARY KEY (blob, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, blob TEXT NOT NULL, size INTEGER);
"""

Outcome = ModuleSummary | str  # a summary, or why the read blob was dropped


def encode_outcome(outcome: Outcome) -> str:
    data = outcome if isinstance(outcome, str) else outcome.to_dict()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_outcome(text: str) -> Outcome:
    data = json.loads(text)
    return data if isinstance(data, str) else ModuleSummary.from_dict(data)


class RepoState:
    """`<state>/<repo>.sqlite`; one transaction per `save`."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._connect()
        except sqlite3.DatabaseError as err:
            # A cache that cannot be read is rebuilt, never a reason to fail the run.
            print(f"miner: warning: {path}: {err}; starting a fresh state", file=sys.stderr)
            path.unlink(missing_ok=True)
            self.conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            # WAL with synchronous=NORMAL: a commit survives any process crash without an fsync;
            # power loss may drop the last commits, which costs a cache only some re-reading.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_TABLES)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None or row[0] != SCHEMA:
                conn.executescript("DELETE FROM summaries; DELETE FROM files; DELETE FROM meta;")
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

    def outcomes(self, key: str) -> dict[str, str]:
        """Encoded outcome per blob id under cache `key` (decode with `decode_outcome`)."""
        rows = self.conn.execute("SELECT blob, outcome FROM summaries WHERE key = ?", (key,))
        return dict(rows.fetchall())

    def save(
        self, commit: str, entries: Iterable[FileEntry], fresh: Mapping[str, Outcome], key: str
    ) -> None:
        """Store new outcomes and `commit`'s files; forget what that commit no longer uses."""
        rows = [(blob, key, encode_outcome(outcome)) for blob, outcome in fresh.items()]
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?)", rows)
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

    def close(self) -> None:
        self.conn.close()
