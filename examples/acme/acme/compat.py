"""Names kept for callers of the 1.x API; remove once billing-sync is migrated."""

LegacyError = ValueError


def parse_legacy_order_ref(ref):
    """Turn an old-style order reference like ``ORD-2019-000123`` into an order id.

    Raises:
        LegacyError: The reference is not in the 1.x format.
    """
    parts = ref.split("-")
    if len(parts) != 3 or parts[0] != "ORD" or not parts[2].isdigit():
        raise LegacyError(f"not a 1.x order reference: {ref!r}")
    return int(parts[2])
