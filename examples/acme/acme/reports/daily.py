"""Daily sales report: one row per order, then totals per sales region."""

import pandas as pd

from acme.db import db_wrapper
from acme.errors import InvalidReport
from acme.reports import geo
from acme.reports.formatting import format_money


def net_amount(row):
    """Return an order row's amount after discounts and refunds, in cents."""
    return row["gross_cents"] - row["discount_cents"] - row["refunded_cents"]


def load_daily_orders(day):
    """Load every order placed on ``day`` as a DataFrame, one row per order.

    Raises:
        InvalidReport: No orders were placed that day.
    """
    rows = db_wrapper.query(
        "SELECT o.id, a.postcode, o.gross_cents, o.discount_cents, o.refunded_cents"
        " FROM orders o JOIN addresses a ON a.id = o.shipping_address_id"
        " WHERE date(o.placed_at) = ?",
        (day.isoformat(),),
    )
    if not rows:
        raise InvalidReport(f"no orders were placed on {day:%Y-%m-%d}")
    return pd.DataFrame(rows)


def add_net_amounts(orders):
    """Add a ``net_cents`` column computed row by row with net_amount."""
    orders = orders.copy()
    orders["net_cents"] = orders.apply(net_amount, axis=1)
    return orders


def revenue_by_region(orders):
    """Sum net revenue per sales region, largest region first."""
    orders = add_net_amounts(orders)
    orders["region"] = orders["postcode"].apply(geo.region_for)
    totals = orders.groupby("region", as_index=False)["net_cents"].sum()
    return totals.sort_values("net_cents", ascending=False, ignore_index=True)


def with_display_amounts(summary):
    """Replace the cent columns of a summary with formatted amounts for the e-mail."""
    summary = summary.copy()
    summary["net"] = summary["net_cents"].apply(func=format_money)
    return summary.drop(columns=["net_cents"])


def flag_large_orders(orders, threshold_cents=50_000):
    """Mark orders whose net amount is above the manual review threshold."""
    orders = orders.copy()
    orders["needs_review"] = orders["net_cents"].apply(lambda cents: cents > threshold_cents)
    return orders


def normalise_postcodes(orders):
    """Clean the postcodes of an order frame and derive each order's region."""
    orders = orders.copy()
    orders["postcode"] = [p.replace(" ", "").upper() for p in orders["postcode"]]
    orders["region"] = orders["postcode"].apply(geo.region_for)
    return orders


def daily_report(day):
    """Build the daily sales e-mail table for ``day``."""
    return with_display_amounts(revenue_by_region(load_daily_orders(day)))
