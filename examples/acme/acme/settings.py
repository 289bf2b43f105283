"""Runtime settings, read once from the environment."""

import os


def env_int(name, default):
    """Read an integer setting from the environment.

    Args:
        name: The environment variable.
        default: The value used when the variable is unset.

    Raises:
        ValueError: The variable is set but is not an integer.
    """
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not raw.strip().lstrip("-").isdigit():
        raise ValueError(f"{name} must be an integer, got {raw!r}")
    return int(raw)


DATABASE_PATH = os.environ.get("ACME_DB", "acme.sqlite3")
LOW_STOCK_THRESHOLD = env_int("ACME_LOW_STOCK", 5)
MAX_REFUND_DAYS = env_int("ACME_MAX_REFUND_DAYS", 30)
