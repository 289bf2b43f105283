"""Customers: lookup, addresses, deactivation and de-duplication."""

from acme import errors
from acme.db import db_wrapper as dbw
from acme.errors import CustomerNotFound as NotFound


def get_customer(customer_id):
    """Fetch an active customer by id.

    Raises:
        CustomerNotFound: No active customer has this id.
    """
    customer = dbw.query_one(
        "SELECT * FROM customers WHERE id = ? AND active = 1", (customer_id,)
    )
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist or was deactivated")
    return customer


def find_by_email(email):
    """Look a customer up by e-mail address, ignoring case and surrounding spaces.

    Raises:
        CustomerNotFound: No active customer uses this address.
    """
    customer = dbw.query_one(
        "SELECT * FROM customers WHERE lower(email) = ? AND active = 1",
        (email.strip().lower(),),
    )
    if customer is None:
        raise NotFound(f"no customer with e-mail {email!r}")
    return customer


def update_address(customer_id, street, postcode, city, country="GB"):
    """Replace a customer's default shipping address.

    Raises:
        InvalidCustomer: The postcode is empty.
    """
    if not postcode.strip():
        raise errors.InvalidCustomer("a shipping address needs a postcode")
    dbw.execute(
        "UPDATE addresses SET street = ?, postcode = ?, city = ?, country = ?"
        " WHERE customer_id = ? AND is_default = 1",
        (street, postcode.strip().upper(), city, country, customer_id),
    )


def deactivate_customer(customer_id):
    """Deactivate a customer; their orders stay for bookkeeping."""
    with dbw.transaction():
        dbw.execute("UPDATE customers SET active = 0 WHERE id = ?", (customer_id,))
        dbw.execute("DELETE FROM sessions WHERE customer_id = ?", (customer_id,))


def merge_customers(keep_id, drop_id):
    """Fold a duplicate customer record into the one we keep.

    Orders, addresses and payment methods move to ``keep_id``; the duplicate is then
    deleted.

    Raises:
        CustomerNotFound: Either id is unknown.
        InvalidCustomer: Both ids are the same customer.
    """
    if keep_id == drop_id:
        raise errors.InvalidCustomer("cannot merge a customer into itself")
    get_customer(keep_id)
    get_customer(drop_id)

    def move(table):
        dbw.execute(
            f"UPDATE {table} SET customer_id = ? WHERE customer_id = ?", (keep_id, drop_id)
        )

    with dbw.transaction():
        for table in ("orders", "addresses", "payment_methods"):
            move(table)
        dbw.execute("DELETE FROM customers WHERE id = ?", (drop_id,))

