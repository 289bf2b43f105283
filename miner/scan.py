"""Source → parse: one repository's Python blobs at one commit, as module summaries.

Files excluded by path or size are never read; read blobs that are undecodable or generated
are counted and dropped; the rest are summarized (secrets found in documented functions are
withheld right here, so no later step or cache ever holds them).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from miner import parse
from miner.codec import Encoded, decode_facts, decode_outcome
from miner.exclusions import ExclusionConfig, generated_header, path_exclusion
from miner.parse import QuerySet, UndecodableSource, decode_source, summarize
from miner.records import ModuleSummary
from miner.rules import RulePack
from miner.source import FileEntry

WITHHELD = "<withheld: the function contains a secret>"
# What an encoded summary takes per function, about (670 bytes on the stdlib).
_ENCODED_BYTES_PER_FUNCTION = 700


@dataclass
class RepoScan:
    name: str
    commit: str
    files_total: int = 0
    files_listed: int = 0  # entries listed from git; 0 when the state knew the commit's files
    files_parsed: int = 0
    files_reused: int = 0
    files_judged: int = 0  # files whose verdicts were computed, not reused from the state
    files_dropped: Counter = field(default_factory=Counter)
    summaries: dict[str, ModuleSummary] = field(default_factory=dict)  # path -> summary
    # Summaries as worker processes sent them or the state holds them (`codec.encode_outcome`),
    # by path: only the process that judges a file decodes its summary.
    encoded: dict[str, bytes] = field(default_factory=dict)
    # With a state: every summarized file's blob and encoded module facts (`codec.encode_facts`);
    # `summaries` and `encoded` then hold only the files parsed now until `reuse` loads the
    # others it needs.
    blobs: dict[str, str] = field(default_factory=dict)
    facts: dict[str, str] = field(default_factory=dict)

    def paths(self) -> list[str]:
        """The paths with a summary, decoded or not, in order."""
        return sorted(self.summaries.keys() | self.encoded.keys())

    def summary(self, path: str) -> ModuleSummary:
        """The summary of `path`, decoded here if it is not yet."""
        summary = self.summaries.get(path)
        if summary is None:
            summary = decode_outcome(self.encoded[path])
            assert isinstance(summary, ModuleSummary), f"{path}: summary of a dropped file"
        return summary

    def part(self, paths: Iterable[str]) -> RepoScan:
        """The scan of `paths` alone (their summaries as they are, decoded or not)."""
        part = RepoScan(self.name, self.commit)
        for path in paths:
            if path in self.summaries:
                part.summaries[path] = self.summaries[path]
            else:
                part.encoded[path] = self.encoded[path]
        return part

    def module_facts(self) -> Mapping[str, ModuleSummary]:
        """What `RepoIndex` reads of every file: with a state, the facts of every file the
        commit has (whether its summary is here or not), each decoded when first looked up;
        without one, the summaries."""
        return _DecodedFacts(self.facts) if self.facts else self.summaries

    def function_count(self, path: str) -> int:
        """How many functions `path` holds: counted once decoded, estimated from the size of
        the encoded summary before (what balancing the work to judge it needs)."""
        if path in self.summaries:
            return len(self.summaries[path].functions)
        return len(self.encoded[path]) // _ENCODED_BYTES_PER_FUNCTION + 1


class _DecodedFacts(Mapping[str, ModuleSummary]):
    """Encoded module facts by path (`codec.encode_facts`), read as decoded ones."""

    def __init__(self, facts: dict[str, str]):
        self._facts = facts
        self._decoded: dict[str, ModuleSummary] = {}

    def __getitem__(self, path: str) -> ModuleSummary:
        module = self._decoded.get(path)
        if module is None:
            module = decode_facts(self._facts[path])
            assert isinstance(module, ModuleSummary), f"{path}: facts of a dropped file"
            self._decoded[path] = module
        return module

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)


@cache
def _code_fingerprint() -> str:
    """The code a summary comes from. Hashing the sources, rather than trusting a version
    constant alone, means an edited detector or parser can never be served stale results."""
    digest = hashlib.sha256(parse.EXTRACTOR_VERSION.encode())
    # detect-secrets' version file, found without importing it (a no-op rerun never scans).
    detector = Path(find_spec("detect_secrets").origin).with_name("__version__.py")
    digest.update(detector.read_bytes())
    for module in ("parse", "body", "records", "codec", "secrets", "exclusions", "scan"):
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return digest.hexdigest()


def summary_key(pack: RulePack, cfg: ExclusionConfig) -> str:
    """Cache key of a blob's summary: everything but the blob's bytes that shapes it. (Runs
    with a state always summarize without `all_usages`: the key need not say so.)"""
    queries = sorted((rule.id, rule.query) for rule in pack.rules if rule.query)
    material = repr((_code_fingerprint(), queries, cfg.generated))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def triage(entry: FileEntry, cfg: ExclusionConfig) -> str | None:
    """A reason to skip the file without reading it, or None."""
    reason = path_exclusion(entry.path, cfg)
    if reason is None and entry.size > cfg.max_file_bytes:
        reason = "too_large"
    return reason


def summarize_blob(
    blob: bytes, cfg: ExclusionConfig, queries: QuerySet, all_usages: bool = True
) -> ModuleSummary | str:
    """The blob's summary (`parse.summarize`), or the reason it is dropped ("undecodable",
    "generated")."""
    try:
        source = decode_source(blob)
    except UndecodableSource:
        return "undecodable"
    if cfg.generated and generated_header(source[:2048].decode("utf-8", "replace")):
        return "generated"
    summary = summarize(source, queries, all_usages)
    withhold_secrets(summary)
    return summary


@cache
def _secret_scanner() -> Callable[..., list]:
    # Imported on first use: a no-op nightly run never scans. detect-secrets imports `requests`
    # only to verify keys online, which the miner never asks it to do, and that import is 60%
    # of detect-secrets' start-up (~0.15 s on every run that parses a file).
    _defer_import("requests")
    from miner.secrets import scan_secrets

    return scan_secrets


def _defer_import(name: str) -> None:
    """Bind `name` to a stand-in that imports the real module when an attribute is used."""
    if name in sys.modules or find_spec(name) is None:
        return

    class Deferred(types.ModuleType):
        def __getattr__(self, attr: str) -> object:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            return getattr(importlib.import_module(name), attr)

    sys.modules[name] = Deferred(name)


def withhold_secrets(summary: ModuleSummary) -> None:
    scan_secrets = _secret_scanner()
    for fn in summary.functions:
        if fn.docstring is None:
            continue
        findings = scan_secrets(fn.code, first_line=fn.start_line)
        if findings:
            fn.secrets = findings
            fn.code = fn.completion = ""
            fn.docstring = WITHHELD


def triage_entries(
    scan: RepoScan, entries: Sequence[FileEntry], cfg: ExclusionConfig
) -> list[FileEntry]:
    """Count every entry and those skipped unread; return the entries to read, in order."""
    scan.files_total = len(entries)
    to_read = []
    for entry in entries:
        reason = triage(entry, cfg)
        if reason is None:
            to_read.append(entry)
        else:
            scan.files_dropped[reason] += 1
    return to_read


def add_outcome(scan: RepoScan, entry: FileEntry, outcome: ModuleSummary | str) -> None:
    if isinstance(outcome, str):
        scan.files_dropped[outcome] += 1
    else:
        scan.summaries[entry.path] = outcome


def add_encoded(scan: RepoScan, entry: FileEntry, encoded: Encoded) -> None:
    """Record a file parsed elsewhere by its encoded outcome, left undecoded (`add_facts`)."""
    add_facts(scan, entry, encoded[1])
    if entry.path in scan.facts:
        scan.encoded[entry.path] = encoded[0]


def add_facts(scan: RepoScan, entry: FileEntry, facts: str, counted: bool = False) -> None:
    """Record a file by its encoded module facts (`codec.encode_facts`): a dropped blob's are
    its reason, counted unless `add_outcome` counted it already."""
    if facts.startswith('"'):
        if not counted:
            scan.files_dropped[json.loads(facts)] += 1
    else:
        scan.blobs[entry.path] = entry.blob
        scan.facts[entry.path] = facts
