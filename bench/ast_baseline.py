"""The script a user would write instead of the miner: `ast` over files, documented functions.

No rules, no git, no filters: walk the files, parse each with `ast`, keep every function with a
docstring. The benchmark times it over the same files the miner mines.

    python bench/ast_baseline.py --files-from LIST --out FILE.jsonl
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path


def documented_functions(source: bytes, path: str) -> Iterator[dict]:
    tree = ast.parse(source, filename=path)
    lines = source.decode("utf-8", "replace").splitlines(keepends=True)
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                qualname = prefix + child.name
                docstring = None
                if not isinstance(child, ast.ClassDef):
                    docstring = ast.get_docstring(child)
                if docstring:
                    start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                    yield {
                        "path": path,
                        "qualname": qualname,
                        "docstring": docstring,
                        "code": "".join(lines[start - 1 : child.end_lineno]),
                    }
                stack.append((child, qualname + "."))
            else:
                stack.append((child, prefix))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files-from", type=Path, required=True, metavar="LIST",
                        help="file with one path per line")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE")
    args = parser.parse_args(argv)
    paths = args.files_from.read_text(encoding="utf-8").splitlines()
    found = 0
    with args.out.open("w", encoding="utf-8") as out:
        for path in paths:
            try:
                records = list(documented_functions(Path(path).read_bytes(), path))
            except (SyntaxError, ValueError) as err:
                print(f"ast_baseline: {path}: skipped: {err}", file=sys.stderr)
                continue
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            found += len(records)
    print(json.dumps({"files": len(paths), "functions": found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
