"""Customer e-mails sent when orders and payments change state."""

from acme.db import db_wrapper
from acme.errors import OrderNotFound, PaymentError as PaymentProblem


async def send_order_confirmation(mailer, order_id):
    """E-mail the customer a confirmation listing what they ordered.

    Raises:
        OrderNotFound: No order has this id.
    """
    order = db_wrapper.query_one(
        "SELECT o.id, c.email, c.first_name FROM orders o"
        " JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
        (order_id,),
    )
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    lines = db_wrapper.query("SELECT sku, quantity FROM order_lines WHERE order_id = ?",
                             (order_id,))
    await mailer.send(order["email"], "order_confirmation", order=order, lines=lines)


async def send_payment_failed(mailer, payment_id):
    """Tell the customer their card was declined and how to retry.

    Raises:
        PaymentError: The payment did not fail, so there is nothing to tell.
    """
    payment = db_wrapper.query_one(
        "SELECT p.status, c.email FROM payments p JOIN orders o ON o.id = p.order_id"
        " JOIN customers c ON c.id = o.customer_id WHERE p.id = ?",
        (payment_id,),
    )
    if payment is None or payment["status"] != "declined":
        raise PaymentProblem(f"payment {payment_id} was not declined")
    await mailer.send(payment["email"], "payment_failed", payment_id=payment_id)
