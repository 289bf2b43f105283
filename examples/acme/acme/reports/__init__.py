"""Reports for finance and operations, built with pandas."""
