"""Third-party code copied in; update with scripts/vendor.sh, never by hand."""
