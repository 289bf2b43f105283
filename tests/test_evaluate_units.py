"""Metrics, aggregation, the printed table and the HTML page, on hand-written values."""

from __future__ import annotations

import pytest

from trainer.eval_metrics import (
    corpus_chrf,
    edit_similarity,
    exact_match,
    python_parses,
    sentence_chrf,
)
from trainer.eval_score import aggregate, difference
from trainer.eval_table import render_table
from trainer.report_html import render

REF = "def f(x):\n    return x + 1\n"


def test_closeness_metrics():
    assert exact_match("def f(x):   \n    return x + 1", REF)
    assert not exact_match("def f(x):\n    return x + 2\n", REF)
    assert edit_similarity(REF, REF) == 1.0
    assert edit_similarity("", REF) == 0.0
    assert 0.9 < edit_similarity(REF.replace("1", "2"), REF) < 1.0
    assert sentence_chrf(REF, REF) == pytest.approx(100.0)
    assert sentence_chrf("", REF) == 0.0
    assert 0 < corpus_chrf([REF, "x"], [REF, REF]) < 100
    assert corpus_chrf([], []) == 0.0


def test_python_parses_never_raises():
    assert python_parses(REF)
    assert python_parses('def f():\n    return "\\d"\n')  # invalid escape is only a warning
    assert not python_parses("def f(:\n")
    assert not python_parses("x = 1\0\n")  # a NUL byte: ValueError or SyntaxError
    assert not python_parses("(" * 500 + ")" * 500)


def _score(text: str, *, syntax=True, style=True, stopped=True, require=(), forbid=()):
    return {
        "text": text, "stopped": stopped, "new_tokens": 3, "tree_sitter_ok": syntax,
        "ast_ok": syntax, "syntax_ok": syntax, "require_matched": list(require),
        "forbid_matched": list(forbid), "missing_rules": [], "reasons": [],
        "house_style": style, "exact_match": text == REF,
        "edit_similarity": edit_similarity(text, REF), "chrf": sentence_chrf(text, REF),
    }  # fmt: skip


ROWS = [
    {"completion": REF, "rules": ["db-wrapper"]},
    {"completion": REF, "rules": ["db-wrapper", "custom-exception"]},
    {"completion": REF, "rules": []},
]


def test_aggregate_rates_and_per_rule():
    scores = [
        _score(REF, require=["db-wrapper"]),
        _score("x", syntax=False, style=False, stopped=False, forbid=["raw-sql"]),
        _score(REF),
    ]
    totals = aggregate(ROWS, scores)
    assert totals["n"] == 3
    assert totals["syntax_rate"] == totals["house_style_rate"] == pytest.approx(2 / 3)
    assert totals["exact_match"] == totals["stop_rate"] == pytest.approx(2 / 3)
    # Per rule: only over the examples whose reference matched it.
    assert totals["per_rule"] == {"custom-exception": 0.0, "db-wrapper": 0.5}
    assert totals["forbid_rate"] == {"raw-sql": pytest.approx(1 / 3)}
    with pytest.raises(ValueError, match="3 rows but 1 scores"):
        aggregate(ROWS, scores[:1])

    base = aggregate(ROWS, [_score("x", syntax=False, style=False)] * 3)
    delta = difference(totals, base)
    assert delta["house_style_rate"] == pytest.approx(2 / 3)
    assert delta["per_rule"]["db-wrapper"] == pytest.approx(0.5)


def _report() -> dict:
    hostile = "</pre><script>alert('x')</script>"
    tuned = [_score(REF, require=["db-wrapper"]), _score(hostile, syntax=False, style=False)]
    tuned[1]["reasons"] = ["syntax", "db-wrapper"]
    base = [_score("\n" * 10 + "pass"), _score("", stopped=False)]
    rows = ROWS[:2]
    models = {
        "base": {"model": "tiny", "adapter": None, "aggregates": aggregate(rows, base)},
        "tuned": {"model": "out<&>", "adapter": "lora", "aggregates": aggregate(rows, tuned)},
    }
    examples = [
        {
            "id": f"{i:04x}",
            "repo": "acme",
            "path": "acme/x.py",
            "module": "acme.x",
            "qualname": f"f{i}<b>",
            "prompt": f'"""Do <it> {i}."""\n',
            "reference": REF,
            "reference_rules": row["rules"],
            "generations": {"base": base[i], "tuned": tuned[i]},
        }  # fmt: skip
        for i, row in enumerate(rows)
    ]
    return {
        "config": {"data": "pairs", "split": "validation", "max_new_tokens": 64},
        "models": models,
        "delta": difference(models["tuned"]["aggregates"], models["base"]["aggregates"]),
        "examples": examples,
    }


def test_table_fits_one_screen():
    table = render_table(_report())
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "base", "tuned", "tuned", "−", "base"]
    assert max(map(len, lines)) <= 80 and len(lines) <= 24
    assert any(line.startswith("rule db-wrapper") and line.endswith("+50.0 pt") for line in lines)
    assert any(line.startswith("house style") and "50.0%" in line for line in lines)


def test_html_is_self_contained_and_escaped():
    page = render(_report())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page and "f0&lt;b&gt;" in page
    assert "out&lt;&amp;&gt;" in page
    assert page.count("<svg") == 1 and page.count('<section class="ex"') == 2
    assert "rule db-wrapper" in page and "house style ✗ syntax, db-wrapper" in page
    assert "⋯ 10 blank lines ⋯</span>\npass" in page and "(no output)" in page
    # Without --base: one model, no difference column, still one bar per model and rule.
    single = _report()
    del single["models"]["base"]
    single["delta"] = None
    for example in single["examples"]:
        del example["generations"]["base"]
    page = render(single)
    assert "tuned − base" not in page and page.count("<rect") == 3
    assert "tuned − base" not in render_table(single)
