"""Rules → filters: the verdict on each function found in a repository.

The drop reason is the first stage that fails, in the order of `STAGES`; the pipeline needs
nothing more, so stages after it are not evaluated. `stage_checks` evaluates every stage, with
its details, for `miner explain`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from miner.config import MineConfig
from miner.engine import RuleHit, RuleMatcher
from miner.exclusions import is_test_function
from miner.index import RepoIndex
from miner.quality import docstring_problem, length_problem
from miner.records import FunctionRecord
from miner.rules import RulePack
from miner.scan import RepoScan

STAGES = (
    "syntax_error",
    "undocumented",
    "test",
    "secret",
    "short_docstring",
    "trivial_body",
    "too_long",
    "forbid",
    "no_rule_match",
)


@dataclass(slots=True)
class Check:
    stage: str
    passed: bool
    detail: str = ""


@dataclass(slots=True)
class Candidate:
    repo: str
    commit: str
    path: str
    module: str
    fn: FunctionRecord
    hits: list[RuleHit]
    drop: str | None = None  # reason, e.g. "short_docstring", "forbid:raw-sql", "duplicate"
    duplicate_of: str | None = None  # "path::qualname" of the survivor
    split: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def require(self) -> list[str]:
        return [h.rule.id for h in self.hits if h.rule.kind == "require"]

    @property
    def forbid(self) -> list[str]:
        return [h.rule.id for h in self.hits if h.rule.kind == "forbid"]

    @property
    def sort_key(self) -> tuple:
        return (self.repo, self.path, self.fn.start_line, self.fn.qualname)


def stage_checks(fn: FunctionRecord, hits: list[RuleHit], config: MineConfig) -> list[Check]:
    """Every stage's verdict on `fn`, with what it found; agrees with `drop_reason`."""
    doc = fn.docstring
    broken = fn.syntax_error
    syntax = Check("syntax_error", not broken, "ERROR/MISSING node inside" if broken else "")
    if doc is None:  # most functions: nothing after this stage applies to them
        return [syntax, Check("undocumented", False)]
    secret = ", ".join(f"{s.detector} on line {s.line}: {s.masked}" for s in fn.secrets)
    short = docstring_problem(doc, config.quality) if not fn.secrets else None
    too_long = length_problem(fn, doc, config.quality)
    forbid = [h for h in hits if h.rule.kind == "forbid"]
    require = [h for h in hits if h.rule.kind == "require"]
    keep_all = config.keep == "all"
    return [
        syntax,
        Check("undocumented", True),
        Check("test", not is_test_function(fn.qualname)),
        Check("secret", not fn.secrets, secret),
        Check("short_docstring", short is None),
        Check("trivial_body", not fn.trivial_body),
        Check("too_long", too_long is None, f"{fn.end_line - fn.start_line + 1} lines"),
        Check("forbid", keep_all or not forbid, ", ".join(h.rule.id for h in forbid)),
        Check("no_rule_match", keep_all or bool(require), ", ".join(h.rule.id for h in require)),
    ]


def drop_reason(fn: FunctionRecord, hits: list[RuleHit], config: MineConfig) -> str | None:
    """The first stage of `STAGES` that `fn` fails, "forbid:<first forbid rule>" for forbid;
    None when it passes them all."""
    if fn.syntax_error:
        return "syntax_error"
    doc = fn.docstring
    if doc is None:
        return "undocumented"
    if is_test_function(fn.qualname):
        return "test"
    if fn.secrets:
        return "secret"
    if docstring_problem(doc, config.quality) is not None:
        return "short_docstring"
    if fn.trivial_body:
        return "trivial_body"
    if length_problem(fn, doc, config.quality) is not None:
        return "too_long"
    if config.keep == "all":
        return None
    for hit in hits:
        if hit.rule.kind == "forbid":
            return "forbid:" + hit.rule.id
    if not any(hit.rule.kind == "require" for hit in hits):
        return "no_rule_match"
    return None


def judge_repo(
    scan: RepoScan, index: RepoIndex, pack: RulePack, config: MineConfig
) -> Iterator[Candidate]:
    """A candidate per function of the scan, in (path, start_line) order.

    Undocumented functions are dropped whatever they match, so their rules are not matched
    (most functions of a real repository have no docstring).
    """
    match_rules = RuleMatcher(pack, index)
    for path in sorted(scan.summaries):
        module = index.module_of_path[path]
        for fn in sorted(scan.summaries[path].functions, key=lambda f: f.start_line):
            documented = fn.docstring is not None
            hits = match_rules(fn, module) if documented else []
            yield Candidate(
                repo=scan.name,
                commit=scan.commit,
                path=path,
                module=module,
                fn=fn,
                hits=hits,
                drop=drop_reason(fn, hits, config),
            )
