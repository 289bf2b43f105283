"""Summaries travel from workers and into the state as bytes: they must come back equal,
and bytes that are not a summary must never run code."""

from __future__ import annotations

import os
import pickle

import pytest

from miner.codec import decode_facts, decode_outcome, encode, encode_outcome
from miner.parse import summarize
from miner.records import ClassDef, Finding, ImportBinding
from miner.rules import load_rules

SOURCE = b'''
import a.b as c
from ..db import db_wrapper as dbw

Alias = ValueError

class Base(Exception):
    """Base."""

@decorator(1)
async def outer(df):
    """Outer does things."""
    from .errors import Local
    df.apply(named)
    def inner():
        "inner doc"
        dbw.query("select")
        raise Local() from None
    return inner
'''


def test_summaries_round_trip():
    summary = summarize(SOURCE, load_rules().query_rules())
    summary.functions[0].secrets = [Finding("AWS Access Key", 3, "AKIA****")]
    data, facts = encode(summary)
    back = decode_outcome(data)
    assert back == summary
    assert back.functions[0].query_hits == {"pandas-apply": 14}
    assert [u.name for u in back.functions[1].raises] == ["Local"]
    assert decode_outcome(encode_outcome("generated")) == "generated"


def test_facts_keep_what_the_index_reads():
    summary = summarize(SOURCE, load_rules().query_rules())
    facts = decode_facts(encode(summary)[1])
    assert facts.functions == [] and facts.aliases == {"Alias": "ValueError"}
    assert facts.classes == [ClassDef("Base", ["Exception"], 0)]
    assert facts.imports[1] == ImportBinding("dbw", "db", "db_wrapper", 2, 0, "")
    assert decode_facts(encode("undecodable")[1]) == "undecodable"


NESTED = b'''
def undocumented(conn):
    from .db import helper
    conn.execute("select")
    def documented_inner():
        """Inner is documented."""
        helper.query("x")
    return documented_inner

def documented(df):
    """Outer is documented."""
    df.apply(named)
    def undocumented_inner():
        from .errors import Local
        raise Local()
    return undocumented_inner
'''


def test_usages_of_documented_functions_only():
    queries = load_rules().query_rules()
    full = {f.qualname: f for f in summarize(NESTED, queries).functions}
    lean = {f.qualname: f for f in summarize(NESTED, queries, all_usages=False).functions}
    assert full.keys() == lean.keys()
    for name in ("documented", "undocumented.<locals>.documented_inner"):
        # Everything a verdict on a documented function reads is the same either way.
        assert lean[name] == full[name], name
    assert [u.name for u in lean["documented"].raises] == ["Local"]  # the nested function's
    assert lean["documented"].query_hits == {"pandas-apply": 12}
    for name in ("undocumented", "documented.<locals>.undocumented_inner"):
        assert full[name].calls or full[name].raises, name
        assert full[name].local_imports, name
        bare = lean[name]
        assert (bare.calls, bare.raises, bare.local_imports, bare.query_hits) == ([], [], [], {})
        assert (bare.start_line, bare.end_line) == (full[name].start_line, full[name].end_line)


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload", [_Payload(), {"a": 1}, [1, 2]])
def test_anything_but_a_summary_is_refused(payload):
    # A state file is data: a tampered one may hold wrong facts, never code that runs.
    with pytest.raises(pickle.UnpicklingError):
        decode_outcome(pickle.dumps(payload))
