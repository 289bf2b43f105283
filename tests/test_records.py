"""The state stores summaries as positional rows: they must come back equal."""

from __future__ import annotations

import json

from miner.parse import summarize
from miner.records import Finding, ModuleSummary
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


def test_rows_round_trip_through_json():
    summary = summarize(SOURCE, load_rules().query_rules())
    summary.functions[0].secrets = [Finding("AWS Access Key", 3, "AKIA****")]
    rows = json.loads(json.dumps(summary.to_rows()))
    back = ModuleSummary.from_rows(rows)
    assert back == summary
    assert back.functions[0].query_hits == {"pandas-apply": 14}
    assert [u.name for u in back.functions[1].raises] == ["Local"]
