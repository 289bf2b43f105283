"""acme: orders, payments and reporting for the acme web shop."""

__version__ = "2.4.0"
