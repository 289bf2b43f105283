"""Quality filters on a documented function: a docstring that says something, and a pair short
enough to train on whole.

Trivial bodies (only `pass`, `...`, a docstring or `raise NotImplementedError`) are found by the
parser and arrive as `FunctionRecord.trivial_body`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
    lines.append("")  # a blank line ends every summary, so lines[i + 1] always exists
    summary: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or _SECTION_LINE.match(line) or _is_underline(lines[i + 1]):
            break
        summary.append(stripped)
    return " ".join(summary)


def _is_underline(line: str) -> bool:
    return "---" in line and _UNDERLINE.match(line) is not None  # `in` is cheaper than a match


def docstring_problem(docstring: str, cfg: QualityConfig) -> str | None:
    """"short_docstring" when the summary is too short, only a TODO, or has no words."""
    summary = docstring_summary(docstring)
    enough_words = _words_at_least(max(cfg.min_docstring_words, 1))
    if _TODO_ONLY.match(summary) or not enough_words.match(summary):
        return "short_docstring"
    return None


@lru_cache(maxsize=8)
def _words_at_least(count: int) -> re.Pattern[str]:
    """Matches a text holding `count` or more `_WORD`s, stopping at the last one needed (a
    summary is often long; `findall` would collect every word). Each word is atomic: it ends
    where `findall`'s would, and a text with fewer words fails in linear time."""
    return re.compile(rf"(?>.*?{_WORD.pattern}){{{count}}}", re.DOTALL)


def length_problem(record: FunctionRecord, prompt: str, cfg: QualityConfig) -> str | None:
    """"too_long" when the function spans too many lines or the pair has too many characters."""
    if record.end_line - record.start_line + 1 > cfg.max_function_lines:
        return "too_long"
    if len(prompt) + len(record.completion) > cfg.max_pair_chars:
        return "too_long"
    return None
