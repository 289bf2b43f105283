"""Shipments: booking carriers and following their tracking events."""

from acme import errors as acme_errors
from acme.db import db_wrapper

CARRIERS = ("dpd", "royalmail", "ups")


def book_shipment(order_id, carrier, parcels=1):
    """Book a carrier pickup for a paid order.

    Args:
        order_id: The order to ship.
        carrier: One of ``CARRIERS``.
        parcels: Number of parcels the pickup is for.

    Raises:
        ShipmentError: The carrier is not one we have a contract with.
    """
    if carrier not in CARRIERS:
        raise acme_errors.ShipmentError(f"no contract with carrier {carrier!r}")
    db_wrapper.execute(
        "INSERT INTO shipments (order_id, carrier, parcels, status) VALUES (?, ?, ?, 'booked')",
        (order_id, carrier, parcels),
    )


def record_tracking_event(tracking_number, status, seen_at):
    """Store one tracking event pushed by a carrier's webhook.

    Raises:
        ShipmentError: The tracking number belongs to no shipment of ours.
    """
    changed = db_wrapper.execute(
        "UPDATE shipments SET status = ?, updated_at = ? WHERE tracking_number = ?",
        (status, seen_at, tracking_number),
    )
    if changed == 0:
        raise acme_errors.ShipmentError(f"unknown tracking number {tracking_number}")


class ShipmentTracker:
    """Answers "where is my parcel" questions for the support team."""

    def __init__(self, carrier_clients):
        self.carrier_clients = carrier_clients

    def latest_status(self, order_id):
        """Return the newest tracking status of an order's shipment.

        Raises:
            ShipmentError: The order has not been handed to a carrier yet.
        """
        shipment = db_wrapper.query_one(
            "SELECT carrier, tracking_number, status FROM shipments WHERE order_id = ?",
            (order_id,),
        )
        if shipment is None or shipment["tracking_number"] is None:
            raise acme_errors.ShipmentError(f"order {order_id} has not shipped yet")
        return shipment["status"]

    async def refresh(self, order_id):
        """Poll the carrier for a shipment's status and store what it says."""
        shipment = db_wrapper.query_one(
            "SELECT carrier, tracking_number FROM shipments WHERE order_id = ?", (order_id,)
        )
        client = self.carrier_clients[shipment["carrier"]]
        event = await client.track(shipment["tracking_number"])
        record_tracking_event(shipment["tracking_number"], event.status, event.time)
        return event.status
