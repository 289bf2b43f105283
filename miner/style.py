"""Check generated code against the rule pack, in the context recorded at mining time.

`miner mine` writes `scopes.json`: per repository its exception classes and, per module that
produced pairs, the module's name bindings (imports, classes, aliases; canonical targets). A
generated function is parsed alone and judged by the same engine as mined code, with those
bindings standing in for the repository.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from miner.engine import match_rules
from miner.index import binding_target
from miner.parse import new_parser, summarize
from miner.records import ImportBinding
from miner.rules import RulePack, load_rules


@dataclass(frozen=True)
class StyleVerdict:
    tree_sitter_ok: bool  # no ERROR/MISSING node and a top-level function to judge
    require_matched: list[str] = field(default_factory=list)
    forbid_matched: list[str] = field(default_factory=list)

    def follows(self, reference_rules: list[str]) -> bool:
        """Matches every require rule the reference matched, and no forbid rule."""
        return (
            self.tree_sitter_ok
            and set(reference_rules) <= set(self.require_matched)
            and not self.forbid_matched
        )


class SnapshotResolver:
    """The engine's `Resolver`, answered from one module's recorded bindings."""

    def __init__(self, bindings: Mapping[str, str], exception_classes: set[str]):
        self.bindings = dict(bindings)
        self.exception_classes = exception_classes

    def import_bindings(self, module: str, imports: list[ImportBinding]) -> dict[str, str]:
        return {b.local: binding_target(module, b, is_package=False) for b in imports}

    def resolve(self, module: str, name: str, local: dict[str, str] | None = None) -> str:
        head, _, rest = name.partition(".")
        target = (local or {}).get(head) or self.bindings.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def canonical(self, qualified: str) -> str:
        return qualified

    def is_repo_exception(self, qualified: str) -> bool:
        return qualified in self.exception_classes


class StyleChecker:
    def __init__(self, scopes: Mapping[str, dict], pack: RulePack):
        self.scopes = scopes
        self.pack = pack

    @classmethod
    def from_output_dir(
        cls, data_dir: str | Path, rule_paths: list[str | Path] | None = None
    ) -> StyleChecker:
        scopes_file = Path(data_dir) / "scopes.json"
        scopes = json.loads(scopes_file.read_text(encoding="utf-8")) if scopes_file.exists() else {}
        return cls(scopes, load_rules(rule_paths))

    def check(self, code: str, repo: str, module: str) -> StyleVerdict:
        """Judge `code` (one function) as if it stood in `module` of `repo`; never raises."""
        scope = self.scopes.get(repo, {})
        bindings = scope.get("modules", {}).get(module, {}).get("bindings", {})
        resolver = SnapshotResolver(bindings, set(scope.get("exception_classes", ())))
        try:
            summary = summarize(code.encode("utf-8"), self.pack.query_rules())
        except (ValueError, RecursionError):
            return StyleVerdict(False)
        top_level = [f for f in summary.functions if "." not in f.qualname]
        if not top_level:
            return StyleVerdict(False)
        fn = top_level[0]
        if summary.imports:  # imports the model wrote above the function are in scope too
            fn.local_imports = [*summary.imports, *fn.local_imports]
        hits = match_rules(fn, module, self.pack, resolver)
        return StyleVerdict(
            tree_sitter_ok=not any(f.syntax_error for f in top_level) and not _has_error(code),
            require_matched=[h.rule.id for h in hits if h.rule.kind == "require"],
            forbid_matched=[h.rule.id for h in hits if h.rule.kind == "forbid"],
        )


def _has_error(code: str) -> bool:
    return new_parser().parse(code.encode("utf-8")).root_node.has_error
