import pytest

from miner.config import MineConfig
from miner.engine import RuleHit
from miner.judge import STAGES, drop_reason, stage_checks
from miner.quality import QualityConfig, docstring_problem, docstring_summary, length_problem
from miner.records import Finding, FunctionRecord
from miner.rules import Rule

DEFAULT = QualityConfig()


@pytest.mark.parametrize(
    ("docstring", "summary"),
    [
        ("Compute the total.\n\nLonger text.", "Compute the total."),
        (
            "Compute the order\ntotal for a user.\nArgs:\n    x: the user",
            "Compute the order total for a user.",
        ),
        ("Sum the values.\nParameters\n----------\nx : list", "Sum the values."),
        ("Sum the values of x.\n:param x: the values\n:returns: the sum", "Sum the values of x."),
        ("Sum values.\n@param x: the values", "Sum values."),
        ("Double it.\n>>> double(2)\n4", "Double it."),
        ("Args:\n    order: the order", ""),
        ("Returns: the order total.", "Returns: the order total."),
        ("", ""),
    ],
)
def test_docstring_summary(docstring, summary):
    assert docstring_summary(docstring) == summary


@pytest.mark.parametrize(
    ("docstring", "problem"),
    [
        ("Return the total.", None),
        ("Total.", "short_docstring"),
        ("Order total", "short_docstring"),
        ("TODO: document this function before the release", "short_docstring"),
        ("FIXME", "short_docstring"),
        ("XXX(alice): explain the rounding rule here", "short_docstring"),
        ("Todo list manager for the team.", None),
        ("TODOs are collected from every module.", None),
        ("--- 1 2 3 ---", "short_docstring"),
        ("...", "short_docstring"),
        # a parameter list without a summary says nothing about what the function does
        ("Args:\n    order: the order\n    user: the user\n    when: the day", "short_docstring"),
        # mostly a parameter list, but with a summary: kept
        (
            "Charge the order to the user.\n\nArgs:\n    order: o\n    user: u\n    card: c\n"
            "    amount: a\n    currency: c\n\nReturns:\n    The receipt.",
            None,
        ),
    ],
)
def test_docstring_problem(docstring, problem):
    assert docstring_problem(docstring, DEFAULT) == problem


def test_minimum_words_is_configurable():
    assert docstring_problem("Return the total.", QualityConfig(min_docstring_words=4)) == (
        "short_docstring"
    )
    assert docstring_problem("Total.", QualityConfig(min_docstring_words=1)) is None
    # even with no minimum, a docstring must contain a word
    assert docstring_problem("--- 42 ---", QualityConfig(min_docstring_words=0)) == (
        "short_docstring"
    )


def _record(lines: int, completion: str = "def f():\n    return 1\n") -> FunctionRecord:
    return FunctionRecord(
        qualname="f",
        start_line=10,
        end_line=10 + lines - 1,
        code=completion,
        docstring="Return one.",
        completion=completion,
        syntax_error=False,
        trivial_body=False,
    )


def test_function_lines_limit():
    assert length_problem(_record(200), "Return one.", DEFAULT) is None
    assert length_problem(_record(201), "Return one.", DEFAULT) == "too_long"
    longer = QualityConfig(max_function_lines=300)
    assert length_problem(_record(201), "Return one.", longer) is None


def test_pair_characters_limit_counts_prompt_and_completion():
    prompt = "Return one."
    body = "x" * (8000 - len(prompt))
    assert length_problem(_record(3, body), prompt, DEFAULT) is None
    assert length_problem(_record(3, body + "x"), prompt, DEFAULT) == "too_long"
    assert length_problem(_record(3, body), prompt + "!", DEFAULT) == "too_long"
    wider = QualityConfig(max_pair_chars=9000)
    assert length_problem(_record(3, body + "x"), prompt, wider) is None


@pytest.mark.parametrize(
    ("summary", "minimum", "problem"),
    [
        # words are counted as `_WORD.findall` finds them, never split to reach the minimum
        ("Returns", 2, "short_docstring"),
        ("Return the-total", 3, "short_docstring"),
        ("Return it's total", 3, None),
        ("2nd 3rd 4th", 3, None),
        ("x1 y2", 3, "short_docstring"),
        ("Return the total " + "x" * 500 + " 42 " * 50, 5, "short_docstring"),
        (" ".join(["word"] * 40), 40, None),
        (" ".join(["word"] * 39) + " 40", 40, "short_docstring"),
    ],
)
def test_words_are_counted_whole(summary, minimum, problem):
    assert docstring_problem(summary, QualityConfig(min_docstring_words=minimum)) == problem


def _hit(rule_id: str, kind: str) -> RuleHit:
    return RuleHit(Rule(rule_id, "", kind, "test"), 1, "")


_DOCUMENTED = {
    "qualname": "Orders.total",
    "start_line": 1,
    "end_line": 3,
    "code": "def total(self):\n    return 1\n",
    "docstring": "Return the order total.",
    "completion": "def total(self):\n    return 1\n",
    "syntax_error": False,
    "trivial_body": False,
}
FUNCTIONS = [
    FunctionRecord(**{**_DOCUMENTED, **change})
    for change in (
        {},
        {"syntax_error": True},
        {"docstring": None},
        {"syntax_error": True, "docstring": None},
        {"qualname": "Tests.test_total"},
        {"secrets": [Finding("aws-key", 2, "AKIA****")]},
        {"docstring": "Total."},
        {"docstring": "Total.", "secrets": [Finding("aws-key", 2, "AKIA****")]},
        {"trivial_body": True},
        {"trivial_body": True, "docstring": "TODO"},
        {"end_line": 500},
        {"end_line": 500, "trivial_body": True},
    )
]
HITS = [
    [],
    [_hit("db-wrapper", "require")],
    [_hit("raw-sql", "forbid")],
    [_hit("db-wrapper", "require"), _hit("raw-sql", "forbid"), _hit("eval", "forbid")],
]


@pytest.mark.parametrize("keep", ["matched", "all"])
@pytest.mark.parametrize("hits", HITS)
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_drop_reason_is_the_first_failing_stage(fn, hits, keep):
    config = MineConfig(keep=keep)
    checks = stage_checks(fn, hits, config)
    assert [c.stage for c in checks] == list(STAGES[: len(checks)])
    failed = next((c.stage for c in checks if not c.passed), None)
    if failed == "forbid":
        failed = "forbid:" + next(h.rule.id for h in hits if h.rule.kind == "forbid")
    assert drop_reason(fn, hits, config) == failed
