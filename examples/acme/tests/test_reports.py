import pandas as pd

from acme.reports import daily, geo


def test_region_for_known_and_unknown_areas():
    """Known postcode areas map to their region, others to Other."""
    assert geo.region_for("SW1A 1AA") == "London"
    assert geo.region_for("ZE1 0AA") == "Other"


def test_revenue_by_region_sums_net_amounts():
    """Regions are summed on net amounts and sorted largest first."""
    orders = pd.DataFrame({
        "postcode": ["SW1A 1AA", "EH1 1YZ", "W1A 0AX"],
        "gross_cents": [1000, 5000, 2000],
        "discount_cents": [0, 500, 0],
        "refunded_cents": [0, 0, 1000],
    })
    totals = daily.revenue_by_region(orders)
    assert list(totals["region"]) == ["Scotland", "London"]
    assert list(totals["net_cents"]) == [4500, 2000]
