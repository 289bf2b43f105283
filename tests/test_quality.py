import pytest

from miner.quality import QualityConfig, docstring_problem, docstring_summary, length_problem
from miner.records import FunctionRecord

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
