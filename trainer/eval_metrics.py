"""Closeness of a generated function to its reference, and whether Python accepts it.

Every function here is pure and never executes the code it is given.
"""

from __future__ import annotations

import ast
import warnings

from rapidfuzz.distance import Levenshtein
from sacrebleu.metrics import CHRF

# One instance: CHRF keeps no state between calls, and building it once avoids re-parsing args.
_CHRF = CHRF()


def _strip_trailing(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def exact_match(generated: str, reference: str) -> bool:
    """Equal once trailing whitespace is removed from every line and from the end."""
    return _strip_trailing(generated) == _strip_trailing(reference)


def edit_similarity(generated: str, reference: str) -> float:
    """1 - normalised Levenshtein distance, in [0, 1]."""
    return float(Levenshtein.normalized_similarity(generated, reference))


def sentence_chrf(generated: str, reference: str) -> float:
    """sacrebleu chrF of one generation against its reference, in [0, 100]."""
    return float(_CHRF.sentence_score(generated, [reference]).score)


def corpus_chrf(generated: list[str], references: list[str]) -> float:
    """sacrebleu corpus-level chrF (statistics summed over examples, not averaged), in [0, 100]."""
    if not generated:
        return 0.0
    return float(_CHRF.corpus_score(generated, [references]).score)


def python_parses(code: str) -> bool:
    """Whether `ast.parse` accepts the code; compile-time warnings are not failures."""
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences warn (Deprecation- or SyntaxWarning by Python version);
            # that is style, not syntax.
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            ast.parse(code)
    # ValueError: the source holds a NUL byte; the others: pathologically deep nesting.
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
