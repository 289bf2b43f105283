"""`miner mine --config miner.toml`: the settings of the flags, kept in a file for cron.

    out = "/srv/housestyle/out"
    rules = ["rules/"]                # a path or a list of paths; default: the built-in pack
    keep = "matched"
    validation_fraction = 0.1
    state = "/var/lib/housestyle"     # default: OUT/state
    cache_dir = "/var/cache/mirrors"  # url mirrors; default: STATE/mirrors

    [[repo]]
    name = "orders"                   # default: the path's or url's last part
    path = "/srv/git/orders"          # or: url = "git@github.com:acme/billing.git"
    ref = "main"                      # default: HEAD

    [exclusions]                      # [quality], [dedup]: the same keys as the flags
    exclude = ["scripts/"]

Relative paths are taken from the file's folder, so the same file works from any cwd. Every
error names the file and the key (`repo[2].path`, counting repos from 1) and is raised before
any repository is touched.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from miner.config import ConfigError, MineConfig, RepoSpec, repo_name
from miner.flags import SECTIONS, checked_value, settings_from_mapping
from miner.remote import is_url, url_name

_PATHS = ("out", "state", "cache_dir")
_REPO_KEYS = ("name", "path", "url", "ref")


def load_settings(path: Path) -> MineConfig:
    """A `MineConfig` from a miner.toml; raises ConfigError("<file>: <key>: ...")."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    config = MineConfig()
    try:
        _fill(config, data, path.parent)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    return config


def _fill(config: MineConfig, data: dict[str, Any], base: Path) -> None:
    for key, value in data.items():
        if key == "repo":
            if not isinstance(value, list):
                raise ConfigError("repo: must be an array of tables ([[repo]])")
            config.repos = [_repo(i, table, base) for i, table in enumerate(value, 1)]
        elif key in SECTIONS:
            settings_from_mapping(config, key, value)
        elif key == "rules":
            paths = [value] if isinstance(value, str) else value
            paths = checked_value("rules", paths, [])
            config.rules = [str(base / p) for p in paths]
        elif key in _PATHS:
            setattr(config, key, base / checked_value(key, value, ""))
        elif key in ("keep", "validation_fraction"):
            setattr(config, key, checked_value(key, value, getattr(config, key)))
        else:
            raise ConfigError(f"unknown key {key!r}")


def _repo(index: int, table: Any, base: Path) -> RepoSpec:
    where = f"repo[{index}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table ([[repo]])")
    for key in table:
        if key not in _REPO_KEYS:
            raise ConfigError(f"unknown key '{where}.{key}'")
    values = {key: checked_value(f"{where}.{key}", v, "") for key, v in table.items()}
    if ("path" in values) == ("url" in values):
        raise ConfigError(f"{where}: needs exactly one of 'path' or 'url'")
    ref = values.get("ref", "HEAD")
    if "url" in values:
        url = values["url"]
        if not is_url(url):
            raise ConfigError(f"{where}.url: not a url (https://, ssh://, file://, user@host:path)")
        return RepoSpec(name=values.get("name") or url_name(url), path="", ref=ref, url=url)
    path = base / values["path"]
    if not path.is_dir():
        raise ConfigError(f"{where}.path: no such directory: {path}")
    return RepoSpec(name=values.get("name") or repo_name(str(path)), path=str(path), ref=ref)
