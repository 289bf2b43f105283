"""Verdicts on one generated function, and their aggregation per model.

A generation follows the house style when it parses (tree-sitter and `ast`), matches every
require rule its reference matched, and matches no forbid rule — judged by the miner's own rule
engine in the scope of the reference's repository and module, so imports and exception classes
resolve exactly as they did at mining time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from trainer.eval_metrics import (
    corpus_chrf,
    edit_similarity,
    exact_match,
    python_parses,
    sentence_chrf,
)

# The aggregates a difference is reported for, in display order.
SCALAR_METRICS = (
    "syntax_rate",
    "house_style_rate",
    "exact_match",
    "edit_similarity",
    "chrf",
    "stop_rate",
)


class StyleVerdict(Protocol):
    tree_sitter_ok: bool
    require_matched: list[str]
    forbid_matched: list[str]

    def follows(self, reference_rules: list[str]) -> bool: ...


class StyleCheck(Protocol):
    """What `miner.style.StyleChecker` offers; a protocol so scoring needs no miner import."""

    def check(self, code: str, repo: str, module: str) -> StyleVerdict: ...


def score_generation(
    row: dict[str, Any],
    text: str,
    checker: StyleCheck,
    *,
    stopped: bool = True,
    new_tokens: int = 0,
) -> dict[str, Any]:
    """Score `text` as the generated completion for the pair `row` (a pairs.jsonl record)."""
    verdict = checker.check(text, row["repo"], row["module"])
    ast_ok = python_parses(text)
    syntax_ok = bool(verdict.tree_sitter_ok) and ast_ok
    reference_rules = list(row["rules"])
    missing = [rule for rule in reference_rules if rule not in verdict.require_matched]
    forbidden = list(verdict.forbid_matched)
    reference = row["completion"]
    return {
        "text": text,
        "stopped": stopped,
        "new_tokens": new_tokens,
        "tree_sitter_ok": bool(verdict.tree_sitter_ok),
        "ast_ok": ast_ok,
        "syntax_ok": syntax_ok,
        "require_matched": list(verdict.require_matched),
        "forbid_matched": forbidden,
        "missing_rules": missing,
        # Why the house-style verdict failed, "syntax" first, then rule ids; empty when it held.
        "reasons": (["syntax"] if not syntax_ok else []) + missing + forbidden,
        "house_style": syntax_ok and bool(verdict.follows(reference_rules)),
        "exact_match": exact_match(text, reference),
        "edit_similarity": edit_similarity(text, reference),
        "chrf": sentence_chrf(text, reference),
    }


def _rate(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def aggregate(rows: Sequence[dict[str, Any]], scores: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregates of one model's `scores`, aligned with the pairs `rows` they were made for."""
    if len(rows) != len(scores):
        raise ValueError(f"{len(rows)} rows but {len(scores)} scores")
    per_rule: dict[str, float] = {}
    for rule in sorted({rule for row in rows for rule in row["rules"]}):
        hits = [
            rule in score["require_matched"]
            for row, score in zip(rows, scores, strict=True)
            if rule in row["rules"]
        ]
        per_rule[rule] = _rate(hits)
    forbid_rules = sorted({rule for score in scores for rule in score["forbid_matched"]})
    return {
        "n": len(scores),
        "syntax_rate": _rate([s["syntax_ok"] for s in scores]),
        "house_style_rate": _rate([s["house_style"] for s in scores]),
        "exact_match": _rate([s["exact_match"] for s in scores]),
        "edit_similarity": (
            sum(s["edit_similarity"] for s in scores) / len(scores) if scores else 0.0
        ),
        "chrf": corpus_chrf([s["text"] for s in scores], [row["completion"] for row in rows]),
        "stop_rate": _rate([s["stopped"] for s in scores]),
        # Rate, over examples whose reference matched the rule, of generations matching it too.
        "per_rule": per_rule,
        # Share of all generations matching each forbid rule; only rules seen at least once.
        "forbid_rate": {
            rule: _rate([rule in s["forbid_matched"] for s in scores]) for rule in forbid_rules
        },
    }


def difference(tuned: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """tuned - base for every scalar aggregate and every per-rule rate."""
    delta: dict[str, Any] = {key: tuned[key] - base[key] for key in SCALAR_METRICS}
    rules = sorted(set(tuned["per_rule"]) | set(base["per_rule"]))
    delta["per_rule"] = {
        rule: tuned["per_rule"].get(rule, 0.0) - base["per_rule"].get(rule, 0.0) for rule in rules
    }
    return delta
