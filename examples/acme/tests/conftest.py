import pytest

from acme.db import db_wrapper


@pytest.fixture(autouse=True)
def fresh_db(tmp_path, monkeypatch):
    """Point db_wrapper at an empty database with the schema loaded."""
    monkeypatch.setattr("acme.db.db_wrapper.DATABASE_PATH", str(tmp_path / "acme.sqlite3"))
    monkeypatch.setattr("acme.db.db_wrapper._local", type("Local", (), {})())
    for statement in open("sql/schema.sql").read().split(";"):
        if statement.strip():
            db_wrapper.execute(statement)


def seed_order(customer_id=1, status="placed"):
    """Insert a customer and one order for them; return the order id."""
    db_wrapper.execute("INSERT OR IGNORE INTO customers (id, email, active) VALUES (?, ?, 1)",
                       (customer_id, f"c{customer_id}@example.com"))
    db_wrapper.execute("INSERT INTO orders (customer_id, status) VALUES (?, ?)",
                       (customer_id, status))
    return db_wrapper.query_one("SELECT last_insert_rowid() AS id")["id"]
