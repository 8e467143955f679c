"""The parse step of the nightly run (being written)."""
