"""Bundled data for the offline demo: registry snapshots and synthetic patients."""
