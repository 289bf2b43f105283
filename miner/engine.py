"""Rule verdicts for one function: which rules match, and on which line."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from miner.records import FunctionRecord, ImportBinding, Usage
from miner.rules import REPO_DEFINED, Rule, RulePack


class Resolver(Protocol):
    """What rules need to know about the repository around a function."""

    def import_bindings(self, module: str, imports: list[ImportBinding]) -> dict[str, str]: ...

    def resolve(self, module: str, name: str, local: dict[str, str] | None = None) -> str: ...

    def canonical(self, qualified: str) -> str: ...

    def is_repo_exception(self, qualified: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: Rule
    line: int
    detail: str  # what matched, as written and as resolved


class _Forms:
    """Each usage of one function resolved once, however many rules look at it."""

    def __init__(self, module: str, local: dict[str, str], resolver: Resolver):
        self.module, self.local, self.resolver = module, local, resolver
        self.cache: dict[str, tuple[str, ...]] = {}

    def __call__(self, usage: Usage) -> tuple[str, ...]:
        forms = self.cache.get(usage.name)
        if forms is None:
            resolved = self.resolver.resolve(self.module, usage.name, self.local)
            canonical = self.resolver.canonical(resolved)
            forms = self.cache[usage.name] = tuple(dict.fromkeys((usage.name, resolved, canonical)))
        return forms


@cache
def _glob_matcher(globs: tuple[str, ...]) -> Callable[[tuple[str, ...]], bool]:
    """One compiled regex for a rule's globs, one for its `!` exclusions."""

    def compiled(patterns: list[str]) -> re.Pattern[str] | None:
        return re.compile("|".join(map(fnmatch.translate, patterns))) if patterns else None

    include = compiled([g for g in globs if not g.startswith("!")])
    exclude = compiled([g[1:] for g in globs if g.startswith("!")])

    def matches(forms: tuple[str, ...]) -> bool:
        if exclude is not None and any(exclude.match(f) for f in forms):
            return False
        return include is not None and any(include.match(f) for f in forms)

    return matches


def _describe(forms: tuple[str, ...]) -> str:
    return forms[0] if len(forms) == 1 else f"{forms[0]} (→ {forms[-1]})"


def _match_rule(rule: Rule, fn: FunctionRecord, forms: _Forms) -> RuleHit | None:
    if rule.query:
        line = fn.query_hits.get(rule.id)
        return RuleHit(rule, line, "query captured @match") if line is not None else None
    if rule.raises == REPO_DEFINED:
        for usage in fn.raises:
            names = forms(usage)
            if forms.resolver.is_repo_exception(names[-1]):
                return RuleHit(rule, usage.line, f"raises {_describe(names)}")
        return None
    matches = _glob_matcher(rule.calls or rule.raises)
    for usage in fn.calls if rule.calls else fn.raises:
        names = forms(usage)
        if matches(names):
            verb = "calls" if rule.calls else "raises"
            return RuleHit(rule, usage.line, f"{verb} {_describe(names)}")
    return None


def match_rules(
    fn: FunctionRecord, module: str, pack: RulePack, resolver: Resolver
) -> list[RuleHit]:
    """Every rule of the pack that matches `fn`, require and forbid, in pack order."""
    local = resolver.import_bindings(module, fn.local_imports) if fn.local_imports else {}
    forms = _Forms(module, local, resolver)
    hits = (_match_rule(rule, fn, forms) for rule in pack.rules)
    return [hit for hit in hits if hit is not None]
