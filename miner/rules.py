"""House-style rules: loading and validating the declarative TOML rule files.

A rule file holds `[[rule]]` tables with `id`, `description`, `kind` ("require" or "forbid")
and exactly one matcher: `calls`, `raises` or `query`. Any problem is a `RuleError` whose
message is one line naming the file, the rule and the problem.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import tree_sitter as ts

from miner.parse import QuerySet, compile_query, compile_query_set

MATCHERS = ("calls", "raises", "query")
KEYS = {"id", "description", "kind", *MATCHERS}
KINDS = ("require", "forbid")
REPO_DEFINED = "repo-defined"


class RuleError(ValueError):
    """A rule file that cannot be used; the message is one line naming file and rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    kind: str  # "require" | "forbid"
    source: str  # the file it came from, for messages
    calls: tuple[str, ...] = ()  # globs; a leading "!" excludes
    raises: tuple[str, ...] | str = ()  # globs or REPO_DEFINED
    query: str = ""

    @property
    def matcher(self) -> str:
        return next(name for name in MATCHERS if getattr(self, name))


@dataclass(slots=True)
class RulePack:
    rules: list[Rule]
    fingerprint: str

    @property
    def ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    def query_rules(self) -> QuerySet:
        """The query rules compiled with the summary patterns, for `parse.summarize`."""
        return compile_query_set(tuple((r.id, r.query) for r in self.rules if r.query))


def default_rule_files() -> list[Path]:
    pack = resources.files("rules")
    return sorted(Path(str(p)) for p in pack.iterdir() if p.name.endswith(".toml"))


def _rule_files(paths: list[str | Path]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise RuleError(f"{path}: no *.toml rule files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise RuleError(f"{path}: no such rule file or folder")
    return files


def load_rules(paths: list[str | Path] | None = None) -> RulePack:
    """Load rule files/folders (the default pack when `paths` is empty or None)."""
    files = _rule_files(list(paths)) if paths else default_rule_files()
    digest = hashlib.sha256()
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for file in files:
        data = file.read_bytes()
        digest.update(file.name.encode() + b"\0" + data + b"\0")
        try:
            document = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise RuleError(f"{file}: invalid TOML: {err}") from None
        unknown_top = set(document) - {"rule"}
        if unknown_top:
            raise RuleError(f"{file}: unknown top-level key {sorted(unknown_top)[0]!r}")
        tables = document.get("rule", [])
        if not isinstance(tables, list):
            raise RuleError(f"{file}: 'rule' must be an array of tables ([[rule]])")
        for index, table in enumerate(tables, 1):
            rule = _parse_rule(file, index, table)
            if rule.id in seen:
                raise RuleError(f"{file}: rule {rule.id!r}: id already defined in {seen[rule.id]}")
            seen[rule.id] = str(file)
            if rule.query:
                _check_query(rule)
            rules.append(rule)
    if not rules:
        raise RuleError(f"{', '.join(map(str, files))}: no rules defined")
    return RulePack(rules=rules, fingerprint=digest.hexdigest()[:16])


def _parse_rule(file: Path, index: int, table: dict) -> Rule:
    rule_id = table.get("id")
    where = f"{file}: rule {rule_id!r}" if isinstance(rule_id, str) else f"{file}: rule #{index}"
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RuleError(f"{where}: missing or empty 'id'")
    unknown = set(table) - KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    kind = table.get("kind")
    if kind not in KINDS:
        raise RuleError(f"{where}: 'kind' must be \"require\" or \"forbid\", not {kind!r}")
    description = table.get("description", "")
    if not isinstance(description, str):
        raise RuleError(f"{where}: 'description' must be a string")
    present = [name for name in MATCHERS if name in table]
    if len(present) != 1:
        found = " and ".join(present) if present else "none"
        raise RuleError(f"{where}: needs exactly one matcher of calls/raises/query, found {found}")
    matcher = present[0]
    value = table[matcher]
    common = {"id": rule_id, "description": description, "kind": kind, "source": str(file)}
    if matcher == "query":
        if not isinstance(value, str) or not value.strip():
            raise RuleError(f"{where}: 'query' must be a non-empty string")
        return Rule(**common, query=value)
    if matcher == "raises" and value == REPO_DEFINED:
        return Rule(**common, raises=REPO_DEFINED)
    if not isinstance(value, list) or not value or not all(
        isinstance(g, str) and g.strip("!") for g in value
    ):
        hint = f' or "{REPO_DEFINED}"' if matcher == "raises" else ""
        raise RuleError(f"{where}: {matcher!r} must be a non-empty list of glob strings{hint}")
    if all(g.startswith("!") for g in value):
        raise RuleError(f"{where}: {matcher!r} has only exclusions ('!...'), nothing to match")
    return Rule(**common, **{matcher: tuple(value)})


def _check_query(rule: Rule) -> None:
    try:
        query = compile_query(rule.query)
    except (ts.QueryError, ValueError) as err:
        message = " ".join(str(err).split())
        raise RuleError(f"{rule.source}: rule {rule.id!r}: invalid query: {message}") from None
    names = {query.capture_name(i) for i in range(query.capture_count)}
    if "match" not in names:
        raise RuleError(f"{rule.source}: rule {rule.id!r}: query captures no @match")
