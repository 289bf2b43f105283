"""Quality filters on a documented function: a docstring that says something, and a pair short
enough to train on whole.

Trivial bodies (only `pass`, `...`, a docstring or `raise NotImplementedError`) are found by the
parser and arrive as `FunctionRecord.trivial_body`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from miner.records import FunctionRecord

# Google ("Args:"), Sphinx (":param x:"), epytext ("@param") and doctest openers end a summary.
_SECTION_LINE = re.compile(
    r"""^\s*(?:
        (?:args|arguments|parameters|params|keyword\ args|kwargs|other\ parameters|returns?
          |yields?|raises|exceptions|attributes|examples?|notes?|see\ also|warnings?|todo
          |references)\s*:\s*$
      | [:@](?:param|parameter|arg|argument|key|keyword|type|raises?|except|exception
          |returns?|rtype|yields?|ytype|var|ivar|cvar)\b
      | >>>
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# numpydoc: a section title underlined with dashes.
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_WORD = re.compile(r"[^\W\d_][\w'-]*")
_TODO_ONLY = re.compile(r"^\s*(?:TODO|FIXME|XXX)\b(?:\([^)]*\))?(?::|\s|$)")


@dataclass
class QualityConfig:
    min_docstring_words: int = 3
    max_function_lines: int = 200
    max_pair_chars: int = 8000  # long pairs are dropped, never truncated


def docstring_summary(docstring: str) -> str:
    """The text before the first blank line or the first section header."""
    lines = docstring.strip().splitlines()
    summary: list[str] = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not line.strip() or _SECTION_LINE.match(line) or _UNDERLINE.match(nxt):
            break
        summary.append(line.strip())
    return " ".join(summary)


def docstring_problem(docstring: str, cfg: QualityConfig) -> str | None:
    """"short_docstring" when the summary is too short, only a TODO, or has no words."""
    summary = docstring_summary(docstring)
    if _TODO_ONLY.match(summary):
        return "short_docstring"
    words = _WORD.findall(summary)
    if not words or len(words) < cfg.min_docstring_words:
        return "short_docstring"
    return None


def length_problem(record: FunctionRecord, prompt: str, cfg: QualityConfig) -> str | None:
    """"too_long" when the function spans too many lines or the pair has too many characters."""
    if record.end_line - record.start_line + 1 > cfg.max_function_lines:
        return "too_long"
    if len(prompt) + len(record.completion) > cfg.max_pair_chars:
        return "too_long"
    return None
