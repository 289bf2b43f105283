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
    vocabulary: dict[str, int] = {}
    shingles = {i: _shingles(tokens[i], cfg.ngram, vocabulary) for i in uniques}
    indexed = [i for i in uniques if len(shingles[i])]
    if len(indexed) <= EXACT_PAIRS_LIMIT:
        return _exact_pairs(indexed, shingles, cfg.threshold)
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
            a, b = shingle_set(i), shingle_set(j)
            if len(a & b) >= cfg.threshold * len(a | b):
                pairs.append((j, i))
        lsh.insert(i, sketch)
    return pairs


def _exact_pairs(
    indexed: list[int], shingles: dict[int, numpy.ndarray], threshold: float
) -> list[tuple[int, int]]:
    """Every pair compared exactly, skipping pairs whose sizes alone rule them out
    (J(A, B) <= min/max); the LSH path finds a subset of these."""
    sets = {i: set(shingles[i].tolist()) for i in indexed}
    by_size = sorted(indexed, key=lambda i: (len(sets[i]), i))
    pairs = []
    for position, i in enumerate(by_size):
        a = sets[i]
        for j in by_size[position + 1 :]:
            b = sets[j]
            if len(a) < threshold * len(b):
                break
            if len(a & b) >= threshold * len(a | b):
                pairs.append((i, j))
    return pairs


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
