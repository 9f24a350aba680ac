"""Private: see docs/internals.md."""
