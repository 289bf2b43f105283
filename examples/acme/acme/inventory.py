"""Stock levels and reservations per SKU."""

import csv
import sqlite3

from acme import errors, settings
from acme.db import db_wrapper as dbw


def stock_level(sku):
    """Return the units of ``sku`` on hand that no open order has reserved.

    Raises:
        OutOfStock: The SKU is not stocked at all.
    """
    row = dbw.query_one(
        "SELECT on_hand - COALESCE((SELECT SUM(quantity) FROM stock_reservations r"
        " WHERE r.sku = s.sku), 0) AS free FROM stock s WHERE s.sku = ?",
        (sku,),
    )
    if row is None:
        raise errors.OutOfStock(f"{sku} is not stocked")
    return row["free"]


def reserve_stock(order_id, sku, quantity):
    """Reserve units of a SKU for an order until it ships or is cancelled.

    Args:
        order_id: The order the units are held for.
        sku: The stock keeping unit.
        quantity: How many units to hold.

    Raises:
        OutOfStock: Fewer than ``quantity`` units are free.
    """
    with dbw.transaction():
        free = stock_level(sku)
        if free < quantity:
            raise errors.OutOfStock(f"{sku}: {quantity} requested, {free} free")
        dbw.execute(
            "INSERT INTO stock_reservations (order_id, sku, quantity) VALUES (?, ?, ?)",
            (order_id, sku, quantity),
        )


def release_reservations(order_id):
    """Give back every unit an order had reserved; returns how many rows were freed."""
    return dbw.execute("DELETE FROM stock_reservations WHERE order_id = ?", (order_id,))


def low_stock_skus(threshold=settings.LOW_STOCK_THRESHOLD):
    """List SKUs whose free stock is at or under ``threshold``, scarcest first."""
    return dbw.query(
        "SELECT sku, on_hand FROM stock WHERE on_hand <= ? ORDER BY on_hand, sku", (threshold,)
    )


def _reserved_units(sku):
    return dbw.query_one(
        "SELECT COALESCE(SUM(quantity), 0) AS n FROM stock_reservations WHERE sku = ?", (sku,)
    )["n"]


def get_sku(sku):
    """Fetch SKU."""
    return dbw.query_one("SELECT * FROM stock WHERE sku = ?", (sku,))


def import_supplier_feed(path):
    """Load the supplier's nightly CSV feed into the stock table.

    Written before db_wrapper existed; the feed is large, so it talks to sqlite directly.

    Raises:
        InvalidOrder: The feed is empty, which means the supplier's export failed.
    """
    with open(path, newline="") as handle:
        rows = [(r["sku"], int(r["on_hand"])) for r in csv.DictReader(handle)]
    if not rows:
        raise errors.InvalidOrder(f"supplier feed {path} is empty")
    conn = sqlite3.connect(settings.DATABASE_PATH)
    cursor = conn.cursor()
    cursor.executemany("UPDATE stock SET on_hand = ? WHERE sku = ?", [(n, s) for s, n in rows])
    conn.commit()
    conn.close()
