"""One run per output directory: an exclusive, non-blocking `flock` on `OUT/.miner.lock`.

The kernel drops the lock when the holder dies, SIGKILL included, so a crashed run never leaves
a stale lock behind; the file itself stays and is harmless.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".miner.lock"


class LockedError(RuntimeError):
    """Another run holds the output directory; the message names the lock and its holder."""


@contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold `out/.miner.lock` for the block, or raise `LockedError` at once."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    # O_RDWR without O_TRUNC: a refused run must not even clear the holder's pid.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise LockedError(
                f"{path}: another miner run (pid {holder}) is using this output dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing releases the flock
