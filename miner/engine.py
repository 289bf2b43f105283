"""Rule verdicts for one function: which rules match, and on which line."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from miner.records import FunctionRecord, ImportBinding
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


class _Name:
    """A usage name's forms (as written, resolved, canonical), and each rule's verdict on
    them, by the rule's position in the pack, once a function asks."""

    __slots__ = ("forms", "verdicts")

    def __init__(self, forms: tuple[str, ...], rules: int):
        self.forms = forms
        self.verdicts: list[bool | None] = [None] * rules


class _Scope:
    """The usage names of a module for its functions without local imports (names repeat
    heavily across a module), or of one function whose imports shadow the module's names;
    each resolved once. Names with the same forms share one _Name, so its verdicts too."""

    def __init__(self, module: str, local: dict[str, str], matcher: RuleMatcher):
        self.module, self.local, self.matcher = module, local, matcher
        self.names: dict[str, _Name] = {}

    def __call__(self, name: str) -> _Name:
        found = self.names.get(name)
        if found is None:
            resolver = self.matcher.resolver
            resolved = resolver.resolve(self.module, name, self.local)
            forms = tuple(dict.fromkeys((name, resolved, resolver.canonical(resolved))))
            found = self.names[name] = self.matcher.name_with(forms)
        return found


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


class RuleMatcher:
    """`match_rules` for the functions of one repository: a name's forms are worked out once
    per scope, a rule's verdict on them (which depends on nothing else) once per repository."""

    def __init__(self, pack: RulePack, resolver: Resolver):
        self.pack, self.resolver = pack, resolver
        self.modules: dict[str, _Scope] = {}
        self.by_forms: dict[tuple[str, ...], _Name] = {}

    def name_with(self, forms: tuple[str, ...]) -> _Name:
        found = self.by_forms.get(forms)
        if found is None:
            found = self.by_forms[forms] = _Name(forms, len(self.pack.rules))
        return found

    def __call__(self, fn: FunctionRecord, module: str) -> list[RuleHit]:
        if fn.local_imports:
            scope = _Scope(module, self.resolver.import_bindings(module, fn.local_imports), self)
        else:
            scope = self.modules.get(module)
            if scope is None:
                scope = self.modules[module] = _Scope(module, {}, self)
        hits = [self._match(position, fn, scope) for position in range(len(self.pack.rules))]
        return [hit for hit in hits if hit is not None]

    def _match(self, position: int, fn: FunctionRecord, scope: _Scope) -> RuleHit | None:
        rule = self.pack.rules[position]
        if rule.query:
            line = fn.query_hits.get(rule.id)
            return RuleHit(rule, line, "query captured @match") if line is not None else None
        for usage in fn.calls if rule.calls else fn.raises:
            name = scope(usage.name)
            verdict = name.verdicts[position]
            if verdict is None:
                verdict = name.verdicts[position] = self._verdict(rule, name.forms)
            if verdict:
                verb = "calls" if rule.calls else "raises"
                return RuleHit(rule, usage.line, f"{verb} {_describe(name.forms)}")
        return None

    def _verdict(self, rule: Rule, forms: tuple[str, ...]) -> bool:
        if rule.raises == REPO_DEFINED:
            return self.resolver.is_repo_exception(forms[-1])
        return _glob_matcher(rule.calls or rule.raises)(forms)


def match_rules(
    fn: FunctionRecord, module: str, pack: RulePack, resolver: Resolver
) -> list[RuleHit]:
    """Every rule of the pack that matches `fn`, require and forbid, in pack order."""
    return RuleMatcher(pack, resolver)(fn, module)
