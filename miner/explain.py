"""`miner explain`: every stage's verdict on one function, and why it was kept or dropped."""

from __future__ import annotations

import difflib

from miner.config import MineConfig
from miner.engine import match_rules
from miner.index import RepoIndex
from miner.judge import Candidate, Check, stage_checks
from miner.pipeline import mine
from miner.rules import RulePack
from miner.scan import triage
from miner.source import FileEntry, list_python_files, open_repo, resolve_commit


def _file_verdict(config: MineConfig, path: str) -> str | None:
    """Why the file holding the function was never parsed, if it was not."""
    spec = config.repos[0]
    commit = resolve_commit(spec.path, spec.ref)
    with open_repo(spec.path) as repo:
        entries = {e.path: e for e in list_python_files(repo, commit)}
    entry: FileEntry | None = entries.get(path)
    if entry is None:
        close = difflib.get_close_matches(path, list(entries), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return f"no Python file {path!r} at {spec.ref}{hint}"
    reason = triage(entry, config.exclusions)
    return f"file dropped before parsing: {reason}" if reason else None


def _lines(candidate: Candidate, checks: list[Check], pack: RulePack) -> list[str]:
    fn = candidate.fn
    out = [
        f"{candidate.path}::{fn.qualname}  (repo {candidate.repo}, commit {candidate.commit[:12]}, "
        f"module {candidate.module})",
        f"  found        lines {fn.start_line}-{fn.end_line}",
    ]
    summary = (fn.docstring or "").strip().splitlines()
    out.append(f"  docstring    {'yes: ' + repr(summary[0]) if summary else 'none'}")
    out.append("  rules")
    hits = {h.rule.id: h for h in candidate.hits}
    width = max(len(r.id) + len(r.kind) for r in pack.rules) + 3
    for rule in pack.rules:
        label = f"{rule.id} ({rule.kind})".ljust(width)
        hit = hits.get(rule.id)
        verdict = f"matched line {hit.line}: {hit.detail}" if hit else "no match"
        out.append(f"    {label}  {verdict}")
    out.append("  filters")
    for check in checks:
        detail = f"  ({check.detail})" if check.detail else ""
        out.append(f"    {check.stage.ljust(16)} {'pass' if check.passed else 'FAIL'}{detail}")
    if candidate.drop in ("duplicate", "near_duplicate"):
        out.append(f"  dedup        {candidate.drop} of {candidate.duplicate_of}")
    elif candidate.drop is None:
        out.append("  dedup        unique")
    if candidate.drop is None:
        out.append(f"  verdict      KEPT (split {candidate.split}; rules {candidate.require})")
    else:
        out.append(f"  verdict      DROPPED: {candidate.drop}")
    return out


def explain(config: MineConfig, target: str, pack: RulePack) -> tuple[int, str]:
    """(exit status, text) for `PATH::QUALNAME` in the single repository of `config`."""
    path, sep, qualname = target.partition("::")
    if not sep or not path or not qualname:
        return 2, f"{target}: expected PATH::QUALNAME, e.g. acme/orders.py::OrderService.fetch"
    reason = _file_verdict(config, path)
    if reason is not None:
        return 1, f"{target}: {reason}"
    result = mine(config, pack, write=False)
    if result.failures:
        return 1, f"{target}: {next(iter(result.failures.values()))}"
    scan = next(iter(result.repos.values())).scan
    if path not in scan.summaries:
        return 1, f"{target}: file dropped after reading: generated header or undecodable"
    found = [c for c in result.candidates() if c.path == path and c.fn.qualname == qualname]
    # On the rules the pipeline matched, before undocumented functions get theirs below.
    checks = [stage_checks(c.fn, c.hits, config) for c in found]
    if found and any(not c.hits for c in found):
        # The pipeline skips rules for undocumented functions; explain shows them anyway.
        index = RepoIndex(scan.summaries)
        for c in found:
            c.hits = c.hits or match_rules(c.fn, c.module, pack, index)
    if not found:
        names = [c.fn.qualname for c in result.candidates() if c.path == path]
        close = difflib.get_close_matches(qualname, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        return 1, f"{target}: no function {qualname!r} in {path}{hint}"
    lines = (line for c, c_checks in zip(found, checks, strict=True)
             for line in _lines(c, c_checks, pack))
    return 0, "\n".join(lines)
