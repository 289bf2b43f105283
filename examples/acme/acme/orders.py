"""Orders: creation, line items, status changes and totals."""

import functools

from acme.audit import audited
from acme.db import db_wrapper
from acme.errors import InvalidOrder, OrderNotFound

OPEN_STATUSES = ("draft", "placed", "paid")


@functools.cache
def order_statuses():
    """Return every order status known to the database, in workflow order."""
    rows = db_wrapper.query("SELECT name FROM order_statuses ORDER BY position")
    return tuple(row["name"] for row in rows)


def get_order(order_id):
    """Fetch one order with its line items.

    Args:
        order_id: Primary key of the order.

    Returns:
        The order as a dict, with its lines under ``"lines"``.

    Raises:
        OrderNotFound: No order has this id.
    """
    order = db_wrapper.query_one("SELECT * FROM orders WHERE id = ?", (order_id,))
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    order["lines"] = db_wrapper.query(
        "SELECT sku, quantity, unit_price_cents FROM order_lines WHERE order_id = ?",
        (order_id,),
    )
    return order


def list_orders(customer_id, status=None, limit=50):
    """List a customer's most recent orders, newest first.

    Args:
        customer_id: The customer whose orders to list.
        status: Only orders in this status, if given.
        limit: At most this many orders.
    """
    sql = "SELECT * FROM orders WHERE customer_id = ?"
    params = [customer_id]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY placed_at DESC LIMIT ?"
    params.append(limit)
    return db_wrapper.query(sql, tuple(params))


def create_order(customer_id, lines):
    """Create a draft order with its line items in one transaction.

    Args:
        customer_id: The ordering customer.
        lines: ``(sku, quantity, unit_price_cents)`` tuples.

    Returns:
        The new order's id.

    Raises:
        InvalidOrder: ``lines`` is empty or a quantity is not positive.
    """
    if not lines:
        raise InvalidOrder("an order needs at least one line")
    if any(quantity <= 0 for _, quantity, _ in lines):
        raise InvalidOrder("line quantities must be positive")
    with db_wrapper.transaction():
        db_wrapper.execute(
            "INSERT INTO orders (customer_id, status) VALUES (?, 'draft')", (customer_id,)
        )
        order_id = db_wrapper.query_one("SELECT last_insert_rowid() AS id")["id"]
        for sku, quantity, unit_price_cents in lines:
            db_wrapper.execute(
                "INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents)"
                " VALUES (?, ?, ?, ?)",
                (order_id, sku, quantity, unit_price_cents),
            )
    return order_id


def add_line_item(order_id, sku, quantity, unit_price_cents):
    """Add a line to an order that has not been paid yet.

    Raises:
        OrderNotFound: No order has this id.
        InvalidOrder: The order is already paid, shipped or cancelled.
    """
    order = get_order(order_id)
    if order["status"] not in ("draft", "placed"):
        raise InvalidOrder(f"order {order_id} is {order['status']}; lines are frozen")
    db_wrapper.execute(
        "INSERT INTO order_lines (order_id, sku, quantity, unit_price_cents) VALUES (?, ?, ?, ?)",
        (order_id, sku, quantity, unit_price_cents),
    )


def order_total_cents(order_id):
    """Return the sum of an order's lines, in cents, before discounts."""
    row = db_wrapper.query_one(
        "SELECT COALESCE(SUM(quantity * unit_price_cents), 0) AS total"
        " FROM order_lines WHERE order_id = ?",
        (order_id,),
    )
    return row["total"]


@audited("order.cancel")
def cancel_order(order_id, reason):
    """Cancel an open order and release its stock reservations.

    Raises:
        OrderNotFound: No order has this id.
        InvalidOrder: The order has already shipped or was cancelled before.
    """
    order = get_order(order_id)
    if order["status"] not in OPEN_STATUSES:
        raise InvalidOrder(f"cannot cancel order {order_id}: it is {order['status']}")
    with db_wrapper.transaction():
        db_wrapper.execute(
            "UPDATE orders SET status = 'cancelled', cancel_reason = ? WHERE id = ?",
            (reason, order_id),
        )
        db_wrapper.execute("DELETE FROM stock_reservations WHERE order_id = ?", (order_id,))


def split_order(order_id, line_ids):
    """Move some lines of an order into a new order for the same customer."""
    pass


async def fetch_order_async(order_id, loop_executor):
    """Fetch an order without blocking the event loop.

    The database driver is synchronous, so the lookup runs in ``loop_executor``.

    Raises:
        OrderNotFound: No order has this id.
    """
    order = await loop_executor.run(db_wrapper.query_one, "SELECT * FROM orders WHERE id = ?",
                                    (order_id,))
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    return order


class OrderService:
    """Status transitions of orders, used by the back-office API."""

    def __init__(self, clock):
        self.clock = clock

    def mark_shipped(self, order_id, tracking_number):
        """Mark a paid order as shipped and store its tracking number.

        Raises:
            InvalidOrder: The order is not paid yet.
        """
        changed = db_wrapper.execute(
            "UPDATE orders SET status = 'shipped', shipped_at = ?, tracking_number = ?"
            " WHERE id = ? AND status = 'paid'",
            (self.clock.now(), tracking_number, order_id),
        )
        if changed == 0:
            raise InvalidOrder(f"order {order_id} is not paid; cannot ship it")

    def reopen(self, order_id):
        """Put a cancelled order back to draft so the customer can edit it.

        Raises:
            OrderNotFound: No order has this id.
            InvalidOrder: The order was not cancelled.
        """
        order = get_order(order_id)
        if order["status"] != "cancelled":
            raise InvalidOrder(f"only cancelled orders can be reopened, not {order['status']}")
        db_wrapper.execute(
            "UPDATE orders SET status = 'draft', cancel_reason = NULL, updated_at = ?"
            " WHERE id = ?",
            (self.clock.now(), order_id),
        )

    def overdue(self, days=3):
        "Orders paid more than ``days`` ago that have not shipped yet."
        return db_wrapper.query(
            "SELECT * FROM orders WHERE status = 'paid' AND paid_at < ?",
            (self.clock.days_ago(days),),
        )
