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

import tree_sitter as ts
import tree_sitter_python

from miner.body import docstring_of, first_statement, is_trivial_statement
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
def compile_query_set(rule_queries: tuple[tuple[str, str], ...] = ()) -> QuerySet:
    """`rule_queries` holds (rule id, query source) pairs, each already known to compile."""
    owners: list[str | None] = [None] * ts.Query(language(), _SUMMARY_QUERY).pattern_count
    for rule_id, source in rule_queries:
        owners += [rule_id] * ts.Query(language(), source).pattern_count
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


def dotted_name(node: ts.Node) -> str | None:
    """`a.b.c` for a name/attribute chain, `….c` when the receiver is an expression."""
    text = node.text.decode("utf-8", "replace")
    compact = "".join(text.split())
    if _DOTTED.fullmatch(compact):
        return compact
    if node.type == "attribute":
        attr = node.child_by_field_name("attribute")
        if attr is not None:
            return "…." + attr.text.decode("utf-8", "replace")
    return None


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
    start: int
    end: int
    name: str
    is_function: bool
    qualname: str = ""
    record: FunctionRecord | None = None


class _SourceLines:
    """Line-addressed view of the UTF-8 source for slicing functions out of it."""

    def __init__(self, source: bytes):
        self.lines = source.splitlines(keepends=True)

    def code(self, start: tuple[int, int], end_row: int, drop: tuple[int, int] | None) -> str:
        """Dedented lines start[0]..end_row; `drop` is a row range to leave out."""
        return self.code_and_cut(start, end_row, drop)[1]

    def code_and_cut(
        self, start: tuple[int, int], end_row: int, drop: tuple[int, int] | None
    ) -> tuple[str, str]:
        """Dedented lines start[0]..end_row, whole and without the `drop` rows, in one pass."""
        row, column = start
        lines = self.lines[row : end_row + 1]
        if not lines:
            return ""
        first = lines[0]
        indent = first[:column]
        if indent.strip():  # `class A: def f(): ...` on one line: start mid-line
            lines = [first[column:], *lines[1:]]
            indent = b""
        whole: list[bytes] = []
        cut: list[bytes] = []
        for offset, line in enumerate(lines):
            # Lines that do not carry the full indent (continuations of a multi-line string)
            # stay as they are: stripping them would change the string's value.
            dedented = line[len(indent) :] if line.startswith(indent) else line
            whole.append(dedented)
            if drop is None or not drop[0] <= row + offset <= drop[1]:
                cut.append(dedented)
        return _text(whole), _text(cut)


def _text(lines: list[bytes]) -> str:
    text = b"".join(lines).decode("utf-8", "replace")
    return text if text.endswith("\n") else text + "\n"


def _function_record(scope: _Scope, lines: _SourceLines) -> FunctionRecord:
    fn = scope.node
    outer = fn.parent if fn.parent is not None and fn.parent.type == "decorated_definition" else fn
    body = fn.child_by_field_name("body")
    first = first_statement(body)
    raw_doc = docstring_of(first)
    statements = [c for c in body.named_children if c.type != "comment"] if body else []
    rest = statements[1:] if raw_doc is not None else statements
    trivial = all(is_trivial_statement(s) for s in rest)
    start_row, end_row = outer.start_point[0], outer.end_point[0]
    code = completion = ""
    if raw_doc is not None:
        code, completion = _code_and_completion(first, outer, lines, rest)
    return FunctionRecord(
        qualname=scope.qualname,
        start_line=start_row + 1,
        end_line=end_row + 1,
        code=code,
        docstring=inspect.cleandoc(raw_doc) if raw_doc is not None else None,
        completion=completion,
        syntax_error=outer.has_error,
        trivial_body=trivial,
    )


def _code_and_completion(
    doc: ts.Node, outer: ts.Node, lines: _SourceLines, rest: list
) -> tuple[str, str]:
    """The function's code, and the code without its docstring statement."""
    doc_first, doc_last = doc.start_point[0], doc.end_point[0]
    alone = (
        doc_first > outer.start_point[0]
        and not lines.lines[doc_first][: doc.start_point[1]].strip()
        and not lines.lines[doc_last][doc.end_point[1] :].strip(b" \t\r\n;")
    )
    if alone and rest:
        return lines.code_and_cut(outer.start_point, outer.end_point[0], (doc_first, doc_last))
    code = lines.code(outer.start_point, outer.end_point[0], None)
    # Docstring shares a line with other code (`def f(): "doc"; return 1`): cut it out by bytes.
    source = b"".join(lines.lines[outer.start_point[0] : outer.end_point[0] + 1])
    base = sum(len(line) for line in lines.lines[: outer.start_point[0]])
    cut_from = doc.start_byte - base
    cut_to = (rest[0].start_byte - base) if rest else doc.end_byte - base
    filler = b"" if rest else b"..."
    patched = source[:cut_from] + filler + source[cut_to:]
    end_row = patched.count(b"\n")
    return code, _SourceLines(patched).code((0, outer.start_point[1]), end_row, None)


def _scope_name(node: ts.Node) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else "<unknown>"


def _outer_range(node: ts.Node) -> tuple[int, int]:
    parent = node.parent
    if parent is not None and parent.type == "decorated_definition":
        return parent.start_byte, parent.end_byte
    return node.start_byte, node.end_byte


def summarize(source: bytes, queries: QuerySet | None = None) -> ModuleSummary:
    """Summarize UTF-8 `source`; `queries` adds the rule pack's query rules."""
    queries = queries or compile_query_set()
    tree = new_parser().parse(source)
    root = tree.root_node
    lines = _SourceLines(source)
    scopes: list[_Scope] = []
    usages: list[tuple[int, str, ts.Node]] = []  # (byte, kind, node)
    imports: list[ImportBinding] = []
    aliases: dict[str, str] = {}
    for pattern, captures in ts.QueryCursor(queries.query).matches(root):
        rule_id = queries.rule_of_pattern[pattern]
        if rule_id is not None:
            for node in captures.get("match", ()):
                usages.append((node.start_byte, "query:" + rule_id, node))
            continue
        for kind, nodes in captures.items():
            for node in nodes:
                if kind in ("function", "class"):
                    start, end = _outer_range(node)
                    scopes.append(_Scope(node, start, end, _scope_name(node), kind == "function"))
                else:
                    usages.append((node.start_byte, kind, node))

    scopes.sort(key=lambda s: (s.start, -s.end))
    usages.sort(key=lambda u: u[0])
    functions: list[FunctionRecord] = []
    classes: list[ClassDef] = []
    stack: list[_Scope] = []
    scope_iter = iter(scopes)
    next_scope = next(scope_iter, None)

    def open_scope(scope: _Scope) -> None:
        while stack and stack[-1].end <= scope.start:
            stack.pop()
        prefix = "".join(s.name + (".<locals>." if s.is_function else ".") for s in stack)
        scope.qualname = prefix + scope.name
        if scope.is_function:
            scope.record = _function_record(scope, lines)
            functions.append(scope.record)
        else:
            line = scope.node.start_point[0] + 1
            classes.append(ClassDef(scope.qualname, _bases(scope.node), line))
        stack.append(scope)

    for byte, kind, node in usages:
        while next_scope is not None and next_scope.start <= byte:
            open_scope(next_scope)
            next_scope = next(scope_iter, None)
        while stack and stack[-1].end <= byte:
            stack.pop()
        enclosing = [s.record for s in stack if s.record is not None]
        _record_usage(kind, node, enclosing, imports, aliases, at_module=not stack)
    while next_scope is not None:
        open_scope(next_scope)
        next_scope = next(scope_iter, None)
    return ModuleSummary(imports=imports, classes=classes, aliases=aliases, functions=functions)


def _bases(node: ts.Node) -> list[str]:
    superclasses = node.child_by_field_name("superclasses")
    if superclasses is None:
        return []
    bases = []
    for base in superclasses.named_children:
        if base.type in ("identifier", "attribute"):
            name = dotted_name(base)
            if name is not None and not name.startswith("…"):
                bases.append(name)
    return bases


def _record_usage(
    kind: str,
    node: ts.Node,
    enclosing: list[FunctionRecord],
    imports: list[ImportBinding],
    aliases: dict[str, str],
    at_module: bool,
) -> None:
    if not enclosing and kind != "import" and kind != "alias":
        return  # a call, raise or rule match at module or class level: no function holds it
    line = node.start_point[0] + 1
    if kind == "callee":
        name = dotted_name(node)
        if name is not None:
            for record in enclosing:
                record.calls.append(Usage(name, line))
    elif kind == "raise":
        if node.named_child_count == 0:
            return  # a bare `raise` re-raises whatever is in flight: never counts
        raised = node.named_children[0]
        if raised.type == "call":
            raised = raised.child_by_field_name("function")
        name = dotted_name(raised) if raised is not None else None
        if name is not None:
            for record in enclosing:
                record.raises.append(Usage(name, line))
    elif kind == "import":
        bindings = _import_bindings(node)
        if enclosing:
            enclosing[-1].local_imports.extend(bindings)
        else:
            imports.extend(bindings)
    elif kind == "alias":
        if at_module:
            target = dotted_name(node.child_by_field_name("right"))
            if target is not None and not target.startswith("…"):
                aliases[node.child_by_field_name("left").text.decode()] = target
    elif kind.startswith("query:"):
        rule_id = kind[len("query:") :]
        for record in enclosing:
            record.query_hits.setdefault(rule_id, line)
