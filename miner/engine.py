"""Rule verdicts for one function: which rules match, and on which line."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
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


def _forms(usage: Usage, module: str, local: dict[str, str], resolver: Resolver) -> list[str]:
    resolved = resolver.resolve(module, usage.name, local)
    canonical = resolver.canonical(resolved)
    return list(dict.fromkeys((usage.name, resolved, canonical)))


def _glob_match(forms: list[str], globs: tuple[str, ...]) -> bool:
    include = [g for g in globs if not g.startswith("!")]
    exclude = [g[1:] for g in globs if g.startswith("!")]
    if any(fnmatchcase(f, g) for f in forms for g in exclude):
        return False
    return any(fnmatchcase(f, g) for f in forms for g in include)


def _describe(forms: list[str]) -> str:
    return forms[0] if len(forms) == 1 else f"{forms[0]} (→ {forms[-1]})"


def match_rule(
    rule: Rule, fn: FunctionRecord, module: str, local: dict[str, str], resolver: Resolver
) -> RuleHit | None:
    if rule.query:
        line = fn.query_hits.get(rule.id)
        return RuleHit(rule, line, "query captured @match") if line is not None else None
    usages = fn.calls if rule.calls else fn.raises
    for usage in usages:
        forms = _forms(usage, module, local, resolver)
        if rule.raises == REPO_DEFINED:
            if resolver.is_repo_exception(forms[-1]):
                return RuleHit(rule, usage.line, f"raises {_describe(forms)}")
        elif _glob_match(forms, rule.calls or rule.raises):
            verb = "calls" if rule.calls else "raises"
            return RuleHit(rule, usage.line, f"{verb} {_describe(forms)}")
    return None


def match_rules(
    fn: FunctionRecord, module: str, pack: RulePack, resolver: Resolver
) -> list[RuleHit]:
    """Every rule of the pack that matches `fn`, require and forbid, in pack order."""
    local = resolver.import_bindings(module, fn.local_imports) if fn.local_imports else {}
    hits = (match_rule(rule, fn, module, local, resolver) for rule in pack.rules)
    return [hit for hit in hits if hit is not None]
