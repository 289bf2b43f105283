"""Formatting of report values for e-mails and spreadsheets."""


def format_money(cents):
    """Format an amount in cents as pounds, e.g. ``123456`` -> ``"£1,234.56"``."""
    sign = "-" if cents < 0 else ""
    pounds, pence = divmod(abs(int(cents)), 100)
    return f"{sign}£{pounds:,}.{pence:02d}"


def format_percent(ratio, digits=1):
    """Format a ratio between 0 and 1 as a percentage with ``digits`` decimals."""
    return f"{ratio * 100:.{digits}f}%"
