"""Small, realistic pairs in the miner's pairs.jsonl contract, for the trainer tests."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

# Nothing in the trainer tests may reach the Hub; the tiny model is built locally.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# (module, qualname, docstring, completion, context, rules)
_FUNCTIONS = [
    (
        "acme.orders",
        "order_total",
        "Sum the order lines through the house db wrapper.",
        "def order_total(order_id):\n"
        '    rows = db_wrapper.query("order_lines", order_id=order_id)\n'
        "    return sum(r.price * r.qty for r in rows)\n",
        "from acme.db import db_wrapper",
        ["db-wrapper"],
    ),
    (
        "acme.orders",
        "cancel_order",
        "Cancel an order, refusing shipped ones.",
        "def cancel_order(order):\n"
        "    if order.shipped:\n"
        '        raise OrderError(f"order {order.id} already shipped")\n'
        '    order.status = "cancelled"\n'
        "    return order\n",
        "from acme.errors import OrderError",
        ["custom-exception"],
    ),
    (
        "acme.users",
        "find_user",
        "Look a user up by e-mail.",
        'def find_user(email):\n    return db_wrapper.one("users", email=email.lower())\n',
        "from acme.db import db_wrapper",
        ["db-wrapper"],
    ),
    (
        "acme.users",
        "require_admin",
        "Raise unless the user is an administrator.",
        "def require_admin(user):\n"
        "    if not user.is_admin:\n"
        "        raise PermissionDenied(user.name)\n",
        "from acme.errors import PermissionDenied",
        ["custom-exception"],
    ),
    (
        "acme.report",
        "add_margin",
        "Add a margin column computed row by row.",
        "def add_margin(df):\n"
        '    df["margin"] = df.apply(row_margin, axis=1)\n'
        "    return df\n",
        "from acme.pricing import row_margin",
        ["pandas-apply"],
    ),
    (
        "acme.report",
        "monthly_sales",
        "Monthly sales totals as a DataFrame.",
        'def monthly_sales(df):\n    return df.groupby("month").apply(sum_amounts)\n',
        "from acme.report_helpers import sum_amounts",
        ["pandas-apply"],
    ),
    (
        "acme.stock",
        "reserve",
        "Reserve stock for an order line.",
        "def reserve(sku, qty):\n"
        '    left = db_wrapper.scalar("stock", sku=sku)\n'
        "    if left < qty:\n"
        "        raise OutOfStock(sku)\n"
        '    db_wrapper.update("stock", sku=sku, qty=left - qty)\n',
        "from acme.db import db_wrapper\nfrom acme.errors import OutOfStock",
        ["db-wrapper", "custom-exception"],
    ),
    (
        "acme.stock",
        "Warehouse.restock",
        "Put returned items back on the shelf.",
        "def restock(self, sku, qty):\n    self.items[sku] = self.items.get(sku, 0) + qty\n",
        "",
        [],
    ),
    (
        "acme.mail",
        "send_receipt",
        "E-mail the receipt of an order.",
        "@retry(times=3)\n"
        "def send_receipt(order, mailer):\n"
        '    mailer.send(order.email, render("receipt.txt", order=order))\n',
        "from acme.util import render, retry",
        [],
    ),
    (
        "acme.mail",
        "parse_address",
        "Split a display address into name and e-mail.",
        "def parse_address(text):\n"
        '    name, _, rest = text.partition("<")\n'
        '    return name.strip(), rest.rstrip(">")\n',
        "",
        [],
    ),
    (
        "acme.audit",
        "log_change",
        "Record who changed what.",
        "def log_change(user, table, key):\n"
        '    db_wrapper.insert("audit", user=user.id, table=table, key=key)\n',
        "from acme.db import db_wrapper",
        ["db-wrapper"],
    ),
    (
        "acme.audit",
        "check_retention",
        "Fail when audit rows are older than the retention window.",
        "def check_retention(days):\n"
        '    if db_wrapper.scalar("audit_age") > days:\n'
        "        raise RetentionError(days)\n",
        "from acme.db import db_wrapper\nfrom acme.errors import RetentionError",
        ["db-wrapper", "custom-exception"],
    ),
]


def make_pairs(validation: int = 2) -> list[dict]:
    """Every function as a pair; the last `validation` ones go to the validation split."""
    pairs = []
    for i, (module, qualname, doc, completion, context, rules) in enumerate(_FUNCTIONS):
        path = module.replace(".", "/") + ".py"
        pairs.append(
            {
                "id": hashlib.sha1(f"{path}:{qualname}".encode()).hexdigest()[:16],
                "repo": "acme",
                "commit": "0" * 40,
                "path": path,
                "module": module,
                "qualname": qualname,
                "start_line": 10 * i + 1,
                "end_line": 10 * i + 1 + completion.count("\n"),
                "docstring": doc,
                "prompt": doc,
                "completion": completion,
                "rules": rules,
                "split": "validation" if i >= len(_FUNCTIONS) - validation else "train",
                "context": context,
            }
        )
    return pairs


def write_pairs(directory: Path, pairs: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pairs.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
    return path


def corpus(pairs: list[dict]) -> list[str]:
    """Texts to train the tiny tokenizer on: everything a prompt or completion can hold."""
    return ["\n".join((p["docstring"], p["context"], p["path"], p["completion"])) for p in pairs]


def build_fixture_model(out_dir: Path, pairs: list[dict]) -> Path:
    """The tiny random-weight model, its tokenizer fitted on the pairs' text."""
    from trainer.tiny import build_tiny_model

    return build_tiny_model(out_dir, corpus(pairs))
