"""The match step of the nightly run (being written)."""
