import pytest

from acme import orders
from acme.db import db_wrapper
from acme.errors import InvalidOrder, OrderNotFound

from .conftest import seed_order


def test_get_order_missing():
    """An unknown order id raises OrderNotFound, not KeyError."""
    with pytest.raises(OrderNotFound):
        orders.get_order(404)


def test_cancel_shipped_order_is_refused():
    """Cancelling an order that already shipped raises InvalidOrder."""
    order_id = seed_order(status="shipped")
    with pytest.raises(InvalidOrder):
        orders.cancel_order(order_id, "changed my mind")
    assert db_wrapper.query_one("SELECT status FROM orders WHERE id = ?",
                                (order_id,))["status"] == "shipped"


def test_create_order_writes_lines():
    """A new order keeps every line it was created with."""
    order_id = orders.create_order(1, [("SKU-1", 2, 499), ("SKU-2", 1, 1299)])
    assert orders.order_total_cents(order_id) == 2 * 499 + 1299
