"""The manifest's per-repository entries and their total: what each repository cost and kept."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from miner.config import RepoSpec
from miner.remote import mask_url

if TYPE_CHECKING:
    from miner.pipeline import RepoResult


def repo_manifest(result: RepoResult, spec: RepoSpec) -> dict:
    """One repository's entry: where it was read, what it cost, and its funnel."""
    kept = [c for c in result.filtered if c.drop is None]
    dropped = Counter(result.funnel["dropped"]) + Counter(c.drop for c in result.filtered if c.drop)
    return {
        "path": mask_url(spec.url) if spec.url else spec.path,
        "ref": spec.ref,
        "commit": result.scan.commit,
        "files_total": result.scan.files_total,
        "files_listed": result.scan.files_listed,
        "files_parsed": result.scan.files_parsed,
        "files_reused": result.scan.files_reused,
        "files_judged": result.scan.files_judged,
        "files_dropped": dict(sorted(result.scan.files_dropped.items())),
        "functions_found": result.funnel["functions_found"],
        "functions_documented": result.funnel["functions_documented"],
        "functions_rule_matched": result.funnel["functions_rule_matched"],
        "dropped": dict(sorted(dropped.items())),
        "kept": len(kept),
        "kept_by_split": dict(sorted(Counter(c.split for c in kept).items())),
        "kept_by_rule": dict(sorted(Counter(r for c in kept for r in c.require).items())),
    }


def total(repos: dict[str, dict]) -> dict:
    """The repositories' counts added up, key by key."""
    total: dict = {}
    for manifest in repos.values():
        for key, value in manifest.items():
            if isinstance(value, int):
                total[key] = total.get(key, 0) + value
            elif isinstance(value, dict):
                bucket = total.setdefault(key, {})
                for k, v in value.items():
                    bucket[k] = bucket.get(k, 0) + v
    return {k: dict(sorted(v.items())) if isinstance(v, dict) else v for k, v in total.items()}


def delta(previous: list[dict], current: list[dict]) -> dict[str, int]:
    """How a repository's pairs changed since the previous run, by pair id."""
    before, after = {p["id"] for p in previous}, {p["id"] for p in current}
    return {
        "pairs_added": len(after - before),
        "pairs_removed": len(before - after),
        "pairs_unchanged": len(after & before),
    }


def failed_manifest(spec: RepoSpec, error: str, previous: dict, carried: int) -> dict:
    """The failed repository's previous entry (what its carried pairs came from), marked."""
    entry = dict(previous) or {"path": mask_url(spec.url) if spec.url else spec.path}
    entry.update({"ref": spec.ref, "failed": error, "files_listed": 0, "files_parsed": 0})
    entry.update({"files_reused": 0, "files_judged": 0, "pairs_added": 0, "pairs_removed": 0})
    entry["pairs_unchanged"] = carried
    return entry
