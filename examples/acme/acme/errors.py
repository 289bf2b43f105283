"""Exceptions raised by acme code.

Every error a caller may want to handle derives from AcmeError, so the API layer can map the
whole family to HTTP responses in one place (see acme.api.handlers).
"""


class AcmeError(Exception):
    """Base class of every error raised on purpose by acme code."""

    status_code = 500


class NotFound(AcmeError):
    status_code = 404


class OrderNotFound(NotFound):
    """No order has the given id."""


class CustomerNotFound(NotFound):
    """No active customer has the given id or e-mail address."""


class InvalidOrder(AcmeError):
    """The order cannot take this change in its current state."""

    status_code = 409


class InvalidCustomer(AcmeError):
    status_code = 422


class PaymentError(AcmeError):
    status_code = 402


class PaymentDeclined(PaymentError):
    """The card processor refused the charge."""


class RefundNotAllowed(PaymentError):
    """The payment cannot be refunded (not captured, or already refunded)."""


class OutOfStock(AcmeError):
    status_code = 409


class ShipmentError(AcmeError):
    status_code = 502


class InvalidReport(AcmeError):
    """A report was asked for a period or shape it cannot be built for."""

    status_code = 422


class DatabaseError(AcmeError):
    """The database refused a statement; the original error is chained."""
