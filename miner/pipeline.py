"""The miner as a pipeline: source → parse → rules → filters → dedup → split → write."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from miner import __version__
from miner.config import MineConfig, RepoSpec
from miner.dedup import find_duplicates
from miner.index import RepoIndex
from miner.judge import Candidate, judge_repo
from miner.output import pair_record, repo_scope, split_of, write_json, write_jsonl
from miner.rules import RulePack, load_rules
from miner.scan import RepoScan, scan_files, summarize_blob
from miner.source import SourceError, list_python_files, open_repo, read_blob, resolve_commit


@dataclass
class RepoResult:
    scan: RepoScan
    index: RepoIndex
    candidates: list[Candidate]


@dataclass
class MineResult:
    repos: dict[str, RepoResult] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # repo name -> one-line error
    manifest: dict = field(default_factory=dict)
    pairs: list[dict] = field(default_factory=list)

    def candidates(self) -> list[Candidate]:
        return [c for r in self.repos.values() for c in r.candidates]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def scan_repo(spec: RepoSpec, config: MineConfig, pack: RulePack) -> RepoScan:
    """Source and parse steps for one repository."""
    with open_repo(spec.path) as repo:
        commit = resolve_commit(repo, spec.ref)
        entries = list_python_files(repo, commit)
        scan = RepoScan(name=spec.name, commit=commit)
        queries = pack.query_rules()

        def read(entry):
            scan.files_parsed += 1
            return summarize_blob(read_blob(repo, entry.blob), config.exclusions, queries)

        show = config.progress and sys.stderr.isatty()
        total = sum(e.size for e in entries)
        with tqdm(total=total, unit="B", unit_scale=True, desc=spec.name, disable=not show) as bar:
            return scan_files(scan, entries, read, config.exclusions, bar.update)


def mine_repo(spec: RepoSpec, config: MineConfig, pack: RulePack) -> RepoResult:
    scan = scan_repo(spec, config, pack)
    index = RepoIndex(scan.summaries)
    return RepoResult(scan, index, list(judge_repo(scan, index, pack, config)))


def deduplicate(candidates: list[Candidate], config: MineConfig) -> None:
    """Across every repository of the run; the lowest (repo, path, line) survives."""
    kept = sorted((c for c in candidates if c.drop is None), key=lambda c: c.sort_key)
    items = [(c.sort_key, c.fn.completion) for c in kept]
    for dropped, (reason, survivor) in find_duplicates(items, config.dedup).items():
        kept[dropped].drop = reason
        kept[dropped].duplicate_of = f"{kept[survivor].repo}:{kept[survivor].path}::" + (
            kept[survivor].fn.qualname
        )


def repo_manifest(result: RepoResult, spec: RepoSpec) -> dict:
    candidates = result.candidates
    kept = [c for c in candidates if c.drop is None]
    documented = [c for c in candidates if c.fn.docstring is not None]
    return {
        "path": spec.url or spec.path,
        "ref": spec.ref,
        "commit": result.scan.commit,
        "files_total": result.scan.files_total,
        "files_parsed": result.scan.files_parsed,
        "files_reused": result.scan.files_reused,
        "files_dropped": dict(sorted(result.scan.files_dropped.items())),
        "functions_found": len(candidates),
        "functions_documented": len(documented),
        "functions_rule_matched": sum(1 for c in documented if c.require),
        "dropped": dict(sorted(Counter(c.drop for c in candidates if c.drop).items())),
        "kept": len(kept),
        "kept_by_split": dict(sorted(Counter(c.split for c in kept).items())),
        "kept_by_rule": dict(sorted(Counter(r for c in kept for r in c.require).items())),
    }


def _total(repos: dict[str, dict]) -> dict:
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


def mine(config: MineConfig, pack: RulePack | None = None, write: bool = True) -> MineResult:
    """Run the whole pipeline; a failing repository is reported, the others still mined."""
    config.validate()
    pack = pack or load_rules(config.rules)
    started, clock = _now(), time.perf_counter()
    result = MineResult()
    for spec in config.repos:
        try:
            result.repos[spec.name] = mine_repo(spec, config, pack)
        except SourceError as err:
            result.failures[spec.name] = str(err)
    candidates = result.candidates()
    deduplicate(candidates, config)
    for c in candidates:
        if c.drop is None:
            c.split = split_of(c.repo, c.path, config.validation_fraction)
    kept = sorted((c for c in candidates if c.drop is None), key=lambda c: c.sort_key)
    imports = {
        (name, path): summary.imports
        for name, r in result.repos.items()
        for path, summary in r.scan.summaries.items()
    }
    result.pairs = [pair_record(c, imports[(c.repo, c.path)]) for c in kept]
    specs = {spec.name: spec for spec in config.repos}
    repos = {name: repo_manifest(r, specs[name]) for name, r in result.repos.items()}
    result.manifest = {
        "tool": "housestyle-miner",
        "version": __version__,
        "started_at": started,
        "finished_at": _now(),
        "seconds": round(time.perf_counter() - clock, 3),
        "rules": {"ids": pack.ids, "fingerprint": pack.fingerprint},
        "settings": {
            "keep": config.keep,
            "validation_fraction": config.validation_fraction,
            "exclusions": asdict(config.exclusions),
            "quality": asdict(config.quality),
            "dedup": asdict(config.dedup),
        },
        "repos": repos,
        "failures": result.failures,
        "total": _total(repos),
    }
    if write:
        scopes = {
            name: repo_scope(r.index, (c.module for c in kept if c.repo == name))
            for name, r in result.repos.items()
        }
        out = Path(config.out)
        write_jsonl(out / "pairs.jsonl", result.pairs)
        write_json(out / "scopes.json", scopes)
        write_json(out / "manifest.json", result.manifest)
    return result
