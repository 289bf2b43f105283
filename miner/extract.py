"""`miner extract`: every function found, documented or not, with every rule it matches.

The raw layer users debug with: no exclusion but the size cap, no filter, no dedup.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from miner.config import MineConfig
from miner.engine import match_rules
from miner.exclusions import ExclusionConfig
from miner.index import RepoIndex
from miner.pipeline import scan_repo
from miner.rules import RulePack
from miner.source import SourceError


def extract_records(config: MineConfig, pack: RulePack, failures: dict[str, str]) -> Iterator[dict]:
    cap = config.exclusions.max_file_bytes
    off = ExclusionConfig(tests=False, vendored=False, generated=False, max_file_bytes=cap)
    raw = replace(config, exclusions=off)
    for spec in raw.repos:
        try:
            scan = scan_repo(spec, raw, pack)
        except SourceError as err:
            failures[spec.name] = str(err)
            continue
        index = RepoIndex(scan.summaries)
        for path in sorted(scan.summaries):
            module = index.module_of_path[path]
            for fn in sorted(scan.summaries[path].functions, key=lambda f: f.start_line):
                yield {
                    "repo": spec.name,
                    "path": path,
                    "qualname": fn.qualname,
                    "start_line": fn.start_line,
                    "end_line": fn.end_line,
                    "docstring": fn.docstring,
                    "rules": [hit.rule.id for hit in match_rules(fn, module, pack, index)],
                    "syntax_error": fn.syntax_error,
                    "secret": bool(fn.secrets),  # docstring withheld: it never leaves the miner
                }
