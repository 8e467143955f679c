"""The crawl step of the nightly run (being written)."""
