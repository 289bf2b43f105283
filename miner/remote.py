"""Repositories given by url: a `git clone --mirror` in the cache dir, fetched on every run.

Only git's own authentication is used (ssh agent, credential helpers), and never interactively:
a nightly job must fail, not hang on a prompt. A password written into a url is passed to git
on the command line only; everything the miner prints or stores shows it masked, the mirror's
own config included.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from miner.source import SourceError

_URL = re.compile(r"^(?:https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
# Abort a transfer that stalls (below 1 kB/s for a minute) rather than block cron forever.
_STALL = ["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60"]
_MIRROR_REFS = "+refs/*:refs/*"


def is_url(location: str) -> bool:
    """https://, http://, ssh://, git://, file:// or scp-like `user@host:path`."""
    return bool(_URL.match(location))


def url_name(url: str) -> str:
    """Default repository name for a url: its last path part without `.git`, never userinfo."""
    path = urlsplit(url).path if "://" in url else url.partition(":")[2]
    name = path.rstrip("/").rpartition("/")[2].removesuffix(".git")
    return name or urlsplit(url).hostname or "repo"


def _userinfo(url: str) -> tuple[str, str, str]:
    """(userinfo, what of it is secret, what to show instead) of a url; "" when none."""
    if "://" not in url:
        return "", "", ""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    user, has_password, password = userinfo.partition(":")
    if has_password:
        return userinfo, password, f"{user}:***"
    # A lone user part of an http(s) url is how tokens are often passed (https://TOKEN@host).
    if userinfo and parts.scheme in ("http", "https"):
        return userinfo, userinfo, "***"
    return userinfo, "", ""


def mask_url(url: str) -> str:
    """The url with its password (or http token) replaced: `https://user:***@host/path`."""
    userinfo, secret, shown = _userinfo(url)
    if not secret:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def redact(text: str, url: str) -> str:
    """`text` (git's stderr, say) with the url's secret masked wherever it appears."""
    userinfo, secret, shown = _userinfo(url)
    if not secret:
        return text
    text = text.replace(url, mask_url(url)).replace(userinfo, shown)
    return text.replace(secret, "***").replace(unquote(secret), "***")


def _git_env() -> dict[str, str]:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    # BatchMode makes ssh fail instead of asking for a passphrase or a host key confirmation.
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return env


def _git(args: list[str], url: str) -> None:
    done = subprocess.run(
        ["git", *_STALL, *args], env=_git_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = redact(lines[-1] if lines else f"git exited with {done.returncode}", url)
        raise SourceError(f"{mask_url(url)}: {detail}")


def sync_mirror(url: str, mirror: Path) -> None:
    """Clone `url` into the bare mirror on first use, else fetch it (pruning deleted refs)."""
    if (mirror / "HEAD").is_file():
        # The url is given explicitly so that the stored (masked) one is never used.
        _git(["-C", str(mirror), "fetch", "--quiet", "--prune", url, _MIRROR_REFS], url)
        return
    partial = mirror.with_name(mirror.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by a run killed mid-clone
    mirror.parent.mkdir(parents=True, exist_ok=True)
    _git(["clone", "--quiet", "--mirror", url, str(partial)], url)
    _git(["-C", str(partial), "config", "remote.origin.url", mask_url(url)], url)
    shutil.rmtree(mirror, ignore_errors=True)  # a leftover without HEAD is no mirror
    os.replace(partial, mirror)
