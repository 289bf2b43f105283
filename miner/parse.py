"""Parse one Python blob with tree-sitter into a `ModuleSummary`.

Everything is gathered by one query pass plus a single sweep over the captures in byte order:
walking every node from Python would cost several times the parse itself.
"""

from __future__ import annotations

import inspect
import io
import re
import tokenize
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import itemgetter

import tree_sitter as ts
import tree_sitter_python

from miner.body import body_statements, docstring_of, is_trivial_statement
from miner.records import ClassDef, FunctionRecord, ImportBinding, ModuleSummary, Usage

EXTRACTOR_VERSION = "1"

_SUMMARY_QUERY = """
(function_definition) @function
(class_definition) @class
(import_statement) @import
(import_from_statement) @import
(call function: (_) @callee)
(raise_statement) @raise
(assignment left: (identifier) right: [(identifier) (attribute)]) @alias
"""

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*")


@cache
def language() -> ts.Language:
    return ts.Language(tree_sitter_python.language())


@dataclass(frozen=True)
class QuerySet:
    """The summary patterns and every query rule's patterns, compiled into one query.

    One query walks the tree once; a query per rule would walk it once per rule (each walk
    costs about a third of the parse). `rule_of_pattern[i]` names the rule pattern i belongs
    to, None for the summary's own patterns.
    """

    query: ts.Query
    rule_of_pattern: tuple[str | None, ...]


@cache
def compile_query(source: str) -> ts.Query:
    """A query compiled once per process (~5 ms each): checking a rule file compiles its
    queries, and the combined set needs each one's pattern count again."""
    return ts.Query(language(), source)


@cache
def compile_query_set(rule_queries: tuple[tuple[str, str], ...] = ()) -> QuerySet:
    """`rule_queries` holds (rule id, query source) pairs, each already known to compile."""
    owners: list[str | None] = [None] * compile_query(_SUMMARY_QUERY).pattern_count
    for rule_id, source in rule_queries:
        owners += [rule_id] * compile_query(source).pattern_count
    combined = "\n".join([_SUMMARY_QUERY, *(source for _, source in rule_queries)])
    return QuerySet(ts.Query(language(), combined), tuple(owners))


def new_parser() -> ts.Parser:
    return ts.Parser(language())


class UndecodableSource(ValueError):
    """The blob is not text in the encoding its PEP 263 declaration (or UTF-8) names."""


def decode_source(blob: bytes) -> bytes:
    """Return the blob as UTF-8, honouring a BOM or PEP 263 coding declaration."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(blob).readline)
        text = blob.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as err:
        raise UndecodableSource(str(err).splitlines()[0]) from None
    if encoding in ("utf-8", "utf-8-sig"):
        return blob[3:] if blob.startswith(b"\xef\xbb\xbf") else blob
    return text.encode("utf-8")


def _name_and_alias(name: ts.Node) -> tuple[str, str | None]:
    """`a.b` and `x` of `a.b as x`; no alias for a plain name."""
    if name.type == "aliased_import":
        alias = name.child_by_field_name("alias").text.decode()
        return name.child_by_field_name("name").text.decode(), alias
    return name.text.decode(), None


def _import_bindings(node: ts.Node) -> list[ImportBinding]:
    line = node.start_point[0] + 1
    bindings: list[ImportBinding] = []
    if node.type == "import_statement":
        for name in node.children_by_field_name("name"):
            module, alias = _name_and_alias(name)
            text = f"import {module}" + (f" as {alias}" if alias else "")
            local = alias or module.split(".")[0]
            bindings.append(ImportBinding(local, module, None, 0, line, text))
        return bindings
    module_node = node.child_by_field_name("module_name")
    level, module = 0, ""
    if module_node.type == "relative_import":
        for part in module_node.children:
            if part.type == "import_prefix":
                level = part.text.count(b".")
            elif part.type == "dotted_name":
                module = part.text.decode()
    else:
        module = module_node.text.decode()
    source = "." * level + module
    for name in node.children_by_field_name("name"):
        imported, alias = _name_and_alias(name)
        text = f"from {source} import {imported}" + (f" as {alias}" if alias else "")
        bindings.append(ImportBinding(alias or imported, module, imported, level, line, text))
    return bindings


@dataclass(slots=True)
class _Scope:
    node: ts.Node
    outer: ts.Node  # the decorated definition around `node`, or `node` itself
    name: str
    is_function: bool
    start: int
    end: int
    child_prefix: str = ""  # what the qualnames of scopes nested in this one start with


class _SourceLines:
    """Line-addressed view of the UTF-8 source for slicing functions out of it."""

    def __init__(self, source: bytes):
        self.lines = source.splitlines(keepends=True)

    def code(self, start: tuple[int, int], end_row: int) -> str:
        """Dedented lines start[0]..end_row."""
        indent, lines = self._rows(start, end_row)
        return _text(_dedent(lines, indent))

    def code_and_cut(
        self, start: tuple[int, int], end_row: int, drop: tuple[int, int]
    ) -> tuple[str, str]:
        """Dedented lines start[0]..end_row, whole and without the `drop` rows (never the first)."""
        indent, lines = self._rows(start, end_row)
        first, last = drop[0] - start[0], drop[1] - start[0]
        head = _dedent(lines[:first], indent)
        tail = _dedent(lines[last + 1 :], indent)
        return _text(head + _dedent(lines[first : last + 1], indent) + tail), _text(head + tail)

    def _rows(self, start: tuple[int, int], end_row: int) -> tuple[bytes, list[bytes]]:
        """The indent to strip, and the lines start[0]..end_row from the start column on."""
        row, column = start
        lines = self.lines[row : end_row + 1]
        first = lines[0]
        indent = first[:column]
        if indent.strip():  # `class A: def f(): ...` on one line: start mid-line
            lines[0] = first[column:]
            return b"", lines
        return indent, lines


def _dedent(lines: list[bytes], indent: bytes) -> bytes:
    """The lines joined, each stripped of `indent` where it starts with it.

    Lines that do not carry the full indent (continuations of a multi-line string) stay as they
    are: stripping them would change the string's value.
    """
    text = b"".join(lines)
    if not indent:
        return text
    if b"\r" in text:  # a lone "\r" ends a line too (as `splitlines` reads it): go line by line
        width = len(indent)
        return b"".join([line[width:] if line.startswith(indent) else line for line in lines])
    # One replace over the joined lines: every line but the first starts after a "\n".
    if text.startswith(indent):
        text = text[len(indent) :]
    return text.replace(b"\n" + indent, b"\n")


def _text(code: bytes) -> str:
    text = code.decode("utf-8", "replace")
    return text if text.endswith("\n") else text + "\n"


def _function_record(scope: _Scope, qualname: str, lines: _SourceLines) -> FunctionRecord:
    outer = scope.outer
    statements = body_statements(scope.node.child_by_field_name("body"))
    first = next(statements, None)
    raw_doc = docstring_of(first)
    # What follows the docstring: only its first statements are looked at, mostly just one.
    rest = statements if raw_doc is not None or first is None else chain((first,), statements)
    after_doc = next(rest, None)
    trivial = after_doc is None or (
        is_trivial_statement(after_doc) and all(map(is_trivial_statement, rest))
    )
    start = outer.start_point
    end_row = outer.end_point[0]
    code = completion = ""
    if raw_doc is not None:
        code, completion = _code_and_completion(first, after_doc, start, end_row, lines)
    docstring = inspect.cleandoc(raw_doc) if raw_doc is not None else None
    # Positional: keywords cost a microsecond more per record, and a file has hundreds.
    return FunctionRecord(
        qualname, start[0] + 1, end_row + 1, code, docstring, completion, outer.has_error, trivial
    )


def _code_and_completion(
    doc: ts.Node,
    after_doc: ts.Node | None,
    start: tuple[int, int],
    end_row: int,
    lines: _SourceLines,
) -> tuple[str, str]:
    """The code of the function at rows start[0]..end_row, and that code without `doc`."""
    (doc_first, doc_column), (doc_last, doc_end_column) = doc.start_point, doc.end_point
    alone = (
        doc_first > start[0]
        and not lines.lines[doc_first][:doc_column].strip()
        and not lines.lines[doc_last][doc_end_column:].strip(b" \t\r\n;")
    )
    if alone and after_doc is not None:
        return lines.code_and_cut(start, end_row, (doc_first, doc_last))
    code = lines.code(start, end_row)
    # Docstring shares a line with other code (`def f(): "doc"; return 1`): cut it out by bytes.
    source = b"".join(lines.lines[start[0] : end_row + 1])
    base = sum(len(line) for line in lines.lines[: start[0]])
    cut_from = doc.start_byte - base
    if after_doc is not None:
        patched = source[:cut_from] + source[after_doc.start_byte - base :]
    else:
        patched = source[:cut_from] + b"..." + source[doc.end_byte - base :]
    end_row = patched.count(b"\n")
    return code, _SourceLines(patched).code((0, start[1]), end_row)


def summarize(
    source: bytes, queries: QuerySet | None = None, all_usages: bool = True
) -> ModuleSummary:
    """Summarize UTF-8 `source`; `queries` adds the rule pack's query rules.

    Without `all_usages`, calls, raises, rule matches and local imports are recorded only for
    documented functions (a nested function's usages still count for its documented
    ancestors): all that mining judges, since an undocumented function is dropped whatever it
    matches. On the stdlib that halves the usages a summary holds, and the time to encode and
    decode it. `miner extract` and `miner explain` show every function's rules, so they keep
    them all.
    """
    queries = queries or compile_query_set()
    tree = new_parser().parse(source)
    sweep = _Sweep(source, all_usages)
    scopes, usages = sweep.captures(queries, tree.root_node)
    # Outer scopes first among those starting together; usages stay in match order on ties.
    scopes.sort(key=lambda s: (s.start, -s.end))
    usages.sort(key=itemgetter(0))
    stack, recording = sweep.stack, sweep.recording  # updated in place; read for every usage
    scope_iter = iter(scopes)
    next_scope = next(scope_iter, None)
    for byte, kind, node in usages:
        while next_scope is not None and next_scope.start <= byte:
            sweep.open_scope(next_scope)
            next_scope = next(scope_iter, None)
        if stack and stack[-1].end <= byte:
            sweep.close_scopes(byte)
        # A call, raise or rule match with no recording function around it (at module or
        # class level, or only in undocumented functions without `all_usages`) is not kept.
        if recording or kind == "import" or kind == "alias":
            sweep.record_usage(kind, node)
    while next_scope is not None:
        sweep.open_scope(next_scope)
        next_scope = next(scope_iter, None)
    return ModuleSummary(sweep.imports, sweep.classes, sweep.aliases, sweep.functions)


class _Sweep:
    """One file's summary, built scope by scope and usage by usage in byte order."""

    def __init__(self, source: bytes, all_usages: bool):
        self.source = source
        self.lines = _SourceLines(source)
        self.all_usages = all_usages
        self.functions: list[FunctionRecord] = []
        self.classes: list[ClassDef] = []
        self.imports: list[ImportBinding] = []
        self.aliases: dict[str, str] = {}
        self.stack: list[_Scope] = []  # the scopes around the current byte, outermost first
        self.enclosing: list[FunctionRecord] = []  # the records of the functions on `stack`
        # Those of `enclosing` that record usages: all, or without `all_usages` the documented.
        self.recording: list[FunctionRecord] = []

    def captures(
        self, queries: QuerySet, root: ts.Node
    ) -> tuple[list[_Scope], list[tuple[int, str, ts.Node]]]:
        """The tree's scopes, and its other captures as (byte, kind, node) in match order."""
        scopes: list[_Scope] = []
        usages: list[tuple[int, str, ts.Node]] = []
        for pattern, captures in ts.QueryCursor(queries.query).matches(root):
            rule_id = queries.rule_of_pattern[pattern]
            if rule_id is not None:
                kind = "query:" + rule_id
                for node in captures.get("match", ()):
                    usages.append((node.start_byte, kind, node))
                continue
            [(kind, [node])] = captures.items()  # each summary pattern captures one node
            if kind == "function" or kind == "class":
                scopes.append(self.new_scope(node, kind == "function"))
            else:
                usages.append((node.start_byte, kind, node))
        return scopes, usages

    def new_scope(self, node: ts.Node, is_function: bool) -> _Scope:
        parent = node.parent
        outer = parent if parent is not None and parent.type == "decorated_definition" else node
        name = node.child_by_field_name("name")
        text = self.text(name) if name is not None else "<unknown>"
        return _Scope(node, outer, text, is_function, outer.start_byte, outer.end_byte)

    def text(self, node: ts.Node) -> str:
        # Sliced from the source: cheaper than `node.text`.
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def dotted_name(self, node: ts.Node) -> str | None:
        """`a.b.c` for a name/attribute chain, `….c` when the receiver is an expression."""
        text = self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")  # hot
        if text.isascii() and (text.isidentifier() or _DOTTED.fullmatch(text)):
            return text  # the usual case: no spaces or comments to squeeze out
        compact = "".join(text.split())
        if _DOTTED.fullmatch(compact):
            return compact
        if node.type == "attribute":
            attr = node.child_by_field_name("attribute")
            if attr is not None:
                return "…." + self.text(attr)
        return None

    def close_scopes(self, byte: int) -> None:
        """Leave the scopes that end at or before `byte`."""
        stack = self.stack
        while stack and stack[-1].end <= byte:
            if stack.pop().is_function:
                record = self.enclosing.pop()
                if self.recording and self.recording[-1] is record:
                    self.recording.pop()

    def open_scope(self, scope: _Scope) -> None:
        self.close_scopes(scope.start)
        stack = self.stack
        qualname = stack[-1].child_prefix + scope.name if stack else scope.name
        if scope.is_function:
            record = _function_record(scope, qualname, self.lines)
            self.functions.append(record)
            self.enclosing.append(record)
            if self.all_usages or record.docstring is not None:
                self.recording.append(record)
            scope.child_prefix = qualname + ".<locals>."
        else:
            line = scope.node.start_point[0] + 1
            self.classes.append(ClassDef(qualname, self.bases(scope.node), line))
            scope.child_prefix = qualname + "."
        stack.append(scope)

    def bases(self, node: ts.Node) -> list[str]:
        superclasses = node.child_by_field_name("superclasses")
        if superclasses is None:
            return []
        bases = []
        for base in superclasses.named_children:
            if base.type in ("identifier", "attribute"):
                name = self.dotted_name(base)
                if name is not None and not name.startswith("…"):
                    bases.append(name)
        return bases

    def record_usage(self, kind: str, node: ts.Node) -> None:
        """Files the usage; calls, raises and rule matches only while a recording function is
        open."""
        if kind == "callee":
            name = self.dotted_name(node)
            if name is not None:
                line = node.start_point[0] + 1
                for record in self.recording:
                    record.calls.append(Usage(name, line))
        elif kind == "raise":
            if node.named_child_count == 0:
                return  # a bare `raise` re-raises whatever is in flight: never counts
            raised = node.named_children[0]
            if raised.type == "call":
                raised = raised.child_by_field_name("function")
            name = self.dotted_name(raised) if raised is not None else None
            if name is not None:
                line = node.start_point[0] + 1
                for record in self.recording:
                    record.raises.append(Usage(name, line))
        elif kind == "import":
            if not self.enclosing:
                self.imports.extend(_import_bindings(node))
            elif self.recording and self.recording[-1] is self.enclosing[-1]:
                self.enclosing[-1].local_imports.extend(_import_bindings(node))
        elif kind == "alias":
            if not self.stack:
                target = self.dotted_name(node.child_by_field_name("right"))
                if target is not None and not target.startswith("…"):
                    self.aliases[node.child_by_field_name("left").text.decode()] = target
        elif kind.startswith("query:"):
            rule_id = kind[len("query:") :]
            line = node.start_point[0] + 1
            for record in self.recording:
                record.query_hits.setdefault(rule_id, line)
