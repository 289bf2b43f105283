"""The default rule pack's verdicts on a fixture repository, through `miner extract`."""

from __future__ import annotations

import pytest

from miner.cli import main as miner_main
from tests.conftest import read_jsonl

PACKAGE = {
    "acme/__init__.py": "from .errors import PaymentDeclined\n",
    "acme/errors.py": """
        import requests


        class AcmeError(Exception):
            '''Base of every acme error.'''


        class PaymentDeclined(AcmeError):
            pass


        class Deep(PaymentDeclined):
            pass


        class NotAnError:
            pass


        class HttpProblem(requests.HTTPError):
            pass
        """,
    "acme/compat.py": """
        from acme.errors import PaymentDeclined

        LegacyError = ValueError
        Declined = PaymentDeclined
        """,
    "acme/db/__init__.py": "",
    "acme/db/db_wrapper.py": """
        def query(sql, *params):
            '''Run a query through the wrapper.'''
            return []
        """,
    "acme/services/__init__.py": "",
}

EXCEPTIONS = '''
import acme
import requests
from acme import errors
from acme.compat import Declined, LegacyError
from acme.errors import AcmeError as Base
from acme.errors import Deep, NotAnError, PaymentDeclined
from acme.errors import PaymentDeclined as PD

from ..errors import AcmeError


def direct():
    raise PaymentDeclined("card")

def aliased():
    raise PD

def module_attribute(err):
    raise errors.AcmeError("boom") from err

def relative():
    raise AcmeError()

def reexported():
    raise acme.PaymentDeclined()

def through_two_bases():
    raise Deep()

def base_alias():
    raise Base("x")

def alias_of_repo_class():
    raise Declined()

def builtin():
    raise ValueError("no")

def module_alias_to_builtin():
    raise LegacyError("no")

def bare():
    try:
        pass
    except Exception:
        raise

def third_party():
    raise requests.HTTPError()

def not_an_exception():
    raise NotAnError()

def local_import():
    from acme.errors import PaymentDeclined as Local
    raise Local()

class Service:
    def charge(self):
        raise PaymentDeclined()

    class Inner:
        async def refund(self):
            raise PaymentDeclined()

@staticmethod
def decorated():
    raise PaymentDeclined()

def outer():
    def inner():
        raise PaymentDeclined()
    return inner
'''

DATABASE = '''
import sqlite3
import psycopg2 as pg
import acme.db.db_wrapper as w
from sqlite3 import connect as sqlite_connect
from acme.db import db_wrapper
from acme.db import db_wrapper as dbw

from ..db import db_wrapper as relative_wrapper


def plain():
    return db_wrapper.query("select 1")

def aliased():
    return dbw.query("select 1")

def relative():
    return relative_wrapper.query("select 1")

def module_alias():
    return w.query("select 1")

def wrapper_execute():
    dbw.execute("delete from t")

def look_alike(db_wrapper_like):
    return db_wrapper_like.query("select 1")

def cursor_execute(cursor):
    cursor.execute("select 1")

def executemany(conn):
    conn.executemany("insert", [])

def script(conn):
    conn.executescript("x")

def sqlite_direct():
    return sqlite3.connect(":memory:")

def sqlite_imported():
    return sqlite_connect(":memory:")

def postgres():
    return pg.connect("dsn")

def mixed(cursor):
    db_wrapper.query("select 1")
    cursor.execute("select 2")
'''

PANDAS = '''
import helpers


def normalize(row):
    return row

def positional(df):
    return df.apply(normalize)

def attribute(df):
    return df["name"].apply(str.upper)

def keyword(df):
    return df.apply(func=helpers.clean, axis=1)

def with_lambda(df):
    return df.apply(lambda row: row)

def keyword_lambda(df):
    return df.apply(func=lambda row: row)

def transform(df):
    return df.transform(normalize)

def comprehension(df):
    df["name"] = [x.upper() for x in df["name"]]

def plain_list(df):
    names = [x for x in df["name"]]
    return names

def attribute_target(df):
    df.name = [x for x in df["name"]]
'''


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, dict[str, list[str]]]:
    from tests.conftest import RepoBuilder

    root = tmp_path_factory.mktemp("rules")
    builder = RepoBuilder(root / "repo")
    builder.commit(
        {
            **PACKAGE,
            "acme/services/exceptions.py": EXCEPTIONS,
            "acme/services/database.py": DATABASE,
            "acme/services/frames.py": PANDAS,
        }
    )
    builder.close()
    out = root / "functions.jsonl"
    assert miner_main(["extract", str(builder.path), "--out", str(out)]) == 0
    by_file: dict[str, dict[str, list[str]]] = {}
    for record in read_jsonl(out):
        by_file.setdefault(record["path"].rsplit("/", 1)[-1], {})[record["qualname"]] = record[
            "rules"
        ]
    return by_file


CUSTOM_EXCEPTION = {
    "direct": True,
    "aliased": True,
    "module_attribute": True,
    "relative": True,
    "reexported": True,
    "through_two_bases": True,
    "base_alias": True,
    "alias_of_repo_class": True,
    "local_import": True,
    "Service.charge": True,
    "Service.Inner.refund": True,
    "decorated": True,
    "outer": True,
    "outer.<locals>.inner": True,
    "builtin": False,
    "module_alias_to_builtin": False,
    "bare": False,
    "third_party": False,
    "not_an_exception": False,
}


@pytest.mark.parametrize("qualname,expected", sorted(CUSTOM_EXCEPTION.items()))
def test_custom_exception(verdicts, qualname, expected):
    assert ("custom-exception" in verdicts["exceptions.py"][qualname]) is expected


DB_RULES = {
    "plain": {"db-wrapper"},
    "aliased": {"db-wrapper"},
    "relative": {"db-wrapper"},
    "module_alias": {"db-wrapper"},
    "wrapper_execute": {"db-wrapper"},
    "look_alike": set(),
    "cursor_execute": {"raw-sql"},
    "executemany": {"raw-sql"},
    "script": {"raw-sql"},
    "sqlite_direct": {"raw-sql"},
    "sqlite_imported": {"raw-sql"},
    "postgres": {"raw-sql"},
    "mixed": {"db-wrapper", "raw-sql"},
}


@pytest.mark.parametrize("qualname,expected", sorted(DB_RULES.items()))
def test_database_rules(verdicts, qualname, expected):
    assert set(verdicts["database.py"][qualname]) == expected


PANDAS_RULES = {
    "positional": {"pandas-apply"},
    "attribute": {"pandas-apply"},
    "keyword": {"pandas-apply"},
    "with_lambda": set(),
    "keyword_lambda": set(),
    "transform": set(),
    "comprehension": {"column-comprehension"},
    "plain_list": set(),
    "attribute_target": set(),
}


@pytest.mark.parametrize("qualname,expected", sorted(PANDAS_RULES.items()))
def test_pandas_rules(verdicts, qualname, expected):
    assert set(verdicts["frames.py"][qualname]) == expected


def test_forbid_drops_even_when_a_require_rule_matches(make_repo, mine):
    repo = make_repo(
        files={
            **PACKAGE,
            "acme/services/database.py": DATABASE.replace(
                "def mixed(cursor):", 'def mixed(cursor):\n    """Query twice, once raw."""'
            ).replace(
                "def plain():", 'def plain():\n    """Select one row through the wrapper."""'
            ),
        }
    )
    status, pairs, manifest = mine(repo)
    assert status == 0
    assert [p["qualname"] for p in pairs] == ["plain"]
    assert pairs[0]["rules"] == ["db-wrapper"]
    assert manifest["total"]["dropped"]["forbid:raw-sql"] == 1
