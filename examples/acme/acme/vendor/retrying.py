# Vendored from retrying 1.3.4 (Apache License 2.0), trimmed to what acme uses.
"""Retry a callable with exponential backoff."""

import random
import time


class RetryError(Exception):
    """Raised when every attempt failed; ``last_attempt`` holds the final exception."""

    def __init__(self, last_attempt):
        super().__init__(f"RetryError[{last_attempt!r}]")
        self.last_attempt = last_attempt


def retry_call(fn, attempts=3, wait_ms=200, max_wait_ms=5000, retry_on=(Exception,)):
    """Call ``fn`` until it succeeds, waiting exponentially longer between attempts.

    Raises:
        RetryError: All ``attempts`` calls raised one of ``retry_on``.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except retry_on as err:
            if attempt == attempts:
                raise RetryError(err) from err
            delay = min(wait_ms * 2 ** (attempt - 1), max_wait_ms) + random.randint(0, 100)
            time.sleep(delay / 1000)
