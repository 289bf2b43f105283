"""What a function body says: its docstring (as `ast` sees it) and whether it does anything."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterator

import tree_sitter as ts

_TRIVIAL_RAISES = {"NotImplementedError"}


def body_statements(body: ts.Node | None) -> Iterator[ts.Node]:
    """The block's statements, comments left out, one at a time: callers mostly need two."""
    if body is None:
        return
    for index in range(body.named_child_count):
        child = body.named_child(index)
        if child.type != "comment":
            yield child


def docstring_of(statement: ts.Node | None) -> str | None:
    """The statement's string value when it is a docstring, as `ast` decides."""
    if statement is None or statement.type != "expression_statement":
        return None
    if statement.named_child_count != 1:
        return None
    value = statement.named_child(0)
    kind = value.type
    while kind == "parenthesized_expression" and value.named_child_count == 1:
        value = value.named_child(0)
        kind = value.type
    if kind == "string":
        plain = _plain_string(value)
        if plain is not None:
            return plain
    elif kind != "concatenated_string":
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            literal = ast.literal_eval(value.text.decode("utf-8"))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None  # f-strings are JoinedStr for `ast`, never docstrings
    return literal if isinstance(literal, str) else None


def _plain_string(node: ts.Node) -> str | None:
    """The value of a `string` node whose source text is its value (no escapes, no \\r, not
    bytes or f-string): most docstrings, read without compiling a literal."""
    if not 2 <= node.child_count <= 3:
        return None
    start, *content, end = node.children
    if start.type != "string_start" or end.type != "string_end":
        return None
    if content and content[0].type != "string_content":
        return None
    prefix = start.text.strip(b"'\"").lower()
    text = content[0].text if content else b""
    if prefix not in (b"", b"u", b"r") or b"\r" in text or (prefix != b"r" and b"\\" in text):
        return None
    return text.decode("utf-8")


def is_trivial_statement(node: ts.Node) -> bool:
    kind = node.type
    if kind == "pass_statement":
        return True
    if kind == "expression_statement" and node.named_child_count == 1:
        return node.named_child(0).type == "ellipsis"
    if kind == "raise_statement" and node.named_child_count == 1:
        raised = node.named_child(0)
        if raised.type == "call":
            raised = raised.child_by_field_name("function")
        return raised.text.decode("utf-8", "replace") in _TRIVIAL_RAISES
    return False
