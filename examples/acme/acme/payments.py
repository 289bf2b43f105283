"""Payments: authorisation, capture and refunds through the card processor."""

import datetime

from . import errors
from .db import db_wrapper
from .errors import PaymentDeclined, RefundNotAllowed
from .settings import MAX_REFUND_DAYS


def get_payment(payment_id):
    """Fetch one payment by id.

    Raises:
        PaymentError: No payment has this id.
    """
    payment = db_wrapper.query_one("SELECT * FROM payments WHERE id = ?", (payment_id,))
    if payment is None:
        raise errors.PaymentError(f"payment {payment_id} does not exist")
    return payment


def capture_payment(payment_id):
    """Capture an authorised payment and mark its order as paid.

    Args:
        payment_id: The authorised payment.

    Raises:
        PaymentDeclined: The authorisation expired before capture.
    """
    payment = get_payment(payment_id)
    if payment["status"] == "expired":
        raise PaymentDeclined(f"authorisation of payment {payment_id} expired")
    with db_wrapper.transaction():
        db_wrapper.execute(
            "UPDATE payments SET status = 'captured' WHERE id = ?", (payment_id,)
        )
        db_wrapper.execute(
            "UPDATE orders SET status = 'paid', paid_at = CURRENT_TIMESTAMP WHERE id = ?",
            (payment["order_id"],),
        )


def refund_payment(payment_id, today=None):
    """Refund a captured payment in full.

    Refunds are allowed for ``MAX_REFUND_DAYS`` days after capture.

    Raises:
        RefundNotAllowed: The payment is not captured, or the refund window has closed.
    """
    payment = get_payment(payment_id)
    if payment["status"] != "captured":
        raise RefundNotAllowed(f"payment {payment_id} is {payment['status']}, not captured")
    today = today or datetime.date.today()
    if (today - payment["captured_on"]).days > MAX_REFUND_DAYS:
        raise RefundNotAllowed(f"payment {payment_id} is past the refund window")
    db_wrapper.execute(
        "UPDATE payments SET status = 'refunded', refunded_cents = amount_cents WHERE id = ?",
        (payment_id,),
    )


def refund_partial(payment_id, amount_cents):
    """Refund part of a captured payment, keeping the rest captured."""
    raise NotImplementedError("partial refunds ship with billing v2")


class PaymentGateway:
    """Client for the card processor's HTTP API."""

    def __init__(self, client, merchant_id):
        self._client = client
        self._merchant_id = merchant_id

    async def authorize(self, order_id, amount_cents, card_token):
        """Ask the processor to hold ``amount_cents`` on the card and record the answer.

        Returns:
            The id of the new payment.

        Raises:
            PaymentDeclined: The processor refused the authorisation.
        """
        response = await self._client.post(
            "/v2/authorizations",
            json={"merchant": self._merchant_id, "amount": amount_cents, "card": card_token},
        )
        body = response.json()
        status = "authorized" if body["approved"] else "declined"
        db_wrapper.execute(
            "INSERT INTO payments (order_id, amount_cents, status, processor_ref)"
            " VALUES (?, ?, ?, ?)",
            (order_id, amount_cents, status, body["reference"]),
        )
        if not body["approved"]:
            raise PaymentDeclined(body.get("decline_reason", "declined by the processor"))
        return db_wrapper.query_one("SELECT last_insert_rowid() AS id")["id"]

    async def void(self, payment_id):
        """Release the hold of an authorised payment that will not be captured."""
        payment = get_payment(payment_id)
        await self._client.post(f"/v2/authorizations/{payment['processor_ref']}/void")
        db_wrapper.execute("UPDATE payments SET status = 'voided' WHERE id = ?", (payment_id,))
