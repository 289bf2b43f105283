"""The records that flow between the miner's steps.

A `ModuleSummary` is everything the miner keeps of one parsed blob. It depends only on the
blob's bytes (plus the extractor version and the rule pack's query rules), so it is cached by
blob id and shipped between processes; nothing in it depends on other files. Verdicts that do
(what an import resolves to, which classes are the repository's exceptions) are computed from
the summaries of the whole repository on every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ImportBinding:
    """One name bound by an import statement: `from ..db import db_wrapper as dbw`."""

    local: str  # the name bound in the importing scope ("dbw"; "a" for `import a.b`)
    module: str  # module as written, without leading dots ("db"; "a.b")
    name: str | None  # imported attribute ("db_wrapper"), None for `import a.b`
    level: int  # leading dots of a relative import
    line: int
    text: str  # the statement's source, reduced to this binding


@dataclass(slots=True)
class ClassDef:
    qualname: str
    bases: list[str]  # dotted names as written; non-name bases are left out
    line: int


@dataclass(slots=True)
class Usage:
    """A call or a raise inside a function: the dotted name as written and where."""

    name: str  # "dbw.query"; a receiver that is no plain name becomes "…" ("….apply")
    line: int


@dataclass(slots=True)
class Finding:
    """A secret found in a function; `masked` never holds the secret itself."""

    detector: str
    line: int
    masked: str


@dataclass(slots=True)
class FunctionRecord:
    qualname: str
    start_line: int  # first line of the decorators, 1-based
    end_line: int
    code: str  # dedented source, decorators included; "" when a secret was found
    docstring: str | None  # cleaned like inspect.cleandoc
    completion: str  # code without the docstring statement
    syntax_error: bool
    trivial_body: bool  # only pass / ... / docstring / raise NotImplementedError
    calls: list[Usage] = field(default_factory=list)
    raises: list[Usage] = field(default_factory=list)
    query_hits: dict[str, int] = field(default_factory=dict)  # query rule id -> first line
    local_imports: list[ImportBinding] = field(default_factory=list)
    secrets: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class ModuleSummary:
    imports: list[ImportBinding]
    classes: list[ClassDef]
    aliases: dict[str, str]  # module-level `Name = dotted.name`
    functions: list[FunctionRecord]
