"""`miner mine` settings: every default lives here, the CLI and miner.toml fill them in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from miner.dedup import DedupConfig
from miner.exclusions import ExclusionConfig
from miner.quality import QualityConfig

EXECUTORS = ("local", "ray")


class ConfigError(ValueError):
    """Unusable settings; the message is one line naming the file and key."""


@dataclass
class RepoSpec:
    name: str
    path: str  # local work tree or bare repo; "" for url repos, which are read from a mirror
    ref: str = "HEAD"
    url: str | None = None


@dataclass
class MineConfig:
    repos: list[RepoSpec] = field(default_factory=list)
    out: Path | None = None  # required to write; `explain` mines without writing
    rules: list[str] = field(default_factory=list)  # empty: the default pack
    keep: str = "matched"  # "matched" | "all"
    validation_fraction: float = 0.1
    exclusions: ExclusionConfig = field(default_factory=ExclusionConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    progress: bool = True  # shown only when stderr is a terminal
    state: Path | None = None  # per-repository caches; None: OUT/state
    cache_dir: Path | None = None  # mirrors of url repos; None: STATE/mirrors
    full: bool = False  # ignore the caches (and refill them)
    jobs: int | None = None  # parse worker processes; None: every core this process may use
    executor: str = "local"  # "local" | "ray" (one Ray task per repository)
    ray_address: str | None = None  # None: RAY_ADDRESS, else a new local Ray instance

    def out_dir(self) -> Path:
        if self.out is None:
            raise ConfigError("out: no output dir given (--out DIR, or out in miner.toml)")
        return Path(self.out)

    def state_dir(self) -> Path:
        return self.state if self.state is not None else self.out_dir() / "state"

    def mirror_dir(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else self.state_dir() / "mirrors"

    def source_path(self, spec: RepoSpec) -> str:
        """Where the repository is read: its path, or its mirror for a url repo."""
        return str(self.mirror_dir() / f"{spec.name}.git") if spec.url else spec.path

    def validate(self) -> None:
        if self.keep not in ("matched", "all"):
            raise ConfigError(f"keep: must be 'matched' or 'all', not {self.keep!r}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ConfigError(
                f"validation_fraction: must be in [0, 1), not {self.validation_fraction}"
            )
        if self.jobs is not None and self.jobs < 1:
            raise ConfigError(f"jobs: must be at least 1, not {self.jobs}")
        if self.executor not in EXECUTORS:
            raise ConfigError(f"executor: must be 'local' or 'ray', not {self.executor!r}")
        names = [repo.name for repo in self.repos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(
                f"repos: name {duplicates[0]!r} is used twice; names must differ "
                "(give each [[repo]] a name in miner.toml)"
            )
        if not self.repos:
            raise ConfigError("repos: no repository given")
        for name in names:
            # Names become file names: STATE/<name>.sqlite, mirrors/<name>.git.
            if not name or name in (".", "..") or "/" in name or "\0" in name:
                raise ConfigError(f"repos: name {name!r} cannot be used as a file name")


def repo_name(path: str) -> str:
    """Default repository name: the folder name without a `.git` suffix."""
    name = Path(path.rstrip("/")).name or "repo"
    return name.removesuffix(".git") or name
