"""The one way acme code talks to the database.

Service code calls query/query_one/execute and wraps multi-statement writes in
transaction(). Nothing else opens connections, so logging, retries and the move to
Postgres happen in this module only.
"""

import contextlib
import logging
import sqlite3
import threading

from acme.errors import DatabaseError
from acme.settings import DATABASE_PATH

log = logging.getLogger(__name__)
_local = threading.local()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DATABASE_PATH, isolation_level=None)
        conn.row_factory = sqlite3.Row
        _local.conn = conn
    return conn


def query(sql, params=()):
    """Run a read-only statement and return its rows as dicts.

    Args:
        sql: The statement, with ``?`` placeholders.
        params: Values for the placeholders.

    Returns:
        A list of dicts, one per row, keyed by column name.

    Raises:
        DatabaseError: The database refused the statement.
    """
    try:
        rows = _connection().execute(sql, params).fetchall()
    except sqlite3.Error as err:
        raise DatabaseError(f"query failed: {sql}") from err
    return [dict(row) for row in rows]


def query_one(sql, params=()):
    """Run a read-only statement and return its first row, or None.

    Raises:
        DatabaseError: The database refused the statement.
    """
    try:
        row = _connection().execute(sql, params).fetchone()
    except sqlite3.Error as err:
        raise DatabaseError(f"query failed: {sql}") from err
    return dict(row) if row is not None else None


def execute(sql, params=()):
    """Run a write statement and return the number of rows it changed.

    Inside transaction() the change commits with the rest of the block; outside it
    commits at once.

    Raises:
        DatabaseError: The database refused the statement.
    """
    log.debug("execute %s %r", sql, params)
    try:
        return _connection().execute(sql, params).rowcount
    except sqlite3.Error as err:
        raise DatabaseError(f"statement failed: {sql}") from err


@contextlib.contextmanager
def transaction():
    """Commit every write of the block together, or none of them.

    Raises:
        DatabaseError: The commit failed; the block's writes were rolled back.
    """
    conn = _connection()
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as err:
        conn.execute("ROLLBACK")
        raise DatabaseError("commit failed") from err
