"""`trainer eval` on pairs mined by the real miner from a real git repository.

The checker is checked first (references score 100%, known mistakes fail with the right
reason), then a tiny model overfit on the pairs must beat its untrained self in one run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Before anything imports huggingface_hub, which reads it once: nothing here may download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402

from miner.cli import main as miner_main  # noqa: E402
from miner.style import StyleChecker  # noqa: E402
from tests.conftest import RepoBuilder, read_jsonl  # noqa: E402
from trainer import evaluate  # noqa: E402
from trainer.eval_score import aggregate, score_generation  # noqa: E402

ACME = {
    "acme/__init__.py": "",
    "acme/errors.py": '''
        class AcmeError(Exception):
            """Base class of every error acme raises on purpose."""


        class PaymentDeclined(AcmeError):
            """The card issuer refused the charge."""


        class OrderNotFound(AcmeError):
            """No order has this id."""
        ''',
    "acme/db.py": """
        class _Wrapper:
            def query(self, sql, **params):
                return []

            def one(self, sql, **params):
                return None

            def execute(self, sql, **params):
                return 0


        db_wrapper = _Wrapper()
        """,
    "acme/orders.py": '''
        from acme.db import db_wrapper
        from acme.errors import OrderNotFound, PaymentDeclined


        def order_total(order_id):
            """Sum the price of every line of an order."""
            rows = db_wrapper.query("select price, qty from lines where order = :id", id=order_id)
            return sum(r.price * r.qty for r in rows)


        def load_order(order_id):
            """Fetch one order, failing loudly when it does not exist."""
            row = db_wrapper.one("select * from orders where id = :id", id=order_id)
            if row is None:
                raise OrderNotFound(order_id)
            return row


        def charge(order, card):
            """Charge the card for the order total, refusing expired cards."""
            if card.expired:
                raise PaymentDeclined(card.number[-4:])
            return card.charge(order.total)
        ''',
    "acme/stock.py": '''
        from acme.db import db_wrapper as dbw
        from acme.errors import AcmeError


        def reserve(sku, qty):
            """Reserve stock for one order line or refuse when too little is left."""
            left = dbw.one("select qty from stock where sku = :sku", sku=sku)
            if left < qty:
                raise AcmeError(f"only {left} of {sku} left")
            dbw.execute("update stock set qty = qty - :n where sku = :sku", n=qty, sku=sku)


        def restock(sku, qty):
            """Put returned items back on the shelf."""
            dbw.execute("update stock set qty = qty + :n where sku = :sku", n=qty, sku=sku)
        ''',
    "acme/reports.py": '''
        import pandas as pd


        def _margin(row):
            return row.price - row.cost


        def _label(row):
            return f"{row.city} ({row.country})"


        def add_margin(df):
            """Add a margin column computed row by row."""
            df["margin"] = df.apply(_margin, axis=1)
            return df


        def add_labels(frame):
            """Label every shop with its city and country."""
            frame["label"] = frame.apply(_label, axis=1)
            return frame.sort_values("label")


        def monthly(df):
            """Monthly totals of the margin column, as a new frame."""
            return pd.DataFrame(df.groupby("month").margin.sum().apply(round))
        ''',
}


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> Path:
    """Mine the acme repo once; every pair in the train split (the tests overfit on them)."""
    root = tmp_path_factory.mktemp("eval")
    repo = RepoBuilder(root / "acme")
    repo.commit(ACME, "acme service")
    repo.close()
    out = root / "pairs"
    status = miner_main(
        ["mine", str(repo.path), "--out", str(out), "--no-progress", "--validation-fraction", "0"]
    )
    assert status == 0
    return out


@pytest.fixture(scope="module")
def pairs(mined: Path) -> list[dict]:
    return read_jsonl(mined / "pairs.jsonl")


@pytest.fixture(scope="module")
def checker(mined: Path) -> StyleChecker:
    return StyleChecker.from_output_dir(mined)


def _pair(pairs: list[dict], qualname: str) -> dict:
    return next(p for p in pairs if p["qualname"] == qualname)


def test_references_score_full_marks(pairs, checker):
    rules = {rule for p in pairs for rule in p["rules"]}
    assert rules == {"custom-exception", "db-wrapper", "pandas-apply"}, "fixture lost a rule"
    scores = [score_generation(p, p["completion"], checker) for p in pairs]
    failed = {
        p["qualname"]: s["reasons"] for p, s in zip(pairs, scores, strict=True) if s["reasons"]
    }
    assert not failed
    totals = aggregate(pairs, scores)
    assert totals["n"] == len(pairs) >= 8
    assert totals["syntax_rate"] == totals["house_style_rate"] == totals["exact_match"] == 1.0
    assert totals["per_rule"] == {rule: 1.0 for rule in rules}
    assert totals["chrf"] == pytest.approx(100.0)


def test_raw_sql_instead_of_db_wrapper_fails_house_style(pairs, checker):
    pair = _pair(pairs, "order_total")
    text = pair["completion"].replace("db_wrapper.query(", "cursor.execute(")
    assert text != pair["completion"]
    score = score_generation(pair, text, checker)
    assert score["syntax_ok"] and not score["house_style"]
    assert "raw-sql" in score["forbid_matched"] and "raw-sql" in score["reasons"]
    assert score["missing_rules"] == ["db-wrapper"]


def test_builtin_exception_instead_of_the_repos_fails_custom_exception(pairs, checker):
    pair = _pair(pairs, "load_order")
    text = pair["completion"].replace("raise OrderNotFound(", "raise ValueError(")
    assert text != pair["completion"]
    score = score_generation(pair, text, checker)
    assert score["syntax_ok"] and not score["house_style"]
    assert score["reasons"] == ["custom-exception"]
    # The aliased wrapper (`db_wrapper as dbw`) still resolves in the module's recorded scope.
    reserve = _pair(pairs, "reserve")
    assert score_generation(reserve, reserve["completion"], checker)["house_style"]


def test_unparsable_generation_fails_syntax_first(pairs, checker):
    pair = _pair(pairs, "charge")
    score = score_generation(pair, pair["completion"] + "    return (\n", checker)
    assert not score["syntax_ok"] and not score["house_style"]
    assert score["reasons"][0] == "syntax"


def test_input_errors_are_one_line_and_exit_2(mined, tmp_path, capsys):
    report = tmp_path / "r.json"
    assert evaluate.main(["--model", "x", "--data", str(mined), "--out", str(report)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no pairs in split 'validation'" in err
    assert str(mined / "pairs.jsonl") in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert evaluate.main(["--model", "x", "--data", str(empty), "--out", str(report)]) == 2
    assert "pairs.jsonl: pairs file not found" in capsys.readouterr().err
    args = ["--model", "x", "--data", str(mined), "--out", str(report), "--limit", "0"]
    assert evaluate.main(args) == 2
    assert "--limit must be at least 1" in capsys.readouterr().err
    assert not report.exists()


def test_overfit_tiny_model_beats_untrained_in_one_run(mined, pairs, tmp_path, capsys):
    from trainer.config import TrainConfig
    from trainer.tiny import build_tiny_model
    from trainer.train import train

    texts = [p["prompt"] + "\n" + p["context"] + "\n" + p["completion"] for p in pairs]
    base = build_tiny_model(tmp_path / "base", texts)
    tuned = train(
        TrainConfig(
            data=str(mined), model=str(base), output_dir=str(tmp_path / "tuned"), full=True,
            epochs=40, learning_rate=1e-2, batch_size=4, max_length=512,
            early_stopping_patience=None, save_total_limit=1,
        )
    )  # fmt: skip
    capsys.readouterr()
    report_path, html_path = tmp_path / "report.json", tmp_path / "report.html"
    status = evaluate.main(
        ["--model", str(tuned), "--base", str(base), "--data", str(mined), "--split", "train",
         "--max-new-tokens", "96", "--out", str(report_path), "--html", str(html_path)]
    )  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    assert "tuned − base" in printed and "house style" in printed
    report = json.loads(report_path.read_text())
    base_agg, tuned_agg = (report["models"][k]["aggregates"] for k in ("base", "tuned"))
    assert base_agg["n"] == tuned_agg["n"] == len(pairs)
    assert tuned_agg["edit_similarity"] > base_agg["edit_similarity"] + 0.3
    assert tuned_agg["house_style_rate"] > base_agg["house_style_rate"]
    assert tuned_agg["stop_rate"] > base_agg["stop_rate"]
    assert report["delta"]["edit_similarity"] == pytest.approx(
        tuned_agg["edit_similarity"] - base_agg["edit_similarity"]
    )
    example = report["examples"][0]
    assert set(example["generations"]) == {"base", "tuned"}
    assert example["prompt"].endswith('"""\n') and example["reference"].startswith("def ")
    page = html_path.read_text()
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert page.count('<section class="ex"') == len(pairs)
