"""`miner inspect DIR`: the funnel of a mining run as a table, then the pairs that match.

Reads only DIR/manifest.json and DIR/pairs.jsonl, so it works on any finished run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

EXIT_ERROR = 2
DEFAULT_TEXT_LIMIT = 20

_FILE_COUNTERS = (
    ("files", "files_total"),
    ("  listed", "files_listed"),
    ("  parsed", "files_parsed"),
    ("  reused", "files_reused"),
)
_FUNCTION_COUNTERS = (
    ("functions found", "functions_found"),
    ("  documented", "functions_documented"),
    ("  rule-matched", "functions_rule_matched"),
)
# The funnel's order; reasons not listed here (forbid:<id>, new ones) follow, sorted.
_REASON_ORDER = (
    "test", "vendored", "generated", "excluded", "too_large", "undecodable", "syntax_error",
    "undocumented", "short_docstring", "trivial_body", "too_long", "secret", "unmatched",
    "duplicate", "near_duplicate",
)  # fmt: skip


class InspectError(Exception):
    """A problem with the run's files, said in one line naming the file."""


@dataclass
class InspectConfig:
    directory: Path
    rule: str | None = None
    repo: str | None = None
    split: str | None = None
    grep: str | None = None
    limit: int | None = None  # None: DEFAULT_TEXT_LIMIT pairs as text, all as JSON; 0: all
    json: bool = False
    color: str = "auto"  # auto (when stdout is a terminal), always, never


def add_inspect_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "inspect",
        help="the funnel of a run and the pairs it kept",
        description="Print the funnel of a mining run (from DIR/manifest.json) as a table, then "
        "the matching pairs of DIR/pairs.jsonl, syntax-highlighted (use `less -R` to page).",
    )
    parser.add_argument("directory", type=Path, metavar="DIR", help="the output dir of `mine`")
    parser.add_argument("--rule", metavar="ID", help="only pairs that matched this rule")
    parser.add_argument("--repo", metavar="R", help="only this repository (table and pairs)")
    parser.add_argument("--split", metavar="S", help="only this split (train, validation)")
    parser.add_argument("--grep", metavar="TEXT",
                        help="only pairs whose path, name, prompt or code contain TEXT "
                        "(ignoring case)")
    parser.add_argument("--limit", type=int, metavar="N",
                        help=f"at most N pairs, 0 for all (default: {DEFAULT_TEXT_LIMIT}; "
                        "all with --json)")
    parser.add_argument("--json", action="store_true",
                        help="print the selected pairs as JSONL, without the table")
    parser.add_argument("--color", choices=("auto", "always", "never"),
                        default=InspectConfig.color,
                        help="highlight code (default: auto, when stdout is a terminal)")
    parser.set_defaults(func=run_inspect)
    return parser


def run_inspect(args: argparse.Namespace) -> int:
    cfg = InspectConfig(
        directory=args.directory, rule=args.rule, repo=args.repo, split=args.split,
        grep=args.grep, limit=args.limit, json=args.json, color=args.color,
    )  # fmt: skip
    try:
        inspect_run(cfg, sys.stdout)
        sys.stdout.flush()  # here, where a reader that left early can still be handled
    except InspectError as err:
        print(f"miner: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader (head, less) left; say nothing more, and keep Python's exit quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def inspect_run(cfg: InspectConfig, out: TextIO) -> None:
    if cfg.limit is not None and cfg.limit < 0:
        raise InspectError(f"--limit {cfg.limit}: must be 0 (all) or more")
    manifest = load_manifest(cfg.directory / "manifest.json")
    if cfg.repo is not None and cfg.repo not in manifest["repos"]:
        known = ", ".join(sorted(manifest["repos"])) or "none"
        raise InspectError(f"--repo {cfg.repo}: not in this run (repositories: {known})")
    limit = cfg.limit
    if limit is None and not cfg.json:
        limit = DEFAULT_TEXT_LIMIT
    elif limit == 0:
        limit = None
    pairs = (p for p in read_pairs(cfg.directory / "pairs.jsonl") if _selected(p, cfg))

    if cfg.json:
        for n, pair in enumerate(pairs):
            if limit is not None and n >= limit:
                break
            out.write(json.dumps(pair, ensure_ascii=False) + "\n")
        return

    colored = cfg.color == "always" or (cfg.color == "auto" and out.isatty())
    out.write(funnel_table(manifest, cfg.repo) + "\n")
    shown = matched = 0
    for pair in pairs:
        matched += 1
        if limit is None or shown < limit:
            shown += 1
            out.write("\n" + render_pair(pair, shown, colored))
    out.write(f"\n{_pairs_summary(matched, shown)}\n")


def load_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InspectError(f"{path}: not found (is this the --out dir of `miner mine`?)") from None
    except json.JSONDecodeError as err:
        raise InspectError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("repos"), dict):
        raise InspectError(f"{path}: key 'repos' missing or not an object")
    return manifest


def read_pairs(path: Path) -> Iterator[dict]:
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise InspectError(f"{path}: not found") from None
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                pair = json.loads(line)
            except json.JSONDecodeError as err:
                raise InspectError(f"{path}:{lineno}: invalid JSON: {err.msg}") from None
            if not isinstance(pair, dict):
                raise InspectError(f"{path}:{lineno}: a pair must be a JSON object")
            yield pair


def funnel_table(manifest: dict, repo: str | None = None) -> str:
    """Counters as rows, repositories (and the total) as columns; all-zero drop rows left out."""
    repos = manifest["repos"]
    columns = {repo: repos[repo]} if repo else dict(repos)
    if not repo and isinstance(manifest.get("total"), dict):
        columns["total"] = manifest["total"]
    rows: list[tuple[str, list[str]]] = []

    def counters(pairs: tuple[tuple[str, str], ...]) -> None:
        for label, key in pairs:
            if any(key in c for c in columns.values()):
                rows.append((label, [_cell(c.get(key)) for c in columns.values()]))

    def section(title: str, key: str, order: tuple[str, ...] = _REASON_ORDER) -> None:
        names = {n for c in columns.values() for n, v in (c.get(key) or {}).items() if v}
        if not names:
            return
        rows.append((title, [""] * len(columns)))
        for name in sorted(names, key=lambda n: (n not in order, _index(order, n), n)):
            cells = [_cell((c.get(key) or {}).get(name, 0)) for c in columns.values()]
            rows.append((f"  {name}", cells))

    counters(_FILE_COUNTERS)
    section("files dropped", "files_dropped")
    counters(_FUNCTION_COUNTERS)
    section("functions dropped", "dropped")
    counters((("kept", "kept"),))
    section("kept by split", "kept_by_split", ("train", "validation"))
    section("kept by rule", "kept_by_rule", tuple(manifest.get("rules", {}).get("ids", ())))
    failed = [f"{name}: {c['failed']}" for name, c in columns.items() if c.get("failed")]

    header = ["", *columns]
    body = [[label, *cells] for label, cells in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [_row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(r, widths) for r in body]
    lines += [f"failed {line}" for line in failed]
    return "\n".join(lines)


def render_pair(pair: dict, number: int, colored: bool) -> str:
    rules = ", ".join(pair.get("rules") or []) or "no rule"
    span = f"{pair.get('start_line', '?')}-{pair.get('end_line', '?')}"
    title = (
        f"── #{number}  {pair.get('repo', '?')}  {pair.get('path', '?')}:{span}  "
        f"{pair.get('qualname', '?')}  [{rules}]  {pair.get('split', '?')}"
    )
    if colored:
        title = f"\x1b[1m{title}\x1b[0m"
    parts = [title + "\n"]
    if pair.get("context"):
        parts.append("context:\n" + _code(pair["context"], colored))
    parts.append("prompt:\n" + _indent(pair.get("prompt", "")))
    parts.append("completion:\n" + _code(pair.get("completion", ""), colored))
    return "".join(parts)


def _selected(pair: dict, cfg: InspectConfig) -> bool:
    if cfg.repo is not None and pair.get("repo") != cfg.repo:
        return False
    if cfg.split is not None and pair.get("split") != cfg.split:
        return False
    if cfg.rule is not None and cfg.rule not in (pair.get("rules") or []):
        return False
    if cfg.grep:
        fields = ("path", "qualname", "prompt", "completion")
        haystack = "\n".join(str(pair.get(f, "")) for f in fields).casefold()
        return cfg.grep.casefold() in haystack
    return True


def _pairs_summary(matched: int, shown: int) -> str:
    if matched == shown:
        return f"{matched} pair{'s' if matched != 1 else ''}"
    return f"{shown} of {matched} pairs shown (--limit 0 shows all)"


def _code(source: str, colored: bool) -> str:
    if colored:
        # Imported here: every `miner` command builds this parser, only colored output needs it.
        from pygments import highlight
        from pygments.formatters import Terminal256Formatter
        from pygments.lexers import PythonLexer

        source = highlight(source, PythonLexer(), Terminal256Formatter())
    return _indent(source)


def _indent(text: str) -> str:
    body = "".join(f"    {line}\n" for line in text.rstrip("\n").split("\n"))
    return body if text.strip() else "    (empty)\n"


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _index(order: tuple[str, ...], name: str) -> int:
    return order.index(name) if name in order else len(order)


def _row(cells: list[str], widths: list[int]) -> str:
    label, *numbers = cells
    padded = (c.rjust(w) for c, w in zip(numbers, widths[1:], strict=True))
    return "  ".join([label.ljust(widths[0]), *padded]).rstrip()
