"""Mapping of UK postcodes to the sales regions used in reports."""

from acme.errors import InvalidReport as ReportError

REGION_BY_AREA = {
    "AB": "Scotland", "EH": "Scotland", "G": "Scotland",
    "B": "Midlands", "CV": "Midlands", "NG": "Midlands",
    "E": "London", "EC": "London", "N": "London", "SE": "London", "SW": "London", "W": "London",
    "BS": "South West", "EX": "South West", "PL": "South West",
    "LS": "North", "M": "North", "NE": "North",
}


def postcode_area(postcode):
    """Return the letters that start a postcode, e.g. ``"SW1A 1AA"`` -> ``"SW"``."""
    letters = ""
    for char in postcode.strip().upper():
        if not char.isalpha():
            break
        letters += char
    return letters


def region_for(postcode):
    """Return the sales region of a postcode, or ``"Other"`` when we have none for it.

    Raises:
        InvalidReport: The postcode does not start with a letter.
    """
    area = postcode_area(postcode)
    if not area:
        raise ReportError(f"malformed postcode {postcode!r}")
    return REGION_BY_AREA.get(area, "Other")
