"""Drop copies: functions whose code is the same once comments, docstrings and whitespace are
gone ("duplicate"), and near-copies whose token 5-gram sets overlap by the Jaccard threshold
("near_duplicate").

Near-copies are found with MinHash LSH (datasketch), and every candidate pair is confirmed by
the exact Jaccard similarity of the two shingle sets, so the sketch only decides what to compare.
Each cluster (union-find over confirmed pairs) keeps its member with the lowest sort key; the
result depends on nothing but the items.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from token import EXACT_TOKEN_TYPES
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy


_DROPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
_STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
# Structure stays (an indented line means something else than a dedented one); its spelling
# (two spaces or four, a tab) does not.
_MARKERS = {tokenize.NEWLINE: "<nl>", tokenize.INDENT: "<in>", tokenize.DEDENT: "<de>"}
_FALLBACK_TOKEN = re.compile(r"\w+|[^\w\s]")
_FALLBACK_COMMENT = re.compile(r"#[^\n]*")
_LSH_WEIGHTS = (0.05, 0.95)  # (false positive, false negative)
_SHINGLE_BASE = 0x9E3779B97F4A7C15  # odd, with well-mixed bits


@dataclass
class DedupConfig:
    threshold: float = 0.85  # Jaccard similarity of token 5-gram sets
    num_perm: int = 128
    ngram: int = 5
    near: bool = True


def normalized_tokens(code: str) -> list[str]:
    """Code tokens without comments, docstrings (any bare string statement) and whitespace."""
    try:
        return _scanned_tokens(code)
    except _NotScanned:
        return _tokenized_tokens(code)


def _tokenized_tokens(code: str) -> list[str]:
    """`normalized_tokens` by the tokenize module: what `_scanned_tokens` reproduces, and
    the answer for the inputs it leaves alone."""
    try:
        stream = tokenize.generate_tokens(io.StringIO(code).readline)
        tokens = [t for t in stream if t.type not in _DROPPED]
    except (tokenize.TokenError, SyntaxError):
        # Code that does not tokenize (a parse error inside the function) still gets compared,
        # by a rough split that at least ignores comments and whitespace.
        return _FALLBACK_TOKEN.findall(_FALLBACK_COMMENT.sub("", code))
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok.type == tokenize.STRING and (i == 0 or tokens[i - 1].type in _STATEMENT_START):
            j = i
            while j < n and tokens[j].type == tokenize.STRING:
                j += 1
            if j == n or tokens[j].type == tokenize.NEWLINE:
                i = j + 1
                continue
        out.append(_MARKERS.get(tok.type, tok.string))
        i += 1
    return out


# tokenize costs about 5 µs a token, most of it Python-level work per token; the scanner
# below gets the same list from one regex findall over the text. It reuses tokenize's own
# patterns (numbers, string prefixes and bodies, operators) and follows its line logic (that
# of Python 3.11, where an f-string is one STRING token): indentation is measured only where
# a statement starts, a newline inside brackets or after a backslash continues the
# statement, blank and comment-only lines are skipped, and an input that does not end in a
# newline gets the NEWLINE tokenize adds. What it does not reproduce exactly raises
# _NotScanned and goes to tokenize: carriage returns and form feeds, a single-quoted string
# continued by a backslash, a quote after letters that are no string prefix (ub''),
# characters tokenize calls ERRORTOKEN, and input tokenize rejects (unbalanced brackets, a
# bad dedent, an unterminated string, a backslash at the very end).


def _uncaptured(pattern: str) -> str:
    """tokenize's pattern with its groups made non-capturing (findall returns groups)."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


# String bodies as tokenize reads them: one-line quotes (a backslash-newline inside one
# falls through to _NotScanned), and triple quotes across lines.
_QUOTED = r"'[^\n'\\]*(?:\\.[^\n'\\]*)*'|" + r'"[^\n"\\]*(?:\\.[^\n"\\]*)*"'
_TRIPLE = f"""'''(?s:{tokenize.Single3})|\"\"\"(?s:{tokenize.Double3})"""
_STRING = f"""{_uncaptured(tokenize.StringPrefix)}(?:{_TRIPLE}|(?!'''|\"\"\")(?:{_QUOTED}))"""
_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_OPERATOR = "|".join(map(re.escape, sorted(EXACT_TOKEN_TYPES.keys() - _DEPTH.keys(), reverse=True)))
# The guard only makes names, most tokens, fail the number branch at once.
_NUMBER = r"(?=\.?[0-9])" + _uncaptured(tokenize.Number)
# A name is a \w+ that tokenize would not read as a number or as a string's prefix.
_PLAIN = rf"(?![bBrRuUfF]{{0,2}}['\"])[^\W0-9]\w*|{_NUMBER}|{_OPERATOR}"
_SPECIAL = r"[(\[{)\]}]|" + _STRING + r"|#[^\n]*|\\\n|\Z|."
# A line break, the blank and comment-only lines after it, and the next line's indentation;
# a comment on a last line with no newline ends it. Possessive: nothing here backtracks.
_BREAK = r"\n(?:[ \t]*+(?:#[^\n]*+)?\n)*+[ \t]*+(?:#[^\n]*+\Z)?"
# One (plain, special, line break) triple per token, the other two empty; the end of the
# text is the all-empty triple.
_TOKENS = rf"[ \t]*(?:({_PLAIN})|({_SPECIAL})|({_BREAK}))"
_FIRST_LINE = re.compile(r"(?:[ \t]*+(?:#[^\n]*+)?\n)*+([ \t]*+)")
_STATEMENT_MARKERS = frozenset(_MARKERS.values())
_TAB_SIZE = 8  # tokenize's


@cache
def _token_regex() -> re.Pattern[str]:
    # Compiled on first use: it takes ~10 ms, and a no-op rerun tokenizes nothing.
    return re.compile(_TOKENS)


class _NotScanned(Exception):
    """Input whose tokens the scanner does not reproduce exactly; tokenize decides."""


def _scanned_tokens(code: str) -> list[str]:
    """`_tokenized_tokens`, computed without the tokenize module (or _NotScanned)."""
    if "\r" in code or "\f" in code:
        raise _NotScanned
    # Trailing blanks change nothing: a last line that is all blank is skipped like any
    # other, and one with code gets the same NEWLINE however it is padded.
    code = code.rstrip(" \t")
    out: list[str] = []
    append = out.append
    indents = [0]
    depth = 0  # open brackets
    # A string at a statement start opens a run of strings, out[run_start:run_end]; a
    # NEWLINE (or the end) right after it makes it a bare string statement, which is dropped.
    run_start = run_end = -1
    first = _FIRST_LINE.match(code)
    if first.end() == len(code) or code[first.end()] == "#":
        return out  # nothing but blank and comment lines
    _indent(first[1], indents, out)
    for plain, special, line_break in _token_regex().findall(code, first.end()):
        if plain:
            append(plain)
            continue
        if special:
            step = _DEPTH.get(special)
            if step is not None:
                depth += step
                append(special)
            elif special[-1] in "'\"" and len(special) > 1 and special[0] != "#":
                if run_start >= 0 and run_end == len(out):
                    run_end += 1
                elif not out or out[-1] in _STATEMENT_MARKERS:
                    run_start, run_end = len(out), len(out) + 1
                append(special)
            elif special[0] != "#" and special != "\\\n":
                raise _NotScanned  # a character tokenize calls ERRORTOKEN
            continue
        # A NEWLINE or NL, or the end of the text (all three empty).
        if depth:
            if depth < 0 or not line_break:
                raise _NotScanned
            continue  # a line joined inside brackets
        if not line_break:
            tail = code[code.rfind("\n") + 1 :]
            if not tail:
                if code.endswith("\\\n"):
                    raise _NotScanned
                break  # the end right after a NEWLINE
            if tail.strip().startswith("#"):
                break  # tokenize adds no NEWLINE after a last line that looks like a comment
        if run_start >= 0 and run_end == len(out):
            del out[run_start:]
        else:
            append("<nl>")
        run_start = -1
        indentation = line_break[line_break.rfind("\n") + 1 :]
        if not line_break or "#" in indentation:
            break  # the end, after a NEWLINE tokenize adds or a last comment line
        _indent(indentation, indents, out)
    out += ["<de>"] * (len(indents) - 1)
    if run_start >= 0 and run_end == len(out):
        del out[run_start:]
    return out


def _indent(indentation: str, indents: list[int], out: list[str]) -> None:
    """The INDENT or DEDENT markers before a statement that starts after `indentation`."""
    column = len(indentation)
    if "\t" in indentation:
        column = 0
        for char in indentation:
            column = (column // _TAB_SIZE + 1) * _TAB_SIZE if char == "\t" else column + 1
    if column > indents[-1]:
        indents.append(column)
        out.append("<in>")
    while column < indents[-1]:
        if column not in indents:
            raise _NotScanned  # tokenize raises IndentationError
        indents.pop()
        out.append("<de>")


# Up to this many distinct items, all pairs are compared exactly (a size filter prunes most):
# cheaper than building MinHash sketches, and no datasketch/scipy import for a nightly rerun.
EXACT_PAIRS_LIMIT = 1500


def find_duplicates(
    items: Sequence[tuple[tuple, str]], cfg: DedupConfig
) -> dict[int, tuple[str, int]]:
    """{index dropped: (reason, index kept)} for items given as (sort_key, code).

    The kept index is always a survivor: the member of its cluster with the lowest sort key.
    """
    order = sorted(range(len(items)), key=lambda i: (items[i][0], i))
    rank = {index: r for r, index in enumerate(order)}
    tokens = {i: normalized_tokens(items[i][1]) for i in order}

    dropped: dict[int, tuple[str, int]] = {}
    first_seen: dict[tuple[str, ...], int] = {}
    uniques: list[int] = []
    for i in order:
        key = tuple(tokens[i])
        if key in first_seen:
            dropped[i] = ("duplicate", first_seen[key])
        else:
            first_seen[key] = i
            uniques.append(i)

    parent = {i: i for i in uniques}
    if cfg.near:
        for a, b in _near_pairs(uniques, tokens, cfg):
            _union(parent, rank, a, b)
        for i in uniques:
            root = _find(parent, i)
            if root != i:
                dropped[i] = ("near_duplicate", root)
    # An exact copy points at whoever survived its original's cluster.
    return {
        i: (reason, _find(parent, kept) if reason == "duplicate" else kept)
        for i, (reason, kept) in sorted(dropped.items())
    }


def _near_pairs(
    uniques: list[int], tokens: dict[int, list[str]], cfg: DedupConfig
) -> list[tuple[int, int]]:
    """Pairs of items whose shingle sets have a Jaccard similarity of at least the threshold."""
    indexed = [i for i in uniques if tokens[i]]
    if len(indexed) <= EXACT_PAIRS_LIMIT:
        # The n-grams themselves, as tuples: no hashing into numpy arrays (whose import alone
        # costs ~0.13 s) for the few items compared all against all.
        grams = {i: _ngram_set(tokens[i], cfg.ngram) for i in indexed}
        return _exact_pairs(indexed, grams, cfg.threshold)
    vocabulary: dict[str, int] = {}
    shingles = {i: _shingles(tokens[i], cfg.ngram, vocabulary) for i in indexed}
    # Imported here: datasketch pulls in scipy (~1-2 s), which every `miner` command importing
    # DedupConfig, and every run with few pairs, would otherwise pay for.
    from datasketch import MinHash, MinHashLSH

    # MinHash wants 32-bit values: fold the high half in.
    folded = [((shingles[i] ^ (shingles[i] >> 32)) & 0xFFFFFFFF).tolist() for i in indexed]
    sketches = MinHash.bulk(folded, num_perm=cfg.num_perm, hashfunc=_identity)
    # Every candidate is checked exactly, so a false positive costs a set intersection while a
    # false negative keeps a copy: weigh the bands for recall (datasketch's even weighting
    # misses a fifth of the pairs at J = 0.90 for a 0.85 threshold; this, under 1%).
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm, weights=_LSH_WEIGHTS)
    sets: dict[int, set[int]] = {}  # built for candidates only; most items have none

    def shingle_set(i: int) -> set[int]:
        if i not in sets:
            sets[i] = set(shingles[i].tolist())
        return sets[i]

    pairs = []
    # Items arrive in sort order, so each pair is seen once, from its later member.
    for i, sketch in zip(indexed, sketches, strict=True):
        for j in sorted(lsh.query(sketch)):
            if _similar(shingle_set(i), shingle_set(j), cfg.threshold):
                pairs.append((j, i))
        lsh.insert(i, sketch)
    return pairs


def _exact_pairs(
    indexed: list[int], sets: dict[int, set], threshold: float
) -> list[tuple[int, int]]:
    """Every pair compared exactly, skipping pairs whose sizes alone rule them out
    (J(A, B) <= min/max); the LSH path finds a subset of these."""
    by_size = sorted(indexed, key=lambda i: (len(sets[i]), i))
    pairs = []
    for position, i in enumerate(by_size):
        a = sets[i]
        for j in by_size[position + 1 :]:
            b = sets[j]
            if len(a) < threshold * len(b):
                break
            if _similar(a, b, threshold):
                pairs.append((i, j))
    return pairs


def _similar(a: set, b: set, threshold: float) -> bool:
    """J(A, B) >= threshold, without building the union."""
    common = len(a & b)
    return common >= threshold * (len(a) + len(b) - common)


def _ngram_set(tokens: list[str], ngram: int) -> set[tuple[str, ...]]:
    """The distinct token n-grams (one n-gram for a shorter sequence), as `_shingles` hashes."""
    width = min(ngram, len(tokens))
    count = len(tokens) - width + 1
    return set(zip(*(tokens[k : k + count] for k in range(width)), strict=True))


def _shingles(tokens: list[str], ngram: int, vocabulary: dict[str, int]) -> numpy.ndarray:
    """Distinct 64-bit hashes of the token n-grams (one n-gram for a shorter sequence).

    Tokens are numbered in order of first sight; the order is the items' sort order, so the
    numbers (and the whole result) are the same on every run over the same items.
    """
    import numpy as np  # on first use: a no-op rerun's start-up need not pay for it

    ids = np.array([vocabulary.setdefault(t, len(vocabulary)) for t in tokens], dtype=np.uint64)
    width = min(ngram, len(ids))
    count = len(ids) - width + 1 if width else 0
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping around 2**64 is the point
        for k in range(width):
            combined = combined * np.uint64(_SHINGLE_BASE) + ids[k : k + count]
    return np.unique(combined)


def _identity(value: int) -> int:
    return value


def _find(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: dict[int, int], rank: dict[int, int], a: int, b: int) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        # The root is always the member that sorts first, so it is the cluster's survivor.
        keep, drop = (ra, rb) if rank[ra] < rank[rb] else (rb, ra)
        parent[drop] = keep
