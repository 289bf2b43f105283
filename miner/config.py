"""`miner mine` settings: every default lives here, the CLI and miner.toml fill them in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from miner.dedup import DedupConfig
from miner.exclusions import ExclusionConfig
from miner.quality import QualityConfig


class ConfigError(ValueError):
    """Unusable settings; the message is one line naming the file and key."""


@dataclass
class RepoSpec:
    name: str
    path: str  # local work tree or bare repo (a mirror, for url repos)
    ref: str = "HEAD"
    url: str | None = None


@dataclass
class MineConfig:
    repos: list[RepoSpec] = field(default_factory=list)
    out: Path = Path("out")
    rules: list[str] = field(default_factory=list)  # empty: the default pack
    keep: str = "matched"  # "matched" | "all"
    validation_fraction: float = 0.1
    exclusions: ExclusionConfig = field(default_factory=ExclusionConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    progress: bool = True  # shown only when stderr is a terminal

    def validate(self) -> None:
        if self.keep not in ("matched", "all"):
            raise ConfigError(f"keep: must be 'matched' or 'all', not {self.keep!r}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ConfigError(
                f"validation_fraction: must be in [0, 1), not {self.validation_fraction}"
            )
        names = [repo.name for repo in self.repos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"repos: name {duplicates[0]!r} is used twice; names must differ")
        if not self.repos:
            raise ConfigError("repos: no repository given")


def repo_name(path: str) -> str:
    """Default repository name: the folder name without a `.git` suffix."""
    name = Path(path.rstrip("/")).name or "repo"
    return name.removesuffix(".git") or name
