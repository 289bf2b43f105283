"""Request handlers for the back-office JSON API."""

import json

from acme import errors, orders
from acme.errors import AcmeError


def error_response(err):
    """Turn an AcmeError into a JSON error body and the HTTP status it maps to."""
    return {"error": type(err).__name__, "detail": str(err)}, err.status_code


def parse_order_lines(body):
    """Parse the ``lines`` of a create-order request body.

    Raises:
        InvalidOrder: The body is not JSON or a line lacks sku, quantity or price.
    """
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as err:
        raise errors.InvalidOrder(f"request body is not JSON: {err}") from err
    lines = []
    for line in payload.get("lines", []):
        if not {"sku", "quantity", "unit_price_cents"} <= line.keys():
            raise errors.InvalidOrder(f"incomplete order line: {line}")
        lines.append((line["sku"], int(line["quantity"]), int(line["unit_price_cents"])))
    return lines


def create_order_handler(request):
    """Handle ``POST /customers/<id>/orders``: create a draft order from the JSON body."""
    try:
        order_id = orders.create_order(
            request.path_params["customer_id"], parse_order_lines(request.body)
        )
    except AcmeError as err:
        return error_response(err)
    return {"id": order_id}, 201
