"""Monthly revenue and customer rankings for the finance team."""

import calendar

import pandas as pd

from .. import errors
from ..db import db_wrapper
from .formatting import format_percent


def month_label(month):
    """Return the short English name of a month number, e.g. ``3`` -> ``"Mar"``."""
    return calendar.month_abbr[int(month)]


def monthly_revenue(year):
    """Return net revenue per month of ``year``, with a printable month column.

    Args:
        year: Calendar year, e.g. 2024.

    Returns:
        A DataFrame with columns ``month``, ``label`` and ``net_cents``.

    Raises:
        InvalidReport: The year has no captured payments yet.
    """
    rows = db_wrapper.query(
        "SELECT CAST(strftime('%m', captured_at) AS INTEGER) AS month,"
        " SUM(amount_cents - refunded_cents) AS net_cents FROM payments"
        " WHERE strftime('%Y', captured_at) = ? GROUP BY month ORDER BY month",
        (str(year),),
    )
    if not rows:
        raise errors.InvalidReport(f"no captured payments in {year}")
    frame = pd.DataFrame(rows)
    frame["label"] = frame["month"].apply(month_label)
    return frame


def top_customers(since, limit=20):
    """Rank customers by what they spent since ``since``, biggest spender first.

    Raises:
        InvalidReport: ``limit`` is not positive.
    """
    if limit <= 0:
        raise errors.InvalidReport("limit must be positive")
    rows = db_wrapper.query(
        "SELECT o.customer_id, SUM(p.amount_cents - p.refunded_cents) AS spent_cents"
        " FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.captured_at >= ?"
        " GROUP BY o.customer_id ORDER BY spent_cents DESC LIMIT ?",
        (since.isoformat(), limit),
    )
    return pd.DataFrame(rows, columns=["customer_id", "spent_cents"])


def refund_rate_by_month(payments):
    """Add a printable refund rate to a frame of monthly ``captured`` and ``refunded`` counts."""
    payments = payments.copy()
    payments["refund_rate"] = payments["refunded"] / payments["captured"]
    payments["refund_rate_label"] = payments["refund_rate"].apply(format_percent)
    return payments
